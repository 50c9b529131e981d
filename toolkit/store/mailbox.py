"""Where the mailbox ledger of `plankit fetch` lives, and one fetch at a time per mailbox.

  SQLite store      <store folder>/mailbox/ledger.sqlite, table `messages` (ordered by rowid);
                    one fetch at a time through the folder's lock file
  PostgreSQL store  table `mailbox_messages` in the plan's schema (ordered by `seq`); one fetch
                    at a time through a session advisory lock held for the whole round

On a server the ledger is shared like everything else in the store: coordinators fetching the
same mailbox from two PCs take each message once and answer it once. (A ledger per PC would
let the second PC merge every message again — the store would count it once — and send every
sender a second receipt.) The ledger's meaning is in toolkit.mail.ledger; this module only
knows its table, so `store copy` can carry it.
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass

from toolkit.store.lock import StoreBusyError, run_lock
from toolkit.store.location import Location
from toolkit.store.schema import ensure
from toolkit.store.sql import Database, PgDatabase, SqliteDatabase, connect

# the server's table, mailbox_messages, is made with the store's other tables (store.schema)

COLUMNS = ("account", "folder", "uidvalidity", "uid", "message_id", "raw_sha", "state", "quarter", "sender",
           "subject", "receipt", "receipt_id", "updated_at")
KEY = "account, folder, uidvalidity, uid"

SQLITE_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS messages(
  account TEXT NOT NULL, folder TEXT NOT NULL, uidvalidity INTEGER NOT NULL, uid INTEGER NOT NULL,
  message_id TEXT NOT NULL, raw_sha TEXT NOT NULL, state TEXT NOT NULL, quarter TEXT NOT NULL,
  sender TEXT NOT NULL, subject TEXT NOT NULL, receipt TEXT NOT NULL, receipt_id TEXT NOT NULL,
  updated_at TEXT NOT NULL, PRIMARY KEY({KEY}));
CREATE INDEX IF NOT EXISTS messages_mid ON messages(message_id);
CREATE INDEX IF NOT EXISTS messages_sha ON messages(raw_sha);
"""
LOCK_NAME = "mailbox"


@dataclass
class LedgerTable:
    """An open ledger: its connection, table and the column that keeps the order rows came in."""
    db: Database
    table: str
    order: str

    def close(self) -> None:
        self.db.close()


def open_table(location: Location, *, create: bool = True) -> LedgerTable | None:
    """The ledger of `location`'s store (None when `create` is False and there is none yet)."""
    if location.shared:
        db = location.open()
        if create:
            ensure(db, location.plan_id, archive=True)
        elif not db.has_table("mailbox_messages"):
            db.close()
            return None
        return LedgerTable(db, "mailbox_messages", "seq")
    path = location.root / "mailbox" / "ledger.sqlite"
    if not create and not path.is_file():
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    sqlite_db = SqliteDatabase(connect(path), str(path))
    sqlite_db.executescript(f"BEGIN;\n{SQLITE_SCHEMA}\nCOMMIT;")
    return LedgerTable(sqlite_db, "messages", "rowid")


@contextlib.contextmanager
def one_fetch(location: Location, timeout: float) -> Iterator[None]:
    """One fetch at a time on this store's mailbox ledger: a second waits `timeout` seconds, then
    gets StoreBusyError. On a server the lock is PostgreSQL's (held by a connection of its own:
    a fetch killed anywhere releases it with its connection)."""
    if not location.shared:
        with run_lock(location.root / "mailbox", timeout):
            yield
        return
    db = location.open()
    assert isinstance(db, PgDatabase)
    try:
        deadline = time.monotonic() + timeout
        while not db.try_hold(LOCK_NAME):
            if time.monotonic() >= deadline:
                raise StoreBusyError("另一个 plankit fetch 正在处理这个邮箱。", hint="请等它结束后再运行。")
            time.sleep(0.2)
        try:
            yield
        finally:
            with contextlib.suppress(Exception):  # a broken connection has released it already
                db.release(LOCK_NAME)
    finally:
        db.close()


def read_rows(location: Location) -> list[tuple]:
    """Every ledger row in the order it was written (COLUMNS), for `store copy`."""
    table = open_table(location, create=False)
    if table is None:
        return []
    try:
        return [tuple(r[c] for c in COLUMNS) for r in table.db.execute(
            f"SELECT {', '.join(COLUMNS)} FROM {table.table} ORDER BY {table.order}")]
    finally:
        table.close()


def write_rows(location: Location, rows: list[tuple]) -> None:
    """Rows read by read_rows into `location`'s (empty) ledger, in their order."""
    if not rows:
        return
    table = open_table(location)
    assert table is not None
    try:
        with table.db.transaction():
            table.db.executemany(f"INSERT INTO {table.table}({', '.join(COLUMNS)}) VALUES({', '.join('?' * len(COLUMNS))})",
                                 rows)
    finally:
        table.close()
