"""Reading and writing import files (issue 9, item 5): CSV in the encodings Chinese offices
send, XLSX, the failed-rows file and the template, and uploads kept between the mapping step and
the import.

Encodings: a UTF-16 byte-order mark means UTF-16 (Excel's "Unicode text"); otherwise the bytes
are decoded as UTF-8 (with or without a BOM) and, if that fails, as GB18030, a superset of GBK
and GB2312 (Excel's default "CSV" in China). No detector library is used: charset-normalizer is
only present as a dependency of reportlab, and a strict UTF-8 decode rarely succeeds on GBK text
while the reverse is ambiguous, so the order above is both simple and reliable.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl

from admin_views.export_values import FORMULA_START, safe_cell

MAX_BYTES = 20 * 1024 * 1024
KEEP_SECONDS = 3600
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
ZIP_MAGIC = b"PK\x03\x04"  # an XLSX file is a zip archive


def decode_csv(data: bytes) -> str:
    """CSV bytes as text: UTF-16 (BOM), UTF-8 (BOM or not), else GB18030; ValueError if none."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError("unknown encoding")


def _cell_text(value: Any) -> str:
    """An XLSX cell as the text a CSV would hold (13800138000, not 13800138000.0)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _unquote(text: str) -> str:
    """Undo the export's formula guard: "'=1+1" (as our files write it) is the text "=1+1"."""
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text


def read_rows(data: bytes) -> list[list[str]]:
    """The rows of an uploaded CSV or XLSX file (first sheet), as text, blank ones kept so that
    row numbers match the spreadsheet's; ValueError if unreadable."""
    if data.startswith(ZIP_MAGIC):
        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 — any damaged or foreign zip
            raise ValueError("not a workbook") from exc
        rows = [
            [_cell_text(v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)
        ]
        book.close()
    else:
        rows = list(csv.reader(io.StringIO(decode_csv(data))))
    return [[_unquote(cell) for cell in row] for row in rows]


def csv_file(header: list[str], rows: list[list[str]]) -> bytes:
    """A UTF-8 CSV with a BOM (Excel opens it in Chinese), every cell formula-safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in [header, *rows]:
        writer.writerow([safe_cell(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


class UploadStore:
    """Uploads kept server-side between the mapping step and the import, for an hour.

    Files live in the system temp folder, named by the person's id and a random token, so one
    person can never read another's upload. Several web machines need a shared temp folder (or
    sticky sessions) for the mapping step; one machine with several workers is fine."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or Path(tempfile.gettempdir()) / "mingcrm-imports"

    def _path(self, owner: int, token: str, kind: str) -> Path:
        if not TOKEN.match(token):
            raise KeyError(token)
        return self.folder / f"{int(owner)}-{token}.{kind}"

    def put(self, owner: int, data: bytes, kind: str = "upload", token: str = "") -> str:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._forget_old()
        token = token or secrets.token_urlsafe(24)
        self._path(owner, token, kind).write_bytes(data)
        return token

    def get(self, owner: int, token: str, kind: str = "upload") -> bytes | None:
        try:
            return self._path(owner, token, kind).read_bytes()
        except (KeyError, OSError):
            return None

    def _forget_old(self) -> None:
        cutoff = time.time() - KEEP_SECONDS
        for path in self.folder.iterdir():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
            except OSError:
                continue
