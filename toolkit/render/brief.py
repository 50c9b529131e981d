"""The quarterly briefing pack: template context from a QuarterEvaluation, then .docx/.pdf.

`briefing_context(ev, ...)` turns the evaluation into plain dicts and strings (every
variable a template author can use is listed in docs/用户手册.md, 模板维护人员);
`render_brief(ev, target_dir, ...)` renders templates/briefing.docx (and, on request, one
督办 notice per lead unit with lagging tasks from templates/dept_notice.docx) through
toolkit.render.template, and converts to PDF with LibreOffice when asked;
`write_brief(plan, quarter, out_dir, ...)` evaluates the quarter from the store first and writes
into out/<plan>/<quarter>/brief/ (the public API and `plankit brief`).
"""
from __future__ import annotations

import contextlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from functools import partial
from datetime import date, timedelta
from pathlib import Path

from toolkit import resources
from toolkit.render import charts
from toolkit.render import template as docrender
from toolkit.render.brief_year import YEAR_TEMPLATE, quoted, year_context
from toolkit.evaluate.assessment import assess_year
from toolkit.render.brief_units import UnitsSummary, summarise
from toolkit.render.signature import align_signature
from toolkit.evaluate.breakdown import iter_breakdown_groups
from toolkit.evaluate.judge import RED, STATUSES_EVAL, QuarterEvaluation, TaskResult, evaluate_quarter
from toolkit.model import Plan, cn_date, quarter_end
from toolkit.paths import quarter_dir
from toolkit.quarter import Quarter, as_quarter
from toolkit.store.location import merge_running_for, use_store
from toolkit.values import is_empty_answer

BRIEF_TEMPLATE, NOTICE_TEMPLATE, FONTS_CONF = "briefing.docx", "dept_notice.docx", "fonts.conf"
STATUS_KEYS = {"已完成": "done", "超序时": "ahead", "序时推进": "on_track", "滞后": "lagging",
               "未报送": "missing"}
CN_NUMS = "一二三四五六七八九十"
FONT_SETS = {"gb2312": {"仿宋": "仿宋_GB2312", "楷体": "楷体_GB2312"},
             "plain": {"仿宋_GB2312": "仿宋", "楷体_GB2312": "楷体"}}
CHART_WIDTH_MM = 140
DEFAULT_DEADLINE_DAYS = 30
HIGHLIGHTS = 3  # tasks quoted per 领域 paragraph
MAX_NAMES = 8  # task names listed after one shared problem


@dataclass
class BriefResult:
    path: Path
    pdf: Path | None = None
    notices: list[Path] = field(default_factory=list)
    chart: bool = False
    lagging: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    evaluation: QuarterEvaluation | None = field(default=None, repr=False)  # what was rendered
    merging: str = ""  # a merge held the store while this briefing read it (its holder), else ""

    def to_dict(self) -> dict:
        data = {"path": str(self.path), "notices": [str(p) for p in self.notices],
                "chart": self.chart, "lagging": self.lagging, "counts": self.counts,
                "warnings": self.warnings}
        if self.merging:
            data["merging"] = self.merging
        if self.pdf:
            data["pdf"] = str(self.pdf)
        return data


# ------------------------------------------------------------------ small formatters

def pct(x: float | None) -> str:
    """One decimal, no trailing .0: 53.3, 50."""
    if x is None:
        return "—"
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def cn_number(i: int) -> str:
    """1..99 in Chinese numerals: 一, 十, 十一, 二十三."""
    if not 1 <= i <= 99:
        return str(i)
    tens, ones = divmod(i, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else CN_NUMS[tens - 1] + "十")
    return head + (CN_NUMS[ones - 1] if ones else "")


def cn_seq(i: int) -> str:
    """（一）, （十一）: the numbering of second-level items in official documents."""
    return f"（{cn_number(i)}）"


def brief_filename(ev: QuarterEvaluation) -> str:
    if ev.year_end:
        return f"{ev.quarter.year}年{ev.plan.settings.subject}完成情况.docx"
    return f"{ev.quarter.label}{ev.plan.settings.subject}进展情况简报.docx"


def notice_filename(ev: QuarterEvaluation, unit: str) -> str:
    safe = re.sub(r'[\\/:*?"<>|\s]+', "_", unit).strip("._") or "单位"
    return f"{ev.quarter.label}{ev.plan.settings.subject}督办通知（{safe}）.docx"


def first_sentence(text: str, limit: int = 80) -> str:
    """The first sentence; a longer one is cut after its last clause (，、) within `limit`
    and marked ……, so no word or number is cut in half ("调试和内……" read as a typo)."""
    text = " ".join(text.split())
    head = re.split(r"(?<=[。；;！!？?])", text, maxsplit=1)[0].rstrip("。；;，, ")
    if len(head) <= limit:
        return head
    cut = head[:limit]
    clause = max(cut.rfind(p) for p in "，、,")
    if clause >= limit // 2:
        cut = cut[:clause]
    elif re.match(r"[0-9A-Za-z.%]{2}", head[limit - 1:limit + 1]):
        cut = re.sub(r"[0-9A-Za-z.%]+$", "", cut)  # not in the middle of 1.5万 or ALC
    return cut.rstrip(" ，、,") + "……"


def end_with_stop(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in "。！？；.!?" else text + "。"


def leads(r: TaskResult) -> str:
    return "、".join(r.task.leads) or "（未指定）"


def reason_of(r: TaskResult) -> str:
    """The lagging reason in the departments' own words: lead first, then co-units."""
    texts = [e.issues.strip() for e in ([r.lead_entry] if r.lead_entry else []) + list(r.co_entries)
             if not is_empty_answer(e.issues)]
    return end_with_stop("；".join(dict.fromkeys(texts))) if texts else "未说明原因。"


def basis_note(r: TaskResult) -> str:
    """`，按完成时限“6月底前”（二季度末完成）` where 序时 is not the plan's quarterly milestones."""
    if not r.schedule_basis or r.schedule_basis == "按季度序时进度":
        return ""
    return f"，{r.schedule_basis}"


def figures_of(r: TaskResult) -> str:
    if r.percent is None:
        return f"未报送完成比例（序时进度{pct(r.schedule)}%{basis_note(r)}）"
    text = f"完成年度目标的{pct(r.percent)}%，序时进度{pct(r.schedule)}%{basis_note(r)}"
    if r.gap is not None and r.gap < 0:
        text += f"，低于序时进度{pct(-r.gap)}个百分点"
    elif r.gap is not None and r.gap > 0:
        text += f"，超过序时进度{pct(r.gap)}个百分点"
    return text


# ------------------------------------------------------------------ the context

def _lagging_row(r: TaskResult, i: int) -> dict:
    return {"seq": cn_seq(i), "no": r.task.no, "name": r.task.name, "lead": leads(r),
            "domain": r.task.domain, "percent": pct(r.percent), "schedule": pct(r.schedule),
            "gap": pct(-r.gap) if r.gap is not None else "—", "figures": figures_of(r),
            "reason": reason_of(r),
            "next_steps": end_with_stop(r.lead_entry.next_steps) if r.lead_entry else ""}


def _domain_text(results: list[TaskResult], counts: dict[str, int]) -> str:
    """Figures, then up to HIGHLIGHTS tasks in the lead units' own words (best first),
    then the lagging ones by name; the annex table holds every task's full text."""
    parts = [f"{s}{counts[s]}项" for s in STATUSES_EVAL if counts.get(s)]
    text = f"共{len(results)}项，其中" + "、".join(parts) + "。"
    ranked = sorted((r for r in results if r.lead_entry and r.lead_entry.progress.strip()),
                    key=lambda r: STATUSES_EVAL.index(r.status) if r.status in STATUSES_EVAL else 0)
    words = [f"{r.task.name}：{first_sentence(r.lead_entry.progress)}" for r in ranked[:HIGHLIGHTS] if r.lead_entry]
    if words:
        text += "；".join(words) + "。"
    lag = [r.task.name for r in results if r.status == "滞后"]
    if lag:
        text += quoted(*lag) + "进度滞后。"
    return text


def _problems(ev: QuarterEvaluation, units_text: str = "") -> list[dict]:
    items: list[str] = [units_text] if units_text else []  # units lagging on broken-down indicators
    issues: dict[str, list[str]] = {}
    for r in ev.tasks:
        for e in ([r.lead_entry] if r.lead_entry else []) + list(r.co_entries):
            text = " ".join((e.issues or "").split())
            if not is_empty_answer(text):
                issues.setdefault(end_with_stop(text), [])
                if r.task.name not in issues[end_with_stop(text)]:
                    issues[end_with_stop(text)].append(r.task.name)
    for text, names in issues.items():
        listed = "、".join(names[:MAX_NAMES]) + (f"等{len(names)}项任务" if len(names) > MAX_NAMES else "")
        items.append(f"{text.rstrip('。')}（涉及：{listed}）。")
    missing, late = ev.returns.missing, ev.returns.late
    if missing or late:
        text = "部分单位未按时报送进展情况。"
        if missing:
            text += f"{'、'.join(missing)}未报送"
        if late:
            text += ("；" if missing else "") + f"{'、'.join(late)}逾期报送"
        items.append(text + "。")
    flagged = [r for r in ev.tasks if r.flags]
    if flagged:
        items.append("部分任务自报情况与指标数据不一致，需进一步核实：" +
                     "；".join(f"{r.task.name}（{r.flags[0]}）" for r in flagged[:10]) + "。")
    return [{"seq": cn_seq(i), "text": t} for i, t in enumerate(items, 1)]


def briefing_context(ev: QuarterEvaluation, *, issue_no: int | None = None,
                     on: date | None = None, deadline_days: int = DEFAULT_DEADLINE_DAYS,
                     assessment: list[dict] | None = None, units: UnitsSummary | None = None) -> dict:
    """Every variable the briefing and notice templates can use (see docs/用户手册.md, 模板维护人员);
    at Q4 also the year-end ones (brief_year.year_context)."""
    ctx = _quarter_context(ev, issue_no=issue_no, on=on, deadline_days=deadline_days, units=units)
    return year_context(ev, ctx, assessment) if ev.year_end else ctx


def _quarter_context(ev: QuarterEvaluation, *, issue_no: int | None, on: date | None,
                     deadline_days: int, units: UnitsSummary | None = None) -> dict:
    s, q = ev.plan.settings, ev.quarter
    on = on or date.today()
    total = len(ev.tasks)
    counts = {STATUS_KEYS[k]: ev.counts.get(k, 0) for k in STATUSES_EVAL}
    percents = {k: pct(100.0 * v / total if total else 0.0) for k, v in counts.items()}
    domains: dict[str, list[TaskResult]] = {}
    for r in ev.tasks:
        domains.setdefault(r.task.domain or "其他", []).append(r)
    lagging = ev.lagging()
    red = [r for r in lagging if r.light == RED]  # more than `red` points behind (Settings.red)
    end = quarter_end(q.year, q.q)
    if units is None:  # indicators broken down by unit (分解): render/brief_units.py
        units = summarise(iter_breakdown_groups(ev), ev.returns)
    return {
        "title": s.title, "year": s.year, "quarter": q.q, "quarter_code": q.code,
        "quarter_label": q.label, "quarter_end": f"{end.year}年{end.month}月底",
        "bulletin_name": s.bulletin_name or f"{s.subject}工作简报", "subject": s.subject,
        "issuer": s.issuer or "", "issue_no": issue_no if issue_no is not None else q.q,
        "date": cn_date(on), "date_iso": on.isoformat(),
        "doc_title": f"{q.label}{s.subject}进展情况",
        "total": total, "counts": counts, "pct": percents,
        "summary": [{"status": k, "count": ev.counts.get(k, 0), "percent": percents[STATUS_KEYS[k]]}
                    for k in STATUSES_EVAL],
        "expected": ev.expected, "returned": ev.returned, "on_time": ev.on_time,
        "reporting_rate": pct(ev.reporting_rate), "on_time_rate": pct(ev.on_time_rate),
        "missing_units": "、".join(ev.returns.missing), "late_units": "、".join(ev.returns.late),
        "domains": [{"seq": cn_seq(i), "name": name, "total": len(rs),
                     "counts": {STATUS_KEYS[k]: ev.by_domain.get(name, {}).get(k, 0) for k in STATUSES_EVAL},
                     "text": _domain_text(rs, ev.by_domain.get(name, {}))}
                    for i, (name, rs) in enumerate(domains.items(), 1)],
        "lagging": [_lagging_row(r, i) for i, r in enumerate(lagging, 1)],
        "red": pct(s.red), "yellow": pct(s.yellow),
        "red_tasks": (quoted(*(r.task.name for r in red)) + f"{len(red)}项任务") if red else "",
        "problems": _problems(ev, units.lagging),
        "breakdown": units.context,
        "next_steps": [{"lead": leads(r), "name": r.task.name, "text": end_with_stop(r.lead_entry.next_steps)}
                       for r in lagging if r.lead_entry and r.lead_entry.next_steps.strip()],
        "deadline_days": deadline_days, "deadline": cn_date(on + timedelta(days=deadline_days)),
        "report_days": s.deadline_days or 10,
        "tasks": [{"no": r.task.no, "name": r.task.name, "lead": leads(r), "domain": r.task.domain,
                   "status": r.status, "percent": pct(r.percent), "schedule": pct(r.schedule),
                   "progress": _progress_cell(r)} for r in ev.tasks],
    }


def _progress_cell(r: TaskResult) -> str:
    if r.status == "未报送" and not r.lead_entry:
        return "未报送"
    head = f"完成{pct(r.percent)}%（序时{pct(r.schedule)}%{basis_note(r)}）" if r.percent is not None else ""
    words = (r.lead_entry.progress if r.lead_entry else "").strip()  # line breaks kept
    return "；".join(x for x in (head, words) if x) or "—"


def notice_contexts(ev: QuarterEvaluation, base: dict, units: UnitsSummary | None = None) -> dict[str, dict]:
    """One context per lead unit with lagging tasks (a task with two leads goes to both)."""
    per_unit: dict[str, list[TaskResult]] = {}
    for r in ev.lagging():
        for unit in r.task.leads:
            per_unit.setdefault(unit, []).append(r)
    contexts = {unit: {**base, "unit": unit,
                       "notice_title": f"关于加快推进{base['subject']}滞后任务的督办通知",
                       "scope": f"你单位牵头的{len(rs)}项任务",
                       "tasks": [_lagging_row(r, i) for i, r in enumerate(rs, 1)]}
                for unit, rs in per_unit.items()}
    # units behind their own 序时 on broken-down indicators (分解) get a notice too
    if units is None:
        units = summarise(iter_breakdown_groups(ev), ev.returns)
    for unit, rows in units.notices.items():
        ctx = contexts.setdefault(unit, {**base, "unit": unit, "tasks": [], "scope": "",
                                         "notice_title": f"关于加快推进{base['subject']}分解指标滞后事项的督办通知"})
        n_tasks = len(ctx["tasks"])
        ctx["tasks"] = ctx["tasks"] + rows
        for i, row in enumerate(ctx["tasks"], 1):
            row["seq"] = cn_seq(i)
        ctx["scope"] = "和".join(x for x in (f"你单位牵头的{n_tasks}项任务" if n_tasks else "",
                                            f"你单位承担的{len(rows)}个分解指标") if x)
    return contexts


# ------------------------------------------------------------------ writing

def find_template(name: str, given: Path | None = None) -> Path:
    """--template if given; else templates/<name> in the working folder; else the bundled one."""
    return resources.template(name, given)


@contextlib.contextmanager
def cjk_fontconfig(template_dir: Path):
    """Point LibreOffice's fontconfig at fonts.conf (仿宋/楷体/… → installed CJK fonts)."""
    conf = next((p for p in (template_dir / FONTS_CONF,
                             resources.bundled("templates", FONTS_CONF)) if p.is_file()), None)
    old = os.environ.get("FONTCONFIG_FILE")
    if conf and not old:
        os.environ["FONTCONFIG_FILE"] = str(conf.resolve())
    try:
        yield
    finally:
        if conf and not old:
            os.environ.pop("FONTCONFIG_FILE", None)


def to_pdf(docx: Path, template_dir: Path) -> Path:
    from toolkit.fileio import office
    with cjk_fontconfig(template_dir), tempfile.TemporaryDirectory(prefix="plankit-pdf-") as tmp:
        made = office.convert(docx, "pdf", Path(tmp))
        target = docx.with_suffix(".pdf")
        from toolkit.fileio.safeio import atomic_path
        with atomic_path(target) as out:
            out.write_bytes(made.read_bytes())
    return target


def write_brief(plan: Plan, quarter: Quarter | str, out_dir: Path | str, *, store: str | None = None,
                **options) -> BriefResult:
    """Evaluate `quarter` from the store under `out_dir` (or `store`, a URL) and render its briefing into
    out/<plan>/<quarter>/brief/. `options` are render_brief's (template, notice_template, issue_no,
    on, deadline_days, pdf, per_dept, fonts, chart, assessment); the result's `.evaluation` is what was rendered."""
    quarter = as_quarter(quarter, plan.settings.year)
    with use_store(store):
        merging = merge_running_for(plan, out_dir)  # read first: a merge may end while we read
        ev = evaluate_quarter(plan, quarter, out_dir)
        if ev.year_end and "assessment" not in options:  # 工作评价: the 年度考核 from the store
            options["assessment"] = assess_year(plan, Path(out_dir)).rows()
    result = render_brief(ev, quarter_dir(plan, quarter, Path(out_dir), "brief"), **options)
    result.merging = merging
    return result


def render_brief(ev: QuarterEvaluation, out_dir: Path, *, template: Path | None = None,
                 notice_template: Path | None = None, issue_no: int | None = None,
                 on: date | None = None, deadline_days: int = DEFAULT_DEADLINE_DAYS,
                 pdf: bool = False, per_dept: bool = False, fonts: str | None = None,
                 chart: bool = True, assessment: list[dict] | None = None) -> BriefResult:
    """Render the briefing of an evaluation (and optional notices/PDF) into `out_dir` itself;
    at Q4 the year-end template unless `template` is given."""
    template = find_template(YEAR_TEMPLATE if ev.year_end else BRIEF_TEMPLATE, template)
    units = summarise(iter_breakdown_groups(ev), ev.returns)  # once for the briefing and the notices
    ctx = briefing_context(ev, issue_no=issue_no, on=on, deadline_days=deadline_days,
                           assessment=assessment, units=units)
    font_map = FONT_SETS.get(fonts) if fonts else None
    result = BriefResult(path=Path(out_dir) / brief_filename(ev), lagging=len(ctx["lagging"]),
                         counts=dict(ev.counts), evaluation=ev)
    with tempfile.TemporaryDirectory(prefix="plankit-chart-") as tmp:
        png = None
        if chart:
            rows = [(d["name"], ev.by_domain.get(d["name"], {})) for d in ctx["domains"]]
            png = charts.status_by_domain(rows, ev.statuses, Path(tmp) / "chart.png",
                                          colors=charts.YEAR_COLORS if ev.year_end else None)
            if png is None:
                result.warnings.append("未找到可显示中文的字体，简报中省略了图表"
                                       "（请安装 fonts-noto-cjk 或任一中文字体）。")
        result.chart = png is not None
        docrender.render(template, ctx, result.path, images={"chart": (png, CHART_WIDTH_MM)},
                         font_map=font_map)
    if per_dept:
        notice_tpl = find_template(NOTICE_TEMPLATE, notice_template)
        for unit, nctx in notice_contexts(ev, ctx, units).items():
            target = Path(out_dir) / notice_filename(ev, unit)
            docrender.render(notice_tpl, nctx, target, font_map=font_map,
                             after=partial(align_signature, issuer=nctx["issuer"], date=nctx["date"]))
            result.notices.append(target)
    if pdf:
        result.pdf = to_pdf(result.path, template.parent)
        with cjk_fontconfig(template.parent):  # the fonts LibreOffice saw, not the colour emoji it is kept from
            missing = missing_glyphs(_texts(ctx))
        if missing:
            result.warnings.append(
                f"简报中有{len(missing)}个字符在本机字体中找不到字形（{'、'.join(missing[:5])}），PDF中会显示为方框。"
                "可安装含这些字的字体（生僻字：fonts-hanazono；表情符号：fonts-symbola）后重新生成，"
                "Word文档本身不受影响。")
    return result


def _texts(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _texts(v)]
    return []


def missing_glyphs(texts: list[str]) -> list[str]:
    """Characters beyond the common planes (CJK Extension B+, emoji) no installed font can draw,
    asked of fontconfig once per character; [] when fontconfig is not there to ask."""
    import shutil
    import subprocess
    fc = shutil.which("fc-list")
    if fc is None:
        return []
    rare = sorted({ch for t in texts for ch in t if ord(ch) > 0xFFFF or unicodedata.category(ch) == "So"})
    missing = []
    for ch in rare[:50]:
        try:
            found = subprocess.run([fc, f":charset={ord(ch):x}", "family"], capture_output=True, text=True,
                                   timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return []
        if not found:
            missing.append(ch)
    return missing
