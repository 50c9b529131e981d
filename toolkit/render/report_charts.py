"""The two charts of the report's 总览 sheet: status distribution and unfinished/lagging tasks per lead unit."""
from __future__ import annotations

from toolkit.evaluate.judge import BEHIND
from toolkit.render.report_book import STATUS_CHART_COLORS, YEAR_CHART_COLORS, Book

OVERVIEW = "总览"


def _chart_font(size: int = 9, bold: bool = False) -> dict:
    return {"name": "宋体", "size": size, "bold": bold}


def status_chart(book: Book, ws, first_row: int) -> None:
    chart = book.wb.add_chart({"type": "column"})
    statuses = book.ev.statuses
    colors = YEAR_CHART_COLORS if book.ev.year_end else [STATUS_CHART_COLORS[s] for s in statuses]
    last_row = first_row + len(statuses) - 1
    chart.add_series({
        "name": "任务数",
        "categories": [OVERVIEW, first_row, 0, last_row, 0],
        "values": [OVERVIEW, first_row, 1, last_row, 1],
        "points": [{"fill": {"color": c}, "border": {"color": "#404040"}} for c in colors],
        "data_labels": {"value": True, "font": _chart_font(10, True)},
        "gap": 60,
    })
    chart.set_title({"name": "全年任务完成情况" if book.ev.year_end else "任务进展状态分布",
                     "name_font": _chart_font(12, True)})
    chart.set_x_axis({"num_font": _chart_font(10)})
    # whole tasks: a small plan's automatic axis read 0, 0.2, … 1.2
    whole = {"major_unit": 1} if max(book.ev.counts.values(), default=0) <= 10 else {}
    chart.set_y_axis({"name": "任务数", "name_font": _chart_font(9), "num_font": _chart_font(9),
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
                      "min": 0, **whole})
    chart.set_legend({"none": True})
    chart.set_size({"width": 520, "height": 300})
    book._check(ws.insert_chart(3, 9, chart), ws, 3, 9)


LAGGING_CHART_ROW = 21  # below the status chart, when the whole 总览 fits on one page


def lagging_chart_height(units: int, year_end: bool) -> int:
    """Pixels: a bar per unit, and a legend row at the year end."""
    return max(220, 60 + 26 * units + 24 * year_end)


def lagging_chart(book: Book, ws, first_row: int, last_row: int, *, anchor_row: int = LAGGING_CHART_ROW) -> None:
    """Quarterly: one amber bar of 滞后 tasks per unit. Year-end: 未完成 (red) and 基本完成 (amber)
    stacked, from the table's columns C and D, coloured as the status chart and the sheets."""
    year_end = book.ev.year_end
    chart = book.wb.add_chart({"type": "bar", "subtype": "stacked"} if year_end else {"type": "bar"})
    categories = [OVERVIEW, first_row, 0, last_row, 0]
    if year_end:
        _, basic, undone, _ = book.ev.statuses
        for col, name, color in ((2, undone, YEAR_CHART_COLORS[2]), (3, basic, YEAR_CHART_COLORS[1])):
            chart.add_series({
                "name": name, "categories": categories, "values": [OVERVIEW, first_row, col, last_row, col],
                "fill": {"color": color}, "border": {"color": "#404040"},
                # '0;;;' leaves a unit's empty segment unlabelled instead of printing 0 on it
                "data_labels": {"value": True, "num_format": "0;;;",
                                "font": {**_chart_font(9, True), "color": "#FFFFFF" if col == 2 else "#000000"}},
                "gap": 50, "overlap": 100,
            })
    else:
        chart.add_series({
            "name": "滞后任务数",
            "categories": categories,
            "values": [OVERVIEW, first_row, 1, last_row, 1],
            "fill": {"color": STATUS_CHART_COLORS[BEHIND]}, "border": {"color": "#404040"},
            "data_labels": {"value": True, "font": _chart_font(9, True)},
            "gap": 50,
        })
    chart.set_title({"name": "各牵头单位未全部完成任务数" if year_end else "各牵头单位滞后任务数",
                     "name_font": _chart_font(12, True)})
    chart.set_x_axis({"num_font": _chart_font(9), "min": 0, "major_unit": 1,
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_y_axis({"num_font": _chart_font(9), "reverse": True})
    chart.set_legend({"position": "bottom", "font": _chart_font(9)} if year_end else {"none": True})
    chart.set_size({"width": 520, "height": lagging_chart_height(last_row - first_row + 1, year_end)})
    book._check(ws.insert_chart(anchor_row, 9, chart), ws, anchor_row, 9)
