"""One writer at a time, on a local disk: the store's run lock and network-share check."""
from __future__ import annotations

import contextlib
import os
import re
import sys
import time
from datetime import datetime
from pathlib import Path

from toolkit.errors import STORE_BUSY, PlankitError

LOCK = "merge.lock"
NETWORK_FS = {"cifs", "smb3", "smbfs", "nfs", "nfs4", "afpfs", "fuse.sshfs", "9p"}


class StoreBusyError(PlankitError):
    """Another merge holds the store."""
    code = STORE_BUSY


def _is_network(path: Path, mounts_file: Path = Path("/proc/mounts")) -> bool:
    """Cheap check: SQLite locking is unreliable on SMB/NFS shares."""
    text = str(path.resolve())
    if text.startswith("\\\\"):
        return True
    if sys.platform == "win32":  # the same test as os.name == "nt", in the form mypy understands
        try:
            import ctypes
            return ctypes.windll.kernel32.GetDriveTypeW(text[:3]) == 4  # DRIVE_REMOTE
        except Exception:
            return False
    try:
        mounts = [line.split() for line in mounts_file.read_text().splitlines()]
    except OSError:
        return False
    best, fstype = "", ""
    for fields in mounts:
        if len(fields) >= 3 and (text == fields[1] or text.startswith(fields[1].rstrip("/") + "/")):
            if len(fields[1]) > len(best):
                best, fstype = fields[1], fields[2]
    return fstype in NETWORK_FS


_HELD: set = set()  # lock files held by this process: a forked child closes its copies


def _close_in_child() -> None:
    """A process forked while a lock is held (a reader) must not keep the lock alive: flock
    belongs to the open file, shared through fork, so an orphaned reader blocked every merge."""
    if not _HELD:
        return
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_RDWR)
        for fh in list(_HELD):  # the number stays valid (no double close), the lock is let go
            with contextlib.suppress(OSError, ValueError):
                os.dup2(null, fh.fileno())
        os.close(null)
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_in_child)


def _holder_pid(fh) -> int | None:
    try:
        fh.seek(0)
        m = re.match(r"进程 (\d+)", fh.read())
    except OSError:
        return None
    return int(m.group(1)) if m else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _take_over(path: Path, fh):
    """The lock names a process that is gone, yet is held (by a child it left behind): move the
    stale file aside, if it is still the one we opened, and lock a fresh one."""
    if os.name == "nt":
        return None
    pid = _holder_pid(fh)
    if pid is None or pid == os.getpid() or _alive(pid):
        return None
    try:
        if os.stat(path).st_ino != os.fstat(fh.fileno()).st_ino:
            return None  # someone took it over already
        os.replace(path, path.with_name(f"{LOCK}.stale-{pid}"))
    except OSError:
        return None
    fh.close()
    fresh = open(path, "a+")
    try:
        _lock(fresh)
    except OSError:
        fresh.close()
        return None
    return fresh


@contextlib.contextmanager
def run_lock(root: Path, timeout: float = 10.0):
    """An exclusive lock file: a second merge waits `timeout` seconds, then gets a clear message.

    A lock left held by a dead merge's orphaned child is taken over (the file names its holder)."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / LOCK
    fh = open(path, "a+")
    deadline = time.monotonic() + timeout
    while True:
        try:
            _lock(fh)
            break
        except OSError:
            fresh = _take_over(path, fh)
            if fresh is not None:
                fh = fresh
                break
            if fh.closed:
                fh = open(path, "a+")
            if time.monotonic() >= deadline:
                try:
                    fh.seek(0)
                    holder = fh.read().strip()
                except OSError:  # Windows refuses to read a locked region
                    holder = ""
                fh.close()
                raise StoreBusyError(f"另一个合并正在使用数据库（{holder or '未知进程'}），本次未做任何改动。",
                                     hint="请等它结束后再运行。")
            time.sleep(0.1)
    try:
        fh.seek(0)
        fh.truncate()
        fh.write(f"进程 {os.getpid()}，开始于 {datetime.now():%Y-%m-%d %H:%M:%S}")
        fh.flush()
        _HELD.add(fh)
        yield
    finally:
        _HELD.discard(fh)
        _unlock(fh)
        fh.close()


def _lock(fh) -> None:
    if sys.platform == "win32":
        import msvcrt
        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _unlock(fh) -> None:
    with contextlib.suppress(OSError):
        if sys.platform == "win32":
            import msvcrt
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def merge_running(root: Path) -> str:
    """Who holds the merge lock right now ("进程 N，开始于 …"), or "" when no merge runs: a report
    made meanwhile may miss the files still being merged. Never waits."""
    path = Path(root) / LOCK
    if not path.is_file():
        return ""
    try:
        with open(path, "a+") as fh:
            try:
                _lock(fh)
            except OSError:
                fh.seek(0)
                return fh.read().strip() or "未知进程"
            _unlock(fh)
    except OSError:  # unreadable (Windows refuses a locked region): say nothing rather than guess
        return ""
    return ""
