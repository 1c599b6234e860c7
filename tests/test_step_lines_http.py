"""Issue 8 items 5 and 7: the per-line step form on the record page. Finance resolving a ticket
sees one row per line (what was sent, an input for what was received and for a reason) in place
under the step's button; the form posts with the CSRF token to the generic take endpoint; a
refusal comes back with each message under its line's input and what was typed kept."""

from __future__ import annotations

import re

from tests.conftest import system
from tests.test_record_page import buttons, ticket_client  # noqa: F401 (fixture)
from tests.test_step_lines import counted, stored
from tests.test_workflow_generic import app as ticket_app  # noqa: F401 (fixture)


def test_the_record_page_shows_an_input_per_line(ticket_client):  # noqa: F811
    people, login = ticket_client
    ticket, (a, b) = counted(people)
    c = login("finance")
    assert buttons(c, "ticket", ticket.id) == ["resolve"]
    c.post("/locale", {"locale": "zh_CN", "next": "/admin/"})
    html = c.get(f"/admin/ticket/details/?id={ticket.id}").get_data(as_text=True)
    table = html[html.index('data-testid="step-lines-resolve"') :]
    table = table[: table.index("</table>")]
    for words in ("发出数量", "实收数量", "差异原因", "1. 货品1", "2. 货品2"):
        assert words in table, words
    assert re.search(rf'<tr data-line="{a.id}">\s*<td>1\. 货品1</td>\s*<td[^>]*>5</td>', table)
    for line in (a, b):
        assert f'name="lines.{line.id}.received"' in table
        assert f'name="lines.{line.id}.reason"' in table
    assert ">sent<" not in table and ">received<" not in table  # labels, not raw field names
    assert "resolve" not in buttons(login("warehouse"), "ticket", ticket.id)  # not their step


def test_a_line_refusal_comes_back_under_its_input(ticket_client):  # noqa: F811
    people, login = ticket_client
    ticket, (a, b) = counted(people)
    c = login("finance")
    url = f"/admin/ticket/take/?id={ticket.id}"
    typed = {"action": "resolve", f"lines.{a.id}.received": "5", f"lines.{b.id}.received": "2"}
    assert c.post(url, typed, csrf=False).status_code == 400
    html = c.post(url, typed).get_data(as_text=True)
    assert stored(ticket, [a, b]) == ("checked", [(None, ""), (None, "")])
    error = re.search(rf'data-testid="error-lines\.{b.id}\.reason">([^<]*)<', html)
    assert error and error.group(1).startswith("第2行（货品2）：差异原因：")
    assert f'data-testid="error-lines.{a.id}.received"' not in html
    assert re.search(r"<details[^>]*data-action=\"resolve\"[^>]*open", html)  # stays open
    assert f'name="lines.{b.id}.received" value="2"' in html  # what was typed is kept
    typed[f"lines.{b.id}.reason"] = "路上破损"
    c.post(url, typed, follow_redirects=True)
    assert stored(ticket, [a, b]) == ("resolved", [(5, ""), (2, "路上破损")])
    with system():
        from tests.ticket_process import Ticket

        assert Ticket.get_by_id(ticket.id).credits == 1


def test_a_line_step_on_a_record_out_of_view_or_by_the_wrong_role(ticket_client):  # noqa: F811
    people, login = ticket_client
    ticket, (a, b) = counted(people)
    typed = {"action": "resolve", f"lines.{a.id}.received": "5", f"lines.{b.id}.received": "3"}
    login("warehouse").post(f"/admin/ticket/take/?id={ticket.id}", typed)
    assert stored(ticket, [a, b]) == ("checked", [(None, ""), (None, "")])


def test_the_grids_bulk_step_refuses_a_ticket_whose_lines_are_not_counted(ticket_client):  # noqa: F811
    """The grid's bulk action takes the step one record at a time through the engine: a ticket
    with lines is refused naming its line and field; one without lines moves."""
    from tests.test_workflow_generic import act, new_ticket

    people, login = ticket_client
    ticket, lines = counted(people)
    plain = act(people["warehouse"], new_ticket(people["warehouse"]), "check")
    html = (
        login("finance")
        .post("/admin/ticket/action/", {"action": "to_resolved", "rowid": [ticket.id, plain.id]},
              follow_redirects=True)
        .get_data(as_text=True)
    )  # fmt: skip
    assert stored(ticket, lines)[0] == "checked"
    assert stored(plain, [])[0] == "resolved"
    assert "第1行（货品1）：实收数量" in html
