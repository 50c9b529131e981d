"""Merge orchestration: received items → archive → read → store, one file at a time.

One bad file never stops the others: every failure becomes a rejection with a Chinese
reason. Each file is archived before anything else, then committed in its own transaction.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from toolkit import problems as P
from toolkit.problems import short_name
from toolkit.errors import (EXIT_PROBLEMS, FILE_NOT_FOUND, FILE_UNREADABLE, OutputLockedError, PlankitError,
                            UsageError, os_reason)
from toolkit.intake import codes as RC
from toolkit.intake.attribute import attribute, kind_name
from toolkit.intake.collect import CONTAINERS, SPREADSHEETS, Item, collect, empty_folders, expand
from toolkit.intake.correction import correction_about, write_corrections
from toolkit.intake.latefiles import appeared_note, snapshot
from toolkit.intake.readers import Readers
from toolkit.intake.received import ReceivedTimes
from toolkit.model import Plan
from toolkit.paths import plan_dir, quarter_dir, store_dir
from toolkit.problems import ERROR, Problem
from toolkit.quarter import Quarter, as_quarter, parse_quarter
from toolkit.returns import QuarterReturns
from toolkit.intake.outcomes import ACCEPTED, DUPLICATE, REJECTED, SKIPPED, SUPERSEDED
from toolkit.intake.receipt import sender_mismatch, write_merge_report, write_quarter_report
from toolkit.store.db import Change, Store, Submission, untrusted_date, writing
from toolkit.store.location import Location, resolve
from toolkit.store.plans import with_earlier_versions
from toolkit.store.runs import run_id, undo_run

C = P.register
SKIPPED_FILE = C("merge-skipped", P.WARNING, "{detail}")
C("file-symlink", P.WARNING, "{detail}")  # a link in the input, never followed
C("file-wrong-format", P.ERROR, "{detail}")
C("file-special", P.WARNING, "{detail}")  # a pipe or device in the input, never read  # .csv, .xml 2003, .fods, .et ...: save as .xlsx
CONTAINER = C("merge-container", P.ERROR, "{detail}")
WRONG_QUARTER = C("merge-wrong-quarter", P.ERROR,
                  "这是{found}的填报表，本次合并的是{expected}。请确认报送单位发来的是本季度的文件。")
UNKNOWN_DEPT = C("merge-unknown-department", P.ERROR, "填报表中的单位“{value}”不在计划的部门名单中。")
UNTRUSTED_DATE = C("merge-untrusted-date", P.WARNING,
                   "{source}为 {when}，{why}，不能据此判断先后：此文件按收到（合并）的先后排序，"
                   "是否迟报也按合并时间判断。请核对报送单位电脑或邮件的日期设置。")
NO_DATE = C("merge-no-date", P.WARNING, "邮件中没有发送日期（Date），已按文件修改时间 {when} 判断先后和是否迟报。请核对。")
WRONG_FILE = C("merge-wrong-file", P.ERROR,
               "发来的“{name}”是{kind}，不是填报表，不算报送。请在下发的Excel填报表中填写，把填报表本身作为附件发送。")
OTHER_SENDER = C("merge-other-sender", P.WARNING,
                 "这是{department}的填报表，但发件人是{sender_department}（{sender}）。如果是代报请忽略；"
                 "如果{sender_department}发错了文件，请提醒其发送本单位的填报表。")
STILL_REJECTED = C("merge-still-rejected", P.ERROR, "此文件此前已拒收：{detail}")


@dataclass
class FileOutcome:
    path: str  # the file's own name (an attachment or zip member under its own name)
    origin: str
    department: str
    outcome: str
    problems: list[Problem] = field(default_factory=list)
    sha256: str = ""
    sender: str = ""
    received_at: datetime | None = None
    time_source: str = ""  # 指定时间 / 邮件时间 / 文件时间 / 无时间
    changes: list[Change] = field(default_factory=list)  # versus the version it replaced

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    def to_dict(self) -> dict:
        return {"path": self.path, "department": self.department, "outcome": self.outcome,
                "problems": [{"code": p.code, "severity": p.severity, "sheet": p.sheet, "cell": p.cell,
                              "message": p.message} for p in self.problems],
                "source": self.origin, "sha256": self.sha256, "sender": self.sender,
                "received_at": self.received_at.isoformat(sep=" ") if self.received_at else None,
                "time_source": self.time_source,
                "changes": len(self.changes)}


@dataclass
class MergeResult:
    quarter: str
    files: list[FileOutcome] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    late: list[str] = field(default_factory=list)
    late_by_file_time: list[str] = field(default_factory=list)  # of `late`: judged on a file time alone
    report_path: Path | None = None  # the quarter's 收件报告: every file received so far
    run_report_path: Path | None = None  # this run's own receipt
    notes: list[str] = field(default_factory=list)  # e.g. the report was open in Excel
    run: str = ""  # this run's id (its merge time, 20190712-143000): what `merge --undo` takes
    corrections: dict[str, str] = field(default_factory=dict)  # sha256 -> its 退回修改表 (rejected files)

    @property
    def ok(self) -> bool:
        return not any(f.outcome == REJECTED or f.errors for f in self.files)

    def count(self, outcome: str) -> int:
        return sum(f.outcome == outcome for f in self.files)

    def to_dict(self) -> dict:
        return {"quarter": self.quarter, "run": self.run, "files": [f.to_dict() for f in self.files],
                "missing": self.missing, "late": self.late, "late_by_file_time": self.late_by_file_time,
                "report": str(self.report_path) if self.report_path else None,
                "run_report": str(self.run_report_path) if self.run_report_path else None, "notes": self.notes}


READ_AHEAD = 12  # files archived and being read ahead of the one being recorded (bounded memory)
READ_AHEAD_BYTES = 64 * 1024 * 1024  # ... and their bytes (a return is ~30 KB, at most 20 MB)
# Refilled in groups: once READ_AHEAD // 2 are left, the next ones are prepared together, so
# the archive writes them as one batch (syncs per batch) while the readers still have work.


@dataclass
class _Job:
    """One item on its way through a merge: archived (in the background), read, recorded."""
    item: Item
    out: FileOutcome
    sub: Submission | None = None  # None: settled without reading (skipped, known, unreadable)
    data: bytes | None = None  # what is left to read
    path: Path | None = None  # its archive copy (being written until `archived` is done)
    archived: Future | None = None
    read: object = None  # its outcome once read in a reader process (Readers)
    crashed: bool = False  # the reader process died reading it
    repeat: bool = False  # the same bytes were prepared earlier in this run


class _Merger:
    def __init__(self, plan: Plan, quarter: Quarter, out_dir: Path, store: Store):
        self.plan, self.quarter, self.out_dir, self.store = plan, quarter, out_dir, store
        self.code = quarter.code
        self.departments = set(plan.department_names())
        self._previous: QuarterReturns | bool | None = None  # False: looked, there is none
        self.holders: set[str] = set()  # emails/zips that hold a spreadsheet (see wrong_file_sender)
        self.prepared: set[str] = set()  # sha256 of every file prepared in this run
        self._recorded: set[str] | None = None
        self.others_here = 0  # other merges into the same server from this PC (Store.merging_here)

    def recorded(self) -> set[str]:
        """sha256 of the quarter's files recorded before this run: one query, not one a file (a
        round trip each on a server). A file another merge records meanwhile is caught by record()."""
        if self._recorded is None:
            self._recorded = {r[0] for r in self.store.db.execute(
                "SELECT sha256 FROM submissions WHERE quarter=?", (self.code,))}
        return self._recorded

    def wrong_file_sender(self, item: Item) -> str:
        """The department that sent a non-spreadsheet in place of its return, else "" (junk, an
        unknown sender, or a cover letter beside a spreadsheet in the same email or zip)."""
        if not item.not_a_return:
            return ""
        parent = item.origin.rpartition(" › ")[0]
        if parent and parent in self.holders:
            return ""
        return attribute(self.plan, item.sender, item.name)[0]

    def previous(self):
        if self._previous is None and self.quarter.previous is not None:
            self._previous = self.store.quarter_returns(self.plan, self.quarter.previous) or False
        return self._previous or None

    def prepare(self, item: Item, merged_at: datetime) -> _Job:
        """Start archiving an item; a job with no submission when that settles it, else what is
        left to read (job.data) and record."""
        out = FileOutcome(item.name, item.origin, "", SKIPPED, sender=item.sender,
                          received_at=item.received_at, time_source=item.time_source)
        job = _Job(item, out)
        if item.skipped:
            dept = self.wrong_file_sender(item)
            if not dept:
                code = item.error_code if item.error_code in P.CODES else SKIPPED_FILE  # file-symlink, file-special
                out.problems.append(P.make(code, file=item.name, detail=item.skipped))
                return job
            # a department sent this instead of its return: archived and recorded as a rejection,
            # so the receipt, status and remind tell that department
            item.error = P.make(WRONG_FILE, file=item.name, name=item.name, kind=kind_name(item.name)).message
            item.error_code = WRONG_FILE
        if item.error and item.path is None and item.data is None:
            out.outcome = REJECTED  # nothing to archive, e.g. a path that does not exist
            out.problems.append(_container_problem(item))
            return job
        try:
            data = item.read()
        except OSError as exc:
            out.outcome = REJECTED
            out.problems.append(P.Problem(FILE_UNREADABLE, ERROR, f"无法读取：{os_reason(exc)}", item.name))
            return job
        # the archive name never takes text from the sender beyond a known extension
        ext = item.ext if item.ext in SPREADSHEETS | CONTAINERS else "bin"
        out.sha256 = sha = hashlib.sha256(data).hexdigest()
        job.repeat = sha in self.prepared
        self.prepared.add(sha)
        provenance = _provenance(item, self.code, merged_at)
        known = self.store.find(self.code, sha) if sha in self.recorded() else None
        if known is not None:
            job.path, job.archived = self.store.archive_ahead(sha, data, ext, provenance)  # kept all the same
            self._known(out, known)
            return job
        job.sub = Submission(self.code, sha, ext, item.name, item.origin, item.received_at,
                             merged_at, sender=item.sender, sent_at=item.sent_at, mtime=item.mtime,
                             error=item.error, error_code=item.error_code, given_at=item.given_at)
        job.path, job.archived = self.store.archive_ahead(sha, data, ext, provenance, job.sub)
        if item.error:
            wrong = item.skipped and item.not_a_return
            job.sub.problems = [P.make(WRONG_FILE, file=item.name, name=item.name, kind=kind_name(item.name)) if wrong
                                else _container_problem(item)]
        else:
            job.data = data
        return job

    def finish(self, job: _Job, read) -> FileOutcome:
        """Record a prepared file given its read outcome (None: nothing was read)."""
        out, sub = job.out, job.sub
        assert sub is not None and job.archived is not None  # only jobs prepare left to record come here
        job.archived.result()  # durable in the archive before anything is recorded
        # the same bytes twice in this run: recorded meanwhile (by another merge at the same time,
        # record() itself says "duplicate")
        known = self.store.find(self.code, sub.sha256) if job.repeat else None
        if known is not None:
            return self._known(out, known)
        if read is not None:
            _apply_read(sub, read, self.departments, self.code)
        if not sub.department and any(p.severity == ERROR for p in sub.problems or []):
            sub.department, how = attribute(self.plan, sub.sender, sub.filename)
            sub.identified_by = how and f"sender:{how}"  # unreadable, but who sent it is known
        elif sub.department and sub.sender:  # another unit's form, sent by a unit the plan knows
            sender_dept, how = attribute(self.plan, sub.sender, "")
            if sender_dept and sender_dept != sub.department:
                sub.problems = [*(sub.problems or []), P.make(
                    OTHER_SENDER, file=sub.filename, department=sub.department, sender_department=sender_dept,
                    sender=sub.sender)]
        why = untrusted_date(sub.received_at, sub.merged_at, self.code)
        if why:
            source = "邮件日期（Date）" if sub.sent_at is not None else "文件修改时间"
            sub.problems = list(sub.problems or []) + [P.make(
                UNTRUSTED_DATE, file=sub.filename, source=source, when=f"{sub.received_at:%Y-%m-%d %H:%M}", why=why)]
        if job.item.no_date and not why:
            when = f"{sub.received_at:%Y-%m-%d %H:%M}" if sub.received_at else "（未知）"
            sub.problems = list(sub.problems or []) + [P.make(NO_DATE, file=sub.filename, when=when)]
        out.department, out.problems = sub.department, list(sub.problems or [])
        sub.accepted = not any(p.severity == ERROR for p in out.problems)
        if not sub.accepted:
            sub.tasks = sub.indicators = None  # only accepted values enter the store
        # record() finds an accepted version with the same content (a re-saved file) itself
        out.outcome, replaced = self.store.record(sub)
        if replaced is not None and sub.id is not None:  # record set sub.id
            out.changes = self.store.diff(replaced, sub.id)
        return out

    def _known(self, out: FileOutcome, row) -> FileOutcome:
        out.department = row["department"]
        if row["accepted"]:
            out.outcome = DUPLICATE
            return out
        out.outcome = REJECTED
        reasons = [p["message"] for p in json.loads(row["problems"]) if p["severity"] == ERROR]
        out.problems.append(P.make(STILL_REJECTED, file=out.path, detail="；".join(reasons)))
        return out


def _container_problem(item: Item) -> Problem:
    """A container (or path) that could not be opened, under its own error code when it has one."""
    if item.error_code:
        return Problem(item.error_code, ERROR, item.error, item.name)
    return P.make(CONTAINER, file=item.name, detail=item.error)


def _apply_read(sub: Submission, parsed, departments: set[str], code: str) -> None:
    if isinstance(parsed, list):
        sub.problems = parsed
        return
    sub.department, sub.content_hash = parsed.department or "", parsed.content_hash or ""
    sub.identified_by, sub.contact = parsed.identified_by or "", dict(parsed.contact or {})
    sub.tasks, sub.indicators = list(parsed.tasks), list(parsed.indicators)
    problems = list(parsed.problems)
    has_errors = any(p.severity == ERROR for p in problems)
    if not has_errors and parsed.quarter and parsed.quarter != code:
        problems.append(P.make(WRONG_QUARTER, file=sub.filename, found=parsed.quarter, expected=code))
        problems[-1].quarter = parsed.quarter
    elif not has_errors and sub.department not in departments:
        problems.append(P.make(UNKNOWN_DEPT, file=sub.filename, value=sub.department))
    for p in problems:
        p.file = p.file or sub.filename
    sub.problems = problems


def _provenance(item: Item, quarter: str, merged_at: datetime) -> dict:
    return {"filename": item.name, "origin": item.origin, "sender": item.sender, "sent_at": item.sent_at,
            "mtime": item.mtime, "quarter": quarter, "archived_at": merged_at}


def _sender_notes(plan: Plan, files: list[FileOutcome]) -> list[str]:
    """A return accepted from an address other than the department's registered 邮箱: worth a look
    (a colleague's mailbox is usual; someone else sending for the department is not)."""
    notes = []
    for f in files:
        found = sender_mismatch(plan, f.department, f.sender) if f.outcome == ACCEPTED else None
        if found:
            notes.append(f"{f.department} 的 {short_name(f.path)} 由 {found[0]} 发来，与该单位登记的邮箱 {found[1]} "
                         "不同，请确认确是该单位报送（收件报告“发件人不符”表中列出）。")
    return notes


def _same_time_versions(files: list[FileOutcome]) -> list[str]:
    """Two different versions of one department received at the same time (two attachments of
    one mail, say 初稿 and 更正): the later in the message is used, which may not be the one meant."""
    groups: dict[tuple, list[FileOutcome]] = {}
    for f in files:
        if f.outcome in (ACCEPTED, SUPERSEDED) and f.department and f.received_at is not None:
            groups.setdefault((f.department, f.received_at), []).append(f)
    notes = []
    for (dept, _), same in groups.items():
        used = next((f for f in same if f.outcome == ACCEPTED), None)
        if len(same) > 1 and used is not None:
            others = "、".join(f"{short_name(f.path)}（编号 {f.sha256[:8]}）" for f in same if f is not used)
            notes.append(f"{dept} 的 {len(same)} 个不同版本收到时间相同（可能在同一封邮件中）：已按附件顺序采用"
                         f"后一个 {short_name(used.path)}；如应采用 {others}，请用 plankit merge --prefer 编号 指定。")
    return notes


def merge_items(merger: _Merger, items: list[tuple[Item, datetime]], result: MergeResult, progress=None) -> None:
    """Archive, read (in reader processes) and record each (item, merged_at) in order: a merge's
    received files, or a rebuild's replayed ones (with the times they were first merged)."""
    readers = Readers(merger, len(items))
    if merger.others_here:  # other merges share this PC's cores (a server store): one reader is enough
        readers.count = 1
    pending: deque[_Job] = deque()
    ahead = [0]  # bytes held by the jobs read ahead
    todo = iter(items)
    more = True

    def record_first() -> None:
        job = pending.popleft()
        out = job.out if job.sub is None else merger.finish(job, readers.result(job))
        ahead[0] -= len(job.data or b"")
        result.files.append(out)
        if progress:
            progress(len(result.files), len(items), job.item.name)

    try:
        with merger.store.group_commit():
            while more or pending:
                limit = READ_AHEAD if readers.enabled else 0
                with merger.store.archive_batch():  # archived together, once the block ends
                    while more and len(pending) <= limit and ahead[0] <= READ_AHEAD_BYTES:
                        step = next(todo, None)
                        if step is None:
                            more = False
                            break
                        job = merger.prepare(*step)
                        readers.submit(job)
                        pending.append(job)
                        ahead[0] += len(job.data or b"")
                low = limit // 2 if more else 0
                while pending and (len(pending) > low or ahead[0] > READ_AHEAD_BYTES):
                    record_first()
        merger.store.archived()
    finally:
        readers.close()


WRONG_QUARTER_CODES = (WRONG_QUARTER, RC.WRONG_QUARTER)


def _other_quarters(result: MergeResult) -> None:
    """A folder holding another quarter's files (收件箱/ instead of 收件箱/2019Q2/): say so, and how to undo."""
    found = {p.quarter for f in result.files for p in f.problems if p.code in WRONG_QUARTER_CODES}
    n = sum(any(p.code in WRONG_QUARTER_CODES for p in f.problems) for f in result.files)
    if n:
        which = "、".join(sorted(x for x in found if x))
        result.notes.append(f"注意：有 {n} 个文件是其他季度{f'（{which}）' if which else ''}的填报表，已拒收。"
                            f"如果是合并错了文件夹，可用 plankit merge --undo {result.run} 撤销本次合并，"
                            "再合并正确的文件夹。")


def undo(plan: Plan, out_dir: Path, run: str, *, lock_timeout: float = 10.0,
         store: str | Location | None = None) -> dict:
    """Withdraw one merge run's files (the archive keeps them); the quarter's status and report
    are recomputed from what is left. Returns the run, its quarters, files and departments."""
    location = resolve(plan, out_dir, store)
    with writing(location, lock_timeout) as opened:
        done = undo_run(opened, run)
    done["reports"], done["notes"] = [], []
    for code in done["quarters"]:
        q = parse_quarter(code, plan.settings.year)
        try:
            path = write_quarter_report(plan, q, Path(out_dir), quarter_report_path(plan, q, Path(out_dir)),
                                        store=location)
            done["reports"].append(str(path))
        except OutputLockedError as exc:
            done["notes"].append(str(exc))
    return done


def merge(plan: Plan, quarter: Quarter | str, out_dir: Path | str, inputs: list[Path] | Path | str, *,
          progress=None, prefer: str | None = None, lock_timeout: float = 10.0, write_report: bool = True,
          received_at: ReceivedTimes | None = None, messages: Sequence[tuple[str, bytes]] = (),
          store: str | Location | None = None) -> MergeResult:
    """Merge returned files for a quarter; return per-file outcomes plus missing and late departments.

    :param inputs: files, folders, .zip or .eml: a list, or one path.
    :param progress: called as progress(done, total, name) after each file.
    :param prefer: after merging, make this version current (sha256 prefix or original file name).
    :param received_at: received times the coordinator gave (for the run and/or per file).
    :param messages: raw emails as (origin, bytes), e.g. fetched over IMAP: merged after the
        inputs exactly as a saved .eml would be (the message itself archived as received).
    :param store: where the store is (sqlite:///PATH or postgresql://user@host:port/db); default
        PLANKIT_STORE, else the store under `out_dir`.
    """
    quarter, out_dir = as_quarter(quarter, plan.settings.year), Path(out_dir)
    inputs = [Path(inputs)] if isinstance(inputs, (str, Path)) else [Path(p) for p in inputs]
    absent = [str(p) for p in inputs if not os.path.lexists(p)]
    if absent:  # a mistyped path: nothing is recorded, not a rejected "file" dated 1970
        raise UsageError(f"找不到文件或文件夹：{'、'.join(absent)}。没有合并任何文件。",
                         hint="请检查路径是否写对（可以把文件夹直接拖进命令行窗口，路径会自动填入）。", code=FILE_NOT_FOUND)
    if not messages and not prefer and empty_folders(inputs):  # nothing recorded: no run, no receipt
        raise NothingToMerge(inputs)
    result = MergeResult(quarter.code)
    location = resolve(plan, out_dir, store)
    root = store_dir(plan, out_dir)
    with writing(location, lock_timeout) as opened:
        plan = with_earlier_versions(plan, root, location, opened.db)  # sheets made before a plan correction
        merged_at = opened.new_run(datetime.now().replace(microsecond=0))
        result.run = run_id(merged_at)

        def keep(item: Item, data: bytes) -> None:  # emails and zips are archived as received
            opened.archive(data, item.ext, _provenance(item, quarter.code, merged_at))

        excluded = [plan_dir(plan, out_dir), Path(out_dir)]
        before = snapshot(inputs, excluded)
        items = collect(inputs, exclude=[plan_dir(plan, out_dir)], keep=keep)
        for origin, raw in messages:
            items.extend(expand(Item("邮件.eml", origin, data=raw), 0, keep))
        if not items and not prefer:  # only the plan's own out/ folder was there
            raise NothingToMerge(inputs)
        if received_at is not None:
            result.notes.extend(received_at.apply(items))
        merger = _Merger(plan, quarter, out_dir, opened)
        merger.others_here = opened.merging_here()
        merger.holders = {i.origin.rpartition(" › ")[0] for i in items if i.ext in SPREADSHEETS}
        merge_items(merger, [(i, merged_at) for i in items], result, progress)
        if prefer:
            row = opened.prefer(quarter.code, prefer)
            result.notes.append(f"已按指定采用 {row['department']} 的 {short_name(row['filename'])}"
                                f"（编号 {row['sha256'][:12]}）。")
        # A file accepted earlier in this run and replaced by a later one reads as superseded.
        current = opened.current_shas(quarter.code)
        for f in result.files:
            if f.outcome == ACCEPTED and f.sha256 not in current:
                f.outcome = SUPERSEDED
        result.notes.extend(_sender_notes(plan, result.files))
        result.notes.extend(_same_time_versions(result.files))
        if late := appeared_note(inputs, excluded, before):
            result.notes.append(late)
        qr = opened.quarter_returns(plan, quarter, values=False)  # who and when: all the report needs
        _other_quarters(result)
        if write_report:  # the rejected files' bytes come from the archive, in the database on a server
            folder = quarter_dir(plan, quarter, out_dir, "merge")
            result.corrections = write_corrections(opened.files, folder / "退回修改表", result.files,
                                                   about=correction_about(plan, quarter))
    if qr is not None:
        result.missing, result.late, result.late_by_file_time = qr.missing, qr.late, qr.late_by_file_time
    else:
        result.missing = plan.department_names()
    if write_report:
        folder = quarter_dir(plan, quarter, out_dir, "merge")
        try:  # this run's own receipt, kept beside the others
            result.run_report_path = write_merge_report(result, plan, quarter, qr,
                                                        folder / RUNS_FOLDER / f"{result.run}_收件回执.xlsx")
        except OutputLockedError as exc:
            result.notes.append(str(exc))
        try:
            result.report_path = write_quarter_report(plan, quarter, out_dir, quarter_report_path(plan, quarter, out_dir),
                                                      store=location)
        except OutputLockedError as exc:
            result.notes.append(str(exc))
    return result


class NothingToMerge(PlankitError):
    """The folders given hold no file at all (a wrong path, or the attachments not saved yet): exit 1."""

    exit_code = EXIT_PROBLEMS
    code = FILE_NOT_FOUND

    def __init__(self, inputs: list[Path]):
        where = "、".join(str(p) for p in inputs)
        super().__init__(f"在 {where} 中没有找到任何文件，没有合并，也没有记录本次合并。",
                         hint="请检查路径是否写对、报回的附件是否已保存到该文件夹"
                              "（可以把文件夹直接拖进命令行窗口，路径会自动填入）。")


RUNS_FOLDER = "各次合并"


def quarter_report_path(plan: Plan, quarter: Quarter, out_dir: Path) -> Path:
    """The quarter's 收件报告 (every file received so far); each run's receipt is under 各次合并/."""
    return quarter_dir(plan, quarter, out_dir, "merge") / f"{quarter.label}汇总收件报告.xlsx"
