"""Start-up checks of `[workflows.<table>]` against the models, roles, permissions and the
registered effects (create_app and check-config). Each message starts with the key it is about.
"""

from __future__ import annotations

from typing import Any

from rules.workflow import ENGINE_MARKS, effects_of, relied_marks, tables_with_effects
from rules.workflow_config import CREATOR, Workflow


def check_workflows(s: Any, models: dict[str, type], active: frozenset[str]) -> list[str]:
    """Every problem found, each naming its key."""
    errors: list[str] = []
    governed = {k for k, m in models.items() if getattr(m, "has_workflow", False)}
    for key in sorted(governed - set(s.workflows)):
        errors.append(f"workflows.{key}: {key} is a workflow table but has no [workflows.{key}]")
    for key in sorted(tables_with_effects(active) - set(s.workflows)):
        errors.append(f"workflows.{key}: effects are registered for {key} but it has no workflow")
    for key, wf in s.workflows.items():
        model = models.get(key)
        if model is None or key not in governed:
            errors.append(f'workflows.{key}: no workflow table called "{key}"')
            continue
        where = f"workflows.{key}"
        errors += _states(where, wf, model, relied_marks(key, active))
        if errors:
            continue
        errors += _transitions(where, key, wf, s)
        errors += _forms(where, wf, model)
        errors += _line_forms(where, wf, model, models, active)
        errors += _effects(where, key, wf, active)
        errors += _reachable(where, wf)
    return errors


def _states(where: str, wf: Workflow, model: type, relied: dict[str, str]) -> list[str]:
    errors = []
    if wf.field not in model._meta.fields:
        errors.append(f'{where}.field: {model.model_key()} has no field "{wf.field}"')
    names = [st.name for st in wf.states]
    known = ENGINE_MARKS | set(relied)
    for i, st in enumerate(wf.states):
        if names.index(st.name) != i:
            errors.append(f'{where}.states[{i}].name: "{st.name}" is declared twice')
        for j, mark in enumerate(st.marks):
            if mark not in known:
                errors.append(
                    f'{where}.states[{i}].marks[{j}]: unknown mark "{mark}"'
                    f" (known: {', '.join(sorted(known))})"
                )
    if len(wf.marked("initial")) != 1:
        errors.append(f'{where}.states: exactly one state must be marked "initial"')
    if not wf.marked("final"):
        errors.append(f'{where}.states: no state is marked "final"')
    for mark, module in sorted(relied.items()):
        if not wf.marked(mark):
            errors.append(f'{where}.states: no state is marked "{mark}" ({module} relies on it)')
    return errors


def _transitions(where: str, key: str, wf: Workflow, s: Any) -> list[str]:
    errors = []
    names = {st.name for st in wf.states}
    may_edit = set(s.roles_may(key, "edit"))
    seen: set[tuple[str, str]] = set()
    for i, t in enumerate(wf.transitions):
        at = f"{where}.transitions[{i}]"
        for state in [*t.from_, t.to]:
            if state not in names:
                errors.append(f'{at}: no state "{state}" in {where}.states')
        for state in t.from_:
            if (state, t.action) in seen:
                errors.append(f'{at}.action: "{t.action}" from "{state}" is declared twice')
            seen.add((state, t.action))
            if wf.has(state, "final"):
                errors.append(f'{at}.from: "{state}" is final, so nothing may leave it')
        for j, role in enumerate(t.roles):
            if role != CREATOR and role not in s.roles:
                errors.append(f'{at}.roles[{j}]: no role "{role}" in [roles]')
            elif role != CREATOR and role not in may_edit:
                errors.append(
                    f'{at}.roles[{j}]: "{role}" may take "{t.action}" but '
                    f"permissions.{key}.edit does not include it (the step saves the record)"
                )
    return errors


def _forms(where: str, wf: Workflow, model: type) -> list[str]:
    """A step-form field (or a field its `when` tests) that the model does not have."""
    errors = []
    fields = model._meta.fields
    for i, t in enumerate(wf.transitions):
        for j, f in enumerate(t.form):
            at = f"{where}.transitions[{i}].form[{j}]"
            if f.field not in fields:
                errors.append(f'{at}.field: {model.model_key()} has no field "{f.field}"')
            for name in f.when:
                if name not in fields:
                    errors.append(f'{at}.when.{name}: {model.model_key()} has no field "{name}"')
    return errors


def _line_forms(
    where: str, wf: Workflow, model: type, models: dict[str, type], active: frozenset[str]
) -> list[str]:
    """A per-line step form's table (known, with a foreign key to the record) and its fields."""
    from rules.step_lines import link_to, registered_check

    errors = []
    for i, t in enumerate(wf.transitions):
        if t.lines is None:
            continue
        at, form = f"{where}.transitions[{i}].lines", t.lines
        line = models.get(form.table)
        if line is None:
            errors.append(f'{at}.table: no table called "{form.table}"')
            continue
        if link_to(line, model) is None:
            errors.append(
                f"{at}.table: {form.table} has no foreign key to {model.model_key()}, "
                "so it has no lines of one record"
            )
        fields, filled = line._meta.fields, {f.field for f in form.fields}
        named = [
            *[(f"fields[{j}].field", f.field) for j, f in enumerate(form.fields)],
            *[(f"fields[{j}].when.{k}", k) for j, f in enumerate(form.fields) for k in f.when],
            *[(f"show[{j}].field", f.field) for j, f in enumerate(form.show)],
            *[(f"differences[{j}].against", d.against) for j, d in enumerate(form.differences)],
        ]
        for j, d in enumerate(form.differences):
            for part in ("field", "reason"):
                name = getattr(d, part)
                named.append((f"differences[{j}].{part}", name))
                if name in fields and name not in filled:
                    errors.append(f'{at}.differences[{j}].{part}: "{name}" is not in {at}.fields')
        errors += [
            f'{at}.{k}: {form.table} has no field "{name}"'
            for k, name in named
            if name not in fields
        ]
        errors += [
            f'{at}.checks[{j}]: no line check "{name}" registered for {form.table}'
            for j, name in enumerate(form.checks)
            if not registered_check(form.table, name, active)
        ]
    return errors


def _effects(where: str, key: str, wf: Workflow, active: frozenset[str]) -> list[str]:
    errors = []
    registered = effects_of(key, active)
    used = set()
    for i, t in enumerate(wf.transitions):
        for j, name in enumerate(t.effects):
            used.add(name)
            e = registered.get(name)
            if e is None:
                errors.append(f'{where}.transitions[{i}].effects[{j}]: no effect "{name}"')
            elif e.while_marked and not wf.has(t.to, e.while_marked):
                errors.append(
                    f'{where}.transitions[{i}].effects[{j}]: "{name}" holds only in a state '
                    f'marked "{e.while_marked}", and "{t.to}" is not'
                )
        errors += _undoes(f"{where}.transitions[{i}]", wf, t, registered)
    for name in sorted(set(registered) - used):
        errors.append(f'{where}: the effect "{name}" ({registered[name].module}) is used nowhere')
    return errors


def _undoes(at: str, wf: Workflow, t: Any, registered: dict[str, Any]) -> list[str]:
    """Going back undoes going forward: leaving a mark that an effect's work holds under
    needs that effect's reversal on this transition."""
    errors = []
    done = {n for tr in wf.transitions for n in tr.effects}
    for state in t.from_:
        for mark in set(wf.state(state).marks) - set(wf.state(t.to).marks):
            for e in registered.values():
                if e.while_marked != mark or e.name not in done:
                    continue
                if e.reversed_by is None:
                    errors.append(
                        f'{at}: "{t.action}" leaves "{state}" ({mark}) but nothing undoes '
                        f'"{e.name}"; that needs a process of its own (e.g. a return)'
                    )
                elif e.reversed_by not in t.effects:
                    errors.append(
                        f'{at}.effects: "{t.action}" leaves "{state}" ({mark}) and must run '
                        f'"{e.reversed_by}" to undo "{e.name}"'
                    )
    return errors


def _reachable(where: str, wf: Workflow) -> list[str]:
    reached, todo = set(), [wf.initial()]
    while todo:
        state = todo.pop()
        if state not in reached:
            reached.add(state)
            todo += [t.to for t in wf.leaving(state)]
    errors = [
        f'{where}.states[{i}]: "{st.name}" cannot be reached from "{wf.initial()}"'
        for i, st in enumerate(wf.states)
        if st.name not in reached
    ]
    for i, st in enumerate(wf.states):
        if not wf.has(st.name, "final") and not wf.leaving(st.name):
            errors.append(f'{where}.states[{i}]: "{st.name}" is not final but nothing leaves it')
    return errors
