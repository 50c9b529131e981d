"""The optional 分解 sheet: indicators broken down by responsible unit (分解到县区).

  分解  序号 | 指标名称 | 责任单位 | 全年目标 | 一季度末..四季度末 | 汇总方式 (optional)

`序号` + `指标名称` name a row of 指标, whose 全年目标 is the total; each row gives one unit's
share. Blank quarter figures mean the indicator's own basis applied to the unit's target (time
share). 汇总方式 (求和/不汇总) overrides the rule in model.sums_across_units that says whether the
units' targets and figures add up to the total. Reading collects problems like the other sheets.
"""
from __future__ import annotations


from toolkit import problems as P
from toolkit.model import GE, NO_SUM, QUARTER_END_NAMES, SUM, Indicator, Plan, UnitTarget
from toolkit.values import clean_text, parse_number
from toolkit.plan.format import BREAKDOWN, BREAKDOWN_COLUMNS, BREAKDOWN_REQUIRED, EXAMPLE_MARK

C = P.register
B_MISSING_COLUMN = C("breakdown-missing-column", P.ERROR,
                     "工作表“分解”第1行缺少列“{column}”。请补上该列标题（序号、指标名称、责任单位、全年目标）。")
B_BAD_NUMBER = C("breakdown-bad-number", P.ERROR, "“{value}”不是数字。{column}请只填数字。")
B_BAD_NO = C("breakdown-bad-no", P.ERROR, "序号“{value}”不是正整数。请填写该指标在“指标”表中的序号。")
B_EMPTY = C("breakdown-empty-field", P.ERROR, "“{column}”为空。请填写。")
B_UNKNOWN_INDICATOR = C("breakdown-unknown-indicator", P.ERROR,
                        "第{task}项指标“{value}”不在“指标”表中。序号和指标名称须与“指标”表中的一行完全一致。")
B_UNKNOWN_UNIT = C("breakdown-unknown-unit", P.ERROR,
                   "责任单位“{value}”不在“部门”工作表中。请在“部门”表中添加该单位（可只填名称），或改正单位名称。")
B_DUPLICATE = C("breakdown-duplicate-unit", P.ERROR,
                "第{task}项指标“{name}”的责任单位“{value}”重复出现（另见第{other}行）。每个单位只能分解一次。")
B_WRONG_WAY = C("breakdown-wrong-way", P.ERROR,
                "{unit}的“{name}”季度末累计值{detail}，方向为“{direction}”时不应如此。季度末数应填累计值。")
B_SUM = C("breakdown-sum-differs", P.ERROR,
          "第{task}项指标“{name}”各单位全年目标合计{total}{unit}，与“指标”表的全年目标{target}{unit}不一致"
          "（{count}个单位）。请核对分解数；若该指标不应相加，请在“汇总方式”列填“不汇总”。")
B_BAD_HOW = C("breakdown-bad-how", P.ERROR, "汇总方式“{value}”无效。请填写“求和”或“不汇总”，或留空按单位自动判断。")
B_HOW_CONFLICT = C("breakdown-how-conflict", P.ERROR,
                   "第{task}项指标“{name}”的汇总方式前后不一致（“{value}”与“{other}”）。同一指标只填一种。")


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(i + 1)


def read_breakdown(ws, report: P.Report, file: str, where: dict) -> list[UnitTarget]:
    """The 分解 sheet's rows as UnitTargets; cell problems go to `report`, rows to `where`
    as ("breakdown", (key, unit)) -> (row, {column: cell})."""
    rows = ws.iter_rows(values_only=True)
    headers: dict[str, int] = {}
    first: tuple = next(rows, ())
    for i, h in enumerate(first or ()):
        text = clean_text(h)
        if text and text not in headers:
            headers[text] = i
    missing = [c for c in BREAKDOWN_REQUIRED if c not in headers]
    for column in missing:
        report.add(P.make(B_MISSING_COLUMN, file=file, sheet=BREAKDOWN, cell="1", column=column))
    if missing:
        return []
    cols = {c: headers[c] for c in BREAKDOWN_COLUMNS if c in headers}
    result: list[UnitTarget] = []
    for r, values in enumerate(rows, start=2):
        def get(column: str, values=values) -> object:
            i = cols.get(column)
            return values[i] if i is not None and i < len(values) else None

        def cell(column: str, r=r) -> str:
            return f"{_letter(cols.get(column, 0))}{r}"

        texts = [get(c) for c in cols]
        if all(v is None or clean_text(v) == "" for v in texts):
            continue
        if clean_text(get("序号")).startswith(EXAMPLE_MARK):
            continue
        ok = True
        no = None
        try:
            n = parse_number(get("序号"))
            if n is None or n <= 0 or not n.is_integer():
                raise ValueError
            no = int(n)
        except ValueError:
            ok = False
            report.add(P.make(B_BAD_NO, file=file, sheet=BREAKDOWN, cell=cell("序号"), value=get("序号") or ""))
        name, unit = clean_text(get("指标名称")), clean_text(get("责任单位"))
        for column, text in (("指标名称", name), ("责任单位", unit)):
            if not text:
                ok = False
                report.add(P.make(B_EMPTY, file=file, sheet=BREAKDOWN, cell=cell(column), column=column))
        numbers: list[float | None] = []
        for column in ("全年目标", *QUARTER_END_NAMES):
            try:
                numbers.append(parse_number(get(column)))
            except ValueError:
                ok = False
                numbers.append(None)
                report.add(P.make(B_BAD_NUMBER, file=file, sheet=BREAKDOWN, cell=cell(column),
                                  value=get(column), column=column))
        if numbers[0] is None and ok:
            ok = False
            report.add(P.make(B_EMPTY, file=file, sheet=BREAKDOWN, cell=cell("全年目标"), column="全年目标"))
        how = clean_text(get("汇总方式"))
        if how and how not in (SUM, NO_SUM):
            report.add(P.make(B_BAD_HOW, file=file, sheet=BREAKDOWN, cell=cell("汇总方式"), value=how))
            how = ""
        if not ok or no is None:
            continue
        share = UnitTarget(no, name, unit, numbers[0] or 0.0, tuple(numbers[1:]), how)  # type: ignore[arg-type]
        where.setdefault(("breakdown", (share.key, unit)), (r, {c: cell(c) for c in cols}))
        result.append(share)
    return result


def check_breakdown(plan: Plan, report: P.Report, where: dict, file: str, *, has_departments: bool = True) -> None:
    """Cross-checks of the 分解 rows against 指标 and 部门 (see the module docstring)."""
    if not plan.breakdown:
        return
    indicators = {i.key: i for i in plan.indicators}
    known_units = {d.name for d in plan.departments}

    def at(share: UnitTarget, column: str) -> dict:
        loc = where.get(("breakdown", (share.key, share.unit)))
        return {"sheet": BREAKDOWN, "cell": loc[1].get(column, "") if loc else ""}

    first: dict[tuple[str, str], int] = {}
    groups: dict[str, list[UnitTarget]] = {}
    for share in plan.breakdown:
        ind = indicators.get(share.key)
        if ind is None:
            report.add(P.make(B_UNKNOWN_INDICATOR, file=file, value=share.name, task=share.task_no,
                              **at(share, "指标名称")))
            continue
        if has_departments and share.unit not in known_units:
            report.add(P.make(B_UNKNOWN_UNIT, file=file, value=share.unit, **at(share, "责任单位")))
        pair = (share.key, share.unit)
        if pair in first:
            # `where` keeps the first row of a pair, so the duplicate is located by its unit column only
            report.add(P.make(B_DUPLICATE, file=file, value=share.unit, task=share.task_no, name=share.name,
                              other=first[pair], sheet=BREAKDOWN))
            continue
        loc = where.get(("breakdown", pair))
        first[pair] = loc[0] if loc else 0
        groups.setdefault(share.key, []).append(share)
        _check_order(share, ind, report, file, lambda column, s=share: at(s, column))
    for key, shares in groups.items():
        ind = indicators[key]
        hows = list(dict.fromkeys(s.how for s in shares if s.how))
        if len(hows) > 1:
            report.add(P.make(B_HOW_CONFLICT, file=file, task=ind.task_no, name=ind.name, value=hows[0],
                              other=hows[1], **at(shares[0], "汇总方式")))
        if plan.sums_units(ind):
            total = sum(s.target for s in shares)
            if abs(total - ind.target) > 1e-6 * max(1.0, abs(ind.target)):
                report.add(P.make(B_SUM, file=file, task=ind.task_no, name=ind.name, total=_fmt(total),
                                  target=_fmt(ind.target), unit=ind.unit, count=len(shares),
                                  **at(shares[0], "全年目标")))


def _check_order(share: UnitTarget, ind: Indicator, report: P.Report, file: str, at) -> None:
    given = [(q, v) for q, v in enumerate(share.planned) if v is not None]
    for (qa, a), (qb, b) in zip(given, given[1:]):
        if (b < a) if ind.direction == GE else (b > a):
            detail = (f"从{QUARTER_END_NAMES[qa]}的{_fmt(a)}{'减少' if b < a else '增加'}"
                      f"到{QUARTER_END_NAMES[qb]}的{_fmt(b)}")
            report.add(P.make(B_WRONG_WAY, file=file, unit=share.unit, name=f"第{ind.task_no}项 {ind.name}",
                              detail=detail, direction=ind.direction, **at(QUARTER_END_NAMES[qb])))
            return


def _fmt(x: float) -> str:
    text = f"{x:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def breakdown_rows(plan: Plan) -> list[tuple]:
    """The 分解 sheet's rows for writing (write_plan), in BREAKDOWN_COLUMNS order."""
    def plain(v):
        return int(v) if isinstance(v, float) and v.is_integer() else v
    return [(u.task_no, u.name, u.unit, plain(u.target), *map(plain, u.planned), u.how) for u in plan.breakdown]
