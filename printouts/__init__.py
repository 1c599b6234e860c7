"""Printouts: HTML templates rendered to PDF by xhtml2pdf, in embedded CJK fonts.

``render_pdf("customer_card", [customer])`` returns the PDF bytes. Several records print as one
PDF, one record per page. Templates are autoescaped and the renderer may read only the template
folder, so a customer's name can never pull in a file or a URL. The fonts are a chain
(printouts/fonts.py): each character is drawn with the first font that has it, and a character
none has is an error (``PrintError``, see printouts/missing.py), not a blank box on paper.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from reportlab import rl_config
from reportlab.platypus import tables
from xhtml2pdf import default as pisa_default
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

import rules
from printouts.fonts import FontChain, PrintError, current_fonts

__all__ = ["KINDS", "PrintError", "printout_number", "render_html", "render_pdf"]

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

#: Printout kind -> template in printouts/templates.
KINDS: dict[str, str] = {
    "customer_card": "customer_card.html",
    # the sales vouchers (B6), see printouts/vouchers.py
    "sales_invoice": "sales_invoice.html",
    "sales_receipt": "sales_receipt.html",
    "payment_receipt": "payment_receipt.html",
    "pickup_voucher": "pickup_voucher.html",
    "express_waybill": "express_waybill.html",
    "points_slip": "points_slip.html",
}

#: Printout kind -> prefix of its number ("KH-000123"), for records without a `number`.
PREFIXES: dict[str, str] = {
    "customer_card": "KH",
    # a voucher's number is its prefix and the order's: FP-20261128-0001 for SO-20261128-0001
    "sales_invoice": "FP",
    "sales_receipt": "XP",
    "payment_receipt": "SK",
    "pickup_voucher": "LH",
    "express_waybill": "KD",
    "points_slip": "JF",
}

#: Hooks a printout module (e.g. printouts/vouchers.py) registers for its kinds:
#: kind -> fn(records) raising rules.RuleViolation when a record may not be printed yet,
CHECKS: dict[str, Callable[[list], None]] = {}
#: kind -> fn(record) giving the printout's number (instead of the record's own),
NUMBERS: dict[str, Callable[[Any], str]] = {}
#: kind -> fn(record) giving more context for the record's page (lines, totals, ...).
PAGE_CONTEXT: dict[str, Callable[[Any], dict[str, Any]]] = {}

#: xhtml2pdf warnings that mean the paper would be wrong: a blocked font, a box for a glyph.
FATAL_WARNINGS = (
    "Blocked by the resource policy",
    "No font this document has can draw",
    "None of the font families",
    "Cannot draw the",  # a barcode (the waybill's) that could not be drawn
)

GENDERS = {"F": "女", "M": "男"}

_env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["gender"] = lambda code: GENDERS.get(code or "", "")
_env.filters["blank"] = lambda value: "" if value is None else value


#: The one way printouts write a date, and a time: 2026-11-28, 2026-11-28 14:05.
DATE = "%Y-%m-%d"
TIME = "%Y-%m-%d %H:%M"


def _when(value: date | datetime | None, fmt: str | None = None) -> str:
    """A date as is, a datetime in the configured zone (a naive one is stored UTC); a date
    as DATE and a time as TIME unless the template asks for DATE."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        zone = ZoneInfo(rules.settings().app.timezone)
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone)
        return value.strftime(fmt or TIME)
    return value.strftime(DATE)


_env.filters["when"] = _when
_env.globals["DATE"] = DATE


def file_name(kind: str, records: Sequence[Any]) -> str:
    """A printout's file name: its number (the first one's, and how many more) and the local
    date it was printed, e.g. FP-20261128-0001_20261202.pdf or FP-20261128-0001+2_20261202.pdf."""
    today = datetime.now(ZoneInfo(rules.settings().app.timezone))
    first = printout_number(kind, records[0]) if records else kind
    more = f"+{len(records) - 1}" if len(records) > 1 else ""
    return f"{first}{more}_{today:%Y%m%d}.pdf"


def printout_number(kind: str, record: Any) -> str:
    """The printout's number: the record's own `number` if it has one, else e.g. "KH-000123"."""
    if kind in NUMBERS:
        return NUMBERS[kind](record)
    own = getattr(record, "number", None)
    if own:
        return str(own)
    if kind not in PREFIXES:
        raise PrintError(f'printout "{kind}" has no number prefix and the record no number')
    return f"{PREFIXES[kind]}-{int(record.get_id()):06d}"


def _template_name(kind: str) -> str:
    try:
        return KINDS[kind]
    except KeyError:
        raise PrintError(f'unknown printout "{kind}"; known: {", ".join(sorted(KINDS))}') from None


def page_contexts(kind: str, records: Sequence[Any]) -> list[dict[str, Any]]:
    """What each record's page shows (RuleViolation if a record is not in a state to be
    printed on this kind)."""
    _template_name(kind)  # PrintError for an unknown kind
    if kind in CHECKS:
        CHECKS[kind](list(records))
    extra = PAGE_CONTEXT.get(kind, lambda record: {})
    return [{"record": r, "number": printout_number(kind, r), **extra(r)} for r in records]


def render_html(
    kind: str,
    records: Sequence[Any],
    font: FontChain | None = None,
    pages: list[dict[str, Any]] | None = None,
    **context: Any,
) -> str:
    """The printout's HTML: company header from config, one page per record (RuleViolation
    if a record is not in a state to be printed on this kind)."""
    template = _env.get_template(_template_name(kind))
    pages = page_contexts(kind, records) if pages is None else pages
    font = font or current_fonts()
    settings = rules.settings()
    printed_at = context.pop("printed_at", None) or datetime.now(ZoneInfo(settings.app.timezone))
    return template.render(
        pages=pages,
        company=settings.company,
        printed_at=printed_at,
        font_family=font.family,
        **context,
    )


class _TextCollector(HTMLParser):
    """Collects the text a reader would see: the body's text, no tags, no CSS."""

    SKIP = frozenset({"head", "style", "script", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.SKIP:
            self._skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The text of `html` that ends up on paper (tags, head and CSS left out)."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return "".join(collector.parts)


def resource_policy() -> ResourceAccessPolicy:
    """What a render may read: the template folder, no network (the fonts are registered
    before, printouts/fonts.py)."""
    return ResourceAccessPolicy(allow_remote=False, base_dir=TEMPLATES_DIR)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


@contextmanager
def _xhtml2pdf_warnings() -> Iterator[list[str]]:
    handler = _Collect()
    logger = logging.getLogger("xhtml2pdf")
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


def _start_in(font: FontChain) -> None:
    """Make the main font ReportLab's base font. ReportLab sets its base font, Helvetica, at
    the start of every page, table cell and drawing (the waybill's barcode), so Helvetica
    would be in every PDF, never embedded, though no text is drawn in it. (Process-wide:
    every render of a process has the config's main font.)"""
    rl_config.canvas_basefontname = rl_config.defaultGraphicsFontName = font.base_name
    tables.CellStyle.fontname = font.base_name


def html_to_pdf(html: str, font: FontChain) -> bytes:
    """Run xhtml2pdf under the resource policy; PrintError on any error or fatal warning."""
    out = io.BytesIO()
    _start_in(font)
    with _xhtml2pdf_warnings() as warnings:
        try:
            status = pisa.CreatePDF(
                html, dest=out, encoding="utf-8", resource_policy=resource_policy()
            )
        except Exception as exc:  # xhtml2pdf and ReportLab raise many kinds
            raise PrintError(f"the PDF could not be made: {exc}") from exc
    errors = [entry[2] for entry in status.log if entry[0] == pisa_default.PML_ERROR]
    if status.err:
        raise PrintError("the PDF could not be made: " + "; ".join(errors or ["unknown error"]))
    fatal = [m for m in warnings if any(text in m for text in FATAL_WARNINGS)]
    if fatal:
        raise PrintError("the PDF would print wrongly: " + "; ".join(fatal))
    return out.getvalue()


def render_pdf(kind: str, records: list, **context: Any) -> bytes:
    """Render `records` of printout `kind` as one PDF, one record per page; PrintError if not
    (RuleViolation if a record is not in a state to be printed on it)."""
    records = list(records)
    if not records:
        raise PrintError("nothing to print")
    font = current_fonts()
    pages = page_contexts(kind, records)
    html = render_html(kind, records, font, pages, **context)
    missing_chars = font.missing(visible_text(html))
    if missing_chars:
        raise PrintError(missing.message(missing_chars, pages, font))
    return html_to_pdf(html, font)


from printouts import missing, vouchers  # noqa: E402, F401  (vouchers registers its hooks)
