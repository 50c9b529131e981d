"""What the store records: one archived file's submission, a value that changed between versions,
and when a return's own date cannot order its versions."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from toolkit.problems import Problem
from toolkit.returns import IndicatorEntry, TaskEntry


TASK_FIELDS = ("role", "status", "percent", "progress", "issues", "next_steps")


INDICATOR_FIELDS = ("value", "note")


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


def _event(s: Submission) -> dict:
    return {"quarter": s.quarter, "sha256": s.sha256, "ext": s.ext, "filename": s.filename,
            "origin": s.origin, "sender": s.sender, "sent_at": s.sent_at, "mtime": s.mtime,
            "received_at": s.received_at, "merged_at": s.merged_at, "error": s.error,
            **({"error_code": s.error_code} if s.error_code else {}),
            **({"given_at": s.given_at} if s.given_at else {})}
