"""The year-end briefing: Q4 uses templates/year_briefing.docx unless --template chooses."""
from __future__ import annotations

from datetime import date

import pytest

from tests.brief_helpers import docx_text
from tests.evaluate_helpers import realistic_quarter
from toolkit.evaluate.judge import evaluate
from toolkit.quarter import Quarter
from toolkit.render import brief as B

ON = date(2020, 1, 15)


@pytest.fixture(scope="module")
def ev(plan):
    return evaluate(plan, Quarter(2019, 4), realistic_quarter(plan, 4))


@pytest.fixture(scope="module")
def made(ev, tmp_path_factory):
    return B.render_brief(ev, tmp_path_factory.mktemp("year"), on=ON, chart=False)


def test_year_end_title_sections_and_only_year_end_words(ev, made):
    assert made.path.name == "2019年民生实事完成情况.docx"
    text = docx_text(made.path)
    lines = text.splitlines()
    assert "2019年民生实事完成情况" in lines
    heads = [h for h in ("一、总体完成情况", "二、分领域完成情况", "三、未完成事项及原因", "四、工作评价", "五、下一步工作")
             if h in lines]
    assert len(heads) == 5
    c = ev.counts
    assert (f"50项民生实事任务中，已完成{c['已完成']}项" in text
            and f"基本完成{c['基本完成']}项（完成全年目标90%以上）" in text and f"未完成{c['未完成']}项" in text)
    for word in ("超序时", "序时推进", "滞后", "{{", "{%"):
        assert word not in text.split("附件")[0].replace("序时进度安排", ""), word


def test_unfinished_tasks_with_percent_and_reason(ev, made):
    text = docx_text(made.path)
    worst = ev.unfinished()[0]
    lead_issue = worst.lead_entry.issues.strip() if worst.lead_entry and worst.lead_entry.issues.strip() else "未说明原因"
    assert f"1．{worst.task.name}（牵头单位：{'、'.join(worst.task.leads)}），" in text
    assert lead_issue.rstrip("。") in text


def test_annex_has_every_task_with_its_year_result(ev, made):
    from docx import Document
    table = Document(str(made.path)).tables[-1]
    assert [c.text for c in table.rows[0].cells] == ["序号", "任务名称", "牵头单位", "全年完成情况", "完成率", "状态"]
    assert len(table.rows) == 51
    row = table.rows[1].cells
    assert row[5].text == ev.tasks[0].status and row[3].text.startswith("改造中小学校舍30/30万平方米；")


def test_annex_rate_of_an_unreported_task_is_a_dash_without_percent(ev, made):
    from docx import Document
    rows = Document(str(made.path)).tables[-1].rows[1:]
    missing = [r.cells[4].text for r in rows if r.cells[5].text == "未报送"]
    assert missing and set(missing) == {"—"}  # it printed "—%"
    assert all(r.cells[4].text.endswith("%") for r in rows if r.cells[5].text != "未报送")


def test_end_block_names_the_plans_own_subject(plan, tmp_path):
    # the 版记 said 市民生实事工作领导小组 in a 民生工程 plan's briefing
    from dataclasses import replace

    from toolkit.model import Plan
    other = Plan(replace(plan.settings, bulletin_name="民生工程工作简报"), plan.tasks, plan.indicators, plan.departments)
    ev = evaluate(other, Quarter(2019, 4), realistic_quarter(other, 4))
    text = docx_text(B.render_brief(ev, tmp_path, on=ON, chart=False).path)
    assert "送：市民生工程工作领导小组成员单位。" in text.splitlines()


def test_template_option_still_chooses(ev, tmp_path):
    quarterly = B.find_template(B.BRIEF_TEMPLATE)
    result = B.render_brief(ev, tmp_path, on=ON, chart=False, template=quarterly)
    assert "一、总体情况" in docx_text(result.path).splitlines()


def test_chart_of_completion_by_domain(ev, tmp_path):
    result = B.render_brief(ev, tmp_path, on=ON)
    if not result.chart:
        pytest.skip("no CJK font")
    assert "图1　2019年各领域民生实事完成情况（项）" in docx_text(result.path)


def test_work_evaluation_quotes_the_assessment(ev, tmp_path):
    rows = [{"rank": 1, "unit": "市教育局", "total": 98.0, "full": 100.0},
            {"rank": 2, "unit": "市卫健委", "total": 90.0, "full": 100.0},
            {"rank": 3, "unit": "市民政局", "total": 70.5, "full": 100.0}]
    result = B.render_brief(ev, tmp_path, on=ON, chart=False, assessment=rows)
    text = docx_text(result.path)
    assert ("对3个责任单位进行了考核，平均得分86.2分。得分较高的是市教育局（98分）、市卫健委（90分）、"
            "市民政局（70.5分）") in text


def test_work_evaluation_counts_a_tie_instead_of_naming_three_of_many(ev, tmp_path):
    # 13 units on 100 points: naming three as "得分较高的是" read as if they alone had the top score
    rows = [{"rank": 1, "unit": f"单位{i}", "total": 100.0, "full": 100.0} for i in range(1, 14)]
    rows += [{"rank": 14, "unit": "市水利局", "total": 60.0, "full": 100.0},
             {"rank": 15, "unit": "市政务办", "total": 56.2, "full": 100.0}]
    text = docx_text(B.render_brief(ev, tmp_path, on=ON, chart=False, assessment=rows).path)
    assert "得分较高的是单位1、单位2、单位3等13个单位（均为100分）；得分较低的是市政务办（56.2分）、市水利局（60分）。" in text


def test_a_name_already_in_quotes_gets_inner_quotes_not_a_second_pair(ev):
    import dataclasses

    from toolkit.render.brief_year import _domain_text, quoted
    assert quoted("实施“雪亮工程”", "新建幼儿园") == "“实施‘雪亮工程’”“新建幼儿园”"
    done = next(r for r in ev.tasks if r.status == ev.statuses[0])
    named = dataclasses.replace(done, task=dataclasses.replace(done.task, name="实施“雪亮工程”"))
    text = _domain_text(ev, [named])
    assert "“实施‘雪亮工程’”" in text and "““" not in text and "””" not in text
