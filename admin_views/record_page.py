"""The record page is where work happens (issue 8 item 7): the details page of any workflow
record shows the steps this person may take now (step forms and reasons open in place), what
the record waits for and on whom, and its history as a timeline. One generic endpoint takes a
step through the engine's `take`; refusals come back next to their field."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, request
from flask_admin import expose
from flask_babel import gettext as _

from admin_views import state_label
from rules import RuleViolation
from rules.step_forms import choices, field_label, label_text
from rules.step_lines import LINES, key, lines_of
from rules.workflow import find, flow, workflow
from rules.workflow_next import step_label, takeable, timeline, waiting_on


class RecordPageMixin:
    """Mix into a GuardedModelView of a table with a `[workflows.<table>]` section."""

    def _steps_now(self, record: Any) -> list[dict[str, Any]]:
        table = record.model_key()
        return [
            {
                "action": t.action,
                "label": step_label(table, t),
                "reason": t.reason_required,
                "fields": [
                    {
                        "name": f.field,
                        "label": field_label(f),
                        "required": f.required and f.applies(record),
                        "choices": choices(table, f.field),
                        "value": self._prefill(record, f.field),
                    }
                    for f in t.form
                    if f.applies(record) or not f.required
                ],
                "lines": self._line_inputs(record, t.lines) if t.lines else None,
            }
            for t in takeable(record, g.actor)
        ]

    def _line_inputs(self, record: Any, form: Any) -> dict[str, Any]:
        """The per-line part of a step form: one row per line of the record, its read-only
        columns and an input per field (named `lines.<id>.<field>`, what was typed kept)."""
        typed = (getattr(g, "step_values", None) or {}).get(LINES, {})
        rows = []
        for line in lines_of(record, form):
            mine = typed.get(line.id, {})
            inputs = []
            for f in form.fields:
                stored = getattr(line, f.field)
                value = mine.get(f.field, "" if stored is None else stored)
                inputs.append({"name": key(line, f.field), "value": value,
                               "required": f.required and f.applies(line)})  # fmt: skip
            shown = [getattr(line, s.field) for s in form.show]
            rows.append({"id": line.id, "name": str(line), "shown": shown, "inputs": inputs})
        heads = [label_text(x.label) for x in [*form.show, *form.fields]]
        required = [False] * len(form.show) + [f.required for f in form.fields]
        return {"heads": heads, "rows": rows, "required": required}

    def _prefill(self, record: Any, field: str) -> Any:
        submitted = getattr(g, "step_values", None)
        if submitted is not None and field in submitted:
            return submitted[field]
        value = getattr(record, field)
        if not value and field == "paid_amount":  # B3: what is due is what finance confirms
            return f"{record.total:.2f}"
        return "" if value in (None, 0) else value

    def render(self, template: str, **kwargs: Any) -> Any:
        record = kwargs.get("model")
        if template == self.details_template and record is not None:
            wf = workflow(record.model_key())
            if wf is not None:
                here = wf.state(getattr(record, wf.field))
                kwargs["workflow_page"] = {
                    "state": state_label(here.name, record.model_key()) if here else "",
                    "colour": here.colour if here else "light",
                    "steps": self._steps_now(record),
                    "waiting": waiting_on(record),
                    "timeline": timeline(record),
                    "errors": getattr(g, "step_errors", {}),
                    "open": getattr(g, "step_open", None),
                }
        return super().render(template, **kwargs)

    @expose("/take/", methods=("POST",))
    def take_view(self) -> Any:
        """Take one step on one visible record (CSRF-checked like every POST)."""
        from rules.workflow import take

        record = self.get_one(request.args.get("id", ""))
        action = request.form.get("action", "")
        if record is None or not self.can_view_details:
            return self.inaccessible_callback("take")
        wf = flow(record.model_key())
        t = find(record.model_key(), getattr(record, wf.field), action)
        values: dict[str, Any] = {
            f.field: request.form.get(f.field, "") for f in (t.form if t else [])
        }
        if t is not None and t.lines is not None:
            values[LINES] = {
                line.id: {
                    f.field: request.form[key(line, f.field)]
                    for f in t.lines.fields
                    if key(line, f.field) in request.form
                }
                for line in lines_of(record, t.lines)
            }
        try:
            take(record, action, request.form.get("note", ""), values)
        except RuleViolation as exc:
            g.step_errors, g.step_open, g.step_values = exc.errors, action, values
            why = "; ".join(m for msgs in exc.errors.values() for m in msgs)
            flash(_("Not done: %(reason)s", reason=why), "error")
            return self.details_view()
        flash(_("Done: %(record)s", record=str(record)), "success")
        return redirect(self.get_url(".details_view", id=record.id))
