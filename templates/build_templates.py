"""Build the default briefing templates reproducibly with python-docx.

    python templates/build_templates.py                 # plain font names (仿宋, 楷体, 黑体 …)
    python templates/build_templates.py --fonts gb2312  # 仿宋_GB2312, 楷体_GB2312 names

Writes templates/briefing.docx (the quarterly 简报), templates/year_briefing.docx (the Q4
全年完成情况) and templates/dept_notice.docx (the 督办 notice). The jinja2 tags (docxtpl syntax) are
documented in docs/用户手册.md (模板维护人员).
Layout follows GB/T 9704-2012: A4, margins 37/35/28/26 mm, body 仿宋 16 pt on 22 lines,
title 小标宋 22 pt, headings 黑体 / 楷体, page numbers "— 1 —" (odd right, even left).
Every run sets all four rFonts slots so Word, WPS and LibreOffice pick the Chinese font.
"""
from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

HERE = Path(__file__).parent
RED = RGBColor(0xFF, 0x00, 0x00)
LINE = Pt(28.95)  # 22 lines in the 225 mm text block

FONT_SETS = {
    "plain": {"fang": "仿宋", "kai": "楷体", "hei": "黑体", "song": "宋体", "title": "方正小标宋简体"},
    "gb2312": {"fang": "仿宋_GB2312", "kai": "楷体_GB2312", "hei": "黑体", "song": "宋体",
               "title": "方正小标宋简体"},
}


# ---------------------------------------------------------------- low-level helpers

def set_fonts(rpr_parent, name: str) -> None:
    """Set all four w:rFonts slots and drop theme attributes (they would win over names)."""
    rpr = rpr_parent.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        if attr.endswith("Theme") or attr.endswith("theme"):
            del fonts.attrib[attr]
    for slot in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{slot}"), name)


def fix_doc_defaults(doc, body_font: str) -> None:
    """Explicit default fonts and zh-CN language instead of the theme's (Japanese) fallback."""
    styles = doc.styles.element
    for fonts in styles.iter(qn("w:rFonts")):
        for attr in list(fonts.attrib):
            if attr.lower().endswith("theme"):
                del fonts.attrib[attr]
    rpr = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    for slot in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{slot}"), body_font)
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    ppr = styles.find(qn("w:docDefaults")).find(qn("w:pPrDefault")).find(qn("w:pPr"))
    spacing = ppr.find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")


def first_line_chars(style_or_par, chars: int) -> None:
    """Indent the first line by N characters (w:firstLineChars scales with the font)."""
    ppr = style_or_par.element.get_or_add_pPr() if hasattr(style_or_par, "element") else style_or_par
    ind = ppr.get_or_add_ind()  # python-docx keeps the schema order of pPr children
    ind.set(qn("w:firstLineChars"), str(chars * 100))
    ind.set(qn("w:firstLine"), str(chars * 320))


PBDR_SUCCESSORS = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
                   "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
                   "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
                   "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection",
                   "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
                   "w:rPr", "w:sectPr", "w:pPrChange")


def allow_hanging_punctuation(style) -> None:
    """w:overflowPunct="1": Word's and WPS's own default (允许标点溢出边界), written out because
    LibreOffice reads this flag inverted (writerfilter maps overflowPunct=1 to its "simple"
    punctuation wrap) and, with the flag absent, hangs a line-final 。 in a justified line
    and drops it from the PDF (the Q4 demo briefing lost two). With the flag, LibreOffice
    carries the last character down with the 。 instead, as kinsoku wants."""
    ppr = style.element.get_or_add_pPr()
    el = OxmlElement("w:overflowPunct")
    el.set(qn("w:val"), "1")
    after = PBDR_SUCCESSORS[PBDR_SUCCESSORS.index("w:overflowPunct") + 1:]
    ppr.insert_element_before(el, *after)


def border(paragraph, side: str, color: str = "FF0000", size_eighths: int = 12, space: int = 1) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    pbdr = ppr.find(qn("w:pBdr"))
    if pbdr is None:
        pbdr = OxmlElement("w:pBdr")
        ppr.insert_element_before(pbdr, *PBDR_SUCCESSORS)
    el = OxmlElement(f"w:{side}")
    el.set(qn("w:val"), "single")
    el.set(qn("w:sz"), str(size_eighths))
    el.set(qn("w:space"), str(space))
    el.set(qn("w:color"), color)
    pbdr.append(el)  # callers add top before bottom, the schema order


def add_style(doc, name: str, font: str, size: float, *, base: str | None = "Normal",
              bold: bool = False, color=None, align=None, indent_chars: int | None = None,
              line=LINE, before: float = 0, after: float = 0, char: bool = False):
    kind = WD_STYLE_TYPE.CHARACTER if char else WD_STYLE_TYPE.PARAGRAPH
    style = doc.styles.add_style(name, kind)
    style.quick_style = True
    if base and not char:
        style.base_style = doc.styles[base]
    style.font.size = Pt(size)
    style.font.bold = bold
    if color is not None:
        style.font.color.rgb = color
    set_fonts(style.element, font)
    if char:
        return style
    pf = style.paragraph_format
    if align is not None:
        pf.alignment = align
    pf.line_spacing = line if line is not None else 1.0  # pictures need "single", not exact
    pf.space_before, pf.space_after = Pt(before), Pt(after)
    if indent_chars is not None:
        # Always explicit, also 0: Word inherits w:firstLineChars from Normal attribute by
        # attribute, and firstLineChars wins over firstLine.
        first_line_chars(style, indent_chars)
    return style


def para(doc_or_cell, text: str = "", style: str | None = None, runs=()):
    """A paragraph with plain text, or with (text, character style) runs."""
    p = doc_or_cell.add_paragraph(style=style)
    if text:
        p.add_run(text)
    for run_text, char_style in runs:
        p.add_run(run_text, style=char_style)
    return p


def page_setup(section) -> None:
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(22)
    # No w:docGrid "linesAndChars" (22 x 28 grid): LibreOffice applies the grid pitch to
    # every line, table rows included, and the pack doubles in length. Exact 28.95 pt line
    # spacing gives the 22 lines; lines hold about 27 characters.


def page_number_footers(doc, section) -> None:
    """"— 1 —" in 宋体 四号: odd pages right, even pages left, one character in."""
    doc.settings.odd_and_even_pages_header_footer = True
    for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
                          (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0]
        p.style = doc.styles["页码"]
        p.alignment = align
        p.add_run("— ")
        field_run(p, "PAGE")
        p.add_run(" —")


def field_run(paragraph, instr: str) -> None:
    for kind, text in (("begin", None), ("instr", instr), ("separate", None), ("text", "1"), ("end", None)):
        run = paragraph.add_run()
        if kind == "instr":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = f" {text} "
        elif kind == "text":
            el = OxmlElement("w:t")
            el.text = text
        else:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        run._r.append(el)


def repeat_header(row) -> None:
    """w:tblHeader: Word/WPS/LibreOffice repeat this row at the top of every page."""
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(el)  # after cantSplit/trHeight, as the schema wants


def cant_split(row) -> None:
    row._tr.get_or_add_trPr().insert(0, OxmlElement("w:cantSplit"))


def common_styles(doc, f: dict) -> None:
    fix_doc_defaults(doc, f["fang"])
    normal = doc.styles["Normal"]
    normal.font.size = Pt(16)
    set_fonts(normal.element, f["fang"])
    pf = normal.paragraph_format
    pf.line_spacing, pf.alignment = LINE, WD_ALIGN_PARAGRAPH.JUSTIFY
    pf.space_before = pf.space_after = Pt(0)
    pf.widow_control = True
    allow_hanging_punctuation(normal)  # every style here is based on Normal
    first_line_chars(normal, 2)
    c = WD_ALIGN_PARAGRAPH.CENTER
    add_style(doc, "公文标题", f["title"], 22, align=c, indent_chars=0, line=Pt(36), after=14)
    add_style(doc, "一级标题", f["hei"], 16, indent_chars=2).paragraph_format.keep_with_next = True
    add_style(doc, "二级标题", f["kai"], 16, indent_chars=2)
    add_style(doc, "无缩进正文", f["fang"], 16, indent_chars=0)
    add_style(doc, "落款", f["fang"], 16, indent_chars=0, align=WD_ALIGN_PARAGRAPH.RIGHT)
    add_style(doc, "页码", f["song"], 14, indent_chars=0, line=Pt(14))
    add_style(doc, "楷体字", f["kai"], 16, char=True)
    add_style(doc, "黑体字", f["hei"], 16, char=True)
    footer_style = doc.styles["页码"]
    ind = footer_style.element.get_or_add_pPr().get_or_add_ind()
    ind.set(qn("w:left"), "280")
    ind.set(qn("w:right"), "280")


def new_document(f: dict, title: str):
    doc = Document()
    doc.core_properties.title = title
    doc.core_properties.author = "plankit"
    doc.core_properties.last_modified_by = "plankit"
    doc.core_properties.created = doc.core_properties.modified = datetime(2019, 1, 1)
    doc.core_properties.revision = 1
    doc.core_properties.comments = "由 templates/build_templates.py 生成的模板；可在Word/WPS中修改措辞和版式。"
    common_styles(doc, f)
    section = doc.sections[0]
    page_setup(section)
    page_number_footers(doc, section)
    return doc


# ---------------------------------------------------------------- the briefing

def briefing_styles(doc, f: dict, *, table_size: float, table_line: float, mark: str) -> None:
    """The briefing packs' own styles (masthead, annex, figures, 版记); `mark` is the red
    character style of the annex's status column."""
    c = WD_ALIGN_PARAGRAPH.CENTER
    add_style(doc, "报头", f["title"], 42, color=RED, align=c, indent_chars=0, line=Pt(60), before=6)
    add_style(doc, "期号", f["fang"], 16, align=c, indent_chars=0, before=6, after=6)
    add_style(doc, "编印行", f["fang"], 16, indent_chars=0)
    add_style(doc, "附件标题", f["title"], 18, align=c, indent_chars=0, line=Pt(30), after=10)
    add_style(doc, "图片", f["fang"], 12, align=c, indent_chars=0, line=None).paragraph_format.keep_with_next = True
    add_style(doc, "图题", f["hei"], 12, align=c, indent_chars=0, line=Pt(20), after=6)
    add_style(doc, "表格文字", f["fang"], table_size, indent_chars=0, line=Pt(table_line),
              align=WD_ALIGN_PARAGRAPH.LEFT)
    add_style(doc, "表头文字", f["hei"], table_size, indent_chars=0, line=Pt(table_line), align=c)
    add_style(doc, "版记", f["fang"], 14, indent_chars=0, line=Pt(24))
    add_style(doc, mark, f["hei"], table_size, color=RED, char=True)


def masthead(doc) -> None:
    """Red name, issue number, issuer left + date right, red rule."""
    para(doc, "{{ bulletin_name }}", "报头")
    para(doc, "第{{ issue_no }}期", "期号")
    p = para(doc, "{{ issuer }}\t{{ date }}", "编印行")
    p.paragraph_format.tab_stops.add_tab_stop(Mm(156), WD_TAB_ALIGNMENT.RIGHT)
    border(p, "bottom", size_eighths=18, space=4)


def end_block(doc) -> None:
    """The 版记 between two rules at the end of the last page; recipients are plain text that
    staff edit in Word/WPS."""
    para(doc, "")
    p = para(doc, "报：市委、市人大常委会、市政府、市政协领导。", "版记")
    border(p, "top", color="000000", size_eighths=8, space=4)
    para(doc, "送：市{{ subject }}工作领导小组成员单位。", "版记")
    para(doc, "发：各县区人民政府，市各有关部门、单位。", "版记")
    p2 = para(doc, "{{ issuer }}\t{{ date }}印发", "版记")
    p2.paragraph_format.tab_stops.add_tab_stop(Mm(156), WD_TAB_ALIGNMENT.RIGHT)
    border(p2, "top", color="000000", size_eighths=4, space=4)
    border(p2, "bottom", color="000000", size_eighths=8, space=4)


def narrow_cell_margins(table, mm: float = 1.0) -> None:
    """1 mm cell margins left and right instead of Table Grid's 1.9 mm: a column then holds
    序号 and a six-character unit name (市交通运输局) on one line instead of 序/号 and 局 alone."""
    mar = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(round(mm * 1440 / 25.4)))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    table._tbl.tblPr.insert_element_before(mar, "w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange")


def annex_table(doc, title: str, widths, heads, cells_row, *, centred, status_col: int, marked: str,
                mark: str) -> None:
    """The annex on a page of its own: one row per task (a docxtpl `{%tr for %}` row), the header
    repeated on every page, and the status shown in the red `mark` style where `marked` holds —
    a paragraph-level condition inside the status cell, editable in Word."""
    c = WD_ALIGN_PARAGRAPH.CENTER
    annex = para(doc, "附件", "无缩进正文")
    annex.runs[0].style = doc.styles["黑体字"]
    annex.paragraph_format.page_break_before = True  # a break paragraph could leave a blank page
    para(doc, title, "附件标题")
    table = doc.add_table(rows=4, cols=len(widths))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    narrow_cell_margins(table)
    for col, width in zip(table.columns, widths):
        col.width = width
    rows_text = [heads, ("{%tr for t in tasks %}",), cells_row, ("{%tr endfor %}",)]
    for r_idx, texts in enumerate(rows_text):
        row = table.rows[r_idx]
        for c_idx, cell in enumerate(row.cells):
            cell.width = widths[c_idx]
            text = texts[c_idx] if c_idx < len(texts) else ""
            cell.paragraphs[0].style = doc.styles["表头文字" if r_idx == 0 else "表格文字"]
            if text:
                cell.paragraphs[0].add_run(text)
            if r_idx == 2 and c_idx in centred:
                cell.paragraphs[0].alignment = c
    repeat_header(table.rows[0])
    cant_split(table.rows[0])
    cant_split(table.rows[2])  # docxtpl copies this row's properties to every task row
    status_cell = table.rows[2].cells[status_col]
    status_cell.paragraphs[0].runs[0].text = "{%p if " + marked + " %}"
    for text, char_style in (("{{ t.status }}", mark), ("{%p else %}", None),
                             ("{{ t.status }}", None), ("{%p endif %}", None)):
        p = status_cell.add_paragraph(style="表格文字")
        p.alignment = c
        p.add_run(text, style=char_style)


def build_briefing(f: dict, path: Path) -> None:
    doc = new_document(f, "民生实事进展情况简报")
    briefing_styles(doc, f, table_size=12, table_line=18, mark="滞后标记")
    masthead(doc)

    para(doc, "", "无缩进正文")
    para(doc, "{{ doc_title }}", "公文标题")
    para(doc, "为全面掌握{{ year }}年{{ subject }}推进情况，{{ issuer }}对各牵头单位报送的进展情况进行了汇总分析。"
              "现将{{ quarter_label }}{{ subject }}进展情况通报如下。")

    para(doc, "一、总体情况", "一级标题")
    para(doc, "截至{{ quarter_end }}，{{ total }}项{{ subject }}任务中，已完成{{ counts.done }}项，"
              "占{{ pct.done }}%；超序时{{ counts.ahead }}项，占{{ pct.ahead }}%；"
              "序时推进{{ counts.on_track }}项，占{{ pct.on_track }}%；滞后{{ counts.lagging }}项，"
              "占{{ pct.lagging }}%；未报送{{ counts.missing }}项，占{{ pct.missing }}%。"
              "应报送单位{{ expected }}个，实际报送{{ returned }}个，报送率{{ reporting_rate }}%，"
              "其中按时报送{{ on_time }}个。")
    para(doc, "{%p if missing_units %}")
    para(doc, "尚未报送的单位：{{ missing_units }}。")
    para(doc, "{%p endif %}")

    para(doc, "二、分领域进展", "一级标题")
    para(doc, "{%p for d in domains %}")
    para(doc, runs=[("{{ d.seq }}{{ d.name }}。", "楷体字"), ("{{ d.text }}", None)])
    para(doc, "{%p endfor %}")
    para(doc, "{%p if chart %}")
    para(doc, "各领域任务进展情况见图1。").paragraph_format.keep_with_next = True
    para(doc, "{{ chart }}", "图片")
    para(doc, "图1　{{ quarter_label }}各领域{{ subject }}进展情况（项）", "图题")
    para(doc, "{%p endif %}")

    para(doc, "三、进度滞后的事项", "一级标题")
    para(doc, "{%p if lagging %}")
    para(doc, "对照序时进度，共有{{ counts.lagging }}项任务进度滞后（按差距从大到小排列）：")
    para(doc, "{%p for t in lagging %}")
    para(doc, runs=[("{{ loop.index }}．{{ t.name }}", "楷体字"),
                    ("（牵头单位：{{ t.lead }}）。{{ t.figures }}。滞后原因：{{ t.reason }}", None)])
    para(doc, "{%p endfor %}")
    para(doc, "{%p else %}")
    para(doc, "本季度没有进度滞后的事项。")
    para(doc, "{%p endif %}")

    para(doc, "四、存在问题", "一级标题")
    para(doc, "{%p for item in problems %}")
    para(doc, "{{ item.seq }}{{ item.text }}")
    para(doc, "{%p else %}")
    para(doc, "各单位未反映突出问题。")
    para(doc, "{%p endfor %}")

    para(doc, "五、下一步工作安排", "一级标题")
    para(doc, runs=[("（一）加快滞后事项推进。", "楷体字"),
                    ("对进度滞后的事项，各牵头单位要认真分析原因，倒排工期、挂图作战，确保按序时完成年度目标。", None)])
    para(doc, "{%p if red_tasks %}")
    para(doc, runs=[("（二）实行挂牌督办。", "楷体字"),
                    ("对低于序时进度{{ red }}个百分点以上的{{ red_tasks }}，由市民生实事工作领导小组办公室挂牌督办，"
                     "限期{{ deadline_days }}天内赶上序时进度。", None)])
    para(doc, "{%p endif %}")
    para(doc, runs=[("（{{ '三' if red_tasks else '二' }}）落实各单位下一步计划。", "楷体字"),
                    ("各单位报送的下一步工作安排如下：", None)])
    para(doc, "{%p for s in next_steps %}")
    para(doc, "{{ loop.index }}．{{ s.lead }}（{{ s.name }}）：{{ s.text }}")
    para(doc, "{%p endfor %}")
    para(doc, runs=[("（{{ '四' if red_tasks else '三' }}）按时报送进展情况。", "楷体字"),
                    ("请各单位于下季度末后{{ report_days }}日内报送本季度进展情况，确保数据真实准确。", None)])

    para(doc, "")
    para(doc, "附件：{{ quarter_label }}{{ subject }}任务进展情况表")

    # Annex: the per-task table, header row repeated on every page.
    annex_table(doc, "{{ quarter_label }}{{ subject }}任务进展情况表",
                (Mm(12), Mm(33), Mm(28), Mm(20), Mm(63)),  # 156 mm: the text block width
                ("序号", "任务名称", "牵头单位", "状态", "完成情况"),
                ("{{ t.no }}", "{{ t.name }}", "{{ t.lead }}", "{{ t.status }}", "{{ t.progress }}"),
                centred=(0, 3), status_col=3, marked='t.status == "滞后"', mark="滞后标记")

    end_block(doc)
    doc.save(path)


# ---------------------------------------------------------------- the year-end briefing

def build_year_briefing(f: dict, path: Path) -> None:
    """The Q4 briefing: 全年完成情况, with the same masthead and 版记 as the quarterly one."""
    doc = new_document(f, "民生实事完成情况")
    briefing_styles(doc, f, table_size=11, table_line=16, mark="未完成标记")
    masthead(doc)

    para(doc, "", "无缩进正文")
    para(doc, "{{ doc_title }}", "公文标题")
    para(doc, "{{ year }}年，各牵头单位和配合单位围绕年初确定的{{ total }}项{{ subject }}任务，按照序时进度安排"
              "扎实推进。根据各单位报送的全年完成情况，{{ issuer }}进行了汇总核实，现将有关情况通报如下。")

    para(doc, "一、总体完成情况", "一级标题")
    para(doc, "截至{{ year }}年12月底，{{ total }}项{{ subject }}任务中，{{ words.done }}{{ counts.done }}项，"
              "占{{ pct.done }}%；{{ words.basic }}{{ counts.basic }}项（完成全年目标{{ threshold }}%以上），"
              "占{{ pct.basic }}%；{{ words.undone }}{{ counts.undone }}项，占{{ pct.undone }}%"
              "{{ '；未报送%d项，占%s%%' % (counts.missing, pct.missing) if counts.missing else '' }}。"
              "{{ words.done }}和{{ words.basic }}的合计{{ done_or_basic }}项，占{{ done_or_basic_pct }}%。")
    para(doc, "{%p if missing_units %}")
    para(doc, "四季度应报送单位{{ expected }}个，实际报送{{ returned }}个，{{ missing_units }}未报送全年完成情况。")
    para(doc, "{%p endif %}")

    para(doc, "二、分领域完成情况", "一级标题")
    para(doc, "{%p for d in domains %}")
    para(doc, runs=[("{{ d.seq }}{{ d.name }}。", "楷体字"), ("{{ d.text }}", None)])
    para(doc, "{%p endfor %}")
    para(doc, "{%p if chart %}")
    para(doc, "各领域任务完成情况见图1。").paragraph_format.keep_with_next = True
    para(doc, "{{ chart }}", "图片")
    para(doc, "图1　{{ year }}年各领域{{ subject }}完成情况（项）", "图题")
    para(doc, "{%p endif %}")

    para(doc, "三、未完成事项及原因", "一级标题")
    para(doc, "{%p if unfinished %}")
    para(doc, "共有{{ unfinished|length }}项任务未全部完成（按完成率从低到高排列）：")
    para(doc, "{%p for t in unfinished %}")
    para(doc, runs=[("{{ t.index }}．{{ t.name }}", "楷体字"),
                    ("（牵头单位：{{ t.lead }}），{{ t.status_text }}。{{ t.result }}。原因：{{ t.reason }}", None)])
    para(doc, "{%p endfor %}")
    para(doc, "{%p else %}")
    para(doc, "全年任务均已完成。")
    para(doc, "{%p endif %}")
    para(doc, "{%p if missing_tasks %}")
    para(doc, "另有{{ missing_tasks|length }}项任务的牵头单位未报送全年完成情况："
              "{% for t in missing_tasks %}{{ t.name }}（{{ t.lead }}）{{ '、' if not loop.last else '' }}{% endfor %}，"
              "请尽快补报。")
    para(doc, "{%p endif %}")

    para(doc, "四、工作评价", "一级标题")
    para(doc, "{{ evaluation_text }}")

    para(doc, "五、下一步工作", "一级标题")
    para(doc, "{%p if carried %}")
    para(doc, runs=[("（一）抓好未完成事项结转。", "楷体字"),
                    ("对{{ words.basic }}和{{ words.undone }}的{{ carried }}项任务，纳入{{ year + 1 }}年计划结转推进，"
                     "各牵头单位要明确剩余目标和完成时限，确保尽早全部完成。", None)])
    para(doc, "{%p endif %}")
    para(doc, runs=[("（{{ '二' if carried else '一' }}）做好年度考核结果运用。", "楷体字"),
                    ("年度考核结果按规定纳入各单位绩效考核，对任务未完成、报送不及时的单位进行通报。", None)])
    para(doc, runs=[("（{{ '三' if carried else '二' }}）谋划{{ year + 1 }}年{{ subject }}。", "楷体字"),
                    ("广泛征集群众意见，科学确定{{ year + 1 }}年{{ subject }}项目，按季度细化序时进度安排。", None)])

    para(doc, "")
    para(doc, "附件：{{ year }}年{{ subject }}任务完成情况表")
    annex_table(doc, "{{ year }}年{{ subject }}任务完成情况表",
                (Mm(11), Mm(28), Mm(26), Mm(55), Mm(16), Mm(20)),  # 156 mm
                ("序号", "任务名称", "牵头单位", "全年完成情况", "完成率", "状态"),
                ("{{ t.no }}", "{{ t.name }}", "{{ t.lead }}", "{{ t.result }}",
                 "{{ t.percent }}{{ '' if t.percent == '—' else '%' }}", "{{ t.status }}"),
                centred=(0, 4, 5), status_col=5, marked="t.status == words.undone", mark="未完成标记")

    end_block(doc)
    doc.save(path)


# ---------------------------------------------------------------- the 督办 notice

def build_notice(f: dict, path: Path) -> None:
    doc = new_document(f, "民生实事督办通知")
    para(doc, "", "无缩进正文")
    para(doc, "{{ notice_title }}", "公文标题")
    para(doc, "{{ unit }}：", "无缩进正文")
    para(doc, "根据{{ quarter_label }}{{ subject }}进展情况汇总，截至{{ quarter_end }}，"
              "{{ scope or ('你单位牵头的' ~ tasks|length ~ '项任务') }}进度滞后于序时进度。现将有关情况通知如下：")
    para(doc, "{%p for t in tasks %}")
    para(doc, runs=[("{{ t.seq }}{{ t.name }}。", "楷体字"),
                    ("{{ t.figures }}。你单位反映的原因：{{ t.reason }}", None)])
    para(doc, "{%p if t.next_steps %}")
    para(doc, "你单位报送的下一步计划：{{ t.next_steps }}")
    para(doc, "{%p endif %}")
    para(doc, "{%p endfor %}")
    para(doc, "请你单位高度重视，认真分析滞后原因，制定切实可行的追赶措施，于{{ deadline }}前赶上序时进度，"
              "并将整改措施和进展情况书面报送{{ issuer }}。")
    para(doc, "特此通知。").paragraph_format.keep_with_next = True
    para(doc, "").paragraph_format.keep_with_next = True  # signature and date stay together
    p = para(doc, "{{ issuer }}", "落款")
    p.paragraph_format.keep_with_next = True
    p.paragraph_format.right_indent = Pt(32)
    p = para(doc, "{{ date }}", "落款")
    p.paragraph_format.right_indent = Pt(64)
    doc.save(path)


# ---------------------------------------------------------------- fonts.conf for soffice

FONT_ALIASES = (  # official names -> free substitutes, best first; optional forced weight
    (("仿宋", "仿宋_GB2312", "FangSong", "FangSong_GB2312", "华文仿宋", "STFangsong"),
     ("FandolFang", "Noto Serif CJK SC"), None),
    (("楷体", "楷体_GB2312", "KaiTi", "KaiTi_GB2312", "华文楷体", "STKaiti"),
     ("FandolKai", "AR PL UKai CN", "Noto Serif CJK SC"), None),
    (("黑体", "SimHei", "微软雅黑", "Microsoft YaHei", "华文黑体"), ("FandolHei", "Noto Sans CJK SC"), None),
    (("宋体", "SimSun", "新宋体", "NSimSun", "华文宋体"), ("FandolSong", "Noto Serif CJK SC"), None),
    (("方正小标宋简体", "方正小标宋_GBK", "小标宋", "FZXiaoBiaoSong-B05S"), ("Noto Serif CJK SC",), "bold"),
)
# Last resort of every font, for the glyphs it lacks: Symbola (fonts-symbola) draws emoji in one colour,
# HanaMin (fonts-hanazono) CJK Extension A-F (𠀀, 𪚥). Noto Color Emoji is hidden from LibreOffice:
# its bitmap glyphs come out as boxes in the PDF, and once it is picked as a fallback LibreOffice 7.4
# drops the rest of the run's fallback text (𠀀 and even common 汉字 vanished in a DejaVu run).
FALLBACK_FONTS = ("Symbola", "HanaMinA", "HanaMinB")
HIDDEN_FONTS = ("*/NotoColorEmoji.ttf",)


def build_fonts_conf(path: Path) -> None:
    """A fontconfig file that includes the system config and aliases the official names."""
    out = ['<?xml version="1.0"?>',
           '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">',
           "<!-- plankit: maps the font names of official documents (GB/T 9704) to free fonts for",
           "     LibreOffice PDF conversion; plankit points FONTCONFIG_FILE here when it runs soffice.",
           "     Fandol fonts (texlive-lang-chinese) win when installed, else Noto CJK (fonts-noto-cjk);",
           "     Symbola (fonts-symbola) and HanaMin (fonts-hanazono) draw the emoji and rare characters they lack.",
           "     Generated by templates/build_templates.py: edit FONT_ALIASES there. -->",
           "<fontconfig>",
           '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>']
    for names, prefer, weight in FONT_ALIASES:
        for name in names:
            out.append('  <match target="pattern">')
            out.append(f'    <test qual="any" name="family"><string>{name}</string></test>')
            out.append('    <edit name="family" mode="prepend" binding="strong">'
                       + "".join(f"<string>{p}</string>" for p in prefer) + "</edit>")
            if weight:
                out.append(f'    <edit name="weight" mode="assign" binding="strong"><const>{weight}</const></edit>')
            out.append("  </match>")
    out.append('  <match target="pattern">')
    out.append('    <edit name="family" mode="append_last" binding="strong">'
               + "".join(f"<string>{p}</string>" for p in FALLBACK_FONTS) + "</edit>")
    out.append("  </match>")
    out.append("  <selectfont><rejectfont>" + "".join(f"<glob>{g}</glob>" for g in HIDDEN_FONTS)
               + "</rejectfont></selectfont>")
    out.append("</fontconfig>")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fonts", choices=sorted(FONT_SETS), default="plain")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args(argv)
    f = FONT_SETS[args.fonts]
    args.out.mkdir(parents=True, exist_ok=True)
    build_briefing(f, args.out / "briefing.docx")
    build_notice(f, args.out / "dept_notice.docx")
    build_year_briefing(f, args.out / "year_briefing.docx")
    build_fonts_conf(args.out / "fonts.conf")
    print(f"wrote briefing.docx, dept_notice.docx, year_briefing.docx and fonts.conf in {args.out}")


if __name__ == "__main__":
    main()
