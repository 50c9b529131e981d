"""Import a published plan table (.docx, PDF text, .xlsx, .csv) into a Plan.

Every source becomes rows of cells keyed by canonical column (序号, 目标任务,
第一季度..第四季度, optional 任务名称/牵头单位/配合单位/领域); `tasks_from_rows`
turns them into Tasks the same way for every format. Header rows may repeat (a
table split across pages), a row whose 序号 is empty or merged from above
continues the previous task, and a row whose cells all hold the same text (a
merged banner such as "一、教育") is a section heading.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from toolkit.errors import (
    FILE_DAMAGED, FILE_ENCODING, FILE_NOT_FOUND, FILE_WRONG_TYPE, PLAN_IMPORT, InputFileError, PlanError)
from toolkit.model import QUARTER_NAMES, Department, Plan, Settings, Task
from toolkit.plan.workbook import clean_text, split_units
from toolkit.fileio.filekind import XLSM, XLSX, sniff
from toolkit.fileio.zipscan import check_zip_limits, scan_xml_parts
from toolkit.plan.seed import normalise_spaces, parse_seed
from toolkit.plan.suggest import suggest_task

NO, TARGET, NAME, LEADS, COS, DOMAIN = "序号", "目标任务", "任务名称", "牵头单位", "配合单位", "领域"
REQUIRED_COLUMNS = (NO, TARGET, *QUARTER_NAMES)
ALIASES = {
    NO: ("序号", "序", "编号", "号", "No", "NO", "no"),
    TARGET: ("目标任务", "目标", "任务", "主要目标", "目标任务内容", "工作目标", "任务目标", "实事项目", "项目内容"),
    NAME: ("任务名称", "名称", "项目名称", "实事名称", "事项"),
    LEADS: ("牵头单位", "牵头部门", "责任单位", "责任部门", "牵头", "主办单位"),
    COS: ("配合单位", "配合部门", "协办单位", "协同单位", "参与单位"),
    DOMAIN: ("领域", "类别", "分类"),
}
_QUARTER = re.compile(r"^(?:第)?([一二三四1-4])季度(?:末)?(?:序时进度|进度|安排)?$|^Q([1-4])$", re.I)
_BANNER = re.compile(r"^[一二三四五六七八九十]+[、.．]\s*(.+?)(?:[（(].*[）)])?$")
_YEAR = re.compile(r"(20\d\d)\s*年")
MAX_LISTED = 10
AUTO = "\x00auto"  # a 序号 cell numbered by Word's automatic list numbering: it has no text


@dataclass
class Row:
    where: str                      # 表格1第5行 / 第5行
    cells: dict[str, str]
    merged: set[str] = field(default_factory=set)  # columns whose cell continues from the row above
    banner: str = ""                # text of a merged heading row


@dataclass
class ImportResult:
    plan: Plan
    kind: str                       # docx / text / xlsx / csv
    todo: list[str]                 # things the importer could not decide


def canonical(header: str) -> str | None:
    text = re.sub(r"[（(][^）)]*[）)]", "", re.sub(r"\s+", "", header))  # 第一季度（1-3月）
    m = _QUARTER.match(text)
    if m:
        digit = m.group(1) or m.group(2)
        return QUARTER_NAMES["一二三四".index(digit) if digit in "一二三四" else int(digit) - 1]
    for column, names in ALIASES.items():
        if text in names:
            return column
    return None


def header_map(rows: list[list[str]]) -> dict[int, str]:
    """Column index → canonical name, combining stacked header rows (序时进度 over 第一季度…)."""
    mapping: dict[int, str] = {}
    for cells in rows:
        for i, text in enumerate(cells):
            name = canonical(text)
            if name and name not in mapping.values() and i not in mapping:
                mapping[i] = name
    return mapping


def _is_header(cells: list[str]) -> bool:
    names = {canonical(c) for c in cells}
    return (NO in names and TARGET in names) or len(names & set(QUARTER_NAMES)) >= 2


def _missing(mapping: dict[int, str]) -> list[str]:
    return [c for c in REQUIRED_COLUMNS if c not in mapping.values()]


def _join_lines(text: str) -> str:
    """Cell text with its line breaks removed (they are layout), spaces next to Chinese dropped."""
    parts = [p.strip() for p in text.replace("\r", "\n").split("\n") if p.strip()]
    out = ""
    for p in parts:
        latin = out and out[-1].isascii() and out[-1].isalnum() and p[0].isascii() and p[0].isalnum()
        out += (" " if latin else "") + p
    return normalise_spaces(clean_text(out))


def rows_from_grid(grid: list[tuple[str, list[str], list[bool]]], label: str) -> tuple[list[Row], dict | None]:
    """Rows of one table given (where, texts, merged-from-above flags); finds the header itself."""
    head_at = next((i for i, (_, cells, _) in enumerate(grid[:6]) if _is_header(cells)), None)
    if head_at is None:
        return [], None
    stacked = [grid[head_at][1]]
    if head_at + 1 < len(grid) and _is_header(grid[head_at + 1][1]):
        stacked.append(grid[head_at + 1][1])
    mapping = header_map(stacked)
    missing = _missing(mapping)
    if missing:
        raise PlanError(f"{label}{grid[head_at][0]}的表头缺少列：{'、'.join(missing)}。"
                        "方案表格应有“序号”“目标任务”和“第一季度”至“第四季度”列，请补上后再导入。", code=PLAN_IMPORT)
    return _rows(grid[head_at + len(stacked):], mapping), mapping


def _rows(grid, mapping: dict[int, str]) -> list[Row]:
    rows = []
    for where, cells, merged in grid:
        if _is_header(cells):
            continue  # a header repeated after a page break
        texts = [c for c in cells if c]
        if not texts:
            continue
        values = {name: (cells[i] if i < len(cells) and (name == NO or cells[i] != AUTO) else "")
                  for i, name in mapping.items()}
        flags = {name for i, name in mapping.items() if i < len(merged) and merged[i]}
        if len(set(texts)) == 1 and values[NO] == texts[0] and not texts[0].isdigit() and texts[0] != AUTO:
            rows.append(Row(where, values, flags, banner=texts[0]))  # a merged heading row
            continue
        rows.append(Row(where, values, flags))
    return rows


def tasks_from_rows(rows: list[Row], file: str) -> list[Task]:
    """Tasks from table rows: continuation rows appended, banners as 领域; bad rows raise PlanError."""
    found: list[tuple[int, str, dict[str, str]]] = []
    errors: list[str] = []
    first: dict[int, str] = {}
    domain = ""
    for row in rows:
        if row.banner:
            m = _BANNER.match(row.banner)
            domain = m.group(1).strip() if m else domain
            continue
        raw = row.cells[NO]
        if raw == AUTO and NO not in row.merged:
            raw = str(found[-1][0] + 1 if found else 1)
        if NO in row.merged or not raw:
            if not found:
                errors.append(f"{row.where}：序号为空，但前面没有任务可接续。请填写序号。")
                continue
            cells = found[-1][2]
            for column, text in row.cells.items():
                if column != NO and text and column not in row.merged:
                    cells[column] = (cells.get(column, "") + text) if column != LEADS and column != COS \
                        else "、".join(filter(None, (cells.get(column, ""), text)))
            continue
        number = re.sub(r"^[（(]|[)）.．、\s]+$", "", raw)
        if not number.isdigit() or int(number) <= 0:
            errors.append(f"{row.where}：序号“{raw}”不是正整数。")
            continue
        no = int(number)
        if no in first:
            errors.append(f"{row.where}：序号{no}重复（另见{first[no]}）。每项任务的序号必须唯一。")
            continue
        first[no] = row.where
        cells = dict(row.cells)
        cells.setdefault(DOMAIN, "")
        cells[DOMAIN] = cells[DOMAIN] or domain
        found.append((no, row.where, cells))
    if errors:
        listed = "\n".join(f"  {e}" for e in errors[:MAX_LISTED])
        more = f"\n  ……共{len(errors)}处" if len(errors) > MAX_LISTED else ""
        raise PlanError(f"{file}：方案表格有{len(errors)}处无法导入，未生成计划主表：\n{listed}{more}",
                        code=PLAN_IMPORT)
    if not found:
        raise PlanError(f"{file}：表格中没有任何任务行。请确认“序号”列填写了1、2、3……", code=PLAN_IMPORT)
    tasks = []
    for no, _, cells in found:
        target = _join_lines(cells.get(TARGET, ""))
        name = _join_lines(cells.get(NAME, "")) or target.split("。", 1)[0]
        tasks.append(Task(no, name, target, _join_lines(cells.get(DOMAIN, "")),
                          split_units(_join_lines(cells.get(LEADS, ""))), split_units(_join_lines(cells.get(COS, ""))),
                          tuple(_join_lines(cells.get(q, "")) for q in QUARTER_NAMES)))  # type: ignore[arg-type]
    return tasks


# --- sources ----------------------------------------------------------------------------

def read_docx(path: Path) -> tuple[str, list[Row]]:
    """Title and rows of every plan table in a Word document (continuation tables included)."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    _check_zip(path)
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise InputFileError(f"{path.name}：无法作为Word文档打开（{type(exc).__name__}），文件可能已损坏。",
                             code=FILE_DAMAGED)
    title = next((p.text.strip() for p in document.paragraphs if "方案" in p.text or "计划" in p.text), "") or \
        next((p.text.strip() for p in document.paragraphs if p.text.strip()), "")
    rows: list[Row] = []
    mapping = None
    width = 0
    for t, table in enumerate(document.tables, start=1):
        grid = []
        above: list = []
        for r, row in enumerate(table.rows, start=1):
            cells = [None] * getattr(row, "grid_cols_before", 0) + list(row.cells)
            texts = [("" if c is None else _join_lines(c.text) or (AUTO if _auto_numbered(c) else ""))
                     for c in cells]
            merged = [c is not None and i < len(above) and above[i] is not None and c._tc is above[i]._tc
                      for i, c in enumerate(cells)]
            grid.append((f"表格{t}第{r}行", texts, merged))
            above = cells
        label = f"{path.name} "
        found, new_mapping = rows_from_grid(grid, label)
        if new_mapping is not None:
            mapping, width = new_mapping, len(grid[0][1])
            rows.extend(found)
        elif mapping is not None and grid and len(grid[0][1]) == width:
            rows.extend(_rows(grid, mapping))  # a table continued on the next page without a header
    if mapping is None:
        raise PlanError(f"{path.name}：找不到方案表格。需要一个有“序号”“目标任务”和“第一季度”至“第四季度”列的表格。",
                        hint="\n如果方案是PDF，请先导出为文本（.txt）再导入。", code=PLAN_IMPORT)
    return title, rows


def _decode(path: Path, advice: str) -> str:
    """Text of a file saved as UTF-8 (with or without BOM) or GBK/GB18030, as Chinese offices do."""
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputFileError(f"{path.name}：无法识别文本编码，{advice}。", code=FILE_ENCODING)


def read_text(path: Path) -> tuple[str, list[Task]]:
    """Title and tasks from a PDF text extraction (the seed layout)."""
    text = _decode(path, "请另存为UTF-8编码的文本文件")
    try:
        title, seeds = parse_seed(text)
    except PlanError as exc:
        raise PlanError(f"{path.name}：不是可识别的方案文本：{exc.message}",
                        hint="\n文本应为PDF导出的方案表格：每项任务先是单独一行的序号，再是目标任务和四个季度。",
                        code=PLAN_IMPORT)
    if not seeds:
        raise PlanError(f"{path.name}：找不到方案表格（没有读到任何带序号的任务）。", code=PLAN_IMPORT)
    return title, [Task(s.no, s.name, s.target, "", (), (), s.milestones) for s in seeds]


def read_xlsx(path: Path) -> tuple[str, list[Row]]:
    kind = sniff(path)
    if kind not in (XLSX, XLSM):
        raise InputFileError(f"{path.name}：请在Excel中另存为“Excel工作簿(*.xlsx)”后再导入（当前为{kind}）。",
                             code=FILE_WRONG_TYPE)
    scan_xml_parts(path)
    import openpyxl
    wb = openpyxl.load_workbook(path, data_only=True)
    try:
        names = sorted(wb.sheetnames, key=lambda n: n != "任务")
        for name in names:
            ws = wb[name]
            values = [[_join_lines(clean_text(v)) for v in row] for row in ws.iter_rows(values_only=True, max_row=5000)]
            merged_flags = [[False] * len(r) for r in values]
            for rng in ws.merged_cells.ranges:
                anchor = values[rng.min_row - 1][rng.min_col - 1] if rng.min_row <= len(values) else ""
                for r in range(rng.min_row, min(rng.max_row, len(values)) + 1):
                    for c in range(rng.min_col, rng.max_col + 1):
                        if c - 1 < len(values[r - 1]):
                            values[r - 1][c - 1] = anchor
                            merged_flags[r - 1][c - 1] = r > rng.min_row
            grid = [(f"工作表“{name}”第{i}行", v, m) for i, (v, m) in enumerate(zip(values, merged_flags), start=1)]
            rows, mapping = rows_from_grid(grid, f"{path.name} ")
            if mapping is not None:
                return _settings_title(wb) or _title_above(grid, path), rows
    finally:
        wb.close()
    raise PlanError(f"{path.name}：找不到方案表格。需要一个工作表，"
                    "其表头有“序号”“目标任务”和“第一季度”至“第四季度”列。", code=PLAN_IMPORT)


def read_csv(path: Path) -> tuple[str, list[Row]]:
    text = _decode(path, "请在Excel中另存为“CSV UTF-8”")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    grid: list[tuple[str, list[str], list[bool]]] = [(f"第{i}行", [_join_lines(c) for c in row], [])
            for i, row in enumerate(csv.reader(io.StringIO(text), dialect), start=1)]
    rows, mapping = rows_from_grid(grid, f"{path.name} ")
    if mapping is None:
        raise PlanError(f"{path.name}：找不到表头。CSV前几行中应有“序号”“目标任务”和“第一季度”至“第四季度”列。",
                        code=PLAN_IMPORT)
    return _title_above(grid, path), rows


def _settings_title(wb) -> str:
    """计划名称 from a plankit master workbook's 设置 sheet (last year's plan as the start)."""
    if "设置" not in wb.sheetnames:
        return ""
    for row in wb["设置"].iter_rows(values_only=True, max_row=100):
        if len(row) > 1 and clean_text(row[0]) == "计划名称":
            return clean_text(row[1])
    return ""


def _title_above(grid, path: Path) -> str:
    for _, cells, _ in grid[:5]:
        texts = [c for c in cells if c]
        if texts and not _is_header(cells) and len(set(texts)) == 1:
            return texts[0]
    return path.stem


def _auto_numbered(cell) -> bool:
    """True when the cell's first paragraph carries Word list numbering (directly or by style)."""
    para = cell.paragraphs[0] if cell.paragraphs else None
    if para is None:
        return False
    if para._p.pPr is not None and para._p.pPr.numPr is not None:
        return True
    style = para.style
    while style is not None:
        ppr = style.element.pPr
        if ppr is not None and ppr.numPr is not None:
            return True
        style = style.base_style
    return False


def _check_zip(path: Path) -> None:
    import zipfile
    try:
        with zipfile.ZipFile(path) as zf:
            check_zip_limits(path, zf.infolist())
            if "word/document.xml" not in zf.namelist():
                raise InputFileError(f"{path.name}：这不是Word文档（.docx）。", code=FILE_WRONG_TYPE)
    except zipfile.BadZipFile:
        raise InputFileError(f"{path.name}：不是有效的.docx文件。如果是旧版.doc，请在Word中另存为“Word文档(*.docx)”。",
                             code=FILE_WRONG_TYPE)
    except FileNotFoundError:
        raise InputFileError(f"找不到文件：{path}", code=FILE_NOT_FOUND)
    scan_xml_parts(path)


# --- the plan -----------------------------------------------------------------------------

def import_plan(source: Path, *, year: int | None = None, title: str | None = None,
                suggest: bool = True) -> ImportResult:
    """Read `source` into a Plan with suggested indicators; raise PlanError on a bad table."""
    source = Path(source)
    if not source.is_file():
        raise InputFileError(f"找不到文件：{source}", code=FILE_NOT_FOUND)
    suffix = source.suffix.lower()
    if suffix == ".docx":
        kind, (found_title, rows) = "docx", read_docx(source)
        tasks = tasks_from_rows(rows, source.name)
    elif suffix in (".xlsx", ".xlsm"):
        kind, (found_title, rows) = "xlsx", read_xlsx(source)
        tasks = tasks_from_rows(rows, source.name)
    elif suffix == ".csv":
        kind, (found_title, rows) = "csv", read_csv(source)
        tasks = tasks_from_rows(rows, source.name)
    elif suffix in (".txt", ".text", ""):
        kind, (found_title, tasks) = "text", read_text(source)
    elif suffix in (".doc", ".wps", ".pdf", ".xls", ".et"):
        what = {".pdf": "PDF请先导出为文本（.txt）", ".xls": "请在Excel中另存为.xlsx", ".et": "请在WPS中另存为.xlsx"}
        raise InputFileError(f"{source.name}：不能直接导入{suffix}文件。"
                             f"{what.get(suffix, '请在Word/WPS中另存为.docx')}后再导入。", code=FILE_WRONG_TYPE)
    else:
        raise InputFileError(f"{source.name}：不支持的文件类型。可导入.docx、.txt（PDF导出的文本）、.xlsx、.csv。",
                             code=FILE_WRONG_TYPE)
    todo: list[str] = []
    plan_title = (title or found_title or source.stem).strip()
    found_year = _YEAR.search(plan_title)
    if year is None:
        if found_year:
            year = int(found_year.group(1))
        else:
            year = date.today().year
            todo.append(f"未能从标题识别年度，已暂填{year}，请在“设置”表核对“年度”。")
    units = list(dict.fromkeys(u for t in tasks for u in (*t.leads, *t.cos)))
    settings = Settings(title=plan_title, year=year,
                        dept_note=f"牵头、配合单位取自{source.name}" if units else "")
    if not units:
        todo.append("原文没有牵头单位：请在“任务”表填写牵头单位、配合单位，并在“部门”表登记各单位。")
    plan = Plan(settings, tasks, [], [Department(u) for u in units])
    if suggest:
        plan.indicators = [i for t in tasks for i in suggest_task(t)]
    return ImportResult(plan, kind, todo)
