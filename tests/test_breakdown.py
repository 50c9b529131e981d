"""Targets broken down by unit (分解): the plan sheet and its checks, the units' fill-in rows,
the per-unit judgement and the 全市 roll-up, the 地区 × 指标 report sheet — on a plan built from
眉山's published 2019 完成情况表 (tests/fixtures/meishan_2019.py)."""
from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import docx
import openpyxl
from click.testing import CliRunner

import toolkit
from toolkit.cli import main
from toolkit.demo.simulate import fill_return
from toolkit.evaluate.breakdown import breakdown_groups, lagging_units
from toolkit.fillin import layout as L
from toolkit.model import LE, UnitTarget, sums_across_units
from toolkit.plan.workbook import read_plan, write_plan

from .conftest import FIXTURES

_spec = importlib.util.spec_from_file_location("meishan_2019", FIXTURES / "meishan_2019.py")
assert _spec and _spec.loader
MS = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(MS)
PATH: Path = MS.PATH
DONE: dict = MS.PUBLISHED_DONE


def codes(read) -> list[str]:
    return [p.code for p in read.report.problems]


# ---------------------------------------------------------------- the plan

def test_fixture_is_the_published_table_and_checks_clean():
    read = read_plan(PATH)
    assert read.report.problems == []
    plan = read.plan
    jobs = next(i for i in plan.indicators if i.name == "城镇新增就业")
    shares = {u.unit: u.target for u in plan.unit_targets(jobs)}
    assert shares == {"东坡区": 8000, "彭山区": 3800, "仁寿县": 8600, "洪雅县": 3600, "丹棱县": 1900, "青神县": 1900}
    assert sum(shares.values()) == jobs.target == 27800
    assert MS.build().fingerprint == plan.fingerprint  # the committed workbook is the builder's


def test_fixture_workbook_is_reproducible(tmp_path):
    path = write_plan(MS.build(), tmp_path / "again.xlsx")
    assert read_plan(path).plan.breakdown == read_plan(PATH).plan.breakdown


def test_sum_rule_and_override():
    plan = read_plan(PATH).plan
    rate = next(i for i in plan.indicators if i.name == "城镇登记失业率")
    jobs = next(i for i in plan.indicators if i.name == "城镇新增就业")
    assert rate.direction == LE and not plan.sums_units(rate) and plan.sums_units(jobs)
    for unit, sums in (("个", True), ("万元", True), ("%", False), ("元/月/人", False), ("人次", True)):
        assert sums_across_units(dataclasses.replace(jobs, unit=unit)) is sums, unit
    assert not sums_across_units(dataclasses.replace(jobs, name="农村自来水普及率", unit=""))
    assert sums_across_units(rate, "求和") and not sums_across_units(jobs, "不汇总")


def test_breakdown_changes_the_fingerprint_only_when_present(plan):
    built = MS.build()
    bare = MS.build()
    bare.breakdown = []
    assert bare.fingerprint != built.fingerprint
    assert plan.fingerprint == "b1f387a5b9b98d54"  # the bundled plan's, as before the 分解 sheet existed


def _edited(tmp_path: Path, rows: list[tuple]) -> Path:
    """The fixture with extra 分解 rows appended (序号, 指标名称, 责任单位, 全年目标, Q1..Q4, 汇总方式)."""
    wb = openpyxl.load_workbook(PATH)
    for row in rows:
        wb["分解"].append(list(row))
    path = tmp_path / "edited.xlsx"
    wb.save(path)
    return path


def test_check_reports_each_problem_at_its_cell(tmp_path):
    path = _edited(tmp_path, [
        (1, "城镇新增就业人数", "东坡区", 10),            # unknown indicator
        (1, "就业困难人员就业", "眉山天府新区", 0),       # unknown unit (not in 部门) — and the sum still holds
        (1, "城镇失业人员再就业", "东坡区", 5),           # unit listed twice
        (1, "下岗失业人员再就业", "丹棱县", "三十"),      # not a number
        # a ≤ figure rising: wrong way; and a bad 汇总方式
        (1, "城镇登记失业率", "市本级", 4.3, 4.0, 4.2, 4.3, 4.3, "按平均"),
    ])
    read = read_plan(path)
    found = {p.code: p for p in read.report.problems}
    assert set(found) == {"breakdown-unknown-indicator", "breakdown-unknown-unit", "breakdown-duplicate-unit",
                          "breakdown-bad-number", "breakdown-wrong-way", "breakdown-bad-how"}
    assert found["breakdown-unknown-indicator"].location == "分解!B33"
    assert found["breakdown-unknown-unit"].message.startswith("责任单位“眉山天府新区”不在“部门”工作表中")
    duplicate = found["breakdown-duplicate-unit"].message
    assert "第1项指标“城镇失业人员再就业”的责任单位“东坡区”重复出现（另见第" in duplicate
    assert found["breakdown-bad-number"].location == "分解!D36"
    assert found["breakdown-wrong-way"].location == "分解!F37"
    assert found["breakdown-bad-how"].location == "分解!I37"


def test_sum_differs_is_an_error_for_additive_units_only(tmp_path):
    wb = openpyxl.load_workbook(PATH)
    ws = wb["分解"]
    for row in ws.iter_rows(min_row=2):
        if row[1].value in ("城镇新增就业", "城镇登记失业率") and row[2].value == "东坡区":
            row[3].value = 9000 if row[1].value == "城镇新增就业" else 5.0
    wb.save(tmp_path / "sum.xlsx")
    read = read_plan(tmp_path / "sum.xlsx")
    assert codes(read) == ["breakdown-sum-differs"]
    assert read.report.problems[0].message.startswith(
        "第1项指标“城镇新增就业”各单位全年目标合计28800人，与“指标”表的全年目标27800人不一致（6个单位）。")
    assert read.report.problems[0].location == "分解!D2"

    for row in ws.iter_rows(min_row=2):
        if row[1].value == "城镇新增就业":
            row[8].value = "不汇总"
        if row[1].value == "城镇登记失业率" and row[2].value == "东坡区":
            row[8].value = "求和"
    wb.save(tmp_path / "override.xlsx")
    read = read_plan(tmp_path / "override.xlsx")
    messages = [p.message for p in read.report.problems]
    assert codes(read) == ["breakdown-sum-differs"] and "城镇登记失业率" in messages[0]


def test_cli_check_counts_the_units_rows():
    result = CliRunner().invoke(main, ["plan", "check", str(PATH), "--json"])
    assert result.exit_code == 0, result.output
    per = __import__("json").loads(result.stdout)["per_department"]
    # a county fills in its share of 5 indicators; the lead keeps only the rate (a sum is never typed)
    assert per["东坡区"]["indicators"] == 5 and per["市本级"]["indicators"] == 1
    assert per["市人力资源社会保障局"]["indicators"] == 1 and per["市总工会"]["indicators"] == 0


# ---------------------------------------------------------------- sheets, merge, judgement, report

def _rows(path: Path) -> dict[str, dict[str, object]]:
    ws = openpyxl.load_workbook(path, read_only=True)[L.INDICATOR_SHEET]
    rows = list(ws.iter_rows(min_row=L.HEADER_ROW, values_only=True))
    head = [str(h) for h in rows[0]]
    return {str(r[head.index(L.ROW_KEY_HEADER)]): dict(zip(head, r)) for r in rows[1:] if r[-1]}


def _quarter(tmp_path: Path, quarter: str, values, skip=()):
    """sheets → returns filled with values(unit, indicator) → merge; returns (plan, out, sheets)."""
    plan = toolkit.load_plan(PATH)
    out = tmp_path / "out"
    sheets = toolkit.generate_sheets(plan, quarter, out)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for s in sheets:
        if s.department in skip:
            continue
        keys = [k for k in _rows(s.path)]
        filled = {k: values(s.department, k.split(":", 1)[1]) for k in keys}
        fill_return(s.path, fill_all=True, indicators=filled, out=inbox / s.path.name)
    result = toolkit.merge(plan, quarter, out, inbox)
    assert result.ok and result.count("accepted") == len(sheets) - len(skip)
    return plan, out, sheets


def test_each_unit_fills_in_its_own_share(tmp_path):
    plan = toolkit.load_plan(PATH)
    sheets = {s.department: s for s in toolkit.generate_sheets(plan, "2019Q2", tmp_path)}
    dongpo = _rows(sheets["东坡区"].path)
    assert dongpo["I1:城镇新增就业"][L.I_TARGET] == 8000 and dongpo["I1:城镇新增就业"][L.I_PLANNED] == 4000
    assert dongpo["I1:城镇登记失业率"][L.I_TARGET] == 4.3
    assert set(_rows(sheets["市人力资源社会保障局"].path)) == {"I1:城镇登记失业率"}
    assert _rows(sheets["市本级"].path)["I1:下岗失业人员再就业"][L.I_TARGET] == 60
    assert sheets["市总工会"].indicators == 0


def _published(unit: str, name: str) -> float:
    if unit == "市人力资源社会保障局":
        return 3.57  # the published 全市 rate
    return DONE[name][unit]


def test_whole_year_end_quarter_totals_equal_the_sum_of_the_units(tmp_path):
    plan, out, _ = _quarter(tmp_path, "2019Q4", _published)
    ev = toolkit.evaluate_quarter(plan, "2019Q4", out)
    totals = {r.indicator.name: r for r in ev.tasks[0].indicators}
    for name, per_unit in DONE.items():
        if name != "城镇登记失业率":
            assert totals[name].actual == sum(per_unit.values())
            assert totals[name].coverage == f"{len(per_unit)}/{len(per_unit)}个单位"
    assert totals["城镇新增就业"].actual == 52242 and totals["城镇新增就业"].completion == 187.9  # as published
    assert totals["城镇登记失业率"].actual == 3.57  # a rate is not summed: the lead's 全市 figure
    group = breakdown_groups(ev)[0]
    jobs = next(i for i in group.items if i.indicator.name == "城镇新增就业")
    assert [(u.department, u.completion) for u in jobs.units] == [  # as published
        ("东坡区", 286.5), ("彭山区", 161.5), ("仁寿县", 142.4), ("洪雅县", 108.0), ("丹棱县", 159.4),
        ("青神县", 211.6)]
    assert [u.department for u in jobs.ranking()][:2] == ["东坡区", "青神县"]

    report = toolkit.build_report(plan, "2019Q4", out)
    ws = openpyxl.load_workbook(report.path, read_only=True)["分解1-促进城乡劳动者就业创业"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    header = rows[2]
    col = header.index("城镇新增就业（人）")
    total = next(r for r in rows if r[0] == "全市")
    assert total[col:col + 3] == [27800, 52242, 187.9]
    units = [r for r in rows[rows.index(total) + 1:] if r[0] in MS.COUNTIES]
    assert sum(r[col + 1] for r in units[:6]) == total[col + 1]
    brief = toolkit.write_brief(plan, "2019Q4", out, chart=False)
    assert brief.path.is_file()


def test_a_lagging_and_a_missing_unit(tmp_path):
    def values(unit, name):
        if unit == "市人力资源社会保障局":
            return 3.7
        if name == "城镇登记失业率":
            return 4.5 if unit == "洪雅县" else 3.6
        share = next(u for u in toolkit.load_plan(PATH).breakdown if u.unit == unit and u.name == name)
        return round(share.target * (0.3 if unit == "洪雅县" else 0.5))

    plan, out, _ = _quarter(tmp_path, "2019Q2", values, skip=("青神县",))
    ev = toolkit.evaluate_quarter(plan, "2019Q2", out)
    jobs = next(r for r in ev.tasks[0].indicators if r.indicator.name == "城镇新增就业")
    assert jobs.coverage == "5/6个单位" and jobs.actual == 4000 + 1900 + 4300 + 1080 + 950
    group = breakdown_groups(ev)[0]
    item = next(i for i in group.items if i.indicator.name == "城镇新增就业")
    assert [u.department for u in item.lagging] == ["洪雅县"] and item.missing == ["青神县"]
    assert set(lagging_units([group])) == {"洪雅县"}
    report = toolkit.build_report(plan, "2019Q2", out)
    rows = [list(r) for r in openpyxl.load_workbook(report.path, read_only=True)[
        "分解1-促进城乡劳动者就业创业"].iter_rows(values_only=True)]
    hongya = next(r for r in rows if r[0] == "洪雅县")
    assert "城镇新增就业（落后20.0个百分点）" in hongya[-2] and "城镇登记失业率" in hongya[-2]
    qingshen = next(r for r in rows if r[0] == "青神县")
    assert "未报送" in qingshen and qingshen[-1] == "未报送"
    total = next(r for r in rows if r[0] == "全市")
    assert "城镇新增就业：5/6个单位" in total[-1]

    # next quarter's workbooks show each unit its own previous figure
    from toolkit.store.db import load_quarter
    previous = load_quarter(plan, toolkit.Quarter(2019, 2), out)
    q3 = {s.department: s for s in toolkit.generate_sheets(plan, "2019Q3", out, previous=previous)}
    assert _rows(q3["东坡区"].path)["I1:城镇新增就业"][L.I_PREVIOUS] == 4000
    assert _rows(q3["洪雅县"].path)["I1:城镇新增就业"][L.I_PREVIOUS] == 1080

    brief = toolkit.write_brief(plan, "2019Q2", out, chart=False, per_dept=True)
    text = "\n".join(p.text for p in docx.Document(str(brief.path)).paragraphs)
    assert "（括号内为完成本单位全年目标的比例）：城镇新增就业：洪雅县（30%）；" in text
    notice = next(p for p in brief.notices if "洪雅县" in p.name)
    text = "\n".join(p.text for p in docx.Document(str(notice)).paragraphs)
    assert "你单位承担的5个分解指标进度滞后于序时进度" in text
    assert "累计完成1080人，为本单位全年目标3600人的30%，序时进度50%，低于序时进度20个百分点" in text


def test_plan_without_breakdown_is_unchanged(plan):
    assert plan.breakdown == [] and all(plan.indicator_rows_for(d) == plan.indicators_for(d)
                                        for d in plan.department_names())


def test_unit_target_as_indicator():
    plan = MS.build()
    jobs = plan.indicators[0]
    share = UnitTarget(1, jobs.name, "东坡区", 8000.0, (1000.0, None, None, None))
    ind = share.indicator(jobs)
    assert ind.key == jobs.key and ind.owner == "东坡区" and ind.planned_at(1) == 1000 and ind.planned_at(2) == 4000


def test_plan_new_has_the_sheet_with_examples_that_are_not_read(tmp_path):
    from toolkit.plan.blank import write_blank
    path = write_blank(tmp_path / "blank.xlsx", year=2020)
    wb = openpyxl.load_workbook(path)
    assert [c.value for c in wb["分解"][1]] == ["序号", "指标名称", "责任单位", "全年目标", "一季度末", "二季度末",
                                              "三季度末", "四季度末", "汇总方式"]
    read = read_plan(path)
    assert read.plan.breakdown == [] and not [p for p in read.report.problems if p.code.startswith("breakdown")]


def _published_table(path: Path) -> Path:
    """The 2019 完成情况表's shape: 地区 rows, per indicator 目标/进度/完成比例(%) under a merged header."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["地区", "★城镇新增就业(人)", None, None, "城镇登记失业率低于(%)", None, None,
               "下岗失业人员再就业(人)", None, None, "城乡居民养老保险参保(万人)"])
    ws.append([None, *(["目标", "进度", "完成比例(%)"] * 3), "目标"])
    for rng in ("A1:A2", "B1:D1", "E1:G1", "H1:J1"):
        ws.merge_cells(rng)
    ws.append(["全市", 27800, 52242, 187.9, 4.3, 3.57, None, 400, 1089, 272.3])
    ws.append(["市本级", None, None, None, None, None, None, 60, 577, 961.7])
    ws.append(["眉山天府新区"])
    for unit in MS.COUNTIES:
        t = MS.TABLE
        jobs, laid_off = t["城镇新增就业"][5][unit][0], t["下岗失业人员再就业"][5][unit][0]
        ws.append([unit, jobs, 1, 1, "4.3%以内", 1, 1, laid_off, 1, 1])
    wb.save(path)
    return path


def test_plan_breakdown_imports_a_published_table(tmp_path):
    table = _published_table(tmp_path / "表.xlsx")
    wb = openpyxl.load_workbook(PATH)
    del wb["分解"]
    wb.save(tmp_path / "plan.xlsx")
    result = CliRunner().invoke(main, ["plan", "breakdown", str(table), str(tmp_path / "plan.xlsx"), "--write"])
    assert result.exit_code == 0, result.output
    assert "第1项 城镇新增就业：6个单位，合计27800" in result.output
    assert "列“城乡居民养老保险参保(万人)”：计划“指标”表中没有同名指标，未导入" in result.output
    read = read_plan(tmp_path / "plan.xlsx")
    assert read.report.problems == []
    imported = {(s.name, s.unit): s.target for s in read.plan.breakdown}
    assert imported[("城镇登记失业率", "洪雅县")] == 4.3 and imported[("下岗失业人员再就业", "市本级")] == 60
    assert len(imported) == 6 + 6 + 7 and "眉山天府新区" not in {u for _, u in imported}


def test_sheets_on_two_processes_are_the_same_set_in_plan_order(tmp_path, monkeypatch, plan):
    import toolkit.fillin.generate as G
    monkeypatch.setattr(G, "PARALLEL_FROM", 2)  # the bundled plan's 26 workbooks, forked as a national run is
    calls = []
    parallel = G.generate_sheets(plan, "2019Q2", tmp_path / "p", progress=lambda i, n, d: calls.append((i, d)))
    monkeypatch.setattr(G, "PARALLEL_FROM", 10**9)
    sequential = G.generate_sheets(plan, "2019Q2", tmp_path / "s")
    assert [(s.department, s.tasks, s.indicators, s.path.name) for s in parallel] == \
        [(s.department, s.tasks, s.indicators, s.path.name) for s in sequential]
    assert [d for _, d in calls] == plan.department_names() and all(s.path.is_file() for s in parallel)
    assert len({s.file_id for s in parallel}) == len(parallel)
