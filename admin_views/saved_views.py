"""Saved views and the column chooser of every grid (issue 10 item 1).

A view stores the grid's URL query (filters, sort, page size, search) and the visible columns
in order; `?cols=a,b` shows only those of the grid's own columns, so a view can never show a
column the grid does not offer to that person. The owner shares a view with a role and may make
it that role's default: its people land on it when they open the grid with no query at all.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import flash, g, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _

from models.grid_views import SavedView
from rules import RuleViolation, settings

KEPT = ("sort", "desc", "page_size", "search")
CHOOSER = ("col", "cols", "keep", "view", "page")


def grid_query(query: str) -> str:
    """The parts of a URL query a view keeps: filters, sort, page size and search."""
    pairs = parse_qsl(query.lstrip("?"), keep_blank_values=True)
    return urlencode([(k, v) for k, v in pairs if k in KEPT or k.startswith("flt")])


def split_columns(text: str) -> list[str]:
    return [c for c in (text or "").split(",") if c.strip()]


class SavedViewsMixin:
    """Views menu, column chooser and role defaults for GuardedModelView."""

    def _views_grid(self) -> str:
        return self.endpoint  # type: ignore[attr-defined]

    def _views(self) -> list[SavedView]:
        """The views this person may open here (one query a page, kept for the request)."""
        key = f"saved_views_{self._views_grid()}"
        if key not in g:
            setattr(g, key, list(SavedView.visible_to(g.actor, self._views_grid())))
        return g.get(key)

    def _view_url(self, view: SavedView) -> str:
        args = parse_qsl(view.query, keep_blank_values=True)
        if view.columns:
            args.append(("cols", view.columns))
        args.append(("view", str(view.id)))
        return url_for(".index_view") + "?" + urlencode(args)

    def _role_default(self) -> SavedView | None:
        """The first default view shared with one of this person's roles, if any."""
        found = [v for v in self._views() if v.is_default and v.shared_role in g.actor.roles]
        return min(found, key=lambda v: v.id) if found else None

    @expose("/")
    def index_view(self) -> Any:
        if "col" in request.args:  # the chooser without JS: ?col=a&col=b becomes ?cols=a,b
            kept = parse_qsl(request.args.get("keep", ""), keep_blank_values=True)
            args = [(k, v) for k, v in kept if k not in CHOOSER]
            args.append(("cols", ",".join(request.args.getlist("col"))))
            return redirect(url_for(".index_view") + "?" + urlencode(args))
        if not request.args and g.get("actor") is not None:
            default = self._role_default()
            if default is not None:
                return redirect(self._view_url(default))
        return super().index_view()  # type: ignore[misc]

    def render(self, template: str, **kwargs: Any) -> Any:
        if "list_columns" in kwargs and "list_row_actions" in kwargs:  # the list page
            offered = list(kwargs["list_columns"])
            wanted = split_columns(request.args.get("cols", ""))
            by_name = dict(offered)
            chosen = [(c, by_name[c]) for c in wanted if c in by_name] or offered
            kwargs["list_columns"] = chosen
            self._keep_sort_indexes(kwargs, offered, chosen)
            shown = {c for c, _label in chosen}
            kwargs["chooser_columns"] = chosen + [c for c in offered if c[0] not in shown]
            kwargs["shown_columns"] = shown
            kwargs["saved_views"] = self._views()
            kwargs["config_roles"] = list(settings().roles)
            kwargs["current_view"] = request.args.get("view", type=int)
            kwargs["current_query"] = grid_query(request.query_string.decode())
            kwargs["chooser_keep"] = urlencode(
                [(k, v) for k, v in request.args.items(multi=True) if k not in CHOOSER]
            )
            kwargs["current_cols"] = ",".join(c for c, _label in chosen) if wanted else ""
        return super().render(template, **kwargs)  # type: ignore[misc]

    @staticmethod
    def _keep_sort_indexes(kwargs: dict[str, Any], offered: list, chosen: list) -> None:
        """The page numbers its sort links by position among the shown columns; the grid reads
        `sort=` against all of its columns: translate both ways."""
        full = [offered.index(c) for c in chosen]
        sort_url = kwargs["sort_url"]
        kwargs["sort_url"] = lambda column, invert=False: sort_url(full[column], invert)
        sorted_at = kwargs.get("sort_column")
        kwargs["sort_column"] = full.index(sorted_at) if sorted_at in full else None

    def _write(self, view: SavedView, done: str) -> Any:
        try:
            view.save()
            flash(done, "success")
        except RuleViolation as exc:
            labels = {"name": _("Name"), "shared_role": _("Share with"), "is_default": _("Default")}
            for name, messages in exc.errors.items():
                label = f"{labels[name]}: " if name in labels else ""
                for message in messages:
                    flash(label + message, "error")
            return redirect(url_for(".index_view"))
        return redirect(self._view_url(view))

    @expose("/views/save/", methods=("POST",))
    def views_save(self) -> Any:
        view = SavedView(
            owner=g.actor.id,
            grid=self._views_grid(),
            name=request.form.get("name", "").strip()[:60],
            query=grid_query(request.form.get("query", "")),
            columns=",".join(split_columns(request.form.get("cols", ""))),
        )
        return self._write(view, _("View saved."))

    def _own(self, view_id: int) -> SavedView | None:
        view = SavedView.get_or_none(
            (SavedView.id == view_id)
            & (SavedView.owner == g.actor.id)
            & (SavedView.grid == self._views_grid())
        )
        if view is None:
            flash(_("There is no such view of yours."), "error")
        return view

    @expose("/views/<int:view_id>/share/", methods=("POST",))
    def views_share(self, view_id: int) -> Any:
        view = self._own(view_id)
        if view is None:
            return redirect(url_for(".index_view"))
        view.shared_role = request.form.get("shared_role", "")
        view.is_default = bool(request.form.get("is_default"))
        return self._write(view, _("View shared."))

    @expose("/views/<int:view_id>/delete/", methods=("POST",))
    def views_delete(self, view_id: int) -> Any:
        view = self._own(view_id)
        if view is not None:
            try:
                view.delete_instance()
                flash(_("View deleted."), "success")
            except RuleViolation as exc:
                flash(exc.message(), "error")
        return redirect(url_for(".index_view", cols=request.args.get("cols") or None))
