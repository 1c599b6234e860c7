"""A web worker killed during a bulk transition (issue 11 item 3, fault 2).

On a fresh demo installation (SQLite in the SQLite pass, PostgreSQL in the PostgreSQL pass)
with eight orders at "paid", a process serving the web app (tests/fault_hooks.py `bulk`)
takes the sales grid's bulk "ship" as the warehouse: a step with effects, one engine verb per
order (status, transition row, audit row, a sale-outbound stock move per line). It is stopped
inside the fourth order's transaction, after that order's first write, and killed with SIGKILL.
Then each selected order is either fully shipped (status, exactly one transition row, its
audit row and one stock move per line) or untouched (still paid, none of them), the first
three are shipped, the rest untouched, and stock on hand equals the ledger's effects.
"""

from __future__ import annotations

import os
import signal
import subprocess

from tests.deployment import PROJECT, PY
from tests.test_faults_jobs import make_site, rows, wait_for_marker

KILLED_AT = 4


def test_each_row_of_a_killed_bulk_step_is_fully_moved_or_untouched():
    site = make_site()
    worker = None
    try:
        env = {**site.env, "PYTHONPATH": str(PROJECT)}

        def hooks(*args: str) -> str:
            done = subprocess.run(
                [PY, "-m", "tests.fault_hooks", *args], cwd=PROJECT, env=env,
                capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert done.returncode == 0, done.stdout + done.stderr
            return done.stdout.strip().splitlines()[-1]

        ids = [int(i) for i in hooks("paid-orders", "6").split()]
        assert len(ids) == 8
        stock_before = dict(
            rows(site, "SELECT product_id, sum(quantity) FROM stock_move GROUP BY 1")
        )
        marker, log = site.tmp / "paused", site.tmp / "worker.log"
        cmd = [PY, "-m", "tests.fault_hooks", "bulk", str(marker), str(KILLED_AT)]
        with log.open("wb") as out:
            worker = subprocess.Popen(
                [*cmd, ",".join(map(str, ids))], cwd=PROJECT, env=env, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        assert wait_for_marker(marker, worker, log) == f"row {KILLED_AT}"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)

        shipped = []
        for order in ids:
            status = rows(site, f"SELECT status FROM sales_order WHERE id = {order}")[0][0]
            moves = rows(
                site,
                "SELECT count(*) FROM stock_move WHERE kind = 'sale_outbound' "
                f"AND source = 'sales_order:{order}'",
            )[0][0]
            lines = rows(site, f"SELECT count(*) FROM sales_order_line WHERE order_id = {order}")
            transitions = rows(
                site,
                "SELECT count(*) FROM transition WHERE model = 'sales_order' "
                f"AND record_id = {order} AND to_state = 'shipped'",
            )[0][0]
            audits = rows(
                site,
                "SELECT count(*) FROM audit_log WHERE model = 'sales_order' "
                f"AND record_id = '{order}' AND changes LIKE '%shipped%'",
            )[0][0]
            if status == "shipped":
                assert (transitions, audits, moves) == (1, 1, lines[0][0]), order
                shipped.append(order)
            else:
                assert status == "paid", order
                assert (transitions, audits, moves) == (0, 0, 0), order
        assert shipped == ids[: KILLED_AT - 1]
        stock_after = dict(
            rows(site, "SELECT product_id, sum(quantity) FROM stock_move GROUP BY 1")
        )
        out = dict(
            rows(
                site,
                "SELECT l.product_id, sum(l.quantity) FROM sales_order_line l "
                f"WHERE l.order_id IN ({','.join(map(str, shipped))}) GROUP BY 1",
            )
        )
        for product, qty in stock_before.items():
            assert stock_after[product] == qty - out.get(product, 0), product
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
        site.drop()
