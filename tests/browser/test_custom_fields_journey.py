"""Custom fields journey (issue 10, item 4 "Done when"; A2 completeness): the owner, in the
Chinese UI, adds a REQUIRED CHOICE field to customers on Settings → Custom fields, with labels
in both languages. A salesperson, logged in (English UI) in another browser before the field
existed, sees it at once, without a restart: in the customer form (required: a save without it
is refused naming the field), as a grid column, in the filter menu (and the filter works) and in
the CSV export. The owner then removes the field, and the page offers the export of its values.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from playwright.sync_api import expect

from models import Customer
from tests.browser import shoot as browser_shoot
from tests.browser.journey import act_as, path_of, save_form, shoot
from tests.browser.test_journey_search import as_person_in_chinese
from tests.conftest import system

SETTINGS = "/admin/custom_fields/"
CHOICES = "fair | Trade fair | 展会\nweb | Website | 网站"
NEW = "赵美玲"


def grid_names(page) -> list[str]:
    return [t.strip() for t in page.locator("table.model-list td.col-name").all_inner_texts()]


def add_the_field(owner, base: str) -> None:
    """The owner fills in the add form as a person does; customers is the table offered first."""
    owner.goto(base + SETTINGS)
    form = owner.get_by_test_id("add-custom-field")
    expect(form.locator("#cf-table")).to_have_value("customer")  # the default
    form.locator("#cf-name").fill("source")
    form.locator("#cf-kind").select_option("choice")
    form.locator("#cf-en").fill("Source")
    form.locator("#cf-zh").fill("来源")
    form.locator("#cf-required").select_option("hard")
    form.locator("#cf-choices").fill(CHOICES)
    with owner.expect_navigation():
        form.get_by_role("button", name="添加字段").click()
    expect(owner.locator(".alert-success")).to_contain_text("字段已添加。")
    row = owner.get_by_test_id("custom-fields").locator("tbody tr", has_text="x_source")
    expect(row).to_contain_text("客户")
    expect(row).to_contain_text("来源")  # the owner's language
    expect(row).to_contain_text("选项")


def refused_without_it_then_saved(sales, base: str) -> int:
    """A new customer without the field is refused, naming it; with it, it saves."""
    sales.goto(base + "/admin/customer/new/")
    group = sales.locator(".form-group", has=sales.locator("#x_source"))
    expect(group.locator("label")).to_contain_text("Source")
    options = sales.locator("#x_source option").all_inner_texts()
    assert [o.strip() for o in options][1:] == ["Trade fair", "Website"], options  # a blank first
    sales.fill("#name", NEW)
    sales.fill("#phone", "139 1234 5678")
    sales.select_option("#gender", "F")
    sales.fill("#address", "上海市徐汇区漕溪北路88号")
    save_form(sales)
    assert path_of(sales) == "/admin/customer/new/", sales.url
    expect(group).to_contain_text("This field is required.")  # under its label, "Source"
    expect(sales.locator("#name")).to_have_value(NEW)  # what was typed is kept
    with system():
        assert not Customer.select().where(Customer.phone == "13912345678").exists()
    shoot(sales, "custom_field_required_en.png")
    sales.select_option("#x_source", "fair")
    save_form(sales)
    assert path_of(sales) == "/admin/customer/", sales.url
    expect(sales.locator(".alert-danger")).to_have_count(0)
    with system():
        row = Customer.get(Customer.phone == "13912345678")
        assert row.x_source == "fair" and row.owner_id is not None
        return row.id


def filter_by_it(sales) -> None:
    """Add Filter → Source → equals Trade fair → Apply: only the trade-fair customer stays."""
    sales.locator("a.dropdown-toggle", has_text="Add Filter").click()
    sales.locator("a.filter", has_text="Source").first.click()
    row = sales.locator("table.filters tr").last
    row.locator(".select2-container").last.click()  # the value picker (select2)
    sales.locator(".select2-result-label", has_text="Trade fair").click()
    with sales.expect_navigation():
        sales.locator("#filter_form button[type=submit]").click()
    expect(sales.locator("table.model-list tbody tr")).to_have_count(1)
    assert [n.split()[0] for n in grid_names(sales)] == [NEW]  # (the cell ends with ✎)


def export_csv(sales) -> list[dict]:
    sales.locator("a.dropdown-toggle", has_text="Export").click()
    with sales.expect_download() as info:
        sales.locator("a.dropdown-item", has_text="Export CSV").click()
    text = Path(info.value.path()).read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_owner_adds_a_required_choice_field_a_salesperson_uses_it_then_it_is_removed(
    live_server, page, browser, world
):
    base = live_server
    sales = page  # logged in before the field exists, kept open all along
    act_as(sales, base, "sales1")
    sales.goto(base + "/admin/customer/new/")
    expect(sales.locator("#x_source")).to_have_count(0)

    context = browser.new_context(locale="zh-CN", viewport=browser_shoot.VIEWPORT)
    context.set_default_timeout(15_000)
    owner = context.new_page()
    try:
        as_person_in_chinese(owner, base, "owner")
        add_the_field(owner, base)
        shoot(owner, "custom_field_added_zh.png")

        # The salesperson's open session sees it on the next page: form, required.
        new_id = refused_without_it_then_saved(sales, base)
        with system():  # an older customer of theirs from the website, for the filter and export
            old = Customer.get_by_id(world.c_sales1.id)
            old.x_source = "web"
            old.save()

        # Grid column, with the labels in the salesperson's language.
        sales.goto(base + "/admin/customer/")
        expect(sales.locator("table.model-list thead")).to_contain_text("Source")
        new_row = sales.locator("table.model-list tbody tr", has_text=NEW)
        expect(new_row.locator("td.col-x_source")).to_contain_text("Trade fair")
        old_row = sales.locator("table.model-list tbody tr", has_text="王秀英")
        expect(old_row.locator("td.col-x_source")).to_contain_text("Website")

        # Filter menu, and the filter works.
        filter_by_it(sales)
        shoot(sales, "custom_field_filtered_en.png")

        # CSV export of the whole grid: the header label and the values as labels.
        sales.goto(base + "/admin/customer/")
        rows = {r["Name"]: r for r in export_csv(sales)}
        assert rows[NEW]["Source"] == "Trade fair" and rows["王秀英"]["Source"] == "Website"
        assert "李建国" not in rows  # still only what the salesperson may see

        # The owner removes the field: asked to confirm, then offered the export of its values.
        owner.goto(base + SETTINGS)
        row = owner.get_by_test_id("custom-fields").locator("tbody tr", has_text="x_source")
        with owner.expect_navigation():
            row.get_by_role("button", name="移除").click()
        expect(owner.locator(".alert-danger, .alert-error").first).to_contain_text("请勾选")
        row.get_by_label("隐藏（保留数据）").check()
        with owner.expect_navigation():
            row.get_by_role("button", name="移除").click()
        expect(owner.locator(".alert-success")).to_contain_text("可在下方下载")
        expect(row).to_contain_text("已隐藏")
        with owner.expect_download() as info:
            row.get_by_role("link", name="下载数据").click()
        values = list(csv.reader(io.StringIO(Path(info.value.path()).read_text("utf-8-sig"))))
        assert values[0] == ["id", "x_source"]
        assert sorted(values[1:]) == sorted([[str(new_id), "fair"], [str(old.id), "web"]])
        shoot(owner, "custom_field_removed_zh.png")

        # Gone from the salesperson's pages, again without a restart; the values stay.
        sales.goto(base + "/admin/customer/new/")
        expect(sales.locator("#x_source")).to_have_count(0)
        sales.goto(base + "/admin/customer/")
        expect(sales.locator("table.model-list thead")).not_to_contain_text("Source")
    finally:
        context.close()
