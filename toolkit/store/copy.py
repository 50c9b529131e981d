"""`plankit store copy --from URL --to URL`: every plan's store, moved between SQLite and PostgreSQL.

What is copied, per plan: the archived files (bytes, the archive index in order, the journal),
the plan versions `sheets` kept (a server's `plan_versions` table, a SQLite store's `plans/`
folder), the mailbox ledger of `plankit fetch` (so the target neither takes nor answers a message
again), and every table row as it is (ids included, so current versions and coordinator choices point
at the same submissions; runs, so undo and run ids carry over). The copy is then checked: the
same number of rows per table, a digest of every table's rows, and every copied file's bytes
against its sha256, every kept plan version's bytes by sha256. A target that already holds a plan's data is refused, never merged into.

Sources and targets:
  postgresql://user@host:port/db   every plan in the database (one schema each)
  sqlite:///PATH.sqlite            the one plan that database holds (its archive beside it)
  sqlite:///FOLDER                 an --out folder: every plan under it (FOLDER/<plan>/store/)
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.errors import STORE_URL
from toolkit.store.db import Store
from toolkit.store.dbarchive import DbArchive
from toolkit.store.diagnose import StoreError
from toolkit.store.mailbox import read_rows, write_rows
from toolkit.store.location import DB_NAME, POSTGRESQL, SQLITE, Location, parse, reader
from toolkit.store.plans import put_versions, stored_versions, version_hashes
from toolkit.store.sql import Database, PgDatabase

TABLES = {  # table -> the order its rows are copied and compared in
    "submissions": "id", "task_values": "submission_id, seq", "indicator_values": "submission_id, seq",
    "current": "quarter, department", "runs": "merged_at"}


@dataclass
class Copied:
    plan: str
    source: str
    target: str
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    events: int = 0
    versions: int = 0
    messages: int = 0  # rows of the mailbox ledger (plankit fetch)


def copy_stores(source: str, target: str, *, progress=None) -> list[Copied]:
    """Copy every plan of `source` into `target`, each verified; returns what was copied per plan."""
    plans = _plans(source)
    if not plans:
        raise StoreError(f"在 {parse(source).label} 中没有找到任何计划的数据，未复制。",
                         hint="请检查 --from 是否指向已合并过文件的存储。", code=STORE_URL)
    done = []
    for location in plans:
        to = _target(target, location.plan_id)
        if progress:
            progress(f"正在复制计划 {location.plan_id}：{location.label} → {to.label}")
        done.append(_copy(location, to))
    return done


def _plans(url: str) -> list[Location]:
    location = parse(url)
    if location.kind == POSTGRESQL:
        db = PgDatabase(location.conninfo, location.label, "public")
        try:
            schemas = [r[0] for r in db.execute(
                "SELECT table_schema FROM information_schema.tables WHERE table_name='meta'"
                " AND table_schema NOT LIKE '%\\_\\_rebuild' ORDER BY table_schema")]
            found = []
            for schema in schemas:
                row = db.execute(f'SELECT value FROM "{schema}".meta WHERE key=?', ("plan",)).fetchone()
                if row is not None and row[0]:
                    found.append(parse(url, row[0]))
            return found
        finally:
            db.close()
    assert location.db_path is not None
    if location.db_path.is_dir():
        return [_sqlite(db.parent.parent.name, db) for db in sorted(location.db_path.glob(f"*/store/{DB_NAME}"))]
    if not location.db_path.exists():
        raise StoreError(f"找不到数据库文件 {location.db_path}。", hint="请检查 --from 中的路径。", code=STORE_URL)
    sqlite_db = reader(location)
    try:
        row = sqlite_db.execute("SELECT value FROM meta WHERE key='plan'").fetchone()
    finally:
        sqlite_db.close()
    return [_sqlite(row[0] if row is not None and row[0] else location.db_path.parent.parent.name, location.db_path)]


def _sqlite(plan_id: str, db: Path) -> Location:
    return Location(SQLITE, plan_id, db_path=db, label=str(db))


def _target(url: str, plan_id: str) -> Location:
    location = parse(url, plan_id)
    if location.kind == SQLITE:
        assert location.db_path is not None
        if location.db_path.suffix not in (".sqlite", ".db", ".sqlite3"):  # a folder: the --out layout
            return _sqlite(plan_id, location.db_path / plan_id / "store" / DB_NAME)
        location.db_path.parent.mkdir(parents=True, exist_ok=True)
    return location


def _copy(source: Location, target: Location) -> Copied:
    if target.kind == SQLITE:
        assert target.db_path is not None
        target.db_path.parent.mkdir(parents=True, exist_ok=True)
    src, dst = Store.open(source, journal=True), Store.open(target, journal=True)
    try:
        if (dst.db.execute("SELECT 1 FROM submissions LIMIT 1").fetchone() or dst.received() or dst.events()
                or read_rows(target)):
            raise StoreError(f"目标 {target.label} 中已有计划“{source.plan_id}”的数据，未复制（复制不会与已有数据合并）。",
                             hint="请换一个空的目标，或先移走目标中的数据。", code=STORE_URL)
        with src.db.snapshot():  # one read of the source: a merge committing meanwhile is not half-copied
            src.db.execute("SELECT COUNT(*) FROM meta").fetchone()  # the snapshot starts at the first read
            return _copy_from_snapshot(src, dst, source, target)
    finally:
        src.close()
        dst.close()


def _copy_from_snapshot(src: Store, dst: Store, source: Location, target: Location) -> Copied:
    """PostgreSQL: tables, archive and journal all from the one REPEATABLE READ snapshot. SQLite:
    the tables from one read transaction, the archive folder read after it began: it may hold
    files of a merge that commits meanwhile (as after a merge killed mid-way: the archive is
    ahead of the database, which a rebuild replays), never a row without its file."""
    result = Copied(source.plan_id, source.label, target.label)
    events = src.events()
    result.files, names = _copy_archive(src, dst)
    dst.files.journal_many(events)
    result.events = len(events)
    with dst.db.transaction():
        for table, order in TABLES.items():
            rows = src.db.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
            if rows:
                names_ = [k for k in rows[0].keys() if k in dst.db.columns(table)]
                dst.db.executemany(f"INSERT INTO {table}({', '.join(names_)}) VALUES({', '.join('?' * len(names_))})",
                                   [tuple(r[k] for k in names_) for r in rows])
            result.rows[table] = len(rows)
        if dst.db.dialect == POSTGRESQL:  # ids were copied: the next one follows the largest
            dst.db.execute("SELECT setval(pg_get_serial_sequence('submissions', 'id'),"
                           " COALESCE((SELECT MAX(id) FROM submissions), 0) + 1, false)")
    versions = stored_versions(source, src.db)
    put_versions(target, versions)
    result.versions = len(versions)
    ledger = read_rows(source)  # its own connection: a fetch does not run beside a copy (see the manual)
    write_rows(target, ledger)
    result.messages = len(ledger)
    _check(src, dst, source, target, names, events, versions)
    if read_rows(target) != ledger:
        raise StoreError(f"复制计划“{source.plan_id}”后核对不一致（邮箱收取记录），目标 {target.label} 中的副本不完整。",
                         hint="请删除目标中的副本后重新复制；源数据未改动。")
    return result


def _copy_archive(src: Store, dst: Store) -> tuple[int, list[tuple[str, str]]]:
    """Every archived file, indexed in the source's order (a file the index lacks comes last)."""
    written: set[tuple[str, str]] = set()
    names = _names(src)  # before the index: a file indexed meanwhile is in the folder already
    for entry in src.received():
        sha, ext = entry.get("sha256", ""), entry.get("ext") or "bin"
        if (sha, ext) in written:
            continue
        data = dict(src.archived_bytes(sha)).get(ext)
        if data is not None:
            dst.files.put(sha, data, ext, {k: v for k, v in entry.items() if k not in ("sha256", "ext")})
            written.add((sha, ext))
    for sha, ext in names:
        if (sha, ext) not in written:
            data = dict(src.archived_bytes(sha))[ext]
            dst.files.put(sha, data, ext, {"filename": f"{sha}.{ext}"})
            written.add((sha, ext))
    return len(written), sorted(written)


def _names(store: Store) -> list[tuple[str, str]]:
    if isinstance(store.files, DbArchive):
        return store.files.names()
    from toolkit.store.archive import ARCHIVED_NAME
    assert store.archive_dir is not None
    return [(m.group(1), m.group(2)) for p in sorted(store.archive_dir.iterdir())
            for m in [ARCHIVED_NAME.match(p.name)] if m and m.group(2) != "json"]


def digest(db: Database) -> dict[str, tuple[int, str]]:
    """Per table: (rows, sha256 of every row in copy order): equal digests, equal contents."""
    out = {}
    for table, order in TABLES.items():
        h, n = hashlib.sha256(), 0
        for row in db.execute(f"SELECT * FROM {table} ORDER BY {order}"):
            values = {k: row[k] for k in sorted(row.keys())}
            h.update(json.dumps(values, ensure_ascii=False, default=str, sort_keys=True).encode("utf-8"))
            n += 1
        out[table] = (n, h.hexdigest())
    return out


def _check(src: Store, dst: Store, source: Location, target: Location, names: list[tuple[str, str]],
           events: list[dict], versions: list) -> None:
    """The copy against what was read from the source's snapshot (not a second read of it)."""
    mine, theirs = digest(src.db), digest(dst.db)
    differ = [t for t in TABLES if mine[t] != theirs[t]]
    names_src, names_dst = names, sorted(_names(dst))
    checked, damage = dst.verify()
    versions_differ = version_hashes(versions) != version_hashes(stored_versions(target))
    if differ or names_src != names_dst or damage or events != dst.events() or versions_differ:
        what = "、".join(differ) or ("归档文件" if names_src != names_dst or damage
                                     else "计划版本" if versions_differ else "日志")
        raise StoreError(f"复制计划“{source.plan_id}”后核对不一致（{what}），目标 {target.label} 中的副本不完整。",
                         hint="请删除目标中的副本后重新复制；源数据未改动。")
