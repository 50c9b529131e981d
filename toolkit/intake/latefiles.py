"""Files that appear in an input folder while the merge runs (a colleague still saving
attachments, a sync client catching up). They are not in this run; the run says so, instead
of ending as if the folder had been merged whole."""
from __future__ import annotations

import os
from pathlib import Path


def snapshot(inputs: list[Path], exclude: list[Path]) -> set[str]:
    """Every file under the folder inputs (links not entered), outside `exclude`."""
    skip = [os.path.join(os.path.realpath(e), "") for e in exclude]
    found: set[str] = set()
    for raw in inputs:
        path = Path(raw)
        if not path.is_dir() or path.is_symlink():
            continue
        for top, _dirs, files in os.walk(path, followlinks=False):
            if any(os.path.join(os.path.realpath(top), "").startswith(s) for s in skip):
                continue
            found.update(os.path.join(top, f) for f in files)
    return found


def appeared_note(inputs: list[Path], exclude: list[Path], before: set[str]) -> str:
    """A note naming files found now that were not there when the merge began ("" if none)."""
    new = sorted(snapshot(inputs, exclude) - before)
    if not new:
        return ""
    names = "、".join(Path(p).name for p in new[:3]) + ("等" if len(new) > 3 else "")
    return (f"合并进行期间，输入文件夹中新出现了 {len(new)} 个文件（{names}），本次没有处理。"
            "请再运行一次同一命令合并它们（已合并的文件会记为重复，不会重复计入）。")
