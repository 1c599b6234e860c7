"""Send a printout to the browser: an inline PDF with a safe file name."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from flask import Response
from werkzeug.utils import secure_filename

_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')


def _clean(filename: str) -> str:
    """The name without path parts, quotes or control characters, ending in .pdf."""
    name = unicodedata.normalize("NFC", filename or "")
    name = _UNSAFE.sub("_", name).strip(" ._") or "printout"
    name = name[:120]
    return name if name.lower().endswith(".pdf") else f"{name}.pdf"


def pdf_response(data: bytes, filename: str) -> Response:
    """An inline PDF response; the file name is cleaned, with a UTF-8 form for Chinese names."""
    name = _clean(filename)
    ascii_name = f"{secure_filename(name[:-4]) or 'printout'}.pdf"
    disposition = f'inline; filename="{ascii_name}"'
    if ascii_name != name:
        disposition += f"; filename*=UTF-8''{quote(name, safe='')}"
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = disposition
    response.headers["Content-Length"] = str(len(data))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
