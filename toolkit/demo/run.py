"""`plankit demo`: the whole quarter on the bundled plan, in a fresh folder.

Generates Q1 and Q2 fill-in workbooks, simulates the departments' returns the way
clerks make them (only input cells are written, via toolkit.demo.simulate), drops them
into an inbox as loose files, a saved email and a LibreOffice re-save, and runs the
same merge, report and briefing code a coordinator runs. The mess is realistic and
deterministic: two departments never return, one is late, one resubmits a
correction, one edits the locked plan text and is rejected.
"""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, time as dtime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.evaluate.assessment import Assessment
from toolkit.fillin import layout as L
from toolkit import paths
from toolkit.model import LE, LEAD, Plan, Task
from toolkit.quarter import Quarter, as_quarter
from toolkit.demo.simulate import fill_return

if TYPE_CHECKING:  # imported where used, so that importing the demo stays light
    from toolkit.evaluate.judge import QuarterEvaluation
    from toolkit.intake.merge import MergeResult

# Which status each lead task reports in the demo's main quarter, cycling by task number,
# so that every status appears; figures follow the status.
STATUS_CYCLE = ("序时推进", "超序时", "序时推进", "滞后", "序时推进", "已完成", "序时推进", "滞后", "超序时")
FACTOR = {"超序时": 1.2, "序时推进": 1.0, "滞后": 0.55, "未启动": 0.0}  # 已完成: the target itself
MISSING = ("市水利局", "市政务办")
LATE = "市体育局"
RESUBMITS = "市民政局"
REJECTED = "市城管局"
BY_EMAIL = "市卫健委"
VIA_LIBREOFFICE = "市商务局"
# Running to Q4, the third quarter has its own mess too, so the year's assessment differs by unit.
Q3_LATE, Q3_RESUBMITS = "市公安局", "市教育局"
MISMATCH_TASK = 12  # says 序时推进 while its figures lag: the report flags 报告与数据不符
# The second half of the year, from each task's Q2 status: finished early stays done; ahead
# finishes in Q3; on track finishes in Q4 (every fifth only 基本完成); lagging either catches
# up late (even task numbers) or ends 未完成.
BASIC, UNDONE = (0.93, 0.96, 0.91), (0.65, 0.8, 0.42, 0.72)  # share of the target reached, by task no
REASONS = ("受项目前期手续办理和资金拨付进度影响，部分项目开工晚于计划，年底前未能全部完成。",
           "部分项目用地手续尚未办结，施工进度滞后于计划。",
           "专项资金到位较晚，设备采购招标延期。")




@dataclass
class DemoResult:
    out_dir: Path
    sheets_dir: Path | None = None
    store_dir: Path | None = None
    outbox: Path | None = None
    evaluation: QuarterEvaluation | None = None
    inbox: dict[str, Path] = field(default_factory=dict)  # quarter code -> inbox folder
    merges: dict[str, MergeResult] = field(default_factory=dict)
    report: Path | None = None
    brief: Path | None = None
    assessment: Assessment | None = None  # Q4 only
    carried_plan: Path | None = None   # Q4: next year's master workbook with the carried tasks
    carried: int = 0
    pdf: Path | None = None
    libreoffice: bool = False


def _clauses(text: str) -> list[str]:
    parts = re.split(r"[；;。]|(?<![\d.])\d\.(?!\d)", text)
    return [p.strip("，, ") for p in parts if len(p.strip("，, ")) >= 4]


def year_path(task_no: int, q: int) -> str:
    """The lead's state of a task in quarter q ≥ 3: a status, or 基本完成/未完成 at Q4."""
    q2 = STATUS_CYCLE[task_no % len(STATUS_CYCLE)]
    if q2 == "已完成":
        return "已完成"
    if q2 == "超序时":
        return "已完成"  # finished early, in Q3
    if q2 == "序时推进":
        return "基本完成" if q == 4 and task_no % 5 == 0 else ("已完成" if q == 4 else "序时推进")
    if task_no % 2 == 0:  # lagging, catches up late
        return "已完成" if q == 4 else "滞后"
    return "未完成" if q == 4 else "滞后"


def _share(task_no: int, status: str) -> float:
    shares = BASIC if status == "基本完成" else UNDONE
    return shares[task_no % len(shares)]


def narrative(task: Task, q: int, status: str, role: str) -> dict[str, str]:
    """Plausible Chinese narratives built from the plan's own milestones."""
    done = _clauses(task.milestones[q - 1])[:3]
    upcoming = _clauses(task.milestones[q])[:2] if q < 4 else ["巩固成果，做好年度考核总结"]
    lead_in = "本季度" if role == LEAD else "配合牵头单位"
    if q == 4 and role == LEAD and status in ("基本完成", "未完成"):
        share = "大部分" if status == "基本完成" else "部分"
        progress = f"全年{'，'.join(done[:2])}，已完成{share}年度目标任务。"
        return {L.P_STATUS: status, L.P_PROGRESS: progress,
                L.P_ISSUES: REASONS[task.no % len(REASONS)],
                L.P_NEXT: "下一步将结转至下一年度，明确时限，加快推进剩余工作。"}
    if status == "已完成":
        when = "已提前完成" if q < 4 else "已完成"
        progress = f"{lead_in}{'，'.join(done)}，全年目标任务{when}。"
    elif status == "滞后":
        progress = f"{lead_in}推进{'，'.join(done[:2])}，部分工作尚未达到序时要求。"
    else:
        progress = f"{lead_in}已完成{'，'.join(done)}。"
    issues = ("受项目前期手续办理和资金拨付进度影响，部分项目开工晚于计划。" if status == "滞后" else "无")
    return {L.P_STATUS: status, L.P_PROGRESS: progress, L.P_ISSUES: issues,
            L.P_NEXT: f"下一步将{'，'.join(upcoming)}。"}


def _round(x: float) -> float:
    return float(f"{x:.4g}")


def department_answers(plan: Plan, dept: str, q: int, *, mismatch: bool = True) -> tuple[dict, dict]:
    """(tasks, indicators) inputs for `fill_return`: statuses and figures around the 序时 targets."""
    tasks, indicators = {}, {}
    status_of: dict[int, str] = {}
    for task, role in plan.tasks_for(dept):
        status = STATUS_CYCLE[task.no % len(STATUS_CYCLE)] if (role == LEAD and q > 1) else "序时推进"
        if role == LEAD and q > 2:
            status = year_path(task.no, q)
        status_of[task.no] = status
        values: dict[str, Any] = narrative(task, q, status, role)  # the texts, then the percent
        if q == 4 and role != LEAD:  # a co-unit's own part: done by year-end (its figures stay on plan)
            values[L.P_STATUS] = "已完成"
        schedule = 25 * q
        values[L.P_PERCENT] = {"已完成": 100, "超序时": min(schedule + 12, 100), "滞后": schedule - 20,
                               "基本完成": round(100 * _share(task.no, "基本完成")),
                               "未完成": round(100 * _share(task.no, "未完成"))}.get(status, schedule)
        if mismatch and task.no == MISMATCH_TASK and role == LEAD:
            # the figures below are behind: flagged (at year-end it claims to be done)
            values[L.P_STATUS] = "已完成" if q == 4 else "序时推进"
            status_of[task.no] = "未完成" if q == 4 else "滞后"
        tasks[task.no] = values
    for ind in plan.indicator_rows_for(dept):
        status = status_of.get(ind.task_no, "序时推进")
        planned = ind.planned_at(q)
        if status in ("基本完成", "未完成"):
            share = _share(ind.task_no, status)
            value = ind.target / share if ind.direction == LE else ind.target * share
        elif ind.direction == LE:
            value = ind.target * (1.3 if status == "滞后" else 0.9)
        elif status == "已完成":
            value = ind.target
        else:
            value = planned * FACTOR[status]
        indicators[ind.key] = {L.I_VALUE: _round(max(value, 0)), L.I_NOTE: "数据来源：部门统计台账"}
    return tasks, indicators


def _stamp(path: Path, when: datetime) -> None:
    ts = when.timestamp()
    os.utime(path, (ts, ts))


def _fill(plan: Plan, sheet: Path, target: Path, dept: str, q: Quarter, when: datetime, **kw) -> Path:
    tasks, indicators = department_answers(plan, dept, q.q, **kw)
    contact = {"填报人": "王晓明", "联系电话": "0518-85001234", "填报日期": when.date(), "审核人": "刘建国"}
    fill_return(sheet, tasks=tasks, indicators=indicators, contact=contact, out=target)
    _stamp(target, when)
    return target


def _edit_locked_text(path: Path) -> None:
    """What a clerk does after removing the sheet protection: rewrite the plan's own target."""
    import openpyxl
    wb = openpyxl.load_workbook(path)
    ws = wb[L.PROGRESS_SHEET]
    headers = {c.value: c.column for c in ws[L.HEADER_ROW]}
    cell = ws.cell(L.HEADER_ROW + 1, headers[L.P_TARGET])
    cell.value = str(cell.value).replace("。", "（已基本完成）。", 1)
    mtime = path.stat().st_mtime
    wb.save(path)
    os.utime(path, (mtime, mtime))


def _as_email(attachment: Path, dept: str, plan: Plan, when: datetime, target: Path) -> Path:
    msg = EmailMessage()
    info = plan.department(dept)
    msg["From"] = formataddr((dept, info.email if info and info.email else "clerk@example.org.cn"))
    msg["To"] = "minshengshishi@example.org.cn"
    msg["Subject"] = f"回复：{dept}{attachment.stem}"
    msg["Date"] = format_datetime(when.astimezone())
    msg.set_content("您好，附件是我单位本季度进展填报表，请查收。")
    msg.add_attachment(attachment.read_bytes(), maintype="application",
                       subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename=attachment.name)
    target.write_bytes(bytes(msg))
    return target


def run_demo(plan: Plan, quarter: Quarter | str, out_dir: Path | str, *, pdf: bool = True,
             progress=print) -> DemoResult:
    """Run the demo cycle up to `quarter` (at least Q2) into `out_dir`; returns where everything is."""
    from toolkit.render.brief import render_brief
    from toolkit.mail.outgoing import prepare
    from toolkit.intake.merge import merge
    from toolkit.fileio.office import convert, soffice
    from toolkit.render.report import build_report
    from toolkit.fillin.generate import generate_sheets
    from toolkit.store.db import load_quarter

    quarter, out_dir = as_quarter(quarter, plan.settings.year), Path(out_dir)
    result = DemoResult(out_dir)
    for q in range(1, quarter.q + 1):
        qq = Quarter(quarter.year, q)
        deadline = plan.settings.deadline(q)
        on_time = datetime.combine(deadline - timedelta(days=4), dtime(9, 0))
        previous = load_quarter(plan, qq.previous, out_dir) if qq.previous else None
        sheets = {s.department: s.path for s in generate_sheets(plan, qq, out_dir, previous=previous)}
        progress(f"{qq.label}：已生成{len(sheets)}个部门的填报表。")
        if q == quarter.q:
            drafts = [item.eml for item, msg in prepare(plan, qq, out_dir) if msg is not None and item.eml is not None]
            result.outbox = drafts[0].parent if drafts else None
            progress(f"{qq.label}：已为{len(drafts)}个部门生成附带填报表的邮件（.eml，可用邮件客户端发送）。")
        inbox = out_dir / "收件箱" / qq.code
        if inbox.exists():
            shutil.rmtree(inbox)
        inbox.mkdir(parents=True)
        result.inbox[qq.code] = inbox
        main_quarter = q == quarter.q
        q3_mess = quarter.q == 4 and q == 3
        for i, (dept, sheet) in enumerate(sheets.items()):
            when = on_time.replace(hour=9 + i % 8)
            if main_quarter and dept in MISSING:
                continue
            if main_quarter and dept == LATE:
                when = datetime.combine(deadline + timedelta(days=5), dtime(16, 30))
            if q3_mess and dept == Q3_LATE:
                when = datetime.combine(deadline + timedelta(days=2), dtime(10, 0))
            target = inbox / sheet.name
            if main_quarter and dept == BY_EMAIL:
                filled = _fill(plan, sheet, out_dir / "收件箱" / f".{sheet.name}", dept, qq, when)
                _as_email(filled, dept, plan, when, inbox / f"{dept}报送材料.eml")
                filled.unlink()
                continue
            _fill(plan, sheet, target, dept, qq, when, mismatch=main_quarter)
            if main_quarter and dept == REJECTED:
                _edit_locked_text(target)
            if (main_quarter and dept == RESUBMITS) or (q3_mess and dept == Q3_RESUBMITS):
                # First version had a typo in a figure; the corrected file arrives a day later.
                first = inbox / f"{sheet.stem}（初稿）.xlsx"
                target.rename(first)
                tasks, indicators = department_answers(plan, dept, q)
                for key in list(indicators)[:1]:
                    indicators[key] = {L.I_VALUE: indicators[key][L.I_VALUE] * 10, L.I_NOTE: "初稿"}
                fill_return(sheet, tasks=tasks, indicators=indicators, out=first)
                _stamp(first, when)
                _fill(plan, sheet, inbox / f"{sheet.stem}（更正）.xlsx", dept, qq, when + timedelta(days=1))
            if main_quarter and dept == VIA_LIBREOFFICE and soffice():
                saved = convert(target, "xlsx", inbox / "libreoffice")
                target.unlink()
                final = inbox / f"{sheet.stem}（LibreOffice另存）.xlsx"
                saved.rename(final)
                shutil.rmtree(inbox / "libreoffice", ignore_errors=True)
                _stamp(final, when)
                result.libreoffice = True
        merged = merge(plan, qq, out_dir, [inbox])
        result.merges[qq.code] = merged
        progress(f"{qq.label}：合并{len(merged.files)}个文件，"
                 f"接收{merged.count('accepted')}、退回{merged.count('rejected')}、"
                 f"被更正版本替代{merged.count('superseded')}；未报送{len(merged.missing)}个部门，迟报{len(merged.late)}个。")
    rep = build_report(plan, quarter, out_dir)
    result.report, result.evaluation = rep.path, rep.evaluation
    result.sheets_dir = paths.quarter_dir(plan, quarter, out_dir, "sheets")
    result.store_dir = paths.store_dir(plan, out_dir)
    progress(f"进展汇总表：{rep.path}")
    brief_dir = paths.quarter_dir(plan, quarter, out_dir, "brief")
    brief_on = plan.settings.deadline(quarter.q) + timedelta(days=5)
    br = render_brief(rep.evaluation, brief_dir, on=brief_on,
                      pdf=pdf and soffice() is not None, per_dept=True,
                      assessment=rep.assessment.rows() if rep.assessment else None)
    result.brief, result.pdf = br.path, br.pdf
    progress(f"简报：{br.path}" + (f"（PDF：{br.pdf}）" if br.pdf else ""))
    if rep.assessment is not None:  # the year-end: assessment and next year's plan
        from toolkit.evaluate.carryover import start_carried_plan
        result.assessment = rep.assessment
        target = out_dir / f"{quarter.year + 1}年{plan.settings.subject}计划主表（结转）.xlsx"
        co = start_carried_plan(plan, out_dir, target)
        result.carried_plan, result.carried = co.path, len(co.carried)
        progress(f"{quarter.year + 1}年计划主表（结转{len(co.carried)}项）：{co.path}")
    return result
