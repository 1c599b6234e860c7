"""The home page guides each role (issue 9 item 7): its numbers link to the grids showing
exactly those rows; sales this month against last with a weekly chart for the owner and the
sales supervisor; recent activity told in plain words, in the person's language and scope."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from decimal import Decimal

from models import Customer, FollowUpTask, SalesOrder, db
from models.audit import utcnow
from rules import local_today
from tests.conftest import system
from tests.test_sales import new_order, step


def page(client, url="/admin/") -> str:
    return client.get(url).get_data(as_text=True)


def test_smoke(as_user, world):
    order = step(world.sales1, new_order(world))
    for who in (
        "owner",
        "sales1",
        "supervisor",
        "finance",
        "store1",
        "warehouse",
        "marketing",
        "reception",
    ):
        text = page(as_user(who))
        print(
            who,
            re.sub(
                r"\s+",
                " ",
                re.sub(
                    "<[^>]+>",
                    " ",
                    text.split("mc-numbers")[-1] if "mc-numbers" in text else text[-3000:],
                ),
            )[:1500],
        )
