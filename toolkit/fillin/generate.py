"""Per-department fill-in workbooks (`plankit sheets`).

One .xlsx per department that leads or co-owns a task: a 填报说明 sheet, the progress
sheet (one row per task), the indicator sheet (one row per indicator it answers for),
and the identity (identity.py) so that merge recognises the file whatever happens to it.
All files of a run are written to a staging folder first and only moved into place
when every one succeeded, so a failure never leaves a half-written set.
"""
from __future__ import annotations

import contextlib
import difflib
import functools
import gc
import re
import tempfile
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from xlsxwriter.utility import xl_col_to_name

from toolkit.plan.timing import milestone_shown
from toolkit.plan.format import SUGGESTED
from toolkit.fillin import layout as L
from toolkit import paths
from toolkit.errors import OutputLockedError, USAGE_DEPARTMENT, UsageError
from toolkit.fillin.fastxlsx import FastWorkbook
from toolkit.fillin.identity import write_identity
from toolkit.store.plans import keep_plan
from toolkit.model import CO, LE, LEAD, Indicator, Plan, Settings, Task, cn_date, status_choices
from toolkit.quarter import Quarter, as_quarter
from toolkit.returns import QuarterReturns, Return
from toolkit.fillin.files import (GeneratedSheet, check_not_locked, file_sha256, move_into_place, unique_file_names,
    write_manifest)
from toolkit.fillin.style import (WIDTHS, Styles, contact_block, header_block, list_source, page_setup, text_rule,
    validate, write_row, write_text)
from toolkit.fileio.safeio import sweep_stale_temps, temp_prefix
from toolkit.fileio.xlsxtext import row_height, text_lines

WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
                    "in_memory": True}  # no temp files per part: twice as fast for small workbooks
TEXT_LIMIT, NOTE_LIMIT = 1000, 500
GUIDE_WIDTH = 110
MIN_PROGRESS_LINES, MIN_INDICATOR_LINES = 4, 2  # room to write in, on screen and on paper
WORKBOOK = FastWorkbook  # xlsxwriter.Workbook with its hot loops written directly (fastxlsx.py)

STATUS_MEANINGS = {
    "已完成": "全年目标任务已全部完成。",
    "超序时": "进度快于本季度序时进度安排。",
    "序时推进": "按本季度序时进度安排推进，进度相符。",
    "滞后": "进度落后于本季度序时进度安排（请在“存在问题”中说明原因）。",
    "未启动": "尚未开始实施。",
}


def status_meanings(settings: Settings, q: int) -> dict[str, str]:
    """What each 进展状态 choice means, for the 填报说明 sheet (the year-end words at Q4)."""
    if q != 4:
        return STATUS_MEANINGS
    done, basic, undone = settings.year_words
    t = f"{settings.basic_threshold:g}"
    return {done: "全年目标任务已全部完成，各项指标均达到全年目标。",
            basic: f"全年目标任务大部分完成（完成全年目标{t}%及以上，但未全部完成）。",
            undone: f"全年目标任务未完成（完成不足全年目标的{t}%），请在“存在问题”中说明原因。"}


def generate_sheets(plan: Plan, quarter: Quarter | str, out_dir: Path, departments: list[str] | None = None,
                    password: str | None = None, previous: QuarterReturns | None = None,
                    progress=None, allow_suggested: bool = False) -> list[GeneratedSheet]:
    """Write the fill-in workbooks for `quarter` and their manifest.json; return what was written.

    :param departments: only these (default: every department with a task); unknown names raise UsageError.
    :param previous: last quarter's merged returns, shown as 上季度报送进展 / 上季度末累计.
    :param progress: optional callable(done, total, department) called after each workbook.
    :param allow_suggested: send indicators still marked 【建议】 (unreviewed suggestions); else UsageError.
    """
    unreviewed = [i for i in plan.indicators if i.note.startswith(SUGGESTED)]
    if unreviewed and not allow_suggested:
        listed = "、".join(f"第{i.task_no}项“{i.name}”" for i in unreviewed[:5])
        more = f"等{len(unreviewed)}个" if len(unreviewed) > 5 else ""
        raise UsageError(f"计划主表中还有{len(unreviewed)}个未核对的建议指标（说明以“【建议】”开头）：{listed}{more}。"
                         "未生成填报表。",
                         hint="\n请在“指标”表逐条核对：无误的删去说明中的“【建议】”，不需要的整行删除；"
                              "确需按建议下发请加 --allow-suggested。")
    q = as_quarter(quarter, plan.settings.year)
    names = select_departments(plan, departments)
    if q.previous is None:
        previous = None
    target_dir = paths.quarter_dir(plan, q, Path(out_dir), "sheets")
    targets = dict(zip(names, unique_file_names(names, q, plan.settings.subject)))
    for name in targets.values():
        check_not_locked(target_dir / name)
    generated_at = datetime.now().isoformat(timespec="seconds")
    owners = _indicator_owners(plan)
    roles = tasks_by_department(plan)
    target_dir.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, GeneratedSheet]] = []
    sweep_stale_temps(target_dir)  # staging folders of a run killed mid-way
    with tempfile.TemporaryDirectory(prefix=temp_prefix(), dir=target_dir) as staging:
        def one(i: int) -> tuple[Path, GeneratedSheet]:
            dept, tmp = names[i], Path(staging) / f"{i}.xlsx"
            info = write_workbook(tmp, plan, q, dept, owners.get(dept, []), generated_at=generated_at,
                                  password=password, previous=previous, tasks=roles.get(dept, []))
            gc.collect(0)  # cheap: FastWorkbook.close cut the workbook's cycle (the collector is paused: _quiet_gc)
            return tmp, GeneratedSheet(dept, target_dir / targets[dept], info["tasks"], info["indicators"],
                                       info["file_id"], file_sha256(tmp), generated_at)

        with _quiet_gc():
            for i, item in enumerate(_in_parallel(one, len(names))):  # plan order, whatever the workers
                staged.append(item)
                if progress:
                    progress(i + 1, len(names), names[i])
        results, locked = move_into_place(staged)
    write_manifest(target_dir, plan, q, results)
    keep_plan(plan, Path(out_dir))  # so a later correction of the plan does not reject these sheets
    if locked:
        raise OutputLockedError("以下文件正在被其他程序打开，无法覆盖，新文件已另存：\n" + "\n".join(locked),
                                hint="\n关闭这些文件后重新运行即可覆盖。")
    return results


@contextlib.contextmanager
def _quiet_gc():
    """The cyclic collector paused while the workbooks are written; `gc.collect(0)` after each
    (issue 17).

    A workbook keeps ~7,000 tracked objects until close and allocates many more; the automatic
    collections they trigger re-scan everything the process holds, a national plan's breakdown
    among it (~470,000 objects at N=1,000): at N=300 4–6 of 22–24 ms per workbook, more at N=1,000. Frozen, the plan and
    everything loaded before is never scanned (and its pages stay shared with the forked
    workers). FastWorkbook.close cuts the workbook's one reference cycle, so its objects are
    freed by refcount; the young collection per workbook is for any other cycle (plain
    xlsxwriter), so memory stays flat either way.
    """
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


PARALLEL_FROM = 60  # workbooks; below this, forking costs more than a second core gives


def _in_parallel(work, count: int):
    """work(i) for i in range(count), in order: on two processes (fork, Linux) for a large run.

    Each workbook is independent and xlsxwriter is pure Python, so a second core nearly halves a
    national run (issue 17). The forked worker inherits the plan; only results travel back.
    """
    import os
    import sys
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if count < PARALLEL_FROM or cores < 2 or not sys.platform.startswith("linux"):
        yield from (work(i) for i in range(count))
        return
    import multiprocessing
    global _WORK
    _WORK = work
    with multiprocessing.get_context("fork").Pool(2) as pool:
        yield from pool.imap(_call, range(count), chunksize=4)
    _WORK = None


_WORK = None  # the forked workers' job (set before forking; a closure cannot be pickled)


def _call(i: int):
    assert _WORK is not None
    return _WORK(i)


def select_departments(plan: Plan, wanted: list[str] | None) -> list[str]:
    """The departments to write, in plan order; a clear UsageError for any unknown name."""
    available = plan.department_names()
    if not wanted:
        return available
    chosen: set[str] = set()
    for raw in wanted:
        for name in re.split(r"[,，、;；]+", unicodedata.normalize("NFC", raw)):
            name = name.strip()
            if not name:
                continue
            if name in available:
                chosen.add(name)
            elif plan.department(name):
                raise UsageError(f"部门“{name}”在本计划中没有牵头或配合的任务，无需生成填报表。", code=USAGE_DEPARTMENT)
            else:
                close = difflib.get_close_matches(name, available, n=3, cutoff=0.4)
                hint = (f"您是否要找：{'、'.join(close)}？" if close
                        else "运行 plankit plan check 可查看计划中的全部部门。")
                raise UsageError(f"未知部门“{name}”：计划中没有这个部门。", hint=hint, code=USAGE_DEPARTMENT)
    return [n for n in available if n in chosen]


def tasks_by_department(plan: Plan) -> dict[str, list[tuple[Task, str]]]:
    """`plan.tasks_for(d)` for every department in one pass over the tasks.

    tasks_for alone scans every task's units (O(tasks × units) per department), which made
    generation O(N²) with hundreds of co-owning units (+3 ms per workbook at N=1,000).
    """
    result: dict[str, list[tuple[Task, str]]] = {}
    for task in plan.tasks:
        for unit in dict.fromkeys(task.leads):
            result.setdefault(unit, []).append((task, LEAD))
        for unit in dict.fromkeys(task.cos):
            if unit not in task.leads:
                result.setdefault(unit, []).append((task, CO))
    return result


class _UnitRows(dict):
    """dept -> its indicator rows, made when asked: a 分解 plan has units × indicators of them."""

    def __init__(self, plan: Plan):
        super().__init__()
        self.plan = plan

    def get(self, dept, default=None):
        return self.plan.indicator_rows_for(dept)


def _indicator_owners(plan: Plan) -> dict[str, list[Indicator]]:
    if plan.breakdown:  # units fill in their own shares (model.Plan.indicator_rows_for)
        return _UnitRows(plan)
    leads = {t.no: t.lead for t in plan.tasks}
    owners: dict[str, list[Indicator]] = {}
    for ind in plan.indicators:
        owners.setdefault(ind.owner or leads.get(ind.task_no, ""), []).append(ind)
    return owners


# ---------------------------------------------------------------- one workbook

def write_workbook(path: Path, plan: Plan, q: Quarter, dept: str, indicators: list[Indicator], *,
                   generated_at: str, password: str | None = None,
                   previous: QuarterReturns | None = None, tasks: list[tuple[Task, str]] | None = None) -> dict:
    """Write one department's workbook to `path` (not atomically: the caller stages it).

    :param tasks: `plan.tasks_for(dept)` when the caller already has it (see `tasks_by_department`).
    """
    tasks = plan.tasks_for(dept) if tasks is None else tasks
    file_id = uuid.uuid4().hex[:16]
    prev_return = previous.returns.get(dept) if previous is not None else None
    wb = WORKBOOK(str(path), WORKBOOK_OPTIONS)
    st = Styles(wb)
    wb.set_properties({"title": f"{dept}{q.label}{plan.settings.subject}进展填报表", "subject": plan.settings.title,
                       "author": plan.settings.issuer, "company": plan.settings.issuer,
                       "comments": "由 plankit 生成。请只填写黄色单元格。"})
    meta = {"format": L.FORMAT_VERSION, "plan_id": plan.plan_id, "fingerprint": plan.fingerprint,
            "department": dept, "quarter": q.code, "file_id": file_id, "generated_at": generated_at}
    ctx = _Context(plan, q, dept, st, password, previous is not None, prev_return)
    _guide_sheet(wb, ctx, len(tasks), len(indicators), meta)
    p_cols, p_rows, contact = _progress_sheet(wb, ctx, tasks)
    i_cols, i_rows = _indicator_sheet(wb, ctx, indicators, previous)
    write_identity(wb, meta, text_format=st.meta,
                   sheets={"guide": L.GUIDE_SHEET, "progress": L.PROGRESS_SHEET, "indicator": L.INDICATOR_SHEET},
                   columns={L.PROGRESS_SHEET: p_cols, L.INDICATOR_SHEET: i_cols},
                   rows={L.PROGRESS_SHEET: p_rows, L.INDICATOR_SHEET: i_rows}, contact=contact,
                   extra={"tasks": str(len(tasks)), "indicators": str(len(indicators)),
                          "deadline": plan.settings.deadline(q.q).isoformat()})
    wb.close()
    return {"file_id": file_id, "tasks": len(tasks), "indicators": len(indicators)}


@dataclass
class _Context:
    plan: Plan
    q: Quarter
    dept: str
    st: Styles
    password: str | None
    has_previous: bool
    prev_return: Return | None

    @property
    def subtitle(self) -> str:
        deadline = cn_date(self.plan.settings.deadline(self.q.q))
        return (f"填报单位：{self.dept}　　　填报季度：{self.q.label}　　　报送截止：{deadline}"
                "　　　（黄色单元格为填写区域）")

    def protect(self, ws) -> None:
        ws.protect(self.password or "", {"format_columns": True, "format_rows": True})


def _progress_sheet(wb, ctx: _Context, tasks: list[tuple[Task, str]]):
    st = ctx.st
    ws = wb.add_worksheet(L.PROGRESS_SHEET)
    headers = [*L.PROGRESS_LOCKED, *([L.P_PREVIOUS] if ctx.has_previous else []), *L.PROGRESS_INPUTS, L.ROW_KEY_HEADER]
    last = header_block(ws, st, headers, L.PROGRESS_INPUTS,
                        f"{ctx.q.label}{ctx.plan.settings.subject}进展填报表", ctx.subtitle)
    col = {h: i for i, h in enumerate(headers)}
    first_row = L.HEADER_ROW
    rows: list[tuple[str, int]] = []
    prev_entries = {e.task_no: e for e in ctx.prev_return.tasks} if ctx.prev_return else {}
    for r, (task, role) in enumerate(tasks, start=first_row):
        key = L.task_key(task.no)
        texts = {L.P_NAME: task.name, L.P_TARGET: task.target, L.P_MILESTONE: milestone_shown(task, ctx.q.q)}
        if ctx.has_previous:
            texts[L.P_PREVIOUS] = _previous_text(ctx.prev_return, prev_entries.get(task.no))
        write_row(ws, r, [(col[L.P_NO], task.no, st.center), (col[L.P_ROLE], role, st.center),
                          *[(col[h], text, st.text) for h, text in texts.items()],
                          (col[L.P_STATUS], None, st.in_center), (col[L.P_PERCENT], None, st.in_number),
                          (col[L.P_PROGRESS], None, st.in_text), (col[L.P_ISSUES], None, st.in_text),
                          (col[L.P_NEXT], None, st.in_text), (col[L.ROW_KEY_HEADER], key, st.key)],
                  _fit_height(texts, MIN_PROGRESS_LINES))
        rows.append((key, r + 1))
    end = first_row + len(tasks) - 1
    choices = status_choices(ctx.plan.settings, ctx.q.q)
    statuses = "、".join(choices)
    validate(ws, first_row, end, col[L.P_STATUS], "list", "进展状态", f"请点击右侧箭头，从下拉列表中选择：{statuses}。",
             f"只能选择：{statuses}。请点击单元格右侧的箭头选择。", source=list_source(choices))
    validate(ws, first_row, end, col[L.P_PERCENT], "decimal", "完成进度(%)",
             "请填写0到100之间的数字，不带%号。例如完成一半填50。", "完成进度只能是0到100之间的数字（不带%号）。",
             criteria="between", minimum=0, maximum=100)
    text_rule(ws, first_row, end, col[L.P_PROGRESS], "主要工作进展", TEXT_LIMIT,
              "请简要填写本季度主要工作进展，尽量写明数量")
    text_rule(ws, first_row, end, col[L.P_ISSUES], "存在问题", TEXT_LIMIT, "请填写存在的问题；进度滞后的请说明原因")
    text_rule(ws, first_row, end, col[L.P_NEXT], "下一步计划", TEXT_LIMIT, "请填写下一步工作计划和措施")
    known = ctx.prev_return.contact if ctx.prev_return else {}
    contact = contact_block(ws, st, [WIDTHS[h] for h in headers[:last + 1]], known, ctx.plan.settings.year)
    ctx.protect(ws)
    page_setup(ws, ctx.dept, last, max(end, L.HEADER_ROW))
    letters = {h: xl_col_to_name(i) for h, i in col.items()}
    return letters, rows, contact


# The same plan texts recur in every department's workbook: measure each once per run.
_text_lines = functools.lru_cache(maxsize=8192)(text_lines)


def _fit_height(texts: dict[str, str], minimum: int) -> float:
    lines = max([minimum] + [_text_lines(t, WIDTHS[h]) for h, t in texts.items()])
    return row_height(lines)


@functools.lru_cache(maxsize=8192)
def _indicator_height(name: str) -> float:
    return _fit_height({L.I_NAME: name}, MIN_INDICATOR_LINES)


def _previous_text(ret: Return | None, entry) -> str:
    if ret is None:
        return "（上季度未报送）"
    if entry is None:
        return "（上季度未填报此项）"
    head = entry.status + (f" {entry.percent:g}%" if entry.percent is not None else "")
    text = "；".join(p for p in (head.strip(), entry.progress.strip()) if p)
    return text if len(text) <= 300 else text[:299] + "…"


def _indicator_sheet(wb, ctx: _Context, indicators: list[Indicator], previous: QuarterReturns | None):
    st, q = ctx.st, ctx.q.q
    ws = wb.add_worksheet(L.INDICATOR_SHEET)
    headers = [*L.INDICATOR_LOCKED, *([L.I_PREVIOUS] if ctx.has_previous else []),
               *L.INDICATOR_INPUTS, L.ROW_KEY_HEADER]
    last = header_block(ws, st, headers, L.INDICATOR_INPUTS,
                        f"{ctx.q.label}{ctx.plan.settings.subject}指标完成情况填报表", ctx.subtitle)
    col = {h: i for i, h in enumerate(headers)}
    first_row = L.HEADER_ROW
    ws.merge_range(L.HEADER_ROW - 2, 0, L.HEADER_ROW - 2, last,
                   "累计完成值：自年初至本季度末的累计数，只填数字，单位见“单位”列；带“（按时间进度）”的序时目标为按全年目标折算的参考值。",
                   st.subtitle)
    rows: list[tuple[str, int]] = []
    for r, ind in enumerate(indicators, start=first_row):
        key = L.indicator_key(ind.task_no, ind.name)
        le = ind.direction == LE
        planned_fmt = st.number_le if le else (st.number if ind.planned_is_given(q) else st.number_share)
        cells = [(col[L.I_NO], ind.task_no, st.center), (col[L.I_NAME], ind.name, st.text_mid),
                 (col[L.I_UNIT], ind.unit, st.center), (col[L.I_TARGET], ind.target, st.number_le if le else st.number),
                 (col[L.I_PLANNED], round(ind.planned_at(q), 4), planned_fmt)]
        if ctx.has_previous:
            entry = previous.indicator_value(ind.task_no, ind.name, ctx.dept) if previous else None
            # write_number for a value, a formatted blank for none (the value None is a blank to write_row)
            cells.append((col[L.I_PREVIOUS], entry.value if entry is not None else None, st.number))
        cells += [(col[L.I_VALUE], None, st.in_number), (col[L.I_NOTE], None, st.in_text),
                  (col[L.ROW_KEY_HEADER], key, st.key)]
        write_row(ws, r, cells, _indicator_height(ind.name))
        rows.append((key, r + 1))
    end = first_row + len(indicators) - 1
    if indicators:
        validate(ws, first_row, end, col[L.I_VALUE], "decimal", "累计完成值",
                 "请填写自年初至本季度末的累计完成数，只填数字（单位见“单位”列），不要写单位或文字。",
                 "累计完成值只能填大于或等于0的数字，不要带单位或文字；需要说明的请写在“数据说明”列。",
                 criteria=">=", value=0)
        text_rule(ws, first_row, end, col[L.I_NOTE], "数据说明", NOTE_LIMIT, "如需说明统计口径、数据来源等，请写在这里")
    else:
        end = first_row
        ws.merge_range(first_row, 0, first_row, last, "本单位本季度没有需要填报的指标，此表无需填写。", st.text)
    ctx.protect(ws)
    page_setup(ws, ctx.dept, last, end)
    return {h: xl_col_to_name(i) for h, i in col.items()}, rows


def _guide_sheet(wb, ctx: _Context, n_tasks: int, n_indicators: int, meta: dict) -> None:
    st, s = ctx.st, ctx.plan.settings
    ws = wb.add_worksheet(L.GUIDE_SHEET)
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, GUIDE_WIDTH)
    ws.merge_range(0, 0, 0, 1, f"{ctx.dept}{ctx.q.label}{s.subject}进展填报说明", st.guide_title)
    ws.set_row(0, 36)
    statuses = "\n".join(f"{k}：{v}" for k, v in status_meanings(s, ctx.q.q).items())
    steps = [
        "只填写黄色单元格；其余单元格是计划内容，已锁定，不需要也不能修改。",
        f"“{L.PROGRESS_SHEET}”表：逐项点击“进展状态”单元格右侧的箭头选择状态，“完成进度(%)”填0～100的数字"
        "（不带%号），并简要填写主要工作进展、存在问题和下一步计划。牵头单位填报任务总体进展，配合单位填报本单位承担部分的进展。",
        f"“{L.INDICATOR_SHEET}”表：“累计完成值”填写自年初至本季度末的累计数，只填数字，单位见“单位”列；"
        "需要说明统计口径的写在“数据说明”中。“序号”是指标所属任务的序号；带“≤”的指标数值越小越好；"
        "序时目标后注“（按时间进度）”的，是方案未给出季度数时按全年目标折算的参考值。",
        f"在“{L.PROGRESS_SHEET}”表上方填写填报人、联系电话、填报日期和审核人。",
        "请不要插入或删除行列、不要修改工作表名称。文件名可以修改；用Excel、WPS或LibreOffice填写均可，请保存为.xlsx格式。",
        "填好后在截止日期前发送给报送对象。同一季度重复报送的，以最后收到的一份为准。",
    ]
    items = [
        ("填报单位", ctx.dept),
        ("填报季度", ctx.q.label),
        ("计划名称", s.title),
        ("报送截止", f"{cn_date(s.deadline(ctx.q.q))}前"),
        ("报送对象", s.return_to or "按通知要求报送"),
        ("本表内容", f"“{L.PROGRESS_SHEET}”：本单位牵头或配合的任务 {n_tasks} 项；"
                     f"“{L.INDICATOR_SHEET}”：本单位负责填报的指标 {n_indicators} 个。"),
        ("填写方法", "\n".join(f"{i}. {t}" for i, t in enumerate(steps, 1))),
        ("进展状态", statuses),
    ]
    if ctx.has_previous:
        items.append(("上季度情况", "“上季度报送进展”“上季度末累计”是本单位上季度报送的内容，供参考，无需修改。"))
    items.append(("文件信息", f"计划编号 {meta['plan_id']}，生成时间 {meta['generated_at'].replace('T', ' ')}，"
                               f"文件编号 {meta['file_id']}"))
    for r, (key, text) in enumerate(items, start=2):
        ws.write_string(r, 0, key, st.guide_key)
        write_text(ws, r, 1, text, st.guide_text)
        ws.set_row(r, row_height(_text_lines(text, GUIDE_WIDTH, char_units=2.3), 12))
    r = len(items) + 2
    ws.write_string(r, 0, "图例", st.guide_key)
    ws.write_string(r, 1, "黄色底色的单元格为填写区域", st.guide_sample)
    ctx.protect(ws)
    ws.activate()
    page_setup(ws, ctx.dept, 1, r, repeat_header=False)
    ws.fit_to_pages(1, 1)  # one printed page: 文件信息 and 图例 went on a second page of their own
