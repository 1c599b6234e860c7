"""Is a test service reachable? `python -m tests.services postgres|redis` exits 0 if so.

With MINGCRM_REQUIRE_SERVICES=1 (CI) an unreachable service is an error, not a skip.
"""

from __future__ import annotations

import os
import socket
import sys
from urllib.parse import urlparse

URLS = {"postgres": "MINGCRM_TEST_POSTGRES", "redis": "MINGCRM_TEST_REDIS"}


def reachable(kind: str) -> str | None:
    """The service URL when its port answers on this machine, else None."""
    url = os.environ.get(URLS[kind])
    if not url:
        return None
    parts = urlparse(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=1):
            return url
    except OSError:
        return None


def required() -> bool:
    return os.environ.get("MINGCRM_REQUIRE_SERVICES") == "1"


if __name__ == "__main__":
    kind = sys.argv[1]
    if reachable(kind):
        sys.exit(0)
    if required():
        print(
            f"{kind} is required (MINGCRM_REQUIRE_SERVICES=1) but {os.environ.get(URLS[kind])} "
            "does not answer",
            file=sys.stderr,
        )
        sys.exit(2)
    print(f"{kind} not reachable: its test pass is skipped", file=sys.stderr)
    sys.exit(1)
