"""A plan published as a matrix: one row per 地区, one column per task or indicator.

Offices publish 责任分工表 / 目标任务分解表 this way (眉山 2021: `地区 | ★城镇新增就业(人) | …`,
a `责任单位` row under the indicator names, then 全市, 市本级, 东坡区 … with each area's figure).
Such a table is not a task list, so the usual reader finds no task column. `find_matrix`
recognises it; `plan_from_matrix` turns each indicator column into a task (name = the column
header, lead units = its 责任单位 cell, 领域 = the group heading above it) with one indicator
whose target is the 全市 figure, and every area's figure into a row of the 分解 sheet (the
same rows `plankit plan breakdown` writes). A column whose figures are not numbers becomes a
task without an indicator; what could not be read is listed as to-do, never guessed.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from toolkit.model import GE, LE, Indicator, Task, UnitTarget
from toolkit.plan.format import SUGGESTED
from toolkit.plan.pubtable import join_lines, split_published_units

AREA_HEADERS = ("地区", "县区", "区县", "县(市、区)", "县(市,区)", "县市区", "县(区)", "乡镇", "镇街", "乡镇(街道)",
                "镇(街道)", "区域", "地方", "市州", "市(州)", "单位名称")
TOTAL_ROWS = ("全市", "全省", "全区", "全县", "合计", "总计", "全州", "全盟")
UNIT_ROWS = ("责任单位", "牵头单位", "市级责任单位", "省级责任单位", "责任部门", "牵头部门")
TARGET_SUBS = ("目标", "目标任务", "全年目标", "年度目标", "工作目标", "任务", "目标数", "任务数")
_AREA = re.compile(r"(?:市|区|县|旗|新区|本级|镇|乡|街道|开发区|管委会|园区|高新区|经开区)$")
_MARKS = re.compile(r"[★☆◆◇●○▲△※*]")
_UNIT_NOTE = re.compile(r"[（(]([^（）()]{1,6})[)）]\s*$")
_VALUE = re.compile(r"^[≤<≥>]?\s*([+-]?\d+(?:\.\d+)?)\s*(%|‰)?\s*(以内|以下|以上)?$")
MAX_HEADER_ROWS = 6


@dataclass
class Column:
    index: int
    name: str                       # the header as published, marks and layout removed
    group: str = ""                 # the heading above it (→ 领域)
    units: str = ""                 # its 责任单位 cell


@dataclass
class Matrix:
    """One block of a matrix table: its columns and its areas' cells."""
    area_col: int
    columns: list[Column]
    areas: list[tuple[str, list[str]]]      # (area, the row's cells), 全市 included
    where: str = ""

    @property
    def numeric_share(self) -> float:
        """Share of the filled area cells that are figures: a matrix of targets is mostly numbers,
        a project list with a 县区 column is text."""
        cells = [c for _, row in self.areas for i, c in enumerate(row) if i != self.area_col and _norm(c)]
        return sum(_value(c) is not None for c in cells) / len(cells) if cells else 0.0


@dataclass
class MatrixPlan:
    tasks: list[Task] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    breakdown: list[UnitTarget] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)
    todo: list[str] = field(default_factory=list)


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def is_area(text: str) -> bool:
    name = _norm(text)
    return bool(name) and len(name) <= 12 and name not in AREA_HEADERS and \
        (name in TOTAL_ROWS or bool(_AREA.search(name)))


def find_matrix(rows: list[list[str]], where: list[str] | None = None) -> list[Matrix]:
    """The matrix blocks in a grid (merged cells filled with their text); [] when it is not one."""
    blocks: list[Matrix] = []
    r = 0
    while r < len(rows):
        col = next((c for c, v in enumerate(rows[r]) if _norm(v) in AREA_HEADERS), None)
        if col is None:
            r += 1
            continue
        first = next((i for i in range(r + 1, min(len(rows), r + MAX_HEADER_ROWS + 1))
                      if col < len(rows[i]) and is_area(rows[i][col])), None)
        if first is None:
            r += 1
            continue
        end = first
        while end < len(rows) and col < len(rows[end]) and (is_area(rows[end][col]) or not _norm(rows[end][col])
                                                           and any(_norm(v) for v in rows[end])):
            if col < len(rows[end]) and _norm(rows[end][col]) in AREA_HEADERS:
                break
            end += 1
        areas = [(_norm(rows[i][col]), rows[i]) for i in range(first, end) if is_area(rows[i][col])]
        if len(areas) >= 2:  # a block without readable columns is kept: the caller says what to do
            blocks.append(Matrix(col, _columns(rows[r:first], col), areas, where[r] if where else f"第{r + 1}行"))
        r = max(end, r + 1)
    return blocks


def find_any_matrix(rows: list[list[str]]) -> list[Matrix]:
    """find_matrix, or the same on the table turned over when the areas are the columns
    (`指标 | 东坡区 | 彭山区 | 合计`, one indicator per row)."""
    blocks = find_matrix(rows)
    if blocks:
        return blocks
    for r, row in enumerate(rows[:12]):
        if sum(is_area(c) for c in row) < 3:
            continue
        end = next((i for i in range(r + 1, len(rows)) if not any(_norm(c) for c in rows[i])), len(rows))
        block = rows[r:end]
        width = max(len(x) for x in block)
        turned = [[block[i][c] if c < len(block[i]) else "" for i in range(len(block))] for c in range(width)]
        first = next((c for c, v in enumerate(row) if is_area(v)), 0)
        turned[first - 1 if first else 0][0] = "地区"  # the indicator-name column's header becomes the area header
        turned = turned[first - 1:] if first else turned
        units = [x for x in turned[1:] if _norm(x[0]) in UNIT_ROWS]  # a 责任单位 column: a header row now
        return find_matrix([turned[0], *units, *[x for x in turned[1:] if x not in units]])
    return []


def _columns(header: list[list[str]], area_col: int) -> list[Column]:
    """Indicator columns from the header rows: the lowest name, the group above, the 责任单位 row."""
    unit_rows = [row for row in header if area_col < len(row) and _norm(row[area_col]) in UNIT_ROWS
                 or _only_units(row, area_col)]  # 市人力资源社会保障局 | 市总工会 over the columns, unlabelled
    names = [row for row in header if row not in unit_rows]
    subs = names[-1] if names and sum(_norm(v) in TARGET_SUBS for v in names[-1]) >= 1 else None
    if subs is not None:
        names = names[:-1]
    width = max(len(row) for row in header)
    columns: list[Column] = []
    seen: set[str] = set()
    for c in range(width):
        if c == area_col:
            continue
        if subs is not None and (c >= len(subs) or _norm(subs[c]) not in TARGET_SUBS):
            continue  # 进度 / 完成比例(%) columns: only 目标 is the plan
        texts = [join_lines(row[c]) for row in names if c < len(row) and _norm(row[c])]
        texts = [t for t in texts if _norm(t) not in AREA_HEADERS]
        if not texts:
            continue
        name = _MARKS.sub("", texts[-1]).strip()
        key = f"{c}:{name}" if subs is None else name
        if not name or name in seen or key in seen:
            continue
        seen.add(key)
        group = _MARKS.sub("", texts[0]).strip() if len(texts) > 1 and texts[0] != texts[-1] else ""
        units = next((row[c] for row in unit_rows if c < len(row) and _norm(row[c])), "")
        columns.append(Column(c, name, group, units))
    # a header cell merged over several columns names the first only (the others repeat its text)
    unique: list[Column] = []
    for col in columns:
        if unique and col.name == unique[-1].name and col.group == unique[-1].group:
            continue
        unique.append(col)
    return unique


_ORG_END = re.compile(r"(?:局|委|办|会|联|团|中心|院|厅|部|政府|公司|指挥部|管委会)$")


def _only_units(row: list[str], area_col: int) -> bool:
    cells = [_norm(v) for c, v in enumerate(row) if c != area_col and _norm(v)]
    return bool(cells) and all(_ORG_END.search(v) for v in cells)


def _value(text: str) -> tuple[float, str, str] | None:
    """(number, % or '', LE/GE) of a figure cell: `2.2`, `4.3%以内`, `≤5`."""
    m = _VALUE.match(_norm(text).replace(",", ""))
    if not m:
        return None
    direction = LE if (m.group(3) in ("以内", "以下") or _norm(text).startswith(("≤", "<"))) else GE
    return float(m.group(1)), m.group(2) or "", direction


def plan_from_matrix(blocks: list[Matrix], file: str) -> MatrixPlan:
    """Tasks, indicators and 分解 rows from the matrix blocks (see the module docstring)."""
    out = MatrixPlan()
    for block in blocks:
        for col in block.columns:
            no = len(out.tasks) + 1
            name, unit, direction = _indicator_name(col.name)
            total_text = next((join_lines(cells[col.index]) for area, cells in block.areas
                               if area in TOTAL_ROWS and col.index < len(cells)), "")
            shares = []
            for area, cells in block.areas:
                text = join_lines(cells[col.index]) if col.index < len(cells) else ""
                if area in TOTAL_ROWS or not text:
                    continue
                figure = _value(text)
                if figure is None:
                    out.todo.append(f"{file}：{area}的“{name}”为“{text}”，不是数字，未写入“分解”表。")
                    continue
                shares.append((area, figure))
            total = _value(total_text) if total_text else None
            leads, _ = split_published_units(col.units)
            target_text = col.name if not total_text else \
                f"{name}，全年目标{total_text}{unit}" if _value(total_text) else f"{name}：{total_text}"
            out.tasks.append(Task(no, name, target_text, col.group, tuple(leads), (), ("", "", "", ""), ""))
            if total is None and shares and all(s[1][1] == "" for s in shares):
                total = (round(sum(s[1][0] for s in shares), 6), "", GE)
                out.todo.append(f"{file}：“{name}”没有全市数，全年目标按各地区之和{total[0]:g}填写，请核对。")
            if total is None:
                continue
            value, percent, sign = total
            unit = percent or unit
            if not unit:
                out.todo.append(f"{file}：“{name}”的计量单位不明（列名中没有“（人）”之类），请在“指标”表填写单位。")
            direction = LE if LE in (sign, direction) else GE
            out.indicators.append(Indicator(no, name, unit, direction, value, (None, None, None, None), "",
                                            f"{SUGGESTED}取自分解表的全市目标；各地区目标见“分解”表"))
            for area, (share, _, _) in shares:
                out.breakdown.append(UnitTarget(no, name, area, share, (None, None, None, None)))
                if area not in out.areas:
                    out.areas.append(area)
    return out


def _indicator_name(header: str) -> tuple[str, str, str]:
    """(name, unit, direction) from a column header: `★城镇新增就业(人)` → 城镇新增就业, 人, ≥;
    `城镇登记失业率控制在4.3%以内` → 城镇登记失业率, %, ≤."""
    text = join_lines(_MARKS.sub("", header)).strip()
    unit = ""
    m = _UNIT_NOTE.search(text)
    if m:
        unit = unicodedata.normalize("NFKC", m.group(1)).strip()
        text = text[:m.start()].strip()
    direction = GE
    level = re.search(r"(?:控制在|低于|不高于|不超过)[\d.]+%?(?:以内|以下)?$|(?:低于|以内|以下)$", text)
    if level:
        direction = LE
        unit = unit or ("%" if "%" in level.group(0) else "")
        text = text[:level.start()].strip()
    return text or header, unit, direction
