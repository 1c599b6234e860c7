"""Demo company for `flask --app app seed-demo` (idempotent): logins, places, products, customers."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from models.audit import utcnow
from models.catalog import Product
from models.customers import Customer
from models.staff import Location, Staff

DEMO_PASSWORD = "mingcrm-demo"

LOCATIONS = [
    ("WH01", "总部仓库", "warehouse", "上海市闵行区莘庄工业区春东路508号"),
    ("S01", "南京西路专卖店", "store", "上海市静安区南京西路1038号"),
    ("S02", "徐家汇专卖店", "store", "上海市徐汇区漕溪北路88号"),
]

# username, display name, roles, store code
STAFF = [
    ("owner", "王大明", "owner", None),
    ("sales1", "李娜", "salesperson", None),
    ("sales2", "张伟", "salesperson", None),
    ("supervisor", "陈静", "sales_supervisor", None),
    ("finance", "刘芳", "finance", None),
    ("warehouse", "赵强", "warehouse", None),
    ("store1", "孙丽", "store_staff", "S01"),
    ("store2", "周杰", "store_staff", "S02"),
    ("marketing", "吴敏", "marketing", None),
    ("reception", "郑洁", "receptionist", None),
]

PRODUCTS = [
    ("HP-001", "蜂胶软胶囊", "0.5g×60粒", "瓶", "198.00"),
    ("HP-002", "深海鱼油软胶囊", "1g×100粒", "瓶", "268.00"),
    ("HP-003", "破壁灵芝孢子粉", "2g×30袋", "盒", "598.00"),
    ("HP-004", "螺旋藻片", "0.5g×200片", "瓶", "158.00"),
    ("HP-005", "维生素C泡腾片", "4g×20片", "支", "39.90"),
    ("HP-006", "乳清蛋白粉", "900g", "罐", "328.00"),
    ("HP-007", "钙维生素D片", "1.2g×60片", "瓶", "128.00"),
    ("HP-008", "葡萄籽提取物胶囊", "0.4g×60粒", "瓶", "238.00"),
    ("HP-009", "益生菌冻干粉", "2g×30条", "盒", "216.00"),
    ("HP-010", "阿胶枣礼盒", "500g", "盒", "168.00"),
    ("GF-001", "定制保温杯", "500ml", "个", "0.00"),
    ("GF-002", "环保购物袋", "大号", "个", "0.00"),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = [
    "秀英",
    "桂英",
    "秀兰",
    "玉兰",
    "建华",
    "建国",
    "志强",
    "丽娟",
    "海燕",
    "国庆",
    "淑珍",
    "丽华",
    "春梅",
    "婷婷",
    "晓明",
    "文静",
    "俊杰",
    "雪梅",
    "红霞",
    "德明",
    "慧敏",
    "子涵",
    "宇轩",
    "欣怡",
    "振华",
    "美玲",
    "永强",
    "凤英",
    "金花",
    "晨曦",
]
STREETS = [
    "静安区延安中路",
    "徐汇区衡山路",
    "长宁区愚园路",
    "浦东新区张杨路",
    "黄浦区淮海中路",
    "普陀区长寿路",
    "杨浦区国定路",
    "闵行区七莘路",
    "虹口区四川北路",
    "宝山区牡丹江路",
]
PREFIXES = ["139", "138", "137", "136", "135", "158", "159", "186", "187", "188", "150", "151"]


def _get_or_create(model, key: dict, values: dict) -> tuple[object, bool]:
    row = model.get_or_none(**key)
    if row is not None:
        return row, False
    row = model(**key, **values)
    row.save()
    return row, True


def _first_day_of_work() -> None:
    """Run today's jobs once so the demo opens with tasks and reclaim warnings."""
    from rules import local_today
    from rules.followups import generate_tasks
    from rules.reclaim import warn_owners

    warn_owners(utcnow())
    generate_tasks(local_today())


def seed(customers: int = 80) -> dict[str, int]:
    """Create the demo company; rows that already exist are left alone. Return counts created."""
    made = {"locations": 0, "staff": 0, "products": 0, "customers": 0}
    places = {}
    for code, name, kind, address in LOCATIONS:
        places[code], new = _get_or_create(
            Location, {"code": code}, {"name": name, "kind": kind, "address": address}
        )
        made["locations"] += new
    people = {}
    for username, display, roles, store in STAFF:
        person = Staff.get_or_none(username=username)
        if person is None:
            person = Staff(
                username=username,
                display_name=display,
                roles=roles,
                store=places[store] if store else None,
            )
            person.set_password(DEMO_PASSWORD)
            person.save()
            made["staff"] += 1
        people[username] = person
    for sku, name, spec, unit, price in PRODUCTS:
        made["products"] += _get_or_create(
            Product,
            {"sku": sku},
            {"name": name, "spec": spec, "unit": unit, "price": Decimal(price)},
        )[1]
    rnd = random.Random(20260101)
    owners = [
        ("sales1", None),
        ("sales2", None),
        ("store1", "S01"),
        ("store2", "S02"),
        (None, None),
    ]
    for i in range(customers):
        phone = rnd.choice(PREFIXES) + f"{rnd.randrange(10**8):08d}"
        name = rnd.choice(SURNAMES) + rnd.choice(GIVEN)
        gender, street, number = rnd.choice("FM"), rnd.choice(STREETS), rnd.randrange(1, 999)
        born = date(1950, 1, 1) + timedelta(days=rnd.randrange(365 * 50))
        level = rnd.choice(("normal", "normal", "normal", "silver", "gold", "vip"))
        owner, store = owners[i % len(owners)]
        taken = utcnow() - timedelta(days=rnd.randrange(0, 29), hours=rnd.randrange(24))
        next_on = (taken + timedelta(days=rnd.randrange(3, 20))).date()
        if Customer.get_or_none(phone=phone):
            continue
        complete = i % 4 != 0
        Customer(
            owner_since=taken if owner else None,
            clock_start=taken if owner else None,
            next_followup_on=next_on if owner else None,
            name=name,
            phone=phone,
            gender=gender,
            address=f"上海市{street}{number}号",
            wechat=f"wx_{phone[-6:]}" if complete else None,
            birthday=born if complete else None,
            level=level,
            owner=people[owner] if owner else None,
            store=places[store] if store else None,
            salesperson=people[owner] if store else None,
        ).save()
        made["customers"] += 1
    if made["customers"]:
        from models.demo_sales import demo_orders, opening_stock

        opening_stock()
        made["orders"] = demo_orders()
        _first_day_of_work()
    return made
