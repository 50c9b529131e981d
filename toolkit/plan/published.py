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
from toolkit.model import QUARTER_NAMES, Department, Plan, Settings, UnitTarget
from toolkit.plan import headers as H
from toolkit.plan.pubmatrix import AREA_HEADERS, MatrixPlan, find_any_matrix, is_area, plan_from_matrix
from toolkit.plan.pubsources import NoTable, decode, docx_paragraphs, read_csv, read_docx, read_xlsx, text_grids
from toolkit.plan.pubtable import BREAKDOWN_NOTE, area_figures, pick_title, tasks_from_rows
from toolkit.plan.pubtext import numbered_list, read_text
from toolkit.plan.suggest import suggest_task
from toolkit.plan.timing import due_quarter

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
    matrix = _matrix(source, strict=True) if suffix in (".docx", ".xlsx", ".xlsm", ".csv", ".txt") else None
    if matrix is not None:  # 地区 rows × indicator columns of figures: read as such before anything else
        kind = {".docx": "docx", ".csv": "csv", ".txt": "text"}.get(suffix, "xlsx")
        found_title, tasks = matrix[0], matrix[1].tasks
    elif suffix in (".docx", ".xlsx", ".xlsm", ".csv"):
        reader = {".docx": read_docx, ".csv": read_csv}.get(suffix, read_xlsx)
        kind = {".docx": "docx", ".csv": "csv"}.get(suffix, "xlsx")
        try:
            titles, rows, numbered = reader(source, column_map)
            tasks = tasks_from_rows(rows, source.name, numbered=numbered)
            found_title = pick_title(titles)
        except PlanError as not_read:
            matrix = _matrix(source)
            if matrix is not None:
                found_title, tasks = matrix[0], matrix[1].tasks
            elif suffix != ".docx" or not isinstance(not_read, NoTable):
                raise
            else:
                try:  # a notice whose tasks are numbered paragraphs, not a table
                    found_title, tasks = numbered_list(docx_paragraphs(source), source.name)
                except PlanError:
                    raise not_read from None
                todo.append(f"原文是编号段落，已按编号读出{len(tasks)}项任务，请核对任务的拆分。")
    elif suffix in (".txt", ".text", ""):
        kind = "text"
        try:
            found_title, tasks, how = read_text(decode(source, "请另存为UTF-8编码的文本文件"), source.name, column_map)
        except PlanError:
            matrix = _matrix(source)
            if matrix is None and flattened_matrix(decode(source, "")):
                raise PlanError(f"{source.name}像是分解表（每个地区一行、每个指标一列），但复制成了每格一行的文字："
                                "空格子在复制时丢失，无法确定每个数字属于哪一列，未生成计划主表。",
                                hint="\n请在网页上选中整个表格，复制后粘贴到Excel（保留行列），另存为.xlsx再导入；"
                                     "已有任务方案时，可用 plankit plan breakdown 分解表.xlsx 计划主表.xlsx 读入各地区目标。") from None
            if matrix is None:
                raise
            (found_title, mp), how = matrix, "分解表"
            tasks = mp.tasks
        if how == "编号列表":
            todo.append(f"原文是编号列表，已按编号读出{len(tasks)}项任务，请核对任务的拆分。")
        elif how == "逐格分行":
            todo.append(f"原文是每格一行的表格（如从PDF或网页复制），已按序号读出{len(tasks)}项任务，请核对各列的归属。")
    elif suffix in (".doc", ".wps", ".pdf", ".xls", ".et"):
        what = {".pdf": "PDF请先导出为文本（.txt）", ".xls": "请在Excel中另存为.xlsx", ".et": "请在WPS中另存为.xlsx"}
        raise InputFileError(f"{source.name}：不能直接导入{suffix}文件。"
                             f"{what.get(suffix, '请在Word/WPS中另存为.docx')}后再导入。", code=FILE_WRONG_TYPE)
    else:
        raise InputFileError(f"{source.name}：不支持的文件类型。可导入.docx、.txt（PDF导出的文本或网页复制的文字）、.xlsx、.csv。",
                             code=FILE_WRONG_TYPE)
    plan_title = (title or found_title or source.stem).strip()
    if year is None:
        found_year = _YEAR.search(plan_title) or _YEAR.search(source.stem) or re.search(r"(20\d\d)", source.stem)
        if found_year:
            year = int(found_year.group(1))
        else:
            year = date.today().year
            todo.append(f"未能从标题识别年度，已暂填{year}，请在“设置”表核对“年度”。")
    units = list(dict.fromkeys(u for t in tasks for u in (*t.leads, *t.cos)))
    if matrix is not None:
        found = matrix[1]
        todo.append(f"原文是分解表（各地区 × 各指标）：已按指标读出{len(tasks)}项任务、{len(found.indicators)}个指标"
                    f"（全市目标），{len(found.areas)}个地区的目标写入“分解”表（{len(found.breakdown)}行）。"
                    f"已有任务方案时，可改用：plankit plan breakdown {source.name} 计划主表.xlsx")
        todo.extend(found.todo)
        units += [a for a in found.areas if a not in units]
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
    early = [t.no for t in tasks if any(t.milestones) and not t.milestones[3].strip()
             and (due_quarter(t.deadline) or 0) < 4]
    if early:
        todo.append(f"{len(early)}项任务的季度安排不到四季度（如第{'、'.join(map(str, early[:5]))}项），"
                    "按最后一个有安排的季度末完成评估；原文只是某季度或某月的计划时，请在“任务”表补填其余季度或完成时限。")
    plan = Plan(settings, tasks, [], [Department(u) for u in units])
    if matrix is not None:
        plan.indicators, plan.breakdown = matrix[1].indicators, matrix[1].breakdown
    elif suggest:
        plan.indicators = [i for t in tasks for i in suggest_task(t)]
    _figures_in_cells(plan, todo)
    return ImportResult(plan, kind, todo)


def _figures_in_cells(plan: Plan, todo: list[str]) -> None:
    """Areas' figures written in one cell (元坝镇280 白果乡15, kept in the task text by task_from_cells):
    read into 分解 when the task has one indicator to break down, else listed in the to-do."""
    read, left = [], []
    for task in plan.tasks:
        if BREAKDOWN_NOTE not in task.target:
            continue
        pieces = area_figures(task.target.split(BREAKDOWN_NOTE, 1)[1])
        own = [i for i in plan.indicators if i.task_no == task.no]
        if len(own) != 1 or not pieces:
            left.append(task.no)
            continue
        for piece in pieces:
            area, value = re.fullmatch(r"(.+?)(\d+(?:\.\d+)?)", piece).groups()  # type: ignore[union-attr]
            plan.breakdown.append(UnitTarget(task.no, own[0].name, area, float(value), (None,) * 4))
            if area not in {d.name for d in plan.departments}:
                plan.departments.append(Department(area))
        read.append(task.no)
    if read:
        todo.append(f"{len(read)}项任务（第{'、'.join(map(str, read[:5]))}项）的各地区数字写在一格里，已读入“分解”表，"
                    "各地区已登记为部门；请核对地区名称和数字。")
    if left:
        todo.append(f"{len(left)}项任务（第{'、'.join(map(str, left[:5]))}项）的各地区数字写在一格里，"
                    "已附在任务内容后（“原文所列分解数”），未读入“分解”表（该任务不是正好一个指标）；"
                    "需要按地区考核时，请整理成分解表后用 plankit plan breakdown 读入。")


def flattened_matrix(text: str) -> bool:
    """A breakdown table copied one cell per line: several area names each followed by a figure."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return sum(1 for a, b in zip(lines, lines[1:]) if is_area(a) and re.fullmatch(r"[\d.]+%?", b)) >= 3


def _matrix(source: Path, strict: bool = False) -> tuple[str, MatrixPlan] | None:
    """(title, tasks…) when `source` is a matrix plan (地区 rows × indicator columns), else None.

    `strict`: only a matrix whose area cells are mostly figures (tried before the task-table
    reader). Otherwise (the task-table reader failed) a matrix whose indicator columns cannot be
    read raises PlanError naming the breakdown command.
    """
    try:
        grids = text_grids(source)
    except Exception:  # a broken or unsafe file: the task-table reader says what is wrong with it
        return None
    for grid in grids:
        blocks = find_any_matrix(grid)
        if strict:
            blocks = [b for b in blocks if b.columns and b.numeric_share >= 0.5]
        if not blocks:
            continue
        readable = [b for b in blocks if b.columns]
        if not readable:
            raise PlanError(f"{source.name}是分解表（每个地区一行），但没有认出指标列。"
                            f"请先导入任务方案，再把分解表读入计划主表：plankit plan breakdown {source.name} 计划主表.xlsx")
        first_row = next((i for i, row in enumerate(grid) if any(H.normalise(c) in AREA_HEADERS for c in row)
                          or sum(is_area(c) for c in row) >= 3), 0)
        title = pick_title([c for row in grid[:first_row] for c in row if c])
        return title, plan_from_matrix(readable, source.name)
    return None


__all__ = ["ImportResult", "import_plan", "canonical", "QUARTER_NAMES"]
