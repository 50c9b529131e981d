"""Build published-plan-like Word tables in tests (python-docx), the way offices lay them out."""
from __future__ import annotations

from pathlib import Path

import cn2an
import docx
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

QUARTERS = ("第一季度", "第二季度", "第三季度", "第四季度")


def _mark_header(row) -> None:
    """Word's "repeat as header row at the top of each page"."""
    trPr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trPr.append(el)


def _write(cell, text: str, *, breaks: bool = True) -> None:
    """Write text into a cell; with `breaks`, one paragraph per '；' item and a line break after '。'."""
    cell.text = ""
    if not breaks or "；" not in text and "。" not in text[:-1]:
        cell.paragraphs[0].add_run(text)
        return
    items = text.split("；")
    for i, item in enumerate(items):
        chunk = item + ("；" if i < len(items) - 1 else "")
        para = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
        head, dot, rest = chunk.partition("。")
        run = para.add_run(head + dot)
        if dot and rest:
            run.add_break()
            para.add_run(rest)


def _header(table, units: bool, *, two_rows: bool = True) -> int:
    """Write the header rows at the top of `table`; returns how many rows they take."""
    top = table.rows[0].cells
    top[0].text, top[1].text = "序号", "目标任务"
    if not two_rows:
        for i, q in enumerate(QUARTERS):
            top[2 + i].text = q
        if units:
            top[6].text, top[7].text = "牵头单位", "配合单位"
        _mark_header(table.rows[0])
        return 1
    second = table.rows[1].cells
    top[2].text = "序时进度"
    top[2].merge(top[5])
    for i, q in enumerate(QUARTERS):
        second[2 + i].text = q
    top[0].merge(second[0])
    top[1].merge(second[1])
    if units:
        top[6].text, top[7].text = "牵头单位", "配合单位"
        top[6].merge(second[6])
        top[7].merge(second[7])
    _mark_header(table.rows[0])
    _mark_header(table.rows[1])
    return 2


def plan_to_docx(tasks, path: Path, *, title: str, units: bool = True, split_first: int = 25,
                 split_second: int = 40, banners: bool = True) -> Path:
    """Write tasks as a published plan table, split over three tables like page breaks do.

    - table 1: a two-row header (序时进度 merged over the quarters), domain banners merged across
      the row, lead units merged vertically over neighbouring tasks; task `split_first` is cut in
      half, its second half continues in table 2 in a row with an empty 序号;
    - table 2: no header (a continuation);
    - table 3: the header repeated; task `split_second` takes two rows with 序号, 目标任务 and units
      merged vertically and the quarters split.
    Cells hold several paragraphs and line breaks.
    """
    doc = docx.Document()
    doc.add_paragraph(title)
    doc.add_paragraph("（按季度安排）")
    cols = 8 if units else 6
    chunks = [[t for t in tasks if t.no <= split_first],
              [t for t in tasks if split_first <= t.no < split_second],
              [t for t in tasks if t.no >= split_second]]
    banner_no = 0
    last_domain = None
    for index, chunk in enumerate(chunks):
        table = doc.add_table(rows=0, cols=cols)
        table.style = "Table Grid"
        if index != 1:
            table.add_row()
            table.add_row()
            _header(table, units)
        lead_top = None
        for t in chunk:
            texts = (t.target, *t.milestones)
            continuing = index == 1 and t.no == split_first
            if banners and t.domain != last_domain and not continuing:
                banner_no += 1
                last_domain = t.domain
                row = table.add_row().cells
                row[0].text = f"{cn2an.an2cn(banner_no)}、{t.domain}"
                row[0].merge(row[-1])
                lead_top = None
            halves = [(x[:len(x) // 2], x[len(x) // 2:]) for x in texts]
            if index == 0 and t.no == split_first:
                texts = tuple(h[0] for h in halves)
            elif continuing:
                texts = tuple(h[1] for h in halves)
            row = table.add_row().cells
            row[0].text = "" if continuing else str(t.no)
            for i, text in enumerate(texts):
                _write(row[1 + i], text)
            if units:
                lead = "、".join(t.leads)
                if lead_top is not None and lead_top[1] == lead and not continuing:
                    lead_top = (lead_top[0].merge(row[6]), lead)
                else:
                    row[6].text = "" if continuing else lead
                    lead_top = (row[6], lead)
                row[7].text = "" if continuing else "、".join(t.cos)
            if index == 2 and t.no == split_second:
                # The same task over two rows, 序号 and units merged vertically.
                # The target cell spans both rows; the quarter cells are split.
                for i, (a, _) in enumerate(halves[1:], start=1):
                    _write(row[1 + i], a)
                extra = table.add_row().cells
                for i, (_, b) in enumerate(halves[1:], start=1):
                    _write(extra[1 + i], b)
                row[0].merge(extra[0])
                row[1].merge(extra[1])
                if units:
                    lead_top = (lead_top[0].merge(extra[6]), lead_top[1])
                    row[7].merge(extra[7])
        doc.add_paragraph("")
    doc.save(str(path))
    return path


def simple_docx(path: Path, rows: list[list[str]], *, title: str = "2020年测试方案") -> Path:
    """A document with one plain table of `rows` (first row = header)."""
    doc = docx.Document()
    doc.add_paragraph(title)
    if rows:
        table = doc.add_table(rows=0, cols=len(rows[0]))
        for values in rows:
            cells = table.add_row().cells
            for cell, value in zip(cells, values):
                cell.text = value
    doc.save(str(path))
    return path
