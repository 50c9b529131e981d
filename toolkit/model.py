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
# At year-end (Q4) a department picks one of Settings.year_words instead. A Q4 return made from
# an old (quarterly) template keeps its word, read as: 已完成 → done, 滞后/未启动 → undone, and
# 超序时/序时推进 → no self-status (they say "on schedule", not "done": the figures decide).
YEAR_OLD_DONE, YEAR_OLD_UNDONE = ("已完成",), ("滞后", "未启动")
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


# Units whose figures add up across reporting units (the 全市 total = the sum of the units'),
# and the signs of a rate or an average, which never do. An indicator's 汇总方式 (分解 sheet)
# overrides the rule: 求和 or 不汇总.
SUM, NO_SUM = "求和", "不汇总"
_RATE_UNITS = ("%", "％", "‰", "率", "/", "／", "每", "人均", "平均", "比例", "指数")


def sums_across_units(ind: Indicator, how: str = "") -> bool:
    """True when the units' figures of a broken-down indicator add up to its total.

    Rule (docs/用户手册.md, 分解): a ≤ indicator, a unit with a rate or average sign (%, 率,
    元/月/人, 人均 …) or an indicator named as a rate never sums; every other unit (个, 人, 万元,
    户, 公里 …) does. `how` (求和/不汇总) overrides.
    """
    if how == SUM:
        return True
    if how == NO_SUM:
        return False
    if ind.direction == LE:
        return False
    return not any(sign in ind.unit for sign in _RATE_UNITS) and not re.search(r"(率|比例|人均|平均)$", ind.name)


@dataclass(frozen=True, slots=True)
class UnitTarget:
    """One unit's share of a broken-down indicator (a row of the 分解 sheet)."""
    task_no: int
    name: str  # the indicator's name (指标名称)
    unit: str  # the responsible unit (责任单位), a department
    target: float
    planned: tuple[float | None, float | None, float | None, float | None]
    how: str = ""  # 汇总方式 as written: 求和 / 不汇总 / "" (the rule decides)

    @property
    def key(self) -> str:
        return f"{self.task_no}:{self.name}"

    def indicator(self, total: Indicator) -> Indicator:
        """The indicator as this unit answers for it: its own target and milestones."""
        return Indicator(total.task_no, total.name, total.unit, total.direction, self.target, self.planned,
                         self.unit, total.note)


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
    breakdown: list[UnitTarget] = field(default_factory=list)  # the 分解 sheet, in sheet order
    _fingerprint: str = field(default="", repr=False, compare=False)
    _units: tuple = field(default=(), repr=False, compare=False)  # (tasks, names): department_names memo
    # earlier versions of this plan that fill-in sheets were generated from (fingerprint -> Plan):
    # a return of one is read against the version the department saw (set by the merge)
    earlier: dict = field(default_factory=dict, repr=False, compare=False)
    _split: tuple = field(default=(), repr=False, compare=False)  # (breakdown, by key, by unit): memo

    @property
    def fingerprint(self) -> str:
        """A hash of the plan's content (not the file's bytes): survives re-saving."""
        if not self._fingerprint:
            content: dict[str, object] = {
                "settings": {k: v for k, v in asdict(self.settings).items()
                             if k not in SETTINGS_NOT_FINGERPRINTED},
                # a blank deadline is left out so plans made before the field keep their fingerprint
                "tasks": [{k: v for k, v in asdict(t).items() if k != "deadline" or v} for t in self.tasks],
                "indicators": [asdict(i) for i in self.indicators],
            }
            blob = json.dumps(content, ensure_ascii=False, sort_keys=True, default=str)
            digest = hashlib.sha256(blob.encode("utf-8"))
            # the 分解 rows are hashed one by one (N×300 of them at national scale), and only when
            # present, so a plan without a 分解 keeps its fingerprint
            for u in self.breakdown:
                digest.update(f"\n{u.task_no}\t{u.name}\t{u.unit}\t{u.target!r}\t{u.planned!r}\t{u.how}".encode())
            self._fingerprint = digest.hexdigest()[:16]
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
        if self._units and len(self._units[0]) == len(self.tasks) and self._split_fresh() and all(
                a is b for a, b in zip(self._units[0], self.tasks)):
            return list(self._units[1])
        seen: dict[str, None] = {}
        for t in self.tasks:
            for u in t.units:
                seen.setdefault(u, None)
        for unit in self._split_index()[2]:  # units that answer only for their share of indicators
            seen.setdefault(unit, None)
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

    # --- targets broken down by unit (the 分解 sheet) ---------------------------------------

    def _split_fresh(self) -> bool:
        return bool(self._split) and self._split[0] is self.breakdown and self._split[3] == len(self.breakdown)

    def _split_index(self) -> tuple:
        if not self._split_fresh():
            by_key: dict[str, list[UnitTarget]] = {}
            by_unit: dict[str, list[UnitTarget]] = {}
            units: dict[str, set[str]] = {}  # key -> its units: no (key, unit) tuple per 分解 row (issue 17)
            for u in self.breakdown:
                key = u.key
                by_key.setdefault(key, []).append(u)
                by_unit.setdefault(u.unit, []).append(u)
                units.setdefault(key, set()).add(u.unit)
            self._split = (self.breakdown, by_key, by_unit, len(self.breakdown), units)
        return self._split

    def is_unit_share(self, ind: Indicator) -> bool:
        """True when `ind` is one unit's share of a broken-down indicator (UnitTarget.indicator)."""
        return bool(ind.owner) and ind.owner in self._split_index()[4].get(ind.key, ())

    def unit_targets(self, ind: Indicator) -> list[UnitTarget]:
        """The units' shares of `ind` in sheet order ([] when it is not broken down)."""
        return list(self._split_index()[1].get(ind.key, ()))

    def sums_units(self, ind: Indicator) -> bool:
        """True when the total of a broken-down `ind` is the sum of its units' figures."""
        shares = self._split_index()[1].get(ind.key, ())
        how = next((u.how for u in shares if u.how), "")
        return sums_across_units(ind, how)

    def broken_down(self) -> list[Indicator]:
        """The indicators with a 分解 (in 指标 order)."""
        by_key = self._split_index()[1]
        return [i for i in self.indicators if i.key in by_key]

    def indicator_rows_for(self, dept: str) -> list[Indicator]:
        """The indicator rows `dept` fills in: its own indicators (as owner), with a broken-down
        one replaced by the unit's share wherever `dept` is one of its units; the owner of a
        broken-down indicator keeps the total row only when the total is not a sum (a rate
        or an average the units' figures cannot give)."""
        _, by_key, by_unit, _, _ = self._split_index()
        if not by_key:
            return self.indicators_for(dept)
        mine = {u.key: u for u in by_unit.get(dept, ())}
        leads = {t.no: t.lead for t in self.tasks}
        rows: list[Indicator] = []
        for ind in self.indicators:
            share = mine.get(ind.key)
            if share is not None:
                rows.append(share.indicator(ind))
            elif ((ind.owner or leads.get(ind.task_no, "")) == dept
                  and (ind.key not in by_key or not self.sums_units(ind))):
                rows.append(ind)
        return rows


def status_choices(settings: Settings, q: int) -> tuple[str, ...]:
    """The 进展状态 drop-down's choices for quarter q: the year-end words at Q4."""
    return tuple(settings.year_words) if q == 4 else STATUSES


def year_status_of(settings: Settings, word: str) -> str:
    """A status word as a year-end self-status ("" = none: the figures decide), see YEAR_OLD_*."""
    done, basic, undone = settings.year_words
    if word in (done, basic, undone):
        return word
    if word in YEAR_OLD_DONE:
        return done
    if word in YEAR_OLD_UNDONE:
        return undone
    return ""
