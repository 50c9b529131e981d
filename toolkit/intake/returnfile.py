"""Read one returned fill-in workbook: check it is safe, identify it, validate every value.

`read_return` raises ReturnFileError only when a file cannot be read or identified at
all; everything else (wrong quarter, old plan, edited plan text, bad values...) is a
Problem in `ParsedReturn.problems`. Errors reject the file, warnings merge it.

Bounded time and memory come from checks before any parser runs (safeio.preflight:
file and part sizes, zip entries, DTDs, a row count per sheet) and from reading at most
MAX_DATA_ROWS rows; parsing stays in-process because a subprocess per file would cost
more than the read itself (see docs/ENGINEERING.md).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.fillin import identity as ID
from toolkit.fillin import layout as L
from toolkit import problems as P
from toolkit.intake import codes as RC
from toolkit.errors import FILE_DAMAGED, InputFileError, RETURN_UNIDENTIFIED
from toolkit.model import Plan
from toolkit.quarter import Quarter
from toolkit.intake.planfacts import plan_facts
from toolkit.intake.renumber import as_numbered, describe, previous_as_numbered, renumbering, to_current
from toolkit.intake.seenplan import seen_plan, shown_tasks
from toolkit.intake.cells import Context
from toolkit.intake.contact import read_contact
from toolkit.intake.indicatorrows import read_indicators
from toolkit.intake.progressrows import read_progress
from toolkit.returns import IndicatorEntry, QuarterReturns, TaskEntry
from toolkit.intake.grid import Book, Table, above_header_text, locate
from toolkit.intake.sheetchecks import (INDICATOR_HEADERS, PROGRESS_HEADERS, merged_inputs,
    without_contradictions)
from toolkit.intake.sheetchecks import copies as sheet_copies
from toolkit.fileio.filekind import ODS, XLS, XLSM, XLSX
from toolkit.fileio.safeio import preflight
from toolkit.values import format_number
from toolkit.fileio.xlsxmeta import WorkbookMeta, read_meta

MAX_DATA_ROWS = 5000
MAX_RETURN_BYTES = 20 * 1024 * 1024  # a real return is ~30 KB; 20 MB leaves room for pictures
MAX_PART_BYTES = 32 * 1024 * 1024  # one XML part inflated; calamine needs a few times this
MAX_SHEET_ROWS = MAX_DATA_ROWS + 1000  # row elements per sheet part, counted before parsing
IDENTITY_FIELDS = ("plan_id", "fingerprint", "department", "quarter")


def _parser_errors() -> tuple[type[BaseException], ...]:
    """What the readers raise for a malformed file (anything else is a bug and propagates)."""
    import zipfile
    from xml.parsers.expat import ExpatError

    from python_calamine import CalamineError
    return (CalamineError, ExpatError, zipfile.BadZipFile, UnicodeDecodeError, EOFError)


PARSER_ERRORS = _parser_errors()


class ReturnFileError(InputFileError):
    """A returned file that cannot be read or identified at all (one clear rejection)."""


@dataclass
class ParsedReturn:
    path: Path
    kind: str  # xlsx / xlsm / xls / ods
    identity: dict[str, str]  # layout.META_KEYS values as found
    identified_by: str  # 'properties' | 'meta-sheet' | 'defined-name' | 'layout'
    department: str
    quarter: str  # e.g. 2019Q2
    tasks: list[TaskEntry] = field(default_factory=list)
    indicators: list[IndicatorEntry] = field(default_factory=list)
    contact: dict[str, str] = field(default_factory=dict)
    content_hash: str = ""
    problems: list[P.Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[P.Problem]:
        return [p for p in self.problems if p.severity == P.ERROR]

    @property
    def warnings(self) -> list[P.Problem]:
        return [p for p in self.problems if p.severity == P.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors


def read_return(path: Path, plan: Plan, quarter: Quarter | None = None, *, display_name: str | None = None,
                previous: QuarterReturns | None = None, data: bytes | None = None) -> ParsedReturn:
    """Read, identify and validate one returned workbook; raise ReturnFileError if unusable.

    :param data: the file's bytes, when the caller has them (then `path` is only its name).
    """
    path = Path(path)
    name = display_name or path.name
    try:
        checked = preflight(path, name=name, max_bytes=MAX_RETURN_BYTES, max_part_bytes=MAX_PART_BYTES,
                            max_rows=MAX_SHEET_ROWS, keep_parts=True, data=data)
    except InputFileError as exc:
        raise ReturnFileError(exc.message, hint=exc.hint, code=exc.code)
    try:
        book = Book(checked.data, MAX_DATA_ROWS + 50)
    except Exception as exc:  # calamine raises its own types (PasswordError, XmlError, ...)
        raise ReturnFileError(f"{name}：文件已损坏，无法作为表格读取（{type(exc).__name__}）。"
                              "请让报送单位在Excel中重新保存为“Excel工作簿(*.xlsx)”后发送。", code=FILE_DAMAGED)
    try:
        return _read(path, name, checked, book, plan, quarter, previous)
    except ReturnFileError:
        raise
    except InputFileError as exc:  # found while reading a sheet: name the file
        raise ReturnFileError(f"{name}：{exc.message}", hint=exc.hint, code=exc.code)
    except PARSER_ERRORS as exc:  # a parser choking on a malformed part: still one clear rejection
        raise ReturnFileError(f"{name}：文件内容损坏，无法读取（{type(exc).__name__}）。"
                              "请让报送单位在Excel中重新保存后发送。", code=FILE_DAMAGED)
    finally:
        book.close()


def _read(path, name, checked, book: Book, plan, quarter, previous) -> ParsedReturn:
    problems: list[P.Problem] = []
    meta_name = book.find_name(L.META_SHEET)
    meta_grid = book.grid(meta_name) if meta_name else None
    meta_rows = [r[:3] for r in meta_grid.rows] if meta_grid else []
    # the reader uses the layout's sheet roles and contact cells, not its 100s of row.* lines
    layout = ID.parse_meta_rows([r for r in meta_rows if not (r and type(r[0]) is str and r[0].startswith("row."))]
                                ) if meta_grid else None
    zf = checked.zip()  # the parts preflight kept, for identity and xlsxmeta alike
    found = _identities(path, checked, zf, meta_rows if not (meta_grid and meta_grid.truncated) else None)
    roles = layout.sheets if layout else {}
    progress, renamed_p, headless_p = locate(book, [roles.get("progress", ""), L.PROGRESS_SHEET], PROGRESS_HEADERS,
                                             set())
    indicator, renamed_i, headless_i = locate(book, [roles.get("indicator", ""), L.INDICATOR_SHEET],
                                              INDICATOR_HEADERS, {progress.grid.name} if progress else set())
    unit = re.search(r"填报单位[:：]\s*([^\s　]+)", above_header_text(progress)) if progress else None
    ident, by = _choose_identity(found, name, problems, unit.group(1) if unit else "")
    if ident is None:
        ident, by, dept, q = _identify_by_layout(progress, plan, quarter, name)
        problems.append(P.make(RC.IDENTITY_LOST, file=name, department=dept, quarter=q.label))
        q = _check_quarter(q, quarter, plan, name, problems)
    else:
        dept, q = _check_identity(ident, plan, quarter, name, problems)
    if checked.kind == XLS:
        meta = WorkbookMeta()
    else:
        wanted = tuple(t.grid.name for t in (progress, indicator) if t)
        meta = read_meta(zf or checked.data, checked.kind, wanted)
        for t in (progress, indicator):
            if t:
                t.grid.cells = meta.cells.get(t.grid.name, {})
    if checked.kind == XLSM or meta.macros:
        problems.append(P.make(RC.MACROS, file=name))
    if meta.external_links:
        problems.append(P.make(RC.EXTERNAL_LINKS, file=name))
    seen = plan.earlier.get(ident.get("fingerprint", "")) if ident.get("plan_id") == plan.plan_id else None
    renamed: dict[str, str] = {}
    moved: dict[int, int] = {}  # tasks renumbered since the sheets went out: old -> current number
    if seen is not None:  # sheets of an earlier plan version: read against what the department saw
        moved = renumbering({t.no: (t.name, t.target) for t, _ in seen.tasks_for(dept)}, plan, dept)
        problems.extend(_plan_changes(seen, plan, dept, name, moved))
    elif any(p.code == RC.OLD_PLAN for p in problems):  # no copy kept: the workbook shows what it saw
        moved = renumbering(shown_tasks(progress), plan, dept)
        numbered = as_numbered(plan, moved) if moved else plan
        shown = seen_plan(numbered, dept, q.q, progress, indicator, ident.get("fingerprint", ""))
        if not shown.foreign and (not shown.changes or shown.verified or shown.sheets <= meta.protected):
            problems = [p for p in problems if p.code != RC.OLD_PLAN]
            if shown.changes:
                problems.append(P.make(RC.PLAN_CHANGED, file=name, changes="；".join(shown.changes[:8])
                                       + ("等" if len(shown.changes) > 8 else "")))
            seen, renamed = shown.plan, shown.renamed
        else:
            moved = {}
    if moved:
        problems.append(P.make(RC.TASK_RENUMBERED, file=name, changes=describe(
            moved, {no: t[0] for no, t in shown_tasks(progress).items()} if progress else {})))
    same_version = ident.get("fingerprint", "") in ("", plan.fingerprint) or seen is not None
    ctx = Context(seen or plan, dept, q, name, check_locked=same_version
                  and ident.get("plan_id", "") in ("", plan.plan_id), previous=previous_as_numbered(previous, dept, moved),
                  date1904=meta.date1904)
    copies = sheet_copies(book, layout, progress, indicator, ctx)
    tasks, indicators, contact = _read_tables(ctx, (progress, renamed_p, headless_p),
                                              (indicator, renamed_i, headless_i), layout, seen or plan)
    if copies:  # which copy holds the answers cannot be told: nothing of it is merged
        tasks, indicators, contact = [], [], {}
    problems.extend(without_contradictions(merged_inputs(ctx.problems, meta.merged, name)))
    if renamed:  # stored under the indicator's current name
        indicators = [dataclasses.replace(e, name=renamed[e.name]) if e.name in renamed else e for e in indicators]
    if moved:  # stored under the task's current number
        tasks, indicators = to_current(tasks, moved), to_current(indicators, moved)
    if is_blank(tasks, indicators):
        # one clear reason instead of a "not filled in" warning for every cell
        problems = [p for p in problems if p.code not in (RC.MISSING_INPUT, RC.MISSING_CONTACT)]
        problems.append(P.make(RC.BLANK, file=name))
    for table in (progress, indicator):
        if table and table.grid.truncated:
            problems.append(P.make(RC.TOO_MANY_ROWS, file=name, sheet=table.grid.name, value=MAX_DATA_ROWS))
    return ParsedReturn(path, checked.kind, {k: ident.get(k, "") for k in L.META_KEYS}, by, dept, q.code,
                        tasks, indicators, contact, content_hash(dept, q.code, tasks, indicators, contact), problems)


def is_blank(tasks: list[TaskEntry], indicators: list[IndicatorEntry]) -> bool:
    """Rows were found but nothing was typed into any progress or indicator input cell."""
    if not tasks and not indicators:
        return False  # no table read at all: reported by its own problems
    return (not any(t.status or t.percent is not None or t.progress or t.issues or t.next_steps for t in tasks)
            and not any(i.value is not None or i.note for i in indicators))


def _read_tables(ctx: Context, progress_found, indicator_found, layout, plan: Plan):
    tasks, indicators, contact = [], [], {}
    progress, indicator = progress_found[0], indicator_found[0]
    if _found(ctx, progress_found, L.PROGRESS_SHEET, L.P_NAME):
        _check_header_department(ctx, progress)
        tasks = read_progress(ctx, progress)
        contact = read_contact(ctx, progress, layout.contact if layout else {})
    if indicator is not None or plan_facts(plan).indicators_for(ctx.department):
        if _found(ctx, indicator_found, L.INDICATOR_SHEET, L.I_NAME):
            indicators = read_indicators(ctx, indicator)
    return tasks, indicators, contact


def _found(ctx: Context, found, expected: str, column: str) -> bool:
    """Report a renamed, headless or missing sheet; True when the table can be read."""
    table, renamed, headless = found
    if table is not None:
        if renamed:
            ctx.add(RC.SHEET_RENAMED, table, expected=expected)
        return True
    if headless:
        ctx.add(RC.HEADER_MISSING, sheet=headless, column=column)
    else:
        ctx.add(RC.SHEET_MISSING, sheet=expected, expected=expected)
    return False


# ---------------------------------------------------------------- identity

def _identities(path: Path, checked, zf, meta_rows: list[list] | None) -> dict:
    """The identity as found in each store, read by identity.py from the checked bytes.

    For xlsx/xlsm the parts preflight inflated are reused (`zf`, its CheckedZip), and the META_SHEET rows calamine
    already read (`meta_rows`; None when truncated) replace identity.py's XML parse of that
    sheet and of the shared strings whenever identity.py finds the two readings equivalent.
    """
    try:
        if checked.kind in (XLSX, XLSM) and zf is not None:
            return ID.read_identity_checked(zf, meta_rows)
        if checked.from_path and not checked.decrypted:
            return ID.read_identity_all(path)
        suffix = {XLS: ".xls", ODS: ".ods"}.get(checked.kind, ".xlsx")
        with tempfile.TemporaryDirectory(prefix="plankit-ret-") as tmp:
            plain = Path(tmp) / f"checked{suffix}"  # decrypted, or bytes not (yet) at `path`
            plain.write_bytes(checked.data)
            return ID.read_identity_all(plain)
    except Exception:  # identity unreadable: fall back to matching by layout
        return {}


STORE_LABELS = {ID.PROPERTIES: "文件属性", ID.META_SHEET_STORE: "隐藏工作表", ID.DEFINED_NAME: "名称定义",
                "layout": "表头“填报单位”"}
FIELD_LABELS = {"plan_id": "计划", "fingerprint": "计划版本", "department": "单位", "quarter": "季度"}


def _choose_identity(found: dict, name: str, problems: list, layout_dept: str = "") -> tuple[dict | None, str]:
    """The identity the stores agree on. When they disagree (身份信息不一致, an error), each field
    takes the value most of them give, the 填报单位 line on the sheet counting for the department,
    so the rejection reaches the department the file really came from."""
    stores = [(s, found[s]) for s in ID.STORES if found.get(s)]
    if not stores:
        return None, ""
    store, ident = stores[0]
    conflicts = []
    for key in IDENTITY_FIELDS:
        votes = [(s, i[key]) for s, i in stores if i.get(key)]
        if key == "department" and layout_dept:
            votes.append(("layout", layout_dept))
        values = [v for _, v in votes]
        if len(set(values)) <= 1:
            continue
        best = max(values, key=lambda v: (values.count(v), -values.index(v)))
        if key != "department" or any(v != best for s, v in votes if s != "layout"):
            conflicts.append("；".join(f"{STORE_LABELS[s]}中{FIELD_LABELS[key]}为“{v}”" for s, v in votes
                                      if v != best) + f"，其余为“{best}”")
        if ident.get(key) != best:
            ident = {**ident, key: best}
    if conflicts:
        problems.append(P.make(RC.IDENTITY_CONFLICT, file=name, detail="；".join(conflicts)))
    return ident, store


def _check_identity(ident: dict, plan: Plan, quarter: Quarter | None, name: str, problems: list):
    def add(code, value="", **fields):
        problems.append(P.make(code, file=name, value=value, **fields))

    if ident.get("format") != L.FORMAT_VERSION:
        add(RC.FORMAT_UNKNOWN, ident.get("format", ""), expected=L.FORMAT_VERSION)
    if ident.get("plan_id") != plan.plan_id:
        add(RC.OTHER_PLAN, ident.get("plan_id", ""), expected=plan.plan_id)
    elif ident.get("fingerprint") and ident["fingerprint"] != plan.fingerprint:
        if ident["fingerprint"] not in plan.earlier:
            add(RC.OLD_PLAN, ident["fingerprint"])
    dept = ident.get("department", "")
    if dept not in plan_facts(plan).departments:
        add(RC.UNKNOWN_DEPARTMENT, dept)
    q = _quarter_code(ident.get("quarter", ""))
    if q is None:
        add(RC.WRONG_QUARTER, ident.get("quarter", ""), expected=quarter.label if quarter else "本季度")
        return dept, quarter or Quarter(plan.settings.year, 1)
    return dept, _check_quarter(q, quarter, plan, name, problems)


def _plan_changes(old: Plan, new: Plan, dept: str, name: str, moved: dict[int, int]) -> list:
    """What changed in the plan, for this department's rows, since its sheets were generated."""
    changes = []
    new_tasks = {t.no: t for t in new.tasks}
    for t, _ in old.tasks_for(dept):
        now = new_tasks.get(moved.get(t.no, t.no))
        for label, a, b in (("名称", t.name, now.name if now else None), ("目标任务", t.target, now.target if now else None),
                            ("序时进度安排", t.milestones, now.milestones if now else None)):
            if now is None:
                changes.append(f"任务{t.no}已从计划中删除")
                break
            if a != b:
                changes.append(f"任务{t.no}的{label}已修改")
    new_inds = {(i.task_no, i.name) for i in new.indicators}
    for i in old.indicators_for(dept):
        if (moved.get(i.task_no, i.task_no), i.name) not in new_inds:
            changes.append(f"任务{i.task_no}的指标“{i.name}”已改名或删除")
    if not changes:
        return []
    return [P.make(RC.PLAN_CHANGED, file=name, changes="；".join(changes[:8]) + ("等" if len(changes) > 8 else ""))]


def _check_quarter(found: Quarter, wanted: Quarter | None, plan: Plan, name: str, problems: list) -> Quarter:
    """The file's quarter must be the one being merged (and of the plan's year)."""
    expected = wanted or (found if found.year == plan.settings.year else None)
    if expected is None or found != expected:
        label = expected.label if expected else f"{plan.settings.year}年的季度"
        problems.append(P.make(RC.WRONG_QUARTER, file=name, value=found.label, expected=label))
        problems[-1].quarter = found.code
    return found if found.year == plan.settings.year else (wanted or Quarter(plan.settings.year, found.q))


def _quarter_code(code: str) -> Quarter | None:
    m = re.fullmatch(r"(\d{4})Q([1-4])", code or "")
    return Quarter(int(m.group(1)), int(m.group(2))) if m else None


_QUARTER_TEXT = re.compile(r"(\d{4})年第?([一二三四1-4])季度")


def _identify_by_layout(progress: Table | None, plan: Plan, quarter: Quarter | None, name: str):
    """Department and quarter from the 填报单位 line and task numbers, when unambiguous."""
    what_to_do = ("请让报送单位直接在下发的填报表中填写后发送（不要把内容复制到新建的工作簿），"
                  "或在原表中重新填写。")
    if progress is None:
        raise ReturnFileError(f"{name}：无法识别这份文件：既没有填报表的识别信息，也找不到“{L.PROGRESS_SHEET}”表格。"
                              + what_to_do, code=RETURN_UNIDENTIFIED)
    text = above_header_text(progress)
    unit = re.search(r"填报单位[:：]\s*([^\s　]+)", text)
    names = plan.department_names()
    tasks = _task_numbers(progress, plan)
    if unit and unit.group(1) in names:
        candidates = [unit.group(1)]
    else:
        candidates = [d for d in names if {t.no for t, _ in plan.tasks_for(d)} == tasks]
    candidates = [d for d in candidates if tasks and tasks <= {t.no for t, _ in plan.tasks_for(d)}]
    if len(candidates) != 1:
        raise ReturnFileError(f"{name}：文件内的识别信息已丢失，且无法从表格内容确定是哪个单位的填报表。" + what_to_do,
                              code=RETURN_UNIDENTIFIED)
    m = _QUARTER_TEXT.search(text)
    q = quarter
    if m:
        digit = m.group(2)
        number = int(digit) if digit.isdigit() else "一二三四".index(digit) + 1
        q = Quarter(int(m.group(1)), number)
    if q is None:
        raise ReturnFileError(f"{name}：文件内的识别信息已丢失，无法确定是哪个季度的填报表。" + what_to_do,
                              code=RETURN_UNIDENTIFIED)
    ident = {"format": "", "plan_id": "", "fingerprint": "", "department": candidates[0], "quarter": q.code,
             "file_id": "", "generated_at": ""}
    return ident, "layout", candidates[0], q


def _task_numbers(progress: Table, plan: Plan) -> set[int]:
    known = {t.no for t in plan.tasks}
    result = set()
    key_col, no_col = progress.col(L.ROW_KEY_HEADER), progress.col(L.P_NO)
    for r in range(progress.header_row + 1, len(progress.grid.rows)):
        key = str(progress.grid.value(r, key_col) or "") if key_col is not None else ""
        raw = (key[1:] if key.startswith(L.TASK_KEY_PREFIX)
               else progress.grid.value(r, no_col) if no_col is not None else None)
        try:
            no = int(float(str(raw).strip()))
        except (TypeError, ValueError):
            continue
        if no in known:
            result.add(no)
    return result


def _check_header_department(ctx: Context, table: Table) -> None:
    """The 填报单位 printed above the table must be the department the file belongs to."""
    unit = re.search(r"填报单位[:：]\s*([^\s　]+)", above_header_text(table))
    if unit and unit.group(1) != ctx.department and unit.group(1) in plan_facts(ctx.plan).departments:
        ctx.add(RC.DEPARTMENT_MISMATCH, table, value=unit.group(1), expected=ctx.department)


# ---------------------------------------------------------------- content hash

def content_hash(dept: str, quarter: str, tasks, indicators, contact) -> str:
    """sha256 of the answers only: equal for the same answers saved by another program."""
    def num(x):
        return None if x is None else format_number(x)
    blob = {
        "department": dept, "quarter": quarter,
        "tasks": sorted([e.task_no, e.status, num(e.percent), e.progress, e.issues, e.next_steps] for e in tasks),
        "indicators": sorted([e.task_no, e.name, num(e.value), e.note] for e in indicators),
        "contact": sorted(contact.items()),
    }
    text = json.dumps(blob, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


__all__ = ["MAX_DATA_ROWS", "ParsedReturn", "ReturnFileError", "content_hash", "read_return"]
