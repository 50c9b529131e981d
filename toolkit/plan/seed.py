"""Parse the text extracted from a published plan PDF into task rows.

The extraction is one table: a task number alone on a line, then five cells
(target, Q1..Q4). A cell ends with a line that has a trailing space; lines
inside a cell end without one. Page headers repeat (sometimes broken) and blank
lines are layout noise. The PDF also put spaces between Chinese and digits.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from toolkit.errors import PLAN_SEED, PlanError

HEADER_LINES = {
    "序", "号", "序号", "号 目标任务", "序号 目标任务", "目标任务", "序时进度",
    "第一季度 第二季度 第三季度 第四季度",
}
CELLS_PER_TASK = 5

# CJK ideographs plus CJK/full-width punctuation: a space next to one of these is
# an extraction artefact, never part of the published text.
_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef\u2018-\u201d\u2026\u2030"
_SPACE_NEAR_CJK = re.compile(rf"(?<=[{_CJK}]) +| +(?=[{_CJK}%])")


@dataclass(frozen=True)
class SeedTask:
    no: int
    target: str
    milestones: tuple[str, str, str, str]

    @property
    def name(self) -> str:
        """The short title: the target text up to the first '。'."""
        return self.target.split("。", 1)[0]


def normalise_spaces(text: str) -> str:
    """Remove the spaces a PDF extraction puts between Chinese and other text."""
    text = _SPACE_NEAR_CJK.sub("", text)
    return re.sub(r" {2,}", " ", text).strip()


def parse_seed(text: str) -> tuple[str, list[SeedTask]]:
    """Return (plan title, tasks) from an extracted plan text."""
    lines = text.replace("\r\n", "\n").split("\n")
    title = ""
    tasks: list[SeedTask] = []
    cells: list[str] = []
    current: list[str] = []
    number: int | None = None

    def finish_task() -> None:
        if number is None:
            return
        if current:
            raise PlanError(f"第{number}项的最后一栏没有结束标记，原文可能被截断。", code=PLAN_SEED)
        if len(cells) != CELLS_PER_TASK:
            raise PlanError(
                f"第{number}项应有{CELLS_PER_TASK}栏（目标任务和四个季度），实际读到{len(cells)}栏。", code=PLAN_SEED)
        tasks.append(SeedTask(number, cells[0], tuple(cells[1:])))  # type: ignore[arg-type]

    for raw in lines:
        stripped = raw.strip()
        if not stripped or stripped in HEADER_LINES:
            continue
        if not title:
            title = normalise_spaces(stripped)
            continue
        expected = (number or 0) + 1
        if not current and stripped == str(expected) and len(cells) in (0, CELLS_PER_TASK):
            finish_task()
            number, cells = expected, []
            continue
        if number is None:
            raise PlanError(f"在第1项之前读到无法识别的内容：“{stripped[:30]}”。", code=PLAN_SEED)
        current.append(stripped)
        if raw.endswith(" "):
            cells.append(normalise_spaces("".join(current)))
            current = []
    finish_task()
    return title, tasks
