"""The six write paths of a workflow record (issue 8, item 9), shared by the sales and the
test-only ticket matrices: the engine's verb, save() with the status, and over HTTP a crafted
create/edit form POST, an inline edit, the grid's bulk action and a CSV import, each naming
the target status. Each path either moves the record exactly as the verb would, or not at all.
"""

from __future__ import annotations

import io

import rules
from models import db
from rules.approval import steps
from rules.workflow import take
from tests.conftest import actor_of

PATHS = ("verb", "save", "form", "inline", "bulk")  # on an existing record
HTTP = ("form", "inline", "bulk")
REASON = "理由"


def in_code(path: str, person, model, row_id: int, action: str, to: str) -> None:
    """The verb or save() as `person`; a refusal is the expected outcome of most cells."""
    with db.connection_context(), rules.acting_as(actor_of(person)):
        row = model.get_by_id(row_id)
        try:
            if path == "verb":
                take(row, action, REASON)
            else:
                row.status = to
                row.save()
        except rules.RuleViolation:
            pass


def over_http(path: str, client, table: str, row_id: int, action: str, to: str, form: dict) -> None:
    """One crafted request on `path` naming the status `to`; `form` holds the fields a valid
    edit form needs."""
    base = f"/admin/{table}"
    if path == "form":
        client.post(f"{base}/edit/?id={row_id}", {**form, "status": to})
    elif path == "inline":
        client.post(f"{base}/ajax/update/", {"list_form_pk": row_id, "status": to})
    elif any(t.action == action for t in steps(table)):  # bulk: a step of the main path
        client.post(f"{base}/action/", {"action": f"to_{to}", "rowid": row_id})
    else:  # bulk: reject, cancel and other side steps take a reason
        client.post(f"{base}/reason/", {"verb": action, "ids": str(row_id), "reason": REASON})


def create_at(client, table: str, to: str, form: dict, csv_row: str) -> None:
    """The paths that create a record (a new-record form, a CSV import; neither can address an
    existing one), each naming the status `to`; `csv_row` is a valid header and line."""
    client.post(f"/admin/{table}/new/", {**form, "status": to})
    header, line = csv_row.split("\n")
    data = f"{header},status\n{line},{to}\n".encode()
    client.post(
        f"/admin/{table}/import/",
        {"file": (io.BytesIO(data), "rows.csv")},
        content_type="multipart/form-data",
    )
