"""Look of the fill-in workbooks: fonts, formats, column widths, page setup, contact block.

Formats are created once per workbook (`Styles(wb)`), never per cell: xlsxwriter
dedupes them anyway, but building dicts per cell is what makes generation slow.
"""
from __future__ import annotations

from datetime import date
from itertools import combinations

from xlsxwriter.utility import xl_rowcol_to_cell

from toolkit.fillin import layout as L
from toolkit.fillin.fastxlsx import write_cells
from toolkit.errors import PlankitError, WRITE_FAILED

# Fonts an official Chinese form uses; Windows ships all four, LibreOffice substitutes.
TITLE_FONT = "黑体"
HEADER_FONT = "黑体"
BODY_FONT = "宋体"
GUIDE_FONT = "仿宋"
GB2312 = 134  # font charset that makes Excel pick the Chinese glyphs

INPUT_FILL = "#FFF2CC"  # light yellow: "write here"
HEADER_FILL = "#D9E1F2"
INPUT_HEADER_FILL = "#FCE4D6"

# Column widths (Excel character units; a CJK character needs about 2).
WIDTHS = {
    L.P_NO: 5, L.P_NAME: 12, L.P_TARGET: 28, L.P_ROLE: 6.5, L.P_MILESTONE: 30, L.P_PREVIOUS: 24,
    L.P_STATUS: 9.5, L.P_PERCENT: 9.5, L.P_PROGRESS: 30, L.P_ISSUES: 18, L.P_NEXT: 18,
    L.I_NAME: 22, L.I_UNIT: 9, L.I_TARGET: 11, L.I_PLANNED: 16, L.I_PREVIOUS: 12,
    L.I_VALUE: 12, L.I_NOTE: 34, L.ROW_KEY_HEADER: 10,
}
LABEL_MIN_WIDTH = 9  # a 4-character label such as 联系电话
NAME_LIMIT = 50  # characters in a contact field


class Styles:
    """Every format a fill-in workbook uses, created once."""

    def __init__(self, wb):
        def fmt(**props):
            base = {"font_name": BODY_FONT, "font_size": 10.5, "font_charset": GB2312,
                    "valign": "vcenter", "text_wrap": True}
            base.update(props)
            return wb.add_format(base)

        border = {"border": 1, "border_color": "#808080"}
        self.title = fmt(font_name=TITLE_FONT, font_size=16, align="center", text_wrap=False)
        self.subtitle = fmt(font_size=11, align="left", text_wrap=False)
        self.header = fmt(font_name=HEADER_FONT, font_size=10.5, align="center", bg_color=HEADER_FILL, **border)
        self.input_header = fmt(font_name=HEADER_FONT, font_size=10.5, align="center",
                                bg_color=INPUT_HEADER_FILL, **border)
        self.text = fmt(valign="top", **border)
        self.text_mid = fmt(**border)
        self.center = fmt(align="center", **border)
        self.number = fmt(align="right", num_format="General", **border)
        self.number_le = fmt(align="right", num_format='"≤"General', **border)
        self.number_share = fmt(align="right", num_format='General"（按时间进度）"', **border)
        self.key = fmt(font_size=9, font_color="#808080", **border)
        unlocked = {"locked": False, "bg_color": INPUT_FILL, **border}
        self.in_text = fmt(valign="top", num_format="@", **unlocked)
        self.in_center = fmt(align="center", **unlocked)
        self.in_number = fmt(align="right", num_format="General", **unlocked)
        self.in_date = fmt(align="center", num_format="yyyy-mm-dd", **unlocked)
        self.label = fmt(font_name=HEADER_FONT, align="right", text_wrap=False)
        # Guide sheet.
        self.guide_title = fmt(font_name=TITLE_FONT, font_size=18, align="center", text_wrap=False)
        self.guide_key = fmt(font_name=HEADER_FONT, font_size=12, align="center", bg_color=HEADER_FILL, **border)
        self.guide_text = fmt(font_name=GUIDE_FONT, font_size=12, valign="top", **border)
        self.guide_sample = fmt(font_name=GUIDE_FONT, font_size=12, bg_color=INPUT_FILL, align="center", **border)
        # Meta sheet: plain text, so values never turn into numbers or dates.
        self.meta = wb.add_format({"num_format": "@"})


def page_setup(ws, department: str, last_col: int, last_row: int, *, repeat_header: bool = True) -> None:
    """A4 landscape, all columns on one page width, header row repeated, numbered footer."""
    ws.set_paper(9)
    ws.set_landscape()
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.center_horizontally()
    ws.fit_to_pages(1, 0)
    ws.print_area(0, 0, last_row, last_col)
    if repeat_header:
        ws.repeat_rows(L.HEADER_ROW - 1)
    dept = department.replace("&", "&&")
    ws.set_footer(f'&L&"{BODY_FONT}"&9填报单位：{dept}&C&"{BODY_FONT}"&9第 &P 页 共 &N 页', {"margin": 0.3})


def contact_spans(widths: list[float], fields: int = len(L.CONTACT_FIELDS)) -> list[tuple[int, int]]:
    """Split the visible columns into label/input spans for the contact block.

    Returns 2*fields (first, last) column pairs, alternating label and input, chosen so
    every label is wide enough for its text and the narrowest input is as wide as possible.
    """
    n = len(widths)
    spans_needed = 2 * fields
    if n < spans_needed:
        raise ValueError("not enough columns for the contact block")
    best, best_score = None, None
    for cuts in combinations(range(1, n), spans_needed - 1):
        bounds = (0, *cuts, n)
        spans = [(bounds[i], bounds[i + 1] - 1) for i in range(spans_needed)]
        sums = [sum(widths[a:b + 1]) for a, b in spans]
        labels, inputs = sums[0::2], sums[1::2]
        short = sum(max(0.0, LABEL_MIN_WIDTH - w) for w in labels)
        score = (-short, min(inputs), -max(labels))
        if best_score is None or score > best_score:
            best, best_score = spans, score
    return best  # type: ignore[return-value]


def write_text(ws, row: int, col: int, text: str, fmt) -> None:
    """write_string that fails loudly instead of truncating (xlsxwriter returns -2 over 32,767 characters)."""
    if ws.write_string(row, col, text, fmt) != 0:
        raise PlankitError(f"文字过长，无法写入填报表（{ws.name}!{xl_rowcol_to_cell(row, col)}）：{text[:30]}……",
                           code=WRITE_FAILED)


def write_row(ws, row: int, cells, height: float | None = None) -> None:
    """One row's cells — (column, value, format): a str, None for a formatted blank, or a number —
    in this order, then the row height; fails loudly as write_text does. A FastWorksheet stores the
    row at once (fastxlsx.write_cells), any other worksheet is written cell by cell."""
    for col, _code in write_cells(ws, row, cells, height):
        text = next(v for c, v, _f in cells if c == col)
        if type(text) is str:
            raise PlankitError(f"文字过长，无法写入填报表（{ws.name}!{xl_rowcol_to_cell(row, col)}）：{text[:30]}……",
                               code=WRITE_FAILED)


def header_block(ws, st: Styles, headers: list[str], inputs: tuple[str, ...], title: str, subtitle: str) -> int:
    """Column widths, title, subtitle and header row, frozen panes; returns the last visible column."""
    last = len(headers) - 2  # the row key column is last and hidden
    for c, h in enumerate(headers):
        hidden = h == L.ROW_KEY_HEADER
        ws.set_column(c, c, WIDTHS.get(h, 10), None, {"hidden": True} if hidden else {})
        ws.write_string(L.HEADER_ROW - 1, c, h, st.input_header if h in inputs else st.header)
    ws.merge_range(0, 0, 0, last, title, st.title)
    ws.merge_range(1, 0, 1, last, subtitle, st.subtitle)
    ws.set_row(0, 30)
    ws.set_row(1, 20)
    ws.set_row(L.HEADER_ROW - 1, 36)
    ws.freeze_panes(L.HEADER_ROW, 2)
    return last


def validate(ws, first: int, last: int, col: int, kind: str, title: str, message: str, error: str, **extra) -> None:
    """Data validation on one column with a Chinese input message and a stop alert."""
    options = {"validate": kind, "input_title": title[:32], "input_message": message[:255],
               "error_title": "输入有误", "error_message": error[:255], "error_type": "stop", **extra}
    if ws.data_validation(first, col, last, col, options) != 0:
        raise PlankitError(f"无法为 {ws.name} 第{col + 1}列设置数据有效性。", code=WRITE_FAILED)


def text_rule(ws, first: int, last: int, col: int, title: str, limit: int, what: str) -> None:
    validate(ws, first, last, col, "length", title, f"{what}（不超过{limit}字）。",
             f"内容过长：请精简到{limit}字以内。", criteria="<=", value=limit)


def list_source(values) -> list[str]:
    """Dropdown values inline; Excel and LibreOffice keep at most 255 characters of them."""
    if len(",".join(values)) > 255:
        raise PlankitError("下拉列表内容超过Excel的255字符限制。", code=WRITE_FAILED)
    return list(values)


def contact_block(ws, st: Styles, widths: list[float], known: dict, year: int) -> dict[str, str]:
    """填报人 / 联系电话 / 填报日期 / 审核人 on the row above the header; returns field -> "sheet!cell".

    `known` pre-fills the names and phone (e.g. from last quarter's return); they stay editable.
    """
    row = L.HEADER_ROW - 2
    spans = contact_spans(widths)
    cells = {}
    for i, name in enumerate(L.CONTACT_FIELDS):
        (la, lb), (ia, ib) = spans[2 * i], spans[2 * i + 1]
        _span(ws, row, la, lb, f"{name}：", st.label)
        is_date = name == "填报日期"
        _span(ws, row, ia, ib, "" if is_date else str(known.get(name, "") or ""),
              st.in_date if is_date else st.in_center)
        if is_date:
            validate(ws, row, row, ia, "date", name, "请填写填报日期，例如 2019-07-05。",
                     "请填写有效日期，例如 2019-07-05。", criteria="between",
                     minimum=date(year - 1, 1, 1), maximum=date(year + 2, 12, 31))
        else:
            text_rule(ws, row, row, ia, name, NAME_LIMIT, f"请填写{name}")
        cells[name] = f"{ws.name}!{xl_rowcol_to_cell(row, ia)}"
    ws.set_row(row, 24)
    return cells


def _span(ws, row: int, first: int, last: int, text: str, fmt) -> None:
    if first == last:
        ws.write_string(row, first, text, fmt) if text else ws.write_blank(row, first, None, fmt)
    else:
        ws.merge_range(row, first, row, last, text, fmt)
