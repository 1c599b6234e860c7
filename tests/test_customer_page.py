"""The customer page (客户360, issue 9 item 1; A1-A5, B5, C1, C2): one screen per customer, every
list paged on the server and read through its own table's row scope; the verbs a person may
use, and only those; names in the grids open it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

import rules
from models import FollowUp, FollowUpTask, SalesOrder, db
from models.audit import utcnow
from tests.conftest import actor_of, system


def page(client, customer, **args):
    query = "&".join(f"{k}={v}" for k, v in {"id": customer.id, **args}.items())
    response = client.get(f"/admin/customer/details/?{query}", follow_redirects=True)
    return response.status_code, response.get_data(as_text=True)


def rows_of(html: str, testid: str) -> list[str]:
    """The body rows of one list on the page."""
    table = re.search(rf'data-testid="{testid}">(.*?)</table>', html, re.S).group(1)
    body = table.split("<tbody>")[1]
    return [r for r in re.findall(r"<tr>(.*?)</tr>", body, re.S) if "text-muted" not in r]


def orders(world, customer, person, n, start=0):
    """`n` draft orders of `customer` entered by `person`, numbered SO-T<start…>."""
    now = utcnow()
    with system():
        for i in range(start, start + n):
            SalesOrder(
                number=f"SO-T{i:04d}",
                customer=customer.id,
                created_by=person.id,
                created_at=now - timedelta(minutes=i),
            ).save()


def follow_ups(customer, person, n):
    with system():
        for i in range(n):
            FollowUp(
                customer=customer.id,
                staff=person.id,
                at=utcnow() - timedelta(days=i),
                users_count=2,
                amount_per_person=f"每日{i}粒",
                adverse_reaction=False,
                expectations=f"期望{i}",
                estimated_end_on=utcnow().date() + timedelta(days=30),
                next_followup_on=utcnow().date() + timedelta(days=7),
            ).save()
