"""The year end to end: `plankit demo -q Q4` runs four quarters and produces the year-end outputs."""
from __future__ import annotations

import json

import docx
import openpyxl
import pytest
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.plan.workbook import read_plan

YEAR_WORDS = {"已完成", "基本完成", "未完成", "未报送"}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("year") / "demo"
    result = CliRunner().invoke(main, ["demo", "-q", "Q4", "--out", str(out), "--no-pdf"])
    assert result.exit_code == 0, result.output
    again = CliRunner().invoke(main, ["demo", "-q", "Q4", "--out", str(out), "--no-pdf", "--json"])
    assert again.exit_code == 0, again.output
    return result.output, json.loads(again.stdout), out


def test_summary_uses_the_year_end_words(run):
    text, data, _ = run
    assert "2019年全年完成情况：已完成" in text and "基本完成" in text and "年度考核：26个单位" in text
    for word in ("超序时", "序时推进", "滞后"):
        assert word not in text.split("2019年全年完成情况")[1].split("生成的文件")[0]
    assert set(data["counts"]) == YEAR_WORDS and sum(data["counts"].values()) == 50
    # A realistic year: some finish, some only nearly, some not, some not reported.
    assert all(n > 0 for n in data["counts"].values())


def test_year_end_workbook_sheets_and_statuses(run):
    _, data, _ = run
    wb = openpyxl.load_workbook(data["report"], read_only=True)
    assert {"全年完成情况", "季度轨迹", "年度考核", "考核明细"} <= set(wb.sheetnames)
    assert "滞后事项" not in wb.sheetnames
    statuses = [row[6] for row in wb["全年完成情况"].iter_rows(min_row=4, values_only=True) if row[0]]
    assert len(statuses) == 50 and {s.split("（")[0] for s in statuses} <= YEAR_WORDS
    track = list(wb["季度轨迹"].iter_rows(min_row=4, max_row=4, values_only=True))[0]
    assert track[4] and track[6] and track[8] and track[10]  # a status in every quarter Q1..Q4
    scores = list(wb["年度考核"].iter_rows(min_row=4, values_only=True))
    assert len([r for r in scores if r[0]]) == 26 and scores[0][0] == 1


def test_year_end_briefing_and_carried_plan(run):
    _, data, _ = run
    text = "\n".join(p.text for p in docx.Document(data["brief"]).paragraphs)
    assert "2019年民生实事完成情况" in text and "未完成事项及原因" in text and "工作评价" in text
    assert "年度考核规则" in text
    read = read_plan(data["carried_plan"])
    assert read.report.errors == []
    assert read.plan.settings.year == 2020 and read.plan.tasks
    assert all(t.name.endswith("（结转）") for t in read.plan.tasks)
    assert len(read.plan.tasks) == data["counts"]["基本完成"] + data["counts"]["未完成"]


def test_report_and_brief_commands_at_q4(run):
    _, data, out = run
    report = CliRunner().invoke(main, ["report", "-q", "Q4", "--out", str(out)])
    assert report.exit_code == 0, report.output
    c = data["counts"]
    assert "2019年完成情况汇总" in report.output
    assert f"已完成 {c['已完成']}　基本完成 {c['基本完成']}　未完成 {c['未完成']}　未报送 {c['未报送']}" in report.output
    assert f"未全部完成 {c['基本完成'] + c['未完成']} 项（基本完成、未完成）" in report.output
    brief = CliRunner().invoke(main, ["brief", "-q", "Q4", "--out", str(out)])
    assert brief.exit_code == 0, brief.output
    assert f"2019年全年：已完成{c['已完成']}项，基本完成{c['基本完成']}项" in brief.output
    assert "2019年民生实事完成情况.docx" in brief.output


QUARTERLY_WORDS = ("超序时", "序时推进")


def test_no_quarterly_status_anywhere_at_year_end(run):
    # Every cell of every sheet: the quarterly words appear only as the Q1-Q3 history of 季度轨迹.
    _, data, out = run
    wb = openpyxl.load_workbook(data["report"])
    found = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and any(w in c.value for w in QUARTERLY_WORDS):
                    found.append((ws.title, c.column))
    assert found and {title for title, _ in found} == {"季度轨迹"}
    assert {col for _, col in found} <= set(range(5, 11))  # 一季度 .. 三季度 columns (E..J)
    task_sheet = wb["任务进展"]
    header = [c.value for c in task_sheet[3]]
    assert {"应完成", "距全年目标\n（百分点）", "标识", "四季度进度安排"} <= set(header)
    assert not {"序时进度", "预警", "本季度序时进度安排"} & set(header)
    co_sheet = list(wb["配合单位报送"].iter_rows(min_row=4, values_only=True))
    assert co_sheet and {r[3] for r in co_sheet if r[0]} <= {"已完成", "基本完成", "未完成", "未报送", None}
    k = header.index("配合单位报送")
    co = [row[k] for row in task_sheet.iter_rows(min_row=4, values_only=True) if row[k]]
    assert co and any("（已完成）" in v for v in co)
    brief = docx.Document(data["brief"])
    text = "\n".join(p.text for p in brief.paragraphs) + "".join(
        c.text for t in brief.tables for r in t.rows for c in r.cells)
    assert not any(w in text for w in QUARTERLY_WORDS)
    sheets = sorted((out / "lianyungang-2019" / "2019Q4" / "sheets").glob("*.xlsx"))
    ws = openpyxl.load_workbook(sheets[0])["进展填报"]
    assert [dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"] == [
        '"已完成,基本完成,未完成"']


# ------------------------------------------------------------------ LibreOffice (one conversion)

def test_printed_year_end_briefing_keeps_every_full_stop(run, tmp_path, soffice_available):
    # LibreOffice hung a line-final 。 of a justified paragraph past the margin and dropped it
    # from the PDF (two in the demo's Q4 briefing) until the templates said w:overflowPunct.
    import re
    import shutil
    import subprocess

    from toolkit.render.brief import to_pdf
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    _, data, _ = run
    src = tmp_path / "brief.docx"
    shutil.copy(data["brief"], src)
    pdf = to_pdf(src, src.parent)  # the bundled fonts.conf, as plankit brief --pdf uses
    printed = "".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                     check=True).stdout.split())
    doc = docx.Document(str(src))
    source = "".join(p.text for p in doc.paragraphs) + "".join(
        c.text for t in doc.tables for r in t.rows for c in r.cells)
    sentences = re.findall(r"[^。]{1,12}。", "".join(source.split()))
    assert len(sentences) > 50
    lost = [s for s in sentences if s[:-1] in printed and s not in printed]
    assert lost == [] and printed.count("。") == source.count("。"), lost
