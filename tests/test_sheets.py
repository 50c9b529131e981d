"""Fill-in workbooks: content, protection, validation, identity, printing, CLI and bad input."""
from __future__ import annotations

import dataclasses
import json
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from toolkit.fillin import layout as L
from toolkit.fillin import generate as S
from toolkit.cli import main
from toolkit.errors import InputFileError, OutputLockedError, UsageError
from toolkit.fillin.identity import (DEFINED_NAME, META_SHEET_STORE, PROPERTIES, _from_defined_name,
    identity_from_workbook, read_identity, read_identity_all, read_meta)
from toolkit.model import Department, LE
from toolkit.quarter import Quarter
from toolkit.returns import IndicatorEntry, QuarterReturns, Return, TaskEntry
from toolkit.fillin.style import LABEL_MIN_WIDTH, WIDTHS, contact_spans

from tests.sheets_helpers import fill_return, read_inputs

Q2 = Quarter(2019, 2)
EDU = "市教育局"


@pytest.fixture(scope="module")
def generated(plan, tmp_path_factory):
    """Every department's Q2 workbook, generated once for the read-only tests."""
    out = tmp_path_factory.mktemp("out")
    return out, S.generate_sheets(plan, Q2, out)


def _file(generated, dept):
    return next(f for f in generated[1] if f.department == dept)


def _table(ws):
    headers = {c.value: c.column_letter for c in ws[L.HEADER_ROW] if c.value}
    data = [r for r in ws.iter_rows(min_row=L.HEADER_ROW + 1) if r[0].value is not None]
    return headers, data


# ---------------------------------------------------------------- what is written

def test_one_file_per_department_with_manifest(plan, generated):
    out, files = generated
    assert [f.department for f in files] == plan.department_names()
    folder = out / "lianyungang-2019" / "2019Q2" / "sheets"
    assert {f.path for f in files} == set(folder.glob("*.xlsx"))
    assert _file(generated, EDU).path.name == "市教育局_2019年第二季度民生实事进展填报表.xlsx"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["quarter"] == "2019Q2" and manifest["fingerprint"] == plan.fingerprint
    entry = next(e for e in manifest["files"] if e["department"] == EDU)
    f = _file(generated, EDU)
    assert entry == {"department": EDU, "file": f.path.name, "sha256": f.sha256, "file_id": f.file_id,
                     "tasks": 5, "indicators": 11, "generated_at": f.generated_at}
    assert not list(folder.glob(".~plankit-*"))  # no staging left behind


def test_every_file_reopens_with_protection_validation_and_identity(plan, generated):
    for f in generated[1]:
        wb = openpyxl.load_workbook(f.path)
        assert wb.sheetnames == [L.GUIDE_SHEET, L.PROGRESS_SHEET, L.INDICATOR_SHEET, L.META_SHEET]
        assert wb[L.META_SHEET].sheet_state == "veryHidden"
        for name in (L.GUIDE_SHEET, L.PROGRESS_SHEET, L.INDICATOR_SHEET, L.META_SHEET):
            assert wb[name].protection.sheet, name
            assert wb[name].protection.password is None
        meta, store = identity_from_workbook(wb)
        assert store == PROPERTIES
        assert meta["department"] == f.department and meta["quarter"] == "2019Q2"
        assert meta["plan_id"] == plan.plan_id and meta["fingerprint"] == plan.fingerprint
        assert meta["file_id"] == f.file_id and meta["format"] == L.FORMAT_VERSION
        assert all(v == meta for v in read_identity_all(f.path).values())

        ws = wb[L.PROGRESS_SHEET]
        headers, data = _table(ws)
        assert list(headers) == [*L.PROGRESS_LOCKED, *L.PROGRESS_INPUTS, L.ROW_KEY_HEADER]
        assert len(data) == f.tasks == len(plan.tasks_for(f.department))
        _check_cells(ws, headers, data, L.PROGRESS_INPUTS)
        ws = wb[L.INDICATOR_SHEET]
        headers, data = _table(ws)
        assert list(headers) == [*L.INDICATOR_LOCKED, *L.INDICATOR_INPUTS, L.ROW_KEY_HEADER]
        assert len([r for r in data if r[-1].value]) == f.indicators
        if f.indicators:
            _check_cells(ws, headers, data, L.INDICATOR_INPUTS)


def _check_cells(ws, headers, data, inputs):
    """Input columns unlocked, filled and validated with Chinese messages; everything else locked."""
    first = data[0][0].row
    rules = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
    for header, letter in headers.items():
        for row in data:
            cell = ws[f"{letter}{row[0].row}"]
            assert cell.protection.locked is (header not in inputs), (ws.title, cell.coordinate)
            if header in inputs:
                assert cell.fill.fgColor.rgb.endswith("FFF2CC")
        if header in inputs:
            dv = rules[f"{letter}{first}"]
            assert dv.showErrorMessage and dv.showInputMessage and dv.errorStyle in (None, "stop")
            assert re.search(r"[\u4e00-\u9fff]", dv.prompt) and re.search(r"[\u4e00-\u9fff]", dv.error)
            assert str(dv.sqref) == f"{letter}{data[0][0].row}:{letter}{data[-1][0].row}" or len(data) == 1
    assert ws.column_dimensions[headers[L.ROW_KEY_HEADER]].hidden


def test_progress_rows_follow_the_plan(plan, generated):
    ws = openpyxl.load_workbook(_file(generated, EDU).path)[L.PROGRESS_SHEET]
    headers, data = _table(ws)
    expected = plan.tasks_for(EDU)
    for row, (task, role) in zip(data, expected):
        get = {h: ws[f"{c}{row[0].row}"].value for h, c in headers.items()}
        assert get[L.P_NO] == task.no and get[L.P_NAME] == task.name and get[L.P_TARGET] == task.target
        assert get[L.P_ROLE] == role and get[L.P_MILESTONE] == task.milestones[1]
        assert get[L.ROW_KEY_HEADER] == L.task_key(task.no)
    dv = next(d for d in ws.data_validations.dataValidation if d.type == "list")
    assert dv.formula1 == '"' + ",".join(L.STATUSES) + '"'
    percent = next(d for d in ws.data_validations.dataValidation if d.type == "decimal")
    assert (percent.operator in (None, "between"), percent.formula1, percent.formula2) == (True, "0", "100")


def test_indicator_rows_show_planned_values(plan, generated):
    ws = openpyxl.load_workbook(_file(generated, EDU).path)[L.INDICATOR_SHEET]
    headers, data = _table(ws)
    inds = plan.indicators_for(EDU)
    assert len(data) == len(inds)
    for row, ind in zip(data, inds):
        r = row[0].row
        assert ws[f"{headers[L.I_NAME]}{r}"].value == ind.name
        assert ws[f"{headers[L.I_TARGET]}{r}"].value == ind.target
        planned = ws[f"{headers[L.I_PLANNED]}{r}"]
        assert planned.value == pytest.approx(ind.planned_at(2))
        if ind.direction == LE:
            assert planned.number_format.startswith('"≤"')
        elif not ind.planned_is_given(2):
            assert "按时间进度" in planned.number_format
        assert ws[f"{headers[L.ROW_KEY_HEADER]}{r}"].value == L.indicator_key(ind.task_no, ind.name)
    value = next(d for d in ws.data_validations.dataValidation if d.type == "decimal")
    assert (value.operator, value.formula1) == ("greaterThanOrEqual", "0")


def test_department_without_indicators_gets_a_note(generated):
    f = _file(generated, "市财政局")
    assert f.indicators == 0
    ws = openpyxl.load_workbook(f.path)[L.INDICATOR_SHEET]
    assert "没有需要填报的指标" in ws.cell(L.HEADER_ROW + 1, 1).value


def test_meta_sheet_maps_columns_rows_and_contact(plan, generated):
    path = _file(generated, EDU).path
    meta = read_meta(path)
    wb = openpyxl.load_workbook(path)
    for sheet in (L.PROGRESS_SHEET, L.INDICATOR_SHEET):
        ws = wb[sheet]
        for header, letter in meta.columns[sheet].items():
            assert ws[f"{letter}{L.HEADER_ROW}"].value == header
        for key, row in meta.rows[sheet]:
            assert ws[f"{meta.columns[sheet][L.ROW_KEY_HEADER]}{row}"].value == key
    assert [k for k, _ in meta.rows[L.PROGRESS_SHEET]] == [L.task_key(t.no) for t, _ in plan.tasks_for(EDU)]
    ws = wb[L.PROGRESS_SHEET]
    assert list(meta.contact) == list(L.CONTACT_FIELDS)
    for name, ref in meta.contact.items():
        cell = ws[ref.split("!")[1]]
        assert cell.protection.locked is False and cell.row == L.HEADER_ROW - 1
        assert any(c.value == f"{name}：" for c in ws[L.HEADER_ROW - 1])


def test_print_setup_and_look(generated):
    wb = openpyxl.load_workbook(_file(generated, EDU).path)
    for name in (L.GUIDE_SHEET, L.PROGRESS_SHEET, L.INDICATOR_SHEET):
        ws = wb[name]
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
        # the guide on one page (its last two rows printed alone on a second), the data sheets as long as needed
        tall = (None, 1) if name == L.GUIDE_SHEET else (0,)
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight in tall  # 1 is the default
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert EDU in ws.oddFooter.left.text and ws.oddFooter.center.text == "第 &P 页 共 &N 页"
    ws = wb[L.PROGRESS_SHEET]
    assert ws.print_title_rows.replace("$", "") == f"{L.HEADER_ROW}:{L.HEADER_ROW}"
    assert ws.freeze_panes == f"C{L.HEADER_ROW + 1}"
    assert ws.cell(L.HEADER_ROW, 1).font.name == "黑体"
    assert ws.cell(L.HEADER_ROW + 1, 2).font.name == "宋体"
    assert ws.cell(L.HEADER_ROW + 1, 3).alignment.wrap_text
    assert all(ws.row_dimensions[r].height >= 60 for r in range(L.HEADER_ROW + 1, L.HEADER_ROW + 6))


@pytest.mark.parametrize("headers", [(*L.PROGRESS_LOCKED, *L.PROGRESS_INPUTS),
                                     (*L.PROGRESS_LOCKED, L.P_PREVIOUS, *L.PROGRESS_INPUTS)])
def test_contact_spans_give_labels_room(headers):
    widths = [WIDTHS[h] for h in headers]
    spans = contact_spans(widths)
    assert spans[0][0] == 0 and spans[-1][1] == len(widths) - 1 and len(spans) == 8
    assert all(sum(widths[a:b + 1]) >= LABEL_MIN_WIDTH for a, b in spans[0::2])
    assert all(sum(widths[a:b + 1]) >= 9 for a, b in spans[1::2])


# ---------------------------------------------------------------- last quarter's data

def test_previous_quarter_columns(plan, tmp_path):
    t1 = plan.tasks_for(EDU)[0][0]
    ind = plan.indicators_for(EDU)[2]
    ret = Return(EDU, "2019Q1", datetime(2019, 4, 8), True, "0" * 64, "a.xlsx",
                 contact={"填报人": "王五", "联系电话": "0518-1234"},
                 tasks=[TaskEntry(t1.no, EDU, "牵头", "滞后", 20, "完成方案设计。")],
                 indicators=[IndicatorEntry(ind.task_no, ind.name, EDU, 6)])
    previous = QuarterReturns("2019Q1", plan.department_names(), {EDU: ret})
    files = S.generate_sheets(plan, "2019Q2", tmp_path, [EDU, "市卫健委"], previous=previous)
    wb = openpyxl.load_workbook(files[0].path)
    ws = wb[L.PROGRESS_SHEET]
    headers, data = _table(ws)
    assert list(headers)[:6] == [*L.PROGRESS_LOCKED, L.P_PREVIOUS]
    col = headers[L.P_PREVIOUS]
    assert ws[f"{col}{data[0][0].row}"].value == "滞后 20%；完成方案设计。"
    assert ws[f"{col}{data[1][0].row}"].value == "（上季度未填报此项）"
    assert ws.cell(L.HEADER_ROW - 1, 3).value == "王五"  # contact carried over, still editable
    assert L.P_PREVIOUS in headers and ws[f"{headers[L.P_STATUS]}{data[0][0].row}"].protection.locked is False
    ws = wb[L.INDICATOR_SHEET]
    headers, data = _table(ws)
    assert list(headers)[5] == L.I_PREVIOUS
    values = [ws[f"{headers[L.I_PREVIOUS]}{r[0].row}"].value for r in data]
    assert values[2] == 6 and values[0] is None
    assert ws[f"{headers[L.I_PREVIOUS]}{data[2][0].row}"].protection.locked
    other = openpyxl.load_workbook(files[1].path)[L.PROGRESS_SHEET]
    assert other.cell(L.HEADER_ROW + 1, 6).value == "（上季度未报送）"
    assert read_meta(files[0].path).columns[L.PROGRESS_SHEET][L.P_STATUS] == "G"


def test_first_quarter_ignores_previous(plan, tmp_path):
    previous = QuarterReturns("2018Q4", [], {})
    f = S.generate_sheets(plan, "Q1", tmp_path, [EDU], previous=previous)[0]
    headers, _ = _table(openpyxl.load_workbook(f.path)[L.PROGRESS_SHEET])
    assert L.P_PREVIOUS not in headers


# ---------------------------------------------------------------- the clerk's side

def test_fill_return_fills_only_inputs(plan, generated, tmp_path):
    src = _file(generated, EDU).path
    target = tmp_path / "renamed by clerk.xlsx"
    ind = plan.indicators_for(EDU)[0]
    fill_return(src, tasks={1: {L.P_STATUS: "滞后", L.P_PERCENT: 35, L.P_ISSUES: "资金未到位"}},
                indicators={ind.key: {L.I_VALUE: 12.5, L.I_NOTE: "含在建"}},
                contact={"填报人": "张三", "填报日期": date(2019, 7, 5)}, fill_all=True, out=target)
    values = read_inputs(target)
    assert values["tasks"]["T1"] == {L.P_STATUS: "滞后", L.P_PERCENT: 35, L.P_PROGRESS: "按序时进度推进。",
                                     L.P_ISSUES: "资金未到位", L.P_NEXT: "继续按计划推进。"}
    assert values["tasks"]["T2"][L.P_STATUS] == "序时推进"
    assert values["indicators"]["I" + ind.key] == {L.I_VALUE: 12.5, L.I_NOTE: "含在建"}
    second = plan.indicators_for(EDU)[2]
    assert values["indicators"]["I" + second.key][L.I_VALUE] == second.planned_at(2)
    assert values["contact"]["填报人"] == "张三" and values["contact"]["审核人"] == "李四"
    assert read_identity(target) == read_identity(src)
    wb = openpyxl.load_workbook(target)
    assert wb[L.PROGRESS_SHEET].protection.sheet and len(wb[L.PROGRESS_SHEET].data_validations.dataValidation) >= 5
    with pytest.raises(ValueError, match="not an input column"):
        fill_return(src, tasks={1: {L.P_NAME: "改名"}}, out=tmp_path / "x.xlsx")
    with pytest.raises(KeyError):
        fill_return(src, tasks={99: {L.P_STATUS: "滞后"}}, out=tmp_path / "y.xlsx")


# ---------------------------------------------------------------- identity stores

def _rewrite(src: Path, dst: Path, edits: dict) -> Path:
    """Copy a zip, passing named parts through edit functions (bytes -> bytes)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename in edits:
                data = edits[info.filename](data)
            zout.writestr(info, data)
    return dst


def _drop_props(data: bytes) -> bytes:
    return re.sub(rb"<property .*?</property>", b"", data)


def _drop_name(data: bytes) -> bytes:
    return re.sub(rb'<definedName name="plankit_identity">.*?</definedName>', b"", data)


def _rename_meta(data: bytes) -> bytes:
    return data.replace(b'name="_plankit"', b'name="Sheet9"')


@pytest.mark.parametrize("edits,store", [
    ({"xl/workbook.xml": _drop_name, "docProps/custom.xml": _drop_props}, META_SHEET_STORE),
    ({"xl/workbook.xml": lambda d: _rename_meta(d).replace(b'state="veryHidden"', b'state="hidden"'),
      "docProps/custom.xml": _drop_props}, DEFINED_NAME),
    ({"xl/workbook.xml": lambda d: _rename_meta(_drop_name(d))}, PROPERTIES),
])
def test_identity_found_in_any_single_store(generated, tmp_path, edits, store):
    src = _file(generated, EDU).path
    meta, found = read_identity(_rewrite(src, tmp_path / "x.xlsx", edits))
    assert found == store and meta == read_identity(src)[0]


def test_identity_gone_everywhere(generated, tmp_path):
    edits = {"xl/workbook.xml": lambda d: _rename_meta(_drop_name(d)), "docProps/custom.xml": _drop_props}
    assert read_identity(_rewrite(_file(generated, EDU).path, tmp_path / "x.xlsx", edits)) == (None, "")


def test_identity_tolerates_resaved_property_types(generated, tmp_path):
    def numeric(data):
        return data.replace(b"<vt:lpwstr>1</vt:lpwstr>", b"<vt:r8>1.0</vt:r8>")
    meta, store = read_identity(_rewrite(_file(generated, EDU).path, tmp_path / "x.xlsx",
                                         {"docProps/custom.xml": numeric}))
    assert store == PROPERTIES and meta["format"] == "1"


@pytest.mark.parametrize("text", [
    '"plankit|1|p|f|市教育局|2019Q2|id|t"', '="plankit|1|p|f|市教育局|2019Q2|id|t"',
    'of:="plankit|1|p|f|市教育局|2019Q2|id|t"', " 'plankit|1|p|f|市教育局|2019Q2|id|t' "])
def test_defined_name_quoting(text):
    assert _from_defined_name(text)["department"] == EDU


def test_defined_name_with_quote_in_department():
    assert _from_defined_name('"plankit|1|p|f|某""局""|2019Q2|id|t"')["department"] == '某"局"'


def test_identity_of_other_files(tmp_path):
    plain = tmp_path / "plain.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "x"
    wb.save(plain)
    assert read_identity(plain) == (None, "")
    text = tmp_path / "a.xlsx"
    text.write_text("序号,名称\n", encoding="utf-8")
    with pytest.raises(InputFileError):
        read_identity(text)


# ---------------------------------------------------------------- names, bad input, atomicity

def test_safe_and_unique_file_names():
    from toolkit.fillin import files as S
    assert S.safe_file_name('市"教育"/局:A*?.xlsx') == "市_教育__局_A__.xlsx"
    assert S.safe_file_name(" . .xlsx") == "未命名.xlsx"
    names = S.unique_file_names(["A/B", "A:B", "a/b"], Q2)
    assert len({n.lower() for n in names}) == 3 and names[1].endswith("(2).xlsx")


def test_a_very_long_unit_name_makes_a_name_the_file_system_accepts(tmp_path):
    """A character cap alone let 70-odd Chinese characters (3 bytes each) pass 255 bytes: the
    system refused the name with an OSError."""
    from toolkit.fillin import files as S
    unit = "某某省某某市某某县人民政府办公室关于推进城乡居民基本医疗保险和大病保险制度整合工作领导小组办公室" * 2
    names = S.unique_file_names([unit, unit], Q2)
    assert len(unit) > 85 and names[1].endswith("(2).xlsx")
    for name in names:
        assert len(name.encode("utf-8")) <= 255 and name.endswith(".xlsx") and name.startswith("某某省")
        (tmp_path / name).write_bytes(b"x")  # the file system takes it
    assert len(S.safe_file_name("局" * 200 + ".xlsx").encode("utf-8")) <= S.MAX_NAME_BYTES


def test_unknown_department(plan, tmp_path):
    with pytest.raises(UsageError) as exc:
        S.generate_sheets(plan, Q2, tmp_path, ["市教育厅"])
    assert exc.value.message == "未知部门“市教育厅”：计划中没有这个部门。"
    assert "市教育局" in exc.value.hint
    assert not (tmp_path / "lianyungang-2019").exists()


def test_department_without_tasks(plan, tmp_path):
    extra = dataclasses.replace(plan, departments=[*plan.departments, Department("市统计局")])
    with pytest.raises(UsageError, match="部门“市统计局”在本计划中没有牵头或配合的任务"):
        S.generate_sheets(extra, Q2, tmp_path, ["市统计局"])


def test_dept_option_accepts_lists(plan, tmp_path):
    files = S.generate_sheets(plan, Q2, tmp_path, ["市卫健委，市教育局", "市残联"])
    assert [f.department for f in files] == ["市教育局", "市残联", "市卫健委"]


def test_locked_output_writes_nothing(plan, tmp_path):
    first = S.generate_sheets(plan, Q2, tmp_path, [EDU, "市卫健委"])
    edu, health = first[0].path, first[1].path
    before = edu.read_bytes()
    health.unlink()
    lock = edu.with_name(f".~lock.{edu.name}#")
    lock.write_text("x")
    with pytest.raises(OutputLockedError) as exc:
        S.generate_sheets(plan, Q2, tmp_path, [EDU, "市卫健委"])
    assert "正在被Excel、WPS或LibreOffice打开" in exc.value.message and "没有写入任何文件" in exc.value.message
    assert edu.read_bytes() == before and not health.exists()


def test_replace_race_keeps_new_file_beside(plan, tmp_path, monkeypatch):
    import os
    S.generate_sheets(plan, Q2, tmp_path, [EDU])
    real = os.replace

    def flaky(src, dst):
        if str(dst).endswith(".xlsx") and EDU in str(dst) and "_20" not in Path(dst).stem[-16:]:
            raise PermissionError(dst)
        return real(src, dst)
    from toolkit.fillin import files as sheetfiles
    monkeypatch.setattr(sheetfiles.os, "replace", flaky)
    with pytest.raises(OutputLockedError, match="新文件已另存"):
        S.generate_sheets(plan, Q2, tmp_path, [EDU])
    assert len(list(tmp_path.rglob(f"{EDU}_*_20*.xlsx"))) == 1


def test_failure_midway_leaves_nothing(plan, tmp_path, monkeypatch):
    real = S.write_workbook
    calls = []

    def failing(path, plan_, q, dept, *args, **kwargs):
        calls.append(dept)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(path, plan_, q, dept, *args, **kwargs)
    monkeypatch.setattr(S, "write_workbook", failing)
    with pytest.raises(RuntimeError):
        S.generate_sheets(plan, Q2, tmp_path)
    folder = tmp_path / "lianyungang-2019" / "2019Q2" / "sheets"
    assert list(folder.iterdir()) == []


def test_password_protection(plan, tmp_path):
    f = S.generate_sheets(plan, Q2, tmp_path, [EDU], password="secret")[0]
    ws = openpyxl.load_workbook(f.path)[L.PROGRESS_SHEET]
    assert ws.protection.sheet and ws.protection.password


# ---------------------------------------------------------------- CLI

def _run(args, tmp_path, plan_path):
    return CliRunner().invoke(main, ["sheets", "--plan", str(plan_path), "--out", str(tmp_path), *args])


@pytest.mark.parametrize("quarter", ["2019Q2", "Q2", "2", "二季度"])
def test_cli_quarter_forms(quarter, tmp_path, plan_path):
    result = _run(["-q", quarter, "--dept", EDU], tmp_path, plan_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "lianyungang-2019" / "2019Q2" / "sheets" / "manifest.json").exists()
    assert "市教育局_2019年第二季度民生实事进展填报表.xlsx" in result.output


def test_cli_json_matches_library(tmp_path, plan_path):
    result = _run(["-q", "Q3", "--dept", EDU, "--dept", "市残联", "--json"], tmp_path, plan_path)
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [(f["department"], f["tasks"], f["indicators"]) for f in data["files"]] == [(EDU, 5, 11), ("市残联", 3, 6)]
    assert all(Path(f["path"]).exists() for f in data["files"])
    assert read_identity(Path(data["files"][0]["path"]))[0]["quarter"] == "2019Q3"


def test_cli_unknown_department(tmp_path, plan_path):
    result = _run(["-q", "Q2", "--dept", "市教育厅"], tmp_path, plan_path)
    assert result.exit_code == 2
    assert result.stderr.startswith("错误：未知部门“市教育厅”：计划中没有这个部门。您是否要找：")


def test_cli_quarter_out_of_range(tmp_path, plan_path):
    result = _run(["-q", "5"], tmp_path, plan_path)
    assert result.exit_code == 2
    assert result.stderr.strip() == "错误：季度“5”超出范围：季度只能是1到4。"


def test_cli_plan_with_errors(tmp_path, plan_path):
    wb = openpyxl.load_workbook(plan_path)
    ws = wb["任务"]
    headers = {c.value: c.column for c in ws[1]}
    ws.cell(2, headers["牵头单位"]).value = None
    broken = tmp_path / "broken.xlsx"
    wb.save(broken)
    result = CliRunner().invoke(main, ["sheets", "--plan", str(broken), "-q", "Q2", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.startswith("错误：计划主表有错误，无法继续：")
    assert not (tmp_path / "lianyungang-2019").exists()


def test_cli_help_has_example():
    result = CliRunner().invoke(main, ["sheets", "--help"])
    assert result.exit_code == 0 and "示例" in result.output and "--dept" in result.output


def test_cli_locked_output(tmp_path, plan_path, plan):
    first = S.generate_sheets(plan, Q2, tmp_path, [EDU])[0].path
    first.with_name(f"~${first.name}").write_text("")
    result = _run(["-q", "Q2", "--dept", EDU], tmp_path, plan_path)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"错误：文件 {first} 正在被Excel、WPS或LibreOffice打开，无法覆盖。"
                                    "本次没有写入任何文件。"
                                     "请关闭该文件后重新运行。如果该文件其实没有打开，请删除锁定文件")


def test_sheet_names_follow_excel_rules(generated):
    for name in openpyxl.load_workbook(_file(generated, EDU).path).sheetnames:
        assert 0 < len(name) <= 31 and not set(name) & set("[]:*?/\\") and not name.startswith("'")


def test_cli_brings_in_last_quarter_from_the_store(tmp_path, plan_path, plan, monkeypatch):
    import toolkit.store.db
    ret = Return(EDU, "2019Q1", datetime(2019, 4, 8), True, "0" * 64, "a.xlsx",
                 tasks=[TaskEntry(1, EDU, "牵头", "超序时", 60, "提前开工。")])
    asked = []

    def load_quarter(plan_, quarter, out_dir):
        asked.append(quarter.code)
        return QuarterReturns("2019Q1", plan.department_names(), {EDU: ret})
    monkeypatch.setattr(toolkit.store.db, "load_quarter", load_quarter)
    result = _run(["-q", "Q2", "--dept", EDU], tmp_path, plan_path)
    assert result.exit_code == 0 and asked == ["2019Q1"]
    assert "已带入2019年第一季度的汇总数据" in result.stdout
    path = next((tmp_path / "lianyungang-2019" / "2019Q2" / "sheets").glob("*.xlsx"))
    ws = openpyxl.load_workbook(path)[L.PROGRESS_SHEET]
    assert ws.cell(L.HEADER_ROW, 6).value == L.P_PREVIOUS
    assert ws.cell(L.HEADER_ROW + 1, 6).value == "超序时 60%；提前开工。"


def test_cli_unreadable_store_is_a_warning(tmp_path, plan_path, monkeypatch):
    import toolkit.store.db
    from toolkit.errors import PlankitError

    def broken(*args):
        raise PlankitError("数据库损坏。")
    monkeypatch.setattr(toolkit.store.db, "load_quarter", broken)
    result = _run(["-q", "Q2", "--dept", EDU], tmp_path, plan_path)
    assert result.exit_code == 0
    assert "警告：无法读取2019年第一季度的汇总数据，填报表将不含上季度列。（数据库损坏。）" in result.stderr


def test_meta_sheet_xml_variants():
    """Shared, inline and rich-text strings, and cells without r= attributes (as other writers produce)."""
    from toolkit.fillin.identity import parse_meta_rows
    from toolkit.fillin.identityxml import parse_xml as _xml, sheet_rows as _sheet_rows
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    xml = (f'<worksheet xmlns="{ns}"><sheetData>'
           '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>1</t></is></c></row>'
           '<row r="2"><c t="inlineStr"><is><t>department</t></is></c>'
           '<c t="s"><v>1</v></c></row>'
           '<row r="3"><c r="A3" t="str"><v>row.进展填报</v></c><c r="B3" t="str"><v>T7</v></c>'
           '<c r="C3"><v>5</v></c></row>'
           '</sheetData></worksheet>').encode()
    rows = _sheet_rows(_xml(xml), ["format", "市教育局"])
    assert rows[0] == ["format", "1", None] and rows[1][:2] == ["department", "市教育局"]
    meta = parse_meta_rows(rows)
    assert meta.identity["department"] == "市教育局" and meta.rows == {"进展填报": [("T7", 5)]}
    rich = _xml(f'<sst xmlns="{ns}"><si><r><t>市教</t></r><r><t>育局</t></r><rPh><t>x</t></rPh></si></sst>'.encode())
    from toolkit.fillin.identityxml import inline_text as _inline_text
    assert _inline_text(next(iter(rich))) == "市教育局"
