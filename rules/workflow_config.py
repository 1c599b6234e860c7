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


class WorkflowTransition(_Strict):
    from_: list[str] = Field(alias="from", min_length=1)
    action: str = Field(min_length=1, max_length=30, pattern=r"^[a-z][a-z0-9_]*$")
    to: str = Field(min_length=1)
    roles: list[str] = Field(min_length=1)
    # May the person who entered the record, or took an earlier step of it, take this one?
    self_approval: bool = False
    effects: list[str] = []
    reason_required: bool = False  # a reject or cancel keeps its reason in the history
    form: list[str] = []  # fields the person fills in at this step (step forms)

    _one_or_many = field_validator("from_", "roles", "effects", "form", mode="before")(
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


def rewrite_approval(table: str, approval: list[Any], self_approval: bool) -> str:
    """The `[workflows.<table>]` block equivalent to an old `[rules.<table>] approval` list
    (the old chain: draft, each step in order, reject to draft by the next step's role, cancel
    by the creator or the owner before the last step)."""
    names = ["draft", *(s.state for s in approval)]
    flag = "true" if self_approval else "false"

    def roles(step: Any) -> str:
        return ", ".join(f'"{r}"' for r in step.by)

    lines = [f"[workflows.{table}]", "states = ["]
    lines.append(
        '  { name = "draft", label = { en = "Draft", zh_CN = "草稿" }, '
        'marks = ["initial", "editable"] },'
    )
    for i, step in enumerate(approval):
        marks = ', marks = ["final"]' if i == len(approval) - 1 else ""
        lines.append(f'  {{ name = "{step.state}", label = {{ en = "…", zh_CN = "…" }}{marks} }},')
    lines.append(
        '  { name = "cancelled", label = { en = "Cancelled", zh_CN = "已取消" }, '
        'marks = ["final", "void"] },'
    )
    lines += ["]", "transitions = ["]
    for i, step in enumerate(approval):
        action = "submit" if i == 0 else f"to_{step.state}"
        own = "true" if i == 0 else flag
        lines.append(
            f'  {{ from = "{names[i]}", action = "{action}", to = "{step.state}", '
            f"roles = [{roles(step)}], self_approval = {own} }},"
        )
    for i in range(len(approval) - 1):
        lines.append(
            f'  {{ from = "{names[i + 1]}", action = "reject", to = "draft", '
            f"roles = [{roles(approval[i + 1])}], self_approval = true, reason_required = true }},"
        )
    sources = ", ".join(f'"{n}"' for n in names[:-1])
    lines.append(
        f"  {{ from = [{sources}], "
        'action = "cancel", to = "cancelled", roles = ["creator", "owner"], '
        "self_approval = true, reason_required = true },"
    )
    lines.append("]")
    return "\n".join(lines)
