"""README "Adding a process", followed literally by a newcomer (issue 8, item 9): a throwaway
process (a parcel handed to a courier) written into a temporary directory from the README's
steps — model, config block, effects module, view — starts with no change to the engine, is
refused at start-up until each step is done, and gets the verb, the grid's bulk action, the
save check and the next actor's message."""

from __future__ import annotations

import copy
import textwrap
import tomllib

import pytest

import rules
from app import create_app, load
from models import Notification, db
from rules.config import ConfigError, deep_merge
from tests.conftest import actor_of, fresh_database, system

MODULE = "readme_parcel_process"

# Steps 1, 2 and 4: the model (a `status` field, `has_workflow = True`, a `created_by` for the
# `creator` role and self-approval), its rule and the effects module; MODELS lists the
# test-only model.
SOURCE = """
from peewee import CharField, ForeignKeyField, IntegerField

from models.base import BaseModel
from models.staff import Staff
from rules import register
from rules.workflow import effect, relies_on


class Parcel(BaseModel):
    has_workflow = True
    label = CharField(max_length=40)
    status = CharField(max_length=20, default="packed")
    created_by = ForeignKeyField(Staff, null=True, backref="+", on_delete="RESTRICT")
    stamps = IntegerField(default=0)


class ParcelItem(BaseModel):  # its lines: a step fills in each one's weight
    parcel = ForeignKeyField(Parcel, backref="items", on_delete="CASCADE")
    name = CharField(max_length=40)
    weight_g = IntegerField(null=True)  # null: not weighed yet


MODELS = [Parcel, ParcelItem]


@register("parcel")  # a governed table needs at least one rule (check or row scope)
def label_given(parcel, action, old, actor):
    if action != "delete" and not parcel.label.strip():
        return {"label": ["A parcel needs a label."]}
    return None


@register("parcel_item")
def name_given(item, action, old, actor):
    if action != "delete" and not item.name.strip():
        return {"name": ["An item needs a name."]}
    return None


relies_on("parcel", __name__, "handed_over")


@effect("parcel", "stamp", while_marked="handed_over", reversed_by="unstamp")
def stamp(parcel, step):
    parcel.stamps += 1


@effect("parcel", "unstamp")
def unstamp(parcel, step):
    parcel.stamps -= 1
"""

# Step 3: the config block, as it would stand in config.toml.
BLOCK = """
[permissions.parcel]
view = ["owner", "warehouse", "finance"]
create = ["owner", "warehouse"]
edit = ["owner", "warehouse", "finance"]

[permissions.parcel_item]
view = ["owner", "warehouse", "finance"]
create = ["owner", "warehouse"]
edit = ["owner", "warehouse"]

[workflows.parcel]
states = [
  { name = "packed", label = { en = "Packed", zh_CN = "已打包" }, marks = ["initial", "editable"] },
  { name = "weighed", label = { en = "Weighed", zh_CN = "已称重" } },
  { name = "handed_over", label = { en = "Handed over", zh_CN = "已交运" }, marks = ["handed_over"] },
  { name = "delivered", label = { en = "Delivered", zh_CN = "已签收" }, marks = ["handed_over", "final"] },
]
transitions = [
  { from = "packed", action = "weigh", to = "weighed", roles = ["warehouse"], self_approval = true },
  { from = "weighed", action = "hand_over", to = "handed_over", roles = ["finance"], effects = ["stamp"], lines = { table = "parcel_item", fields = [
      { field = "weight_g", label = { en = "Weight (g)", zh_CN = "重量（克）" } },
    ] } },
  { from = "weighed", action = "reject", to = "packed", roles = ["finance"], reason_required = true },
  { from = "handed_over", action = "recall", to = "weighed", roles = ["finance"], self_approval = true, effects = ["unstamp"] },
  { from = "handed_over", action = "deliver", to = "delivered", roles = ["warehouse"], self_approval = true },
]
"""  # noqa: E501
CONFIG = tomllib.loads(BLOCK)


@pytest.fixture
def process(tmp_path, monkeypatch):
    (tmp_path / f"{MODULE}.py").write_text(textwrap.dedent(SOURCE))
    monkeypatch.syspath_prepend(str(tmp_path))
    return (MODULE,)


def refused(config: dict, process) -> str:
    with pytest.raises(ConfigError) as caught:
        load(overrides=config, processes=process)
    return "\n".join(caught.value.errors)


def test_each_missing_step_is_refused_at_start_up(process):
    try:
        found = refused({}, process)  # step 1 alone: the model demands its workflow
        assert "workflows.parcel: parcel is a workflow table but has no [workflows.parcel]" in found
        typo = copy.deepcopy(CONFIG)
        typo["workflows"]["parcel"]["transitions"][1]["effects"] = ["stmap"]
        assert 'workflows.parcel.transitions[1].effects[0]: no effect "stmap"' in refused(
            typo, process
        )
    finally:
        load()


@pytest.fixture
def app(overrides, process):
    application = create_app(overrides=deep_merge(overrides, CONFIG), processes=process)
    application.config.update(TESTING=True)
    from admin_views.approvals import ApprovalMixin
    from admin_views.base import GuardedModelView

    class ParcelView(ApprovalMixin, GuardedModelView):  # step 5: the view
        column_list = ("label", "status", "stamps")
        form_columns = ("label",)

    parcel = __import__(MODULE).Parcel
    application.extensions["admin"][0].add_view(ParcelView(parcel, "Parcels", endpoint="parcel"))
    with fresh_database(*__import__(MODULE).MODELS):
        yield application
    load()


def test_the_new_process_works_end_to_end(as_user, world):
    from rules.workflow import take

    parcel_model = __import__(MODULE).Parcel
    clerk = as_user("warehouse")
    clerk.post("/admin/parcel/new/", {"label": "SF123"})
    with system():
        parcel = parcel_model.get(parcel_model.label == "SF123")
    assert parcel.status == "packed" and parcel.created_by_id == world.warehouse.id
    clerk.post("/admin/parcel/action/", {"action": "to_weighed", "rowid": parcel.id})
    with system():
        [message] = Notification.select().where(Notification.recipient == world.finance.id)
    assert message.link == "/admin/parcel/"  # a batch (the grid action): the grid
    with db.connection_context(), rules.acting_as(actor_of(world.warehouse)):
        item = __import__(MODULE).ParcelItem.create(parcel=parcel.id, name="书")
    with db.connection_context(), rules.acting_as(actor_of(world.finance)):
        row = parcel_model.get_by_id(parcel.id)
        row.status = "handed_over"
        with pytest.raises(rules.RuleViolation, match="approval actions"):
            row.save()  # step 6: nothing but the verb changes the status
        with pytest.raises(rules.RuleViolation) as caught:
            take(parcel_model.get_by_id(parcel.id), "hand_over")  # each item needs its weight
        assert list(caught.value.errors) == [f"lines.{item.id}.weight_g"]
        weights = {"lines": {item.id: {"weight_g": "350"}}}
        take(parcel_model.get_by_id(parcel.id), "hand_over", "", weights)
        assert __import__(MODULE).ParcelItem.get_by_id(item.id).weight_g == 350
    with system():
        assert (lambda p: (p.status, p.stamps))(parcel_model.get_by_id(parcel.id)) == (
            "handed_over",
            1,
        )
