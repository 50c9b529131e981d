"""When a task is due, read from the words plans use: 6月底前, 年底前, 2019年9月30日, 三季度, 上半年.

`due_quarter` gives the quarter (1-4) by whose end a deadline text asks the task done;
`split_schedule` spreads a 进度安排 cell (`3月底前完成招标；6月底前开工；年底前完工`)
over quarter-end milestones. Both return nothing for text without a recognisable time,
so a caller can tell "no deadline" from "due at year end".
"""
from __future__ import annotations

import re
import unicodedata

_CN_MONTH = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
             "十一": 11, "十二": 12}
_TIME = re.compile(
    r"(?P<month>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])\s*月(?:份)?(?:\s*(?:\d{1,2}\s*日|[上中下]旬|底|末|初))?"
    r"|(?:第)?(?P<quarter>[一二三四1-4])\s*季度"
    r"|(?P<half>上半年|下半年|年中|年底|年末|年内|全年|当年|年度内|12月底)")
_YEAR_PREFIX = re.compile(r"20\d\d\s*年")


def _quarter_of(m: re.Match) -> int:
    if m.group("month"):
        raw = m.group("month")
        month = int(raw) if raw.isdigit() else _CN_MONTH[raw]
        return (month - 1) // 3 + 1
    if m.group("quarter"):
        q = m.group("quarter")
        return "一二三四".index(q) + 1 if q in "一二三四" else int(q)
    return 2 if m.group("half") in ("上半年", "年中") else 4


def times(text: str) -> list[int]:
    """Quarters of every time expression in `text`, in order (years dropped: 2019年9月 → 9月)."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _YEAR_PREFIX.sub("", text)
    text = re.sub(r"\d{1,2}\s*[-—–~至到]\s*(?=\d{1,2}\s*月)", "", text)  # 1-3月 → 3月: the range's end
    return [_quarter_of(m) for m in _TIME.finditer(text)]


def due_quarter(text: str) -> int | None:
    """The quarter by whose end the text asks the task done (the latest time named), or None."""
    found = times(text)
    return max(found) if found else None


def split_schedule(text: str) -> tuple[tuple[str, str, str, str], int | None]:
    """(milestones per quarter, due quarter) from a schedule cell; clauses without a time
    join the clause before them (leading ones the first timed clause). Empty milestones when
    no clause names a time."""
    clauses = [c.strip() for c in re.split(r"[；;。\n]", text or "") if c.strip()]
    slots: list[list[str]] = [[], [], [], []]
    last = None
    waiting: list[str] = []  # clauses before the first time named: they lead into it
    for clause in clauses:
        found = times(clause)
        if found:
            last = max(found)
        if last is None:
            waiting.append(clause)
            continue
        slots[last - 1].extend(waiting + [clause])
        waiting = []
    if not any(slots):
        return ("", "", "", ""), None
    due = max(i + 1 for i, s in enumerate(slots) if s)
    return tuple("；".join(s) for s in slots), due  # type: ignore[return-value]


def share_due(due: int, quarter: int) -> float:
    """Percent of the task due at the end of `quarter` for a task due by the end of `due`: linear."""
    return 100.0 if quarter >= due else round(100.0 * quarter / due, 1)


QUARTER_CN = "一二三四"
MILESTONE, DEADLINE, TIME_SHARE = "季度安排", "完成时限", "时间进度"


def schedule_basis(task, quarter: int) -> tuple[float, str, str]:
    """(percent due at the end of `quarter`, basis kind, Chinese text) for a task's self-reported %.

    The plan's quarterly milestones where it has them (25% a quarter; a schedule that ends
    before Q4 is due in full at its last quarter), else its deadline (due quarter = 100%,
    linear before), else the time share (25% a quarter).
    """
    filled = [i + 1 for i, m in enumerate(task.milestones) if m.strip()]
    if filled:
        # a later deadline wins over a schedule that stops early (一季度目标 only, 完成时限 年底前)
        last = max(filled[-1], due_quarter(getattr(task, "deadline", "")) or 0)
        if last == 4:
            return 25.0 * quarter, MILESTONE, "按季度序时进度"
        return share_due(last, quarter), MILESTONE, f"按季度安排（{QUARTER_CN[last - 1]}季度末完成）"
    due = due_quarter(getattr(task, "deadline", ""))
    if due:
        return share_due(due, quarter), DEADLINE, f"按完成时限“{task.deadline}”（{QUARTER_CN[due - 1]}季度末完成）"
    return 25.0 * quarter, TIME_SHARE, "按全年时间进度"


def milestone_shown(task, quarter: int) -> str:
    """The fill-in sheet's 本季度序时进度 cell: the milestone, or the basis when the plan has none."""
    text = task.milestones[quarter - 1]
    if text.strip():
        return text
    share, kind, words = schedule_basis(task, quarter)
    if kind == MILESTONE and share >= 100:
        return f"（本季度无新安排，{words}）应已全部完成"
    return f"（方案无本季度安排）{words}：本季度末应完成{share:g}%"
