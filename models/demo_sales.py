"""Demo stock and sales for `seed-demo`: opening stock, and orders at every approval step."""

from __future__ import annotations

from decimal import Decimal

from models.catalog import Product
from models.customers import Customer
from models.sales import SalesOrder, SalesOrderLine
from models.staff import Location, Staff
from models.stock import StockMove
from rules import Actor, acting_as

# (salesperson username, how far the order gets, lines as (sku, quantity), discount)
ORDERS = [
    ("sales1", "shipped", [("HP-001", 2), ("HP-005", 3)], "0"),
    ("sales1", "paid", [("HP-003", 1)], "20.00"),
    ("sales1", "verified", [("HP-002", 2), ("GF-001", 1)], "0"),
    ("sales1", "submitted", [("HP-006", 1), ("HP-004", 2)], "80.00"),
    ("sales2", "submitted", [("HP-007", 2)], "0"),
    ("sales2", "draft", [("HP-009", 1)], "0"),
    ("store1", "paid", [("HP-010", 2)], "0"),
]
WHO_APPROVES = {
    "submitted": None,
    "verified": "supervisor",
    "paid": "finance",
    "shipped": "warehouse",
}


def _actor(person: Staff) -> Actor:
    return Actor(
        id=person.id, username=person.username, roles=person.role_set, store_id=person.store_id
    )


def opening_stock() -> None:
    """200 of each product at the warehouse, 20 in each store."""
    for product in Product.select():
        for place in Location.select():
            qty = 200 if place.kind == "warehouse" else 20
            StockMove(
                product=product.id, location=place.id, quantity=qty, kind="inbound", note="期初库存"
            ).save()


def demo_orders() -> int:
    """Orders for the demo salespeople, moved through the chain by the real roles."""
    from rules.approval import approve
    from rules.sales import approve_discount

    people = {s.username: s for s in Staff.select()}
    made = 0
    for username, target, lines, discount in ORDERS:
        seller = people[username]
        customer = (
            Customer.select()
            .where(Customer.owner == seller.id)
            .order_by(Customer.id)
            .offset(made)
            .first()
        )
        if customer is None:
            continue
        with acting_as(_actor(seller)):
            order = SalesOrder(
                customer=customer.id, discount=Decimal(discount), payment_method="wechat"
            )
            order.save()
            for sku, qty in lines:
                product = Product.get(Product.sku == sku)
                SalesOrderLine(
                    order=order.id,
                    product=product.id,
                    quantity=qty,
                    unit_price=product.price,
                    is_gift=product.price == 0,
                ).save()
        for state in ("submitted", "verified", "paid", "shipped"):
            if SalesOrder.get_by_id(order.id).status == target:
                break
            person = seller if state == "submitted" else people[WHO_APPROVES[state]]
            with acting_as(_actor(person)):
                row = SalesOrder.get_by_id(order.id)
                if state == "paid" and row.discount_flagged:
                    approve_discount(row)
                    row = SalesOrder.get_by_id(order.id)
                approve(row)
        made += 1
    return made
