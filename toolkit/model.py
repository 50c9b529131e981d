"""The plan as plain dataclasses. Everything after loading uses only these."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

QUARTER_NAMES = ("第一季度", "第二季度", "第三季度", "第四季度")
QUARTER_END_NAMES = ("一季度末", "二季度末", "三季度末", "四季度末")
# Status values a department may choose for a task (the fill-in sheet's drop-down), in order.
STATUSES = ("已完成", "超序时", "序时推进", "滞后", "未启动")
GE, LE = "≥", "≤"
# Settings that do not change what a fill-in workbook asks (a change keeps returns valid).
SETTINGS_NOT_FINGERPRINTED = ("deadline_days", "deadline_dates", "return_to", "basic_threshold",
                              "year_words", "assessment")
LEAD, CO = "牵头", "配合"


@dataclass(frozen=True)
class Department:
    name: str
    contact: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class Task:
    no: int
    name: str
    target: str
    domain: str
    leads: tuple[str, ...]
    cos: tuple[str, ...]
    milestones: tuple[str, str, str, str]
    deadline: str = ""  # 完成时限 as published (6月底前, 年底前); blank = none given

    @property
    def lead(self) -> str:
        """The first lead unit: answers for the task's indicators by default."""
        return self.leads[0] if self.leads else ""

    @property
    def units(self) -> tuple[str, ...]:
        return self.leads + tuple(u for u in self.cos if u not in self.leads)

    def role_of(self, dept: str) -> str | None:
        if dept in self.leads:
            return LEAD
        if dept in self.cos:
            return CO
        return None


@dataclass(frozen=True)
class Indicator:
    task_no: int
    name: str
    unit: str
    direction: str  # GE or LE
    target: float
    planned: tuple[float | None, float | None, float | None, float | None]
    owner: str = ""  # blank = the task's first lead unit
    note: str = ""

    @property
    def key(self) -> str:
        """Stable row key used in fill-in sheets and the store."""
        return f"{self.task_no}:{self.name}"

    def planned_at(self, quarter: int) -> float:
        """Planned cumulative value at the end of a quarter (1-4).

        The plan's own figure where given, else the time share of the annual target
        (for a ≤ indicator the target level itself is due at every quarter). The time
        share is kept between the plan's own figures for the quarters around it, so a
        plan that gives only a small Q2 figure never makes Q1 due more than Q2.
        """
        value = self.planned[quarter - 1]
        if value is not None:
            return value
        if self.direction == LE:
            return self.target
        share = self.target * quarter / 4
        later = [v for v in self.planned[quarter:] if v is not None]
        earlier = [v for v in self.planned[:quarter - 1] if v is not None]
        if later:
            share = min(share, later[0])
        if earlier:
            share = max(share, earlier[-1])
        return share

    def planned_is_given(self, quarter: int) -> bool:
        return self.planned[quarter - 1] is not None


@dataclass(frozen=True)
class Settings:
    title: str
    year: int
    issuer: str = ""
    plan_id: str = ""
    deadline_days: int | None = 10
    deadline_dates: tuple[date | None, date | None, date | None, date | None] = (None, None, None, None)
    yellow: float = 10.0
    red: float = 30.0
    return_to: str = ""
    bulletin_name: str = "民生实事工作简报"
    dept_note: str = ""
    # Year-end (Q4) judgement: 基本完成 from this completion %, and the words of the three
    # judged year-end statuses (未报送 stays). Not part of the fingerprint (see Plan).
    basic_threshold: float = 90.0
    year_words: tuple[str, str, str] = ("已完成", "基本完成", "未完成")
    # 考核 rows of 设置 as typed: ((key, points), ...); defaults in plan.format.ASSESSMENT_KEYS.
    assessment: tuple[tuple[str, float], ...] = ()

    @property
    def subject(self) -> str:
        """What the plan is about, for file names and titles: `民生实事` from `民生实事工作简报`."""
        name = re.sub(r"(工作)?(简报|通报|专报)$", "", self.bulletin_name or "").strip()
        return name or self.title

    def deadline(self, quarter: int) -> date:
        """The return deadline for a quarter's fill-in sheets."""
        given = self.deadline_dates[quarter - 1]
        if given is not None:
            return given
        return quarter_end(self.year, quarter) + timedelta(days=self.deadline_days or 0)


def cn_date(d: date) -> str:
    """`2019年7月10日`."""
    return f"{d.year}年{d.month}月{d.day}日"


def quarter_end(year: int, quarter: int) -> date:
    month = quarter * 3
    return (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)) - timedelta(days=1)


@dataclass
class Plan:
    settings: Settings
    tasks: list[Task]
    indicators: list[Indicator]
    departments: list[Department]
    source: Path | None = None
    _fingerprint: str = field(default="", repr=False, compare=False)
    _units: tuple = field(default=(), repr=False, compare=False)  # (tasks, names): department_names memo
    # earlier versions of this plan that fill-in sheets were generated from (fingerprint -> Plan):
    # a return of one is read against the version the department saw (set by the merge)
    earlier: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def fingerprint(self) -> str:
        """A hash of the plan's content (not the file's bytes): survives re-saving."""
        if not self._fingerprint:
            content = {
                "settings": {k: v for k, v in asdict(self.settings).items()
                             if k not in SETTINGS_NOT_FINGERPRINTED},
                # a blank deadline is left out so plans made before the field keep their fingerprint
                "tasks": [{k: v for k, v in asdict(t).items() if k != "deadline" or v} for t in self.tasks],
                "indicators": [asdict(i) for i in self.indicators],
            }
            blob = json.dumps(content, ensure_ascii=False, sort_keys=True, default=str)
            self._fingerprint = hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]
        return self._fingerprint

    @property
    def plan_id(self) -> str:
        return self.settings.plan_id or f"plan-{self.settings.year}"

    def task(self, no: int) -> Task:
        for t in self.tasks:
            if t.no == no:
                return t
        raise KeyError(no)

    def department_names(self) -> list[str]:
        """Every unit that leads or co-owns a task, in plan order."""
        # O(tasks × units) to compute, and asked for several times per merge and report: kept
        # while the (frozen) tasks are the same objects, so a changed task list is seen.
        if self._units and len(self._units[0]) == len(self.tasks) and all(
                a is b for a, b in zip(self._units[0], self.tasks)):
            return list(self._units[1])
        seen: dict[str, None] = {}
        for t in self.tasks:
            for u in t.units:
                seen.setdefault(u, None)
        self._units = (tuple(self.tasks), tuple(seen))
        return list(seen)

    def department(self, name: str) -> Department | None:
        return next((d for d in self.departments if d.name == name), None)

    def tasks_for(self, dept: str) -> list[tuple[Task, str]]:
        """(task, role) for every task the department leads or co-owns."""
        return [(t, t.role_of(dept)) for t in self.tasks if t.role_of(dept)]  # type: ignore[misc]

    def indicators_for_task(self, no: int) -> list[Indicator]:
        return [i for i in self.indicators if i.task_no == no]

    def indicator_owner(self, ind: Indicator) -> str:
        """Its 责任单位, else its task's lead ("" for an indicator of no task: a plan with errors)."""
        if ind.owner:
            return ind.owner
        return next((t.lead for t in self.tasks if t.no == ind.task_no), "")

    def indicators_for(self, dept: str) -> list[Indicator]:
        """Indicators the department answers for."""
        return [i for i in self.indicators if self.indicator_owner(i) == dept]
