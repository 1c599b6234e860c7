"""Sales vouchers (B6): six PDFs per order, read back; printable only in the right state."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from decimal import Decimal

import pypdf
import pytest
from reportlab.graphics.barcode.code128 import Code128

import printouts
import rules
from models.sales import SalesOrder, SalesOrderLine
from models.stock import StockMove
from printouts import PrintError
from printouts.numerals import rmb_upper
from printouts.vouchers import TITLES, voucher_number
from rules import RuleViolation, acting_as, approval
from rules import points as points_ledger
from rules.printing import PRINTABLE, check_printable
from rules.sales import approve_discount
from tests.conftest import actor_of, system

needs_pdftotext = pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
KINDS = list(TITLES)
CHAIN = ("submitted", "verified", "paid", "shipped")
OPENING_POINTS = 1000


def pdf_text(data: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    )
    return done.stdout.decode("utf-8")


def squeeze(text: str) -> str:
    return "".join(text.split())


def pdf_rows(data: bytes) -> list[str]:
    """The PDF's lines as laid out on paper, spaces squeezed out: a label beside its figure."""
    done = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],
        input=data,
        capture_output=True,
        check=True,
    )
    return [squeeze(line) for line in done.stdout.decode("utf-8").splitlines()]


# --- 人民币大写 ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount, words",
    [
        ("198.50", "人民币壹佰玖拾捌元伍角整"),
        ("1000.05", "人民币壹仟元零伍分"),
        ("100.10", "人民币壹佰元壹角整"),
        ("0.50", "人民币伍角整"),
        ("0.05", "人民币伍分"),
        ("10010", "人民币壹万零壹拾元整"),
        ("0", "人民币零元整"),
        ("0.00", "人民币零元整"),
        ("10", "人民币壹拾元整"),
        ("1001", "人民币壹仟零壹元整"),
        ("1010.50", "人民币壹仟零壹拾元伍角整"),
        ("1.23", "人民币壹元贰角叁分"),
        ("381", "人民币叁佰捌拾壹元整"),
        ("100000000", "人民币壹亿元整"),
        ("100001000", "人民币壹亿零壹仟元整"),
        ("101000000.01", "人民币壹亿零壹佰万元零壹分"),
        ("20000000", "人民币贰仟万元整"),
    ],
)
def test_rmb_upper(amount, words):
    assert rmb_upper(Decimal(amount)) == words


@pytest.mark.parametrize(
    "amount, error",
    [
        (Decimal("-0.01"), ValueError),
        (Decimal("-198.50"), ValueError),
        (Decimal("1.005"), ValueError),
        (Decimal("NaN"), ValueError),
        (Decimal("1000000000000"), ValueError),
        (198.5, TypeError),
        ("198.50", TypeError),
        (True, TypeError),
    ],
)
def test_rmb_upper_refuses(amount, error):
    with pytest.raises(error):
        rmb_upper(amount)


# --- orders to print -----------------------------------------------------------------------


@pytest.fixture
def shop(world):
    """Stock at the warehouse and opening points for 王秀英 (sales1's customer)."""
    with system():
        StockMove(product=world.product, location=world.hq, quantity=100, kind="inbound").save()
        points_ledger.post(world.c_sales1.id, OPENING_POINTS, "earn", "opening", rules.SYSTEM)
    return world


def make_order(world, delivery="pickup", to="shipped", lines=None, **fields):
    """An order by sales1 for 王秀英, moved along the approval chain up to state `to`."""
    fields = {"discount": Decimal("10.00"), "points_redeemed": 500, **fields}
    if delivery == "express":
        fields.setdefault("address", "江苏省南京市鼓楼区中山北路288号")
    lines = lines or [(2, Decimal("198.00"), False), (1, Decimal("0.00"), True)]
    with system(), acting_as(actor_of(world.sales1)):
        order = SalesOrder(customer=world.c_sales1, delivery=delivery, **fields)
        order.save()
        for quantity, price, gift in lines:
            SalesOrderLine(
                order=order,
                product=world.product,
                quantity=quantity,
                unit_price=price,
                is_gift=gift,
            ).save()
    people = dict(
        zip(CHAIN, (world.sales1, world.supervisor, world.finance, world.warehouse), strict=True)
    )
    for state in CHAIN[: CHAIN.index(to) + 1] if to != "draft" else ():
        with system(), acting_as(actor_of(people[state])):
            row = SalesOrder.get_by_id(order.id)
            if state == "paid" and row.discount_flagged:  # the gift is a discount too (B3)
                approve_discount(row)
                row = SalesOrder.get_by_id(order.id)
            approval.approve(row, values=SHIPPED if state == "shipped" else None)
    with system():
        return SalesOrder.get_by_id(order.id)


#: The ship step's form (issue 8 item 5): an express parcel's courier and tracking number.
SHIPPED = {"courier": "顺丰速运", "tracking_no": "SF1234567890"}


def delivery_for(kind: str) -> str:
    return "express" if kind == "express_waybill" else "pickup"


def render(kind, *orders) -> bytes:
    with system():
        return printouts.render_pdf(kind, list(orders))


# --- each voucher, read back ---------------------------------------------------------------


def expected_figures(kind: str) -> list[str]:
    """What the standard order (2 × ¥198.00, a gift, ¥10.00 off, 500 points) must show."""
    cfg = rules.settings().sales
    value = f"{Decimal(500) * cfg.yuan_per_point:.2f}"  # ¥5.00 at 0.01/point
    total = Decimal("396.00") - Decimal("10.00") - Decimal(value)
    earned = int(total * cfg.points_per_yuan)
    return {
        "sales_invoice": ["396.00", "-10.00", f"-{value}", f"{total:.2f}", rmb_upper(total)],
        "sales_receipt": ["396.00", f"{total:.2f}", "微信支付", f"+{earned}"],
        "payment_receipt": [f"{total:.2f}", rmb_upper(total), "微信支付"],
        "pickup_voucher": ["蜂胶软胶囊", "赠品", "合计数量 Total quantity 3"],
        "express_waybill": [
            *("蜂胶软胶囊×2瓶", "3件", "江苏省南京市鼓楼区中山北路288号"),
            *SHIPPED.values(),  # the ship step's form
        ],
        "points_slip": [
            str(OPENING_POINTS),
            "-500",
            value,
            f"+{earned}",
            str(OPENING_POINTS - 500 + earned),
        ],
    }[kind]


@needs_pdftotext
@pytest.mark.parametrize("kind", KINDS)
def test_voucher_reads_back_in_chinese(shop, kind):
    order = make_order(shop, delivery_for(kind))
    data = render(kind, order)
    text = squeeze(pdf_text(data))
    assert data.startswith(b"%PDF")
    assert TITLES[kind] in text
    assert voucher_number(kind, order) in text
    assert shop.c_sales1.name in text
    assert squeeze(rules.settings().company.name) in text
    assert "■" not in text
    rows = pdf_rows(data)  # a label beside its figure, whatever order the text was drawn in
    for figure in expected_figures(kind):
        found = squeeze(figure) in text or any(squeeze(figure) in row for row in rows)
        assert found, f"{kind}: {figure} missing"


@pytest.mark.parametrize("kind", KINDS)
def test_voucher_number_is_the_kind_prefix_and_order_number(shop, kind):
    order = make_order(shop, delivery_for(kind), to="submitted")
    stem = order.number.split("-", 1)[1]
    assert voucher_number(kind, order) == f"{printouts.PREFIXES[kind]}-{stem}"
    assert printouts.printout_number(kind, order) == voucher_number(kind, order)


def test_voucher_numbers_are_unique_per_kind_and_order(shop):
    orders = [make_order(shop, to="submitted") for _ in range(2)]
    numbers = {voucher_number(kind, order) for kind in KINDS for order in orders}
    assert len(numbers) == len(KINDS) * len(orders)
    assert len(set(printouts.PREFIXES[k] for k in KINDS)) == len(KINDS)


@needs_pdftotext
def test_points_slip_shows_the_ledger_before_and_after(shop):
    order = make_order(shop, to="paid")
    earned = order.points_earned
    rows = pdf_rows(render("points_slip", order))
    value = f"{Decimal(500) * rules.settings().sales.yuan_per_point:.2f}"
    assert f"原有积分{OPENING_POINTS}" in rows
    assert "本单使用积分-500" in rows
    assert f"抵扣金额¥{value}" in rows
    assert f"本单获得积分+{earned}" in rows
    assert f"现有积分{OPENING_POINTS - 500 + earned}" in rows
    assert points_ledger.balance(shop.c_sales1.id) == OPENING_POINTS - 500 + earned


@needs_pdftotext
def test_payment_receipt_has_the_amount_in_capitals(shop):
    order = make_order(shop, to="paid", discount=Decimal("0.00"), points_redeemed=0)
    text = squeeze(pdf_text(render("payment_receipt", order)))
    assert "人民币叁佰玖拾陆元整" in text
    assert "396.00" in text
    assert order.number in text


def bar_pattern(data: bytes) -> str:
    """The barcode's bars and gaps as ReportLab writes a decomposed Code 128 (Bb = 2 units)."""
    stream = pypdf.PdfReader(io.BytesIO(data)).pages[0].get_contents().get_data().decode("latin-1")
    bars = [
        (float(x), float(w)) for x, w in re.findall(r"([\d.]+) 0 ([\d.]+) [\d.]+ re f\*", stream)
    ]
    assert bars, "no barcode bars on the page"
    unit = min(w for _, w in bars)
    letters = []
    for i, (x, width) in enumerate(bars):
        if i:
            gap = x - (bars[i - 1][0] + bars[i - 1][1])
            letters.append(chr(ord("a") + round(gap / unit) - 1))
        letters.append(chr(ord("A") + round(width / unit) - 1))
    return "".join(letters)


def code128(value: str) -> str:
    symbol = Code128(value)
    symbol.validate()
    symbol.encode()
    symbol.decompose()
    return symbol.decomposed


@needs_pdftotext
def test_waybill_has_a_code128_barcode_of_its_number(shop):
    order = make_order(
        shop, "express", recipient="王建军", recipient_phone="13812345678", address="南京市"
    )
    data = render("express_waybill", order)
    number = voucher_number("express_waybill", order)
    assert bar_pattern(data) == code128(number)
    text = squeeze(pdf_text(data))
    assert number in text
    assert "王建军" in text and "13812345678" in text
    company = rules.settings().company
    assert squeeze(company.address) in text and squeeze(company.phone) in text


def test_an_imported_number_is_kept_whole_and_a_bad_barcode_is_an_error(shop):
    order = make_order(shop, "express", to="paid", number="导入-0001")
    assert voucher_number("express_waybill", order) == "KD-导入-0001"
    assert voucher_number("sales_invoice", order) == "FP-导入-0001"
    with pytest.raises(PrintError, match="barcode"):
        render("express_waybill", order)  # Code 128 cannot carry Chinese: no label without it


@needs_pdftotext
def test_markup_in_order_fields_prints_as_text(shop):
    payload = '<img src="file:///etc/passwd">'
    order = make_order(shop, "express", recipient=payload, address=f"南京市{payload}", note=payload)
    for kind in ("sales_invoice", "express_waybill"):
        data = render(kind, order)
        text = squeeze(pdf_text(data))
        assert squeeze(payload) in text and "root:" not in text
        assert not any(
            ref.get_object().get("/Subtype") == "/Image"
            for page in pypdf.PdfReader(io.BytesIO(data)).pages
            for ref in page.get("/Resources", {}).get("/XObject", {}).values()
        )


@needs_pdftotext
def test_points_slip_for_an_order_that_moved_no_points(shop):
    order = make_order(
        shop,
        lines=[(1, Decimal("0.00"), True)],
        discount=Decimal("0.00"),
        points_redeemed=0,
        to="paid",
    )
    rows = pdf_rows(render("points_slip", order))
    assert f"原有积分{OPENING_POINTS}" in rows
    assert "本单使用积分0" in rows and "本单获得积分0" in rows
    assert f"现有积分{OPENING_POINTS}" in rows


# --- when a voucher may be printed -----------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_draft_is_refused_for_every_voucher(shop, kind):
    order = make_order(shop, delivery_for(kind), to="draft")
    with pytest.raises(RuleViolation) as caught:
        render(kind, order)
    message = caught.value.message()
    assert order.number in message
    assert "draft" in message
    assert ("submitted" if kind == "sales_invoice" else "paid or shipped") in message
    with system(), pytest.raises(RuleViolation):
        printouts.render_html(kind, [order])  # a preview obeys the same rule


EXPECTED = {  # state -> the kinds printable in it (for the order's own delivery)
    "submitted": {"sales_invoice"},
    "verified": {"sales_invoice"},
    "paid": set(KINDS),
    "shipped": set(KINDS),
}


@pytest.mark.parametrize("delivery", ["pickup", "express"])
def test_printable_states_along_the_chain(shop, delivery):
    order = make_order(shop, delivery, to="draft")
    people = (shop.sales1, shop.supervisor, shop.finance, shop.warehouse)
    wrong = "express_waybill" if delivery == "pickup" else "pickup_voucher"
    for state, person in zip(CHAIN, people, strict=True):
        with system(), acting_as(actor_of(person)):
            if state == "paid":  # the gift line is a discount above the limit (B3)
                approve_discount(order)
                order = SalesOrder.get_by_id(order.id)
            approval.approve(order, values=SHIPPED if state == "shipped" else None)
        assert order.status == state
        for kind in KINDS:
            allowed = kind in EXPECTED[state] and kind != wrong
            assert PRINTABLE[kind](order) is allowed, (state, kind)
            if not allowed:
                with pytest.raises(RuleViolation, match=order.number):
                    check_printable(kind, order)


def test_a_cancelled_order_prints_nothing(shop):
    order = make_order(shop, to="submitted")
    with system(), acting_as(actor_of(shop.sales1)):
        approval.cancel(order, "客户改主意")
    for kind in KINDS:
        with pytest.raises(RuleViolation, match="cancelled"):
            check_printable(kind, order)


def test_pickup_and_express_vouchers_are_exclusive(shop):
    pickup = make_order(shop, "pickup", to="paid")
    express = make_order(shop, "express", to="paid")
    with pytest.raises(RuleViolation) as caught:
        render("express_waybill", pickup)
    assert pickup.number in caught.value.message() and "pickup" in caught.value.message()
    with pytest.raises(RuleViolation) as caught:
        render("pickup_voucher", express)
    assert express.number in caught.value.message() and "express" in caught.value.message()
    assert render("pickup_voucher", pickup).startswith(b"%PDF")
    assert render("express_waybill", express).startswith(b"%PDF")


def test_one_refused_order_refuses_the_whole_print_naming_it(shop):
    paid = make_order(shop, to="paid")
    draft = make_order(shop, to="draft")
    with pytest.raises(RuleViolation) as caught:
        render("sales_receipt", paid, draft)
    assert draft.number in caught.value.message()
    assert paid.number not in caught.value.message()


def test_unknown_kind_has_no_printing_rule():
    with pytest.raises(ValueError, match="no printing rule"):
        check_printable("customer_card", object())


# --- several orders, one PDF -----------------------------------------------------------------


@needs_pdftotext
@pytest.mark.parametrize("kind", KINDS)
def test_several_orders_print_as_one_pdf_one_page_each(shop, kind):
    orders = [make_order(shop, delivery_for(kind), to="shipped") for _ in range(3)]
    data = render(kind, *orders)
    assert len(pypdf.PdfReader(io.BytesIO(data)).pages) == len(orders)
    pages = pdf_text(data).split("\f")
    for page, order in zip(pages, orders, strict=False):
        assert voucher_number(kind, order) in squeeze(page)
