"""Ownership (A1, A4, A5): new customers, the pool, claim, assign and transfer, on every path."""

from __future__ import annotations

from datetime import timedelta

import pytest

import rules
from models import Customer, OwnershipChange, db
from models.audit import utcnow
from rules.ownership import assign, claim, release
from tests.conftest import actor_of, system


def acting(person):
    return rules.acting_as(actor_of(person))


def reasons(customer) -> list[str]:
    return [
        o.reason
        for o in OwnershipChange.select()
        .where(OwnershipChange.customer == customer.id)
        .order_by(OwnershipChange.id)
    ]


def test_a_new_customer_belongs_to_whoever_enters_it_and_starts_the_clock(as_user, world):
    as_user("sales2").post(
        "/admin/customer/new/",
        {"name": "周新", "phone": "13566667777", "gender": "M", "address": "上海"},
    )
    with system():
        row = Customer.get(Customer.phone == "13566667777")
        assert row.owner_id == world.sales2.id and row.clock_start is not None
        assert reasons(row) == ["created"]


def test_store_staff_customers_belong_to_their_store(as_user, world):
    as_user("store1").post(
        "/admin/customer/new/",
        {"name": "店客", "phone": "13566668888", "gender": "F", "address": "上海"},
    )
    with system():
        row = Customer.get(Customer.phone == "13566668888")
        assert (row.owner_id, row.store_id) == (world.store1.id, world.s1.id)


def test_salesperson_claims_from_the_pool_through_the_grid(as_user, world):
    c = as_user("sales2")
    assert "张丽娟" in c.get("/admin/pool/").get_data(as_text=True)
    c.post("/admin/pool/action/", {"action": "claim", "rowid": world.c_pool.id})
    with system():
        row = Customer.get_by_id(world.c_pool.id)
        assert row.owner_id == world.sales2.id and row.clock_start is not None
        assert reasons(row) == ["claim"]
    assert world.c_pool.phone in c.get("/admin/customer/").get_data(as_text=True)
    assert world.c_pool.phone not in c.get("/admin/pool/").get_data(as_text=True)


CLAIM_REFUSALS = [
    ("sales2", "c_sales1", "not in the pool"),
    ("store1", "c_pool", "Only salespeople"),
]


@pytest.mark.parametrize("who,which,message", CLAIM_REFUSALS)
def test_claim_refusals(world, who, which, message):
    with db.connection_context(), acting(getattr(world, who)):
        with pytest.raises(rules.RuleViolation, match=message):
            claim(Customer.get_by_id(getattr(world, which).id))


def test_store_pool_is_claimed_only_by_that_stores_staff(world):
    with system():
        release(Customer.get_by_id(world.c_store1.id))
        row = Customer.get_by_id(world.c_store1.id)
        row.released_at -= timedelta(days=30)  # past the cooldown for its former owner
        row.save()
    with db.connection_context():
        with acting(world.store2), pytest.raises(rules.RuleViolation):
            claim(Customer.get_by_id(world.c_store1.id))
        with acting(world.sales1), pytest.raises(rules.RuleViolation, match="store's staff"):
            claim(Customer.get_by_id(world.c_store1.id))
        with acting(world.store1):
            claim(Customer.get_by_id(world.c_store1.id))
        assert Customer.get_by_id(world.c_store1.id).owner_id == world.store1.id


def test_claim_stops_at_max_customers_per_owner(app, world):
    rules.settings()  # the app fixture's policy
    cfg = rules.settings().customers.model_copy(update={"max_customers_per_owner": 1})
    rules.configure(rules.settings().model_copy(update={"customers": cfg}))
    with db.connection_context(), acting(world.sales1):
        with pytest.raises(rules.RuleViolation, match="most allowed"):
            claim(Customer.get_by_id(world.c_pool.id))


def test_previous_owner_waits_for_the_cooldown(world):
    with system():
        release(Customer.get_by_id(world.c_sales1.id))
    with db.connection_context(), acting(world.sales1):
        with pytest.raises(rules.RuleViolation, match="claim it again from"):
            claim(Customer.get_by_id(world.c_sales1.id))
    with system():
        row = Customer.get_by_id(world.c_sales1.id)
        row.released_at = utcnow() - timedelta(days=16)
        with rules.acting_as(rules.SYSTEM):
            row.save()
    with db.connection_context(), acting(world.sales1):
        claim(Customer.get_by_id(world.c_sales1.id))


def test_owner_role_assigns_and_transfers_in_bulk(as_user, world):
    c = as_user("owner")
    page = c.get(f"/admin/customer/assign/?ids={world.c_sales1.id},{world.c_sales2.id}")
    assert page.status_code == 200 and world.c_sales1.name in page.get_data(as_text=True)
    c.post(
        "/admin/customer/assign/",
        {"ids": f"{world.c_sales1.id},{world.c_sales2.id}", "staff": world.sales2.id},
    )
    with system():
        assert Customer.get_by_id(world.c_sales1.id).owner_id == world.sales2.id
        assert reasons(world.c_sales1) == ["created", "transfer"]
        assert reasons(world.c_sales2) == ["created"]  # already theirs: refused, unchanged
    c.post("/admin/pool/assign/", {"ids": str(world.c_pool.id), "staff": world.sales1.id})
    with system():
        assert Customer.get_by_id(world.c_pool.id).owner_id == world.sales1.id
        assert reasons(world.c_pool) == ["assign"]


def test_only_the_owner_role_may_assign(as_user, world):
    c = as_user("supervisor")
    assert c.get(f"/admin/customer/assign/?ids={world.c_sales1.id}").status_code == 403
    c.post("/admin/customer/assign/", {"ids": str(world.c_sales1.id), "staff": world.sales2.id})
    with system():
        assert Customer.get_by_id(world.c_sales1.id).owner_id == world.sales1.id
    with db.connection_context(), acting(world.sales1):
        with pytest.raises(rules.RuleViolation, match="Only the owner role"):
            assign(Customer.get_by_id(world.c_pool.id), world.sales1)


def test_owner_cannot_be_changed_by_a_plain_write(as_user, world):
    """A form, inline edit or crafted POST cannot move a customer: only the verbs can."""
    c = as_user("sales1")
    c.post(
        "/admin/customer/ajax/update/",
        {"list_form_pk": world.c_sales1.id, "owner": world.sales2.id},
    )
    c.post(
        f"/admin/customer/edit/?id={world.c_sales1.id}",
        {
            "name": "王秀英",
            "phone": "13900000001",
            "gender": "F",
            "address": "上海",
            "owner": world.sales2.id,
            "store": world.s1.id,
        },
    )
    with system():
        row = Customer.get_by_id(world.c_sales1.id)
        assert (row.owner_id, row.store_id) == (world.sales1.id, None)
    with db.connection_context(), acting(world.owner):
        row = Customer.get_by_id(world.c_sales1.id)
        row.owner = world.sales2.id
        with pytest.raises(rules.RuleViolation, match="Claim, Assign or Transfer"):
            row.save()


def test_days_left_column_is_shown_and_sortable(as_user, world):
    with system():
        row = Customer.get_by_id(world.c_sales1.id)
        row.clock_start = utcnow() - timedelta(days=20)
        row.save()
    c = as_user("sales1")
    page = c.get("/admin/customer/").get_data(as_text=True)
    assert "10 days" in page or "10 天" in page
    idx = page.index("days_left") if "days_left" in page else -1
    assert idx > 0  # the column header links to a sort on it
    assert c.get("/admin/customer/?sort=7").status_code == 200
