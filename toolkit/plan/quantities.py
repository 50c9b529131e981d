"""Quantities in a task's text: the number, its measure word, its direction and what it counts.

A quantity is a number (Arabic, or Chinese via cn2an) followed by a measure word, optionally
with a 万/亿 multiplier, a range (`500-550台`) and a direction word (以上/不少于/不低于 → ≥;
以内/降至/不超过 → ≤). Not quantities: numbers inside quotation marks (“三百行动”), ordinals
(第十六届), years (2015年), names (PM2.5, 二次供水, 三公里充分就业社区), payment rates (按…的标准),
baselines (从574元…提高到609元: 609 is the target), a project's size (总投资X的). `Quantity.name`
says what is counted (suggest.py turns quantities into indicators).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

import cn2an

from toolkit.model import GE, LE

# Measure words, longest first so 平方米 wins over 米 and 人次 over 人.
MEASURES = sorted("""平方米 平方公里 立方米 公里 千米 米 公斤 千克 吨 亩 公顷 元 人次 场次 批次 户次 人 名 户 个 家 所
座 条 项 套 台 件 路 场 张 辆 间 处 床 册 份 次 例 只 头 株 棵 盏 块 支 组 班 位 栋 幢 千瓦 眼 根 杆 艘 架
m2 m² ㎡ 平米 km % ‰ 個 條 處 場 張 輛 間 臺 項 戶 場次 戶次 畝 公裏""".split(),
                  key=len, reverse=True)
MULTIPLIERS = {"万": 1e4, "亿": 1e8, "万亿": 1e12, "萬": 1e4, "億": 1e8}
# Measure words counted as the same thing when a milestone and a target word it differently.
SAME_MEASURE = {"场": "场次", "名": "人", "m2": "平方米", "m²": "平方米", "㎡": "平方米", "平米": "平方米", "km": "公里",
                "個": "个", "條": "条", "處": "处", "場": "场次", "張": "张", "輛": "辆", "間": "间", "臺": "台", "項": "项",
                "戶": "户", "場次": "场次", "戶次": "户次", "畝": "亩", "公裏": "公里"}  # 繁體 pages (公裏: a converter's 里)

_CN_DIGITS = "零〇一二两三四五六七八九十百千"
_NUMBER = re.compile(
    rf"(?P<num>\d+(?:\.\d+)?|[{_CN_DIGITS}][{_CN_DIGITS}万亿点]*)"
    rf"(?:\s*[-－—~～至到]\s*(?P<high>\d+(?:\.\d+)?))?"
    rf"\s*(?P<mult>万亿|[万亿萬億])?(?P<measure>{'|'.join(map(re.escape, MEASURES))})?")
_DELIMS = "，。；;,：:、（）()\n"
_QUOTES = {"“": "”", "‘": "’", "「": "」", "\"": "\""}
_ITEM_START = re.compile(r"(?:^|(?<=[；;。\n：:]))\s*(\d{1,2})\s*[.．、]")
# Numbers that are part of a name, not a count: 二次供水, 一次性, 一件事, 三位一体; 一户一档 (一X一Y).
_NAME_NUMBER = re.compile(r"^(?:[一二两三]次(?:供水|性|污染|产业|分配|元|开发|创业)|一次办|一件事|[一二三四五]位一体|"
                          r"[一二三四五六七八九十百千万两]+(?:人口|个一))")
_PEOPLE = re.compile(r"^[\u4e00-\u9fff]{0,8}(?:人口|农民|妇女|群众|居民|职工|儿童|学生|老人|残疾人|劳动力)")
_VERBS = {"新建", "改造", "建设", "创建", "整治", "实施", "推进", "建成", "开展", "完成", "举办", "新增",
          "组织", "发放", "培育", "修建", "治理", "提升", "扶持", "帮扶", "支持", "投入", "开工", "改建"}
_RAISED_TO = re.compile(r"提高到|提高至|增加到|增至|提升到|提升至|调整到|调整为|降至|降低到|降低至|下降到")
_SHARE_OF = re.compile(r"(?:达到|提高到|提高至|不低于|不少于|占)[\u4e00-\u9fff]{1,10}的$")
_LENGTHS = ("公里", "公裏", "千米", "米", "km")
_NOUN_NEXT = re.compile(r"[\u4e00-\u9fff]")
_RATE = re.compile(r"[/／][\u4e00-\u9fff]{1,2}(?:[/／·][\u4e00-\u9fff]{1,2})*")
_INNER_NOTE = re.compile(r"[（(][^（）()，。；,;]{1,6}[）)](?=[\u4e00-\u9fffA-Za-z])")
_FULLWIDTH = str.maketrans("０１２３４５６７８９％．－", "0123456789%.-")

GE_BEFORE = ("不少于", "不低于", "不小于", "提高到", "提高至", "提升到", "提升至", "达到", "超过", "多于", "突破")
LE_BEFORE = ("不超过", "不高于", "不大于", "降低到", "降低至", "下降到", "下降至", "降至", "降到",
             "控制在", "低于", "少于")
_BEFORE_WORDS = sorted(GE_BEFORE + LE_BEFORE, key=len, reverse=True)
GE_AFTER = ("及以上", "以上")
LE_AFTER = ("及以下", "以下", "以内", "之内")
_LIST_END = re.compile(r"等(?![级同待候])")  # 等 closing a list, not 等级/等同/等待
_EARLIER_COUNT = re.compile(r"[\d.]+(?:万|亿)?(?:平方米|公里|个|所|座|户|家|处|条|项|套|台|人|名|张|辆|间|场|次)"
                            r"(?:[\u4e00-\u9fff]{1,12}?)[和及与、]")
_CUT_VERB = re.compile(r"提供|开展|实施|进行|享受|接受|参加|完成|实现|覆盖|达到|用于|惠及|受益|纳入|开工|投入使用|建成")
_TRAIL_FILLER = re.compile(r"(?:以上|以下|左右|的|等|任务|工作|目标)+$")
_LEAD_WORDS = re.compile(r"^(?:20\d\d年(?:度)?|的|将|努力|全市|全年|实现|确保|力争|开展|其中|累计|共计|共|并|和|及|对全市|对|为)+")
_TRAIL_WORDS = re.compile(
    r"(?:每[人户年月天日]|分别|不少于|不低于|不小于|不超过|不高于|提高到|提高至|提升到|提升至|降低到|降低至|下降到|下降至|"
    r"降至|降到|控制在|达到|突破|达|至|到|为|约|共|累计|保持在|保持)+$")


@dataclass(frozen=True)
class Quantity:
    """One quantity found in a text, with its clause context."""
    value: float            # as written; the lower end of a range
    high: float | None      # the upper end of a range
    unit: str               # as written, with multiplier: 万平方米
    measure: str            # without multiplier: 平方米
    scale: float            # 1e4 for 万
    direction: str
    before: str             # clause text before the number
    after: str              # clause text after the unit and direction word
    text: str               # the matched text: 500-550台
    clause: str = ""        # the whole clause, as published
    borrowed: str = ""      # what is counted, from the quantity before (新建公厕326座、改造64座 → 公厕)

    @property
    def amount(self) -> float:
        return self.value * self.scale

    @property
    def subject(self) -> str:
        """The clause text that says what is counted, without direction and filler words."""
        before = _TRAIL_WORDS.sub("", _LEAD_WORDS.sub("", self.before))
        parts = _LIST_END.split(before)
        if len(parts) > 1:  # 新建瀛洲公园、刘志洲公园等5个城市公园: keep the verb and what follows 等
            verb = before[:2]
            before = (verb if verb in _VERBS else "") + parts[-1]
        before = _EARLIER_COUNT.split(before)[-1]  # 建设376个村居广播室和1200个…: after the earlier count
        share = _SHARE_OF.search(before)
        if share and share.start() >= 2:
            before = before[:share.start()]  # 社区数量达到城市社区的60%: a share of something else
        return before

    @property
    def counted(self) -> str:
        """The noun phrase after the unit (新建3所中心幼儿园 → 中心幼儿园), up to a conjunction."""
        after = re.sub(r"(?<=[\u4e00-\u9fff])[（(][^（）()]{1,6}[）)](?=[\u4e00-\u9fff\w])", "", self.after.lstrip("的"))
        after = re.split(r"[和及与、，,；;。：:（(]|以及|并|等", after, maxsplit=1)[0]  # 村（社区）公共文化场地: note dropped
        cut = _CUT_VERB.search(after, 2)
        after = _TRAIL_FILLER.sub("", after[:cut.start()] if cut else after)
        if re.search(r"\d", after):
            return ""  # 10万元以上部分报销比例不足90%: a threshold, not a noun phrase
        return after if len(re.sub(r"[^\u4e00-\u9fff\w\"“”]", "", after)) >= 2 else ""

    @property
    def name(self) -> str:
        """What is counted: the verb and the noun after the unit, else the words before the number.

        Never cut inside a word: a long name is cut at a delimiter, not at a character count.
        """
        before, counted = self.subject, self.counted
        if counted:
            verb = next((v for v in _VERBS if before.endswith(v)), "") or \
                next((v for v in _VERBS if before.startswith(v)), "")
            name = verb + counted
        elif before in _VERBS and self.borrowed:
            name = before + self.borrowed
        elif not before and self.borrowed:
            name = self.borrowed
        else:
            name = before
        if len(name) > 30:
            pieces = [p for p in re.split(r"[，、,的]", name) if p]
            name = pieces[-1] if pieces and len(pieces[-1]) >= 4 else name
        return _bare(name) or f"{self.unit}数"


_ACTIVITY_END = re.compile(r"(?:等级|星级)?(?:创建|创评|评定|认定|达标|建设|改造|提升|整治)(?:工作|活动|行动)?$")
_LEVEL_START = re.compile(r"^(?:[一二三四五\d]级|[省市县区镇]级(?:及以上|以上)?|国家级)")
_START_VERB = re.compile(r"^(?:推进|完成|实现|开展|实施|组织|新建|建成|建设|创建|打造|培育|改造|提升)")


def _bare(name: str) -> str:
    """A long name cut to what is counted, at word edges only: 推进一级幼儿园食堂智能“阳光厨房”等级创建
    → 幼儿园食堂智能“阳光厨房”; 建成区级以上“美丽庭院”示范户 → “美丽庭院”示范户."""
    if len(name) <= 12:
        return name
    core = _ACTIVITY_END.sub("", name)
    core = _LEVEL_START.sub("", _START_VERB.sub("", core))
    if core == _START_VERB.sub("", name):
        return name  # no activity or level words: the verb stays (改造中心城区老旧小区（户）)
    return core if len(re.sub(r"[“”\"‘’]", "", core)) >= 4 else name


def unit_key(unit: str) -> tuple[str, float]:
    """(measure word, scale): 万人 → (人, 10000); a unit that is not recognised stays whole."""
    unit = unit.strip().translate(_FULLWIDTH)
    scale = 1.0
    if unit[:2] == "万亿" and len(unit) > 2:
        scale, unit = MULTIPLIERS["万亿"], unit[2:]
    elif unit[:1] in MULTIPLIERS and len(unit) > 1:
        scale, unit = MULTIPLIERS[unit[0]], unit[1:]
    return SAME_MEASURE.get(unit, unit), scale


def _number(text: str) -> float | None:
    if text[0].isdigit():
        return float(text)
    try:
        return float(cn2an.cn2an(text, "smart"))
    except (ValueError, KeyError, IndexError):
        return None


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    spans, i = [], 0
    while i < len(text):
        close = _QUOTES.get(text[i])
        if close:
            j = text.find(close, i + 1)
            if j > 0:
                spans.append((i, j))
                i = j
        i += 1
    return spans


def _mask_item_numbers(text: str) -> str:
    """Blank out list numbers (1.…；2.…) so that "；2.18所" reads as 18所, not 2.18所.

    A number at an item start is a list number when it is the next in sequence; the
    first one (1.) only when no digit follows, since "1.2万人" may open a sentence.
    """
    expected, out = 1, text
    for m in _ITEM_START.finditer(text):
        n = int(m.group(1))
        follows = text[m.end():m.end() + 1]
        if n == expected and (n > 1 or not follows.isdigit()):
            out = out[:m.start()] + " " * (m.end() - m.start()) + out[m.end():]
            expected += 1
    return out


def find_quantities(text: str) -> list[Quantity]:
    """Every quantity with a measure word (or a 万/亿 multiplier) in `text`."""
    text = text.translate(_FULLWIDTH)
    masked = _mask_item_numbers(text)
    quoted = _quoted_spans(text)
    found: list[Quantity] = []
    baseline = ""
    for m in _NUMBER.finditer(masked):
        num, mult, measure = m.group("num"), m.group("mult"), m.group("measure")
        start, end = m.start(), m.end()
        if not measure and not mult:
            continue
        if not num[0].isdigit() and num[0] in "十百千" and len(num) == 1:
            continue  # a lone 十/百/千 is part of a word (百姓, 千家万户)
        prev = masked[start - 1] if start else ""
        if prev == "第" or (prev.isascii() and prev.isalnum()) or prev == ".":
            continue  # ordinal, or part of a name such as PM2.5
        if any(a < start < b for a, b in quoted):
            continue
        if measure and len(measure) == 1 and end < len(text) and measure + text[end] in (
                "个人", "名单", "项目", "家庭", "人员", "人口", "家园", "次日", "头条", "项赛"):
            if not mult and not num[0].isdigit():
                continue
        if num == "一" and prev and prev in "有每这那是":
            continue  # 一个 as an article: 都有一个学位
        if not num[0].isdigit() and not mult and _NAME_NUMBER.match(masked[start:start + len(num) + 4]):
            continue  # part of a name: 二次供水, 一件事, 五百人口规模以上
        if num == "一" and (masked[end:end + 1] == "一" or masked[max(0, start - 2):start - 1] == "一"):
            continue  # 一户一档, 一人一策: a slogan, not a count
        if num == "一" and measure == "次" and not mult and _NOUN_NEXT.match(masked[end:end + 1]):
            continue  # 一次处方, 一次告知: "single", not a count of times
        if measure in ("组", "队") and not mult and prev == "村":
            continue  # 天泉村六组: a village group's name, not a count
        if not num[0].isdigit() and not mult and len(num) > 1 and num[-1] in MULTIPLIERS:
            num, mult = num[:-1], num[-1]  # 七万名 = 7 万名, like 7万名
        if not num[0].isdigit() and not mult and measure in _LENGTHS and _NOUN_NEXT.match(masked[end:end + 1]):
            continue  # 三公里充分就业社区, 十五分钟生活圈: a distance that names something, not a count
        if re.search(r"按(?:照)?[^，。；,;]*$", masked[max(0, start - 12):start]) and \
                re.match(r"\s*(?:/\S{1,2})?的?(?:补助|补贴|奖补)?标准", masked[end:end + 10]):
            continue  # 按照每院5万元的标准给予补助: the rate of a payment, not a target (提高到89元/人 is one)
        sentence_start = max(masked.rfind(d, 0, start) for d in "。；;\n") + 1
        raise_at = _RAISED_TO.search(masked, end)
        sentence_end = min([i for i in (masked.find(d, end) for d in "。；;\n") if i >= 0] or [len(masked)])
        if raise_at and raise_at.start() < sentence_end and "从" in masked[sentence_start:start] \
                and not _RAISED_TO.search(masked, sentence_start, start):
            baseline = masked[sentence_start:start].split("从")[0]  # 从每人每月574元…提高到609元: 574 is where it starts
            continue
        if re.search(r"总投资$", masked[max(0, start - 3):start]) and masked[end:end + 1] == "的":
            continue  # 总投资7.58亿元的县医院: the project's size, not a target
        value = _number(num)
        if value is None:
            continue
        high = float(m.group("high")) if m.group("high") else None
        clause_start = max(text.rfind(d, 0, start) for d in _DELIMS) + 1
        if clause_start == start and start and text[start - 1] in "）)":
            opened = max(text.rfind("（", 0, start), text.rfind("(", 0, start))  # 服务中心（站）8家: the note is
            if opened > 0:                                                     # part of the name
                clause_start = max(text.rfind(d, 0, opened) for d in _DELIMS) + 1
        stops = [i for i in (text.find(d, end) for d in _DELIMS) if i >= 0]
        clause_end = min(stops) if stops else len(text)
        note = _INNER_NOTE.match(text, clause_end)
        if note:  # 615个村（社区）公共文化场地: a short note inside the noun phrase, not its end
            more = [i for i in (text.find(d, note.end()) for d in _DELIMS) if i >= 0]
            clause_end = min(more) if more else len(text)
        before = masked[clause_start:start].strip()
        rest = masked[end:clause_end]
        direction = GE
        for w in _BEFORE_WORDS:
            if before.endswith(w):
                direction = GE if w in GE_BEFORE else LE
                break
        direction_after = False
        for w in GE_AFTER + LE_AFTER:
            if rest.startswith(w):
                direction = GE if w in GE_AFTER else LE
                rest, direction_after = rest[len(w):], True
                break
        if direction_after and re.search(r"\d", re.split(r"[和及与]|以及", rest, maxsplit=1)[0]):
            continue  # 投资10亿元以上项目10个: a threshold naming what is counted, not a target
        if mult and not measure and _PEOPLE.match(rest):
            measure = "人"  # 9.27万建档立卡低收入人口 = 9.27万人
        unit = (mult or "") + (measure or "")
        rate = _RATE.match(masked, end) if measure else None
        if rate and not rest.startswith(("以上", "以下", "以内")):
            unit += rate.group(0)  # 600元/月/人: a rate, said with its measure
            rest = rest[len(rate.group(0)):] if rest.startswith(rate.group(0)) else rest
        q = Quantity(value, high, unit, measure or "", MULTIPLIERS.get(mult or "", 1.0), direction,
                     before, rest.strip(), text[start:end], text[clause_start:clause_end].strip())
        same_sentence = found and "。" not in text[text.find(found[-1].clause):start] if found else False
        if same_sentence and not q.subject and not q.counted and found[-1].name:
            base = re.sub(r"（[^（）]*）$", "", found[-1].name) if not found[-1].subject else found[-1].name
            q = replace(q, borrowed=f"{base}（{q.unit}）")  # 老旧小区20个、2964户: households of them
        elif found and found[-1].measure == q.measure and q.subject in _VERBS and not q.counted:
            last = found[-1]
            at = max(((last.subject.rfind(v), v) for v in _VERBS), default=(-1, ""))
            noun = last.counted or (last.subject[at[0] + len(at[1]):] if at[0] >= 0 else "")
            q = replace(q, borrowed=noun)
        if baseline and re.search(r"\d", q.subject):  # 574元、271元分别提高到每人每月609元: 609 is the 补差水平's
            q = replace(q, before=_LEAD_WORDS.sub("", re.split(r"[，,；;。]", baseline)[-1]))
        found.append(q)
    return found
