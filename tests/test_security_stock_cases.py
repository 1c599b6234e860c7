"""Stock and adverse-case scope, written by hand (issue 7 items 8 and 9); the generated sweep
over every route is tests/test_security.py."""

from __future__ import annotations

import pytest

from tests.conftest import system


def test_manual_stock_moves_keep_their_sign_and_never_go_negative(world):
    """Review finding: an inbound of -1000 or an outbound beyond stock is refused."""
    import rules
    from models import StockMove, db
    from tests.conftest import actor_of

    with db.connection_context(), rules.acting_as(actor_of(world.warehouse)):

        def move(kind, qty):
            StockMove(
                product=world.product.id, location=world.hq.id, kind=kind, quantity=qty
            ).save()

        with pytest.raises(rules.RuleViolation, match="positive"):
            move("inbound", -1000)
        move("inbound", 5)
        move("outbound", 3)  # typed as 3, stored as -3
        with pytest.raises(rules.RuleViolation, match="Only 2 in stock"):
            move("outbound", 3)
        assert StockMove.on_hand(world.product.id, world.hq.id) == 2


@pytest.mark.parametrize("grid", ["stock_move", "stock_balance"])
def test_store_staff_see_only_their_own_stores_stock_on_every_endpoint(as_user, world, grid):
    """Issue 7 item 9: the ledger and the balances showed every location to store staff."""
    import rules
    from models import StockBalance, StockMove, db
    from tests.conftest import actor_of

    with db.connection_context(), rules.acting_as(actor_of(world.warehouse)):
        for place, qty in ((world.s1, 11), (world.s2, 22), (world.hq, 33)):
            StockMove(
                product=world.product.id,
                location=place.id,
                kind="inbound",
                quantity=qty,
                source=f"inbound:{place.code}",
            ).save()
    model = StockMove if grid == "stock_move" else StockBalance
    with system():
        ids = {r.location_id: r.id for r in model.select()}
        ledger = sorted((m.id, m.quantity) for m in StockMove.select())
    own, others = ids[world.s1.id], [ids[world.s2.id], ids[world.hq.id]]
    hidden = ("徐家汇店", "总部仓库")
    c = as_user("store1")
    base = f"/admin/{grid}"
    for url in (f"{base}/", f"{base}/?search=inbound", f"{base}/?sort=0"):
        page = c.get(url).get_data(as_text=True)
        assert "南京西路店" in page and not any(h in page for h in hidden), url
    assert "南京西路店" in c.get(f"{base}/details/?id={own}").get_data(as_text=True)
    for pk in others:
        page = c.get(f"{base}/details/?id={pk}", follow_redirects=True).get_data(as_text=True)
        assert not any(h in page for h in hidden), pk
    for kind in ("csv", "xlsx"):
        export = c.get(f"{base}/export/{kind}/")
        assert export.status_code == 200
        text = _exported_text(kind, export.data)
        assert "南京西路店" in text and not any(h in text for h in hidden), kind
    for pk in others:
        c.post(f"{base}/action/", {"action": "delete", "rowid": pk})
        c.post(f"{base}/delete/", {"id": pk})
        c.post(f"{base}/ajax/update/", {"list_form_pk": pk, "quantity": 1, "on_hand": 1})
    with system():
        assert sorted((m.id, m.quantity) for m in StockMove.select()) == ledger
    everyone = as_user("warehouse").get(f"{base}/").get_data(as_text=True)
    assert all(name in everyone for name in ("南京西路店", *hidden))


def _exported_text(kind: str, data: bytes) -> str:
    """Every cell of a CSV or XLSX export, as one string."""
    if kind == "csv":
        return data.decode("utf-8-sig")
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return " ".join(
        str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row
    )


def _adverse_cases(world):
    """An adverse-reaction case on sales1's customer and one on store1's (issue 7 item 8)."""
    from models import AdverseCase
    from tests.security_world import follow_up

    for person, customer, details in (
        (world.sales1, world.c_sales1, "皮疹-业务员客户"),
        (world.store1, world.c_store1, "头晕-门店客户"),
    ):
        follow_up(person, customer, details)
    with system():
        return {c.details: c.id for c in AdverseCase.select()}


def test_adverse_cases_are_scoped_on_every_endpoint(as_user, world):
    from models import AdverseCase

    ids = _adverse_cases(world)
    outside = [
        ("sales2", "皮疹-业务员客户"),
        ("sales1", "头晕-门店客户"),
        ("store1", "皮疹-业务员客户"),
        ("store2", "头晕-门店客户"),
    ]
    for username, details in outside:
        c = as_user(username)
        pk = ids[details]
        assert details not in c.get("/admin/adverse_case/").get_data(as_text=True), username
        for url in (
            f"/admin/adverse_case/details/?id={pk}",
            f"/admin/adverse_case/close/?id={pk}",
            f"/admin/adverse_case/edit/?id={pk}",
        ):
            page = c.get(url, follow_redirects=True).get_data(as_text=True)
            assert details not in page, f"{username} opened {url}"
        for kind in ("csv", "xlsx"):
            assert details.encode() not in c.get(f"/admin/adverse_case/export/{kind}/").data
        c.post("/admin/adverse_case/close/", {"id": pk, "closing_note": "HACK"})
        c.post("/admin/adverse_case/delete/", {"id": pk})
        c.post("/admin/adverse_case/action/", {"action": "delete", "rowid": pk})
    with system():
        assert AdverseCase.select().where(AdverseCase.closed_at.is_null()).count() == 2
    assert "皮疹-业务员客户" in as_user("sales1").get("/admin/adverse_case/").get_data(as_text=True)
    assert "头晕-门店客户" in as_user("store1").get("/admin/adverse_case/").get_data(as_text=True)
    everything = as_user("supervisor").get("/admin/adverse_case/").get_data(as_text=True)
    assert "皮疹-业务员客户" in everything and "头晕-门店客户" in everything


def test_roles_without_the_case_permission_get_403(as_user, world):
    pk = next(iter(_adverse_cases(world).values()))
    for who in ("finance", "warehouse", "marketing", "reception"):
        c = as_user(who)
        assert c.get("/admin/adverse_case/").status_code == 403, who
        assert c.get(f"/admin/adverse_case/close/?id={pk}").status_code in (302, 403), who
