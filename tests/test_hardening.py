"""Issue 19: merge, rebuild and the store against hostile inputs and faults (one test per item)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.merge_helpers import LATE, ON_TIME, fake_return, use_fake_reader, write
from toolkit.cli import main
from toolkit.intake.collect import collect
from toolkit.intake.merge import merge
from toolkit.intake.rebuild import rebuild
from toolkit.paths import store_dir
from toolkit.quarter import Quarter
from toolkit.store.db import load_quarter

ROOT = Path(__file__).parent.parent
Q2 = Quarter(2019, 2)
FIVE = ("市教育局", "市财政局", "市卫健委", "市人社局", "市民政局")


@pytest.fixture(autouse=True)
def fake_reader(request, monkeypatch):
    if not request.node.name.startswith("test_real_"):
        use_fake_reader(monkeypatch)


def five_returns(folder: Path) -> Path:
    for n, dept in enumerate(FIVE):
        write(folder / f"{n}_{dept}.xlsx", fake_return(dept, percent=10 * n), ON_TIME)
    return folder


# -- item 10: symlinks are never followed ---------------------------------------------

def test_symlinks_in_an_input_folder_are_skipped_not_followed(tmp_path, plan):
    secret = write(tmp_path / "outside" / "secret.xlsx", b"PLANKIT_SMTP_PASSWORD=hunter2")
    write(tmp_path / "outside" / "dir" / "x.xlsx", fake_return("市财政局"))
    inbox = five_returns(tmp_path / "in")
    os.symlink(secret, inbox / "x.xlsx")
    os.symlink("/proc/self/environ", inbox / "env.xlsx")
    os.symlink(tmp_path / "outside" / "dir", inbox / "linked")
    top = tmp_path / "top.xlsx"
    os.symlink(secret, top)
    items = {i.name: i for i in collect([inbox, top])}
    reason = "符号链接（快捷方式），为安全起见不跟随、不读取，已跳过；如确是填报表，请把文件本身复制到此文件夹"
    for name in ("x.xlsx", "env.xlsx", "linked", "top.xlsx"):
        assert items[name].skipped == reason and items[name].code == "file-symlink"
        assert items[name].path is None and items[name].data is None
    out = tmp_path / "out"
    result = merge(plan, Q2, out, [inbox, top])
    skipped = {f.path: f for f in result.files if f.outcome == "skipped"}
    assert sorted(skipped) == ["env.xlsx", "linked", "top.xlsx", "x.xlsx"]
    assert all(f.problems[0].code == "file-symlink" and f.problems[0].message == reason for f in skipped.values())
    archived = b"".join(p.read_bytes() for p in (store_dir(plan, out) / "archive").iterdir())
    assert b"hunter2" not in archived and b"PATH=" not in archived
    assert sorted(load_quarter(plan, Q2, out).returns) == sorted(FIVE)  # the real files still merged


# -- item 11: a killed merge leaves no reader holding merge.lock ------------------------

@pytest.mark.parametrize("sig", ["SIGKILL", "SIGTERM"])
def test_real_readers_die_with_a_killed_merge_and_the_lock_is_free(tmp_path, plan, sig):
    if not sys.platform.startswith("linux"):
        pytest.skip("fork, prctl and POSIX signals: Linux")
    from toolkit.store.lock import run_lock
    root = tmp_path / "store"
    script = f"""
import sys, time, multiprocessing
sys.path.insert(0, {str(ROOT)!r})
from pathlib import Path
import toolkit.intake.readers as R
from toolkit.plan.workbook import load_plan
from toolkit.quarter import Quarter
from toolkit.store.lock import run_lock
with run_lock(Path({str(root)!r})):
    procs = [R._Process(multiprocessing.get_context("fork"), (load_plan({str(plan.source)!r}), Quarter(2019, 2), None))
             for _ in range(2)]
    print(*[p.proc.pid for p in procs], flush=True)
    time.sleep(600)
"""
    merge_proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    readers = [int(pid) for pid in merge_proc.stdout.readline().split()]
    assert len(readers) == 2
    merge_proc.send_signal(getattr(signal, sig))
    merge_proc.wait()
    merge_proc.stdout.close()
    for _ in range(100):  # the kernel kills them at once; allow a loaded machine 10 s
        if not any(_running(pid) for pid in readers):
            break
        time.sleep(0.1)
    try:
        assert not any(_running(pid) for pid in readers)
        with run_lock(root, timeout=0.5):
            pass
    finally:
        for pid in readers:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_lock_held_for_a_dead_merge_is_taken_over(tmp_path):
    if os.name == "nt":
        pytest.skip("flock: POSIX")
    import fcntl

    from toolkit.store.lock import run_lock
    root = tmp_path / "store"
    root.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = open(root / "merge.lock", "a+")  # as a reader left behind by a killed merge holds it
    fcntl.flock(orphan.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    orphan.write(f"进程 {dead.pid}，开始于 2026-01-01 00:00:00")
    orphan.flush()
    try:
        with run_lock(root, timeout=0.5):
            assert (root / "merge.lock").read_text().startswith(f"进程 {os.getpid()}，")
    finally:
        orphan.close()
    with run_lock(root, timeout=0.5):  # and the next merge is not blocked either
        pass
