"""Which column of a published plan table holds which field, by meaning.

Offices name the same column many ways (目标任务 / 民生实事 / 主要内容 / 建设内容 …).
SYNONYMS lists, per field, the headers seen in published plans; a header is
matched after NFKC (full-width → half-width), with spaces, trailing colons and
bracketed notes removed, so `第 一 季 度（1-3月）` is 第一季度. Time columns
come in several grains: quarters, months (1—3月, 4月), half-years (上半年) and
single deadline or schedule columns (完成时限, 进度安排); each maps to a quarter
or to DEADLINE / SCHEDULE. An explicit `--map 原列名=字段` wins over all of it.
"""
from __future__ import annotations

import re
import unicodedata

from toolkit.errors import UsageError
from toolkit.model import QUARTER_NAMES

NO, TARGET, NAME, LEADS, COS, DOMAIN = "序号", "目标任务", "任务名称", "牵头单位", "配合单位", "领域"
DEADLINE, SCHEDULE, IGNORE = "完成时限", "进度安排", "忽略"
# An indicator table's own columns (考核指标 | 单位 | 工作目标): the measure word and the figure of each row;
# pubtable.fold_indicator_columns writes them into the task text (孕产妇免费产前筛查2800人次).
MEASURE, FIGURE = "计量单位", "目标值"
BREAKDOWN = "分解情况"  # 元坝镇280 白果乡15 …: each area's figure written in one cell
TIME_FIELDS = (*QUARTER_NAMES, DEADLINE, SCHEDULE)
FIELDS = (NO, NAME, TARGET, DOMAIN, LEADS, COS, *TIME_FIELDS, IGNORE)

# Field → headers seen in published plans (normalised form). Order matters only for the docs.
SYNONYMS: dict[str, tuple[str, ...]] = {
    NO: ("序号", "序", "编号", "号", "no", "项次"),
    TARGET: ("目标任务", "民生实事", "工作任务", "年度任务", "工作事项", "主要内容", "建设内容", "实施内容",
             "项目内容", "目标", "任务", "主要目标", "目标任务内容", "工作目标", "任务目标", "年度目标",
             "年度目标任务", "具体内容", "工作内容", "内容", "目标任务及要求", "内容与要求", "主要任务",
             "建设内容及规模", "建设规模及内容", "工作目标任务", "任务内容", "具体任务", "实事内容",
             "目标要求", "主要建设内容", "年度计划", "考核指标", "指标", "指标名称", "绩效指标", "考核内容"),
    NAME: ("任务名称", "名称", "项目名称", "实事名称", "事项", "项目", "实事项目", "民生实事项目", "事项名称",
           "工作名称", "实事", "民生实事名称", "惠民实事", "为民办实事项目"),
    LEADS: ("牵头单位", "牵头部门", "责任单位", "责任部门", "牵头", "主办单位", "主责单位", "责任主体",
            "牵头责任单位", "牵头实施单位", "实施单位", "承办单位", "牵头领导单位", "主要责任单位", "责任单位牵头"),
    COS: ("配合单位", "配合部门", "协办单位", "协同单位", "参与单位", "协作单位", "协助单位", "参加单位",
          "责任单位配合", "配合", "协办", "责任主体与协同单位", "协同单位与责任主体", "协同"),
    DOMAIN: ("领域", "类别", "分类", "类型", "项目类别", "所属领域", "大类", "板块", "方面"),
    DEADLINE: ("完成时限", "完成时间", "时限", "时限要求", "完成期限", "办结时限", "时间要求", "完成时间节点",
               "计划完成时间", "时间"),
    SCHEDULE: ("进度安排", "时间节点", "序时进度", "进度计划", "时序进度", "推进计划", "时间安排", "节点安排",
               "序时进度安排", "计划进度", "工作进度安排", "进度要求", "时间进度", "月度工作计划", "月度计划",
               "季度工作计划", "季度计划", "月度安排"),
    IGNORE: ("备注", "分管领导", "区政府分管领导", "县政府分管领导", "市政府分管领导", "责任领导", "联系人",
             "责任人", "完成情况", "进展情况", "投资", "总投资", "已完成数", "完成数", "占比", "完成率", "完成比例"),
    MEASURE: ("计量单位", "单位", "计量", "指标单位"),
    FIGURE: ("目标值", "目标数", "指标值", "年度目标值", "目标数值", "计划数"),
    BREAKDOWN: ("分解情况", "目标分解", "任务分解", "分解任务", "分解", "各地分解", "分解到乡镇", "分解到镇街"),
}
_LOOKUP = {name: field for field, names in SYNONYMS.items() for name in names}
_CN = "一二三四"
_QUARTER = re.compile(r"^(?:第)?([一二三四1-4])季度(?:末)?(?:目标|序时进度|进度|安排|任务|节点|计划)?$|^q([1-4])$")
_MONTHS = re.compile(r"^(\d{1,2})(?:月份?)?(?:[-—–~～至到](\d{1,2}))?月(?:份|底|末)?(?:前)?(?:目标|进度|安排)?$")
_HALF = {"上半年": 2, "下半年": 4, "年中": 2, "全年": 4, "年底": 4, "年底前": 4}


# Traditional characters of the header words (a plan copied from a site's 繁體 version): headers are
# matched in simplified form; the cells themselves stay as published.
_SIMPLIFIED = str.maketrans(
    "號項內進牽頭單責務時實標劃計間節點達備協辦門領導類稱體規況際設總資額數線區縣鄉鎮屬範圍負聯絡電話與個為業產發"
    "過還運員級處組織構開關長報幫創動勞險醫療衛養殘婦歲兒學財稅統態執據戶齡將萬億條經濟農場環護興廣書館愛氣確認"
    "檢測變選邊傳輸準覽週細註說務內容況",
    "号项内进牵头单责务时实标划计间节点达备协办门领导类称体规况际设总资额数线区县乡镇属范围负联络电话与个为业产发"
    "过还运员级处组织构开关长报帮创动劳险医疗卫养残妇岁儿学财税统态执据户龄将万亿条经济农场环护兴广书馆爱气确认"
    "检测变选边传输准览周细注说务内容况")


def normalise(header: object) -> str:
    """Header text for matching: NFKC, simplified, lower case, no spaces, no brackets, no trailing colon."""
    text = unicodedata.normalize("NFKC", str(header or "")).translate(_SIMPLIFIED).lower()
    text = re.sub(r"\s+", "", text)
    bare = re.sub(r"[(\[【][^)\]】]*[)\]】]", "", text).strip(":：*★")
    return bare or text


def is_synonym(header: str) -> bool:
    """A header of the synonym table itself (not one matched by its words)."""
    return normalise(header) in _LOOKUP


def quarter_of_header(text: str) -> int | None:
    """1-4 for a quarter, month-range or half-year column header (normalised); else None."""
    m = _QUARTER.match(text)
    if m:
        digit = m.group(1) or m.group(2)
        return _CN.index(digit) + 1 if digit in _CN else int(digit)
    m = _MONTHS.match(text)
    if m:
        month = int(m.group(2) or m.group(1))
        return (month - 1) // 3 + 1 if 1 <= month <= 12 else None
    base = re.sub(r"(?:目标|进度|安排|任务)$", "", text)
    return _HALF.get(base)


def field_of(header: object, overrides: dict[str, str] | None = None) -> str | None:
    """The field a header names, or None. Quarter-like headers give 第一季度…第四季度."""
    text = normalise(header)
    if not text:
        return None
    if overrides and text in overrides:
        return overrides[text]
    q = quarter_of_header(text)
    if q:
        return QUARTER_NAMES[q - 1]
    return _LOOKUP.get(text) or _by_words(text)


# Words that give a header's meaning when it is not in SYNONYMS (`责任单位及责任人`, `牵头单位（部门）`),
# tried in order: progress, remarks and leaders first (牵头领导 is a person), people and money last
# (责任单位及责任人 is a unit column).
_WORDS = ((IGNORE, ("进展", "完成情况", "推进情况", "实施情况", "落实情况", "是否", "备注", "领导")),
          (COS, ("配合", "协办", "协同", "协助", "参与")),
          (LEADS, ("牵头", "责任单位", "责任部门", "主办", "主责")),
          (DEADLINE, ("时限", "完成时间", "截止")),
          (SCHEDULE, ("进度安排", "时间节点", "时间安排", "节点")),
          (NAME, ("名称",)),
          (TARGET, ("目标任务", "主要内容", "建设内容", "工作任务", "项目内容", "实施内容", "任务内容", "年度目标",
                    "全年目标", "主要任务", "工作内容")),
          (IGNORE, ("责任人", "联系", "电话", "投资", "资金")))


def _by_words(text: str) -> str | None:
    if len(text) > 16:
        return None  # a sentence, not a header
    for field, words in _WORDS:
        if any(w in text for w in words):
            return field
    return None


def parse_map(items: tuple[str, ...] | list[str]) -> dict[str, str]:
    """`原列名=字段` options → {normalised header: field}; UsageError for a bad one."""
    result: dict[str, str] = {}
    for item in items or ():
        header, sep, field = item.partition("=")
        field = field.strip()
        if not sep or not header.strip():
            raise UsageError(f"--map 的写法是“原列名=字段”，例如 --map 内容=目标任务（收到：{item}）。")
        q = quarter_of_header(normalise(field))
        if q:
            field = QUARTER_NAMES[q - 1]
        if field not in FIELDS:
            raise UsageError(f"--map {item}：字段“{field}”无效。可用字段：{'、'.join(FIELDS)}。")
        result[normalise(header)] = field
    return result


def header_map(rows: list[list[str]], overrides: dict[str, str] | None = None) -> dict[int, str]:
    """Column index → field over one or two stacked header rows.

    The lower row wins for a column (序时进度 over 第一季度 …); a field already taken by an
    earlier column is not given twice, except time columns (1月, 2月, 3月 all feed 第一季度).
    When both 牵头单位 and 责任单位 appear, the second lead column holds the co-units.
    """
    mapping: dict[int, str] = {}
    for cells in rows:
        for i, text in enumerate(cells):
            name = field_of(text, overrides)
            if name is None:
                continue
            if i in mapping and mapping[i] not in (SCHEDULE, DEADLINE) and name not in QUARTER_NAMES:
                continue  # the upper row already named this column
            mapping[i] = name
    taken: dict[str, int] = {}
    for i in sorted(mapping):
        name = mapping[i]
        if name in QUARTER_NAMES or name == IGNORE:
            continue
        if name == TARGET and MEASURE in taken and FIGURE not in taken:
            name = mapping[i] = FIGURE  # 考核指标 | 单位 | 工作目标: the text column after the measure holds figures
        if name == LEADS and LEADS in taken and COS not in taken:
            name = mapping[i] = COS
        if name == TARGET and TARGET in taken and NAME not in taken:
            mapping[taken[TARGET]] = NAME  # 民生实事 | 工作任务: the first is the name
            taken[NAME] = taken.pop(TARGET)
        if name == TARGET and TARGET in taken and NAME in taken:
            continue  # 项目名称 | 建设内容 | 年度目标: both texts are the task, joined (pubtable.table_rows)
        if name == NAME and NAME in taken and i - 1 in mapping and mapping[i - 1] == NAME:
            continue  # one name header over several columns (a widened pasted header): joined
        if name in taken:
            del mapping[i]
            continue
        taken[name] = i
    return {i: f for i, f in mapping.items() if f != IGNORE}


def is_header(cells: list[str], overrides: dict[str, str] | None = None) -> bool:
    """A row that names a task column and another known column (or only short header-like cells)."""
    names = {field_of(c, overrides) for c in cells if c}
    names.discard(None)
    names.discard(IGNORE)
    has_task = bool(names & {TARGET, NAME})
    filled = [c for c in cells if c and c.strip()]
    short = len(filled) >= 2 and all(len(normalise(c)) <= 12 and not normalise(c).isdigit() for c in filled)
    # ↑ 年度任务 | 本月进展 | 下月计划: short labels, no 序号 value
    return (has_task and (len(names) >= 2 or short)) or len(names & set(QUARTER_NAMES)) >= 2


def missing_task_column(mapping: dict[int, str]) -> bool:
    return not ({TARGET, NAME} & set(mapping.values()))


def unmatched_message(label: str, where: str, headers: list[str], sample: list[list[str]]) -> str:
    """Say which columns were found, which field was not, and the --map line that fixes it."""
    shown = [h for h in headers if h]
    guess = _longest_column(headers, sample)
    fix = f"--map {guess}=目标任务" if guess else "--map 原列名=目标任务"
    return (f"{label}{where}是一个表格，但没有认出任务内容列。找到的列：{'、'.join(shown) or '（无列名）'}。"
            f"请指明哪一列是任务内容，例如：plankit plan import {label.strip() or '原文'} {fix}")


def _longest_column(headers: list[str], sample: list[list[str]]) -> str:
    best, best_len = "", 0
    for i, h in enumerate(headers):
        if not h or field_of(h) in (NO, LEADS, COS, *TIME_FIELDS):
            continue
        total = sum(len(r[i]) for r in sample if i < len(r))
        if total > best_len:
            best, best_len = h, total
    return best


def header_table_doc() -> str:
    """The synonym table as Markdown (docs/用户手册.md quotes it)."""
    lines = ["| 字段 | 认得的列名 |", "| --- | --- |"]
    for field, names in SYNONYMS.items():
        lines.append(f"| {field} | {'、'.join(names)} |")
    lines.append("| 第一季度…第四季度 | 第一季度、一季度、1季度、Q1、一季度目标、1—3月、1-3月、3月、"
                 "上半年（→第二季度）、下半年（→第四季度） |")
    return "\n".join(lines)
