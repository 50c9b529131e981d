"""The public Python API: `toolkit.__all__`, docs/python-api.md (its examples run), quarter_frame
with provenance on the demo quarter, and `plankit export`."""
from __future__ import annotations

import ast
import hashlib
import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import toolkit
from toolkit.cli import main
from toolkit.quarter import Quarter
from toolkit.store.frame import COLUMNS

ROOT = Path(__file__).parent.parent
DOC = ROOT / "docs" / "python-api.md"


def doc_examples() -> str:
    return "\n".join(re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S))


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


# ------------------------------------------------------------------ the documentation

def test_the_documented_quarter_runs(tmp_path):
    """Every ```python block of docs/python-api.md, in order, in an empty folder."""
    code = doc_examples()
    assert "toolkit.quarter_frame(" in code and "toolkit.write_brief(" in code
    proc = run_python(code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "24 accepted; 2 departments missing" in proc.stdout
    assert "2 季度“2020Q1”不属于本计划的年度（2019年）。请写成 2019Q1 或只写 Q1。" in proc.stdout
    brief = tmp_path / "out" / "lianyungang-2019" / "2019Q2" / "brief" / "2019年第二季度民生实事进展情况简报.docx"
    assert brief.is_file()


def test_every_exported_name_is_documented():
    text = DOC.read_text(encoding="utf-8")
    undocumented = [n for n in toolkit.__all__ if f"`{n}" not in text]
    assert undocumented == []
    for name in toolkit.__all__:
        if inspect.isfunction(getattr(toolkit, name)):
            assert f"### `{name}(" in text, f"{name} needs a heading with its signature"


def test_documented_signatures_match_the_code():
    """The heading `name(a, b, *, c=...)` lists the function's own parameters, in order."""
    text = DOC.read_text(encoding="utf-8")
    for name, params in re.findall(r"^### `(\w+)\((.*)\) ->", text, re.M):
        documented = [p.strip().split("=")[0].lstrip("*") for p in params.split(",") if p.strip() not in ("", "*")]
        actual = [p.name for p in inspect.signature(getattr(toolkit, name)).parameters.values()]
        assert documented == actual, name


# ------------------------------------------------------------------ toolkit/__init__

def test_every_name_in_all_resolves():
    for name in toolkit.__all__:
        assert getattr(toolkit, name) is not None
    assert toolkit.__version__ == __import__("toolkit.version").version.__version__
    assert set(toolkit.__all__) <= set(dir(toolkit))
    with pytest.raises(AttributeError):
        toolkit.no_such_thing  # noqa: B018


def test_exports_are_the_owning_modules_own_objects():
    from toolkit.intake.merge import merge
    from toolkit.render.brief import write_brief
    from toolkit.store.frame import quarter_frame
    assert toolkit.merge is merge and toolkit.write_brief is write_brief and toolkit.quarter_frame is quarter_frame


def test_type_checking_imports_match_the_lazy_table():
    """What type checkers see (the `if TYPE_CHECKING:` imports) is what __getattr__ returns."""
    tree = ast.parse((ROOT / "toolkit" / "__init__.py").read_text(encoding="utf-8"))
    guarded = next(n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING")
    seen = {a.name: node.module for node in guarded.body for a in node.names}
    assert seen == toolkit._EXPORTS
    assert toolkit.__all__ == ["__version__", *toolkit._EXPORTS]


def test_import_toolkit_loads_no_workflow_step():
    proc = run_python("import sys, toolkit; print(sorted(m for m in sys.modules if m.split('.')[0] in "
                      "('toolkit', 'pandas', 'openpyxl', 'xlsxwriter', 'click')))", ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['toolkit', 'toolkit.version']"


def test_py_typed_is_shipped():
    assert (ROOT / "toolkit" / "py.typed").is_file()
    assert re.search(r"\[options\.package_data\]\s*\ntoolkit = py\.typed", (ROOT / "setup.cfg").read_text())


@pytest.mark.parametrize("name", ["generate_sheets", "merge", "quarter_status", "evaluate_quarter", "build_report",
                                  "write_brief", "quarter_frame", "run_demo"])
def test_one_argument_order(name):
    params = list(inspect.signature(getattr(toolkit, name)).parameters)
    assert params[:3] == ["plan", "quarter", "out_dir"]


def test_quarters_as_text_and_paths_as_str(plan, tmp_path):
    by_text = toolkit.evaluate_quarter(plan, "二季度", str(tmp_path))
    assert by_text.quarter == Quarter(2019, 2) and by_text.counts["未报送"] == len(plan.tasks)
    with pytest.raises(toolkit.PlankitError) as exc:
        toolkit.quarter_status(plan, "2020Q2", tmp_path)
    assert exc.value.exit_code == 2
    assert str(exc.value) == "季度“2020Q2”不属于本计划的年度（2019年）。请写成 2019Q2 或只写 Q2。"


def test_check_plan_reports_instead_of_raising(plan, tmp_path):
    from toolkit.plan.workbook import write_plan
    path = write_plan(plan, tmp_path / "plan.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["指标"]
    headers = {c.value: c.column for c in ws[1]}
    ws.cell(2, headers["全年目标"]).value = "很多"
    wb.save(path)
    checked = toolkit.check_plan(str(path))
    assert [p.code for p in checked.report.errors] and checked.plan.tasks
    assert any(p.sheet == "指标" and p.cell.endswith("2") for p in checked.report.errors)
    with pytest.raises(toolkit.PlankitError):
        toolkit.load_plan(path)


# ------------------------------------------------------------------ quarter_frame on the demo quarter

@pytest.fixture(scope="module")
def demo(tmp_path_factory, plan):
    out = tmp_path_factory.mktemp("demo")
    result = toolkit.run_demo(plan, "Q2", out, pdf=False, progress=lambda text: None)
    return out, result


@pytest.fixture(scope="module")
def frame(demo, plan):
    return toolkit.quarter_frame(plan, "2019Q2", demo[0])


def test_frame_columns_and_types(frame):
    assert list(frame.columns) == list(COLUMNS)
    assert str(frame["task_no"].dtype) == "int64" and str(frame["percent"].dtype) == "float64"
    assert frame["current"].dtype == bool and str(frame["received_at"].dtype).startswith("datetime64")
    assert set(frame["kind"]) == {"任务", "指标"}
    tasks, inds = frame[frame.kind == "任务"], frame[frame.kind == "指标"]
    assert (tasks["indicator"] == "").all() and inds["percent"].isna().all() and inds["value"].notna().all()


def test_frame_has_every_current_value_of_the_store(frame, demo, plan):
    from toolkit.store.db import load_quarter
    qr = load_quarter(plan, Quarter(2019, 2), demo[0])
    current = frame[frame.current]
    assert len(current[current.kind == "任务"]) == sum(len(r.tasks) for r in qr.returns.values())
    assert len(current[current.kind == "指标"]) == sum(len(r.indicators) for r in qr.returns.values())
    assert set(current["department"]) == set(qr.returns)
    entry = qr.returns["市教育局"].tasks[0]
    row = current[(current.department == "市教育局") & (current.task_no == entry.task_no)].iloc[0]
    assert (row["status"], row["percent"], row["progress"], row["role"]) == (
        entry.status, entry.percent, entry.progress, entry.role)


def test_frame_keeps_superseded_versions_and_who_was_not_stored(frame):
    from toolkit.demo.run import MISSING, REJECTED, RESUBMITS
    resubmitted = frame[(frame.department == RESUBMITS)]
    first, second = resubmitted[resubmitted.version == 1], resubmitted[resubmitted.version == 2]
    assert len(first) == len(second) > 0
    assert not first["current"].any() and second["current"].all()
    assert (first["filename"].str.contains("初稿")).all() and (second["filename"].str.contains("更正")).all()
    assert set(second["chosen_by"]) == {"最新收到"} and set(first["chosen_by"]) == {""}
    assert not frame["department"].isin([*MISSING, REJECTED]).any()


def test_frame_provenance_points_at_the_archived_cell(frame, demo, plan):
    """sha256 names the archived file; its sheet!cell holds the value the row reports."""
    archive = demo[0] / plan.plan_id / "store" / "archive"
    checked = 0
    for sha, rows in frame.groupby("sha256"):
        path = next(archive.glob(f"{sha}.*"))
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
        wb = openpyxl.load_workbook(path, read_only=True)
        for row in rows.head(3).itertuples():
            cell = wb[row.sheet][row.cell].value
            expected = row.status if row.kind == "任务" else row.value
            assert cell == expected or float(cell) == expected, (row.filename, row.sheet, row.cell)
            checked += 1
        wb.close()
    assert checked >= 3 * 20


def test_frame_provenance_of_an_emailed_return(frame):
    from toolkit.demo.run import BY_EMAIL, LATE
    emailed = frame[frame.department == BY_EMAIL]
    assert emailed["sender"].str.len().min() > 0 and emailed["origin"].str.contains(r"\.eml › ").all()
    assert not frame[frame.department == LATE]["on_time"].any() and frame[frame.department == BY_EMAIL]["on_time"].all()


def test_frame_of_a_quarter_with_nothing_stored(plan, tmp_path):
    empty = toolkit.quarter_frame(plan, "Q3", tmp_path)
    assert empty.empty and list(empty.columns) == list(COLUMNS)


# ------------------------------------------------------------------ plankit export

def _export(args: list[str], demo_out: Path, plan_path: Path):
    return CliRunner().invoke(main, ["export", "--plan", str(plan_path), "--out", str(demo_out), *args])


def test_export_csv_is_excel_readable_chinese(demo, frame, plan_path, tmp_path):
    res = _export(["-q", "Q2", "-o", str(tmp_path / "q2.csv")], demo[0], plan_path)
    assert res.exit_code == 0, res.output
    data = (tmp_path / "q2.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    import csv
    rows = list(csv.reader(data.decode("utf-8-sig").splitlines()))
    assert rows[0] == list(COLUMNS.values()) and len(rows) == len(frame) + 1
    assert {r[rows[0].index("当前版本")] for r in rows[1:]} == {"是", "否"}
    assert f"2019年第二季度：导出 {len(frame)} 行" in res.output


def test_export_xlsx_default_place_and_json(demo, frame, plan_path):
    res = _export(["-q", "2019Q2", "--format", "xlsx", "--json"], demo[0], plan_path)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    path = Path(data["path"])
    assert path == demo[0] / "lianyungang-2019" / "2019Q2" / "export" / "2019年第二季度民生实事填报数据.xlsx"
    assert data["rows"] == len(frame) and data["format"] == "xlsx"
    ws = openpyxl.load_workbook(path, read_only=True).active
    values = list(ws.values)
    assert list(values[0]) == list(COLUMNS.values()) and len(values) == len(frame) + 1
    status = values[0].index("进展状态")
    assert values[1][status] == frame.iloc[0]["status"]


def test_export_with_nothing_stored(plan_path, tmp_path):
    res = CliRunner().invoke(main, ["export", "--plan", str(plan_path), "--out", str(tmp_path), "-q", "Q3"])
    assert res.exit_code == 1
    assert res.stderr == ("错误：2019年第三季度还没有已接收的报送数据，没有可导出的内容。"
                          "请先运行 plankit merge -q 2019Q3 收件箱目录/ 汇总各部门报回的文件。\n")
    assert not (tmp_path / "lianyungang-2019").exists()


def test_export_format_and_file_name_disagree(demo, plan_path, tmp_path):
    res = _export(["-q", "Q2", "--format", "csv", "-o", str(tmp_path / "q2.xlsx")], demo[0], plan_path)
    assert res.exit_code == 2
    assert "错误：输出文件 q2.xlsx 的扩展名与格式 csv 不一致。请把文件名改为 .csv 结尾，或去掉 --format。" in res.stderr


def test_export_help_has_an_example():
    res = CliRunner().invoke(main, ["export", "--help"])
    assert res.exit_code == 0 and "plankit export -q 2019Q2" in res.output
