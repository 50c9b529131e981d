"""The report workbook's writing machinery: colours and fonts, checked writes, cached formats.

Shared by the report's sheets (report_sheets, report_co) and the report itself."""
from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from xlsxwriter.utility import xl_rowcol_to_cell

from toolkit.errors import WRITE_FAILED, PlankitError
from toolkit.evaluate.judge import GREEN, NONE, RED, YELLOW, QuarterEvaluation
from toolkit.fileio import xlsxprint
from toolkit.fileio.xlsxtext import row_height, text_lines
from toolkit.model import Plan
from toolkit.quarter import Quarter

# Row heights use the shared estimate (fileio.xlsxtext.row_height). 宋体 is drawn with a CJK
# fallback font in LibreOffice whose line is ~1.45 em (14.5 pt at 10 pt): the estimate is taken
# half a point up, so the last line of a tall wrapped cell is not cut in print/PDF.
LINE_PT, NOTE_LINE_PT = 10.5, 9.5
MAX_CELL_TEXT = 32767  # Excel's limit: longer text (co-units' texts together) is cut with a marker
CUT_MARK = "……（全文{total}字，此处只列前{shown}字；全文见报送单位的填报表原件，可用 plankit status -q {quarter} -d 单位名 查到）"
SHORT_TEXT = 40  # texts up to this long have their line count remembered (Book._lines)
FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r", "\n")
TITLE_FONT, HEADER_FONT, BODY_FONT = "黑体", "黑体", "宋体"
HEADER_FILL = "#D9E1F2"
# Traffic lights: fill and font colour. Pale fills keep black text readable in grey print.
LIGHT_COLORS = {GREEN: ("#C6EFCE", "#006100"), YELLOW: ("#FFEB9C", "#7F6000"),
                RED: ("#FFC7CE", "#9C0006"), NONE: ("#E7E6E6", "#404040")}
# A 滞后 within the yellow threshold has a green light, but a green "滞后" cell misleads:
# the status cell gets a pale orange instead (the 预警 cell still says 绿灯).
MILD_LAG_COLORS = ("#FCE4D6", "#833C0B")
STATUS_CHART_COLORS = {"已完成": "#548235", "超序时": "#70AD47", "序时推进": "#A9D18E",
                       "滞后": "#FFC000", "未报送": "#A5A5A5"}
# Year-end chart, by position (the words are the plan's): done green, basic amber, undone red,
# missing grey, as the traffic lights of the year-end sheets and the briefing's chart (charts.YEAR_COLORS).
YEAR_CHART_COLORS = ("#548235", "#FFC000", "#C00000", "#A5A5A5")


def report_title(plan: Plan, quarter: Quarter) -> str:
    """`2019年第二季度民生实事进展汇总`: the workbook's title, its file name without `.xlsx`."""
    if quarter.q == 4:
        return f"{quarter.year}年{plan.settings.subject}完成情况汇总"
    return f"{quarter.label}{plan.settings.subject}进展汇总"


def cut_text(value: str, quarter: str = "", limit: int = MAX_CELL_TEXT) -> str:
    """Text cut to fit a cell, with a visible marker saying so and where the whole text is."""
    mark = CUT_MARK.format(total=len(value), shown="{shown}", quarter=quarter or "季度")
    shown = limit - len(mark.format(shown=limit))
    return value[:shown] + mark.format(shown=shown)


class ReportError(PlankitError):
    """The report workbook could not be written as it should be."""
    code = WRITE_FAILED


class Book:
    """A workbook being written: cached formats and checked writes."""

    def __init__(self, wb, ev: QuarterEvaluation, generated_at: datetime):
        self.wb, self.ev, self.generated_at = wb, ev, generated_at
        self._formats: dict[tuple, object] = {}
        # sheet -> (row, lines) of the row last grown: rows are written top to bottom (constant_memory),
        # so only a sheet's current row can still grow (a dict of every row was ~30 MB at national N=3,000)
        self._heights: dict[str, tuple[int, int]] = {}
        self._measured: dict[tuple[str, float], int] = {}  # see _lines

    # formats
    def fmt(self, **props):
        key = tuple(sorted(props.items()))
        if key not in self._formats:
            base = {"font_name": BODY_FONT, "font_size": 10, "font_charset": 134, "valign": "top",
                    "text_wrap": True, "border": 1, "border_color": "#808080"}
            base.update(props)
            self._formats[key] = self.wb.add_format({k: v for k, v in base.items() if v is not None})
        return self._formats[key]

    def light_props(self, light: str, bold: bool = False, status: str = "") -> dict:
        mild = status == "滞后" and light == GREEN and not self.ev.year_end
        fill, font = MILD_LAG_COLORS if mild else LIGHT_COLORS[light]
        return {"bg_color": fill, "font_color": font, "bold": bold or light == RED,
                "align": "center"}

    # writes
    def _check(self, code: int, ws, row: int, col: int) -> None:
        if code:
            raise ReportError(f"写入汇总表“{ws.get_name()}”{xl_rowcol_to_cell(row, col)}失败"
                              f"（xlsxwriter返回{code}），未生成汇总表。")

    def text(self, ws, row: int, col: int, value, width: float | None = None, **props) -> None:
        """Write text (possibly typed by a department) as a string, never a formula."""
        value = "" if value is None else str(value)
        if len(value) > MAX_CELL_TEXT:
            value = cut_text(value, getattr(getattr(self.ev, "quarter", None), "code", ""))
        if value.startswith(FORMULA_LEAD):
            props = {**props, "quote_prefix": True}
        if value == "":
            self._check(ws.write_blank(row, col, None, self.fmt(**props)), ws, row, col)
        else:
            self._check(ws.write_string(row, col, value, self.fmt(**props)), ws, row, col)
        if width:
            self.grow(ws, row, self._lines(value, width))

    def _lines(self, value: str, width: float) -> int:
        """text_lines(value, width, 1.8), remembered for short texts (unit and task names, status
        words recur on every sheet; long texts are mostly unique and are measured each time)."""
        if len(value) > SHORT_TEXT:
            return text_lines(value, width, 1.8)
        key = (value, width)
        lines = self._measured.get(key)
        if lines is None:
            lines = text_lines(value, width, 1.8)
            if len(self._measured) < 50_000:  # bounded: a run of distinct short texts adds nothing
                self._measured[key] = lines
        return lines

    def number(self, ws, row: int, col: int, value: float | None, **props) -> None:
        props.setdefault("align", "right")
        if value is not None and not math.isfinite(value):  # the merge rejects these; never crash here
            self._check(ws.write_string(row, col, "（数值无效）", self.fmt(**props)), ws, row, col)
        elif value is None:
            self._check(ws.write_blank(row, col, None, self.fmt(**props)), ws, row, col)
        else:
            self._check(ws.write_number(row, col, value, self.fmt(**props)), ws, row, col)

    def value(self, ws, row: int, col: int, value: float | None, **props) -> None:
        """A quantity in the indicator's own unit: thousands separators, no spurious decimals."""
        integral = value is not None and float(value).is_integer()
        self.number(ws, row, col, value, num_format="#,##0" if integral else "#,##0.0##", **props)

    def percent(self, ws, row: int, col: int, value: float | None, **props) -> None:
        """`value` in percent (55.6) written as a fraction with a % format."""
        self.number(ws, row, col, None if value is None else round(value / 100, 4),
                    num_format="0.0%", **props)

    def points(self, ws, row: int, col: int, value: float | None, **props) -> None:
        self.number(ws, row, col, value, num_format="+0.0;-0.0;0.0", **props)

    def grow(self, ws, row: int, lines: int) -> None:
        name = ws.get_name()
        last = self._heights.get(name)
        if lines > (last[1] if last is not None and last[0] == row else 1):
            self._heights[name] = (row, lines)
            ws.set_row(row, row_height(lines, LINE_PT))

    @staticmethod
    def release(ws) -> None:
        """Forget the heights of rows already written to disk (constant_memory): xlsxwriter keeps two
        objects per row set, ~120 MB for the 300,000 co-unit rows at national N=3,000. Only for
        sheets without charts or images, whose positions would need the heights of the rows above."""
        if not getattr(ws, "constant_memory", False) or ws.charts or ws.images or ws.shapes:
            return
        done = ws.previous_row
        for table in (ws.row_info, ws.row_sizes):
            if len(table) > 1:
                for r in [r for r in table if r < done]:
                    del table[r]

    def merged(self, ws, row: int, first: int, last: int, text: str, width, **props) -> None:
        """A merged range whose text still goes through the checked, quote-safe write."""
        if last > first:
            self._check(ws.merge_range(row, first, row, last, "", self.fmt(**props)), ws, row, first)
        self.text(ws, row, first, text, width, **props)

    # sheets
    @property
    def title(self) -> str:
        return report_title(self.ev.plan, self.ev.quarter)

    def sheet(self, name: str, title: str, note: str, headers: Sequence[tuple[str, float]]):
        """A data sheet: title, note, header row (row 2); returns (ws, first data row)."""
        ws = self.wb.add_worksheet(name)
        last = len(headers) - 1
        self._check(ws.merge_range(0, 0, 0, last, title, self.fmt(
            font_name=TITLE_FONT, font_size=14, align="center", valign="vcenter", border=0,
            text_wrap=False)), ws, 0, 0)
        ws.set_row(0, 24)
        self._check(ws.merge_range(1, 0, 1, last, note, self.fmt(border=0, font_size=9)), ws, 1, 0)
        total = sum(w for _, w in headers)
        ws.set_row(1, row_height(text_lines(note, total, 1.8), NOTE_LINE_PT))
        for col, (header, width) in enumerate(headers):
            ws.set_column(col, col, width)
            self.text(ws, 2, col, header, width, font_name=HEADER_FONT, bg_color=HEADER_FILL,
                      align="center", valign="vcenter")
        ws.freeze_panes(3, 0)
        return ws, 3

    def finish(self, ws, last_row: int, last_col: int, *, header_row: int | None = 2) -> None:
        """Autofilter and print setup: A4 landscape, one page wide, repeated header, footer."""
        if header_row is not None:
            ws.autofilter(header_row, 0, max(last_row, header_row), last_col)
        stamp = self.generated_at.strftime("%Y-%m-%d %H:%M")
        xlsxprint.setup(ws, left=f"&A　{xlsxprint.escape(self.title)}", right=f"生成于 {stamp}",
                        header_row=header_row, last=(max(last_row, 2), last_col))
