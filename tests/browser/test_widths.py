"""Desk and tablet widths (issue 9 item 9): at 1366, 1024 and 768 px, in Chinese and English,
the navbar is one row (collapsed behind its toggle below 992 px), and the customer grid keeps
each name on one line and scrolls sideways inside its frame instead of widening the page.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import login, set_language

# the top of each visible navbar entry; one row when they all start within a few pixels
ROW_TOPS = """() => [...document.querySelectorAll(
    'nav.navbar .navbar-brand, nav.navbar .navbar-nav > li, nav.navbar .btn, .navbar-toggler')]
  .filter(el => el.offsetParent !== null)
  .map(el => Math.round(el.getBoundingClientRect().top + el.getBoundingClientRect().height / 2))"""

# how many line boxes a cell's text takes (a name wrapped per character takes several)
LINES = """el => { const r = document.createRange(); r.selectNodeContents(el);
  const boxes = [...r.getClientRects()].filter(x => x.width > 0);
  return new Set(boxes.map(x => Math.round(x.top))).size; }"""


@pytest.mark.parametrize("width", [1366, 1024, 768])
@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_navbar_is_one_row_and_grid_names_stay_on_one_line(
    live_server, page, world, width, language
):
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live_server, "owner")
    set_language(page, language)
    for path in ("/admin/", "/admin/customer/", "/admin/sales_order/new/"):
        page.goto(live_server + path)
        middles = page.evaluate(ROW_TOPS)
        assert middles and max(middles) - min(middles) <= 8, (path, middles)
        assert page.locator("nav.navbar").bounding_box()["height"] < 80, path
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
    page.goto(live_server + "/admin/customer/")
    names = page.locator("table.model-list td.col-name")
    assert names.count() >= 4
    for i in range(names.count()):
        assert names.nth(i).evaluate(LINES) == 1, names.nth(i).inner_text()
    frame = page.locator(".table-responsive").first
    if width <= 1024:  # more columns than fit: the grid's frame scrolls, not the page
        assert frame.evaluate("el => el.scrollWidth > el.clientWidth")
