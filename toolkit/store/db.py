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
from datetime import datetime
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
from toolkit.store.schema import SCHEMA, SCHEMA_VERSION, _add_cells_columns  # noqa: F401

DB_NAME = "plankit.sqlite"


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


class Store:
    """The archive, journal and database for one plan under --out. Caller holds run_lock."""

    def __init__(self, root: Path, *, db_path: Path | None = None, journal: bool = True):
        self.root = Path(root)
        self.archive_dir = self.root / ARCHIVE
        self.archive_dir.mkdir(parents=True, exist_ok=True)
        if _is_network(self.root):
            raise StoreError(f"数据目录 {self.root} 位于网络共享盘上，数据库在网络盘上可能损坏。",
                             hint="请用 --out 指定本机磁盘上的目录。")
        self.files = Archive(self.archive_dir, journal=journal)
        self.db_path = db_path or self.root / DB_NAME
        try:
            self.conn = connect(self.db_path)
            # one transaction: a new store pays one synced commit for its schema, not one per table
            self.conn.executescript(f"BEGIN;\n{SCHEMA}\nINSERT OR IGNORE INTO meta VALUES('schema', "
                                    f"'{SCHEMA_VERSION}');\nCOMMIT;")
            _add_cells_columns(self.conn)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"数据库 {self.db_path} 无法打开（{db_reason(exc)}）。",
                             hint="原件都在归档中，可运行 plankit merge --rebuild 从归档重建。")

    @classmethod
    def for_plan(cls, plan: Plan, out_dir: Path, **kw) -> Store:
        return cls(store_dir(plan, out_dir), **kw)

    def close(self) -> None:
        try:
            self.files.close()
        finally:
            self.conn.close()

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

    def journal(self, event: dict) -> None:
        self.files.journal(event)

    def received(self) -> list[dict]:
        return self.files.received()

    def events(self) -> list[dict]:
        return self.files.events()

    def verify(self):
        """(files checked, Damage list): each archived file against its sha256 name, and each
        file the index or journal lists present (archive.verify)."""
        return verify_archive(self.archive_dir)

    # -- submissions --------------------------------------------------------------

    def find(self, quarter: str, sha256: str) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM submissions WHERE quarter=? AND sha256=?",
                                 (quarter, sha256)).fetchone()

    def content_duplicate(self, quarter: str, department: str, content_hash: str) -> sqlite3.Row | None:
        if not content_hash:
            return None
        return self.conn.execute(
            "SELECT * FROM submissions WHERE quarter=? AND department=? AND accepted=1 AND content_hash=?",
            (quarter, department, content_hash)).fetchone()

    @contextlib.contextmanager
    def group_commit(self):
        """Record a run of files: each still in its own transaction, but SQLite syncs its log once,
        when the run ends, instead of waiting for the disk at every commit (1.4 ms a file here).

        Safe because every file's archive copy and journal line are synced before its commit:
        a power cut inside the run can only roll back database rows that rerunning the merge (or
        --rebuild) writes again, and nothing is reported to the user before the sync.
        """
        self.conn.execute("PRAGMA synchronous=NORMAL")
        try:
            yield
        finally:
            self.conn.execute("PRAGMA synchronous=FULL")
            # a one-row commit under FULL makes SQLite sync its log, and with it every commit before
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES('schema', ?)", (SCHEMA_VERSION,))
            self.conn.execute("COMMIT")

    def record(self, sub: Submission) -> tuple[str, int | None]:
        """Commit one file in one transaction. Returns (outcome, id of the version it replaced)."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            if self.find(sub.quarter, sub.sha256) is not None:  # committed meanwhile by another writer
                conn.execute("ROLLBACK")
                return "duplicate", None
            sub.id = self._insert(sub)
            outcome, replaced = ("rejected", None)
            if sub.accepted:
                outcome, replaced = self._choose_current(sub)
            if not sub.journaled:
                self.journal({"event": "received", **_event(sub)})
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return outcome, replaced

    def _insert(self, s: Submission) -> int:
        problems = json.dumps([p.to_dict() for p in s.problems or []], ensure_ascii=False)
        cur = self.conn.execute(
            "INSERT INTO submissions(quarter, sha256, ext, filename, origin, sender, sent_at, mtime,"
            " received_at, merged_at, department, accepted, content_hash, identified_by, contact, problems)"
            " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (s.quarter, s.sha256, s.ext, s.filename, s.origin, s.sender, _iso(s.sent_at), _iso(s.mtime),
             _iso(s.received_at), _iso(s.merged_at), s.department, int(s.accepted), s.content_hash,
             s.identified_by, json.dumps(s.contact or {}, ensure_ascii=False, default=str), problems))
        sid = cur.lastrowid
        assert sid is not None  # set by the INSERT
        self.conn.executemany(
            "INSERT INTO task_values(submission_id, task_no, department, role, status, percent, progress, issues,"
            " next_steps, cell, cells) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
            [(sid, t.task_no, t.department, t.role, t.status, t.percent, t.progress, t.issues,
              t.next_steps, t.cell, t.cells) for t in s.tasks or []])
        self.conn.executemany(
            "INSERT INTO indicator_values(submission_id, task_no, name, department, value, note, cell, cells)"
            " VALUES(?,?,?,?,?,?,?,?)",
            [(sid, i.task_no, i.name, i.department, i.value, i.note, i.cell, i.cells) for i in s.indicators or []])
        return sid

    def _choose_current(self, s: Submission) -> tuple[str, int | None]:
        """Latest received wins; a coordinator's choice holds until a newer file than all arrives.

        A date that cannot be trusted (untrusted_date) on either side orders by arrival instead:
        the file merged later wins."""
        row = self.conn.execute(
            "SELECT c.submission_id, c.chosen_by, s.received_at, s.merged_at FROM current c JOIN submissions s"
            " ON s.id=c.submission_id WHERE c.quarter=? AND c.department=?",
            (s.quarter, s.department)).fetchone()
        mine = _iso(s.received_at)
        if row is not None and (untrusted_date(s.received_at, s.merged_at, s.quarter) or untrusted_date(
                _dt(row["received_at"]), _dt(row["merged_at"]), s.quarter)):
            pass  # arrival order: this file came after the current one
        elif row is not None:
            if row["chosen_by"] == "coordinator":
                newest = self.conn.execute(
                    "SELECT MAX(received_at) FROM submissions WHERE quarter=? AND department=?"
                    " AND accepted=1 AND id<>?", (s.quarter, s.department, s.id)).fetchone()[0]
                if mine <= newest:
                    return "superseded", None
            elif mine < row["received_at"]:
                return "superseded", None
        self.conn.execute("INSERT OR REPLACE INTO current VALUES(?,?,?,?)",
                          (s.quarter, s.department, s.id, "latest"))
        return "accepted", row["submission_id"] if row is not None else None

    def prefer(self, quarter: str, selector: str, *, at: datetime | None = None) -> sqlite3.Row:
        """Make one accepted version current, chosen by sha256 prefix or original file name."""
        sel = selector.strip()
        rows = self.conn.execute(
            "SELECT * FROM submissions WHERE quarter=? AND accepted=1 AND (filename=? OR"
            " (length(?)>=6 AND sha256 LIKE ?)) ORDER BY id", (quarter, sel, sel, sel.lower() + "%")).fetchall()
        if not rows:
            raise PlankitError(f"在{quarter}已合并的文件中找不到“{sel}”。",
                               hint="请用 plankit status 查看各版本的文件名和编号（至少6位）。", code=USAGE_VERSION)
        if len({r["sha256"] for r in rows}) > 1:
            raise PlankitError(f"“{sel}”对应多个文件，请改用编号（plankit status 中显示）。", code=USAGE_VERSION)
        row = rows[0]
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.execute("INSERT OR REPLACE INTO current VALUES(?,?,?,?)",
                              (quarter, row["department"], row["id"], "coordinator"))
            self.journal({"event": "prefer", "quarter": quarter, "sha256": row["sha256"],
                          "at": _iso(at or datetime.now())})
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return row

    # -- reading ------------------------------------------------------------------

    def current_shas(self, quarter: str) -> set[str]:
        """sha256 of every department's current version for a quarter."""
        return {r[0] for r in self.conn.execute(
            "SELECT s.sha256 FROM current c JOIN submissions s ON s.id=c.submission_id WHERE c.quarter=?",
            (quarter,))}

    def versions(self, quarter: str, department: str) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT s.*, (c.submission_id IS NOT NULL) AS is_current FROM submissions s LEFT JOIN"
            " current c ON c.submission_id=s.id WHERE s.quarter=? AND s.department=? AND s.accepted=1"
            " ORDER BY s.received_at, s.id", (quarter, department)).fetchall()

    def diff(self, old_id: int, new_id: int) -> list[Change]:
        return diff_versions(self.conn, old_id, new_id)

    def quarter_returns(self, plan: Plan, quarter: Quarter, *, values: bool = True) -> QuarterReturns | None:
        return read_quarter(self.conn, plan, quarter, values=values)


def verify_store(plan: Plan, out_dir: Path) -> tuple[Path, int, list]:
    """`plankit store verify`: (archive folder, files checked, Damage list); changes nothing."""
    folder = store_dir(plan, out_dir) / ARCHIVE
    if not folder.is_dir():
        raise StoreError(f"还没有归档文件夹 {folder}：尚未合并过任何文件。", hint="请检查 --out 是否指向正确的目录。")
    checked, damage = verify_archive(folder)
    return folder, checked, damage


def load_quarter(plan: Plan, quarter: Quarter, out_dir: Path) -> QuarterReturns | None:
    """What has been merged for a quarter, or None when nothing ever was."""
    db = store_dir(plan, out_dir) / DB_NAME
    if not db.exists():
        check_not_emptied(db, None)
        return None
    try:
        conn = connect(db, readonly=True)
    except sqlite3.Error as exc:
        raise _unreadable(db, exc, "无法打开")
    try:
        found = read_quarter(conn, plan, quarter)
        if found is None:
            check_not_emptied(db, conn)
        return found
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            check_not_emptied(db, None)
            return None
        raise _unreadable(db, exc, "无法读取")
    finally:
        conn.close()
