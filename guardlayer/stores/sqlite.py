"""SQLite store: one real file shared safely by many threads and processes on one machine.

WAL journal, ``BEGIN IMMEDIATE`` (the write lock is taken before reading, so two processes
can never both read the same total and both spend it) and a busy timeout. One connection per
thread, reopened after ``fork``. The schema has had no versions: a file whose tables lack what
the statements name (another program's tables of the same names) is refused when opened.
"""
from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from .base import LocalStore, StoreUnavailable

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires REAL);
CREATE TABLE IF NOT EXISTS buckets (key TEXT PRIMARY KEY, level REAL NOT NULL, ts REAL NOT NULL,
                                    expires REAL NOT NULL);
CREATE INDEX IF NOT EXISTS counters_expires ON counters (expires);
"""
_LIVE = "(expires IS NULL OR expires > ?)"
_COLUMNS = {"counters": ("key", "value", "expires"), "buckets": ("key", "level", "ts", "expires")}


class SQLiteStore(LocalStore):
    def __init__(self, path: str | Path, *, busy_timeout: float = 30.0,
                 purge_every: int = 500) -> None:
        self.path = str(path)
        self.busy_timeout, self.purge_every = busy_timeout, purge_every
        self._local = threading.local()
        self._conn()

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            try:
                conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None,
                                       check_same_thread=False)
                conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
                self._wal(conn)
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.executescript(_SCHEMA)
                problem = _unfit(conn)
            except sqlite3.Error as exc:
                raise StoreUnavailable(f"cannot open the SQLite budget store {self.path}: {exc}") from exc
            if problem:
                conn.close()
                raise StoreUnavailable(f"cannot open the SQLite budget store {self.path}: {problem}: "
                                       "its tables are not this version's budget tables; give the budget a file of its own")
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def _wal(self, conn: sqlite3.Connection) -> None:
        """Switch to WAL, waiting up to ``busy_timeout`` while other processes do the same:
        SQLite answers "database is locked" then without calling its busy handler (6 of 90
        processes opening a new file at once failed)."""
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.005)

    @contextlib.contextmanager
    def _transaction(self, now: float) -> Iterator[None]:
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                if self.purge_every and random.randrange(self.purge_every) == 0:
                    conn.execute("DELETE FROM counters WHERE expires <= ?", (now,))
                    conn.execute("DELETE FROM buckets WHERE expires <= ?", (now,))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite budget store {self.path}: {exc}") from exc

    def _sum(self, keys: Sequence[str], now: float) -> int:
        marks = ",".join("?" * len(keys))
        row = self._conn().execute(
            f"SELECT COALESCE(SUM(value), 0) FROM counters WHERE key IN ({marks}) AND {_LIVE}",
            (*keys, now)).fetchone()
        return int(row[0])

    def _add(self, key: str, amount: int, ttl: int | None, now: float) -> None:
        expires = None if ttl is None else now + ttl
        self._conn().execute(
            "INSERT INTO counters (key, value, expires) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE"
            " SET value = CASE WHEN counters.expires IS NULL OR counters.expires > ?"
            " THEN counters.value + excluded.value ELSE excluded.value END, expires = excluded.expires",
            (key, amount, expires, now))

    def _bucket(self, key: str, now: float) -> tuple[float, float] | None:
        row = self._conn().execute("SELECT level, ts FROM buckets WHERE key = ? AND expires > ?",
                                   (key, now)).fetchone()
        return (row[0], row[1]) if row else None

    def _set_bucket(self, key: str, level: float, ts: float, ttl: int, now: float) -> None:
        self._conn().execute("INSERT OR REPLACE INTO buckets (key, level, ts, expires) "
                             "VALUES (?, ?, ?, ?)", (key, level, ts, now + ttl))

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _unfit(conn: sqlite3.Connection) -> str | None:
    """What keeps the file's tables from taking the store's statements, if anything: a missing
    column, a key that is not the primary key, another column that must be given a value."""
    for table, needed in _COLUMNS.items():
        rows = conn.execute(f"PRAGMA table_info({table})").fetchall()  # cid, name, type, notnull, default, pk
        missing = [c for c in needed if c not in {r[1] for r in rows}]
        if missing:
            return f"table {table} has no column {', '.join(missing)}"
        if [r[1] for r in rows if r[5]] != ["key"]:
            return f"the primary key of table {table} is not its key column"
        required = [r[1] for r in rows if r[1] not in needed and r[3] and r[4] is None]
        if required:
            return f"table {table} has column {', '.join(required)}, which needs a value the store does not give"
    return None
