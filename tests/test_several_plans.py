"""Issue 22 item 5: several plans in plans/ — the quarter's year's, else the newest, and say which."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.errors import UsageError
from toolkit.plan.choose import choose_plan, plan_year, quarter_year

PLAN_PATH = Path(__file__).parent.parent / "plans" / "lianyungang-2019.xlsx"


@pytest.fixture
def two_years(tmp_path, monkeypatch):
    """plans/ with the 2019 plan and a blank 2020 plan made by `plan new`, as the manual suggests."""
    (tmp_path / "plans").mkdir()
    shutil.copy(PLAN_PATH, tmp_path / "plans" / "lianyungang-2019.xlsx")
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, ["plan", "new", "plans/next.xlsx", "--year", "2020"])
    assert r.exit_code == 0, r.output
    assert "提示：新计划已在 plans/ 目录中" in r.output and "-q 2020Q1" in r.output
    return tmp_path


def test_year_is_read_from_the_settings_sheet_not_the_name(two_years):
    assert plan_year(two_years / "plans" / "next.xlsx") == 2020
    assert plan_year(two_years / "plans" / "lianyungang-2019.xlsx") == 2019
    assert quarter_year("2019Q2") == 2019 and quarter_year("２０１９年第二季度") == 2019 and quarter_year("Q2") is None


def test_the_quarters_year_else_the_newest(two_years):
    plans = sorted((two_years / "plans").glob("*.xlsx"))
    assert choose_plan(plans, "2019Q2")[0].name == "lianyungang-2019.xlsx"
    assert choose_plan(plans, "Q2") == (two_years / "plans" / "next.xlsx", "年度最新（2020年）")
    assert choose_plan(plans, "2021Q1")[0].name == "next.xlsx"
    shutil.copy(PLAN_PATH, two_years / "plans" / "copy-2019.xlsx")
    with pytest.raises(UsageError, match="有多个计划主表（copy-2019.xlsx、lianyungang-2019.xlsx），年度相同"):
        choose_plan(sorted((two_years / "plans").glob("*.xlsx")), "2019Q2")


def test_commands_without_plan_choose_and_say_which(two_years):
    r = CliRunner().invoke(main, ["status", "-q", "2019Q2"])
    assert r.exit_code == 0, r.output
    assert "提示：plans/ 下有 2 个计划主表，已选用 lianyungang-2019.xlsx（年度 2019 与季度相符）" in r.stderr
    r = CliRunner().invoke(main, ["status", "-q", "2019Q2", "--json"])
    assert r.stdout.lstrip().startswith("{")  # the note goes to stderr, the JSON stays clean


def test_plan_new_outside_plans_suggests_where_to_keep_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, ["plan", "new", "新计划.xlsx", "--year", "2020"])
    assert "提示：建议把新计划保存到 plans/ 目录（例如 plans/新计划.xlsx）" in r.output
