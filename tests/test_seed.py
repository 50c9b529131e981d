"""Parsing the PDF text extraction of a published plan."""
import pytest

from toolkit.errors import PlanError
from toolkit.plan.seed import normalise_spaces, parse_seed

MINI = (" 2019 年某市 2 件实事方案 \n序\n号 目标任务 \n\n序时进度 \n第一季度 第二季度 第三季度 第四季度 \n\n"
        "1 \n\n改善办学条件。改造校舍 30 \n万平方米。 \n\n一季度\n安排。 \n\n二 \n\n三 \n\n四 \n\n"
        " 序\n号 目标任务 \n\n"
        "2 \n\n目标二。 \n\n甲 \n\n乙 \n\n丙 \n\n丁 \n\n")


def test_cells_end_at_trailing_space_and_headers_are_noise():
    # "30 \n万平方米" ends a cell in the middle: the mini text is built so that it does not.
    text = MINI.replace("改造校舍 30 \n万平方米。 ", "改造校舍 30\n万平方米。 ")
    title, tasks = parse_seed(text)
    assert title == "2019年某市2件实事方案"
    assert [t.no for t in tasks] == [1, 2]
    assert tasks[0].target == "改善办学条件。改造校舍30万平方米。"
    assert tasks[0].milestones == ("一季度安排。", "二", "三", "四")
    assert tasks[0].name == "改善办学条件"


def test_wrong_cell_count_is_a_clear_error():
    with pytest.raises(PlanError, match="第1项应有5栏"):
        parse_seed(MINI)


@pytest.mark.parametrize("raw,clean", [
    ("改造中小学校舍 30 万平方米", "改造中小学校舍30万平方米"),
    ("ALC 板墙", "ALC板墙"),
    ("开通率达到 90 %以上", "开通率达到90%以上"),
    ("2. 18所", "2. 18所"),
    ("PM 2.5", "PM 2.5"),
])
def test_normalise_spaces(raw, clean):
    assert normalise_spaces(raw) == clean
