"""Import a published plan (.docx table, .xlsx/.csv, pasted text or PDF text) into a Plan.

The sources (pubsources: Word/Excel/CSV grids; pubtext: pasted tables, the PDF layout,
numbered lists) all end in Tasks built by pubtable; columns are recognised by meaning
(headers.SYNONYMS) or named by the user (`--map 原列名=字段`). The title is the first
heading that looks like a plan title, the year comes from it (or the file name).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from toolkit.errors import FILE_NOT_FOUND, FILE_WRONG_TYPE, InputFileError, PlanError
from toolkit.model import QUARTER_NAMES, Department, Plan, Settings
from toolkit.plan import headers as H
from toolkit.plan.pubsources import NoTable, decode, docx_paragraphs, read_csv, read_docx, read_xlsx
from toolkit.plan.pubtable import pick_title, tasks_from_rows
from toolkit.plan.pubtext import numbered_list, read_text
from toolkit.plan.suggest import suggest_task

NO, TARGET, NAME, LEADS, COS, DOMAIN = H.NO, H.TARGET, H.NAME, H.LEADS, H.COS, H.DOMAIN
_YEAR = re.compile(r"(20\d\d)\s*年")
MAX_UNITS_LISTED = 30


@dataclass
class ImportResult:
    plan: Plan
    kind: str                       # docx / text / xlsx / csv
    todo: list[str]                 # things the importer could not decide


def canonical(header: str) -> str | None:
    """The field a published header names (kept for callers of the old name)."""
    name = H.field_of(header)
    return None if name == H.IGNORE else name


def import_plan(source: Path, *, year: int | None = None, title: str | None = None,
                suggest: bool = True, column_map: dict[str, str] | None = None) -> ImportResult:
    """Read `source` into a Plan with suggested indicators; raise PlanError on a bad table.

    `column_map` is {normalised header: field} (headers.parse_map of the --map options).
    """
    source = Path(source)
    if not source.is_file():
        raise InputFileError(f"找不到文件：{source}", code=FILE_NOT_FOUND)
    suffix = source.suffix.lower()
    todo: list[str] = []
    if suffix in (".docx", ".xlsx", ".xlsm", ".csv"):
        reader = {".docx": read_docx, ".csv": read_csv}.get(suffix, read_xlsx)
        kind = {".docx": "docx", ".csv": "csv"}.get(suffix, "xlsx")
        try:
            titles, rows, numbered = reader(source, column_map)
            tasks = tasks_from_rows(rows, source.name, numbered=numbered)
            found_title = pick_title(titles)
        except NoTable as no_table:
            if suffix != ".docx":
                raise
            try:  # a notice whose tasks are numbered paragraphs, not a table
                found_title, tasks = numbered_list(docx_paragraphs(source), source.name)
            except PlanError:
                raise no_table from None
            todo.append(f"原文是编号段落，已按编号读出{len(tasks)}项任务，请核对任务的拆分。")
    elif suffix in (".txt", ".text", ""):
        kind = "text"
        found_title, tasks, how = read_text(decode(source, "请另存为UTF-8编码的文本文件"), source.name, column_map)
        if how == "编号列表":
            todo.append(f"原文是编号列表，已按编号读出{len(tasks)}项任务，请核对任务的拆分。")
    elif suffix in (".doc", ".wps", ".pdf", ".xls", ".et"):
        what = {".pdf": "PDF请先导出为文本（.txt）", ".xls": "请在Excel中另存为.xlsx", ".et": "请在WPS中另存为.xlsx"}
        raise InputFileError(f"{source.name}：不能直接导入{suffix}文件。"
                             f"{what.get(suffix, '请在Word/WPS中另存为.docx')}后再导入。", code=FILE_WRONG_TYPE)
    else:
        raise InputFileError(f"{source.name}：不支持的文件类型。可导入.docx、.txt（PDF导出的文本或网页复制的文字）、.xlsx、.csv。",
                             code=FILE_WRONG_TYPE)
    plan_title = (title or found_title or source.stem).strip()
    if year is None:
        found_year = _YEAR.search(plan_title) or _YEAR.search(source.stem)
        if found_year:
            year = int(found_year.group(1))
        else:
            year = date.today().year
            todo.append(f"未能从标题识别年度，已暂填{year}，请在“设置”表核对“年度”。")
    units = list(dict.fromkeys(u for t in tasks for u in (*t.leads, *t.cos)))
    settings = Settings(title=plan_title, year=year,
                        dept_note=f"牵头、配合单位取自{source.name}" if units else "")
    if units:
        listed = "、".join(units[:MAX_UNITS_LISTED]) + ("……" if len(units) > MAX_UNITS_LISTED else "")
        todo.append(f"“部门”表新增{len(units)}个单位（取自原文，请核对名称，合并同一单位的不同写法）：{listed}")
    else:
        todo.append("原文没有牵头单位：请在“任务”表填写牵头单位、配合单位，并在“部门”表登记各单位。")
    without_time = [t.no for t in tasks if not any(t.milestones) and not t.deadline]
    if tasks and len(without_time) == len(tasks) and not any(any(t.milestones) for t in tasks):
        todo.append("原文没有季度安排或完成时限：各项任务按全年时间进度（每季度25%）评估。")
    plan = Plan(settings, tasks, [], [Department(u) for u in units])
    if suggest:
        plan.indicators = [i for t in tasks for i in suggest_task(t)]
    return ImportResult(plan, kind, todo)


__all__ = ["ImportResult", "import_plan", "canonical", "QUARTER_NAMES"]
