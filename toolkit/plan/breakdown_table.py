"""A published breakdown table (分解表/责任分工表/完成情况表) read into the 分解 sheet.

The shape offices publish: a row per 地区 (全市 first), a column group per indicator whose
header names it (`★城镇新增就业(人)`), optionally a second header row with 目标 / 进度 /
完成比例(%) sub-columns — the 目标 one holds each unit's annual target. Indicators are matched
to the plan's 指标 by name (NFKC, without marks, units in brackets and spaces); what cannot be
matched or read is returned as `todo` lines, never guessed.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.errors import InputFileError, PlanError
from toolkit.model import Indicator, Plan, UnitTarget
from toolkit.plan.pubsources import merged_grid
from toolkit.values import clean_text

AREA_HEADERS = ("地区", "县区", "县（市、区）", "县(市、区)", "单位", "责任单位", "区县")
TARGET_SUBS = ("目标", "目标任务", "全年目标", "年度目标", "工作目标", "任务")
TOTAL_ROWS = ("全市", "合计", "总计", "全省", "全区", "全县")
SKIP_ROWS = ("责任单位", "牵头单位", "市级责任单位")
_MARKS = re.compile(r"[★☆◆◇●○▲△※*\s]")
_BRACKET = re.compile(r"[（(][^（）()]*[)）]$")
_LEVEL = re.compile(r"(不低于|不高于|不超过|低于|高于|达到|以内|以上|以下)$")  # `城镇登记失业率低于(%)`


@dataclass
class BreakdownImport:
    shares: list[UnitTarget] = field(default_factory=list)
    units: list[str] = field(default_factory=list)  # 地区 in table order
    totals: dict[str, float] = field(default_factory=dict)  # indicator key -> the table's 全市 目标
    todo: list[str] = field(default_factory=list)


def name_key(text: str) -> str:
    """An indicator or column name as compared: NFKC, no marks or spaces, no trailing (单位)."""
    text = _MARKS.sub("", unicodedata.normalize("NFKC", text or ""))
    return _LEVEL.sub("", _BRACKET.sub("", text))


def _number(text: str) -> float | None:
    text = unicodedata.normalize("NFKC", text).replace(",", "").strip()
    if not text:
        return None
    m = re.fullmatch(r"[≤<≥>]?\s*([+-]?\d+(?:\.\d+)?)\s*%?(?:以内|以下|以上)?", text)
    return float(m.group(1)) if m else None


def read_grid(path: Path) -> list[list[str]]:
    """The table's cells as text, merged cells filled with their anchor's value."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"找不到文件：{path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        raw = path.read_bytes()
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise InputFileError(f"{path.name}：无法识别文字编码，请在Excel中另存为“CSV UTF-8”。")
        return [[clean_text(c) for c in row] for row in csv.reader(io.StringIO(text))]
    if suffix not in (".xlsx", ".xlsm"):
        raise InputFileError(f"{path.name}：分解表请保存为.xlsx或.csv后再导入。")
    import openpyxl
    try:
        wb = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise InputFileError(f"{path.name}：无法作为Excel打开（{type(exc).__name__}）。")
    ws = wb.worksheets[0]
    grid, _ = merged_grid(ws, 20000)
    wb.close()
    return grid


def read_breakdown_table(plan: Plan, path: Path) -> BreakdownImport:
    """The units' targets of every indicator of `plan` found in the table at `path`."""
    grid = read_grid(path)
    head = next((i for i, row in enumerate(grid[:30]) if any(c in AREA_HEADERS for c in row)), None)
    if head is None:
        raise PlanError(f"{Path(path).name}：找不到表头。表的前30行中应有“地区”（或“县区”“单位”）列。")
    area_col = next(c for c, v in enumerate(grid[head]) if v in AREA_HEADERS)
    sub = grid[head + 1] if head + 1 < len(grid) else []
    has_sub = any(v in TARGET_SUBS for v in sub)
    by_name = {name_key(i.name): i for i in plan.indicators}
    result = BreakdownImport()
    columns: list[tuple[int, Indicator]] = []  # (column, indicator)
    seen: set[str] = set()
    for c, text in enumerate(grid[head]):
        if c == area_col or not text or text in seen:
            continue
        if has_sub and (c >= len(sub) or sub[c] not in TARGET_SUBS):
            continue
        seen.add(text)
        ind = by_name.get(name_key(text))
        if ind is None:
            result.todo.append(f"列“{text}”：计划“指标”表中没有同名指标，未导入（可先在“指标”表中添加，或改成一致的名称）。")
            continue
        columns.append((c, ind))
    first = head + (2 if has_sub else 1)
    for r in range(first, len(grid)):
        row = grid[r]
        area = re.sub(r"\s+", "", row[area_col]) if area_col < len(row) else ""
        if not area or area in SKIP_ROWS or area in AREA_HEADERS:
            continue
        for c, ind in columns:
            text = row[c] if c < len(row) else ""
            value = _number(text)
            if area in TOTAL_ROWS:
                if value is not None:
                    result.totals[ind.key] = value
                continue
            if value is None:
                if text:
                    result.todo.append(f"{area}的“{ind.name}”目标“{text}”不是数字，未导入。")
                continue
            result.shares.append(UnitTarget(ind.task_no, ind.name, area, value,
                                            (None, None, None, None)))
            if area not in result.units:
                result.units.append(area)
    for _, ind in columns:
        total = result.totals.get(ind.key)
        if total is not None and abs(total - ind.target) > 1e-9:
            result.todo.append(f"“{ind.name}”表中全市目标{total:g}与计划“指标”表的全年目标"
                               f"{ind.target:g}不一致，请核对。")
    return result


def with_breakdown(plan: Plan, imported: BreakdownImport) -> Plan:
    """`plan` with the imported rows as its 分解 (an indicator's earlier rows are replaced) and every
    new unit added to 部门."""
    from dataclasses import replace

    from toolkit.model import Department
    keys = {s.key for s in imported.shares}
    kept = [s for s in plan.breakdown if s.key not in keys]
    known = {d.name for d in plan.departments}
    departments = plan.departments + [Department(u) for u in imported.units if u not in known]
    return replace(plan, breakdown=kept + imported.shares, departments=departments, _fingerprint="",
                   _units=(), _split=())
