"""Sales journey (B1-B6): a salesperson submits, the supervisor verifies, finance approves,
the warehouse ships, the vouchers are printed — each as its own role.

Every step runs in the real browser as the real person (English UI for stable text); the
database is only read to check what the screens claim. The vouchers are fetched through the
browser context's request API, so they carry the logged-in person's session cookie.
"""

from __future__ import annotations

import subprocess
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect

from models import Transition
from models.sales import SalesOrder, SalesOrderLine
from models.stock import StockMove
from printouts.vouchers import voucher_number
from rules import points
from rules.workflow import take
from tests.browser.conftest import login, set_language
from tests.browser.journey import act_as, path_of, save_form, shoot
from tests.conftest import system
from tests.test_sales import acting

CUSTOMER = "王秀英"
OPENING_STOCK = 50
QUANTITY = 2
PRICE = Decimal("198.00")
TOTAL = PRICE * QUANTITY  # ¥396.00, one point per yuan
PDF_VOUCHERS = (
    "sales_invoice",
    "sales_receipt",
    "payment_receipt",
    "pickup_voucher",
    "points_slip",
)
WAYBILL = "express_waybill"  # refused: the order is picked up
CHAIN = [
    ("draft", "submitted", "sales1"),
    ("submitted", "verified", "supervisor"),
    ("verified", "paid", "finance"),
    ("paid", "shipped", "warehouse"),
]


def run_action(page, base_url: str, order_id: int, name: str, label: str) -> list[str]:
    """Select the order in the list and run the "With selected" action `name`; accept any
    confirm() (none is configured today) and return the messages of the dialogs shown."""
    page.goto(base_url + "/admin/sales_order/")
    page.check(f"input.action-checkbox[value='{order_id}']")
    dialogs: list[str] = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    try:
        item = page.locator(f".dropdown-menu a[onclick*=\"'{name}'\"]")
        menu = page.locator("li.nav-item.dropdown", has=item)
        menu.locator("a.dropdown-toggle").click()
        expect(item).to_be_visible()
        expect(item).to_have_text(label)
        with page.expect_navigation():
            item.click()
    finally:
        page.remove_listener("dialog", accept)
    assert path_of(page) == "/admin/sales_order/", page.url
    return dialogs


def expect_moved(page, order_id: int, done: str, status: str) -> None:
    """The action's success flash, no error, the list badge and the stored status."""
    expect(page.locator(".alert-success")).to_contain_text(f"{done}: 1 of 1 selected records done.")
    expect(page.locator(".alert-danger")).to_have_count(0)
    row = page.locator(
        "table.model-list tbody tr", has=page.locator(f"input.action-checkbox[value='{order_id}']")
    )
    expect(row.locator("td.col-status .badge")).to_have_text(status.capitalize())
    with system():
        assert SalesOrder.get_by_id(order_id).status == status


def pdf_text(data: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    )
    return "".join(done.stdout.decode("utf-8").split())  # spaces squeezed out


def pick(page, field_id: str, typed: str, label: str) -> None:
    """Choose in a type-ahead picker (Select2): open it, type, click the matching result."""
    page.click(f"#s2id_{field_id} a.select2-choice")
    page.locator("#select2-drop input.select2-input").press_sequentially(typed, delay=50)
    found = page.locator("#select2-drop li.select2-result-selectable")
    expect(found).to_have_count(1)  # the lookup narrowed the whole table to one row
    expect(found).to_have_text(label)
    found.click()
    expect(page.locator(f"#s2id_{field_id} .select2-chosen")).to_have_text(label)


def enter_order(page, base_url: str, world, *, with_line: bool = False) -> int:
    """Fill the new-order form for 王秀英 (pickup, WeChat Pay) — customer picked by typing
    part of her phone number —, optionally typing one line HP-001 × 2 at ¥198.00 into the
    inline "Lines" (product picked by typing its name), save it, return the new order's id."""
    page.goto(base_url + "/admin/sales_order/new/")
    expect(page.locator("select#customer option")).to_have_count(0)  # no list of customers
    pick(page, "customer", world.c_sales1.phone[:7], f"{CUSTOMER} ({world.c_sales1.phone})")
    page.select_option("#delivery", "pickup")
    page.select_option("#payment_method", "wechat")
    if with_line:
        page.click("#lines-button")  # "Add Lines"
        expect(page.locator("#s2id_lines-0-product")).to_be_visible()
        pick(page, "lines-0-product", "蜂胶", f"HP-001 {world.product.name}")
        page.fill("#lines-0-quantity", str(QUANTITY))
        page.fill("#lines-0-unit_price", f"{PRICE:.2f}")
    save_form(page)
    expect(page.locator(".alert-danger")).to_have_count(0)
    expect(page.locator(".alert-success")).to_contain_text("Record was successfully created.")
    assert path_of(page) == "/admin/sales_order/", page.url
    with system():
        [order] = list(SalesOrder.select().where(SalesOrder.customer == world.c_sales1.id))
    expect(page.locator("table.model-list")).to_contain_text(order.number)
    return order.id


def test_pickers_type_ahead_in_chinese(live_server, page, world):
    """zh_CN: the picker's placeholder and messages are Chinese; only own customers match."""
    login(page, live_server, "sales1")
    set_language(page, "zh_CN")
    page.goto(live_server + "/admin/sales_order/new/")
    chooser = page.locator("#s2id_customer .select2-chosen")
    expect(chooser).to_have_text("输入姓名或手机号搜索")
    page.click("#s2id_customer a.select2-choice")
    search = page.locator("#select2-drop input.select2-input")
    expect(page.locator("#select2-drop .select2-no-results")).to_have_text("请至少再输入 1 个字符")
    search.press_sequentially("李", delay=50)  # sales2's customer: not offered
    expect(page.locator("#select2-drop .select2-no-results")).to_have_text("没有找到匹配项")
    search.fill("")
    search.press_sequentially("王", delay=50)
    found = page.locator("#select2-drop li.select2-result-selectable")
    expect(found).to_have_text([f"{CUSTOMER} ({world.c_sales1.phone})"])
    found.click()
    expect(chooser).to_have_text(f"{CUSTOMER} ({world.c_sales1.phone})")
    body = page.locator("body").inner_text()
    assert "Type" not in body and "No matches" not in body and "Searching" not in body
    shoot(page, "journey_sales_picker_zh.png")


def test_lines_typed_on_the_order_form_are_saved(live_server, page, world):
    act_as(page, live_server, "sales1")
    oid = enter_order(page, live_server, world, with_line=True)
    with system():
        lines = list(SalesOrderLine.select().where(SalesOrderLine.order == oid))
        order = SalesOrder.get_by_id(oid)
    assert [(x.product_id, x.quantity, x.unit_price) for x in lines] == [
        (world.product.id, QUANTITY, PRICE)
    ]
    assert order.total == TOTAL


def test_sales_order_submitted_verified_paid_shipped_and_printed(live_server, page, world):
    base = live_server
    with system():
        StockMove(
            product=world.product.id, location=world.hq.id, quantity=OPENING_STOCK, kind="inbound"
        ).save()
        assert points.balance(world.c_sales1.id) == 0

    # 1. sales1 enters the order, gets its product line, and submits it from the list.
    act_as(page, base, "sales1")
    oid = enter_order(page, base, world, with_line=True)
    with system():
        order = SalesOrder.get_by_id(oid)
    number = order.number
    assert order.status == "draft" and order.created_by_id == world.sales1.id
    assert order.delivery == "pickup" and order.payment_method == "wechat"
    assert order.subtotal == order.total == TOTAL
    page.goto(f"{base}/admin/sales_order/details/?id={oid}")
    lines = page.get_by_test_id("lines").locator("tbody tr")
    expect(lines).to_have_count(1)
    expect(lines).to_contain_text(f"HP-001 {world.product.name}")
    expect(lines.locator("td").nth(4)).to_have_text(f"¥{TOTAL:.2f}")  # after the list price

    run_action(page, base, oid, "submit", "Submit")
    expect_moved(page, oid, "Submitted", "submitted")

    # 2. The sales supervisor verifies it.
    act_as(page, base, "supervisor")
    run_action(page, base, oid, "to_verified", "Approve: Verified")
    expect_moved(page, oid, "Verified", "verified")

    # 3. Finance confirms the payment: the customer earns one point per yuan.
    act_as(page, base, "finance")
    run_action(page, base, oid, "to_paid", "Approve: Paid")
    expect_moved(page, oid, "Paid", "paid")
    with system():
        order = SalesOrder.get_by_id(oid)
        assert order.points_earned == int(TOTAL) == 396
        assert order.paid_amount == TOTAL and order.paid_at is not None
        assert points.balance(world.c_sales1.id) == 396

    # 4. The warehouse ships it from WH01: two bottles leave the opening stock.
    act_as(page, base, "warehouse")
    run_action(page, base, oid, "to_shipped", "Approve: Shipped")
    expect_moved(page, oid, "Shipped", "shipped")
    with system():
        order = SalesOrder.get_by_id(oid)
        assert order.ship_from_id == world.hq.id and order.shipped_at is not None
        assert StockMove.on_hand(world.product.id, world.hq.id) == OPENING_STOCK - QUANTITY == 48

    # 5. Finance opens the details and prints every voucher; the waybill is not for a pickup.
    act_as(page, base, "finance")
    details = f"{base}/admin/sales_order/details/?id={oid}"
    page.goto(details)
    expect(page.locator(".alert-danger")).to_have_count(0)
    links = page.get_by_test_id("vouchers").locator("a")
    expect(links).to_have_count(len(PDF_VOUCHERS))  # only the vouchers this order may print
    hrefs = {}
    for i in range(links.count()):
        href = links.nth(i).get_attribute("href")
        url = urlparse(href)
        kind = url.path.rstrip("/").rsplit("/", 1)[-1]
        assert url.path == f"/admin/sales_order/print/{kind}/", href
        assert parse_qs(url.query) == {"ids": [str(oid)]}, href
        hrefs[kind] = href
    assert sorted(hrefs) == sorted(PDF_VOUCHERS)
    hrefs[WAYBILL] = f"/admin/sales_order/print/{WAYBILL}/?ids={oid}"  # typed in by hand
    stem = number.split("-", 1)[1]  # SO-20261128-0001 -> 20261128-0001
    for kind in PDF_VOUCHERS:
        response = page.request.get(base + hrefs[kind])
        assert response.status == 200, (kind, response.status)
        assert response.headers["content-type"] == "application/pdf", (kind, response.headers)
        data = response.body()
        assert data.startswith(b"%PDF"), kind
        text = pdf_text(data)
        assert stem in text and voucher_number(kind, order) in text, (kind, text[:300])
        assert CUSTOMER in text, (kind, text[:300])

    waybill = page.request.get(base + hrefs[WAYBILL])
    assert waybill.status == 200  # the redirect back to the list, followed
    assert waybill.headers["content-type"].startswith("text/html"), waybill.headers
    assert not waybill.body().startswith(b"%PDF")
    assert urlparse(waybill.url).path == "/admin/sales_order/", waybill.url
    refusal = f"{number} is for pickup: the express waybill is only for express orders."
    assert refusal in waybill.text(), waybill.text()[:2000]
    assert "None of the selected records can be printed." in waybill.text()

    # 6. The details page's timeline lists the four steps, each by its own person.
    page.goto(details)
    status = page.locator("table.searchable tr", has=page.get_by_text("Status", exact=True))
    expect(status.locator(".badge")).to_have_text("Shipped")
    rows = page.get_by_test_id("timeline").locator("li")
    expect(rows).to_have_count(len(CHAIN))
    for i, (a, b, who) in enumerate(CHAIN):
        expect(rows.nth(i)).to_contain_text(f"{a.capitalize()} → {b.capitalize()}")
        expect(rows.nth(i)).to_contain_text(who.title())
    with system():
        logged = Transition.history("sales_order", oid)
        assert [(t.from_state, t.to_state, t.by_name) for t in logged] == CHAIN
    expect(page.get_by_test_id("lines")).to_contain_text("HP-001")
    shoot(page, "journey_sales_details.png")


def open_step(page, base: str, oid: int, action: str) -> None:
    """Open the record page and the step's form in place (a <details> under its button)."""
    page.goto(f"{base}/admin/sales_order/details/?id={oid}")
    page.get_by_test_id(f"step-{action}").click()


def take_step(page, action: str) -> None:
    with page.expect_navigation():
        page.get_by_test_id(f"do-{action}").click()


def test_verify_pay_and_ship_from_the_record_page_in_chinese(live_server, page, world):
    """Issue 8 items 5 and 7: each person works on the record page, in zh_CN; the step forms
    (amount received, payment reference; courier, tracking number) open in place and a wrong
    value comes back next to its field."""
    base = live_server
    with system():
        StockMove(
            product=world.product.id, location=world.hq.id, quantity=OPENING_STOCK, kind="inbound"
        ).save()
    with system(), acting(world.sales1):
        order = SalesOrder(
            customer=world.c_sales1.id,
            delivery="express",
            recipient="王建军",
            recipient_phone="13812345678",
            address="南京市鼓楼区中山北路288号",
        )
        order.save()
        SalesOrderLine(
            order=order.id, product=world.product.id, quantity=QUANTITY, unit_price=PRICE
        ).save()
        take(SalesOrder.get_by_id(order.id), "submit")  # fmt: skip
    oid = order.id

    act_as(page, base, "supervisor")
    set_language(page, "zh_CN")
    page.goto(f"{base}/admin/sales_order/details/?id={oid}")
    expect(page.get_by_test_id("steps").locator("[data-testid^=step-]")).to_have_text(
        ["审核通过", "驳回到草稿…"]
    )
    expect(page.get_by_test_id("waiting")).to_contain_text("审核通过")
    take_step_button = page.get_by_test_id("step-verify")
    with page.expect_navigation():
        take_step_button.click()
    expect(page.get_by_test_id("state")).to_have_text("已审核")
    expect(page.get_by_test_id("waiting")).to_contain_text("财务")

    act_as(page, base, "finance")
    set_language(page, "zh_CN")
    open_step(page, base, oid, "confirm_payment")
    expect(page.locator("#confirm_payment-paid_amount")).to_have_value(f"{TOTAL:.2f}")
    page.fill("#confirm_payment-paid_amount", "300")
    page.fill("#confirm_payment-payment_ref", "WX20261128001")
    take_step(page, "confirm_payment")
    expect(page.get_by_test_id("error-paid_amount")).to_contain_text(f"¥{TOTAL:.2f}")
    expect(page.locator("details[data-action=confirm_payment]")).to_have_attribute("open", "")
    page.fill("#confirm_payment-paid_amount", f"{TOTAL:.2f}")
    take_step(page, "confirm_payment")
    expect(page.get_by_test_id("state")).to_have_text("已收款")

    act_as(page, base, "warehouse")
    set_language(page, "zh_CN")
    open_step(page, base, oid, "ship")
    page.select_option("#ship-courier", "顺丰速运")
    take_step(page, "ship")
    expect(page.get_by_test_id("error-tracking_no")).to_contain_text("快递单号")
    page.set_viewport_size({"width": 768, "height": 1024})
    shoot(page, "record_page_ship_refused_768.png")
    page.set_viewport_size({"width": 1366, "height": 900})
    shoot(page, "record_page_ship_refused_1366.png")
    page.fill("#ship-tracking_no", "SF1234567890")
    take_step(page, "ship")
    expect(page.get_by_test_id("state")).to_have_text("已出库")
    expect(page.get_by_test_id("waiting")).to_contain_text("无待办")
    timeline = page.get_by_test_id("timeline").locator("li")
    expect(timeline).to_have_count(4)
    expect(timeline.nth(2)).to_contain_text("确认收款")
    expect(timeline.nth(3)).to_contain_text("出库发货")
    shoot(page, "record_page_shipped_1366.png")
    page.set_viewport_size({"width": 768, "height": 1024})
    shoot(page, "record_page_shipped_768.png")
    with system():
        done = SalesOrder.get_by_id(oid)
    assert (done.status, done.paid_amount, done.payment_ref) == ("shipped", TOTAL, "WX20261128001")
    assert (done.courier, done.tracking_no) == ("顺丰速运", "SF1234567890")
