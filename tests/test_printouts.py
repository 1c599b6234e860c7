"""Printouts (B6): the customer card as a real PDF, read back with pdftotext and pypdf."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pypdf
import pytest
from xhtml2pdf.config.resources import ResourceAccessError

import printouts
import rules
from admin_views.printing import pdf_response
from printouts import fonts
from printouts.fonts import PrintError, find_font_file, unusable_reason
from tests.conftest import World, system

WQY = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
needs_pdftotext = pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
needs_wqy = pytest.mark.skipif(not WQY.is_file(), reason="needs fonts-wqy-microhei")


def pdf_text(data: bytes) -> str:
    """The PDF's text as pdftotext reads it."""
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    )
    return done.stdout.decode("utf-8")


def squeeze(text: str) -> str:
    return "".join(text.split())


def card(*customers) -> bytes:
    with system():
        return printouts.render_pdf("customer_card", list(customers))


def image_xobjects(data: bytes) -> list[str]:
    """Names of the image XObjects on any page."""
    found = []
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        xobjects = page.get("/Resources", {}).get("/XObject", {})
        for name, ref in xobjects.items():
            if ref.get_object().get("/Subtype") == "/Image":
                found.append(name)
    return found


def embedded_fonts(data: bytes) -> list[str]:
    """Base names of the TrueType fonts embedded in the PDF's first page."""
    names = []
    for ref in pypdf.PdfReader(io.BytesIO(data)).pages[0]["/Resources"]["/Font"].values():
        font = ref.get_object()
        descriptor = font.get("/FontDescriptor")
        if descriptor is not None and "/FontFile2" in descriptor.get_object():
            names.append(str(font["/BaseFont"]))
    return names


@pytest.fixture
def spy_server():
    """A local HTTP server that records every request it gets."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server API)
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()


# --- the customer card ---------------------------------------------------------------------


@needs_pdftotext
def test_card_reads_back_in_chinese(world):
    data = card(world.c_sales1)
    text = pdf_text(data)
    company = rules.settings().company
    assert data.startswith(b"%PDF")
    assert "王秀英" in text
    assert "13900000001" in text
    assert company.name in text
    assert f"KH-{world.c_sales1.id:06d}" in text
    assert "客户资料卡" in text
    assert "上海市静安区" in text
    assert "Sales1" in text  # the owner
    assert "■" not in text
    assert embedded_fonts(data), "the CJK font must be embedded"
    on_page = pypdf.PdfReader(io.BytesIO(data)).pages[0]["/Resources"]["/Font"]
    assert len(embedded_fonts(data)) == len(on_page), "every font must be embedded (issue 7 §13)"


def test_card_number():
    class Row:
        def get_id(self):
            return 123

    assert printouts.printout_number("customer_card", Row()) == "KH-000123"


@needs_pdftotext
def test_several_records_print_as_one_pdf_one_page_each(world):
    people = [world.c_sales1, world.c_sales2, world.c_store1]
    data = card(*people)
    pages = pypdf.PdfReader(io.BytesIO(data)).pages
    assert len(pages) == len(people)
    for i, person in enumerate(people):
        one_page = pdf_text(data).split("\f")[i]
        assert person.name in one_page
        assert f"KH-{person.id:06d}" in one_page


def test_unknown_kind_and_empty_list_are_errors(world):
    with pytest.raises(PrintError, match="unknown printout"), system():
        printouts.render_pdf("no_such_voucher", [world.c_sales1])
    with pytest.raises(PrintError, match="nothing to print"):
        card()


# --- nothing a customer types can fetch anything -------------------------------------------

PAYLOADS = [
    '<img src="file:///etc/passwd">',
    '<img src="/etc/passwd">',
    '<img src="{url}/x.png">',
    "<style>@import url({url}/x.css);</style>",
    "@import url({url}/y.css);",
]


@needs_pdftotext
@pytest.mark.parametrize("payload", PAYLOADS)
def test_markup_in_customer_fields_prints_as_text(world, spy_server, payload):
    url, hits = spy_server
    payload = payload.format(url=url)
    with system():
        evil = World.customer(payload, "13900000099")
        evil.address = f"上海市{payload}"
        evil.save()
    data = card(evil)
    text = squeeze(pdf_text(data))
    assert squeeze(payload) in text
    assert squeeze(f"上海市{payload}") in text
    assert "root:" not in text
    assert image_xobjects(data) == []
    assert hits == [], "the renderer fetched a URL"


def test_policy_allows_only_the_template_folder(app):
    policy = printouts.resource_policy()
    assert set(policy.roots) == {printouts.TEMPLATES_DIR.resolve()}
    assert policy.allow_remote is False
    for path in ("/etc/passwd", Path.home() / ".ssh" / "id_rsa", printouts.TEMPLATES_DIR / ".."):
        with pytest.raises(ResourceAccessError):
            policy.check_path(path)
    with pytest.raises(ResourceAccessError):
        policy.check_url("https://example.com/logo.png")
    policy.check_path(printouts.TEMPLATES_DIR / "base.html")


def test_a_blocked_font_is_an_error_not_boxes(world, monkeypatch):
    """The fonts are registered before a render; a template that would read a font file
    outside its folder is refused, not printed in Helvetica boxes."""
    outside = fonts.bundled_font().as_posix()
    face = f'@font-face {{ font-family: "elsewhere"; src: url("{outside}"); }}'
    render_html = printouts.render_html

    def with_font_face(*args, **kwargs):
        html = render_html(*args, **kwargs)
        return html.replace("<style>", f"<style>{face} td {{ font-family: elsewhere; }}", 1)

    monkeypatch.setattr(printouts, "render_html", with_font_face)
    with pytest.raises(PrintError, match="Blocked by the resource policy"):
        card(world.c_sales1)


# --- a missing glyph is an error -----------------------------------------------------------


@pytest.mark.parametrize("char", ["\U0001f600", "\U00020000"])  # 😀, 𠀀 (CJK Ext. B)
def test_a_missing_glyph_is_an_error_naming_it(world, char):
    with system():
        rare = World.customer(f"王{char}英", "13900000098")
    with pytest.raises(PrintError) as caught:
        card(rare)
    message = str(caught.value)
    assert char in message
    assert f"U+{ord(char):04X}" in message


# --- finding the font ----------------------------------------------------------------------


def sfnt(tags: list[bytes], version: bytes = b"\x00\x01\x00\x00") -> bytes:
    """A font file header: sfnt version, table count, and one table record per tag."""
    head = version + struct.pack(">HHHH", len(tags), 0, 0, 0)
    return head + b"".join(tag + bytes(12) for tag in tags)


def ttc(face: bytes) -> bytes:
    """A one-face TrueType collection around `face`."""
    return b"ttcf" + struct.pack(">III", 0x10000, 1, 16) + face


TRUETYPE = sfnt([b"cmap", b"glyf", b"head", b"loca"])
CFF = sfnt([b"CFF ", b"cmap", b"head"], version=b"OTTO")


@pytest.fixture
def font_dir(tmp_path):
    files = {
        "NotoSansCJK-Regular.ttc": ttc(TRUETYPE),  # skipped by name even with a TrueType header
        "SourceLike-Regular.ttf": CFF,  # CFF outlines, whatever the name
        "collection-cff.ttc": ttc(CFF),
        "readme.txt": b"not a font",
        "good.ttc": ttc(TRUETYPE),
        "other.ttf": TRUETYPE,
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return tmp_path


def test_detection_skips_noto_cjk_and_cff_fonts(font_dir):
    order = [
        font_dir / "missing.ttc",
        font_dir / "NotoSansCJK-Regular.ttc",
        font_dir / "SourceLike-Regular.ttf",
        font_dir / "collection-cff.ttc",
        font_dir / "readme.txt",
        font_dir / "good.ttc",
        font_dir / "other.ttf",
    ]
    assert find_font_file("", order) == (font_dir / "good.ttc").resolve()
    assert "CFF" in unusable_reason(font_dir / "NotoSansCJK-Regular.ttc")
    assert "CFF" in unusable_reason(font_dir / "SourceLike-Regular.ttf")
    assert "CFF" in unusable_reason(font_dir / "collection-cff.ttc")
    assert find_font_file("", order[:5]) is None


def test_configured_font_wins(font_dir):
    candidates = [font_dir / "good.ttc"]
    configured = shutil.copy(fonts.bundled_font(), font_dir / "company.ttf")
    assert find_font_file(str(configured), candidates) == Path(configured).resolve()


@pytest.mark.parametrize("name", ["missing.ttf", "NotoSansCJK-Regular.ttc", "readme.txt"])
def test_an_unusable_configured_font_is_an_error(font_dir, name):
    with pytest.raises(PrintError, match=r"\[printing\] font"):
        find_font_file(str(font_dir / name), [font_dir / "good.ttc"])


def test_default_candidates_cover_linux_and_windows_fonts():
    names = [p.name for p in fonts.default_candidates()]
    for name in ("wqy-microhei.ttc", "wqy-zenhei.ttc", "uming.ttc", "msyh.ttc", "simsun.ttc"):
        assert name in names
    assert names.index("wqy-microhei.ttc") == 0


@needs_wqy
def test_installed_wqy_is_usable():
    assert unusable_reason(WQY) is None


class TestConfiguredFont:
    """A font file named in [printing] font is the one the printout embeds."""

    @pytest.fixture
    def font_copy(self, tmp_path_factory):
        if not WQY.is_file():
            pytest.skip("needs fonts-wqy-microhei")
        folder = tmp_path_factory.mktemp("company-fonts")
        return Path(shutil.copy(WQY, folder / "company.ttc"))

    @pytest.fixture
    def overrides(self, overrides, font_copy):
        return {**overrides, "printing": {"font": str(font_copy)}}

    @needs_pdftotext
    def test_render_uses_configured_font(self, world, font_copy):
        chain = fonts.current_fonts()
        assert [f.path for f in chain.fonts] == [font_copy.resolve(), fonts.bundled_font()]
        data = card(world.c_sales1)
        assert "王秀英" in pdf_text(data)
        assert embedded_fonts(data)


# --- the response --------------------------------------------------------------------------


def test_pdf_response_is_inline_with_a_safe_name():
    response = pdf_response(b"%PDF-1.4 test", "客户资料卡_KH-000001.pdf")
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('inline; filename="KH-000001.pdf"')
    assert "filename*=UTF-8''%E5%AE%A2" in disposition
    assert response.get_data() == b"%PDF-1.4 test"

    hostile = pdf_response(b"%PDF", '../../etc/pa"ss\r\nX-Evil: 1')
    disposition = hostile.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    assert "/" not in disposition.split("filename=")[1].split(";")[0]
    assert disposition.count('"') == 2


def test_print_action_prints_only_rows_in_scope(as_user, world):
    """The grid action renders the selected visible rows as one PDF (issue 2 §11)."""
    c = as_user("sales1")
    response = c.post(
        "/admin/customer/action/",
        {"action": "print_card", "rowid": [world.c_sales1.id, world.c_sales2.id]},
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert world.c_sales1.name in text and world.c_sales2.name not in text
