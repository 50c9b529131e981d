"""Where a plan's store is: `--store URL` / PLANKIT_STORE, or today's store under --out.

  (nothing)                   out/<plan_id>/store/plankit.sqlite, the archive beside it
  sqlite:///PATH              PATH is the database file (relative; sqlite:////abs for /abs);
                              its archive is the `archive` folder beside it
  postgresql://user@host:port/db
                              a PostgreSQL database shared by several coordinators: each plan in
                              its own schema (named after the plan), the received files' bytes in
                              the database too, so another PC needs only the URL

A URL holding a password is refused (it would be seen in the shell history and in process
lists): libpq reads it from PGPASSWORD or ~/.pgpass. The label printed anywhere never has one.
"""
from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from toolkit.errors import STORE_URL
from toolkit.model import Plan
from toolkit.paths import store_dir
from toolkit.store import schema
from toolkit.store.diagnose import StoreError
from toolkit.store.sql import Database, PgDatabase, SqliteDatabase, connect

ENV = "PLANKIT_STORE"
DB_NAME = "plankit.sqlite"
SQLITE, POSTGRESQL = "sqlite", "postgresql"
URL_HINT = "请写成 sqlite:///文件路径 或 postgresql://用户名@主机:端口/库名（密码放在 PGPASSWORD 环境变量或 ~/.pgpass 文件中）。"


@dataclass(frozen=True)
class Location:
    """One plan's store: a SQLite file (archive folder beside it) or a PostgreSQL schema."""
    kind: str
    plan_id: str
    db_path: Path | None = None  # SQLite
    conninfo: str = ""  # PostgreSQL: the URL as given (it holds no password)
    label: str = ""  # safe to print

    @property
    def shared(self) -> bool:
        """A server: merges run side by side, each file in its own locked transaction."""
        return self.kind == POSTGRESQL

    @property
    def root(self) -> Path:
        """SQLite: the folder of the database, its archive and merge.lock."""
        assert self.db_path is not None, "a PostgreSQL store has no folder"
        return self.db_path.parent

    @property
    def schema(self) -> str:
        """PostgreSQL: the plan's schema (identifiers are at most 63 bytes)."""
        name = self.plan_id or "plankit"
        if len(name.encode("utf-8")) > 63:
            import hashlib
            digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]
            name = name.encode("utf-8")[:50].decode("utf-8", "ignore") + "-" + digest
        return name

    def open(self, *, readonly: bool = False) -> Database:
        if self.kind == POSTGRESQL:
            return PgDatabase(self.conninfo, self.label, self.schema)
        assert self.db_path is not None
        return SqliteDatabase(connect(self.db_path, readonly=readonly), str(self.db_path))

    def exists(self) -> bool:
        """Whether anything was ever stored here (without creating it)."""
        if self.kind == SQLITE:
            assert self.db_path is not None
            return self.db_path.exists()
        db = self.open()
        try:
            return db.has_table("submissions")
        finally:
            db.close()


_CURRENT: ContextVar[str | None] = ContextVar("plankit_store", default=None)


@contextlib.contextmanager
def use_store(store: str | None) -> Iterator[None]:
    """Within the block, every plan's store is `store` (a URL) unless a call names another: how
    a command's --store reaches the steps a library call goes through (evaluate, report, brief,
    reminders) without each passing it on."""
    if not store:
        yield
        return
    token = _CURRENT.set(store)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def resolve(plan: Plan, out_dir: Path | str, store: str | Location | None = None) -> Location:
    """The store for `plan`: `store` (a URL), else use_store's, else PLANKIT_STORE, else
    out/<plan>/store/."""
    if isinstance(store, Location):
        return store
    url = store or _CURRENT.get() or os.environ.get(ENV) or ""
    if not url.strip():
        db = store_dir(plan, Path(out_dir)) / DB_NAME
        return Location(SQLITE, plan.plan_id, db_path=db, label=str(db))
    return parse(url.strip(), plan.plan_id)


def parse(url: str, plan_id: str = "") -> Location:
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        if not path or path.endswith("/"):
            raise StoreError(f"数据存储地址“{url}”没有给出数据库文件。", hint=URL_HINT, code=STORE_URL)
        db = Path(path).expanduser()
        return Location(SQLITE, plan_id, db_path=db, label=str(db))
    if url.startswith(("postgresql://", "postgres://")):
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise StoreError("数据存储地址格式不对（端口应是数字）。", hint=URL_HINT, code=STORE_URL) from None
        if parts.password is not None or "password" in {k.lower() for k in parse_qs(parts.query)}:
            raise StoreError("数据存储地址中含有密码，已拒绝：写在命令行或环境变量里的密码会留在命令历史和进程列表中。",
                             hint="请去掉地址中的密码，改为设置 PGPASSWORD 环境变量或写入 ~/.pgpass 文件"
                                  "（Windows 为 %APPDATA%\\postgresql\\pgpass.conf）。", code=STORE_URL)
        database = parts.path.lstrip("/")
        if not database:
            raise StoreError("数据存储地址中没有库名（postgresql://用户名@主机:端口/库名）。", hint=URL_HINT, code=STORE_URL)
        user = f"{parts.username}@" if parts.username else ""
        label = f"{user}{parts.hostname or 'localhost'}:{port or 5432}/{database}"
        return Location(POSTGRESQL, plan_id, conninfo=url, label=label)
    shown = url if "@" not in url else url.split("://", 1)[0] + "://…"
    raise StoreError(f"无法识别数据存储地址“{shown}”。", hint=URL_HINT, code=STORE_URL)


def reader(location: Location) -> Database:
    """A connection to read from; a store of an older version is upgraded first (once)."""
    if location.kind == POSTGRESQL:
        db = location.open()
        try:
            version = _version(db)
            if version != schema.SCHEMA_VERSION:
                schema.ensure(db, location.plan_id, archive=True)
        except BaseException:
            db.close()
            raise
        return db
    db = location.open(readonly=True)
    try:
        version = _version(db)
    except sqlite3.Error:
        version = schema.SCHEMA_VERSION  # no tables yet, or damaged: the callers say which
    if version == schema.SCHEMA_VERSION:
        return db
    db.close()
    writer = location.open()
    try:
        schema.ensure(writer, location.plan_id)
    finally:
        writer.close()
    return location.open(readonly=True)


def _version(db: Database) -> str:
    if not db.has_table("meta"):
        return "0" if db.dialect == POSTGRESQL else "2"
    row = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
    return row[0] if row is not None else "1"


def merge_running_for(plan: Plan, out_dir: Path | str, store: str | Location | None = None) -> str:
    """Who is merging into `plan`'s SQLite store right now ("" when no one is): a report made
    meanwhile may miss those files. A server store is read as one snapshot and never says."""
    from toolkit.store.lock import merge_running
    location = resolve(plan, out_dir, store)
    return merge_running(location.root) if location.kind == SQLITE else ""


def password_wanted(url: str | None) -> str:
    """The server's label when `url` names a PostgreSQL server that asks for a password none of
    libpq's sources (PGPASSWORD, ~/.pgpass) gives; "" otherwise (then the command goes on and any
    other trouble is reported where the store is opened). Lets the command line ask for it."""
    if not url or not url.strip().startswith(("postgresql://", "postgres://")) or os.environ.get("PGPASSWORD"):
        return ""
    location = parse(url.strip())
    import psycopg
    try:
        psycopg.connect(location.conninfo, connect_timeout=10).close()
    except psycopg.OperationalError as exc:
        return location.label if "no password supplied" in str(exc).lower() else ""
    return ""
