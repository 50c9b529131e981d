"""The whole quarter end to end: `plankit demo` runs the real cycle on the bundled plan."""
from __future__ import annotations

import json
import shutil

import docx
import openpyxl
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.evaluate.judge import STATUSES_EVAL


def test_demo_runs_the_whole_quarter(tmp_path):
    out = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--out", str(out), "--no-pdf", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    outcomes = {}
    for f in data["files"]:
        outcomes.setdefault(f["outcome"], []).append(f["department"])
    assert outcomes["rejected"] == ["市城管局"]
    assert outcomes["superseded"] == ["市民政局"]
    assert sorted(data["missing"]) == sorted(["市城管局", "市政务办", "市水利局"])
    assert data["late"] == ["市体育局"]
    # The return that came by email is listed under its attachment's own name, with its sender.
    by_mail = next(f for f in data["files"] if f["department"] == "市卫健委")
    assert by_mail["path"].endswith(".xlsx") and "dept" in by_mail["sender"]
    rejected = next(f for f in data["files"] if f["outcome"] == "rejected")
    assert any("（已基本完成）" in p["message"] or "(已基本完成)" in p["message"] for p in rejected["problems"])
    # Every status appears, and the counts cover all 50 tasks.
    assert all(data["counts"][s] > 0 for s in STATUSES_EVAL)
    assert sum(data["counts"].values()) == 50
    report = openpyxl.load_workbook(data["report"], read_only=True)
    assert {"总览", "任务进展", "滞后事项"} <= set(report.sheetnames)
    text = "\n".join(p.text for p in docx.Document(data["brief"]).paragraphs)
    assert "总体情况" in text and "进度滞后的事项" in text
    assert shutil.which("soffice") is None or data["pdf"] is None  # --no-pdf honoured


def test_demo_on_a_plan_with_targets_broken_down_by_unit(tmp_path):
    # It stopped with a KeyError traceback: the simulated clerks filled the owner's total row,
    # not each unit's share that the 分解 puts in the units' workbooks.
    from tests.conftest import FIXTURES
    out = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--out", str(out), "--no-pdf", "--json", "-q", "Q2",
                                       "--plan", str(FIXTURES / "meishan-2019-breakdown.xlsx")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["files"] and {f["outcome"] for f in data["files"]} == {"accepted"}
    if shutil.which("soffice"):  # the bundled plan's re-saved return is not in this plan: no false "not installed"
        assert "未安装LibreOffice" not in result.stderr


def test_demo_refuses_to_wipe_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "mine.txt").write_text("重要文件", encoding="utf-8")
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert (f"错误：目录 {tmp_path} 已存在且不是演示目录，为避免误删，演示不会使用它。"
            "请用 --out 指定一个新目录。") in result.output
    assert (tmp_path / "mine.txt").exists()


def test_demo_needs_at_least_q2(tmp_path):
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path / "d"), "-q", "1"])
    assert result.exit_code == 2
    assert "演示至少需要到第二季度" in result.output
