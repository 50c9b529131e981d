"""The consolidated quarterly progress workbook (`plankit report`).

`build_report` evaluates the quarter (and every earlier merged quarter, for the trend
sheet) and writes one xlsxwriter workbook atomically. This module holds the writing
machinery (`Book`: formats, checked writes, page setup); the sheets are in reportsheets.

Every write goes through Book, which checks xlsxwriter's return code: a non-zero code
is an error, never a silently emptied or cut cell. Text typed by departments is written
as a string (never a formula, URL or number) with a quote prefix when it starts like a
formula, so it stays text even after someone edits the cell in Excel.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from toolkit.evaluate.judge import (QuarterEvaluation, evaluate, evaluate_quarter,
    load_returns)
from toolkit.model import Plan
from toolkit.paths import quarter_dir
from toolkit.quarter import Quarter, as_quarter
from toolkit.fileio.safeio import atomic_path
from toolkit.render import report_sheets as S
from toolkit.render import report_year as Y
from toolkit.render.report_assess import assessment_sheets
from toolkit.evaluate.assessment import Assessment, assess
from toolkit.render.report_book import Book, report_title
from toolkit.render.report_co import co_units
from toolkit.render.report_fast import RowWorkbook
from toolkit.render.report_regions import regions
from toolkit.store.location import merge_running_for, use_store

# constant_memory: rows go to disk as the next row starts (every sheet is written top to
# bottom; a write to an earlier row returns -2, which Book._check turns into an error).
# At N=1,000 the co-unit detail has 100,000 rows: peak 291 -> 188 MB, same cells and heights.
WORKBOOK_OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                    "strings_to_numbers": False}
# The workbook class: xlsxwriter with the constant_memory rows written directly (report_fast,
# byte-identical files; tests/test_report_fast.py swaps in xlsxwriter.Workbook to compare).
WORKBOOK = RowWorkbook

@dataclass
class ReportResult:
    path: Path
    evaluation: QuarterEvaluation
    trend: list[QuarterEvaluation | None] = field(default_factory=list)
    seconds: float = 0.0
    assessment: Assessment | None = None  # Q4 only
    merging: str = ""  # a merge held the store while this report read it (its holder), else ""


def report_filename(plan: Plan, quarter: Quarter) -> str:
    """`2019年第二季度民生实事进展汇总.xlsx`."""
    return re.sub(r'[\\/:*?"<>|]', "_", report_title(plan, quarter)) + ".xlsx"


def report_path(plan: Plan, quarter: Quarter, out_dir: Path) -> Path:
    return quarter_dir(plan, quarter, out_dir, "report") / report_filename(plan, quarter)


def build_report(plan: Plan, quarter: Quarter | str, out_dir: Path | str, *,
                 generated_at: datetime | None = None, store: str | None = None) -> ReportResult:
    """Evaluate `quarter` from the store under `out_dir` (or `store`, a URL) and write its report workbook."""
    with use_store(store):
        return _build_report(plan, quarter, out_dir, generated_at)


def _build_report(plan: Plan, quarter: Quarter | str, out_dir: Path | str,
                  generated_at: datetime | None) -> ReportResult:
    started = time.perf_counter()
    quarter, out_dir = as_quarter(quarter, plan.settings.year), Path(out_dir)
    merging = merge_running_for(plan, out_dir)  # read first: a merge may end while we read
    ev = evaluate_quarter(plan, quarter, out_dir)
    trend: list[QuarterEvaluation | None] = []
    for q in range(1, quarter.q):
        earlier = Quarter(quarter.year, q)
        merged = load_returns(plan, earlier, out_dir)
        trend.append(evaluate(plan, earlier, merged) if merged is not None else None)
    trend.append(ev)
    assessment = assess(plan, trend) if ev.year_end else None  # 年度考核: from the store alone
    path = write_report(ev, report_path(plan, quarter, out_dir), trend, generated_at=generated_at,
                        extra_sheets=assessment_sheets(assessment) if assessment else ())
    return ReportResult(path, ev, trend, time.perf_counter() - started, assessment, merging)


def write_report(ev: QuarterEvaluation, path: Path, trend: list[QuarterEvaluation | None] | None = None,
                 *, generated_at: datetime | None = None, extra_sheets=()) -> Path:
    """Write the report workbook to `path` (atomically): six sheets plus the co-unit detail in a
    quarter; at Q4 全年完成情况 and 季度轨迹 replace 滞后事项 and 季度趋势. `extra_sheets` are
    callables taking the Book (the year-end assessment)."""

    trend = trend if trend is not None else [ev]
    generated_at = generated_at or datetime.now()
    path = Path(path)
    with atomic_path(path) as tmp:
        wb = WORKBOOK(str(tmp), WORKBOOK_OPTIONS)
        try:
            book = Book(wb, ev, generated_at)
            S.overview(book)
            if ev.year_end:  # the year: done or not, and how each task got there
                Y.year_sheet(book)
                Y.track_sheet(book, trend)
            S.tasks(book)
            S.indicators(book)
            regions(book)  # 地区 × 指标 sheets of indicators broken down by unit (none without a 分解)
            if not ev.year_end:
                S.lagging(book)
            S.submissions(book)
            if not ev.year_end:
                S.trend(book, trend)
            co_units(book)
            for extra in extra_sheets:
                extra(book)
        except BaseException:
            wb.close()  # release the temp file; atomic_path removes it
            raise
        wb.set_properties({"title": report_title(ev.plan, ev.quarter),
                           "subject": ev.plan.settings.title, "author": ev.plan.settings.issuer,
                           "comments": "由 plankit report 生成"})
        wb.close()
    return path
