"""The store: an archive of every received file, a journal, and SQLite with provenance.

  store/archive/                 every received file plus the archive index and the journal
                                 (toolkit.store.archive): enough to rebuild the database
  store/plankit.sqlite           submissions, their values (sheet!cell each) and, per
                                 (quarter, department), which accepted version is current
  store/merge.lock               one writer at a time

One transaction per file (BEGIN IMMEDIATE, WAL, busy_timeout), so a crash leaves whole
files committed or not at all; the archive is content-addressed, so a rerun is harmless.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import sqlite3
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from toolkit.store.archive import Archive, Archived
from toolkit.store.archive import ARCHIVED_NAME, JOURNAL, read_jsonl
from toolkit.store.archive import verify as verify_archive
from toolkit.store.archive import iso as _iso
from toolkit.errors import STORE_UNAVAILABLE, USAGE_VERSION, PlankitError
from toolkit.model import Plan
from toolkit.paths import store_dir
from toolkit.problems import ERROR, Problem
from toolkit.quarter import Quarter
from toolkit.returns import (IndicatorEntry, QuarterReturns, Rejection, Return, TaskEntry, field_cell,
                             time_source)
from toolkit.store.lock import StoreBusyError, _is_network, run_lock  # noqa: F401  (re-exported)

DB_NAME, ARCHIVE = "plankit.sqlite", "archive"
SCHEMA_VERSION = "1"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS submissions(
  id INTEGER PRIMARY KEY, quarter TEXT NOT NULL, sha256 TEXT NOT NULL, ext TEXT NOT NULL,
  filename TEXT NOT NULL, origin TEXT NOT NULL, sender TEXT NOT NULL, sent_at TEXT, mtime TEXT,
  received_at TEXT NOT NULL, merged_at TEXT NOT NULL, department TEXT NOT NULL,
  accepted INTEGER NOT NULL, content_hash TEXT NOT NULL, identified_by TEXT NOT NULL,
  contact TEXT NOT NULL, problems TEXT NOT NULL, UNIQUE(quarter, sha256));
CREATE TABLE IF NOT EXISTS task_values(
  submission_id INTEGER NOT NULL REFERENCES submissions(id), task_no INTEGER NOT NULL,
  department TEXT NOT NULL, role TEXT, status TEXT, percent REAL, progress TEXT, issues TEXT,
  next_steps TEXT, cell TEXT, cells TEXT);
CREATE TABLE IF NOT EXISTS indicator_values(
  submission_id INTEGER NOT NULL REFERENCES submissions(id), task_no INTEGER NOT NULL,
  name TEXT NOT NULL, department TEXT NOT NULL, value REAL, note TEXT, cell TEXT, cells TEXT);
CREATE TABLE IF NOT EXISTS current(
  quarter TEXT NOT NULL, department TEXT NOT NULL, submission_id INTEGER NOT NULL,
  chosen_by TEXT NOT NULL, PRIMARY KEY(quarter, department));
CREATE INDEX IF NOT EXISTS submissions_dept ON submissions(quarter, department);
CREATE INDEX IF NOT EXISTS task_values_sub ON task_values(submission_id);
CREATE INDEX IF NOT EXISTS indicator_values_sub ON indicator_values(submission_id);
"""

TASK_FIELDS = ("role", "status", "percent", "progress", "issues", "next_steps")
INDICATOR_FIELDS = ("value", "note")


class StoreError(PlankitError):
    """The store cannot be used (network drive, damaged database)."""
    code = STORE_UNAVAILABLE


@dataclass
class Submission:
    """One archived file's record: provenance plus, when accepted, its values."""
    quarter: str
    sha256: str
    ext: str
    filename: str
    origin: str
    received_at: datetime
    merged_at: datetime
    sender: str = ""
    sent_at: datetime | None = None
    mtime: datetime | None = None
    department: str = ""
    accepted: bool = False
    content_hash: str = ""
    identified_by: str = ""
    contact: dict | None = None
    problems: list[Problem] | None = None
    tasks: list[TaskEntry] | None = None
    indicators: list[IndicatorEntry] | None = None
    error: str = ""  # a container that could not be opened (kept in the journal for rebuild)
    error_code: str = ""  # its stable code (file-wrong-format, file-zip-bomb ...), journalled with it
    given_at: datetime | None = None  # a received time the coordinator gave (kept for rebuild)
    id: int | None = None
    journaled: bool = False  # its journal line was written when it was archived


@dataclass
class Change:
    """One value that differs between two versions of a department's return."""
    item: str  # 任务3 / 指标 3:新建校舍面积
    field: str
    old: object
    new: object
    cell: str = ""


CLOCK_SLACK = timedelta(days=1)  # a sender's clock a little ahead is normal
FAR_BEFORE = timedelta(days=92)  # a return dated a quarter before its quarter began


def untrusted_date(received_at: datetime | None, merged_at: datetime | None, quarter: str) -> str:
    """Why a return's date (email Date or file time) cannot order its versions ("" if it can):
    after it was merged (a clock or a header in the future) or long before its quarter began."""
    if received_at is None or merged_at is None:
        return ""
    if received_at > merged_at + CLOCK_SLACK:
        return "晚于本次合并的时间"
    m = re.match(r"^(\d{4})Q([1-4])$", quarter or "")
    if m and received_at < datetime(int(m.group(1)), 3 * int(m.group(2)) - 2, 1) - FAR_BEFORE:
        return "远早于本季度开始"
    return ""


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def read_only_folder(folder: Path) -> bool:
    """Whether files cannot be created in `folder` (a read-only disk, share or permissions)."""
    try:
        if os.statvfs(folder).f_flag & getattr(os, "ST_RDONLY", 1):
            return True
    except (OSError, AttributeError):
        pass
    return not os.access(folder, os.W_OK)


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


def _event(s: Submission) -> dict:
    return {"quarter": s.quarter, "sha256": s.sha256, "ext": s.ext, "filename": s.filename,
            "origin": s.origin, "sender": s.sender, "sent_at": s.sent_at, "mtime": s.mtime,
            "received_at": s.received_at, "merged_at": s.merged_at, "error": s.error,
            **({"error_code": s.error_code} if s.error_code else {}),
            **({"given_at": s.given_at} if s.given_at else {})}


def diff_versions(conn: sqlite3.Connection, old_id: int, new_id: int) -> list[Change]:
    """What changed from one version to another, value by value."""
    changes: list[Change] = []
    for table, key, fields, label in (
            ("task_values", ("task_no", "department"), TASK_FIELDS, lambda r: f"任务{r['task_no']}"),
            ("indicator_values", ("task_no", "name", "department"), INDICATOR_FIELDS,
             lambda r: f"指标 {r['task_no']}:{r['name']}")):
        rows = {}
        for sid in (old_id, new_id):
            rows[sid] = {tuple(r[k] for k in key): r for r in
                         conn.execute(f"SELECT * FROM {table} WHERE submission_id=?", (sid,))}
        for k in sorted(set(rows[old_id]) | set(rows[new_id]), key=str):
            a, b = rows[old_id].get(k), rows[new_id].get(k)
            ref = b if b is not None else rows[old_id][k]  # k is in one of the two
            for f in fields:
                va, vb = (a[f] if a else None), (b[f] if b else None)
                if va != vb and not (va in (None, "") and vb in (None, "")):
                    cells = ref["cells"] if "cells" in ref.keys() else ""  # a store from before the column
                    changes.append(Change(label(ref), f, va, vb, field_cell(ref["cell"] or "", cells, f)))
    return changes


_DB_REASONS = (("not a database", "文件不是数据库或已损坏"), ("malformed", "文件已损坏"),
               ("locked", "正被另一个程序使用，请稍后再试"), ("readonly", "文件只读，无法写入"),
               ("disk is full", "磁盘已满"), ("unable to open", "无法打开文件（检查文件夹是否存在、是否有权限）"),
               ("disk i/o", "读写磁盘出错"))


def db_reason(exc: Exception) -> str:
    """SQLite's English message as the coordinator reads it."""
    text = str(exc).lower()
    return next((zh for en, zh in _DB_REASONS if en in text), "数据库出错")


def _add_cells_columns(conn: sqlite3.Connection) -> None:
    """A store made before values kept each field's own cell gets the column (empty: the row's cell
    is shown for those, as before)."""
    for table in ("task_values", "indicator_values"):
        if "cells" not in {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN cells TEXT")


def _problem_text(p: dict) -> str:
    where = (f"{p.get('sheet')}!{p.get('cell')}" if p.get("sheet") and p.get("cell")
             else p.get("sheet") or p.get("cell") or "")
    return f"{where}：{p['message']}" if where else p["message"]


def _cells(row: sqlite3.Row) -> str:
    return (row["cells"] if "cells" in row.keys() else "") or ""


def read_quarter(conn: sqlite3.Connection, plan: Plan, quarter: Quarter, *,
                 values: bool = True) -> QuarterReturns | None:
    """What is merged for a quarter; values=False leaves every return's tasks and indicators empty
    (who returned, when, and the rejections only: memory that does not grow with the values)."""
    code = quarter.code
    subs = conn.execute("SELECT * FROM submissions WHERE quarter=? ORDER BY id", (code,)).fetchall()
    if not subs:
        return None
    deadline = plan.settings.deadline(quarter.q)
    counts: dict[str, int] = {}
    for s in subs:
        if s["accepted"]:
            counts[s["department"]] = counts.get(s["department"], 0) + 1
    qr = QuarterReturns(code, plan.department_names())
    by_id = {s["id"]: s for s in subs}
    order = {d: n for n, d in enumerate(qr.expected)}  # plan order, whatever the arrival order
    # names, units, cells and the like recur in every return: one string object each, not one per row
    # (a national quarter holds a million rows; issue 17)
    pool: dict[str, str] = {}

    def one(text: str) -> str:
        return pool.setdefault(text, text)

    currents = sorted(conn.execute("SELECT * FROM current WHERE quarter=?", (code,)),
                      key=lambda c: (order.get(c["department"], len(order)), c["department"]))
    for cur in currents:
        s = by_id[cur["submission_id"]]
        received = datetime.fromisoformat(s["received_at"])  # NOT NULL
        merged = _dt(s["merged_at"])
        # a date in the future or long before the quarter: judged by when it reached us
        received_for_deadline = merged if merged is not None and untrusted_date(received, merged, code) else received
        problems = json.loads(s["problems"])
        qr.returns[s["department"]] = Return(
            department=s["department"], quarter=code, received_at=received,
            on_time=received_for_deadline.date() <= deadline, sha256=s["sha256"], filename=s["filename"],
            time_source=time_source(received, _dt(s["sent_at"]), _dt(s["mtime"])),
            sender=s["sender"], contact=json.loads(s["contact"]),
            tasks=[TaskEntry(r["task_no"], one(r["department"]), one(r["role"] or ""), one(r["status"] or ""),
                             r["percent"], r["progress"] or "", r["issues"] or "", r["next_steps"] or "",
                             one(r["cell"] or ""), one(_cells(r)))
                   for r in (conn.execute("SELECT * FROM task_values WHERE submission_id=? ORDER BY rowid",
                                          (s["id"],)) if values else ())],
            indicators=[IndicatorEntry(r["task_no"], one(r["name"]), one(r["department"]), r["value"], r["note"] or "",
                                       one(r["cell"] or ""), one(_cells(r)))
                        for r in (conn.execute("SELECT * FROM indicator_values WHERE submission_id=?"
                                               " ORDER BY rowid", (s["id"],)) if values else ())],
            warnings=[_problem_text(p) for p in problems if p.get("severity") != ERROR],
            versions=counts.get(s["department"], 1))
        if values:
            _follow_renames(plan, qr.returns[s["department"]])
    for s in subs:
        if not s["accepted"]:
            qr.rejections.append(Rejection(
                s["department"], s["filename"], datetime.fromisoformat(s["received_at"]),
                [_problem_text(p) for p in json.loads(s["problems"]) if p.get("severity") == ERROR]))
    return qr


def verify_store(plan: Plan, out_dir: Path) -> tuple[Path, int, list]:
    """`plankit store verify`: (archive folder, files checked, Damage list); changes nothing."""
    folder = store_dir(plan, out_dir) / ARCHIVE
    if not folder.is_dir():
        raise StoreError(f"还没有归档文件夹 {folder}：尚未合并过任何文件。", hint="请检查 --out 是否指向正确的目录。")
    checked, damage = verify_archive(folder)
    return folder, checked, damage


def _follow_renames(plan: Plan, ret: Return) -> None:
    """Indicators renamed in the plan after their values were merged: within one task, the stored
    names the plan no longer has are paired in row order with the plan's names no value has, so
    the value is shown under the new name (with a warning) instead of the indicator as 未报送."""
    planned: dict[int, list[str]] = {}
    for ind in plan.indicators_for(ret.department):
        planned.setdefault(ind.task_no, []).append(ind.name)
    for task_no, names in planned.items():
        stored = [e for e in ret.indicators if e.task_no == task_no]
        old = [e for e in stored if e.name not in names]
        new = [n for n in names if n not in {e.name for e in stored}]
        if not old or len(old) != len(new):
            continue
        renamed = {id(entry): name for entry, name in zip(old, new)}
        for entry, name in zip(old, new):
            ret.warnings.append(f"计划中任务{task_no}的指标“{entry.name}”已改名为“{name}”，"
                                f"已按原行把报送的值记在新名称下（{entry.cell}）。")
        ret.indicators[:] = [dataclasses.replace(e, name=renamed[id(e)]) if id(e) in renamed else e
                             for e in ret.indicators]


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


def check_not_emptied(db: Path, conn: sqlite3.Connection | None) -> None:
    """Raise when the database is missing or holds no submission at all while the archive holds
    returned files: a report would otherwise show every department as 未报送."""
    if conn is not None and conn.execute("SELECT 1 FROM submissions LIMIT 1").fetchone() is not None:
        return
    archive = db.parent / ARCHIVE
    if not archive.is_dir():
        return
    withdrawn = _withdrawn(archive)
    held = sum(1 for p in archive.iterdir()
               if ARCHIVED_NAME.match(p.name) and p.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods")
               and p.name.split(".", 1)[0] not in withdrawn)
    if held:
        state = "不存在（可能被删除或移走）" if conn is None else "是空的"
        raise StoreError(f"数据库 {db} {state}，但归档中有 {held} 个已收到的文件。为免把各单位都显示为未报送，未生成任何内容。",
                         hint="请运行 plankit merge --rebuild 从归档重建数据库后再运行。")


def _withdrawn(archive: Path) -> set[str]:
    """Archived files every merge of which was undone (`merge --undo`): an empty database
    beside them is what the coordinator asked for, not a lost one."""
    events = read_jsonl(archive / JOURNAL)
    undone = {ev.get("merged_at") for ev in events if ev.get("event") == "undo"}
    if not undone:
        return set()
    runs: dict[str, set] = {}
    for ev in events:
        if ev.get("event") == "received":
            runs.setdefault(ev.get("sha256", ""), set()).add(ev.get("merged_at"))
    return {sha for sha, merged in runs.items() if merged <= undone}


LOW_SPACE = 1024 * 1024  # reading a WAL database still writes its -shm index


def _unreadable(db: Path, exc: sqlite3.Error, what: str) -> StoreError:
    """Why the database cannot be read: a full disk and a read-only folder are not damage, and
    rebuilding would not help them."""
    import shutil
    try:
        free = shutil.disk_usage(db.parent).free
    except OSError:
        free = None
    if free is not None and free < LOW_SPACE:
        return StoreError(f"磁盘空间不足，无法读取数据库 {db}（读取时也需要少量空间）。数据库本身完好。",
                          hint="请清理磁盘后重新运行同一命令。")
    if read_only_folder(db.parent):
        return StoreError(f"数据库 {db} 所在的文件夹是只读的，无法读取（{db_reason(exc)}）。数据库本身没有损坏，不需要重建。",
                          hint="请把数据目录复制到可写的磁盘，或改正文件夹权限后，用 --out 指向它重新运行。")
    return StoreError(f"数据库 {db} {what}（{db_reason(exc)}）。", hint="可运行 plankit merge --rebuild 从归档重建。")
