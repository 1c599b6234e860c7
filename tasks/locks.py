"""Job locks that expire by themselves, on every queue storage we configure.

huey 3.5.4's `lock_task(name, ttl=...)` hands the ttl to `storage.put_if_empty`, and there:
- `RedisExpireStorage` sets the key with `SET NX EX ttl`: the Redis server expires it, on any
  version. (`RedisStorage` keeps locks in one hash and needs hash-field TTL, Redis 7.4+.)
- `MemoryStorage` ignores the ttl and `SqliteStorage` raises NotImplementedError.
So the memory and SQLite storages below keep the lock's deadline in its value and treat a
passed deadline as no lock, checked and replaced inside one exclusive transaction (SQLite) or
under the storage's lock (memory). A run killed mid-way therefore blocks its job only until its
lock's time is up, and no consumer ever needs to flush locks at start-up (which would break a
run still going in another consumer).
"""

from __future__ import annotations

import time
from typing import Any

from huey.constants import EmptyData
from huey.storage import MemoryStorage, SqliteStorage

TAG = b"\x00expires-at:"  # huey's pickled values start with b"\x80", never with this


def clock() -> float:
    """Seconds since the epoch, shared by every process on the machine (tests move it)."""
    return time.time()


def with_deadline(value: bytes, ttl: int) -> bytes:
    """`value` stamped with the moment it expires."""
    return TAG + repr(clock() + ttl).encode() + b"\n" + bytes(value)


def expired(value: Any) -> bool:
    """True when `value` carries a deadline that has passed."""
    if value is EmptyData or value is None:
        return False
    raw = bytes(value)
    if not raw.startswith(TAG):
        return False
    deadline = float(raw[len(TAG) :].split(b"\n", 1)[0])
    return deadline <= clock()


class ExpiringMemoryStorage(MemoryStorage):
    """In-memory huey storage (tests, immediate mode) whose locks honour their ttl."""

    def put_if_empty(self, key: str, value: bytes, ttl: int | None = None) -> bool:
        with self._lock:
            held = self._results.get(key, EmptyData)
            if held is not EmptyData and not expired(held):
                return False
            self._results[key] = value if ttl is None else with_deadline(value, ttl)
            return True

    def has_data_for_key(self, key: str) -> bool:
        held = self._results.get(key, EmptyData)
        return held is not EmptyData and not expired(held)


class ExpiringSqliteStorage(SqliteStorage):
    """SQLite huey storage whose locks honour their ttl, across processes."""

    def put_if_empty(self, key: str, value: bytes, ttl: int | None = None) -> bool:
        if ttl is None:
            return super().put_if_empty(key, value)
        with self.db(commit=True) as curs:  # BEGIN EXCLUSIVE: check and take in one step
            curs.execute("select value from kv where queue = ? and key = ?", (self.name, key))
            row = curs.fetchone()
            if row is not None and not expired(row[0]):
                return False
            curs.execute(
                "insert or replace into kv (queue, key, value) values (?, ?, ?)",
                (self.name, key, self.to_blob(with_deadline(value, ttl))),
            )
            return True

    def has_data_for_key(self, key: str) -> bool:
        return not expired(held := self.peek_data(key)) and held is not EmptyData
