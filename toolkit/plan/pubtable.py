"""Rows of a published plan table → Tasks, the same way for .docx, .xlsx, .csv and pasted text.

A source gives a grid: (where, cell texts with their line breaks, merged-from-above flags).
`rows_from_grid` finds the header by meaning (headers.py) and keys each row by field;
`tasks_from_rows` builds Tasks: a row without 序号 continues the task above (joined with
`；`; a row whose 序号 is merged from above, or that opens a table continued from the
previous page, is the same cell cut in two and joins without a separator); a row whose
cells all hold one text is a section banner (→ 领域). Unit cells are split as people
write them (`split_published_units`): line breaks, 、，,；; and spaces separate units, and
`XX局（牵头）` marks the lead.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import cn2an

from toolkit.errors import PlanError
from toolkit.model import QUARTER_NAMES, Task
from toolkit.plan import headers as H
from toolkit.plan.seed import normalise_spaces
from toolkit.plan.timing import due_quarter, split_schedule
from toolkit.values import clean_text

_BANNER = re.compile(r"^[一二三四五六七八九十]+[、.．]\s*(.+?)(?:[（(].*[）)])?$")
_TITLE = re.compile(r"20\d\d\s*年.*(?:民生实事|实事|民生工程|惠民|方案|计划|清单|分解|项目|任务|工作安排|工作要点|进度表)")
_TITLE_END = re.compile(r"(?:方案|分解表?|清单|一览表|计划表?|安排|分工|任务表|项目表|实事|民生实事项目)$")
_SKIP_TITLE = re.compile(r"^附件\s*[0-9一二三四五六七八九十]*[:：]?$|〔\s*20\d\d\s*〕|\[\s*20\d\d\s*\]|^[^\u4e00-\u9fff]*$")
_UNIT_SPLIT = re.compile(r"[\n\r、，,；;/／]+|\s+")
_MARK = re.compile(r"[（(]\s*(牵头|主办|主责|配合|协办|参与)\s*[）)]|^\s*(牵头|配合)\s*[:：]")
_LEAD_MARKS = ("牵头", "主办", "主责")
_ROLE_PREFIX = re.compile(r"(牵头单位|牵头部门|责任单位|配合单位|协办单位|配合部门)\s*[:：]")
_NOT_A_UNIT = re.compile(r"\d(?:\.\d+)?%?$|^[\d.%]+$|[:：。]|^.{31,}$|\d+(?:公里|个|人|家|所|座|户|万)")
_ORG_END = re.compile(r"(?:局|委|办|中心|院|政府|公司|街道|镇|乡|部|会|联|队|所|站|馆|处|厅|团|行|区|县|市|园|单位|部门|社|组|室|"
                      r"校|厂|署|司|班)$")
_PERSON_NAME = re.compile(r"[\u4e00-\u9fff]{2,3}")
_CN_NO = re.compile(r"[一二三四五六七八九十]{1,3}")
MAX_LISTED = 10
AUTO = "\x00auto"  # a 序号 cell numbered by Word's automatic list numbering: it has no text


@dataclass
class Row:
    where: str                      # 表格1第5行 / 第5行
    cells: dict[str, str]
    merged: set[str] = field(default_factory=set)  # fields whose cell continues from the row above
    banner: str = ""                # text of a merged heading row
    opens_table: bool = False       # first row of a table that continues the previous one


def join_lines(text: str) -> str:
    """Cell text with its line breaks removed (they are layout), spaces next to Chinese dropped."""
    parts = [p.strip() for p in str(text).replace("\r", "\n").split("\n") if p.strip()]
    out = ""
    for p in parts:
        latin = out and out[-1].isascii() and out[-1].isalnum() and p[0].isascii() and p[0].isalnum()
        out += (" " if latin else "") + p
    return normalise_spaces(clean_text(out))


_AREA_FIGURE = re.compile(r"([\u4e00-\u9fff]{1,8}(?:镇|乡|街道办|街道|办事处|区|县|市|社区|村))\s*[:：]?\s*(\d+(?:\.\d+)?)(?![\d.%])")
BREAKDOWN_NOTE = "原文所列分解数："


def area_figures(text: str) -> list[str]:
    """`元坝镇280`-like pieces of a unit cell (an area and its figure), when there are at least two."""
    found = [f"{m.group(1)}{m.group(2)}" for m in _AREA_FIGURE.finditer(text or "")]
    return found if len(found) >= 2 else []


def split_published_units(text: str) -> tuple[list[str], list[str]]:
    """(units, units marked as lead) from a unit cell as people type it; never fuses two names."""
    units, marked = [], []
    pieces = _ROLE_PREFIX.split(text or "")  # [before, role, after, role, after, ...]
    segments = [("", pieces[0])] + [(pieces[i], pieces[i + 1]) for i in range(1, len(pieces), 2)]
    for prefix, part in segments:
        for raw in _split_outside_brackets(part):
            m = _MARK.search(raw)
            role = (m.group(1) or m.group(2)) if m else ("牵头" if prefix.startswith(("牵头", "责任")) else "")
            name = clean_text(_MARK.sub("", raw)).strip("。.：: ")
            if not name or name in ("等", "各", "无", "/", "—") or _NOT_A_UNIT.search(name):
                continue  # 元坝镇280 (a figure of a breakdown), 计划完成4公里 (a sentence): not a unit
            name = re.sub(r"等$", "", name) if len(name) > 3 else name
            if name not in units:
                units.append(name)
            if role in _LEAD_MARKS and name not in marked:
                marked.append(name)
    if any(_ORG_END.search(u) for u in units):  # 市民政局 伍泽国: a person named after the unit is not one
        people = [u for u in units if _PERSON_NAME.fullmatch(u) and not _ORG_END.search(u)
                  and re.search(rf"[^\s、，,；;/]\s+{re.escape(u)}(?:\s|$)", text or "")]  # not 县发改局、财政
        units = [u for u in units if u not in people]
        marked = [u for u in marked if u not in people]
    return units, marked


def _split_outside_brackets(text: str) -> list[str]:
    """Split on unit separators, except inside brackets: 各县（市、区）人民政府 stays one unit."""
    pieces, depth, current = [], 0, ""
    for ch in text:
        depth += ch in "（(〔["
        depth -= ch in "）)〕]" and depth > 0
        if depth == 0 and _UNIT_SPLIT.fullmatch(ch):
            pieces.append(current)
            current = ""
        else:
            current += ch
    return pieces + [current]


def looks_like_title(text: str) -> bool:
    text = join_lines(text)
    return bool(text) and len(text) <= 80 and not _SKIP_TITLE.search(text) and bool(_TITLE.search(text))


def pick_title(candidates: list[str]) -> str:
    """The first heading that looks like a plan title (…年…民生实事…), skipping 附件N and 〔2019〕N号.

    A sentence (with ，or 。) is taken only when no heading is; a heading broken over two lines
    (…2023年重点工作 / 任务分解和责任分工方案) is joined; a closing colon is dropped.
    """
    texts = [re.sub(r"^【[^】]{1,12}】", "", join_lines(c)) for c in candidates
             if "\t" not in c and not H.is_header(re.split(r"\s{2,}", c))]
    for sentences in (False, True):
        for i, text in enumerate(texts):
            if looks_like_title(text) and sentences == bool(re.search(r"[，。,]", text)):
                return _whole_title(texts, i)
    for i, text in enumerate(texts):
        if text and not _SKIP_TITLE.search(text) and len(text) <= 80:
            return _whole_title(texts, i)
    return ""


def _whole_title(texts: list[str], i: int) -> str:
    text, nxt = texts[i], (texts[i + 1] if i + 1 < len(texts) else "")
    if nxt and not _TITLE_END.search(text) and _TITLE_END.search(nxt) and len(nxt) <= 24 \
            and not re.search(r"[，。,：:、]", nxt) and not re.match(r"[一二三四五六七八九十\d]", nxt):
        text += nxt  # a heading broken over two lines
    return text.rstrip("：: ")


def find_header(grid, overrides=None, limit: int = 12) -> int | None:
    return next((i for i, (_, cells, _) in enumerate(grid[:limit]) if H.is_header(cells, overrides)), None)


def rows_from_grid(grid: list[tuple[str, list[str], list[bool]]], label: str,
                   overrides: dict[str, str] | None = None) -> tuple[list[Row], dict | None]:
    """Rows of one table given (where, texts, merged-from-above flags); finds the header itself."""
    head_at = find_header(grid, overrides)
    if head_at is None:
        return [], None
    stacked = [grid[head_at][1]]
    nxt = grid[head_at + 1][1] if head_at + 1 < len(grid) else []
    if nxt and H.is_header(nxt, overrides) or any(H.field_of(c, overrides) in QUARTER_NAMES for c in nxt) \
            and not any(c.strip().isdigit() for c in nxt[:1]):
        stacked.append(nxt)
    mapping = H.header_map(stacked, overrides)
    if H.missing_task_column(mapping):
        raise PlanError(H.unmatched_message(label, grid[head_at][0], [join_lines(c) for c in grid[head_at][1]],
                                            [c for _, c, _ in grid[head_at + 1:head_at + 6]]))
    return table_rows(grid[head_at + len(stacked):], mapping, overrides), mapping


def table_rows(grid, mapping: dict[int, str], overrides=None) -> list[Row]:
    rows = []
    for where, cells, merged in grid:
        if H.is_header(cells, overrides):
            continue  # a header repeated after a page break
        texts = [c for c in cells if c and c.strip()]
        if not texts:
            continue
        values: dict[str, str] = {}
        for i, name in mapping.items():
            text = cells[i] if i < len(cells) else ""
            if text == AUTO and name != H.NO:
                text = ""
            if (name in QUARTER_NAMES or name in (H.TARGET, H.NAME)) and values.get(name):
                # 1月 | 2月 | 3月 → 第一季度; 建设内容 | 年度目标 → one task text, neither dropped
                text = _join_texts(values[name], text)
            values[name] = text
        values.setdefault(H.NO, "")
        flags = {name for i, name in mapping.items() if i < len(merged) and merged[i]}
        if len(set(texts)) == 1 and len(texts) >= min(2, len(mapping)) and not texts[0].strip().isdigit() \
                and texts[0] != AUTO and len(mapping) > 1:
            rows.append(Row(where, values, flags, banner=join_lines(texts[0])))  # a merged heading row
            continue
        rows.append(Row(where, values, flags))
    return rows


def _join_texts(first: str, second: str) -> str:
    if not second.strip():
        return first
    if not first.strip():
        return second
    first = first.rstrip()
    return first + ("" if first.endswith(("；", ";", "。")) else "；") + second


def _number(raw: str) -> str:
    return re.sub(r"^[（(]|[)）.．、\s]+$", "", raw.strip())


_FIGURE = re.compile(r"\s*[-+]?\d+(?:\.\d+)?\s*")


def fold_indicator_columns(cells: dict[str, str]) -> None:
    """考核指标 | 单位 | 工作目标 (an indicator table): the figure and its measure word are written into the
    task text, where the suggester reads them (孕产妇免费产前筛查 + 2800 + 人次 → 孕产妇免费产前筛查2800人次).
    A 单位 column of organisations (not measure words) is the lead unit column."""
    measure, figure = cells.pop(H.MEASURE, "").strip(), cells.pop(H.FIGURE, "").strip()
    if measure and (_ORG_END.search(measure) or len(measure) > 6) and not _FIGURE.fullmatch(figure):
        cells[H.LEADS] = cells.get(H.LEADS) or measure  # 单位 | 市教育局: a unit column after all
        if figure:  # 工作目标 was taken for figures because of 单位: it is the task's text
            cells[H.TARGET] = "；".join(t for t in (cells.get(H.TARGET, "").strip(), figure) if t)
        return
    if not _FIGURE.fullmatch(figure):
        if figure:
            cells[H.TARGET] = "；".join(t for t in (cells.get(H.TARGET, "").strip(), figure + measure) if t)
        return
    text = cells.get(H.TARGET, "").strip().rstrip("。；;")
    if re.search(r"\d", text):  # the text has figures of its own: the table's figure is said after it
        text = f"{text}；{cells.get(H.NAME, '').strip()}"
    cells[H.TARGET] = f"{text}{figure.strip()}{measure}"


def tasks_from_rows(rows: list[Row], file: str, *, numbered: bool = True) -> list[Task]:
    """Tasks from table rows: continuation rows appended, banners as 领域; bad rows raise PlanError.

    Without a 序号 column (`numbered` False) every row is a task, numbered in order.
    """
    found: list[tuple[int, str, dict[str, str]]] = []
    errors: list[str] = []
    first: dict[int, str] = {}
    domain = ""
    given = [n for n in (_number(r.cells.get(H.NO, "")) for r in rows if not r.banner) if n and n != AUTO]
    chinese = bool(given) and all(_CN_NO.fullmatch(n) for n in given)  # 序号 written 一、二、三 throughout
    restarts = _restarts_per_section(rows)
    for row in rows:
        fold_indicator_columns(row.cells)
        raw_no = _number(row.cells.get(H.NO, ""))
        if not chinese and _CN_NO.fullmatch(raw_no) and \
                sum(1 for k, v in row.cells.items() if k != H.NO and v.strip()) <= 2:
            row.banner = next(v for k, v in row.cells.items() if k != H.NO and v.strip()) \
                if any(k != H.NO and v.strip() for k, v in row.cells.items()) else raw_no
            row.banner = join_lines(row.banner)  # 一 | 教育: a section row among numbered tasks
        if row.banner:
            m = _BANNER.match(row.banner)
            domain = m.group(1).strip() if m else row.banner
            continue
        raw = row.cells.get(H.NO, "")
        if not numbered:
            raw = str(len(found) + 1)
        if raw == AUTO and H.NO not in row.merged:
            raw = str(found[-1][0] + 1 if found else 1)
        if H.NO in row.merged or not raw.strip():
            if not found:
                if any(v.strip() for k, v in row.cells.items() if k not in (H.NO,)):
                    errors.append(f"{row.where}：序号为空，但前面没有任务可接续。请填写序号。")
                continue
            glue = "" if (H.NO in row.merged or row.opens_table) else "；"
            _continue(found[-1][2], row, glue)
            continue
        number = _number(raw)
        if chinese and _CN_NO.fullmatch(number):
            number = str(cn2an.cn2an(number, "smart"))
        if restarts and number.isdigit():
            number = str(len(found) + 1)  # numbering restarts in each section: number the plan through
        if not number.isdigit() or int(number) <= 0:
            errors.append(f"{row.where}：序号“{raw}”不是正整数。")
            continue
        no = int(number)
        if no in first:
            errors.append(f"{row.where}：序号{no}重复（另见{first[no]}）。每项任务的序号必须唯一。")
            continue
        first[no] = row.where
        cells = dict(row.cells)
        cells[H.DOMAIN] = cells.get(H.DOMAIN, "") or domain
        found.append((no, row.where, cells))
    if errors:
        listed = "\n".join(f"  {e}" for e in errors[:MAX_LISTED])
        more = f"\n  ……共{len(errors)}处" if len(errors) > MAX_LISTED else ""
        raise PlanError(f"{file}：方案表格有{len(errors)}处无法导入，未生成计划主表：\n{listed}{more}")
    if not found:
        raise PlanError(f"{file}：表格中没有任何任务行。请确认“序号”列填写了1、2、3……")
    return [task_from_cells(no, cells) for no, _, cells in found]


def _restarts_per_section(rows: list[Row]) -> bool:
    """True when 序号 starts again at 1 after each section heading (一、教育 1 2 3 二、卫生 1 2)."""
    sections: list[list[int]] = [[]]
    for row in rows:
        raw = _number(row.cells.get(H.NO, ""))
        if row.banner or (_CN_NO.fullmatch(raw) and sum(1 for k, v in row.cells.items() if k != H.NO and v.strip()) <= 2):
            sections.append([])
        elif raw.isdigit() and H.NO not in row.merged:
            sections[-1].append(int(raw))
    numbered = [s for s in sections if s]
    return len(numbered) > 1 and all(s == list(range(1, len(s) + 1)) for s in numbered)


def _continue(cells: dict[str, str], row: Row, glue: str) -> None:
    for column, text in row.cells.items():
        if column == H.NO or not text.strip() or column in row.merged:
            continue
        before = cells.get(column, "")
        if column in (H.LEADS, H.COS):
            cells[column] = "\n".join(filter(None, (before, text)))
            continue
        # 5月底前动工 + 12月底前: two whole deadlines, never fused (a cell cut by a page break is not two)
        joint = "；" if column in H.TIME_FIELDS and due_quarter(before) and due_quarter(text) else glue
        sep = joint if before and not before.rstrip().endswith(("；", ";", "。")) else ""
        cells[column] = before + sep + text if before else text


def task_from_cells(no: int, cells: dict[str, str]) -> Task:
    """One Task from its fields (unit cells split, time columns folded into quarters)."""
    target = join_lines(cells.get(H.TARGET, ""))
    name = join_lines(cells.get(H.NAME, ""))
    bare = re.fullmatch(r"\d+(?:\.\d+)?", target)
    unit = re.search(r"[（(]([^（）()\d]{1,4})[）)]$", name)
    if bare and unit:  # 城镇新增就业人数（人） | 1300: the target says what it counts
        target = f"{name[:unit.start()]}{target}{unit.group(1)}"
    if not target:
        target = name
    if not name:
        name = target.split("。", 1)[0]
    name = name.rstrip("。；;，, ") or name
    lead_units, lead_marked = split_published_units(cells.get(H.LEADS, ""))
    co_units, co_marked = split_published_units(cells.get(H.COS, ""))
    figures = area_figures("\n".join(cells.get(f, "") for f in (H.LEADS, H.COS, H.BREAKDOWN)))
    if figures:  # 元坝镇280 白果乡15: a breakdown written in the unit cell, kept with the task (to-do says so)
        target = f"{target}（{BREAKDOWN_NOTE}{'、'.join(figures)}）"
    marked = lead_marked + co_marked
    if marked:  # 县教育局（牵头）、县财政局: the marked units lead, the rest cooperate
        leads = marked
        cos = [u for u in lead_units + co_units if u not in marked]
    else:
        leads, cos = lead_units, [u for u in co_units if u not in lead_units]
    milestones = [join_lines(cells.get(q, "")) for q in QUARTER_NAMES]
    deadline = join_lines(cells.get(H.DEADLINE, ""))
    schedule = join_lines(cells.get(H.SCHEDULE, ""))
    if schedule:
        spread, _ = split_schedule(schedule)
        if any(spread) and not any(milestones):
            milestones = list(spread)
        elif not deadline:
            deadline = schedule
    domain = re.sub(r"^[一二三四五六七八九十]+[、.．]\s*", "", join_lines(cells.get(H.DOMAIN, "")))
    return Task(no, name, target, domain, tuple(leads), tuple(cos),
                tuple(milestones), deadline)  # type: ignore[arg-type]
