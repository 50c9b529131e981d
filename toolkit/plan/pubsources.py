"""Read the grid of a published plan table from .docx, .xlsx and .csv files.

Each reader returns (title candidates, rows, numbered) where rows are pubtable.Row keyed
by field; cell texts keep their line breaks, since a unit cell's lines are separate units.
A table that is there but whose task column is not recognised raises PlanError naming the
columns found and the --map line that fixes it.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from toolkit.errors import InputFileError, PlanError
from toolkit.fileio.filekind import XLSM, XLSX, sniff
from toolkit.fileio.zipscan import check_zip_limits, scan_xml_parts
from toolkit.plan import headers as H
from toolkit.plan.pubtable import AUTO, Row, find_header, join_lines, rows_from_grid, table_rows
from toolkit.values import clean_text

class NoTable(PlanError):
    """The file holds no table with a task column (the caller may read numbered paragraphs instead)."""


NOT_FOUND = "找不到方案表格：文件中没有含任务内容列（如“目标任务”“民生实事”“项目名称”“主要内容”）的表格。"


def read_docx(path: Path, overrides: dict | None = None) -> tuple[list[str], list[Row], bool]:
    """Title candidates and rows of every plan table in a Word document (continuations included)."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    _check_zip(path)
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise InputFileError(f"{path.name}：无法作为Word文档打开（{type(exc).__name__}），文件可能已损坏。")
    titles = [p.text for p in document.paragraphs[:40] if p.text.strip()]
    rows: list[Row] = []
    mapping = None
    width = 0
    unmatched: PlanError | None = None
    for grid in docx_grids(document):
        if not titles and grid:
            titles = [c for c in grid[0][1] if c]
        try:
            found, new_mapping = rows_from_grid(grid, f"{path.name} ", overrides)
        except PlanError as exc:
            unmatched = unmatched or exc
            continue
        if new_mapping is not None:
            mapping, width = new_mapping, len(grid[0][1])
            rows.extend(found)
            titles += [c for _, cells, _ in grid[:find_header(grid, overrides) or 0] for c in cells[:1] if c]
        elif mapping is not None and grid and len(grid[0][1]) == width:
            more = table_rows(grid, mapping, overrides)  # a table continued on the next page without a header
            if more:
                more[0].opens_table = True
            rows.extend(more)
        elif mapping is None and len(grid) >= 2 and len(grid[0][1]) >= 2 and unmatched is None:
            unmatched = PlanError(H.unmatched_message(f"{path.name} ", grid[0][0], [join_lines(c) for c in grid[0][1]],
                                                      [c for _, c, _ in grid[1:6]]))
    if mapping is None:
        if unmatched is not None:
            raise unmatched
        raise NoTable(f"{path.name}：{NOT_FOUND}",
                      hint="\n任务是编号段落时，每项任务须单独成段并以“一、”“1.”“（一）”等开头。")
    return titles, rows, H.NO in mapping.values()


def docx_grids(document) -> list[list[tuple[str, list[str], list[bool]]]]:
    """Each table of a Word document as (where, cell texts, merged-from-above flags) rows."""
    grids = []
    for t, table in enumerate(document.tables, start=1):
        grid = []
        above: list = []
        for r, row in enumerate(table.rows, start=1):
            cells = [None] * getattr(row, "grid_cols_before", 0) + list(row.cells)
            texts = [("" if c is None else clean_text(c.text) or (AUTO if _auto_numbered(c) else "")) for c in cells]
            merged = [c is not None and i < len(above) and above[i] is not None and c._tc is above[i]._tc
                      for i, c in enumerate(cells)]
            grid.append((f"表格{t}第{r}行", texts, merged))
            above = cells
        grids.append(grid)
    return grids


def text_grids(path: Path) -> list[list[list[str]]]:
    """The cell texts of every table or sheet in a .docx/.xlsx/.csv/.txt file (merged cells filled)."""
    suffix = path.suffix.lower()
    if suffix == ".docx":
        import docx
        _check_zip(path)
        return [[cells for _, cells, _ in grid] for grid in docx_grids(docx.Document(str(path)))]
    if suffix in (".xlsx", ".xlsm"):
        if sniff(path) not in (XLSX, XLSM):
            raise InputFileError(f"{path.name}：不是.xlsx文件。")
        scan_xml_parts(path)
        return [[cells for _, cells, _ in grid] for _, grid in _xlsx_grids(path)]
    text = decode(path, "请另存为UTF-8编码的文本文件")
    pasted = browser_rows(text)
    if pasted is not None:
        return [pasted]
    delimiter = "\t" if text.count("\t") > text.count(",") else ","
    return [[[clean_text(c) for c in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]]


def docx_paragraphs(path: Path) -> list[str]:
    """The body paragraphs of a Word document (for a plan published as numbered paragraphs)."""
    import docx
    return [p.text for p in docx.Document(str(path)).paragraphs]


def decode(path: Path, advice: str) -> str:
    """Text of a file saved as UTF-8 (with or without BOM) or GBK/GB18030, as Chinese offices do."""
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputFileError(f"{path.name}：无法识别文本编码，{advice}。")


def read_xlsx(path: Path, overrides: dict | None = None) -> tuple[list[str], list[Row], bool]:
    kind = sniff(path)
    if kind not in (XLSX, XLSM):
        raise InputFileError(f"{path.name}：请在Excel中另存为“Excel工作簿(*.xlsx)”后再导入（当前为{kind}）。")
    scan_xml_parts(path)
    unmatched = None
    for settings_title, grid in _xlsx_grids(path):
        try:
            rows, mapping = rows_from_grid(grid, f"{path.name} ", overrides)
        except PlanError as exc:
            unmatched = unmatched or exc
            continue
        if mapping is not None:
            head = find_header(grid, overrides) or 0
            return [settings_title] + [c for _, cells, _ in grid[:head] for c in cells if c], rows, \
                H.NO in mapping.values()
    if unmatched is not None:
        raise unmatched
    raise NoTable(f"{path.name}：{NOT_FOUND}")


def _xlsx_grids(path: Path) -> list[tuple[str, list[tuple[str, list[str], list[bool]]]]]:
    """(计划名称 of a plankit workbook, grid) per sheet, 任务 first; merged cells filled with their text."""
    import openpyxl
    wb = openpyxl.load_workbook(path, data_only=True)
    grids = []
    try:
        settings_title = _settings_title(wb)
        for name in sorted(wb.sheetnames, key=lambda n: n != "任务"):
            ws = wb[name]
            values, merged_flags = merged_grid(ws, 5000)
            grids.append((settings_title, [(f"工作表“{name}”第{i}行", v, m)
                                           for i, (v, m) in enumerate(zip(values, merged_flags), start=1)]))
    finally:
        wb.close()
    return grids


def read_csv(path: Path, overrides: dict | None = None) -> tuple[list[str], list[Row], bool]:
    text = decode(path, "请在Excel中另存为“CSV UTF-8”")
    return read_delimited(text, path.name, overrides)


def read_delimited(text: str, file: str, overrides: dict | None = None) -> tuple[list[str], list[Row], bool]:
    """A CSV or a tab-separated table (cells pasted from a web page or Excel)."""
    pasted = browser_rows(text, overrides)
    if pasted is not None:
        table = pasted
    else:
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
        except csv.Error:
            dialect = csv.excel_tab if text.count("\t") > text.count(",") else csv.excel
        table = list(csv.reader(io.StringIO(text), dialect))
    grid: list[tuple[str, list[str], list[bool]]] = [(f"第{i}行", [clean_text(c) for c in row], [])
                                                     for i, row in enumerate(table, start=1)]
    rows, mapping = rows_from_grid(grid, f"{file} ", overrides)
    if mapping is None:
        raise PlanError(f"{file}：找不到表头。前几行中应有任务内容列（如“目标任务”“民生实事”“项目名称”）。")
    head = find_header(grid, overrides) or 0
    return [c for _, cells, _ in grid[:head] for c in cells if c], rows, H.NO in mapping.values()


def _settings_title(wb) -> str:
    """计划名称 from a plankit master workbook's 设置 sheet (last year's plan as the start)."""
    if "设置" not in wb.sheetnames:
        return ""
    for row in wb["设置"].iter_rows(values_only=True, max_row=100):
        if len(row) > 1 and clean_text(row[0]) == "计划名称":
            return clean_text(row[1])
    return ""


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
                raise InputFileError(f"{path.name}：这不是Word文档（.docx）。")
    except zipfile.BadZipFile:
        raise InputFileError(f"{path.name}：不是有效的.docx文件。如果是旧版.doc，请在Word中另存为“Word文档(*.docx)”。")
    except FileNotFoundError:
        raise InputFileError(f"找不到文件：{path}")
    scan_xml_parts(path)


def browser_rows(text: str, overrides: dict | None = None) -> list[list[str]] | None:
    """Rows of a table copied from a web page into text, or None when the text is not one.

    A browser writes one line per row with tabs between cells, but a cell's own line breaks
    come out as bare line breaks (Excel would quote such a cell), and a row under a merged
    (rowspan) cell has fewer cells. So lines are joined until a row has as many tabs as the
    header; a line short of that followed by a whole row is such a row: its cells are placed
    from the task column on (the merged cells are 序号 and the units).
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if any(line.startswith('"') or '\t"' in line for line in lines):
        return None  # quoted cells: Excel's own copy, read by the csv module
    head = next((i for i, line in enumerate(lines[:30]) if "\t" in line and H.is_header(line.split("\t"), overrides)),
                None)
    if head is None:
        return None
    header = lines[head].split("\t")
    opening = [line.count("\t") for line in lines[head + 1:] if re.match(r"\s*\d{1,3}\s*\t", line)]
    if opening and H.field_of(header[0], overrides) == H.NO and min(opening) > len(header) - 1:
        # every task row is longer than the header: a header cell spans columns (考核指标 over the
        # project and its indicators); rows under merged cells are shorter and say nothing of it
        extra = min(opening) - len(header) + 1
        header = header[:2] + [header[1]] * extra + header[2:]
        lines[head] = "\t".join(header)
    width = len(header) - 1
    mapping = H.header_map([header], overrides)
    text_col = min((i for i, f in mapping.items() if f in (H.TARGET, H.NAME)), default=0)
    rows = [line.split("\t") for line in lines[:head + 1]]
    numbered = mapping.get(0) == H.NO

    def starts_row(line: str) -> bool:  # `2<tab>…` under a 序号 column opens the next task
        return numbered and bool(re.match(r"\s*[（(]?\d{1,3}[)）.、]?\s*\t", line))

    pending: str | None = None

    unit_cols = [i for i, f in sorted(mapping.items()) if f in (H.LEADS, H.COS)]

    def flush(row: str) -> None:
        cells = row.split("\t")
        missing = width + 1 - len(cells)
        if missing > 0 and starts_row(row) and len(rows) > head + 1:
            above = rows[-1]  # a task under a merged unit cell: that cell is the one left out
            for i in [i for i in unit_cols if i < len(above) and above[i].strip()][:missing]:
                cells.insert(i, above[i])
        elif missing > 0 and not numbered and len(rows) > head + 1:
            cells = _under_merged(cells, rows[-1])  # every row is a task: the merged cells are the row above's
        elif missing > 0 and len(cells) + text_col <= width + 1:
            # a row under merged cells: it starts at the task column, or (where its cells fit the row
            # above better) after all the merged cells on the left (序号 and the project's name)
            left = missing if missing > text_col and len(rows) > head + 1 and \
                _fit(cells, rows[-1], missing) > _fit(cells, rows[-1], text_col) else text_col
            cells = [""] * left + cells
        rows.append(cells)

    for line in lines[head + 1:]:
        if not line.strip() and pending is None:
            continue
        if pending is None:
            pending = line
        elif pending.count("\t") < width and line.count("\t") < width and not starts_row(line) and \
                pending.count("\t") + line.count("\t") <= width:
            pending += "\n" + line  # a line break inside a cell
        else:
            flush(pending)
            pending = line
        if pending is not None and pending.count("\t") >= width:
            flush(pending)
            pending = None
    if pending is not None and pending.strip():
        flush(pending)
    return _widen_header(rows, head)


def _kind(cell: str) -> str:
    text = cell.strip()
    if re.fullmatch(r"[\d.,%]+", text):
        return "number"
    return "long" if len(text) > 40 else "text" if text else "blank"


def _fit(cells: list[str], above: list[str], offset: int) -> int:
    return sum(offset + i < len(above) and _kind(c) == _kind(above[offset + i]) for i, c in enumerate(cells))


def _under_merged(cells: list[str], above: list[str]) -> list[str]:
    """A row of a table without 序号 that lacks the cells merged from the row above: placed where its
    cells are most like the row above's (a figure under a figure, a long list under a long list), the
    missing ones taken from above (they are the merged cells)."""
    best, best_score = 0, -1
    for offset in range(len(above) - len(cells) + 1):
        score = sum(_kind(c) == _kind(above[offset + i]) for i, c in enumerate(cells))
        if score > best_score:
            best, best_score = offset, score
    return above[:best] + cells + above[best + len(cells):]


def _widen_header(rows: list[list[str]], head: int) -> list[list[str]]:
    """When most rows have k cells more than the header, a header cell spans k+1 columns (年度任务 over
    the name and the text). 序号 stays first, the columns on the right (units, people) keep their place,
    so the header cell that spans is the first one after 序号: it is repeated k times."""
    header = rows[head]
    longer = [len(r) - len(header) for r in rows[head + 1:] if len(r) > len(header)]
    if not longer or len(longer) * 2 < len(rows) - head - 1:
        return rows
    extra = max(set(longer), key=longer.count)
    at = 1 if H.field_of(header[0]) == H.NO else 0
    rows[head] = header[:at + 1] + [header[at]] * extra + header[at + 1:]
    return rows


def merged_grid(ws, max_row: int) -> tuple[list[list], list[list[bool]]]:
    """An openpyxl sheet's cleaned values, each merged range's value copied into all its cells (as a
    reader sees the table), and which cells took their value from a row above (a rowspan)."""
    values = [[clean_text(v) for v in row] for row in ws.iter_rows(values_only=True, max_row=max_row)]
    from_above = [[False] * len(r) for r in values]
    for rng in ws.merged_cells.ranges:
        anchor = values[rng.min_row - 1][rng.min_col - 1] if rng.min_row <= len(values) else ""
        for r in range(rng.min_row, min(rng.max_row, len(values)) + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                if c - 1 < len(values[r - 1]):
                    values[r - 1][c - 1] = anchor
                    from_above[r - 1][c - 1] = r > rng.min_row
    return values, from_above
