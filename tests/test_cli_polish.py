"""What a new user meets first: an empty inbox, bare `plankit`, a wrong quarter, wrapped help,
long problems on screen, and the merge-run counts in status."""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import click.formatting
import pytest
from click.testing import CliRunner

from tests.merge_helpers import LATE, ON_TIME, fake_return, use_fake_reader, write
from toolkit.cli import main
from toolkit.cli.demo import _shorten
from toolkit.cli.zh import _display_width
from toolkit.intake.merge import NothingToMerge, merge
from toolkit.intake.receipt import quarter_status
from toolkit.quarter import Quarter, quarter_text_ok
from toolkit.resources import bundled_plan

Q2 = Quarter(2019, 2)
EMPTY = ("错误：在 收件箱 中没有找到任何文件，没有合并，也没有记录本次合并。请检查路径是否写对、报回的附件是否已保存到"
         "该文件夹（可以把文件夹直接拖进命令行窗口，路径会自动填入）。\n")


@pytest.mark.parametrize("subfolder", [False, True])
def test_merging_an_empty_folder_says_so_exits_1_and_records_nothing(subfolder):
    runner = CliRunner()
    with runner.isolated_filesystem() as here:
        inbox = Path(here) / "收件箱"
        inbox.mkdir()
        if subfolder:
            (inbox / "2019Q2").mkdir()
        result = runner.invoke(main, ["merge", "--plan", str(bundled_plan()), "-q", "Q2", "收件箱/"])
        assert result.exit_code == 1
        assert result.output == EMPTY
        assert not (Path(here) / "out").exists()  # no store, no run, no receipt


def test_library_merge_of_empty_folders_raises_and_writes_nothing(tmp_path, plan, each_store):
    from toolkit.store.location import resolve
    (tmp_path / "a").mkdir()
    with pytest.raises(NothingToMerge) as exc:
        merge(plan, Q2, tmp_path / "out", [tmp_path / "a"])
    assert exc.value.exit_code == 1 and exc.value.code == "file-not-found"
    assert not (tmp_path / "out").exists() and not resolve(plan, tmp_path / "out").exists()


@pytest.mark.parametrize("args", [[], ["plan"]])
def test_bare_plankit_prints_the_help_and_exits_0(args):
    result = CliRunner().invoke(main, args, prog_name="plankit")
    assert result.exit_code == 0
    assert result.output.startswith(f"用法: plankit {' '.join(args) + ' ' if args else ''}[选项] 命令 [参数]...\n")
    assert "错误" not in result.output and "\n命令:\n" in result.output


@pytest.mark.parametrize("command", [["report"], ["sheets"], ["status"], ["merge", "收件箱"]])
def test_a_wrong_quarter_is_said_without_the_plan_notice(command):
    runner = CliRunner()
    with runner.isolated_filesystem():
        result = runner.invoke(main, [*command, "-q", "2020Q5"])
    assert result.exit_code == 2
    assert result.output == "错误：季度“2020Q5”超出范围：季度只能是1到4。\n"


def test_the_plan_notice_still_shows_with_a_good_quarter():
    runner = CliRunner()
    with runner.isolated_filesystem():
        result = runner.invoke(main, ["status", "-q", "Q2"])
    assert result.exit_code == 0
    assert result.output.startswith("未指定计划主表，且 plans/ 目录下没有 .xlsx 文件，使用随附的示例计划：")


def test_quarter_text_ok():
    assert all(quarter_text_ok(t) for t in ("2019Q2", "Q2", "2", "二季度", "２０１９Ｑ４"))
    assert not any(quarter_text_ok(t) for t in ("2020Q5", "Q0", "季度", "明年"))


TEXT = ("收到时间（附件是另存的、文件时间不准时用）：2019-07-08 14:30 为整批；文件名=2019-07-08 为单个文件"
        "（或文件夹名=时间，为该文件夹中的文件）；也可给一个 .csv（每行：文件名,收到时间）。"
        "计划主表（默认：plans/ 下的 .xlsx，有多个时选年度与季度相符的）。")


@pytest.mark.parametrize("width", range(12, 90, 3))
def test_help_wraps_between_chinese_characters_or_at_spaces_never_inside_a_word(width):
    lines = click.formatting.wrap_text(TEXT, width).splitlines()
    words = [w for line in lines for w in re.findall(r"[!-~]+", line)]
    assert words == re.findall(r"[!-~]+", TEXT)  # every ASCII word whole, on one line
    assert all(_display_width(line) <= width for line in lines)  # counting a Chinese character as two
    assert not any(line.lstrip().startswith(("，", "。", "）", "；")) for line in lines)


def test_merge_help_keeps_csv_and_xlsx_whole():
    output = CliRunner().invoke(main, ["merge", "-h"], prog_name="plankit").output
    assert ".csv（每行" in output or ".csv\n" in output
    assert "plans/ 下的" in output and re.search(r"(^|\s)\.xlsx", output)
    assert not re.search(r"\.c\n|\.xl\n", output)


def test_a_long_problem_on_screen_ends_with_an_ellipsis_and_says_where_the_full_text_is():
    long = "计划内容被修改：" + "加强生活垃圾管理。" * 20
    shown = _shorten(long, Path("out/demo"), "2019Q2", "市城管局")
    assert shown == long[:90] + "……（完整内容：plankit status --out out/demo -q 2019Q2 -d 市城管局）"
    assert _shorten("未填写：填报日期。", Path("out"), "2019Q2", "市民政局") == "未填写：填报日期。"


def test_a_runs_accepted_count_is_the_files_in_use_as_status_counts(tmp_path, plan, monkeypatch, each_store):
    use_fake_reader(monkeypatch)
    out = tmp_path / "out"
    merge(plan, Q2, out, [write(tmp_path / "a" / "jy1.xlsx", fake_return("市教育局", percent=40), ON_TIME),
                          write(tmp_path / "a" / "cz.xlsx", fake_return("市财政局"), ON_TIME)])
    merge(plan, Q2, out, [write(tmp_path / "b" / "jy2.xlsx", fake_return("市教育局", percent=60), LATE),
                          write(tmp_path / "b" / "jy0.xlsx", fake_return("市教育局", percent=5), datetime(2019, 7, 1))])
    data = quarter_status(plan, Q2, out, None)
    assert len(data["returns"]) == 2
    assert [(r["files"], r["accepted"]) for r in data["runs"]] == [(2, 1), (2, 1)]
    assert sum(r["accepted"] for r in data["runs"]) == len(data["returns"])
