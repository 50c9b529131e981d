"""The year-end rows of 设置: 基本完成阈值（%）, 年末状态用语 and the 考核：… points (read and checked)."""
from __future__ import annotations

from toolkit.plan.format import (ASSESSMENT_KEYS, ASSESSMENT_PREFIX, BASIC_THRESHOLD_KEY, DEFAULT_YEAR_WORDS,
    RESERVED_WORDS, YEAR_WORDS_KEY)
from toolkit.values import clean_text


def split_words(text: str) -> tuple[str, ...]:
    for sep in ("，", ",", "；", ";", "/", "\n"):
        text = text.replace(sep, "、")
    return tuple(dict.fromkeys(w.strip() for w in text.split("、") if w.strip()))


def year_end_settings(values: dict, number, bad) -> tuple[float, tuple, tuple]:
    """(basic threshold, year words, assessment points) from the 设置 `values`; `number(key, default)`
    reads a number and `bad(key, why)` records a problem (both from the reader)."""
    basic = number(BASIC_THRESHOLD_KEY, 90.0)
    if not 0 < basic <= 100:
        bad(BASIC_THRESHOLD_KEY, "请填写0到100之间的百分数，例如90。")
        basic = 90.0
    words = DEFAULT_YEAR_WORDS
    if clean_text(values.get(YEAR_WORDS_KEY)):
        given = split_words(clean_text(values.get(YEAR_WORDS_KEY)))
        clash = [w for w in given if w in RESERVED_WORDS]
        if len(given) != 3 or clash:
            bad(YEAR_WORDS_KEY, "请依次填写三个不同的用语（完成、基本完成、未完成），用“、”分隔"
                + (f"；“{'、'.join(clash)}”是季度判定用语，不能用于年末。" if clash else "。"))
        else:
            words = given
    assessment = []
    for key in values:
        if not key.startswith(ASSESSMENT_PREFIX):
            continue
        if key not in ASSESSMENT_KEYS:
            bad(key, "不是可识别的考核项目。可用的项目见使用说明“年度考核”一节。")
            continue
        points = number(key, ASSESSMENT_KEYS[key][0])
        if points < 0:
            bad(key, "分值不能为负。")
            continue
        assessment.append((key, points))
    return basic, tuple(words), tuple(assessment)
