"""What the coordinator reads after a merge: the report workbook, and the quarter's status."""
from __future__ import annotations

import json
import re
import unicodedata
from datetime import datetime
from pathlib import Path

import xlsxwriter

from toolkit.intake.outcomes import ACCEPTED, OUTCOME_LABELS
from toolkit.model import Plan
from toolkit.quarter import Quarter, as_quarter
from toolkit.problems import ERROR, short_name
from toolkit.returns import FILE, NONE, QuarterReturns, time_source
from toolkit.fileio.safeio import atomic_path
from toolkit.fileio import xlsxprint
from toolkit.fileio.xlsxtext import fit_row
from toolkit.errors import USAGE_DEPARTMENT, UsageError
from toolkit.store.db import check_not_emptied, diff_versions, read_quarter, reading
from toolkit.store.location import Location, resolve
from toolkit.store.runs import list_runs, run_id

WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
                    "in_memory": True}  # one row per file and problem: small; no temp file per part
SEVERITY_LABELS = {"error": "错误", "warning": "警告"}
FIELD_LABELS = {"role": "本单位职责", "status": "进展状态", "percent": "完成进度(%)", "progress": "主要工作进展",
                "issues": "存在问题", "next_steps": "下一步计划", "value": "累计完成值", "note": "数据说明"}


FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r", "\n")
PORTRAIT_WIDTH = 90  # columns' total width (characters) that still prints legibly on A4 upright


def display_text(text: str) -> str:
    """Text from a sender (file names, messages) for a table: newlines, tabs and invisible
    format characters (right-to-left overrides) shown as escapes, so no row is broken or reversed."""
    out = []
    for ch in text:
        if ch == "\n":
            out.append("\\n")
        elif unicodedata.category(ch) in ("Cc", "Cf") and ch != "\u200d":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


HEADER_ROW = 3  # 1-based, as openpyxl counts: title, the plan/run line, then the table's header row


class _Book:
    """A printable report workbook: one table per sheet under a title and a line saying which plan,
    quarter and run it is; header row frozen, filtered and repeated on every printed page."""

    def __init__(self, path: Path, title: str, about: str, corner: str):
        self.wb = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
        self.title, self.about, self.corner = title, about, corner  # corner: the footer's right end
        self.heading = self.wb.add_format({"bold": True, "font_name": "黑体", "font_size": 14, "align": "center",
                                           "valign": "vcenter"})
        self.note = self.wb.add_format({"font_name": "宋体", "font_size": 9, "valign": "vcenter", "text_wrap": True})
        self.head = self.wb.add_format({"bold": True, "font_name": "黑体", "bg_color": "#DDEBF7", "border": 1,
                                        "text_wrap": True})
        self.wrap = self.wb.add_format({"text_wrap": True, "valign": "top", "font_name": "宋体", "border": 1})
        self.quoted = self.wb.add_format({"text_wrap": True, "valign": "top", "font_name": "宋体", "border": 1,
                                          "quote_prefix": True})  # `=...` stays text even after someone edits the cell

    def sheet(self, name, headers, rows, widths):
        ws = self.wb.add_worksheet(name)
        last, top = len(headers) - 1, HEADER_ROW - 1
        ws.merge_range(0, 0, 0, last, self.title if name in self.title else f"{self.title}　{name}", self.heading)
        ws.set_row(0, 24)
        ws.merge_range(1, 0, 1, last, self.about, self.note)
        ws.set_row(1, fit_row([self.about], [sum(widths)], 9.5))  # wraps on an upright page
        ws.write_row(top, 0, headers, self.head)
        for r, row in enumerate(rows, top + 1):
            values = [display_text(v) if isinstance(v, str) else ("" if v is None else v) for v in row]
            for c, v in enumerate(values):
                if isinstance(v, str) and v:
                    ws.write_string(r, c, v, self.quoted if v.startswith(FORMULA_LEAD) else self.wrap)
                else:
                    ws.write(r, c, v, self.wrap)
            ws.set_row(r, fit_row(values, widths))  # LibreOffice does not autofit imported rows
        if not rows:
            ws.write(top + 1, 0, "（无）")
        for c, w in enumerate(widths):
            ws.set_column(c, c, w)
        ws.freeze_panes(top + 1, 0)
        ws.autofilter(top, 0, top + max(len(rows), 1), last)
        xlsxprint.setup(ws, left=f"&A　{xlsxprint.escape(self.title)}", right=xlsxprint.escape(self.corner),
                        header_row=top,
                        landscape=sum(widths) > PORTRAIT_WIDTH)

    def close(self) -> None:
        self.wb.close()


# the code (English, stable) last, for technical support: the sheet is forwarded to departments
PROBLEM_HEADERS = ("文件", "部门", "工作表", "单元格", "值", "级别", "说明", "问题代码（供技术支持）")
PROBLEM_WIDTHS = (28, 13, 10, 7, 14, 5, 60, 18)
CHANGE_HEADERS = ("部门", "新文件", "项目", "内容", "原值", "新值", "位置")
CHANGE_WIDTHS = (16, 36, 24, 14, 30, 30, 14)


def _missing_and_late(book: _Book, plan: Plan, quarter: Quarter, qr: QuarterReturns | None) -> None:
    deadline = plan.settings.deadline(quarter.q)
    refused: dict[str, str] = {}  # a department whose only files were rejected is told why in one word
    for rej in (qr.rejections if qr is not None else []):
        blank = any("空表" in r for r in rej.reasons)
        refused[rej.department] = "未报送（收到空表）" if blank else refused.get(rej.department, "未报送（文件被拒收）")
    missing = qr.missing if qr is not None else plan.department_names()
    rows = [(d, refused.get(d, "未报送"), "", deadline.isoformat()) for d in missing]
    if qr is not None:
        rows += [(d, late_label(qr.returns[d].time_source), qr.returns[d].received_at.strftime("%Y-%m-%d %H:%M"),
                  deadline.isoformat()) for d in qr.late]
    book.sheet("未报与迟报", ("部门", "情况", "收到时间", "报送截止日"), rows, (20, 10, 17, 12))


MISMATCH_HEADERS = ("部门", "文件", "发件地址", "登记的邮箱", "收到时间", "结果")
MISMATCH_WIDTHS = (16, 36, 28, 28, 17, 24)


def sender_mismatch(plan: Plan, department: str, sender: str) -> tuple[str, str] | None:
    """(sending address, registered 邮箱) when a return came from an address other than the
    department's registered one (a colleague's mailbox is usual; someone else is not); else None."""
    d = plan.department(department) if department else None
    found = re.search(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", sender or "")
    if d and d.email and found and found.group(0).lower() != d.email.strip().lower():
        return found.group(0), d.email.strip()
    return None


def _mismatch_sheet(book: _Book, rows: list[tuple]) -> None:
    book.sheet("发件人不符", MISMATCH_HEADERS,
               rows or [("（无）", "所有接收的文件都来自各单位登记的邮箱，或不是邮件报送", "", "", "", "")],
               MISMATCH_WIDTHS)


def write_merge_report(result, plan: Plan, quarter: Quarter, qr: QuarterReturns | None, target: Path) -> Path:
    """One run's receipt: every file it received (skipped ones too), one row per problem, the
    quarter's missing/late departments after it, and what its resubmissions changed."""
    with atomic_path(target) as tmp:
        run, now = f"合并编号 {result.run}" if result.run else "", _now()
        book = _Book(tmp, f"{quarter.label}收件回执", f"计划：{plan.settings.title}　{run}　生成于 {now}"
                     "（本次合并收到的文件，含被跳过的）", run or f"生成于 {now}")
        book.sheet("收件回执", ("序号", "文件", "来源", "部门", "结果", "错误", "警告", "发件人", "收到时间", "时间来源", "编号"),
                   [(n, short_name(f.path), f.origin, f.department, OUTCOME_LABELS[f.outcome], len(f.errors),
                     len(f.problems) - len(f.errors), f.sender,
                     f.received_at.strftime("%Y-%m-%d %H:%M") if f.received_at else "", f.time_source, f.sha256[:12])
                    for n, f in enumerate(result.files, 1)],
                   (5, 30, 24, 13, 12, 5, 5, 20, 16, 9, 13))
        book.sheet("问题清单", PROBLEM_HEADERS,
                   [(short_name(f.path), f.department, p.sheet, p.cell, p.value, SEVERITY_LABELS.get(p.severity, p.severity),
                     p.message, p.code) for f in result.files for p in f.problems], PROBLEM_WIDTHS)
        _missing_and_late(book, plan, quarter, qr)
        book.sheet("版本变化", CHANGE_HEADERS,
                   [(f.department, short_name(f.path), c.item, FIELD_LABELS.get(c.field, c.field), c.old, c.new, c.cell)
                    for f in result.files for c in f.changes], CHANGE_WIDTHS)
        _mismatch_sheet(book, [(f.department, short_name(f.path), *m, f.received_at.strftime("%Y-%m-%d %H:%M")
                                if f.received_at else "", OUTCOME_LABELS[f.outcome])
                               for f in result.files if f.outcome == ACCEPTED
                               for m in [sender_mismatch(plan, f.department, f.sender)] if m])
        book.close()
    return target


def write_quarter_report(plan: Plan, quarter: Quarter, out_dir: Path, target: Path, *,
                         store: str | Location | None = None) -> Path | None:
    """The quarter as a whole: every file recorded so far (whichever run brought it, with that
    run's id), every problem, missing/late departments and every resubmission's changes.
    None when nothing was ever merged (no database)."""
    location = resolve(plan, out_dir, store)
    if not location.exists():
        return None
    with reading(location) as conn:
        if conn is None:
            return None
        qr = read_quarter(conn, plan, quarter, values=False)
        subs = conn.execute("SELECT s.*, c.submission_id AS cur FROM submissions s LEFT JOIN current c"
                            " ON c.submission_id=s.id WHERE s.quarter=? ORDER BY s.merged_at, s.id",
                            (quarter.code,)).fetchall()
        changes = []
        for dept, versions in _versions(conn, quarter.code).items():
            for older, newer in zip(versions, versions[1:]):
                changes += [(dept, short_name(newer["filename"]), c.item, FIELD_LABELS.get(c.field, c.field),
                             c.old, c.new, c.cell) for c in diff_versions(conn, older["id"], newer["id"])]
    with atomic_path(target) as tmp:
        runs, now = len({run_id(s["merged_at"]) for s in subs}), _now()
        book = _Book(tmp, f"{quarter.label}汇总收件报告", f"计划：{plan.settings.title}　本季度到目前为止{runs}次合并"
                     f"收到的全部文件　生成于 {now}", f"生成于 {now}")
        rows = []
        for n, s in enumerate(subs, 1):
            problems = json.loads(s["problems"])
            errors = sum(p.get("severity") == ERROR for p in problems)
            result = "采用" if s["cur"] is not None else "旧版本（已有更新版本）" if s["accepted"] else "拒收"
            received = datetime.fromisoformat(s["received_at"])
            source = time_source(received, s["sent_at"] and datetime.fromisoformat(s["sent_at"]),
                                 s["mtime"] and datetime.fromisoformat(s["mtime"]))
            rows.append((n, run_id(s["merged_at"]), short_name(s["filename"]), s["origin"], s["department"], result, errors,
                         len(problems) - errors, s["sender"], received.strftime("%Y-%m-%d %H:%M"), source,
                         s["sha256"][:12]))
        book.sheet("收件回执", ("序号", "合并编号", "文件", "来源", "部门", "结果", "错误", "警告", "发件人", "收到时间",
                            "时间来源", "编号"), rows, (5, 16, 30, 24, 13, 12, 5, 5, 20, 16, 9, 13))
        book.sheet("问题清单", PROBLEM_HEADERS,
                   [(short_name(s["filename"]), s["department"], p.get("sheet"), p.get("cell"), p.get("value"),
                     SEVERITY_LABELS.get(p.get("severity"), p.get("severity")), p.get("message"), p.get("code"))
                    for s in subs for p in json.loads(s["problems"])], PROBLEM_WIDTHS)
        _missing_and_late(book, plan, quarter, qr)
        book.sheet("版本变化", CHANGE_HEADERS, changes, CHANGE_WIDTHS)
        _mismatch_sheet(book, [(s["department"], short_name(s["filename"]), *m, datetime.fromisoformat(s["received_at"]).strftime(
            "%Y-%m-%d %H:%M"), "采用" if s["cur"] is not None else "旧版本（已有更新版本）")
            for s in subs if s["accepted"] for m in [sender_mismatch(plan, s["department"], s["sender"])] if m])
        book.close()
    return target


def _now() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M")


def late_label(source: str) -> str:
    """迟报, saying so when only a file's time (perhaps the day an attachment was saved) says it."""
    if source in (FILE, NONE):
        return "迟报（仅按文件时间判断，如为保存附件的时间请用 --received-at 更正）"
    return f"迟报（按{source}）" if source else "迟报"


def quarter_status(plan: Plan, quarter: Quarter | str, out_dir: Path | str, department: str | None = None, *,
                   store: str | Location | None = None) -> dict:
    """Expected, returned (when, on time or late), missing, rejected, open problems, merged values.

    With `department`, also that department's every accepted version and what each one changed.
    `store`: where the store is (a URL, see merge); default PLANKIT_STORE, else under `out_dir`.
    """
    quarter, out_dir = as_quarter(quarter, plan.settings.year), Path(out_dir)
    if department is not None and department not in plan.department_names():
        raise UsageError(f"计划中没有单位“{department}”。", hint="请按计划主表“任务”表中的写法填写单位名称。",
                         code=USAGE_DEPARTMENT)
    location = resolve(plan, out_dir, store)
    qr, versions, runs = None, {}, []
    with reading(location) as conn:  # one snapshot: a merge committing meanwhile is seen whole or not at all
        if conn is not None:
            qr = read_quarter(conn, plan, quarter)
            runs = list_runs(conn, quarter.code)
            if qr is None:
                if location.db_path is not None:
                    check_not_emptied(location.db_path, conn)
            else:
                versions = _versions(conn, quarter.code)
                for rows in versions.values():
                    for older, newer in zip(rows, rows[1:]):
                        newer["changes"] = [{**c.__dict__, "field": FIELD_LABELS.get(c.field, c.field)}
                                            for c in diff_versions(conn, older["id"], newer["id"])]
    qr = qr or QuarterReturns(quarter.code, plan.department_names())
    deadline = plan.settings.deadline(quarter.q)
    open_rejections = [r for r in qr.rejections
                       if r.department not in qr.returns or r.received_at > qr.returns[r.department].received_at]
    returned = [{"department": d, "received_at": r.received_at.isoformat(sep=" "), "on_time": r.on_time,
                 "time_source": r.time_source,
                 "filename": r.filename, "sender": r.sender, "sha256": r.sha256, "versions": r.versions,
                 "warnings": r.warnings, "history": versions.get(d, [])}
                for d, r in qr.returns.items()]
    tasks = []
    for t in plan.tasks:
        entries = [_entry(e) for e in qr.task_entries(t.no)]
        indicators = [{"name": i.name, "department": d, "value": e.value, "note": e.note, "cell": e.cell}
                      for i in plan.indicators_for_task(t.no) for d in [plan.indicator_owner(i)]
                      for e in [qr.indicator_value(t.no, i.name, d)] if e is not None]
        if entries or indicators:
            tasks.append({"task_no": t.no, "name": t.name, "entries": entries, "indicators": indicators})
    return {
        "quarter": quarter.code, "deadline": deadline.isoformat(),
        "expected": qr.expected, "returned": [r["department"] for r in returned], "missing": qr.missing,
        "late": qr.late, "late_by_file_time": qr.late_by_file_time,
        "rejected": sorted({r.department for r in open_rejections if r.department}),
        "returns": returned,
        "rejections": [{"department": r.department, "filename": r.filename,
                        "received_at": r.received_at.isoformat(sep=" "), "reasons": r.reasons}
                       for r in open_rejections],
        "tasks": tasks, "runs": runs,
        **({"versions": versions.get(department, [])} if department is not None else {}),
    }


def _entry(e) -> dict:
    return {"department": e.department, "role": e.role, "status": e.status, "percent": e.percent,
            "progress": e.progress, "issues": e.issues, "next_steps": e.next_steps, "cell": e.cell}


def _versions(conn, quarter: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    rows = conn.execute(
        "SELECT s.id, s.department, s.filename, s.sha256, s.received_at, s.sender, c.chosen_by FROM submissions s"
        " LEFT JOIN current c ON c.submission_id=s.id WHERE s.quarter=? AND s.accepted=1"
        " ORDER BY s.received_at, s.id", (quarter,))
    for r in rows:
        out.setdefault(r["department"], []).append(
            {"id": r["id"], "filename": r["filename"], "sha256": r["sha256"], "received_at": r["received_at"],
             "sender": r["sender"], "current": r["chosen_by"] is not None,
             "chosen_by": r["chosen_by"] or "", "changes": []})
    return out


__all__ = ["display_text", "quarter_status", "write_merge_report", "write_quarter_report"]
