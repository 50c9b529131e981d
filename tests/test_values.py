"""The one normaliser: numbers, units, percents, statuses, dates and text as people type them."""
from __future__ import annotations

import math
from datetime import date, datetime

import pytest

from toolkit.values import (MAX_TEXT, ValueIssue, check_text, clean_text, compare_key, excel_error, parse_amount,
    parse_date, parse_percent, parse_status, to_date)


@pytest.mark.parametrize("typed, unit, expected", [
    (12, "个", 12.0),
    ("１２", "个", 12.0),  # full-width digits
    ("1,234", "个", 1234.0),
    ("1，234", "个", 1234.0),  # full-width comma
    ("5个", "个", 5.0),  # trailing unit equal to the indicator's
    ("30万", "平方米", 300000.0),  # 万 when the unit is the base unit
    ("30万平方米", "平方米", 300000.0),
    ("1.2亿", "元", 1.2e8),
    ("30万平方米", "万平方米", 30.0),  # the unit itself starts with 万
    ("3.5万户", "万户", 3.5),
    ("85%", "%", 85.0),
    ("８５％", "%", 85.0),
    (" 7 ", "个", 7.0),
    ("0", "个", 0.0),
])
def test_amount_accepted(typed, unit, expected):
    value, converted = parse_amount(typed, unit)
    assert value == pytest.approx(expected)
    assert converted is False


@pytest.mark.parametrize("typed, unit, expected", [
    ("7500平方米", "万平方米", 0.75),
    ("1.2亿元", "万元", 12000.0),
])
def test_amount_converted_between_multipliers_is_flagged(typed, unit, expected):
    value, converted = parse_amount(typed, unit)
    assert value == pytest.approx(expected)
    assert converted is True


@pytest.mark.parametrize("typed, unit, reason", [
    ("nan", "个", "not-a-number"),
    ("inf", "个", "not-a-number"),
    ("-inf", "个", "not-a-number"),
    (float("nan"), "个", "not-a-number"),
    (float("inf"), "个", "not-a-number"),
    ("约30", "个", "not-a-number"),
    ("已完成", "个", "not-a-number"),
    ("1e5", "个", "not-a-number"),
    ("1_000", "个", "not-a-number"),  # float() would accept it
    ("١٢", "个", "not-a-number"),  # Arabic-Indic digits: float() would accept them
    ("1,2345", "个", "not-a-number"),
    ("5家", "个", "wrong-unit"),
    ("85%", "个", "wrong-unit"),
    ("－5", "个", "negative"),  # full-width minus
    (-5, "个", "negative"),
    (True, "个", "not-a-number"),
])
def test_amount_rejected(typed, unit, reason):
    with pytest.raises(ValueIssue) as info:
        parse_amount(typed, unit)
    assert info.value.reason == reason


def test_amount_blank_is_none():
    assert parse_amount(None, "个") == (None, False)
    assert parse_amount("  ", "个") == (None, False)


def test_amount_percent_formatted_cell_for_a_percent_indicator():
    assert parse_amount(0.9, "%", percent_format=True) == (90.0, False)
    assert parse_amount(0.9, "个", percent_format=True) == (0.9, False)


@pytest.mark.parametrize("typed, percent_format, expected, ambiguous", [
    (85, False, 85.0, False),  # 85 in a General cell
    (0.85, True, 85.0, False),  # 0.85 in a percent-formatted cell
    ("85%", False, 85.0, False),
    ("８５％", False, 85.0, False),
    ("85", False, 85.0, False),
    (100, False, 100.0, False),
    (0, False, 0.0, False),
    (0.85, False, 0.85, True),  # 0.85 in a General cell: kept, but flagged
    ("0.5", False, 0.5, True),
])
def test_percent(typed, percent_format, expected, ambiguous):
    value, flagged = parse_percent(typed, percent_format=percent_format)
    assert value == pytest.approx(expected)
    assert flagged is ambiguous


@pytest.mark.parametrize("typed, reason", [
    (150, "percent-range"), ("150%", "percent-range"), (1.5, "percent-range"), (-1, "percent-range"),
    ("一半", "not-a-number"), ("nan", "not-a-number"), (math.inf, "not-a-number"),
])
def test_percent_rejected(typed, reason):
    with pytest.raises(ValueIssue) as info:
        parse_percent(typed, percent_format=typed == 1.5)
    assert info.value.reason == reason


@pytest.mark.parametrize("typed, expected", [
    ("已完成", "已完成"), (" 滞后 ", "滞后"), ("按序时", "序时推进"), (None, ""), ("", ""),
])
def test_status(typed, expected):
    assert parse_status(typed) == expected


@pytest.mark.parametrize("typed", ["完成了", "进行中", 1, "已 完成x"])
def test_status_rejected(typed):
    with pytest.raises(ValueIssue):
        parse_status(typed)


@pytest.mark.parametrize("typed, date1904, expected", [
    (45292, False, "2024-01-01"),
    (45292.0, False, "2024-01-01"),
    (43830, True, "2024-01-01"),  # the same day in a 1904-date workbook
    ("2024.1.1", False, "2024-01-01"),
    ("2019年7月5日", False, "2019-07-05"),
    ("2019-07-05", False, "2019-07-05"),
    ("２０１９/7/5", False, "2019-07-05"),
])
def test_dates(typed, date1904, expected):
    assert parse_date(typed, date1904=date1904) == expected


# Every form the one date parser reads; tests/test_plan.py reads each as a 设置 deadline and
# tests/test_brief.py as the CLI's --date.
DATE_FORMS = [
    ("2019-04-10", date(2019, 4, 10)), ("2019/4/10", date(2019, 4, 10)), ("2019.4.10", date(2019, 4, 10)),
    ("2019年4月10日", date(2019, 4, 10)), ("20190410", date(2019, 4, 10)), (20190410, date(2019, 4, 10)),
    (43565, date(2019, 4, 10)), (43565.0, date(2019, 4, 10)), (datetime(2019, 4, 10, 0, 0), date(2019, 4, 10)),
    (date(2019, 4, 10), date(2019, 4, 10)), ("２０１９年４月１０日", date(2019, 4, 10)),
    ("２０１９－０４－１０", date(2019, 4, 10)), (" 2019 年 4 月 10 日 ", date(2019, 4, 10)),
]


@pytest.mark.parametrize("typed, expected", DATE_FORMS)
def test_to_date_every_form(typed, expected):
    assert to_date(typed) == expected
    assert parse_date(typed) == expected.isoformat()


def test_to_date_blank_is_none():
    assert to_date(None) is None and to_date("") is None and to_date("  ") is None and parse_date(None) == ""


@pytest.mark.parametrize("typed", ["下周", "2019.13.1", -3, "2019-02-30", "20191340", "2019410", 1e12,
                                   float("nan"), True, "4月10日", "2019-04"])
def test_to_date_rejected(typed):
    with pytest.raises(ValueIssue):
        to_date(typed)


@pytest.mark.parametrize("typed", ["下周", "2019.13.1", -3, "2019-02-30"])
def test_dates_rejected(typed):
    with pytest.raises(ValueIssue):
        parse_date(typed)


def test_text_artefacts_normalised():
    assert clean_text("a_x000D_b") == "a\nb"
    assert clean_text("a\x0bb\x00c") == "abc"
    assert clean_text("a\r\nb\rc") == "a\nb\nc"
    assert clean_text("  完成，良好  ") == "完成，良好"  # Chinese punctuation is kept in prose
    assert clean_text(3.0) == "3"


def test_text_kept_as_typed():
    for typed in ("007", "NA", "None", "=cmd|' /C calc'!A0", "@SUM(1)"):
        assert check_text(typed) == typed


def test_text_over_excel_limit_is_refused():
    with pytest.raises(ValueIssue) as info:
        check_text("字" * (MAX_TEXT + 1))
    assert info.value.reason == "text-too-long"
    assert check_text("字" * MAX_TEXT)


def test_compare_key_ignores_width_and_spaces():
    assert compare_key("改造 中小学校舍30万平方米") == compare_key("改造中小学校舍３０万平方米")
    assert compare_key(1000.0) == compare_key("1000")


def test_excel_errors():
    assert excel_error("#DIV/0!") == "#DIV/0!"
    assert excel_error("#n/a") == "#N/A"
    assert excel_error("#1 任务") is None
