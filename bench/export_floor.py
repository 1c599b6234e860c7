"""The owner's whole-table customer export against its floor (issue 10, item 5).

The app's export is read as a stream (never held whole, as a browser saves it): seconds, time
to the first row, and how much the process's peak memory grew. The floor is the driver's own
cursor running hand-written SQL for the same columns, joins and rows (the owned customers,
newest first, with the owner/salesperson/store labels and days left) and writing each row with
csv.writer; on PostgreSQL it reads through a named cursor too, so both stream.
"""

from __future__ import annotations

import csv
import gc
import time
import uuid
from statistics import median

from models import Location, Staff, db

URL = "/admin/customer/export/csv/"
OWN = ("id", "name", "phone", "gender", "level", "owner_id", "salesperson_id", "store_id")
OWN += ("last_followup_at", "incomplete", "created_at")


class Sink:
    """Where csv.writer writes: counts lines, keeps nothing."""

    def __init__(self) -> None:
        self.lines = 0

    def write(self, text: str) -> None:
        self.lines += 1


def custom_columns() -> tuple[str, ...]:
    """The customer's run-time custom field columns (x_…), which the export carries too."""
    from models import Customer

    return tuple(f.column_name for f in Customer._meta.sorted_fields if f.name.startswith("x_"))


def floor_sql(days_left: str) -> str:
    labels = ", ".join(
        f"{alias}.{column}"
        for alias, model in (("o", Staff), ("s", Staff), ("l", Location))
        for column in model.label_fields
    )
    own = ", ".join(f"c.{column}" for column in (*OWN, *custom_columns()))
    return (
        f'SELECT {own}, {labels}, {days_left} AS days_left FROM "customer" c'
        ' LEFT JOIN "staff" o ON c.owner_id = o.id LEFT JOIN "staff" s ON c.salesperson_id = s.id'
        ' LEFT JOIN "location" l ON c.store_id = l.id'
        " WHERE c.owner_id IS NOT NULL ORDER BY c.created_at DESC"
    )


def raw_floor(days_left: str, params: list, repeat: int) -> tuple[float, int]:
    """(median seconds, rows) of the driver writing the same rows with csv.writer."""
    sql = floor_sql(days_left)

    def once() -> tuple[float, int]:
        sink = Sink()
        writer = csv.writer(sink)
        with db.connection_context():
            start = time.perf_counter()
            if db.obj.param == "?":
                writer.writerows(db.execute_sql(sql, params))
            else:
                with db.atomic():
                    name = f"floor_{uuid.uuid4().hex}"
                    with db.connection().cursor(name=name, withhold=True) as cursor:
                        cursor.itersize = 2000
                        cursor.execute(sql, params)
                        writer.writerows(cursor)
            return time.perf_counter() - start, sink.lines

    once()
    runs = [once() for _ in range(repeat)]
    return median(t for t, _ in runs), runs[-1][1]


def memory_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith(field))
    return int(line.split()[1])


def stream_export(client) -> tuple[float, float, int, float]:
    """One streamed export: (seconds, seconds to the first row, rows, peak growth in MiB)."""
    gc.collect()
    with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
        refs.write("5")  # resets the peak (VmHWM) to the current size
    base = memory_kib("VmRSS")
    start, first, lines, head = time.perf_counter(), 0.0, 0, b""
    response = client.get(URL, buffered=False)
    assert response.status_code == 200, f"{URL}: HTTP {response.status_code}"
    for chunk in response.response:
        if not lines:
            head += chunk if isinstance(chunk, bytes) else chunk.encode()
        lines += chunk.count("\n" if isinstance(chunk, str) else b"\n")
        if lines > 1 and not first:
            first = time.perf_counter() - start
    response.close()
    seconds = time.perf_counter() - start
    header = next(csv.reader([head.decode("utf-8-sig").splitlines()[0]]))
    assert len(header) >= len(custom_columns()) + 8, f"export header: {header}"
    return seconds, first, lines - 1, (memory_kib("VmHWM") - base) / 1024


def owner_export(client, days_left: str, params: list, repeat: int) -> dict:
    """The owner's export next to its floor; the same rows or the bench stops."""
    stream_export(client)
    runs = [stream_export(client) for _ in range(repeat)]
    raw_s, raw_rows = raw_floor(days_left, params, repeat)
    rows = runs[-1][2]
    assert rows == raw_rows, f"owner export: the app writes {rows} rows, its floor {raw_rows}"
    return {
        "s": median(r[0] for r in runs),
        "first_row_s": median(r[1] for r in runs),
        "peak_mib": max(r[3] for r in runs),
        "raw_s": raw_s,
        "rows": rows,
    }


def report(tag: str, found: dict, figures: dict) -> None:
    ratio = found["s"] / found["raw_s"]
    print(
        f"owner export: {found['s'] * 1000:.0f} ms, first row {found['first_row_s'] * 1000:.0f} ms,"
        f" floor {found['raw_s'] * 1000:.0f} ms, ratio {ratio:.2f},"
        f" peak +{found['peak_mib']:.1f} MiB, {found['rows']} rows"
    )
    figures[f"export_{tag}_owner_s"] = round(found["s"], 4)
    figures[f"export_{tag}_first_row_s"] = round(found["first_row_s"], 4)
    figures[f"raw_export_{tag}_csv_s"] = round(found["raw_s"], 4)
    figures[f"export_{tag}_over_raw_floor"] = round(ratio, 2)
    figures[f"export_{tag}_peak_mib"] = round(found["peak_mib"], 1)
    figures[f"export_{tag}_owner_rows"] = found["rows"]
