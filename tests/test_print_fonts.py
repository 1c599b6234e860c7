"""Printing fonts (B6, issue 7 §13): a chain of embedded TrueType fonts, per-character fallback.

The chain is the main font ([printing] font, else one installed on this machine) and then the
bundled Sarasa Mono SC (PyPI package `impaper`). A character the main font lacks is drawn from
the bundled one; every font in the PDF is embedded (pdffonts: emb yes). `printing.system_fonts =
false` hides the machine's fonts, as on a machine with no CJK font installed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import reportlab

import printouts
from models import MODELS
from models.customers import Customer
from printouts import fonts
from printouts.fonts import PrintError
from printouts.vouchers import TITLES
from rules import acting_as, i18n
from rules.config import ConfigError, load_settings
from tasks import JOBS
from tests.conftest import actor_of, system
from tests.test_config import flask_cli, variant
from tests.test_vouchers import delivery_for, make_order, render, shop, squeeze  # noqa: F401

needs_poppler = pytest.mark.skipif(
    not (shutil.which("pdftotext") and shutil.which("pdffonts")), reason="needs poppler-utils"
)
WQY = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
needs_wqy = pytest.mark.skipif(not WQY.is_file(), reason="needs fonts-wqy-microhei")
KINDS = list(TITLES)
RARE_NAME = "刘䶮"  # U+4DAE, CJK Ext. A: not in wqy-microhei, nor in GBK's STSong-Light
COMPANY = "上海堃喆健康产品有限公司"  # 堃 喆: names common in China, absent from older fonts
TEMPLATES = printouts.TEMPLATES_DIR
WITH_YEN = [k for k in KINDS if "¥" in (TEMPLATES / printouts.KINDS[k]).read_text("utf-8")]
LATIN_TTF = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"  # ReportLab's Latin font


def pdf_text(data: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    )
    return done.stdout.decode("utf-8")


def pdf_fonts(data: bytes, tmp_path: Path) -> list[dict[str, str]]:
    """pdffonts' table: each font's name, type and whether it is embedded."""
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    done = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True)
    rows = []
    for line in done.stdout.splitlines()[2:]:
        parts = line.split()  # name type... encoding emb sub uni object-id (2 columns)
        rows.append({"name": parts[0], "type": " ".join(parts[1:-6]), "emb": parts[-5]})
    return rows


@pytest.fixture
def overrides(overrides):
    """As on a machine with no CJK font: only the bundled fallback, and a company name that
    needs rarer characters."""
    return {**overrides, "printing": {"system_fonts": False}, "company": {"name": COMPANY}}


@pytest.fixture
def rare_shop(shop):  # noqa: F811 (the fixture imported from test_vouchers)
    with system():
        Customer.update(name=RARE_NAME).where(Customer.id == shop.c_sales1.id).execute()
    return shop


def test_the_bundled_font_is_installed_and_usable():
    path = fonts.bundled_font()
    assert path is not None and path.is_file(), "pip install -r requirements.txt (impaper)"
    assert fonts.unusable_reason(path, cjk=True) is None
    face = fonts.load_font(path)
    for char in RARE_NAME + COMPANY + "¥￥":
        assert face.has_glyph(char), char


def test_no_system_font_leaves_only_the_bundled_one(app):
    chain = fonts.current_fonts()
    assert [f.path for f in chain.fonts] == [fonts.bundled_font()]


@needs_poppler
@pytest.mark.parametrize("kind", KINDS)
def test_every_voucher_prints_with_only_the_bundled_font(rare_shop, kind, tmp_path):
    order = make_order(rare_shop, delivery_for(kind))
    data = render(kind, order)
    text = squeeze(pdf_text(data))
    for word in (RARE_NAME, COMPANY, TITLES[kind]):
        assert word in text, word
    if kind in WITH_YEN:
        assert "¥" in text
    used = pdf_fonts(data, tmp_path)
    assert used, "no font in the PDF"
    assert all(row["emb"] == "yes" for row in used), used
    assert all("Sarasa" in row["name"] for row in used), used


@needs_poppler
def test_the_customer_card_prints_with_only_the_bundled_font(rare_shop, tmp_path):
    with system():
        data = printouts.render_pdf("customer_card", [Customer.get_by_id(rare_shop.c_sales1.id)])
    assert RARE_NAME in squeeze(pdf_text(data))
    assert all(row["emb"] == "yes" for row in pdf_fonts(data, tmp_path))


class TestWithTheSystemFont:
    """wqy-microhei is the main font; what it lacks (䶮) comes from the bundled one."""

    @pytest.fixture
    def overrides(self, overrides):
        return {**overrides, "printing": {"system_fonts": True}}

    @needs_wqy
    def test_the_chain_is_the_system_font_then_the_bundled_one(self, app):
        chain = fonts.current_fonts()
        assert [f.path for f in chain.fonts] == [WQY.resolve(), fonts.bundled_font()]

    @needs_wqy
    @needs_poppler
    @pytest.mark.parametrize("kind", KINDS)
    def test_a_rare_character_comes_from_the_fallback(self, rare_shop, kind, tmp_path):
        order = make_order(rare_shop, delivery_for(kind))
        data = render(kind, order)
        text = squeeze(pdf_text(data))
        assert RARE_NAME in text and COMPANY in text
        if kind in WITH_YEN:
            assert "¥" in text
        used = pdf_fonts(data, tmp_path)
        assert all(row["emb"] == "yes" for row in used), used
        names = " ".join(row["name"] for row in used)
        assert "WenQuanYi" in names and "Sarasa" in names, used


# --- a character no font has ---------------------------------------------------------------


@needs_poppler
def test_a_character_no_font_has_names_it_and_its_field_in_chinese(rare_shop):
    order = make_order(rare_shop, "pickup")
    with system():
        Customer.update(name="王\U0001f600英").where(Customer.id == rare_shop.c_sales1.id).execute()
    token = i18n.locale.set("zh_CN")
    try:
        with pytest.raises(PrintError) as caught:
            render("pickup_voucher", order)
    finally:
        i18n.locale.reset(token)
    message = str(caught.value)
    assert "\U0001f600" in message and "U+1F600" in message
    assert "客户" in message and "姓名" in message and "王\U0001f600英" in message
    assert "font" not in message.lower() and "name" not in message

    # the fix is on the customer: the order stays paid-and-shipped, the voucher reads the
    # customer's current name
    with system(), acting_as(actor_of(rare_shop.sales1)):  # the customer's salesperson
        customer = Customer.get_by_id(rare_shop.c_sales1.id)
        customer.name = "王小英"
        customer.save()
    with system():
        order = type(order).get_by_id(order.id)  # as the next print request loads it
    assert order.status == "shipped"
    data = render("pickup_voucher", order)
    assert "王小英" in squeeze(pdf_text(data))


@needs_poppler
def test_the_print_button_says_so_in_chinese_and_prints_once_the_customer_is_fixed(
    rare_shop, as_user
):
    order = make_order(rare_shop, "pickup")
    with system():
        Customer.update(name="王\U0001f600英").where(Customer.id == rare_shop.c_sales1.id).execute()
    c = as_user("sales1")  # the demo config's language is zh_CN
    url = f"/admin/sales_order/print/pickup_voucher/?ids={order.id}"
    page = c.get(url, follow_redirects=True).get_data(as_text=True)
    assert "打印失败" in page and "U+1F600" in page and "客户“王\U0001f600英”的姓名" in page
    with system(), acting_as(actor_of(rare_shop.sales1)):
        customer = Customer.get_by_id(rare_shop.c_sales1.id)
        customer.name = "王小英"
        customer.save()
    response = c.get(url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "王小英" in squeeze(pdf_text(response.data))


def test_a_missing_character_in_the_company_name_points_at_the_settings(app, monkeypatch):
    where = printouts.missing.locate("\U0001f600", [{"record": object()}])
    assert where == ["the printout template or the company settings ([company] in config.toml)"]


# --- checking the configured font ----------------------------------------------------------


def config_errors(font: str) -> list[str]:
    try:
        load_settings(None, {"printing": {"font": font}}, models=MODELS, jobs=set(JOBS))
    except ConfigError as exc:
        return exc.errors
    return []


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda d: d / "missing.ttf", "file not found"),
        (lambda d: _write(d / "notes.ttf", b"just some text, not a font at all"), "not a"),
        (lambda d: _write(d / "cff.otf", b"OTTO" + bytes(60)), "CFF"),
        (lambda d: Path(shutil.copy(LATIN_TTF, d / "latin.ttf")), "Chinese"),
    ],
    ids=["missing", "not-a-font", "cff", "no-cjk"],
)
def test_config_check_names_printing_font(tmp_path, make, reason):
    path = make(tmp_path)
    errors = config_errors(str(path))
    assert len(errors) == 1 and errors[0].startswith("printing.font: ") and reason in errors[0]


def test_check_config_cli_names_printing_font(tmp_path):
    done = flask_cli("check-config", str(variant(tmp_path, 'font = ""', 'font = "/no/such.ttf"')))
    assert done.returncode == 1
    assert "printing.font: " in done.stdout and "file not found" in done.stdout


def test_the_bundled_font_passes_the_config_check():
    assert config_errors(str(fonts.bundled_font())) == []


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --- what `make install` says ---------------------------------------------------------------


def test_install_report_says_plainly_when_no_cjk_font_is_installed():
    lines = fonts.install_report(configured="", system_fonts=False)
    text = "\n".join(lines)
    assert "No CJK TrueType font is installed" in text
    assert "apt-get install fonts-wqy-microhei" in text and "[printing] font" in text
    assert "Sarasa Mono SC" in text


@needs_wqy
def test_install_report_names_the_chain():
    text = "\n".join(fonts.install_report(configured="", system_fonts=True))
    assert "wqy-microhei.ttc" in text and "Sarasa Mono SC" in text
    assert "No CJK TrueType font" not in text


def test_install_report_fails_without_the_bundled_font(monkeypatch):
    monkeypatch.setattr(fonts, "bundled_font", lambda: None)
    with pytest.raises(PrintError, match="impaper"):
        fonts.install_report(configured="", system_fonts=False)
