"""The print setup shared by plankit's workbooks (toolkit.fileio.xlsxprint)."""
from __future__ import annotations

from toolkit.fileio import xlsxprint


def test_footer_numbers_pages_and_keeps_text_from_reading_as_codes():
    text = xlsxprint.footer(f"&A　{xlsxprint.escape('A&B计划')}", "2019年")
    assert text == ('&L&"宋体"&8&A　A&&B计划&C&"宋体"&8第 &P 页 共 &N 页'
                    '&R&"宋体"&8 2019年')  # "&82019" would be an 82-point font: a space first


def test_openpyxl_sheet_gets_the_same_setup(tmp_path):
    import openpyxl
    wb = openpyxl.Workbook()
    xlsxprint.setup_openpyxl(wb.active, left="退回修改表", header_row=3, landscape=False)
    wb.save(tmp_path / "a.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "a.xlsx").active
    assert (ws.page_setup.paperSize, ws.page_setup.orientation) == (9, "portrait")
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.print_options.horizontalCentered
    assert ws.print_title_rows.replace("$", "") == "3:3"
    assert (ws.oddFooter.left.text, ws.oddFooter.center.text) == ("退回修改表", "第 &P 页 共 &N 页")
