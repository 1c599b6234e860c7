"""The one rules path (issue 2 §5-6): actor required, required fields, role and scope checks,
audit rows, optimistic locking and the A1 duplicate message, on each write path."""

from __future__ import annotations

import threading

import pytest

import rules
from models import AuditLog, Customer, Location, Product, Staff, db
from tests.conftest import actor_of, system


def test_write_without_actor_is_refused(world):
    with db.connection_context():
        with pytest.raises(rules.RuleViolation, match="No acting user"):
            Product(sku="X1", name="x", unit="瓶", price=1).save()
        assert not Product.select().where(Product.sku == "X1").exists()


REQUIRED = [
    (Staff, {"username": "new1", "display_name": "新人", "roles": "salesperson"}, "display_name"),
    (Staff, {"username": "new2", "display_name": "新人", "roles": "salesperson"}, "username"),
    (Location, {"code": "S09", "name": "新店", "kind": "store"}, "name"),
    (Product, {"sku": "HP-100", "name": "新品", "unit": "瓶", "price": 1}, "name"),
    (
        Customer,
        {"name": "赵六", "phone": "13811112222", "gender": "M", "address": "上海"},
        "address",
    ),
    (
        Customer,
        {"name": "赵六", "phone": "13811112222", "gender": "M", "address": "上海"},
        "gender",
    ),
]


@pytest.mark.parametrize("model,values,blank", REQUIRED)
def test_required_field_blocks_save_with_a_message_for_that_field(world, model, values, blank):
    with system():
        row = model(**{**values, blank: ""})
        with pytest.raises(rules.RuleViolation) as exc:
            row.save()
        assert blank in exc.value.errors
        key, value = next((k, v) for k, v in values.items() if k != blank)
        assert not model.select().where(getattr(model, key) == value).exists()
        assert row.get_id() is None


def test_soft_required_fields_save_but_flag_incomplete(world):
    with system():
        c = Customer(name="钱七", phone="13822223333", gender="F", address="上海")
        c.save()
        assert c.incomplete is True
        c.wechat, c.birthday = "wx_qian", __import__("datetime").date(1980, 5, 1)
        c.save()
        assert Customer.get_by_id(c.id).incomplete is False


def test_role_without_permission_cannot_write_on_any_path(world):
    with db.connection_context(), rules.acting_as(actor_of(world.sales1)):
        with pytest.raises(rules.RuleViolation, match="may not"):
            Product(sku="X2", name="x", unit="瓶", price=1).save()
        with pytest.raises(rules.RuleViolation, match="may not"):
            Customer.get_by_id(world.c_sales1.id).delete_instance()


def test_row_outside_scope_cannot_be_updated_or_deleted(world):
    with db.connection_context(), rules.acting_as(actor_of(world.sales2)):
        row = Customer.get_by_id(world.c_sales1.id)
        row.name = "偷改"
        with pytest.raises(rules.RuleViolation, match="outside your scope"):
            row.save()
    with system():
        assert Customer.get_by_id(world.c_sales1.id).name == "王秀英"


def test_a_write_cannot_move_a_row_out_of_the_actors_scope(world):
    with db.connection_context(), rules.acting_as(actor_of(world.sales1)):
        row = Customer.get_by_id(world.c_sales1.id)
        row.owner = world.sales2.id
        with pytest.raises(rules.RuleViolation, match="Claim, Assign or Transfer"):
            row.save()
    with system():
        assert Customer.get_by_id(world.c_sales1.id).owner_id == world.sales1.id


def test_every_write_leaves_an_audit_row_with_old_and_new_values(world):
    with db.connection_context(), rules.acting_as(actor_of(world.sales1)):
        row = Customer.get_by_id(world.c_sales1.id)
        row.address = "上海市徐汇区"
        row.save()
    with system():
        history = AuditLog.history("customer", world.c_sales1.id)
        assert [h.action for h in history] == ["update", "create"]
        assert history[0].actor_name == "sales1"
        assert history[0].change_dict == {"address": ["上海市静安区", "上海市徐汇区"]}
        world.c_pool.delete_instance()
        deleted = AuditLog.history("customer", world.c_pool.id)[0]
        assert deleted.action == "delete" and deleted.change_dict["name"][0] == "张丽娟"


def test_password_hash_is_redacted_in_the_audit_trail(world):
    with system():
        staff = Staff.get_by_id(world.sales1.id)
        staff.set_password("another-password")
        staff.save()
        change = AuditLog.history("staff", staff.id)[0].change_dict
        assert change["password_hash"] == ["***", "***"]


def test_two_clerks_editing_the_same_record_second_gets_a_conflict(world):
    with db.connection_context(), rules.acting_as(actor_of(world.sales1)):
        first = Customer.get_by_id(world.c_sales1.id)
        second = Customer.get_by_id(world.c_sales1.id)
        first.address = "地址一"
        first.save()
        second.notes = "备注二"
        with pytest.raises(rules.RuleViolation, match="Someone else saved"):
            second.save()
        stored = Customer.get_by_id(world.c_sales1.id)
        assert stored.address == "地址一" and stored.notes == ""


@pytest.mark.parametrize(
    "raw", ["139 0000 0001", "139-0000-0001", "+86 13900000001", "0086-139-0000-0001"]
)
def test_duplicate_phone_names_the_owner_whatever_the_format(world, raw):
    with db.connection_context(), rules.acting_as(actor_of(world.sales2)):
        with pytest.raises(rules.RuleViolation) as exc:
            Customer(name="重复", phone=raw, gender="F", address="上海", owner=world.sales2).save()
    assert exc.value.errors["phone"] == [
        "This phone already belongs to a customer owned by Sales1."
    ]


def test_duplicate_of_a_pool_customer_says_claim_it(world):
    with db.connection_context(), rules.acting_as(actor_of(world.sales2)):
        with pytest.raises(rules.RuleViolation, match="public pool"):
            Customer(
                name="重复", phone="13900000003", gender="F", address="上海", owner=world.sales2
            ).save()


def test_bad_mobile_number_is_refused(world):
    with system(), pytest.raises(rules.RuleViolation) as exc:
        Customer(name="错号", phone="12345", gender="F", address="上海").save()
    assert "11-digit" in exc.value.errors["phone"][0]


def test_two_simultaneous_submissions_of_one_phone_exactly_one_wins(world):
    """A1: the database unique index decides a race; the loser gets the clear message."""
    results: list[str] = []
    barrier = threading.Barrier(2)

    def submit(person):
        with db.connection_context(), rules.acting_as(actor_of(person)):
            barrier.wait()
            try:
                Customer(
                    name="抢注", phone="13712345678", gender="F", address="上海", owner=person.id
                ).save()
                results.append("won")
            except rules.RuleViolation as exc:
                results.append(exc.errors["phone"][0])

    threads = [threading.Thread(target=submit, args=(p,)) for p in (world.sales1, world.sales2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results)[-1] == "won" and results.count("won") == 1
    loser = [r for r in results if r != "won"][0]
    assert "already belongs to a customer owned by" in loser
    with system():
        assert Customer.select().where(Customer.phone == "13712345678").count() == 1
