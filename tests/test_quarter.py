"""Quarter parsing as users type it."""
import pytest

from toolkit.errors import UsageError
from toolkit.model import Settings
from toolkit.quarter import Quarter, parse_quarter


@pytest.mark.parametrize("text", ["2019Q2", "q2", "Q2", "2", "二季度", "第二季度",
                                  "2019年第二季度", "２０１９Ｑ２", " 2 "])
def test_accepted_forms(text):
    assert parse_quarter(text, 2019) == Quarter(2019, 2)


def test_label_and_previous():
    q = parse_quarter("Q3", 2019)
    assert q.label == "2019年第三季度" and q.code == "2019Q3"
    assert q.previous == Quarter(2019, 2)
    assert Quarter(2019, 1).previous is None


@pytest.mark.parametrize("text,message", [
    ("5", "季度“5”超出范围：季度只能是1到4。"),
    ("Q0", "季度“Q0”超出范围：季度只能是1到4。"),
    ("2020Q1", "季度“2020Q1”不属于本计划的年度（2019年）。请写成 2019Q1 或只写 Q1。"),
    ("下季度", "无法识别季度“下季度”。可写成 2019Q2、Q2、2 或 二季度。"),
])
def test_rejected_forms(text, message):
    with pytest.raises(UsageError) as err:
        parse_quarter(text, 2019)
    assert str(err.value) == message


def test_deadline_from_days_or_dates():
    from datetime import date
    s = Settings(title="t", year=2019, deadline_days=10)
    assert s.deadline(2) == date(2019, 7, 10)
    assert s.deadline(4) == date(2020, 1, 10)
    s = Settings(title="t", year=2019, deadline_dates=(None, date(2019, 7, 5), None, None))
    assert s.deadline(2) == date(2019, 7, 5)
