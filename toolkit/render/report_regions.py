"""The report's 地区 × 指标 sheets: one per task with indicators broken down by unit (分解).

Shaped as offices publish their 完成情况表: a row per 地区 (the 全市 total first), for each
indicator the columns 目标 / 完成 / 完成比例(%); a unit behind its own 序时 is coloured by its
light and named in the 滞后指标 column; a missing unit reads 未报送. Below, the units ranked by
completion of their own target, indicator by indicator.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from toolkit.evaluate.breakdown import BreakdownGroup, BreakdownResult, iter_breakdown_groups
from toolkit.evaluate.judge import BEHIND, MISSING, NONE, IndicatorResult
from toolkit.model import LE
from toolkit.render.report_book import HEADER_FILL, HEADER_FONT, TITLE_FONT, Book

TOTAL_LABEL = "全市"
SUB = ("目标", "完成", "完成比例(%)")
AREA_WIDTH, CELL_WIDTH, NOTE_WIDTH = 12, 9, 26


def sheet_name(group: BreakdownGroup, taken: set[str]) -> str:
    """`分解-促进城乡劳动者就业创业` cut to Excel's 31 characters, unique in the workbook."""
    base = re.sub(r"[\[\]:*?/\\]", "", f"分解{group.task.no}-{group.task.name}")[:31]
    name, n = base, 2
    while name in taken:
        name = f"{base[:28]}({n})"
        n += 1
    taken.add(name)
    return name


def regions(book: Book, groups: Iterable[BreakdownGroup] | None = None) -> list[str]:
    """Write one sheet per broken-down group; returns the sheet names (none without a 分解)."""
    groups = iter_breakdown_groups(book.ev) if groups is None else groups  # one group in memory at a time
    taken: set[str] = set()
    return [_group_sheet(book, g, sheet_name(g, taken)) for g in groups]


def _label(item: BreakdownResult) -> str:
    ind = item.indicator
    unit = f"（{ind.unit}）" if ind.unit else ""
    return f"{'≤' if ind.direction == LE else ''}{ind.name}{unit}" + ("" if item.sums else "\n（不汇总）")


def _group_sheet(book: Book, group: BreakdownGroup, name: str) -> str:
    ev, ws = book.ev, book.wb.add_worksheet(name)
    units, items = group.units(), group.items
    last = 1 + 3 * len(items) + 1  # 地区, 3 per indicator, 滞后指标, 说明
    ws.set_column(0, 0, AREA_WIDTH)
    ws.set_column(1, 3 * len(items), CELL_WIDTH)
    ws.set_column(last - 1, last, NOTE_WIDTH)
    title = f"{ev.quarter.label}第{group.task.no}项 {group.task.name}分地区完成情况"
    book._check(ws.merge_range(0, 0, 0, last, title, book.fmt(
        font_name=TITLE_FONT, font_size=14, align="center", valign="vcenter", border=0, text_wrap=False)), ws, 0, 0)
    ws.set_row(0, 24)
    note = ("完成：各单位报送的累计完成值；完成比例(%)：完成 ÷ 本单位全年目标（“≤”指标达到目标即100）。"
            f"{TOTAL_LABEL}行可相加的指标为各单位完成值之和（注明报送单位数），比率、平均数类标“不汇总”，"
            "取牵头单位报送的全市数。各单位按本单位的序时进度判定，落后序时的以颜色标出并列入“滞后指标”。")
    book.merged(ws, 1, 0, last, note, None, border=0, font_size=9)
    ws.set_row(1, 30)
    head: dict[str, Any] = dict(font_name=HEADER_FONT, bg_color=HEADER_FILL, align="center", valign="vcenter")
    # constant_memory writes row by row: no range spans two rows, the second header row is blank there
    book.text(ws, 2, 0, "地区", **head)
    for i, item in enumerate(items):
        c = 1 + 3 * i
        book._check(ws.merge_range(2, c, 2, c + 2, _label(item), book.fmt(**head)), ws, 2, c)
    book.text(ws, 2, last - 1, "滞后指标", **head)
    book.text(ws, 2, last, "说明", **head)
    ws.set_row(2, 40)
    book.text(ws, 3, 0, "", **head)
    for i in range(len(items)):
        for j, sub in enumerate(SUB):
            book.text(ws, 3, 1 + 3 * i + j, sub, **head)
    book.text(ws, 3, last - 1, "", **head)
    book.text(ws, 3, last, "", **head)
    ws.freeze_panes(4, 1)
    row = 4
    # the total row first
    book.text(ws, row, 0, TOTAL_LABEL, bold=True, align="center")
    notes = []
    for i, item in enumerate(items):
        t = item.total
        _triple(book, ws, row, 1 + 3 * i, item.indicator.target, t, bold=True)
        if t.coverage and item.sums:
            notes.append(f"{item.indicator.name}：{t.coverage}")
    lagging_items = [it.indicator.name for it in items if it.total.status == BEHIND]
    book.text(ws, row, last - 1, "、".join(lagging_items), NOTE_WIDTH, bold=True)
    book.text(ws, row, last, "；".join(notes), NOTE_WIDTH)
    row += 1
    by_unit = [{u.department: u for u in item.units} for item in items]
    for unit in units:
        book.text(ws, row, 0, unit, align="center")
        behind = []
        for i, item in enumerate(items):
            r = by_unit[i].get(unit)
            if r is None:
                for j in range(3):
                    book.text(ws, row, 1 + 3 * i + j, "—", align="center", font_color="#808080")
                continue
            _triple(book, ws, row, 1 + 3 * i, r.indicator.target, r)
            if r.status == BEHIND:
                behind.append(f"{item.indicator.name}（落后{-(r.gap or 0):.1f}个百分点）")
        missing = all(by_unit[i].get(unit) is None or by_unit[i][unit].status == MISSING for i in range(len(items)))
        book.text(ws, row, last - 1, "、".join(behind), NOTE_WIDTH,
                  **({"font_color": "#9C0006", "bold": True} if behind else {}))
        book.text(ws, row, last, "未报送" if missing else "", NOTE_WIDTH)
        book.release(ws)
        row += 1
    row = _ranking(book, ws, row + 1, items, last)
    book.finish(ws, row - 1, last, header_row=None)
    ws.repeat_rows(2, 3)
    return name


class _Cells:
    """The N × 300 cells of these sheets, written with formats looked up once per style (Book.fmt
    sorts its keyword arguments on every call) and every return code still checked."""

    def __init__(self, book: Book):
        self.book = book
        self.formats: dict[tuple, Any] = {}

    def fmt(self, key: tuple, **props):
        f = self.formats.get(key)
        if f is None:
            f = self.formats[key] = self.book.fmt(**props)
        return f

    def number(self, ws, row: int, col: int, value: float | None, key: tuple, **props) -> None:
        f = self.fmt(key, **{"align": "right", **props})
        code = ws.write_blank(row, col, None, f) if value is None else ws.write_number(row, col, value, f)
        self.book._check(code, ws, row, col)

    def value(self, ws, row: int, col: int, value: float | None, bold: bool = False) -> None:
        integral = value is not None and float(value).is_integer()
        self.number(ws, row, col, value, ("v", integral, bold), bold=bold,
                    num_format="#,##0" if integral else "#,##0.0##")

    def text(self, ws, row: int, col: int, text: str, key: tuple, **props) -> None:
        if text.startswith(("=", "+", "-", "@")):  # plan text, but still never a formula
            self.book.text(ws, row, col, text, **props)
            return
        self.book._check(ws.write_string(row, col, text, self.fmt(key, **props)), ws, row, col)


def _triple(book: Book, ws, row: int, col: int, target: float, r: IndicatorResult, bold: bool = False) -> None:
    cells = _cells(book)
    cells.value(ws, row, col, target, bold)
    if r.actual is None:
        cells.text(ws, row, col + 1, "未报送", ("missing",), **book.light_props(NONE))
        cells.number(ws, row, col + 2, None, ("blank",))
        return
    cells.value(ws, row, col + 1, r.actual, bold)
    lag = r.status == BEHIND
    props = book.light_props(r.light, bold=bold, status=r.status) if lag else {"bold": bold}
    cells.number(ws, row, col + 2, r.completion, ("pct", lag and r.light, lag and r.status, bold),
                 num_format="0.0", **props)


def _cells(book: Book) -> _Cells:
    cells = getattr(book, "_region_cells", None)
    if cells is None:
        cells = _Cells(book)
        book._region_cells = cells  # type: ignore[attr-defined]
    return cells


def _ranking(book: Book, ws, row: int, items: list[BreakdownResult], last: int) -> int:
    """名次 | per indicator: 地区, 完成比例(%), 状态 — units ranked best first."""
    head: dict[str, Any] = dict(font_name=HEADER_FONT, bg_color=HEADER_FILL, align="center", valign="vcenter")
    book.merged(ws, row, 0, last, "各单位完成情况排名（按完成本单位全年目标的比例，由高到低；“≤”指标按数值由低到高）",
                None, bold=True, border=0)
    row += 1
    book.text(ws, row, 0, "名次", **head)
    for i in range(len(items)):
        for j, sub in enumerate(("地区", "完成比例(%)", "状态")):
            book.text(ws, row, 1 + 3 * i + j, sub, **head)
    row += 1
    rankings = [item.ranking() for item in items]
    cells = _cells(book)
    for n in range(max((len(r) for r in rankings), default=0)):
        book.number(ws, row, 0, n + 1, num_format="0", align="center")
        for i, ranked in enumerate(rankings):
            c = 1 + 3 * i
            if n < len(ranked):
                r = ranked[n]
                lag = r.status == BEHIND
                style = book.light_props(r.light, status=r.status) if lag else {}
                key = ("rank", lag and r.light, lag and r.status)
                cells.text(ws, row, c, r.department, key, **{"align": "center", **style})
                cells.number(ws, row, c + 1, r.completion, key + ("n",), **{**style, "num_format": "0.0"})
                cells.text(ws, row, c + 2, r.status, key, **{"align": "center", **style})
            else:
                for j in range(3):
                    book.text(ws, row, c + j, "")
        row += 1
    return row
