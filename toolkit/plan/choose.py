"""Which plan a command uses when plans/ holds several (last year's and next year's).

The plan whose 年度 matches the quarter's year; else the newest (highest 年度). Two plans of
the same year are not guessed between: the user names one with --plan. The year is read from the 设置 sheet without loading the whole plan
(a plan loads in ~0.7 s; this takes a few ms), falling back to a year in the file name.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from toolkit.errors import UsageError
from toolkit.plan.format import SETTINGS


def plan_year(path: Path) -> int | None:
    """The 年度 in a plan's 设置 sheet, else a 20xx in its file name, else None."""
    try:
        from python_calamine import CalamineWorkbook
        book = CalamineWorkbook.from_path(str(path))
        try:
            for row in book.get_sheet_by_name(SETTINGS).to_python():
                if len(row) > 1 and str(row[0]).strip() == "年度":
                    year = int(float(str(row[1]).strip()))
                    if 2000 <= year <= 2100:
                        return year
        finally:
            close = getattr(book, "close", None)
            if close:
                close()
    except Exception:  # an unreadable workbook is reported when it is loaded, if it is chosen
        pass
    found = re.search(r"(20\d\d)", path.name)
    return int(found.group(1)) if found else None


def quarter_year(text: str | None) -> int | None:
    """The year written in a --quarter value (2019Q2, 2019年第二季度), or None (Q2, 二季度)."""
    found = re.match(r"^\s*(\d{4})", unicodedata.normalize("NFKC", str(text or "")))
    return int(found.group(1)) if found else None


def choose_plan(candidates: list[Path], quarter: str | None = None) -> tuple[Path, str]:
    """(the plan to use, why it was chosen, in Chinese) among several plan workbooks."""
    years = {p: plan_year(p) for p in candidates}
    wanted = quarter_year(quarter)
    if wanted is not None and any(years[p] == wanted for p in candidates):
        chosen = [p for p in candidates if years[p] == wanted]
        why = f"年度 {wanted} 与季度相符"
    else:
        top = max((y or 0) for y in years.values())
        chosen = [p for p in candidates if (years[p] or 0) == top]
        why = f"年度最新（{top}年）" if top else ""
    if len(chosen) > 1:  # two plans of one year (a copy, a revision): only the user knows which
        names = "、".join(p.name for p in chosen)
        raise UsageError(f"plans/ 目录下有多个计划主表（{names}），年度相同，无法自动选择，请用 --plan 指定其中一个。",
                         hint="不再使用的旧版本可移出 plans/ 目录。")
    return chosen[0], why
