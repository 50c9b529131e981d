"""A return's indicator rows read from the store as columns (returns.IndicatorRows, issue 17):
the same entries, the same lookups and equality as the list of IndicatorEntry they replace."""
from __future__ import annotations

import pickle
from dataclasses import astuple

from toolkit.returns import IndicatorEntry, IndicatorRows, QuarterReturns, Return
from datetime import datetime


def _entries(dept="甲区", notes=("", "数据来源：台账", "", "")):
    return [IndicatorEntry(1, "新建幼儿园", dept, 5.0, notes[0], "指标填报!G5", "value=G5;note=H5"),
            IndicatorEntry(1, "新增学位", dept, None, notes[1], "指标填报!G6", "value=G6;note=H6"),
            IndicatorEntry(2, "新建幼儿园", dept, 7.5, notes[2], "指标填报!G7", ""),  # same name, other task
            IndicatorEntry(1, "新建幼儿园", dept, 9.0, notes[3], "指标填报!G8", "")]  # repeated: the first wins


def _rows(entries, shapes=None):
    columns = [list(c) for c in zip(*map(astuple, entries))] if entries else [[] for _ in range(7)]
    return IndicatorRows.build(*columns, shapes={} if shapes is None else shapes)


def _quarter(indicators):
    ret = Return("甲区", "2019Q2", datetime(2019, 7, 1), True, "0" * 64, "f.xlsx", indicators=indicators)
    return QuarterReturns("2019Q2", ["甲区"], {"甲区": ret})


def test_rows_equal_the_entries_they_hold():
    entries = _entries()
    rows = _rows(entries)
    assert isinstance(rows, IndicatorRows)
    assert rows == entries and list(rows) == entries and len(rows) == 4
    assert rows[1].value is None and rows[-1] == entries[-1] and rows[1:3] == entries[1:3]
    assert rows != entries[:3]


def test_lookups_match_a_plain_list():
    entries = _entries()
    as_list, as_rows = _quarter(entries), _quarter(_rows(entries))
    for key in [(1, "新建幼儿园"), (2, "新建幼儿园"), (1, "新增学位"), (2, "新增学位"), (3, "无此指标")]:
        assert as_rows.indicator_value(*key, "甲区") == as_list.indicator_value(*key, "甲区")
    assert as_rows.indicator_value(1, "新建幼儿园", "甲区").value == 5.0
    assert as_rows.indicator_value(2, "新建幼儿园", "甲区").value == 7.5
    assert as_rows.indicator_value(1, "新建幼儿园", "乙区") is None
    for key in [(1, "新建幼儿园"), (2, "新建幼儿园"), (1, "新增学位"), (3, "无此指标")]:
        for dept in ("甲区", "乙区"):
            entry = as_list.indicator_value(*key, dept)
            expected = entry.value if entry is not None else None
            assert as_rows.indicator_figure(*key, dept) == expected == as_list.indicator_figure(*key, dept)


def test_returns_of_one_layout_share_their_columns():
    shapes: dict = {}
    a, b = _rows(_entries("甲区"), shapes), _rows(_entries("乙区"), shapes)
    assert a._shape is b._shape and a._notes is b._notes
    assert [e.department for e in b] == ["乙区"] * 4


def test_rows_that_do_not_fit_stay_a_list():
    mixed = _entries()[:1] + _entries("乙区")[1:]
    assert type(_rows(mixed)) is list and _rows(mixed) == mixed
    odd = [IndicatorEntry(1, "新建幼儿园", "甲区", 5, "", "", "")]  # an int, not a float: kept as it is
    assert type(_rows(odd)) is list and type(_rows(odd)[0].value) is int
    assert _rows([]) == []


def test_rows_pickle():
    rows = _rows(_entries())
    assert pickle.loads(pickle.dumps(rows)) == rows
