"""A character no print font has: say which one, and in which field of which record it is.

With the bundled fallback font this is rare (an emoji, CJK Ext. B and later). The message is
in the reader's language and points at the field to change: a customer's name is changed on
the customer, and the voucher, which reads the customer's current name, then prints, with no
need to send the order back to draft.
"""

from __future__ import annotations

from typing import Any

from peewee import Model

from printouts.fonts import FontChain
from rules.i18n import N_
from rules.i18n import gettext as _

#: Table -> what a reader calls such a record.
MODELS = {
    "customer": N_("customer"),
    "sales_order": N_("sales order"),
    "product": N_("product"),
    "staff": N_("staff member"),
    "location": N_("location"),
}
#: Field (of a record, or of a page) -> what a reader calls it.
FIELDS = {
    "name": N_("name"),
    "display_name": N_("name"),
    "phone": N_("phone"),
    "wechat": N_("WeChat"),
    "address": N_("address"),
    "notes": N_("notes"),
    "note": N_("note"),
    "recipient": N_("recipient"),
    "recipient_phone": N_("recipient's phone"),
    "number": N_("number"),
    "sku": N_("product code"),
    "spec": N_("specification"),
    "unit": N_("unit"),
    "salesperson": N_("salesperson"),
    "maker": N_("entered by"),
    "approvers": N_("approver"),
    "pickup_location": N_("pickup location"),
}
TEXT = N_("text")
RECORD = N_("record")
ELSEWHERE = N_("the printout template or the company settings ([company] in config.toml)")


def _field(name: str) -> str:
    return _(FIELDS.get(name, TEXT))


def _in_record(char: str, record: Model) -> list[str]:
    """The record's text fields holding `char`, e.g. 'the name of customer "王😀英"'."""
    meta = type(record)._meta
    label = getattr(record, "number", None) or getattr(record, "name", None) or str(record)
    model = _(MODELS.get(meta.table_name, RECORD))
    return [
        _('the %(field)s of %(model)s "%(record)s"', field=_field(name), model=model, record=label)
        for name, value in record.__data__.items()
        if isinstance(value, str) and char in value
    ]


def _in_lines(char: str, lines: list) -> list[str]:
    product = _(MODELS["product"])
    return [
        _(
            'the %(field)s of %(model)s "%(record)s"',
            field=_field(key),
            model=product,
            record=row["name"],
        )
        for row in lines
        if isinstance(row, dict)
        for key, value in row.items()
        if isinstance(value, str) and char in value
    ]


def _on_page(char: str, page: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for value in page.values():
        if isinstance(value, Model):
            found += _in_record(char, value)
    found += _in_lines(char, page.get("lines") or [])
    if found:
        return found
    for key, value in page.items():  # text the page made up from a record (names, places)
        texts = value.values() if isinstance(value, dict) else [value]
        if any(isinstance(t, str) and char in t for t in texts) and key in FIELDS:
            found.append(_("the %(field)s on %(number)s", field=_field(key), number=page["number"]))
    return found


def locate(char: str, pages: list[dict[str, Any]]) -> list[str]:
    """Where `char` is on the printout's pages, in words; the template or settings if not in
    any record."""
    found = [place for page in pages for place in _on_page(char, page)]
    return list(dict.fromkeys(found)) or [_(ELSEWHERE)]


def message(chars: list[str], pages: list[dict[str, Any]], font: FontChain) -> str:
    """The error for characters no font of the chain has, each with where it is."""
    return "; ".join(
        _(
            'Cannot print "%(char)s" (U+%(code)s): none of the print fonts (%(fonts)s) has it. '
            "It is in %(where)s; change it there and print again.",
            char=char,
            code=f"{ord(char):04X}",
            fonts=font.names,
            where=", ".join(locate(char, pages)),
        )
        for char in chars
    )
