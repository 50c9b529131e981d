"""Indicator suggestions: quantities, directions, quarterly figures, and measured precision/recall."""
from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.model import GE, LE, Indicator, Task
from toolkit.plan.workbook import read_plan
from toolkit.plan.suggest import (SUGGESTED, compare, find_quantities, merge_suggestions, suggest_plan, suggest_task,
    unit_key)

from .conftest import SOURCE_DIR

SEED = next(SOURCE_DIR.glob("*-seed.txt"))

# Reached on the bundled 2019 plan (161 suggestions, 161 curated indicators, 161 matched).
MIN_PRECISION, MIN_RECALL, MIN_QUARTERS_AGREE = 0.99, 1.0, 129


def quantities(text):
    return [(q.value, q.high, q.unit, q.direction) for q in find_quantities(text)]


@pytest.mark.parametrize("text, expected", [
    ("为三百人培训", [(300, None, "人", GE)]),
    ("新增公共文化空间1.2万平方米", [(1.2, None, "万平方米", GE)]),
    ("投入资金1.2万", [(1.2, None, "万", GE)]),
    ("大班额比例降至5%以内", [(5, None, "%", LE)]),
    ("办学标准比例不低于85%", [(85, None, "%", GE)]),
    ("改造公交车载POS机具500-550台", [(500, 550, "台", GE)]),
    ("城镇新增就业6万人以上", [(6, None, "万人", GE)]),
    ("死亡率不超过两千人", [(2000, None, "人", LE)]),
    ("抽检率控制在3‰以内", [(3, None, "‰", LE)]),
    ("开展全市七万名职工", [(7, None, "万名", GE)]),
    ("自然湿地保护率达到53％", [(53, None, "%", GE)]),
    ("实现9.27万建档立卡低收入人口脱贫", [(9.27, None, "万人", GE)]),
])
def test_quantities(text, expected):
    assert quantities(text) == expected


@pytest.mark.parametrize("text", [
    "开展青年创新创业“三百行动”", "举办第十六届西游记文化节", "PM2.5平均浓度", "对比2015年", "开展“五项行动”",
    "建设“一村一品一店”", "保障随迁子女都有一个公办学校学位", "市二院西院区", "0-6岁儿童",
])
def test_not_quantities(text):
    assert quantities(text) == []


def test_enumerators_are_not_numbers():
    assert quantities("1.举办招聘会120场；2.18所幼儿园") == [(120, None, "场", GE), (18, None, "所", GE)]
    assert [q.name for q in find_quantities("1.举办招聘会120场")] == ["举办招聘会"]
    assert quantities("1.2万人参加；0.5万人次培训") == [(1.2, None, "万人", GE), (0.5, None, "万人次", GE)]


def test_unit_normalisation():
    assert unit_key("万人") == ("人", 10000)
    assert unit_key("名") == ("人", 1)
    assert unit_key("场") == ("场次", 1)
    assert unit_key("％") == ("%", 1)


def _task(target, *milestones):
    return Task(1, "t", target, "", ("甲",), (), milestones)


def test_quarterly_per_quarter_figures_are_accumulated():
    task = _task("城镇新增就业6万人以上。", *["城镇新增就业1.5万人以上。"] * 4)
    [ind] = suggest_task(task)
    assert (ind.name, ind.unit, ind.direction, ind.target) == ("城镇新增就业", "万人", GE, 6)
    assert ind.planned == (1.5, 3, 4.5, 6)
    assert ind.note == f"{SUGGESTED}原文“城镇新增就业6万人以上”；季度数为当季数（1.5/1.5/1.5/1.5），已累计。请确认"


def test_quarterly_cumulative_figures_and_other_units():
    task = _task("整合社会面视频监控1万路。",
                 *(f"累计整合联网{n}路社会视频监控。" for n in ("2000", "5000", "8000", "1万")))
    [ind] = suggest_task(task)
    assert ind.planned == (0.2, 0.5, 0.8, 1)
    assert "季度数为里程碑所写累计数（0.2/0.5/0.8/1）" in ind.note


def test_quarterly_levels_and_unrelated_figures():
    task = _task("婚检率达85%以上。新建幼儿园18所。", "婚检率达85%以上，4所学校开工。", "婚检率达85%以上。",
                 "婚检率达85%以上。", "婚检率达到85%以上。")
    level, schools = suggest_task(task)
    assert level.planned == (85, 85, 85, 85) and "水平值" in level.note
    assert schools.planned == (None, None, None, None)
    assert schools.note.endswith("季度里程碑未给出数值。请确认")


def test_range_takes_the_lower_bound_for_at_least():
    [ind] = suggest_task(_task("改造公交车载POS机具500-550台。", "", "", "", ""))
    assert ind.target == 500 and "区间取下限" in ind.note


def test_compare_matches_task_target_direction_and_normalised_unit():
    curated = [Indicator(1, "a", "路", GE, 10000, (None,) * 4), Indicator(1, "b", "%", LE, 5, (None,) * 4)]
    good = Indicator(1, "x", "万路", GE, 1, (None,) * 4)
    wrong_way = Indicator(1, "y", "%", GE, 5, (None,) * 4)
    other_task = Indicator(2, "z", "路", GE, 10000, (None,) * 4)
    result = compare([good, wrong_way, other_task], curated)
    assert (result["matched"], result["precision"], result["recall"]) == (1, 1 / 3, 1 / 2)
    assert compare([good, good], curated)["matched"] == 1  # a curated indicator matches once


def test_precision_and_recall_on_the_bundled_plan(plan):
    result = compare(suggest_plan(plan), plan.indicators)
    assert result["curated"] == 161
    assert result["precision"] >= MIN_PRECISION, result
    assert result["recall"] >= MIN_RECALL, result
    assert result["quarters_agree"] >= MIN_QUARTERS_AGREE, result


def test_merge_keeps_existing_and_skips_covered(plan):
    existing = plan.indicators_for_task(10)
    merged = merge_suggestions(existing, [i for i in suggest_plan(plan) if i.task_no == 10])
    assert merged[:len(existing)] == existing
    assert merged == existing  # every task-10 suggestion is already curated


def test_cli_suggest_lists_only_what_is_new(plan_path):
    result = CliRunner().invoke(main, ["plan", "suggest", str(plan_path)])
    assert result.exit_code == 0, result.output
    # the one extra suggestion of earlier rounds (未成年人10万元以上部分报销比例…) is a threshold, no longer suggested
    assert "建议指标 0 个（已有指标 161 个，相同的不再列出）。" in result.output
    assert "未成年人" not in result.output


def test_cli_suggest_write_fills_an_imported_plan(tmp_path):
    out = tmp_path / "p.xlsx"
    runner = CliRunner()
    assert runner.invoke(main, ["plan", "import", str(SEED), "-o", str(out), "--no-suggest"]).exit_code == 1
    assert read_plan(out).plan.indicators == []
    result = runner.invoke(main, ["plan", "suggest", str(out), "--write"])
    assert result.exit_code == 0, result.output
    assert "已写入" in result.output
    read = read_plan(out)
    assert len(read.plan.indicators) == 161
    assert len(read.plan.tasks) == 50
    assert {p.code for p in read.report.errors} == {"plan-empty-field"}
    again = runner.invoke(main, ["plan", "suggest", str(out), "--json"])
    assert '"suggestions": []' in again.stdout


def test_cli_suggest_write_refuses_when_a_rewrite_would_lose_cells(tmp_path, plan_path):
    import openpyxl
    path = tmp_path / "p.xlsx"
    shutil.copy(plan_path, path)
    wb = openpyxl.load_workbook(path)
    wb["指标"]["E2"] = "三十万"  # not a number: a rewrite would lose it
    wb.save(path)
    before = path.read_bytes()
    result = CliRunner().invoke(main, ["plan", "suggest", str(path), "--write"])
    assert result.exit_code == 2
    assert "计划主表有以下错误，重写文件会丢失这些单元格的内容，未写入：" in result.output
    assert path.read_bytes() == before
