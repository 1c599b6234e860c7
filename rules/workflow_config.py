"""The shape of `[workflows.<table>]` (B2; D, E, F): states with labels, colour and marks, and
transitions between them, as Frappe declares them. Checked against the models, roles,
permissions and registered effects by `rules.workflow_checks` at start-up."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

COLOURS = ("secondary", "info", "primary", "warning", "success", "danger", "dark", "light")
#: The pseudo-role "creator": the person who entered the record (e.g. cancel your own draft).
CREATOR = "creator"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Label(_Strict):
    en: str = Field(min_length=1)
    zh_CN: str = Field(min_length=1)


class WorkflowState(_Strict):
    name: str = Field(min_length=1, max_length=20)
    label: Label
    colour: Literal[COLOURS] = "secondary"  # type: ignore[valid-type]
    marks: list[str] = []


def _listed(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class StepField(_Strict):
    """A field the person fills in at a step (a step form), stored on the record."""

    field: str = Field(min_length=1)
    label: Label
    required: bool = True
    # required only on records whose fields hold these values (e.g. delivery = "express")
    when: dict[str, str] = {}

    def applies(self, record: Any) -> bool:
        return all(str(getattr(record, k, "")) == v for k, v in self.when.items())


class ShownField(_Strict):
    """A line column shown beside the inputs, read-only (what was sent)."""

    field: str = Field(min_length=1)
    label: Label


class Difference(_Strict):
    """On a line where `field` differs from `against`, `reason` must be filled in."""

    field: str = Field(min_length=1)
    against: str = Field(min_length=1)
    reason: str = Field(min_length=1)


class LineForm(_Strict):
    """The per-line part of a step form: fields filled in on each line of the record (the
    rows of `table` whose foreign key points at it), e.g. the quantity received per line."""

    table: str = Field(min_length=1)
    fields: list[StepField] = Field(min_length=1)  # `when` tests the line's own fields
    show: list[ShownField] = []
    differences: list[Difference] = []
    checks: list[str] = []  # per-line checks registered with @line_check(table, name)


class WorkflowTransition(_Strict):
    from_: list[str] = Field(alias="from", min_length=1)
    action: str = Field(min_length=1, max_length=30, pattern=r"^[a-z][a-z0-9_]*$")
    to: str = Field(min_length=1)
    roles: list[str] = Field(min_length=1)
    # May the person who entered the record, or took an earlier step of it, take this one?
    self_approval: bool = False
    effects: list[str] = []
    reason_required: bool = False  # a reject or cancel keeps its reason in the history
    form: list[StepField] = []  # fields the person fills in at this step (step forms)
    lines: LineForm | None = None  # fields filled in on each of the record's lines
    label: Label | None = None  # the button's words (default: the state it leads to)

    _one_or_many = field_validator("from_", "roles", "effects", mode="before")(
        classmethod(lambda cls, v: _listed(v))
    )


class Workflow(_Strict):
    field: str = "status"
    states: list[WorkflowState] = Field(min_length=2)
    transitions: list[WorkflowTransition] = Field(min_length=1)

    def state(self, name: str) -> WorkflowState | None:
        return next((s for s in self.states if s.name == name), None)

    def marked(self, mark: str) -> list[str]:
        """The names of the states carrying `mark`, in declared order."""
        return [s.name for s in self.states if mark in s.marks]

    def has(self, state: str, mark: str) -> bool:
        found = self.state(state)
        return found is not None and mark in found.marks

    def initial(self) -> str:
        return self.marked("initial")[0]

    def leaving(self, state: str) -> list[WorkflowTransition]:
        """The transitions out of `state`, in declared order (the first is the main path)."""
        return [t for t in self.transitions if state in t.from_]

    def chain(self) -> list[WorkflowTransition]:
        """The main path: from the initial state, the first transition out of each state."""
        path: list[WorkflowTransition] = []
        state, seen = self.initial(), set()
        while state not in seen:
            seen.add(state)
            out = [t for t in self.leaving(state) if t.to not in seen]
            if not out:
                break
            path.append(out[0])
            state = out[0].to
        return path


#: What the old sales chain did on entering each of its states (labels, marks, effects), so
#: the printed rewrite of an old `[rules.sales_order] approval` list means the same.
OLD_SALES = {
    "submitted": ("Submitted", "已提交", [], ["freeze_submission"]),
    "verified": ("Verified", "已审核", [], []),
    "paid": ("Paid", "已收款", ["money_received"], ["record_payment", "earn_points"]),
    "shipped": ("Shipped", "已出库", ["money_received", "goods_out"], ["post_sale_outbound"]),
}
UNDO_PAYMENT = ["reverse_points", "undo_payment"]


def _toml(values: list[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def rewrite_approval(table: str, approval: list[Any], self_approval: bool) -> str:
    """The `[workflows.<table>]` block equivalent to an old `[rules.<table>] approval` list
    (the old chain: draft, each step in order, reject to draft by the next step's role, cancel
    by the creator or the owner before the last step, and for sales what each state did)."""
    known = OLD_SALES if table == "sales_order" else {}
    names = ["draft", *(s.state for s in approval)]
    lines = [f"[workflows.{table}]", "states = ["]
    lines.append('  { name = "draft", label = { en = "Draft", zh_CN = "草稿" }, '
                 'marks = ["initial", "editable"] },')  # fmt: skip
    for i, step in enumerate(approval):
        en, zh, marks, _e = known.get(step.state, ("…", "…", [], []))
        marks = [*marks, "final"] if i == len(approval) - 1 else marks
        lines.append(
            f'  {{ name = "{step.state}", label = {{ en = "{en}", zh_CN = "{zh}" }}, '
            f"marks = {_toml(marks)} }},"
        )
    lines.append('  { name = "cancelled", label = { en = "Cancelled", zh_CN = "已取消" }, '
                 'marks = ["final", "void"] },')  # fmt: skip
    lines += ["]", "transitions = ["]
    for i, step in enumerate(approval):
        action = "submit" if i == 0 else f"to_{step.state}"
        own = "true" if i == 0 or self_approval else "false"
        lines.append(
            f'  {{ from = "{names[i]}", action = "{action}", to = "{step.state}", '
            f"roles = {_toml(step.by)}, self_approval = {own}, "
            f"effects = {_toml(known.get(step.state, ('', '', [], []))[3])} }},"
        )
    paid = {n for n in names if "money_received" in known.get(n, ("", "", [], []))[2]}
    for i in range(len(approval) - 1):
        undo = UNDO_PAYMENT if names[i + 1] in paid else []
        lines.append(
            f'  {{ from = "{names[i + 1]}", action = "reject", to = "draft", '
            f"roles = {_toml(approval[i + 1].by)}, self_approval = true, "
            f"reason_required = true, effects = {_toml(undo)} }},"
        )
    for group, undo in ((set(names[:-1]) - paid, []), (set(names[:-1]) & paid, UNDO_PAYMENT)):
        if group:
            lines.append(
                f'  {{ from = {_toml([n for n in names if n in group])}, action = "cancel", '
                'to = "cancelled", roles = ["creator", "owner"], self_approval = true, '
                f"reason_required = true, effects = {_toml(undo)} }},"
            )
    lines.append("]")
    return "\n".join(lines)
