"""The master workbook: its documented format, a writer and a reader.

Sheets (more columns are allowed, in any order; headers are matched by name):
  设置  项目 | 内容
  任务  序号 | 任务名称 | 目标任务 | 领域 | 牵头单位 | 配合单位 | 第一季度..第四季度
  指标  序号 | 指标名称 | 单位 | 方向 | 全年目标 | 一季度末..四季度末 | 责任单位 | 说明
  部门  部门 | 联系人 | 电话 | 邮箱
The reader never stops at the first problem: cell-level problems are collected
into a Report, and only a file that is not a plan at all raises PlanError.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from toolkit import problems as P
from toolkit.errors import InputFileError, PLAN_INVALID, PLAN_NOT_PLANKIT, PLAN_UNREADABLE, PlanError
from toolkit.model import GE, LE, QUARTER_END_NAMES, QUARTER_NAMES, Department, Indicator, Plan, Settings, Task
from toolkit.values import ValueIssue, clean_text, parse_number, to_date  # the one normaliser, shared with the merge
from toolkit.fileio.xlsxtext import fit_row
from toolkit.fileio.filekind import ENCRYPTED, XLSM, XLSX, sniff
from toolkit.fileio.safeio import atomic_path
from toolkit.fileio.zipscan import scan_xml_parts
from toolkit.plan.check import check_rules
from toolkit.plan.breakdown import breakdown_rows, check_breakdown, read_breakdown
from toolkit.plan.yearsettings import year_end_settings
from toolkit.plan.format import (ASSESSMENT_KEYS, BASIC_THRESHOLD_KEY, YEAR_WORDS_KEY, SETTINGS, TASKS, INDICATORS,
    DEPARTMENTS, EXAMPLE_MARK, UNIT_SEP, TASK_COLUMNS, INDICATOR_COLUMNS, DEPARTMENT_COLUMNS, SETTINGS_COLUMNS, REQUIRED,
    SETTING_KEYS, MISSING_SHEET, MISSING_COLUMN, BAD_NUMBER, BAD_INTEGER, EMPTY_FIELD, EMPTY_MILESTONE, NO_MILESTONES,
    DEADLINE_COLUMN, BAD_DIRECTION, BAD_SETTING, MISSING_SETTING, DEPT_DUPLICATE, BREAKDOWN, BREAKDOWN_COLUMNS)

def split_units(text: str) -> tuple[str, ...]:
    for sep in ("，", ",", "；", ";", "/", "\n"):
        text = text.replace(sep, UNIT_SEP)
    return tuple(dict.fromkeys(u.strip() for u in text.split(UNIT_SEP) if u.strip()))


@dataclass
class Sheet:
    """A sheet's rows as dicts keyed by header, with each value's cell address."""
    name: str
    headers: dict[str, int]
    rows: list[tuple[int, dict[str, object]]] = field(default_factory=list)

    def cell(self, column: str, row: int) -> str:
        from openpyxl.utils import get_column_letter
        return f"{get_column_letter(self.headers[column] + 1)}{row}" if column in self.headers else f"A{row}"


@dataclass
class PlanRead:
    plan: Plan
    report: P.Report
    where: dict = field(default_factory=dict)  # (kind, key) -> (sheet, cell)


def open_plan_workbook(path: Path):
    path = Path(path)
    try:
        kind = sniff(path)
    except InputFileError as exc:
        raise PlanError(f"无法读取计划主表：{exc.message}", code=PLAN_UNREADABLE)
    if kind == ENCRYPTED:
        raise PlanError(f"{path.name}：计划主表设置了打开密码。请在Excel中取消密码（文件→信息→保护工作簿）后再使用。",
                        code=PLAN_UNREADABLE)
    if kind not in (XLSX, XLSM):
        raise PlanError(f"{path.name}：计划主表必须是.xlsx格式（当前为{kind}）。"
                        "请在Excel中另存为“Excel工作簿(*.xlsx)”。", code=PLAN_UNREADABLE)
    try:
        scan_xml_parts(path)
    except InputFileError as exc:
        raise PlanError(f"无法读取计划主表：{exc.message}", code=PLAN_UNREADABLE)
    import openpyxl
    try:
        return openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise PlanError(f"{path.name}：文件已损坏，无法作为Excel打开（{type(exc).__name__}）。", code=PLAN_UNREADABLE)


def _read_sheet(ws, name: str, report: P.Report, file: str) -> Sheet | None:
    rows = ws.iter_rows(values_only=True)
    header_row = next(rows, None) or ()
    headers = {}
    for i, h in enumerate(header_row):
        text = clean_text(h)
        if text and text not in headers:
            headers[text] = i
    missing = [c for c in REQUIRED[name] if c not in headers]
    for column in missing:
        report.add(P.make(MISSING_COLUMN, file=file, sheet=name, cell="1", column=column))
    if missing:
        return None
    sheet = Sheet(name, headers)
    for r, values in enumerate(rows, start=2):
        if r > 20000:
            break
        row = {h: (values[i] if i < len(values) else None) for h, i in headers.items()}
        if all(v is None or clean_text(v) == "" for v in row.values()):
            continue
        if clean_text(row[REQUIRED[name][0]]).startswith(EXAMPLE_MARK):
            continue
        sheet.rows.append((r, row))
    return sheet


def read_plan(path: Path | str) -> PlanRead:
    """Read a master workbook into a Plan, collecting every problem found."""
    path = Path(path)
    file = path.name
    wb = open_plan_workbook(path)
    report = P.Report()
    present = [n for n in (SETTINGS, TASKS, INDICATORS, DEPARTMENTS) if n in wb.sheetnames]
    if TASKS not in present and len(present) < 2:
        raise PlanError(f"{file}：这不是plankit计划主表（找不到“任务”“设置”等工作表）。",
                        hint="请用 plankit plan new 生成模板，或检查是否选错了文件。", code=PLAN_NOT_PLANKIT)
    sheets: dict[str, Sheet | None] = {}
    for name in (SETTINGS, TASKS, INDICATORS, DEPARTMENTS):
        if name not in wb.sheetnames:
            report.add(P.make(MISSING_SHEET, file=file, sheet=name))
            sheets[name] = None
        else:
            sheets[name] = _read_sheet(wb[name], name, report, file)
    where: dict = {}
    breakdown = read_breakdown(wb[BREAKDOWN], report, file, where) if BREAKDOWN in wb.sheetnames else []
    wb.close()
    settings = _settings(sheets[SETTINGS], report, file, where)
    departments = _departments(sheets[DEPARTMENTS], report, file, where)
    tasks = _tasks(sheets[TASKS], report, file, where)
    indicators = _indicators(sheets[INDICATORS], report, file, where)
    plan = Plan(settings, tasks, indicators, departments, source=path, breakdown=breakdown)
    check_rules(plan, report, where, file, has_departments=sheets[DEPARTMENTS] is not None)
    check_breakdown(plan, report, where, file, has_departments=sheets[DEPARTMENTS] is not None)
    return PlanRead(plan, report, where)


def check_plan(path: Path | str) -> PlanRead:
    """Read and check a master workbook without raising for plan problems: they are in `.report`
    (`.report.errors`, `.report.warnings`), the plan as read is `.plan`. Only a file that cannot be
    read, or is not a plan workbook at all, raises (InputFileError / PlanError)."""
    return read_plan(Path(path))


def load_plan(path: Path | str) -> Plan:
    """Read a plan for a command that needs a valid one; errors raise PlanError (exit 2)."""
    result = read_plan(path)
    if result.report.errors:
        first = result.report.errors[:5]
        lines = "\n".join(f"  {p}" for p in first)
        more = f"\n  ……共{len(result.report.errors)}个错误" if len(result.report.errors) > 5 else ""
        raise PlanError(f"计划主表有错误，无法继续：\n{lines}{more}",
                        hint=f"\n请先运行 plankit plan check {path} 查看并修正。", code=PLAN_INVALID)
    return result.plan


def _settings(sheet: Sheet | None, report, file, where) -> Settings:
    values: dict[str, object] = {}
    if sheet:
        for r, row in sheet.rows:
            key = clean_text(row["项目"])
            if key:
                values[key] = row["内容"]
                where[("setting", key)] = (SETTINGS, sheet.cell("内容", r))

    def bad(key, why):
        sheet_name, cell = where.get(("setting", key), (SETTINGS, ""))
        report.add(P.make(BAD_SETTING, file=file, sheet=sheet_name, cell=cell, value=values.get(key), key=key, why=why))

    title = clean_text(values.get("计划名称"))
    if sheet and not title:
        report.add(P.make(MISSING_SETTING, file=file, sheet=SETTINGS, key="计划名称", why="计划全称"))
    year = 0
    try:
        year = int(parse_number(values.get("年度")) or 0)
    except ValueError:
        pass
    if sheet and not 2000 <= year <= 2100:
        if "年度" in values:
            bad("年度", "请填写四位年份，例如2019。")
        else:
            report.add(P.make(MISSING_SETTING, file=file, sheet=SETTINGS, key="年度", why="四位年份"))
        year = year if 2000 <= year <= 2100 else date.today().year

    def number(key, default):
        try:
            n = parse_number(values.get(key))
        except ValueError:
            bad(key, "请填写数字。")
            return default
        return default if n is None else n

    days = number("报送期限（季末后天数）", 10)
    dates: list[date | None] = []
    for qname in ("一", "二", "三", "四"):
        key = f"{qname}季度报送截止日"
        try:  # the same parser as a returned file's dates and the CLI's --date
            dates.append(to_date(values.get(key)))
        except ValueIssue:
            bad(key, "请填写日期，例如2019-04-10或2019年4月10日。")
            dates.append(None)
    yellow, red = number("黄灯阈值（落后序时百分点）", 10.0), number("红灯阈值（落后序时百分点）", 30.0)
    if yellow < 0 or red < yellow:
        bad("红灯阈值（落后序时百分点）", f"红灯阈值（{red}）不能小于黄灯阈值（{yellow}），且都不能为负。")
    basic, words, assessment = year_end_settings(values, number, bad)
    return Settings(
        title=title, year=year, issuer=clean_text(values.get("编印单位")),
        plan_id=clean_text(values.get("计划编号")), deadline_days=int(days),
        deadline_dates=(dates[0], dates[1], dates[2], dates[3]), yellow=yellow, red=red,
        return_to=clean_text(values.get("报送对象")),
        bulletin_name=clean_text(values.get("简报名称")) or "民生实事工作简报",
        dept_note=clean_text(values.get("部门说明")),
        basic_threshold=basic, year_words=tuple(words), assessment=tuple(assessment),
    )


def _departments(sheet, report, file, where) -> list[Department]:
    result: list[Department] = []
    if not sheet:
        return result
    seen = set()
    for r, row in sheet.rows:
        name = clean_text(row["部门"])
        if not name:
            continue
        if name in seen:
            report.add(P.make(DEPT_DUPLICATE, file=file, sheet=DEPARTMENTS, cell=sheet.cell("部门", r), value=name))
            continue
        seen.add(name)
        where[("department", name)] = (DEPARTMENTS, sheet.cell("部门", r))
        result.append(Department(name, *(clean_text(row.get(c)) for c in DEPARTMENT_COLUMNS[1:])))
    return result


MAX_NO = 9999  # a plan has tens of tasks: a larger 序号 is a typo (and would ask for 10^12 missing ones)


def _row_no(sheet, r, row, report, file) -> int | None:
    raw = row["序号"]
    try:
        n = parse_number(raw)
        if n is None or n <= 0 or n > MAX_NO or not float(n).is_integer():
            raise ValueError
        return int(n)
    except ValueError:
        report.add(P.make(BAD_INTEGER, file=file, sheet=sheet.name, cell=sheet.cell("序号", r),
                          value=raw if raw is not None else ""))
        return None


def _tasks(sheet, report, file, where) -> list[Task]:
    tasks: list[Task] = []
    if not sheet:
        return tasks
    for r, row in sheet.rows:
        no = _row_no(sheet, r, row, report, file)
        if no is None:
            continue
        if ("task", no) in where:  # a duplicate 序号: check_plan reports it at this row
            where.setdefault(("task-again", no), []).append(r)
        else:
            where[("task", no)] = (TASKS, r, sheet)
        target = clean_text(row["目标任务"])
        name = clean_text(row["任务名称"]) or target.split("。", 1)[0]
        for column, value in (("目标任务", target), ("牵头单位", clean_text(row["牵头单位"]))):
            if not value:
                report.add(P.make(EMPTY_FIELD, file=file, sheet=TASKS, cell=sheet.cell(column, r), column=column))
        milestones = tuple(clean_text(row[q]) for q in QUARTER_NAMES)
        deadline = clean_text(row.get(DEADLINE_COLUMN))
        if not any(milestones):
            basis = f"，按完成时限“{deadline}”评估" if deadline else "，也没有完成时限，按全年时间进度（每季度25%）评估"
            report.add(P.make(NO_MILESTONES, file=file, sheet=TASKS, cell=sheet.cell(QUARTER_NAMES[0], r), task=no,
                              basis=basis))
        else:
            for column, text in zip(QUARTER_NAMES, milestones):
                if not text:
                    report.add(P.make(EMPTY_MILESTONE, file=file, sheet=TASKS, cell=sheet.cell(column, r), task=no,
                                      column=column))
        tasks.append(Task(no, name, target, clean_text(row["领域"]) or "其他",
                          split_units(clean_text(row["牵头单位"])), split_units(clean_text(row["配合单位"])),
                          milestones, deadline))  # type: ignore[arg-type]
    return tasks


def _indicators(sheet, report, file, where) -> list[Indicator]:
    result: list[Indicator] = []
    if not sheet:
        return result
    for r, row in sheet.rows:
        no = _row_no(sheet, r, row, report, file)
        name = clean_text(row["指标名称"])
        if not name:
            report.add(P.make(EMPTY_FIELD, file=file, sheet=INDICATORS, cell=sheet.cell("指标名称", r),
                              column="指标名称"))
        direction = clean_text(row["方向"]).replace(">=", GE).replace("<=", LE)
        direction = {"＞＝": GE, "＜＝": LE, "不低于": GE, "不超过": LE}.get(direction, direction)
        if direction not in (GE, LE):
            report.add(P.make(BAD_DIRECTION, file=file, sheet=INDICATORS, cell=sheet.cell("方向", r),
                              value=row["方向"] or ""))
        numbers = []
        ok = True
        for column in ("全年目标", *QUARTER_END_NAMES):
            try:
                numbers.append(parse_number(row[column]))
            except ValueError:
                ok = False
                numbers.append(None)
                report.add(P.make(BAD_NUMBER, file=file, sheet=INDICATORS, cell=sheet.cell(column, r),
                                  value=row[column], column=column))
        if numbers[0] is None and ok:
            report.add(P.make(EMPTY_FIELD, file=file, sheet=INDICATORS, cell=sheet.cell("全年目标", r),
                              column="全年目标"))
        if no is None or not name:
            continue
        ind = Indicator(no, name, clean_text(row["单位"]), direction if direction in (GE, LE) else GE,
                        numbers[0] or 0.0, tuple(numbers[1:]),  # type: ignore[arg-type]
                        clean_text(row["责任单位"]), clean_text(row.get("说明")))
        where[("indicator", ind.key)] = (INDICATORS, r, sheet)
        result.append(ind)
    return result


def write_plan(plan: Plan, path: Path) -> Path:
    """Write a master workbook atomically (xlsxwriter); returns the path."""
    import xlsxwriter
    path = Path(path)
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False,
                                            "strings_to_numbers": False})
        head = wb.add_format({"bold": True, "font_name": "黑体", "bg_color": "#DDEBF7", "border": 1,
                              "text_wrap": True, "valign": "vcenter", "align": "center"})
        text = wb.add_format({"font_name": "宋体", "text_wrap": True, "valign": "top", "border": 1})
        num = wb.add_format({"font_name": "宋体", "valign": "top", "border": 1, "num_format": "General"})
        date_fmt = wb.add_format({"font_name": "宋体", "border": 1, "num_format": "yyyy-mm-dd"})

        def table(name, columns, widths, rows):
            ws = wb.add_worksheet(name)
            for c, (title, width) in enumerate(zip(columns, widths)):
                ws.write_string(0, c, title, head)
                ws.set_column(c, c, width)
            for r, values in enumerate(rows, start=1):
                ws.set_row(r, fit_row(values, widths))
                for c, v in enumerate(values):
                    if v is None or v == "":
                        ws.write_blank(r, c, None, text)
                    elif isinstance(v, (int, float)):
                        ws.write_number(r, c, v, num)
                    elif isinstance(v, date):
                        ws.write_datetime(r, c, datetime(v.year, v.month, v.day), date_fmt)
                    else:
                        ws.write_string(r, c, str(v), text)
            ws.freeze_panes(1, 0)
            ws.autofilter(0, 0, max(len(rows), 1), len(columns) - 1)
            ws.set_landscape()
            ws.set_paper(9)
            ws.fit_to_pages(1, 0)
            ws.repeat_rows(0)
            return ws

        s = plan.settings
        setting_values = {
            "计划名称": s.title, "计划编号": s.plan_id, "年度": s.year, "编印单位": s.issuer,
            "简报名称": s.bulletin_name, "报送期限（季末后天数）": s.deadline_days,
            "一季度报送截止日": s.deadline_dates[0], "二季度报送截止日": s.deadline_dates[1],
            "三季度报送截止日": s.deadline_dates[2], "四季度报送截止日": s.deadline_dates[3],
            "黄灯阈值（落后序时百分点）": s.yellow, "红灯阈值（落后序时百分点）": s.red,
            "报送对象": s.return_to, "部门说明": s.dept_note,
            BASIC_THRESHOLD_KEY: s.basic_threshold, YEAR_WORDS_KEY: UNIT_SEP.join(s.year_words),
            **{k: dict(s.assessment).get(k, d) for k, (d, _) in ASSESSMENT_KEYS.items()},
        }
        table(SETTINGS, (*SETTINGS_COLUMNS, "说明"), (28, 60, 50),
              [(k, _plain(setting_values[k]), SETTING_KEYS[k]) for k in SETTING_KEYS])
        deadlines = any(t.deadline for t in plan.tasks)
        table(TASKS, TASK_COLUMNS + ((DEADLINE_COLUMN,) if deadlines else ()), (6, 16, 40, 10, 16, 20, 40, 40, 40, 40, 16),
              [(t.no, t.name, t.target, t.domain, UNIT_SEP.join(t.leads), UNIT_SEP.join(t.cos), *t.milestones,
                *((t.deadline,) if deadlines else ())) for t in plan.tasks])
        table(INDICATORS, INDICATOR_COLUMNS, (6, 24, 10, 6, 10, 10, 10, 10, 10, 14, 40),
              [(i.task_no, i.name, i.unit, i.direction, _plain(i.target), *map(_plain, i.planned), i.owner, i.note)
               for i in plan.indicators])
        table(DEPARTMENTS, DEPARTMENT_COLUMNS, (20, 14, 16, 28),
              [(d.name, d.contact, d.phone, d.email) for d in plan.departments])
        if plan.breakdown:
            table(BREAKDOWN, BREAKDOWN_COLUMNS, (6, 24, 16, 10, 10, 10, 10, 10, 10), breakdown_rows(plan))
        wb.set_properties({"title": s.title, "subject": "plankit 计划主表", "company": s.issuer})
        wb.close()
    return path


def _plain(value):
    """Write 30.0 as 30 so the sheet reads as typed."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
