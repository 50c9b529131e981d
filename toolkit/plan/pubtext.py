"""Plans as text: the PDF-extraction layout, a table pasted with tabs, or a numbered list.

A web page usually publishes the plan as paragraphs: `一、教育` sections, items numbered
`1.` / `（一）` / `(1)`, sometimes several items run together in one paragraph. The item
level is the numbering style used most often; a less frequent style that comes first is
a section heading (→ 领域), a deeper one or an unnumbered line continues the item. Units
and deadlines written inside an item (`牵头单位：市教育局`, `完成时限：6月底前`) are taken
out of the text into their own fields.
"""
from __future__ import annotations

import re
from collections import Counter

from toolkit.errors import PlanError
from toolkit.model import Task
from toolkit.plan import headers as H
from toolkit.plan.pubcells import cells_per_line
from toolkit.plan.pubsources import read_delimited
from toolkit.plan.pubtable import join_lines, pick_title, split_published_units, task_from_cells, tasks_from_rows
from toolkit.plan.seed import parse_seed

_CN_NUM = "一二三四五六七八九十"
STYLES = (
    ("cn", re.compile(rf"^\s*([{_CN_NUM}]{{1,3}})\s*[、.．]\s*")),
    ("cn_paren", re.compile(rf"^\s*[（(]\s*([{_CN_NUM}]{{1,3}})\s*[）)]\s*")),
    ("digit", re.compile(r"^\s*(\d{1,2})\s*[.．、](?!\d)\s*")),
    ("digit_paren", re.compile(r"^\s*[（(]\s*(\d{1,2})\s*[）)]\s*")),
    ("circled", re.compile(r"^\s*([①-⑳])\s*")),
)
_INLINE = re.compile(r"(?<=[。；;！：:])\s*(?=[（(]\d{1,2}[）)]|\d{1,2}[.．、](?!\d)|[①-⑳])"
                     r"|\s+(?=\d{1,2}[.．](?!\d)[\u4e00-\u9fff“\"（(])")
# A section that ends the list of tasks (二、工作要求 / 三、保障措施), not a section of tasks (二、社会保障).
_STOP_SECTION = re.compile(r"要求|保障措施|组织保障|工作保障|资金保障|经费保障|措施保障|组织领导|加强领导|工作机制|考核|督查|督导|"
                           r"附件|联系人|有关事项|其他事项")
_OWNER_HEADING = re.compile(r"^(.{2,20}?)(?:牵头|负责)(?:的)?(?:工作|任务|事项|项目)")
_PERSON = re.compile(r"[（(]?\s*(?:牵头|分管|责任)?(?:市|县|区)?(?:政府)?(?:领导|负责人|联系人)\s*[:：][^；;。\n）)]*[）)]?[；;。]?")
# Labelled parts inside an item: `（牵头领导：某某，牵头单位：市发改委，责任单位：…，数据提供单位：…）`
# or lines `牵头单位：区发改局` / `责任单位：…`. Each value runs to the next label or the closing bracket.
_SIGNATURE = re.compile(r"\s*(?:20\d\d\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|.{0,24}(?:主席团|办公室|人民政府|委员会|领导小组|"
                        r"人民代表大会|办公厅|指挥部))\s*")
_TARGETS_PARAGRAPH = re.compile(r"(?:主要)?预期目标(?:是|为|如下)?[:：]")
_ANNEX_LIST = re.compile(r"^\s*附件\s*[:：]")
_CLOSING = re.compile(r"\s*(?:现予公告|特此公告|特此通知|特此公示|现予公布)[。.]?\s*")
_LABEL = re.compile(r"(牵头[市县区]?领导|责任领导|分管[市县区]?领导|[市县区]领导|牵头单位|牵头部门|主责单位|主办单位|责任单位|"
                    r"责任部门|配合单位|协办单位|配合部门|参与单位|协同单位|数据提供单位|联系人|责任人|完成时限|"
                    r"完成时间|时间节点|时限要求|项目责任人|实际完成情况|完成情况|进展情况|推进情况)\s*[:：]")
_NAME_END = re.compile(r"[，,；;：:]|、(?=[\u4e00-\u9fff]{1,8}\d|\d+(?:\.\d+)?[^\d%‰.、，。；]*[\u4e00-\u9fff])")
_LEAD_LABELS = ("牵头单位", "牵头部门", "主责单位", "主办单位")
_RESP_LABELS = ("责任单位", "责任部门")
_CO_LABELS = ("配合单位", "协办单位", "配合部门", "参与单位", "协同单位")
_TIME_LABELS = ("完成时限", "完成时间", "时间节点", "时限要求")
_FIRST_LEADS = re.compile(r"[（(][^（）()]*(?:第一位|首位|排第一|列第一)[^（）()]*[）)]")  # （列第一位者为牵头单位，下同）


def read_text(text: str, file: str, overrides: dict | None = None) -> tuple[str, list[Task], str]:
    """(title, tasks, how) from pasted text: how is 表格 / PDF / 编号列表."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if sum(1 for line in lines if line.count("\t") >= 1) >= 2:
        try:
            titles, rows, numbered = read_delimited(text, file, overrides)
            return pick_title(titles + lines[:5]), tasks_from_rows(rows, file, numbered=numbered), "表格"
        except PlanError:
            pass
    try:
        title, seeds = parse_seed(text)
        if seeds:
            return title, [Task(s.no, s.name, s.target, "", (), (), s.milestones) for s in seeds], "PDF"
    except PlanError:
        pass
    try:
        title, tasks = cells_per_line(lines, file, overrides)
        return title, tasks, "逐格分行"
    except PlanError:
        pass
    title, tasks = numbered_list(lines, file)
    return title, tasks, "编号列表"


def _style_of(line: str) -> tuple[str, str, int] | None:
    for name, pattern in STYLES:
        m = pattern.match(line)
        if m:
            return name, line[m.end():], m.end()
    return None


def numbered_list(lines: list[str], file: str) -> tuple[str, list[Task]]:
    """Tasks from numbered paragraphs; PlanError when no numbered item is found."""
    paragraphs: list[str] = []
    for line in lines:
        line = line.strip()  # spaces kept: they separate units (市交通委 各区政府); join_lines drops the rest
        if line:
            paragraphs.extend(p for p in _INLINE.split(line) if p.strip())
    styled = [(p, _style_of(p)) for p in paragraphs]
    counts = Counter(s[0] for _, s in styled if s)
    if not counts:
        raise PlanError(f"{file}：找不到方案表格，也没有读到编号的任务（如“一、”“1.”“（一）”开头的段落）。",
                        hint="\n请把方案表格从Word/Excel另存为.docx/.xlsx后导入，或确认文本中每项任务单独成段并有编号。")
    first_at = {name: next(i for i, (_, s) in enumerate(styled) if s and s[0] == name) for name in counts}
    item_style = max(counts, key=lambda n: (counts[n], first_at[n]))
    heads = {n for n in counts if first_at[n] < first_at[item_style]}
    title = pick_title([p for p, s in styled[:first_at[item_style]] if not s or s[0] not in heads] or paragraphs[:3])
    items: list[dict[str, str]] = []
    domain, section_lead, stopped, current, annex = "", "", False, None, False
    for text, style in styled:
        if _ANNEX_LIST.match(text):
            annex, current = True, None  # 附件：1.…方案 / 2.…分解: the notice's list of attachments
            continue
        if annex and style and style[0] == item_style and len(style[1]) <= 40 and "。" not in style[1]:
            continue
        annex = False
        if not style and not items and current is None and _TARGETS_PARAGRAPH.search(text) and \
                len(re.findall(r"\d+(?:\.\d+)?\s*%", text)) >= 2:
            # 2017年全市经济社会发展主要预期目标是：地区生产总值增长8.5%左右；…: the plan's headline targets,
            # written before the numbered sections, are a task of their own
            items.append({H.TARGET: text, H.DOMAIN: "主要预期目标", "section_lead": "", H.NAME: "主要预期目标"})
            continue
        if _CLOSING.fullmatch(text):
            current = None  # 现予公告。/ 特此通知。: the notice's closing words end the item
            continue
        if style and style[0] in heads:
            current = None
            stopped = bool(_STOP_SECTION.search(style[1][:12]))
            domain = re.split(r"[。（(]", style[1], maxsplit=1)[0].strip()
            owner = _OWNER_HEADING.match(domain)
            section_lead = owner.group(1) if owner else ""
            continue
        if stopped:
            continue
        if style and style[0] == item_style:
            current = {H.TARGET: style[1].rstrip("；;"), H.DOMAIN: domain, "section_lead": section_lead}
            items.append(current)
        elif current is not None:
            if _PERSON.fullmatch(text):
                continue  # 牵头市领导：某某 — a person, not part of the task
            if _SIGNATURE.fullmatch(text):
                current = None  # the notice's signature and date: the list is over
                continue
            sep = "" if current[H.TARGET].endswith(("。", "；", "：", ":")) else "；"
            current[H.TARGET] += sep + text
    if not items:
        raise PlanError(f"{file}：没有读到编号的任务。")
    first_leads = any(_FIRST_LEADS.search(cells[H.TARGET]) for cells in items)
    return title, [_task(no, cells, first_leads) for no, cells in enumerate(items, start=1)]


def labelled_parts(text: str) -> tuple[str, dict[str, list[str]]]:
    """(the item's own text, {label: values}) — labelled units, people and deadlines taken out."""
    matches = list(_LABEL.finditer(text))
    if not matches:
        return text, {}
    body = [text[:matches[0].start()]]
    found: dict[str, list[str]] = {}
    for k, m in enumerate(matches):
        value = text[m.end():matches[k + 1].start() if k + 1 < len(matches) else len(text)]
        depth, close = 0, -1
        for i, ch in enumerate(value):  # a bracket closing the labelled part (not 各县（市、区）)
            depth += ch in "（("
            if ch in "）)":
                if depth == 0:
                    close = i
                    break
                depth -= 1
        if close >= 0:
            body.append(value[close + 1:])
            value = value[:close]
        found.setdefault(m.group(1), []).append(value.strip(" \t，,；;。、\n"))
    own = "".join(body).strip()
    own = re.sub(r"[（(]\s*$", "", own).rstrip(" ；;，,")
    return own, found


_ORG = re.compile(r"(?:局|委|办|中心|院|政府|公司|街道|镇|乡|部|会|联|队|所|站|馆|处|厅|团|集团|银行|管委会|指挥部|区|县|市|园|"
                  r"单位|部门|社|行|台|司|组|室|校|厂|署|监狱|海关|人行|支行|分行)(?:（牵头）|\(牵头\))?$")


def _orgs(value: str) -> str:
    """A labelled unit list without what is not an organisation's name: the value's end is not
    marked in running text, so a table or a sentence after it (鄞州 海曙 合计 2 5 …) is dropped."""
    units, _ = split_published_units(value)
    return "\n".join(u for u in units if _ORG.search(u))


def _task(no: int, cells: dict[str, str], first_leads: bool = False) -> Task:
    target, parts = labelled_parts(cells[H.TARGET])
    target = _PERSON.sub("", target)
    leads = [_orgs(v) for label in _LEAD_LABELS for v in parts.get(label, ())]
    cos = [_orgs(v) for label in _CO_LABELS for v in parts.get(label, ())]
    responsible = [_orgs(_FIRST_LEADS.sub("", v)) for label in _RESP_LABELS for v in parts.get(label, ())]
    if leads:
        cos = responsible + cos  # 牵头单位 and 责任单位 both given: the 责任单位 cooperate
    elif responsible and first_leads:
        units = split_published_units("\n".join(responsible))[0]
        leads, cos = units[:1], units[1:] + cos  # （列第一位者为牵头单位）
    else:
        leads = responsible
    deadline = "；".join(v for label in _TIME_LABELS for v in parts.get(label, ()) if v)
    head, dot, rest = target.partition("。")
    given_name = cells.get(H.NAME, "")
    if not leads and cells.get("section_lead"):
        leads = [cells["section_lead"]]  # 一、县示范区管委会牵头工作（8项）: the heading names the lead
    cells = {H.TARGET: target, H.DOMAIN: cells.get(H.DOMAIN, ""), H.LEADS: "\n".join(leads),
             H.COS: "\n".join(cos), H.DEADLINE: deadline}
    if given_name:
        cells[H.NAME] = given_name
    elif dot and rest and len(head) <= 25:
        cells[H.NAME] = head
    else:
        # up to the first clause, or a 、 before a second count (新建公厕326座、改造64座), not 增长7.5%、8%
        cells[H.NAME] = _NAME_END.split(head, maxsplit=1)[0]
        cells[H.NAME] = re.sub(r"[（(][^（）()]*$", "", cells[H.NAME])  # 公共廁所(其中: not inside a bracket
    return task_from_cells(no, {k: join_lines(v) if k not in (H.LEADS, H.COS) else v for k, v in cells.items()})
