"""A small SQL layer: the store's statements run unchanged on SQLite and on PostgreSQL.

Statements are written once, in the subset both understand: `?` placeholders (turned into
psycopg's `%s` here), `INSERT ... ON CONFLICT` for upserts, `RETURNING id` instead of
lastrowid, explicit ordering columns instead of rowid, and no GROUP_CONCAT or SUM(boolean).
Rows read as mappings and by position on both (sqlite3.Row; `Row` for psycopg).

  transaction(lock)  a write transaction. SQLite: BEGIN IMMEDIATE (one writer at a time for
                     the whole file). PostgreSQL: a transaction that first takes the advisory
                     lock(s) `lock` (pg_advisory_xact_lock, in sorted order), so writers of the same
                     plan, quarter and department queue for one file's transaction at most, never
                     for another's whole merge.
  snapshot()         a read transaction: REPEATABLE READ on PostgreSQL, one read transaction on
                     SQLite's WAL; a status or report sees one state while a merge commits files.
  relaxed()          group commit: the commits inside do not wait for the disk, the last one does
                     (synchronous=NORMAL on SQLite, synchronous_commit=off on PostgreSQL).
"""
from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from pathlib import Path

from toolkit.errors import STORE_SERVER, PlankitError
from toolkit.store.diagnose import read_only_folder


SHARED = "shared:"  # a lock name so marked is taken shared (PostgreSQL; SQLite has one writer anyway)


class ServerError(PlankitError):
    """The PostgreSQL server cannot be reached, or the connection to it broke."""
    code = STORE_SERVER


class Row(Sequence):
    """A PostgreSQL row read like sqlite3.Row: by column name or position, keys() in order."""
    __slots__ = ("_names", "_values")

    def __init__(self, names: dict[str, int], values: Sequence):
        self._names, self._values = names, values

    def __getitem__(self, key):
        return self._values[self._names[key] if isinstance(key, str) else key]

    def __len__(self) -> int:
        return len(self._values)

    def keys(self) -> list[str]:
        return list(self._names)

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._names, self._values))})"


class Database:
    """One connection to a store's database (see the module docstring)."""
    dialect = ""
    label = ""  # where it is, safe to print (never a password)
    integrity_errors: tuple = ()  # a unique key already taken (by another writer)

    def execute(self, sql: str, params: Sequence = ()) -> Any:
        raise NotImplementedError

    def executemany(self, sql: str, rows: list) -> None:
        raise NotImplementedError

    def insert_rows(self, table: str, columns: Sequence[str], types: Sequence[str], rows: list) -> None:
        """Many rows into one table (`types`: each column's SQL type, for the server's arrays)."""
        if rows:
            self.executemany(f"INSERT INTO {table}({', '.join(columns)}) VALUES({','.join('?' * len(columns))})",
                             rows)

    def insert_many(self, sql: str, rows: list) -> list[tuple]:
        """Each row through an INSERT ... RETURNING: the rows it returned."""
        return [tuple(r) for row in rows for r in self.execute(sql, row).fetchall()]

    def insert(self, sql: str, params: Sequence) -> int:
        """An INSERT's new id (`RETURNING id`: SQLite >= 3.35 and PostgreSQL)."""
        row = self.execute(sql + " RETURNING id", params).fetchone()
        return int(row[0])

    def next_id(self, table: str) -> str:
        """An SQL expression taking the next id of `table` ahead of its INSERT, so the rows that refer
        to it need not wait for an answer; "NULL" where the INSERT assigns it (SQLite: no round trips)."""
        return "NULL"

    def transaction(self, lock: str | Sequence[str] = "") -> contextlib.AbstractContextManager:
        raise NotImplementedError

    def snapshot(self) -> contextlib.AbstractContextManager:
        raise NotImplementedError

    def relaxed(self) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext()

    def pipeline(self) -> contextlib.AbstractContextManager:
        """Statements sent without waiting for each answer until one is read (PostgreSQL): a
        transaction of a few dependent steps costs a round trip per step read, not per statement."""
        return contextlib.nullcontext()

    def has_table(self, name: str) -> bool:
        raise NotImplementedError

    def columns(self, table: str) -> set[str]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class SqliteDatabase(Database):
    dialect = "sqlite"
    integrity_errors: tuple = (sqlite3.IntegrityError,)

    def __init__(self, conn: sqlite3.Connection, label: str = ""):
        self.conn, self.label = conn, label
        self._depth = 0

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    def execute(self, sql: str, params: Sequence = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: list) -> None:
        self.conn.executemany(sql, rows)

    def executescript(self, script: str) -> None:
        self.conn.executescript(script)

    @contextlib.contextmanager
    def transaction(self, lock: str | Sequence[str] = "") -> Iterator[None]:
        if self._depth:  # inside another: part of it
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self.conn.execute("ROLLBACK")
            raise
        self._depth = 0
        self.conn.execute("COMMIT")

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")

    @contextlib.contextmanager
    def relaxed(self) -> Iterator[None]:
        self.conn.execute("PRAGMA synchronous=NORMAL")
        try:
            yield
        finally:
            self.conn.execute("PRAGMA synchronous=FULL")
            # a one-row commit under FULL makes SQLite sync its log, and with it every commit before
            with self.transaction():
                self.conn.execute("INSERT INTO meta(key, value) VALUES('synced', '1')"
                                  " ON CONFLICT(key) DO UPDATE SET value=excluded.value")

    def has_table(self, name: str) -> bool:
        return self.conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                                 (name,)).fetchone() is not None

    def columns(self, table: str) -> set[str]:
        return {r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")}

    def close(self) -> None:
        self.conn.close()


def connect(db: Path, *, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=30,
                               isolation_level=None)
        if read_only_folder(db.parent):
            # a WAL database is read through its -shm index, which cannot be created here: as
            # nothing can write to this folder either, the file is read as it stands
            try:
                conn.execute("SELECT 1 FROM sqlite_master LIMIT 1")
            except sqlite3.OperationalError:
                conn.close()
                conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro&immutable=1", uri=True, timeout=30,
                                       isolation_level=None)
    else:
        conn = sqlite3.connect(db, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")  # a committed file survives a power cut
    conn.execute("PRAGMA busy_timeout=30000")
    conn.row_factory = sqlite3.Row
    return conn


def _pg_rows(cursor):
    names = {c.name: n for n, c in enumerate(cursor.description or ())}
    return lambda values: Row(names, values)


# one Python type per array (psycopg picks an array's type from its items: 50 and 42.5 must both be floats)
_ARRAY_ITEM = {"bigint": int, "integer": int, "double precision": float, "text": str}


class PgDatabase(Database):
    """A psycopg connection in autocommit mode, its search_path set to one plan's schema."""
    dialect = "postgresql"

    def __init__(self, conninfo: str, label: str, schema: str):
        import psycopg
        self.label, self.schema = label, schema
        self._psycopg = psycopg
        self.integrity_errors = (psycopg.IntegrityError,)
        try:
            self.conn = psycopg.connect(conninfo, autocommit=True, row_factory=_pg_rows, connect_timeout=10,
                                        application_name="plankit")
        except psycopg.Error as exc:
            raise unreachable(label, exc) from None
        self.execute(f"SET search_path TO {quote(schema)}")

    def _guard(self):
        return _translate(self._psycopg, self.label)

    def execute(self, sql: str, params: Sequence = ()) -> Any:
        with self._guard():
            return self.conn.execute(_pg(sql), tuple(params) if params else None)

    def executemany(self, sql: str, rows: list) -> None:
        if not rows:
            return
        with self._guard(), self.conn.cursor() as cur:
            cur.executemany(_pg(sql), rows)

    def insert_rows(self, table: str, columns: Sequence[str], types: Sequence[str], rows: list) -> None:
        """One statement for all the rows: a column each as an array, unnested by the server. A return's
        hundred-odd value rows were as many pipelined statements, most of the merge's client time."""
        if not rows:
            return
        as_type = [_ARRAY_ITEM.get(t, str) for t in types]
        arrays = [[None if v is None else cast(v) for v in column] for cast, column in zip(as_type, zip(*rows))]
        # %b: arrays sent in binary (the text form quotes every item through a regular expression)
        with self._guard():
            self.conn.execute(f"INSERT INTO {table}({', '.join(columns)}) SELECT * FROM unnest("
                              + ", ".join(f"%b::{t}[]" for t in types) + ")", arrays)

    def insert_many(self, sql: str, rows: list) -> list[tuple]:
        """executemany of an INSERT ... RETURNING: the rows it returned (pipelined)."""
        out: list[tuple] = []
        if not rows:
            return out
        with self._guard(), self.conn.cursor() as cur:
            cur.executemany(_pg(sql), rows, returning=True)
            while True:
                out.extend(tuple(r) for r in cur.fetchall())
                if not cur.nextset():
                    break
        return out

    def next_id(self, table: str) -> str:
        return f"nextval(pg_get_serial_sequence('{table}', 'id'))"  # an identity column's sequence

    @contextlib.contextmanager
    def transaction(self, lock: str | Sequence[str] = "") -> Iterator[None]:
        locks = [lock] if isinstance(lock, str) else list(lock)
        with self._guard(), self.conn.transaction():
            for name in sorted(set(filter(None, locks))):  # always in one order: no deadlock between two
                shared = name.startswith(SHARED)
                function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
                self.conn.execute(f"SELECT {function}(hashtext(%s))", (f"{self.schema}/{name.removeprefix(SHARED)}",))
            yield

    def hold(self, lock: str) -> None:
        """Take `lock` exclusively for the session (until release): writers taking it shared wait."""
        with self._guard():
            self.conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"{self.schema}/{lock}",))

    def try_hold(self, lock: str) -> bool:
        """hold(lock) if no other session holds it; False (and nothing held) if one does."""
        with self._guard():
            row = self.conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (f"{self.schema}/{lock}",)).fetchone()
        return bool(row and row[0])

    def release(self, lock: str) -> None:
        with self._guard():
            self.conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (f"{self.schema}/{lock}",))

    @contextlib.contextmanager
    def pipeline(self) -> Iterator[None]:
        with self._guard(), self.conn.pipeline():
            yield

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        if self.conn.info.transaction_status != self._psycopg.pq.TransactionStatus.IDLE:
            yield
            return
        with self._guard(), self.conn.transaction():
            self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield

    @contextlib.contextmanager
    def relaxed(self) -> Iterator[None]:
        self.execute("SET synchronous_commit TO off")
        try:
            yield
        finally:
            with contextlib.suppress(self._psycopg.Error):  # a broken connection: its error was raised already
                self.conn.execute("SET synchronous_commit TO on")
                # a synchronous commit waits for the log up to it, every earlier commit included
                with self.transaction():
                    self.execute("INSERT INTO meta(key, value) VALUES('synced', '1')"
                                 " ON CONFLICT(key) DO UPDATE SET value=excluded.value")

    def has_table(self, name: str) -> bool:
        return self.execute("SELECT to_regclass(?)", (f"{quote(self.schema)}.{name}",)).fetchone()[0] is not None

    def columns(self, table: str) -> set[str]:
        return {r[0] for r in self.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema=? AND table_name=?",
            (self.schema, table))}

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _pg(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


@contextlib.contextmanager
def _translate(psycopg, label: str) -> Iterator[None]:
    """A lost connection or a server that went away: the coordinator's message, not a traceback."""
    try:
        yield
    except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
        raise lost(label, exc) from None


def unreachable(label: str, exc: Exception) -> ServerError:
    text = str(exc).lower()
    if "password" in text or "authentication" in text:
        why, hint = "登录被拒绝（用户名或密码不对）", "请检查 URL 中的用户名，密码请放在 PGPASSWORD 环境变量或 ~/.pgpass 文件中。"
    elif "does not exist" in text:
        why, hint = "数据库不存在", "请数据库管理员先建立该数据库（createdb），或检查 URL 中的库名。"
    else:
        why, hint = "无法连接", "请检查服务器是否已启动、地址和端口是否正确、防火墙是否放行。"
    return ServerError(f"无法打开数据库服务器 {label} 上的数据存储：{why}。", hint=hint)


def lost(label: str, exc: Exception) -> ServerError:
    return ServerError(f"与数据库服务器 {label} 的连接中断（服务器重启、停止或网络断开）。已提交的文件完整保留，"
                       "未提交的部分没有写入。",
                       hint="请确认服务器已恢复后重新运行同一命令（已合并的文件会作为重复文件跳过）。")
