"""The year-end judgement: at the last quarter a task is done or not; nobody is ahead of schedule.

Pure rules on plain values, used by judge.evaluate_indicator / evaluate_task for Q4 (judge
imports this module, never the other way round). Statuses at year-end, in this order:

    已完成    every indicator met (all reported) and the lead reports 已完成;
              a task without indicators: the lead reports 已完成 (or 100%)
    基本完成  completion (the least-complete indicator, else the lead's %) at or above
              Settings.basic_threshold (default 90), shown with its %
    未完成    below the threshold, or an indicator without a year figure; shown with its %
              and the reason from 存在问题
    未报送    the lead unit did not return (or left the task blank)

The first three words come from Settings.year_words (设置 “年末状态用语”).
Lights at year-end follow the status: green / yellow / red / none.
"""
from __future__ import annotations

from toolkit.model import Settings

YEAR_MISSING = "未报送"
GREEN, YELLOW, RED, NONE = "green", "yellow", "red", "none"


def year_statuses(settings: Settings) -> tuple[str, str, str, str]:
    """(done, basic, undone, missing) in the plan's words: the order used everywhere at Q4."""
    done, basic, undone = settings.year_words
    return done, basic, undone, YEAR_MISSING


def year_light(settings: Settings, status: str) -> str:
    done, basic, undone, missing = year_statuses(settings)
    return {done: GREEN, basic: YELLOW, undone: RED}.get(status, NONE)


def indicator_status(settings: Settings, met: bool, completion: float | None) -> str:
    """An indicator's own year-end status from its Q4 figure."""
    done, basic, undone, missing = year_statuses(settings)
    if completion is None:
        return missing
    if met:
        return done
    return basic if completion >= settings.basic_threshold else undone


def task_status(settings: Settings, *, lead_returned: bool, has_indicators: bool,
                all_reported: bool, all_met: bool, percent: float | None,
                self_done: bool) -> str:
    """A task's year-end status.

    `percent` is the least-complete reported indicator's completion (tasks with indicators)
    or the lead's self-reported % (tasks without); `self_done` is the lead's 已完成.
    """
    done, basic, undone, missing = year_statuses(settings)
    if not lead_returned:
        return missing
    if has_indicators:
        if all_reported and all_met and self_done:
            return done
        if not all_reported or percent is None:
            return undone  # a year without a figure is not a finished year
        return basic if percent >= settings.basic_threshold else undone
    if self_done or (percent is not None and percent >= 100):
        return done
    if percent is None:
        return undone
    return basic if percent >= settings.basic_threshold else undone


def status_text(settings: Settings, status: str, percent: float | None) -> str:
    """`基本完成（95.2%）`, `未完成（60%）`, `已完成`: how a year-end status is shown in text."""
    done, basic, undone, missing = year_statuses(settings)
    if status in (basic, undone) and percent is not None:
        text = f"{percent:.1f}".rstrip("0").rstrip(".")
        return f"{status}（{text}%）"
    return status


def rules_note(settings: Settings) -> str:
    done, basic, undone, missing = year_statuses(settings)
    t = f"{settings.basic_threshold:g}"
    return (f"年末判定：各项指标均达到全年目标且牵头单位自报完成为“{done}”（无指标的任务以牵头单位自报为准）；"
            f"完成全年目标{t}%及以上为“{basic}”，不足{t}%或指标未填报为“{undone}”；"
            f"牵头单位未报送为“{missing}”。完成率取完成最少的指标（“≤”指标：全年目标÷实际值）。")
