"""Quarters as users type them: `2019Q2`, `Q2`, `2`, `二季度`, `2019年第二季度`."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from toolkit.errors import USAGE_QUARTER, UsageError
from toolkit.model import QUARTER_NAMES

_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_PATTERNS = (
    re.compile(r"^(?:(?P<year>\d{4})\s*[-_ ]?)?Q(?P<q>\d+)$", re.I),
    re.compile(r"^(?P<q>\d+)$"),
    re.compile(r"^(?:(?P<year>\d{4})年)?第?(?P<q>[一二三四1234])季度?$"),
)


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    q: int

    @property
    def code(self) -> str:
        return f"{self.year}Q{self.q}"

    @property
    def label(self) -> str:
        """`2019年第二季度`."""
        return f"{self.year}年{QUARTER_NAMES[self.q - 1]}"

    @property
    def previous(self) -> Quarter | None:
        return Quarter(self.year, self.q - 1) if self.q > 1 else None

    def __str__(self) -> str:
        return self.code


def parse_quarter(text: str, plan_year: int) -> Quarter:
    """Parse a quarter for a plan of `plan_year`; raise UsageError with a hint."""
    raw = unicodedata.normalize("NFKC", str(text)).strip()
    for pattern in _PATTERNS:
        m = pattern.match(raw)
        if not m:
            continue
        q = _CN_DIGITS.get(m.group("q"), 0) if not m.group("q").isdigit() else int(m.group("q"))
        year = int(m.groupdict().get("year") or plan_year)
        if not 1 <= q <= 4:
            raise UsageError(f"季度“{text}”超出范围：季度只能是1到4。", code=USAGE_QUARTER)
        if year != plan_year:
            raise UsageError(f"季度“{text}”不属于本计划的年度（{plan_year}年）。",
                             hint=f"请写成 {plan_year}Q{q} 或只写 Q{q}。", code=USAGE_QUARTER)
        return Quarter(year, q)
    raise UsageError(f"无法识别季度“{text}”。",
                     hint=f"可写成 {plan_year}Q2、Q2、2 或 二季度。", code=USAGE_QUARTER)


def quarter_text_ok(text: str) -> bool:
    """Whether `text` reads as a quarter 1-4 of some year (the plan's year not checked)."""
    raw = unicodedata.normalize("NFKC", str(text)).strip()
    for pattern in _PATTERNS:
        m = pattern.match(raw)
        if m:
            q = _CN_DIGITS.get(m.group("q"), 0) if not m.group("q").isdigit() else int(m.group("q"))
            return 1 <= q <= 4
    return False


def as_quarter(quarter: Quarter | str | int, plan_year: int) -> Quarter:
    """A Quarter as given, or parsed from what a user types (`2019Q2`, `Q2`, `2`, `二季度`)."""
    return quarter if isinstance(quarter, Quarter) else parse_quarter(str(quarter), plan_year)
