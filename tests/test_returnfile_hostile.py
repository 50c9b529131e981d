"""Hostile and broken returns: HOSTILE-INPUTS.md "Prioritised bad-input tests" rows 1-27.

Each file is built by code. A rejection is one ReturnFileError with a clear Chinese
message naming the file; anything readable comes back with located Problems.
Bounded time and memory are checked through the limits (sizes, row caps), never by stopwatch.
"""
from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from tests import returnfile_helpers as H
from tests.returnfile_helpers import DEPT, Q2, filled
from tests.sheets_helpers import fill_return
from toolkit.fillin import layout as L
from toolkit.fileio import safeio
from toolkit.fileio.filekind import DEFAULT_PASSWORD
from toolkit.problems import ERROR, WARNING
from toolkit.intake.returnfile import MAX_DATA_ROWS, MAX_PART_BYTES, ReturnFileError, read_return

IND = "14:分配各类保障性住房"


@pytest.fixture
def good(tmp_path, plan) -> Path:
    return filled(tmp_path, plan, contact={"填报日期": datetime(2019, 7, 5)})


def rejected(path: Path, plan, *words: str, code: str | None = None) -> str:
    """The rejection's message, which names the file and holds `words`; its error code is `code`."""
    with pytest.raises(ReturnFileError) as info:
        read_return(path, plan, Q2)
    if code is not None:
        assert info.value.code == code, info.value
    message = info.value.message
    assert path.name in message
    for word in words:
        assert word in message, message
    return message


def only(result, code):
    found = [p for p in result.problems if p.code == code]
    assert len(found) == 1, (code, [str(p) for p in result.problems])
    return found[0]


def errors(result):
    return [p.code for p in result.problems if p.severity == ERROR]


# 1, 2 ------------------------------------------------------------ entities

def test_01_billion_laughs(good, plan, tmp_path):
    path = H.rewrite(good, tmp_path / "lol.xlsx", {H.sheet_part(good, L.PROGRESS_SHEET): H.BILLION_LAUGHS.encode()})
    rejected(path, plan, "DTD", code="file-unsafe")


def test_02_xxe(good, plan, tmp_path):
    path = H.rewrite(good, tmp_path / "xxe.xlsx", {"docProps/custom.xml": H.XXE.encode()})
    rejected(path, plan, "DTD", code="file-unsafe")


def test_01b_dtd_hidden_after_a_long_prolog(good, plan, tmp_path):
    """A DOCTYPE pushed past the first 4 KB by a comment is still found."""
    sneaky = H.XXE.replace('<?xml version="1.0"?>\n', '<?xml version="1.0"?>\n<!--' + "x" * 10000 + "-->\n")
    path = H.rewrite(good, tmp_path / "sneaky.xlsx", {"xl/styles.xml": sneaky.encode()})
    rejected(path, plan, "DTD", code="file-unsafe")


# 3, 4, 5 --------------------------------------------------------- zip bombs, forged sizes, zip-slip

def test_03_zip_bomb_rejected_before_parsing(good, plan, tmp_path):
    path = H.padded_sheet(good, tmp_path / "bomb.xlsx", MAX_PART_BYTES // (1024 * 1024) + 8)
    assert path.stat().st_size < 1024 * 1024  # tiny on disk
    rejected(path, plan, "异常巨大", code="file-zip-bomb")


def test_04_forged_declared_size(good, plan, tmp_path):
    bomb = H.padded_sheet(good, tmp_path / "bomb.xlsx", 40)
    part = H.sheet_part(good, L.PROGRESS_SHEET)
    path = H.forge_declared_size(bomb, tmp_path / "forged.xlsx", part, 4000)
    rejected(path, plan, "损坏", code="file-truncated")


def test_04b_a_part_whose_bytes_do_not_match_its_crc(good, plan, tmp_path):
    path = H.wrong_crc(good, tmp_path / "flipped.xlsx", H.sheet_part(good, L.PROGRESS_SHEET))
    rejected(path, plan, "压缩数据校验失败", code="file-damaged")


def test_05_zip_slip(good, plan, tmp_path):
    path = H.rewrite(good, tmp_path / "slip.xlsx", add={"../../evil.txt": b"owned"})
    rejected(path, plan, "可疑路径", code="file-unsafe")
    assert not (tmp_path.parent / "evil.txt").exists() and not (tmp_path / "evil.txt").exists()


def test_05b_odd_zip_members(good, plan, tmp_path):
    part = H.sheet_part(good, L.PROGRESS_SHEET)
    rejected(H.recompress(good, tmp_path / "bz.xlsx", part, zipfile.ZIP_BZIP2), plan, "压缩方式",
             code="file-damaged")
    rejected(H.flag_encrypted(good, tmp_path / "zc.xlsx", part), plan, "加密", code="file-encrypted")
    utf16 = H.rewrite(good, tmp_path / "u16.xlsx", {"docProps/custom.xml": lambda d: d.decode().replace(
        'encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")})
    rejected(utf16, plan, "编码", code="file-unsafe")


# 6, 7, 8 --------------------------------------------------------- declared sizes and row counts

def test_06_dimension_a1_a1_still_reads_all_rows(good, plan, tmp_path):
    r = read_return(H.set_dimension(good, tmp_path / "a1.xlsx", "A1:A1"), plan, Q2)
    assert len(r.tasks) == 7 and not errors(r)


def test_07_dimension_whole_sheet(good, plan, tmp_path):
    r = read_return(H.set_dimension(good, tmp_path / "xfd.xlsx", "A1:XFD1048576"), plan, Q2)
    assert len(r.tasks) == 7 and not errors(r)


def test_08_a_million_rows(good, plan, tmp_path):
    rejected(H.million_rows(good, tmp_path / "rows.xlsx"), plan, "行数过多", code="file-zip-bomb")


def test_08b_row_cap_counts_before_parsing(good, plan, tmp_path):
    rejected(H.million_rows(good, tmp_path / "rows.xlsx", rows=MAX_DATA_ROWS + 1200), plan, "行数过多",
             code="file-too-many-rows")


def test_08g_row_cap_is_exact_when_text_is_full_of_w():
    """Rows are bounded by counting `w`s; past the cap the exact count decides, so English
    text written inline never rejects a sheet that has few rows, and a DTD needs a `!`."""
    from toolkit.fileio import zipscan
    row = b'<row r="1"><c r="A1" t="inlineStr"><is><t>' + b"wow! " * 40 + b"</t></is></c></row>"
    assert zipscan._count_rows(row * 3, 100) == 3  # 240 `w`s, 3 rows
    assert zipscan._count_rows(row * 101, 100) == 101
    zipscan._reject_dtd_in(row, "a.xlsx", "sheet1.xml")  # `!` in text: still not a DTD
    with pytest.raises(safeio.InputFileError, match="DTD"):
        zipscan._reject_dtd_in(row + b"<!doctype x>", "a.xlsx", "sheet1.xml")


@pytest.mark.parametrize("ref, sep, where", [("XFD1048576", b" ", "第1048576行"), ("CA50", b" ", "单元格 CA50"),
                                             ("B12000", b"\t", "第12000行"), ("A10000", b"\n", "第10000行")])
def test_08d_one_value_far_from_the_table(good, plan, tmp_path, ref, sep, where):
    """calamine would allocate every cell up to it (512 GB for XFD1048576) and abort the process."""
    with pytest.raises(ReturnFileError) as info:
        read_return(H.far_cell(good, tmp_path / "far.xlsx", ref, sep=sep), plan, Q2)
    assert info.value.message == (f"far.xlsx：工作表中有远离表格的内容（sheet2.xml 的{where}，超出第9999行或BZ列），"
                                  "无法安全读取，已拒收。")
    assert "Ctrl+End" in info.value.hint
    assert info.value.code == "file-far-cell"


def test_08f_far_value_in_an_ods_is_stopped_before_the_grid(plan, tmp_path):
    """ODS and .xls are not pre-scanned: the grid's extent is checked before any Python list is made."""
    with pytest.raises(ReturnFileError) as info:
        read_return(H.ods_far_cell(tmp_path / "far.ods"), plan, Q2)
    assert info.value.message == ("far.ods：工作表“进展填报”中有远离表格的内容（第1048001行、第16001列），"
                                  "无法安全读取，已拒收。")
    assert info.value.code == "file-far-cell"


@pytest.mark.parametrize("fixture, where", [("far_cell_iv65536.xls", "“进展填报”的单元格 IV65536"),
                                            ("far_numbers_by_to_ca.xls", "“进展填报”的单元格 CA5"),
                                            ("far_on_indicator_sheet.xls", "“指标填报”的单元格 A50001")])
def test_08h_far_value_in_an_xls_is_stopped_before_calamine(plan, fixture, where):
    """calamine would build the whole grid up to the far value first (IV65536: 2 s, 1 GB)."""
    from tests.conftest import FIXTURES
    with pytest.raises(ReturnFileError) as info:
        read_return(FIXTURES / fixture, plan, Q2)
    assert info.value.message == (f"{fixture}：工作表中有远离表格的内容（{where}，超出第9999行或BZ列），"
                                  "无法安全读取，已拒收。")
    assert "Ctrl+End" in info.value.hint
    assert info.value.code == "file-far-cell"


def test_08e_values_up_to_the_limits_still_read(good, plan, tmp_path):
    r = read_return(H.far_cell(good, tmp_path / "near.xlsx", "BZ4000"), plan, Q2)
    assert len(r.tasks) == 7 and not errors(r)


def test_08c_ods_repeated_rows_bomb(plan, tmp_path):
    """calamine would expand this 1 KB file to 100 million cells."""
    path = H.ods_repeat_bomb(tmp_path / "bomb.ods")
    assert path.stat().st_size < 4096
    rejected(path, plan, "行数过多", code="file-zip-bomb")


# 9, 10, 11 ------------------------------------------------------- encryption, wrong types, Strict

def test_09_password_protected(good, plan, tmp_path):
    rejected(H.encrypt(good, tmp_path / "secret.xlsx", "secret"), plan, "密码", code="file-encrypted")


def test_09b_read_only_recommended_is_decrypted(good, plan, tmp_path):
    r = read_return(H.encrypt(good, tmp_path / "velvet.xlsx", DEFAULT_PASSWORD), plan, Q2)
    assert (r.department, len(r.tasks), r.identified_by) == (DEPT, 7, "properties") and r.problems == []


@pytest.mark.parametrize("name, data, words", [
    ("csv.xlsx", "序号,任务名称\n14,建设保障性住房\n".encode("gbk"), ("不是Excel文件",)),
    ("word.xlsx", None, ("Word文档",)),
    ("empty.xlsx", b"", ("空的",)),
    ("page.xlsx", b"<html><body>table</body></html>", ("网页",)),
    ("scan.xlsx", b"%PDF-1.4\n", ("PDF",)),
])
def test_10_wrong_file_types(tmp_path, plan, name, data, words):
    path = tmp_path / name
    path.write_bytes(H.docx_bytes() if data is None else data)
    rejected(path, plan, *words)


def test_10b_truncated(good, plan, tmp_path):
    path = tmp_path / "cut.xlsx"
    path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    rejected(path, plan, "损坏", code="file-truncated")


def test_10d_broken_xml_inside_a_sound_zip(good, plan, tmp_path):
    part = H.sheet_part(good, L.PROGRESS_SHEET)
    path = H.rewrite(good, tmp_path / "xml.xlsx", {part: lambda d: d[: len(d) // 2]})
    rejected(path, plan, "损坏", code="file-damaged")


def test_10c_each_wrong_type_has_its_own_message(good, plan, tmp_path):
    cases = {"a.xlsx": b"a,b\n1,2\n", "b.xlsx": H.docx_bytes(), "c.xlsx": b"",
             "d.xlsx": good.read_bytes()[:3000]}
    messages = set()
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        messages.add(rejected(tmp_path / name, plan).replace(name, ""))
    assert len(messages) == len(cases)


def test_11_strict_ooxml(good, plan, tmp_path):
    rejected(H.strict(good, tmp_path / "strict.xlsx"), plan, "Strict", "另存为", code="file-strict-xml")


# 12, 13 --------------------------------------------------------- macros, links, formulas

def test_12_macros_and_external_links_flagged_not_run(good, plan, tmp_path):
    path = H.rewrite(good, tmp_path / "macro.xlsx", add={"xl/vbaProject.bin": b"\x00" * 64,
                                                         "xl/externalLinks/externalLink1.xml": b"<externalLink/>"})
    r = read_return(path, plan, Q2)
    assert only(r, "return-macros").severity == WARNING
    assert only(r, "return-external-links").severity == WARNING
    assert len(r.tasks) == 7 and not errors(r)


def test_13_formula_without_cached_value_is_an_error(good, plan, tmp_path):
    path = H.set_input(good, tmp_path / "f.xlsx", L.INDICATOR_SHEET, "I" + IND, L.I_VALUE, "=10*1.2")
    p = only(read_return(path, plan, Q2), "return-formula-no-value")
    assert (p.severity, p.sheet, p.cell, p.value) == (ERROR, L.INDICATOR_SHEET, "F5", "=10*1.2")


def test_13b_cached_div0_is_an_error(good, plan, tmp_path):
    path = H.set_cell_xml(good, tmp_path / "div0.xlsx", L.INDICATOR_SHEET, "F5",
                          '<c r="F5" t="e"><f>1/0</f><v>#DIV/0!</v></c>')
    p = only(read_return(path, plan, Q2), "return-cell-error")
    assert (p.severity, p.cell, p.value) == (ERROR, "F5", "#DIV/0!")


def test_13c_formula_with_cached_value_is_read_with_a_warning(good, plan, tmp_path):
    path = H.set_cell_xml(good, tmp_path / "cached.xlsx", L.INDICATOR_SHEET, "F5",
                          '<c r="F5"><f>10*12</f><v>120</v></c>')
    r = read_return(path, plan, Q2)
    assert only(r, "return-formula-cached").severity == WARNING
    assert next(i for i in r.indicators if i.key == IND).value == 120.0


def test_12b_wps_picture_in_a_cell(good, plan, tmp_path):
    path = H.set_cell_xml(good, tmp_path / "pic.xlsx", L.PROGRESS_SHEET, "H5",
                          '<c r="H5" t="str"><f>_xlfn.DISPIMG("ID_0A1B2C",1)</f><v>=DISPIMG("ID_0A1B2C",1)</v></c>')
    r = read_return(path, plan, Q2)
    p = only(r, "return-picture-in-cell")
    assert (p.severity, p.cell) == (WARNING, "H5") and r.tasks[0].progress == ""


# 14, 15, 16 ----------------------------------------------------- text

def test_14_injection_text_is_kept_as_plain_text(good, plan, tmp_path):
    text = "=cmd|' /C calc'!A0"
    path = H.set_input(good, tmp_path / "inj.xlsx", L.PROGRESS_SHEET, "T14", L.P_PROGRESS, text, as_text=True)
    path = H.set_input(path, tmp_path / "inj2.xlsx", L.PROGRESS_SHEET, "T15", L.P_PROGRESS, "@SUM(1)")
    r = read_return(path, plan, Q2)
    assert [t.progress for t in r.tasks[:2]] == [text, "@SUM(1)"] and not errors(r)


def test_15_oversize_text_is_an_error_not_a_silent_cut(good, plan, tmp_path):
    marked = H.set_input(good, tmp_path / "m.xlsx", L.PROGRESS_SHEET, "T14", L.P_PROGRESS, "LONGMARK")
    path = H.rewrite(marked, tmp_path / "long.xlsx", {  # openpyxl itself would cut at 32,767
        H.sheet_part(marked, L.PROGRESS_SHEET): lambda d: d.replace(b"LONGMARK", "长".encode() * 40000)})
    p = only(read_return(path, plan, Q2), "return-text-too-long")
    assert (p.severity, p.cell, p.value) == (ERROR, "H5", "40000")


def test_16_control_characters_normalised(good, plan, tmp_path):
    marked = H.set_input(good, tmp_path / "m.xlsx", L.PROGRESS_SHEET, "T14", L.P_PROGRESS, "CTRLMARK")
    path = H.rewrite(marked, tmp_path / "ctrl.xlsx", {
        H.sheet_part(marked, L.PROGRESS_SHEET): lambda d: d.replace(b"CTRLMARK", b"a_x000B_b_x0000_c_x000D_d")})
    r = read_return(path, plan, Q2)
    assert r.tasks[0].progress == "abc\nd" and not errors(r)


# 18, 19, 20, 21 ------------------------------------------------- numbers, percents, text-like, dates

def test_18_numbers_as_typed(good, plan, tmp_path):
    typed = {IND: "１２", "14:配建保障性住房基本建成": "1,234", "14:推进安置小区建设": "3个",
             "14:投放住房公积金": "inf"}
    r = read_return(fill_return(good, indicators=typed, out=tmp_path / "n.xlsx"), plan, Q2)
    values = {i.key: i.value for i in r.indicators}
    assert (values[IND], values["14:配建保障性住房基本建成"], values["14:推进安置小区建设"]) == (12, 1234, 3)
    assert values["14:投放住房公积金"] is None and only(r, "return-bad-number").value == "inf"


def test_19_percent_150_is_a_range_error(good, plan, tmp_path):
    path = fill_return(good, tasks={14: {L.P_PERCENT: "150"}}, out=tmp_path / "p.xlsx")
    p = only(read_return(path, plan, Q2), "return-percent-range")
    assert (p.severity, p.cell) == (ERROR, "G5")


def test_20_text_like_values_kept_as_typed(good, plan, tmp_path):
    path = fill_return(good, tasks={14: {L.P_PROGRESS: "007", L.P_ISSUES: "NA", L.P_NEXT: "None"}},
                       out=tmp_path / "t.xlsx")
    t = read_return(path, plan, Q2).tasks[0]
    assert (t.progress, t.issues, t.next_steps) == ("007", "NA", "None")


@pytest.mark.parametrize("typed, date1904, expected", [
    (45292, False, "2024-01-01"), ("2024.1.1", False, "2024-01-01"), (43830, True, "2024-01-01")])
def test_21_dates(good, plan, tmp_path, typed, date1904, expected):
    path = fill_return(good, contact={"填报日期": typed}, out=tmp_path / "d.xlsx")
    if date1904:
        path = H.rewrite(path, tmp_path / "d1904.xlsx", {"xl/workbook.xml": lambda d: d.replace(
            b"<workbookPr", b'<workbookPr date1904="1"', 1)})
    assert read_return(path, plan, Q2).contact["填报日期"] == expected


def test_21b_bad_date_is_flagged(good, plan, tmp_path):
    path = fill_return(good, contact={"填报日期": "下周一"}, out=tmp_path / "d.xlsx")
    assert only(read_return(path, plan, Q2), "return-bad-date").severity == WARNING


# 22 ------------------------------------------------------------- rows inserted, deleted, sorted, key cleared

def test_22_row_deleted(good, plan, tmp_path):
    def fn(wb):
        ws = wb[L.PROGRESS_SHEET]
        ws.delete_rows(H.row_of(ws, "T16"))
    p = only(read_return(H.edit(good, tmp_path / "del.xlsx", fn), plan, Q2), "return-row-deleted")
    assert p.severity == ERROR and "第16项" in p.message


def test_22b_row_inserted_with_data(good, plan, tmp_path):
    def fn(wb):
        ws = wb[L.PROGRESS_SHEET]
        r = H.row_of(ws, "T16")
        ws.insert_rows(r)
        ws.cell(r, H.col_of(ws, L.P_PROGRESS)).value = "补充说明：另完成……"
    r = read_return(H.edit(good, tmp_path / "ins.xlsx", fn), plan, Q2)
    assert only(r, "return-row-extra").cell == "A7"
    assert [t.task_no for t in r.tasks] == [14, 15, 16, 17, 18, 19, 43]


def test_22c_rows_sorted_are_matched_by_key(good, plan, tmp_path):
    def fn(wb):
        ws = wb[L.PROGRESS_SHEET]
        first, last = L.HEADER_ROW + 1, L.HEADER_ROW + 7
        rows = [[ws.cell(r, c).value for c in range(1, ws.max_column + 1)] for r in range(first, last + 1)]
        for r, values in zip(range(first, last + 1), reversed(rows)):
            for c, v in enumerate(values, start=1):
                ws.cell(r, c).value = v
    path = fill_return(good, tasks={14: {L.P_PERCENT: 14}, 43: {L.P_PERCENT: 43}}, out=tmp_path / "v.xlsx")
    r = read_return(H.edit(path, tmp_path / "sorted.xlsx", fn), plan, Q2)
    assert only(r, "return-rows-reordered").severity == WARNING and not errors(r)
    percents = {t.task_no: t.percent for t in r.tasks}
    assert (percents[14], percents[43]) == (14, 43)


def test_22d_row_key_cleared_matched_by_number(good, plan, tmp_path):
    def fn(wb):
        ws = wb[L.PROGRESS_SHEET]
        ws.cell(H.row_of(ws, "T15"), H.col_of(ws, L.ROW_KEY_HEADER)).value = None
    r = read_return(H.edit(good, tmp_path / "key.xlsx", fn), plan, Q2)
    assert only(r, "return-row-key-cleared").severity == WARNING
    assert len(r.tasks) == 7 and not errors(r)


def test_22e_row_duplicated(good, plan, tmp_path):
    def fn(wb):
        ws = wb[L.PROGRESS_SHEET]
        src, dst = H.row_of(ws, "T14"), L.HEADER_ROW + 8
        for c in range(1, ws.max_column + 1):
            ws.cell(dst + 2, c).value = ws.cell(src, c).value
    r = read_return(H.edit(good, tmp_path / "dup.xlsx", fn), plan, Q2)
    assert only(r, "return-row-duplicate").severity == ERROR


# 23 ------------------------------------------------------------- sheets renamed, moved, added

def test_23_sheet_renamed_found_with_a_warning(good, plan, tmp_path):
    def fn(wb):
        wb[L.PROGRESS_SHEET].title = "Sheet1"
        wb.create_sheet("我的备注")
        wb.move_sheet("Sheet1", offset=2)
    r = read_return(H.edit(good, tmp_path / "ren.xlsx", fn), plan, Q2)
    p = only(r, "return-sheet-renamed")
    assert (p.severity, p.sheet) == (WARNING, "Sheet1")
    assert len(r.tasks) == 7 and r.tasks[0].cell == "Sheet1!F5" and not errors(r)


def test_23b_sheet_deleted_column_deleted_header_edited(good, plan, tmp_path):
    def fn(wb):
        del wb[L.INDICATOR_SHEET]
        ws = wb[L.PROGRESS_SHEET]
        ws.delete_cols(H.col_of(ws, L.P_NEXT))
    r = read_return(H.edit(good, tmp_path / "cut.xlsx", fn), plan, Q2)
    assert only(r, "return-sheet-missing").sheet == L.INDICATOR_SHEET
    p = only(r, "return-column-missing")
    assert (p.severity, p.sheet, p.value) == (ERROR, L.PROGRESS_SHEET, L.P_NEXT)

    def header(wb):
        ws = wb[L.INDICATOR_SHEET]
        ws.cell(L.HEADER_ROW, H.col_of(ws, L.I_NAME)).value = "名称"
    r = read_return(H.edit(good, tmp_path / "head.xlsx", header), plan, Q2)
    assert only(r, "return-header-missing").sheet == L.INDICATOR_SHEET and not r.indicators


# 24, 25 --------------------------------------------------------- plan edited, wrong identity

def test_24_plan_text_edited_with_protection_removed(good, plan, tmp_path):
    part = H.sheet_part(good, L.PROGRESS_SHEET)
    unprotected = H.rewrite(good, tmp_path / "unp.xlsx", {part: lambda d: __import__("re").sub(
        rb"<sheetProtection[^>]*/>", b"", d)})

    def fn(wb):
        ws = wb[L.PROGRESS_SHEET]
        ws.cell(H.row_of(ws, "T14"), H.col_of(ws, L.P_ROLE)).value = "配合"
    p = only(read_return(H.edit(unprotected, tmp_path / "d.xlsx", fn), plan, Q2), "return-locked-edited")
    assert p.cell == "D5" and "牵头 → 配合" in p.message.replace("“", "").replace("”", "")


def test_25_identity_of_another_department(good, plan, tmp_path):
    r = read_return(H.with_department(good, tmp_path / "other.xlsx", "市教育局"), plan, Q2)
    assert r.department == "市教育局"
    assert {"return-department-mismatch", "return-row-not-owned", "return-row-deleted"} <= set(errors(r))


def test_25b_identity_stores_disagree(good, plan, tmp_path):
    path = H.rewrite(good, tmp_path / "mixed.xlsx", {"docProps/custom.xml": lambda d: d.replace(
        f">{DEPT}</vt:lpwstr>".encode(), ">市教育局</vt:lpwstr>".encode())})
    assert only(read_return(path, plan, Q2), "return-identity-conflict").severity == ERROR


def test_25c_identity_deleted_falls_back_to_layout(good, plan, tmp_path):
    path = H.pasted_into_new_workbook(good, tmp_path / "plain.xlsx")
    r = read_return(path, plan, Q2)
    assert r.identified_by == "layout" and only(r, "return-identity-lost").severity == WARNING


# 26, 27 --------------------------------------------------------- merged and hidden cells, dropdown values

def test_26_merged_and_hidden_cells(good, plan, tmp_path):
    def fn(wb):
        ws = wb[L.PROGRESS_SHEET]
        ws.merge_cells("G5:G6")
        ws.row_dimensions[7].hidden = True
    r = read_return(H.edit(good, tmp_path / "m.xlsx", fn), plan, Q2)
    assert r.tasks[0].percent == 50.0 and r.tasks[1].percent is None
    missing = only(r, "return-merged-input")  # said to be merged (issue 19b), not a bare 未填写
    assert missing.cell == "G6" and missing.severity == WARNING and "与G5合并" in missing.message
    assert r.tasks[2].percent == 50.0  # the hidden row is read


def test_27_value_outside_the_dropdown(good, plan, tmp_path):
    path = fill_return(good, tasks={14: {L.P_STATUS: "完成了"}}, out=tmp_path / "s.xlsx")
    p = only(read_return(path, plan, Q2), "return-bad-status")
    assert p.severity == ERROR and p.cell == "F5" and all(s in p.message for s in L.STATUSES)


# defence in depth ------------------------------------------------ limits exist and are checked first

def test_limits_are_checked_on_declared_sizes_before_inflating(good, tmp_path):
    with zipfile.ZipFile(H.padded_sheet(good, tmp_path / "b.xlsx", 40)) as zf:
        assert max(i.file_size for i in zf.infolist()) > MAX_PART_BYTES
    with pytest.raises(safeio.InputFileError):
        safeio.preflight(tmp_path / "b.xlsx", max_part_bytes=MAX_PART_BYTES)
