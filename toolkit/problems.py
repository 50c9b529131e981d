"""Validation problems as data: a stable code, a location and a Chinese message.

Modules register their codes with a severity and a message template; a Report
collects every problem instead of stopping at the first (as frictionless does).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

ERROR, WARNING = "error", "warning"

# code -> (severity, message template). Templates use str.format fields.
CODES: dict[str, tuple[str, str]] = {}


def register(code: str, severity: str, template: str) -> str:
    if code in CODES and CODES[code] != (severity, template):
        raise ValueError(f"problem code {code!r} registered twice with different text")
    CODES[code] = (severity, template)
    return code


@dataclass
class Problem:
    code: str
    severity: str
    message: str
    file: str = ""
    sheet: str = ""
    cell: str = ""
    value: str = ""
    quarter: str = ""  # the quarter a file belongs to, when it is not the one merged (e.g. 2019Q1)

    @property
    def location(self) -> str:
        """`任务!G12`, `任务`, or empty."""
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or self.cell

    def to_dict(self) -> dict:
        data = asdict(self)
        if not data["quarter"]:  # only problems about another quarter carry one
            del data["quarter"]
        return data

    def __str__(self) -> str:
        where = " ".join(p for p in (short_name(self.file), self.location) if p)
        label = "错误" if self.severity == ERROR else "警告"
        return f"[{label}] {where}：{self.message}" if where else f"[{label}] {self.message}"


NAME_LIMIT = 60  # characters of a file name shown in notes, receipts and problem lines


def short_name(name: str, limit: int = NAME_LIMIT) -> str:
    """A file name for display: each part of `mail.eml/附件.xlsx` over `limit` characters keeps its
    start and its end (the extension, and a tail such as （更正）) and says how much was left out.
    The full name stays in the store and the received log; only what is printed is shortened."""
    if len(name) <= limit:
        return name
    parts = []
    for part in name.split("/"):
        if len(part) > limit:
            head, tail = limit * 3 // 5, limit // 3
            part = f"{part[:head]}…（中间省略{len(part) - head - tail}字）…{part[-tail:]}"
        parts.append(part)
    return "/".join(parts)


def make(code: str, *, file: str = "", sheet: str = "", cell: str = "", value: object = "",
         **fields: object) -> Problem:
    """Build a Problem from a registered code; `value` is also available to the template."""
    severity, template = CODES[code]
    text_value = "" if value is None else str(value)
    message = template.format(value=text_value, sheet=sheet, cell=cell, **fields)
    return Problem(code, severity, message, str(file), sheet, cell, text_value)


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> Problem:
        self.problems.append(problem)
        return problem

    def extend(self, problems) -> None:
        self.problems.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_list(self) -> list[dict]:
        return [p.to_dict() for p in self.problems]
