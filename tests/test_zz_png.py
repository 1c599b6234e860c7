import subprocess
from pathlib import Path
import pytest
from models.customers import Customer
from printouts.vouchers import TITLES
from tests.conftest import system
from tests.test_vouchers import delivery_for, make_order, render, shop  # noqa

OUT = Path("/tmp/vouchers_png")

@pytest.fixture
def overrides(overrides):
    import os
    sysf = os.environ.get("PNG_SYS", "0") == "1"
    return {**overrides, "printing": {"system_fonts": sysf}, "company": {"name": "上海堃喆健康产品有限公司"}}

@pytest.mark.parametrize("kind", list(TITLES))
def test_png(shop, kind):  # noqa: F811
    with system():
        Customer.update(name="刘䶮").where(Customer.id == shop.c_sales1.id).execute()
    order = make_order(shop, delivery_for(kind))
    data = render(kind, order)
    OUT.mkdir(exist_ok=True)
    import os
    tag = "sys" if os.environ.get("PNG_SYS") == "1" else "only"
    pdf = OUT / f"{kind}-{tag}.pdf"
    pdf.write_bytes(data)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(pdf), str(OUT / f"{kind}-{tag}")], check=True)
