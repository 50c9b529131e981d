"""What a quarter's accepted returns hold, as plain dataclasses.

The store (merge) produces a QuarterReturns; the evaluation, report and briefing
consume it. Nothing here does I/O.
"""
from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime


GIVEN, MAIL, FILE, NONE = "指定时间", "邮件时间", "文件时间", "无时间"


def time_source(received: datetime | None, sent: datetime | None, mtime: datetime | None,
                given: bool = False) -> str:
    """指定时间 / 邮件时间 / 文件时间 / 无时间 for a received time (also from stored rows, where a
    received time equal to neither the mail Date nor the file time was given)."""
    if given:
        return GIVEN
    if received is None or received.year <= 1970:
        return NONE
    if sent is not None and received == sent:
        return MAIL
    if mtime is not None and received == mtime:
        return FILE
    return GIVEN


def field_cells(refs: dict[str, str]) -> str:
    """Encode each field's cell ref for TaskEntry.cells / IndicatorEntry.cells."""
    return ";".join(f"{k}={v}" for k, v in refs.items() if v)


def field_cell(cell: str, cells: str, name: str) -> str:
    """The cell (sheet!ref) a field was read from: its own when known, else the row's cell."""
    for part in (cells or "").split(";"):
        key, _, ref = part.partition("=")
        if key == name and ref:
            sheet = cell.rpartition("!")[0]
            return f"{sheet}!{ref}" if sheet else ref
    return cell


@dataclass(frozen=True, slots=True)  # slots: a national quarter holds a million of these
class TaskEntry:
    """One department's row on the progress sheet for one task."""
    task_no: int
    department: str
    role: str  # 牵头 / 配合
    status: str = ""  # one of layout.STATUSES, or "" when left blank
    percent: float | None = None  # 0-100
    progress: str = ""  # 主要工作进展
    issues: str = ""  # 存在问题
    next_steps: str = ""  # 下一步计划
    cell: str = ""  # where it came from, e.g. 进展填报!G5
    cells: str = ""  # each input field's own cell on that sheet: "percent=G5;issues=I5" (see field_cell)

    def __reduce__(self):
        # pickled by field values: a slotted frozen dataclass's own __setstate__ calls fields() for
        # every object, 3x the cost of unpickling 400 rows per return in the merge (issue 17b)
        return (TaskEntry, (self.task_no, self.department, self.role, self.status, self.percent, self.progress,
                            self.issues, self.next_steps, self.cell, self.cells))


@dataclass(frozen=True, slots=True)  # slots: a national quarter holds a million of these
class IndicatorEntry:
    """One department's cumulative value for one indicator."""
    task_no: int
    name: str
    department: str
    value: float | None
    note: str = ""
    cell: str = ""
    cells: str = ""  # as TaskEntry.cells: "value=G5;note=H5"

    def __reduce__(self):  # as TaskEntry's
        return (IndicatorEntry, (self.task_no, self.name, self.department, self.value, self.note, self.cell, self.cells))

    @property
    def key(self) -> str:
        return f"{self.task_no}:{self.name}"


class _Shape:
    """What the returns of one layout share: each indicator row's task, name and cells (one object
    for every unit of a national plan), and the row index by name that indicator_value looks up."""
    __slots__ = ("task_nos", "names", "cells", "refs", "_first", "_others")

    def __init__(self, task_nos: tuple, names: tuple, cells: tuple, refs: tuple):
        self.task_nos, self.names, self.cells, self.refs = task_nos, names, cells, refs
        self._first: dict[str, int] | None = None
        self._others: dict[tuple[int, str], int] = {}

    def position(self, task_no: int, name: str) -> int | None:
        """The row of (task_no, name), the first one when repeated (as QuarterReturns.indicator_value)."""
        if self._first is None:
            first: dict[str, int] = {}
            for i, (no, text) in enumerate(zip(self.task_nos, self.names)):
                at = first.setdefault(text, i)
                if self.task_nos[at] != no:
                    self._others.setdefault((no, text), i)
            self._first = first
        found = self._first.get(name)
        return found if found is not None and self.task_nos[found] == task_no else self._others.get((task_no, name))


class IndicatorRows(Sequence):
    """A return's indicator rows held as columns, read as IndicatorEntry objects made on access.

    A national quarter has units × 300 indicator rows (1.2 M objects at 3,000 units, issue 17):
    here a return keeps its values (8 bytes each), which rows are blank, and its notes (none, or a
    tuple shared by the returns with the same notes); task numbers, names and cells are one shared
    _Shape per layout. Equal to a list of the same entries. Built by `build`, which returns a plain
    list where the rows do not fit (several departments, a value that is not a float)."""
    __slots__ = ("_shape", "department", "_values", "_blank", "_notes")

    def __init__(self, shape: _Shape, department: str, values: array, blank: bytes, notes: tuple | None):
        self._shape, self.department, self._values, self._blank, self._notes = shape, department, values, blank, notes

    @staticmethod
    def build(task_nos: list, names: list, departments: list, values: list, notes: list, cells: list,
              refs: list, shapes: dict) -> IndicatorRows | list[IndicatorEntry]:
        """Rows in store order (shapes: a dict shared by the returns read together)."""
        if (not names or any(d != departments[0] for d in departments)
                or any(v is not None and type(v) is not float for v in values)):
            return [IndicatorEntry(*row) for row in zip(task_nos, names, departments, values, notes, cells, refs)]
        key = (tuple(task_nos), tuple(names), tuple(cells), tuple(refs))
        shape = shapes.get(key)
        if shape is None:
            shape = shapes[key] = _Shape(*key)
        blank = bytes(v is None for v in values)
        column = array("d", (0.0 if v is None else v for v in values))
        texts = tuple(notes) if any(notes) else None
        if texts is not None:  # the same notes in every return of a layout (数据来源：…) are one tuple
            texts = shapes.setdefault(("notes", texts), texts)
        return IndicatorRows(shape, departments[0], column, blank, texts)

    def __len__(self) -> int:
        return len(self._values)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        s = self._shape
        return IndicatorEntry(s.task_nos[i], s.names[i], self.department,
                              None if self._blank[i] else self._values[i],
                              self._notes[i] if self._notes else "", s.cells[i], s.refs[i])

    def find(self, task_no: int, name: str) -> IndicatorEntry | None:
        at = self._shape.position(task_no, name)
        return None if at is None else self[at]

    def value_of(self, task_no: int, name: str) -> float | None:
        """find(...).value without making the entry (a 分解 total sums N of these per indicator)."""
        at = self._shape.position(task_no, name)
        return None if at is None or self._blank[at] else self._values[at]

    def __eq__(self, other):
        if isinstance(other, (list, tuple, IndicatorRows)):
            return list(self) == list(other)
        return NotImplemented

    # equal to a list, which is unhashable
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(list(self))


@dataclass
class Return:
    """A department's accepted (current) return for a quarter, with provenance."""
    department: str
    quarter: str  # e.g. 2019Q2
    received_at: datetime
    on_time: bool
    sha256: str
    filename: str
    sender: str = ""
    contact: dict[str, str] = field(default_factory=dict)  # 填报人, 联系电话, 填报日期, 审核人
    tasks: list[TaskEntry] = field(default_factory=list)
    indicators: list[IndicatorEntry] | IndicatorRows = field(default_factory=list)  # IndicatorRows from the store
    warnings: list[str] = field(default_factory=list)
    versions: int = 1  # how many accepted versions were received (1 = no resubmission)
    time_source: str = ""  # where received_at came from: 指定时间 / 邮件时间 / 文件时间 / 无时间


@dataclass
class Rejection:
    department: str  # "" when the file could not be identified
    filename: str
    received_at: datetime
    reasons: list[str] = field(default_factory=list)


@dataclass
class QuarterReturns:
    """Everything merged for one quarter: the evaluation's only input besides the plan."""
    quarter: str
    expected: list[str]
    returns: dict[str, Return] = field(default_factory=dict)  # department -> current return
    rejections: list[Rejection] = field(default_factory=list)
    _index: dict = field(default_factory=dict, repr=False, compare=False)  # indicator_value's lookup

    @property
    def missing(self) -> list[str]:
        return [d for d in self.expected if d not in self.returns]

    @property
    def late(self) -> list[str]:
        return [d for d, r in self.returns.items() if not r.on_time]

    @property
    def late_by_file_time(self) -> list[str]:
        """Late judged on a file's modification time alone (a saved attachment's may be the save day)."""
        return [d for d, r in self.returns.items() if not r.on_time and r.time_source in (FILE, NONE)]

    def task_entries(self, task_no: int) -> list[TaskEntry]:
        return [e for r in self.returns.values() for e in r.tasks if e.task_no == task_no]

    def indicator_figure(self, task_no: int, name: str, department: str) -> float | None:
        """indicator_value(...).value, None when there is no such row or it is blank."""
        r = self.returns.get(department)
        if r and isinstance(r.indicators, IndicatorRows):
            return r.indicators.value_of(task_no, name)
        entry = self.indicator_value(task_no, name, department)
        return entry.value if entry is not None else None

    def indicator_value(self, task_no: int, name: str, department: str) -> IndicatorEntry | None:
        r = self.returns.get(department)
        if not r:
            return None
        if isinstance(r.indicators, IndicatorRows):  # read from the store: its layout's shared index
            return r.indicators.find(task_no, name)
        # indexed per return (kept while its list is unchanged): a 分解 plan asks units × indicators times
        # keyed by name alone (the names are the plan's strings; a (task_no, name) tuple per row was
        # 40 % of a national quarter's index), a name under two tasks in `others`; the first row wins
        index = self._index.get(department)
        if index is None or index[0] is not r.indicators or index[1] != len(r.indicators):
            table: dict[str, IndicatorEntry] = {}
            others: dict[tuple[int, str], IndicatorEntry] = {}
            for e in r.indicators:
                first = table.setdefault(e.name, e)
                if first.task_no != e.task_no:
                    others.setdefault((e.task_no, e.name), e)
            index = (r.indicators, len(r.indicators), table, others)
            self._index[department] = index
        found = index[2].get(name)
        return found if found is not None and found.task_no == task_no else index[3].get((task_no, name))
