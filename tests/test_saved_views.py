"""Saved views of the grids (issue 10 item 1; PROCESSES.md H): save, reopen, share with a role,
a role's default on first open, the column chooser, privacy of one's views, and the rules."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from models.grid_views import SavedView
from rules import RuleViolation, acting_as
from tests.conftest import actor_of

GRID = "/admin/customer/"


def headers(page: str) -> list[tuple[str, str]]:
    """The grid's column headers in order: (column, its sort link's sort= value)."""
    head = page.split("<thead>")[1].split("</thead>")[0]
    return re.findall(r'column-header col-(\w+)">\s*<a href="[^"]*\?sort=(\d+)', head)


def save(client, name, url=GRID + "?search=王&sort=1&desc=1&page_size=50", cols="phone,name"):
    query = urlsplit(url).query
    return client.post(GRID + "views/save/", {"name": name, "query": query, "cols": cols})


def test_save_and_reopen_a_view(world, as_user):
    sales1 = as_user("sales1")
    response = save(sales1, "我的客户")
    assert response.status_code == 302
    view = SavedView.get(SavedView.name == "我的客户")
    assert view.owner_id == world.sales1.id and view.grid == "customer"
    assert parse_qs(view.query) == {
        "search": ["王"],
        "sort": ["1"],
        "desc": ["1"],
        "page_size": ["50"],
    }
    assert view.columns == "phone,name"
    target = response.headers["Location"]
    args = parse_qs(urlsplit(target).query)
    assert args["search"] == ["王"] and args["cols"] == ["phone,name"]
    assert args["view"] == [str(view.id)]
    page = sales1.get(target).get_data(as_text=True)
    assert "我的客户" in page  # the Views menu names it, and the grid shows the chosen columns
    assert [c for c, _sort in headers(page)] == ["phone", "name"]


def test_a_name_is_unique_per_person_and_grid(world, as_user):
    sales1 = as_user("sales1")
    save(sales1, "重复")
    page = save(sales1, "重复").headers["Location"]
    text = sales1.get(page, follow_redirects=True).get_data(as_text=True)
    assert SavedView.select().where(SavedView.name == "重复").count() == 1
    assert "名称: 你在这个表格里已有同名视图。" in text
    save(as_user("sales2"), "重复")  # another person may use the same name
    assert SavedView.select().where(SavedView.name == "重复").count() == 2


def test_the_column_chooser_hides_and_reorders_columns(world, as_user):
    sales1 = as_user("sales1")
    redirect = sales1.get(GRID + "?keep=search%3D%E7%8E%8B&col=phone&col=name")
    assert redirect.status_code == 302
    location = redirect.headers["Location"]
    assert parse_qs(urlsplit(location).query) == {"search": ["王"], "cols": ["phone,name"]}
    full = headers(sales1.get(GRID + "?search=王").get_data(as_text=True))
    chosen = headers(sales1.get(location).get_data(as_text=True))
    assert [c for c, _sort in chosen] == ["phone", "name"]
    assert len(full) > 2
    # each sort link still names the grid's own column (not its position among the shown)
    sort_of = dict(full)
    assert chosen == [("phone", sort_of["phone"]), ("name", sort_of["name"])]
    # a column the grid does not offer is never shown: asking for it shows the usual columns
    assert headers(sales1.get(GRID + "?cols=password_hash,phone").get_data(as_text=True)) == [
        c for c in full if c[0] == "phone"
    ]
    assert headers(sales1.get(GRID + "?cols=password_hash").get_data(as_text=True)) == full


def test_another_person_neither_sees_nor_edits_a_private_view(world, as_user):
    save(as_user("sales1"), "私人")
    view = SavedView.get(SavedView.name == "私人")
    sales2 = as_user("sales2")
    assert "私人" not in sales2.get(GRID + "?search=x").get_data(as_text=True)
    sales2.post(GRID + f"views/{view.id}/delete/")
    sales2.post(GRID + f"views/{view.id}/share/", {"shared_role": "salesperson"})
    assert SavedView.get_by_id(view.id).shared_role == ""
    with acting_as(actor_of(world.sales2)), pytest.raises(RuleViolation):
        view.name = "抢来的"
        view.save()


def test_a_non_owner_cannot_share_a_view_by_a_crafted_post(world, as_user):
    supervisor = as_user("supervisor")
    save(supervisor, "主管视图")
    view = SavedView.get(SavedView.name == "主管视图")
    page = supervisor.post(
        GRID + f"views/{view.id}/share/",
        {"shared_role": "salesperson", "is_default": "1"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "共享给: 只有老板可以把视图共享给角色。" in page
    stored = SavedView.get_by_id(view.id)
    assert (stored.shared_role, stored.is_default) == ("", False)


def test_the_owner_shares_a_view_and_it_is_the_roles_default(world, as_user):
    owner = as_user("owner")
    save(owner, "业务员默认", url=GRID + "?sort=1", cols="name,phone")
    view = SavedView.get(SavedView.name == "业务员默认")
    owner.post(GRID + f"views/{view.id}/share/", {"shared_role": "salesperson", "is_default": "1"})
    stored = SavedView.get_by_id(view.id)
    assert (stored.shared_role, stored.is_default) == ("salesperson", True)
    sales1 = as_user("sales1")
    first = sales1.get(GRID)
    assert first.status_code == 302
    args = parse_qs(urlsplit(first.headers["Location"]).query)
    assert args["cols"] == ["name,phone"] and args["view"] == [str(view.id)]
    assert "业务员默认" in sales1.get(first.headers["Location"]).get_data(as_text=True)
    # with a query the grid opens as asked; other roles have no default
    assert sales1.get(GRID + "?search=王").status_code == 200
    assert as_user("store1").get(GRID).status_code == 200
    # the salesperson may open the shared view but not change or delete it
    sales1.post(GRID + f"views/{view.id}/delete/")
    assert SavedView.get_or_none(SavedView.id == view.id) is not None


def test_a_role_default_must_be_shared_and_the_role_must_exist(world, as_user):
    owner = as_user("owner")
    save(owner, "v")
    view = SavedView.get(SavedView.name == "v")
    owner.post(GRID + f"views/{view.id}/share/", {"shared_role": "", "is_default": "1"})
    owner.post(GRID + f"views/{view.id}/share/", {"shared_role": "nobody"})
    stored = SavedView.get_by_id(view.id)
    assert (stored.shared_role, stored.is_default) == ("", False)


def test_posts_without_csrf_are_refused(world, as_user):
    sales1 = as_user("sales1")
    response = sales1.post(GRID + "views/save/", {"name": "x", "query": ""}, csrf=False)
    assert response.status_code == 400
    assert SavedView.select().count() == 0
