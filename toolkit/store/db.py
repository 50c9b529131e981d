"""The store: an archive of every received file, a journal, and SQLite with provenance.

  store/archive/                 every received file plus the archive index and the journal
                                 (toolkit.store.archive): enough to rebuild the database
  store/plankit.sqlite           submissions, their values (sheet!cell each) and, per
                                 (quarter, department), which accepted version is current
  store/merge.lock               one writer at a time

One transaction per file (BEGIN IMMEDIATE, WAL, busy_timeout), so a crash leaves whole
files committed or not at all; the archive is content-addressed, so a rerun is harmless.

This module holds the writer (Store) and the entry points; what it records is in
store.records, the tables in store.schema, reading in store.reading, and the coordinator's
wording of what went wrong in store.diagnose (all re-exported here, where callers import them).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from concurrent.futures import Future
from datetime import datetime, timedelta
from pathlib import Path

from toolkit.errors import USAGE_VERSION, PlankitError
from toolkit.model import Plan
from toolkit.paths import store_dir
from toolkit.quarter import Quarter
from toolkit.returns import QuarterReturns
from toolkit.store.archive import Archive, Archived
from toolkit.store.archive import verify as verify_archive
from toolkit.store.archive import iso as _iso
from toolkit.store.diagnose import (ARCHIVE, LOW_SPACE, StoreError, _unreadable, check_not_emptied,  # noqa: F401
                                    db_reason, read_only_folder)
from toolkit.store.lock import StoreBusyError, _is_network, run_lock  # noqa: F401  (re-exported)
from toolkit.store.reading import diff_versions, read_quarter  # noqa: F401  (re-exported)
from toolkit.store.records import (CLOCK_SLACK, FAR_BEFORE, INDICATOR_FIELDS, TASK_FIELDS,  # noqa: F401
                                   Change, Submission, _dt, _event, untrusted_date)
from toolkit.store.schema import SCHEMA, SCHEMA_VERSION  # noqa: F401
from toolkit.store.schema import ensure as ensure_schema
from toolkit.store.location import DB_NAME, SQLITE, Location, reader, resolve
from toolkit.store.sql import SHARED, Database, SqliteDatabase, connect
from toolkit.store.dbarchive import DbArchive


TASK_COLUMNS = ("submission_id", "seq", "task_no", "department", "role", "status", "percent", "progress", "issues",
                "next_steps", "cell", "cells")
TASK_TYPES = ("bigint", "integer", "integer") + ("text",) * 3 + ("double precision",) + ("text",) * 5
INDICATOR_COLUMNS = ("submission_id", "seq", "task_no", "name", "department", "value", "note", "cell", "cells")
INDICATOR_TYPES = ("bigint", "integer", "integer", "text", "text", "double precision", "text", "text", "text")


class Store:
    """The archive, journal and database of one plan's store. On SQLite the caller holds
    run_lock; on PostgreSQL merges run side by side (each file's transaction takes the quarter's
    advisory lock)."""

    def __init__(self, root: Path | None = None, *, db_path: Path | None = None, journal: bool = True,
                 location: Location | None = None, plan_id: str = "", db: Database | None = None,
                 prepared: bool = False):
        if location is None:
            assert root is not None
            path = db_path or Path(root) / DB_NAME
            location = Location(SQLITE, plan_id, db_path=path, label=str(path))
        self.location = location
        self._seen = None  # what record() read of the department's current version
        if location.shared:
            self.root, self.archive_dir, self.db_path = None, None, None
            self.db = db or location.open()
            try:
                if not prepared:  # (a rebuild has made its own tables)
                    ensure_schema(self.db, location.plan_id, archive=True)
            except BaseException:
                self.db.close()
                raise
            self.files: Archive | DbArchive = DbArchive(self.db, journal=journal)
            return
        self.root = Path(root) if root is not None else location.root
        self.archive_dir = self.root / ARCHIVE
        self.archive_dir.mkdir(parents=True, exist_ok=True)
        if _is_network(self.root):
            raise StoreError(f"数据目录 {self.root} 位于网络共享盘上，数据库在网络盘上可能损坏。",
                             hint="请用 --out 指定本机磁盘上的目录，或请管理员建立 PostgreSQL 数据库后用 --store 指定。")
        self.files = Archive(self.archive_dir, journal=journal)
        self.db_path = location.db_path
        assert self.db_path is not None
        try:
            self.db = SqliteDatabase(connect(self.db_path), str(self.db_path))
            ensure_schema(self.db, location.plan_id)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"数据库 {self.db_path} 无法打开（{db_reason(exc)}）。",
                             hint="原件都在归档中，可运行 plankit merge --rebuild 从归档重建。")

    @property
    def conn(self) -> Database:  # the name callers and tests have always used
        return self.db

    @classmethod
    def for_plan(cls, plan: Plan, out_dir: Path, **kw) -> Store:
        return cls(store_dir(plan, out_dir), plan_id=plan.plan_id, **kw)

    @classmethod
    def open(cls, location: Location, **kw) -> Store:
        return cls(location=location, **kw)

    def close(self) -> None:
        try:
            self.files.close()
        finally:
            self.db.close()

    # -- archive ------------------------------------------------------------------

    def archive(self, data: bytes, ext: str, provenance: dict) -> Archived:
        """Write the bytes under their sha256 (once) and index them; never overwrite."""
        return self.files.put(hashlib.sha256(data).hexdigest(), data, ext, provenance)

    def archive_ahead(self, sha256: str, data: bytes, ext: str, provenance: dict,
                      sub: Submission | None = None) -> tuple[Path, Future]:
        """archive() in the background: (archive path, future done once it is on disk).

        With `sub`, its journal line goes with it, so recording needs no sync of its own.
        Whoever records the file must wait for the future first: nothing is committed before
        its bytes and journal line are safe. archived() and close() wait for all of them.
        """
        event = None
        if sub is not None:
            event, sub.journaled = {"event": "received", **_event(sub)}, True
        return self.files.path(sha256, ext), self.files.put_ahead(sha256, data, ext, provenance, event)

    def archive_batch(self):
        """A block whose archive_ahead files go to the archive thread together (archive.batch)."""
        return self.files.batch()

    def archived(self) -> None:
        """Wait until every file handed to archive_ahead is on disk; raise the first failure."""
        self.files.wait()

    def archived_bytes(self, sha256: str) -> list[tuple[str, bytes]]:
        """(ext, bytes) of every archived copy of a file."""
        return self.files.copies(sha256)

    def journal(self, event: dict) -> None:
        self.files.journal(event)

    def received(self) -> list[dict]:
        return self.files.received()

    def events(self) -> list[dict]:
        return self.files.events()

    def verify(self):
        """(files checked, Damage list): each archived file against its sha256 name, and each
        file the index or journal lists present (archive.verify)."""
        if isinstance(self.files, DbArchive):
            return self.files.verify()
        assert self.archive_dir is not None
        return verify_archive(self.archive_dir)

    # -- submissions --------------------------------------------------------------

    def find(self, quarter: str, sha256: str):
        return self.db.execute("SELECT * FROM submissions WHERE quarter=? AND sha256=?",
                               (quarter, sha256)).fetchone()

    def content_duplicate(self, quarter: str, department: str, content_hash: str):
        if not content_hash:
            return None
        return self.db.execute(
            "SELECT * FROM submissions WHERE quarter=? AND department=? AND accepted=1 AND content_hash=?",
            (quarter, department, content_hash)).fetchone()

    def group_commit(self):
        """Record a run of files: each still in its own transaction, but the database syncs its
        log once, when the run ends, instead of waiting for the disk at every commit (1.4 ms a
        file here on SQLite).

        Safe because every file's archive copy and journal line are durable before its commit
        (on PostgreSQL they are in the same log, written before it): a power cut inside the run
        can only roll back database rows that rerunning the merge (or --rebuild) writes again,
        and nothing is reported to the user before the sync.
        """
        return self.db.relaxed()

    def merging_here(self) -> int:
        """Mark this connection as a merge from this PC and count the others merging into the same
        server from it right now (0 on SQLite, where one merge runs at a time). Those share this PC's
        cores: a merge among them reads with one reader process, not two (each more costs its start,
        its warm-up and the switching among a dozen processes on two cores)."""
        if not self.location.shared:
            return 0
        import socket
        name = "".join(c if 32 <= ord(c) < 127 else "?" for c in f"plankit merge {socket.gethostname()}")[:63]
        return int(self.db.execute(  # (its own session is not counted, whether marked before the count or after)
            "SELECT (SELECT COUNT(*) FROM pg_stat_activity WHERE application_name=? AND pid<>pg_backend_pid()),"
            " set_config('application_name', ?, false)", (name, name)).fetchone()[0])

    def new_run(self, now: datetime) -> datetime:
        """A run id (its merge time) no other run has: `now`, or a second after the latest run
        when that is not earlier. Taken in a transaction, so two merges never share one."""
        with self.db.transaction(lock="runs"):
            latest = self.db.execute("SELECT MAX(merged_at) FROM runs").fetchone()[0]
            when = now
            if latest and datetime.fromisoformat(latest) >= now:
                when = datetime.fromisoformat(latest) + timedelta(seconds=1)
            self.db.execute("INSERT INTO runs(merged_at) VALUES(?)", (_iso(when),))
        return when

    def record(self, sub: Submission) -> tuple[str, int | None]:
        """Commit one file in one transaction. Returns (outcome, id of the version it replaced).

        Everything the decision needs is read in one statement before anything is written (on a
        server, with the statements after it pipelined, a file costs two round trips: that read
        and the commit): whether another writer (another coordinator's merge) committed the same
        bytes or an accepted version with the same content meanwhile, the department's current
        version, and the new row's id. The department's lock keeps all of it as read until the commit."""
        try:
            with self.db.pipeline(), self.db.transaction(lock=write_locks(sub.quarter, sub.department)):
                seen = self.db.execute(
                    "SELECT EXISTS(SELECT 1 FROM submissions WHERE quarter=? AND (sha256=? OR (? AND department=? AND"
                    f" accepted=1 AND content_hash=?))) AS known, {self.db.next_id('submissions')} AS new_id,"
                    " c.submission_id, c.chosen_by, s.received_at, s.merged_at, CASE WHEN c.chosen_by='coordinator'"
                    " THEN (SELECT MAX(received_at) FROM submissions WHERE quarter=? AND department=? AND accepted=1)"
                    " END AS newest FROM (SELECT 1) AS one LEFT JOIN current c ON c.quarter=? AND c.department=?"
                    " LEFT JOIN submissions s ON s.id=c.submission_id",
                    (sub.quarter, sub.sha256, bool(sub.accepted and sub.content_hash), sub.department,
                     sub.content_hash, sub.quarter, sub.department, sub.quarter, sub.department)).fetchone()
                if seen["known"]:
                    return "duplicate", None
                sub.id = self._insert(sub, seen["new_id"])
                outcome, replaced = ("rejected", None)
                if sub.accepted:
                    self._seen = seen if seen["submission_id"] is not None else None
                    outcome, replaced = self._choose_current(sub)
                if not sub.journaled:
                    self.journal({"event": "received", **_event(sub)})
        except self.db.integrity_errors:
            # the same bytes, attributed to another department by another sender (an unreadable
            # file), committed by another merge under that department's lock: recorded once
            sub.id = None
            return "duplicate", None
        return outcome, replaced

    def _insert(self, s: Submission, sid: int | None = None) -> int:
        """The submission and its values; `sid`: its id taken already (Database.next_id), else the new one."""
        problems = json.dumps([p.to_dict() for p in s.problems or []], ensure_ascii=False)
        row = (s.quarter, s.sha256, s.ext, s.filename, s.origin, s.sender, _iso(s.sent_at), _iso(s.mtime),
               _iso(s.received_at), _iso(s.merged_at), s.department, int(s.accepted), s.content_hash,
               s.identified_by, json.dumps(s.contact or {}, ensure_ascii=False, default=str), problems)
        columns = ("quarter, sha256, ext, filename, origin, sender, sent_at, mtime, received_at, merged_at,"
                   " department, accepted, content_hash, identified_by, contact, problems")
        if sid is None:
            sid = self.db.insert(f"INSERT INTO submissions({columns}) VALUES({','.join('?' * len(row))})", row)
        else:  # nothing to wait for: the values follow in the same pipeline
            self.db.execute(f"INSERT INTO submissions(id, {columns}) VALUES({','.join('?' * (len(row) + 1))})",
                            (sid, *row))
        self.db.insert_rows("task_values", TASK_COLUMNS, TASK_TYPES,
                            [(sid, n, t.task_no, t.department, t.role, t.status, t.percent, t.progress, t.issues,
                              t.next_steps, t.cell, t.cells) for n, t in enumerate(s.tasks or [])])
        self.db.insert_rows("indicator_values", INDICATOR_COLUMNS, INDICATOR_TYPES,
                            [(sid, n, i.task_no, i.name, i.department, i.value, i.note, i.cell, i.cells)
                             for n, i in enumerate(s.indicators or [])])
        return sid

    def _choose_current(self, s: Submission) -> tuple[str, int | None]:
        """Latest received wins; a coordinator's choice holds until a newer file than all arrives.
        Decided on the department's current version as record() read it (_seen; None: there is none).

        A date that cannot be trusted (untrusted_date) on either side orders by arrival instead:
        the file merged later wins."""
        row, mine = self._seen, _iso(s.received_at)
        if row is not None and (untrusted_date(s.received_at, s.merged_at, s.quarter) or untrusted_date(
                _dt(row["received_at"]), _dt(row["merged_at"]), s.quarter)):
            pass  # arrival order: this file came after the current one
        elif row is not None:
            if row["chosen_by"] == "coordinator":
                if mine <= row["newest"]:  # the latest accepted version before this one
                    return "superseded", None
            elif mine < row["received_at"]:
                return "superseded", None
        self._set_current(s.quarter, s.department, s.id, "latest")
        return "accepted", row["submission_id"] if row is not None else None

    def _set_current(self, quarter: str, department: str, sid, chosen_by: str) -> None:
        self.db.execute("INSERT INTO current(quarter, department, submission_id, chosen_by) VALUES(?,?,?,?)"
                        " ON CONFLICT(quarter, department) DO UPDATE SET submission_id=excluded.submission_id,"
                        " chosen_by=excluded.chosen_by", (quarter, department, sid, chosen_by))

    def prefer(self, quarter: str, selector: str, *, at: datetime | None = None):
        """Make one accepted version current, chosen by sha256 prefix or original file name."""
        sel = selector.strip()
        rows = self.db.execute(
            "SELECT * FROM submissions WHERE quarter=? AND accepted=1 AND (filename=? OR"
            " (? AND sha256 LIKE ?)) ORDER BY id", (quarter, sel, len(sel) >= 6, sel.lower() + "%")).fetchall()
        if not rows:
            raise PlankitError(f"在{quarter}已合并的文件中找不到“{sel}”。",
                               hint="请用 plankit status 查看各版本的文件名和编号（至少6位）。", code=USAGE_VERSION)
        if len({r["sha256"] for r in rows}) > 1:
            raise PlankitError(f"“{sel}”对应多个文件，请改用编号（plankit status 中显示）。", code=USAGE_VERSION)
        row = rows[0]
        with self.db.transaction(lock=write_locks(quarter, row["department"])):
            self._set_current(quarter, row["department"], row["id"], "coordinator")
            self.journal({"event": "prefer", "quarter": quarter, "sha256": row["sha256"],
                          "at": _iso(at or datetime.now())})
        return row

    # -- reading ------------------------------------------------------------------

    def current_shas(self, quarter: str) -> set[str]:
        """sha256 of every department's current version for a quarter."""
        return {r[0] for r in self.db.execute(
            "SELECT s.sha256 FROM current c JOIN submissions s ON s.id=c.submission_id WHERE c.quarter=?",
            (quarter,))}

    def versions(self, quarter: str, department: str) -> list:
        return self.db.execute(
            "SELECT s.*, (c.submission_id IS NOT NULL) AS is_current FROM submissions s LEFT JOIN"
            " current c ON c.submission_id=s.id WHERE s.quarter=? AND s.department=? AND s.accepted=1"
            " ORDER BY s.received_at, s.id", (quarter, department)).fetchall()

    def diff(self, old_id: int, new_id: int) -> list[Change]:
        return diff_versions(self.db, old_id, new_id)

    def quarter_returns(self, plan: Plan, quarter: Quarter, *, values: bool = True) -> QuarterReturns | None:
        with self.db.snapshot():  # one state, while other coordinators' merges commit
            return read_quarter(self.db, plan, quarter, values=values)


def verify_store(plan: Plan, out_dir: Path, *, store: str | Location | None = None) -> tuple[Path | str, int, list]:
    """`plankit store verify`: (archive folder or server, files checked, Damage list); changes nothing."""
    location = resolve(plan, out_dir, store)
    if location.shared:
        if not location.exists():  # as a missing archive folder: said, and nothing is created
            raise StoreError(f"数据存储 {location.label} 中还没有计划“{plan.plan_id}”的归档：尚未合并过任何文件。",
                             hint="请检查 --store 是否指向正确的数据库。")
        opened = Store.open(location)
        try:
            checked, damage = opened.verify()
        finally:
            opened.close()
        return location.label, checked, damage
    folder = location.root / ARCHIVE
    if not folder.is_dir():
        raise StoreError(f"还没有归档文件夹 {folder}：尚未合并过任何文件。", hint="请检查 --out 是否指向正确的目录。")
    checked, damage = verify_archive(folder)
    return folder, checked, damage


PLAN_LOCK = "plan"  # taken shared by every write of a file or choice; a rebuild holds it exclusively


def write_locks(quarter: str, *departments: str) -> list[str]:
    """What a write to the plan's submissions locks on a server: its departments, and the plan shared
    (so a rebuild, which replays the journal as it stood, is never missing what committed meanwhile)."""
    return [department_lock(quarter, d) for d in departments] + [SHARED + PLAN_LOCK]


def department_lock(quarter: str, department: str) -> str:
    """What a file's transaction locks on a server: its quarter and department. Which version is
    current, and whether the same file or content was recorded already, depend on that
    department's rows alone (the same bytes always read as the same department), so merges of
    different departments' files never wait for each other."""
    return f"{quarter}/{department}"


@contextlib.contextmanager
def writing(location: Location, lock_timeout: float = 10.0, **kw):
    """The store opened to write. SQLite: under the folder's run lock (one writer at a time);
    PostgreSQL: without one (each file's transaction locks its quarter, see Store.record)."""
    lock = contextlib.nullcontext() if location.shared else run_lock(location.root, lock_timeout)
    with lock:
        store = Store.open(location, **kw)
        try:
            yield store
        finally:
            store.close()


@contextlib.contextmanager
def reading(location: Location):
    """A connection to read one consistent state from (a snapshot while merges commit); None when
    nothing was ever stored. A SQLite database gone or emptied while its archive holds files
    raises (check_not_emptied)."""
    if location.shared:
        if not location.exists():
            yield None
            return
        db = reader(location)
        try:
            with db.snapshot():
                yield db
        finally:
            db.close()
        return
    path = location.db_path
    assert path is not None
    if not path.exists():
        check_not_emptied(path, None)
        yield None
        return
    try:
        db = reader(location)
    except sqlite3.Error as exc:
        raise _unreadable(path, exc, "无法打开")
    try:
        with db.snapshot():
            yield db
    finally:
        db.close()


@contextlib.contextmanager
def archive_of(location: Location):
    """What write_corrections reads archived bytes from: the archive folder, or the database."""
    if not location.shared:
        yield location.root / ARCHIVE
        return
    db = reader(location)
    try:
        yield DbArchive(db)
    finally:
        db.close()


def load_quarter(plan: Plan, quarter: Quarter, out_dir: Path, *,
                 store: str | Location | None = None) -> QuarterReturns | None:
    """What has been merged for a quarter, or None when nothing ever was."""
    location = resolve(plan, out_dir, store)
    with reading(location) as db:
        if db is None:
            return None
        try:
            found = read_quarter(db, plan, quarter)
        except sqlite3.OperationalError as exc:
            if "no such table" not in str(exc):
                assert location.db_path is not None
                raise _unreadable(location.db_path, exc, "无法读取")
            found = None
        if found is None and location.db_path is not None:
            check_not_emptied(location.db_path, db if db.has_table("submissions") else None)
        return found
