"""A1: one customer per mobile number, whatever digits are typed (issue 7 item 6).

Full-width digits (１３９…) are the same number after NFKC and hit the duplicate check; other
Unicode digit scripts (Arabic-Indic ١٣٩…, Devanagari १३९…) are refused with a field message,
on save(), the form and the import; search finds a number typed in full-width digits.
"""

from __future__ import annotations

import io

import pytest

import rules
from models import Customer, db
from rules.customers import normalise_phone
from tests.conftest import actor_of, system

FULL_WIDTH = "13９０００００００２"  # 13900000002: 李建国, owned by sales2
ALL_FULL_WIDTH = "１３９０００００００２"
ARABIC_INDIC = "١٣٩٠٠٠٠٠٠٠٢"
MIXED_ARABIC = "13٩٠٠٠٠٠٠٠٢"
DEVANAGARI = "13९०००००००२"
EXTENDED_ARABIC = "13۹۰۰۰۰۰۰۰۲"
OTHER_SCRIPTS = [ARABIC_INDIC, MIXED_ARABIC, DEVANAGARI, EXTENDED_ARABIC]


def phones() -> list[str]:
    with system():
        return sorted(c.phone for c in Customer.select())


def test_full_width_digits_become_ascii():
    assert normalise_phone(FULL_WIDTH) == "13900000002"
    assert normalise_phone("＋８６ １３９－０００００００２") == "13900000002"


@pytest.mark.parametrize("raw", [FULL_WIDTH, ALL_FULL_WIDTH])
def test_full_width_duplicate_is_refused_on_save(world, raw):
    with db.connection_context(), rules.acting_as(actor_of(world.sales1)):
        with pytest.raises(rules.RuleViolation) as exc:
            Customer(name="重复", phone=raw, gender="F", address="上海").save()
    assert exc.value.errors["phone"] == [
        "This phone already belongs to a customer owned by Sales2."
    ]


@pytest.mark.parametrize("raw", OTHER_SCRIPTS)
def test_other_digit_scripts_are_refused_on_save(world, raw):
    before = phones()
    with db.connection_context(), rules.acting_as(actor_of(world.sales1)):
        with pytest.raises(rules.RuleViolation) as exc:
            Customer(name="外文数字", phone=raw, gender="F", address="上海").save()
    assert "0-9" in exc.value.errors["phone"][0]
    assert phones() == before


def test_a_new_full_width_number_is_stored_in_ascii(world):
    with db.connection_context(), rules.acting_as(actor_of(world.sales1)):
        Customer(name="全角", phone="１３７１２３４５６７８", gender="F", address="上海").save()
    assert "13712345678" in phones()


@pytest.mark.parametrize("raw", [FULL_WIDTH, MIXED_ARABIC, DEVANAGARI])
def test_form_post_refuses_with_a_field_message(as_user, world, raw):
    before = phones()
    page = as_user("sales1").post(
        "/admin/customer/new/", {"name": "表单", "phone": raw, "gender": "F", "address": "上海"}
    )
    assert page.status_code == 200  # the form again, with the message
    text = page.get_data(as_text=True)
    assert "Sales2" in text or "0-9" in text
    assert phones() == before


@pytest.mark.parametrize("raw", [FULL_WIDTH, MIXED_ARABIC, DEVANAGARI])
def test_import_refuses_the_row(as_user, world, raw):
    before = phones()
    text = f"\ufeffname,phone,gender,address\n导入,{raw},F,上海市\n"
    data = {"file": (io.BytesIO(text.encode("utf-8")), "data.csv")}
    page = as_user("sales1").post(
        "/admin/customer/import/", data, content_type="multipart/form-data"
    )
    assert "Row 2" in page.get_data(as_text=True) or "第 2 行" in page.get_data(as_text=True)
    assert phones() == before


def test_search_with_full_width_digits_finds_the_customer(as_user, world):
    page = as_user("sales2").get(f"/admin/customer/?search={FULL_WIDTH}").get_data(as_text=True)
    assert "李建国" in page


def test_code_search_normalises_full_width_too(as_user, world):
    page = as_user("owner").get("/admin/product/?search=ＨＰ－００１").get_data(as_text=True)
    assert "蜂胶软胶囊" in page
