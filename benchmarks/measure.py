"""Timing and memory helpers: every measured step runs in a fresh (spawned) child process.

A spawned child starts from an empty interpreter, so its peak RSS (`ru_maxrss`, the
kernel's high-water mark) is the step's own, never the parent's; the child reports
its RSS just before the timed part too, so imports can be told apart from the work.
"""
from __future__ import annotations

import importlib
import multiprocessing as mp
import os
import resource
import statistics
import sys
import time
import traceback


def rss_mb() -> float:
    """Current resident set size of this process in MB (Linux /proc; else the peak)."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return peak_rss_mb()


def peak_rss_mb() -> float:
    """This process's peak RSS in MB (ru_maxrss: KB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


class Clock:
    """`with Clock() as c: ...` then c.seconds."""

    def __enter__(self) -> Clock:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.start


def _trampoline(conn, target: str, args: tuple, kwargs: dict) -> None:
    try:
        module, name = target.rsplit(".", 1)
        result = getattr(importlib.import_module(module), name)(*args, **kwargs)
        result.setdefault("peak_rss_mb", round(peak_rss_mb(), 1))
        conn.send(("ok", result))
    except BaseException:  # report everything to the parent, which re-raises
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


class ChildError(RuntimeError):
    """A measured step failed in its child process (the message holds its traceback)."""


def in_child(target: str, *args, **kwargs) -> dict:
    """Run `module.function(*args, **kwargs)` in a spawned process; return its result dict.

    The function returns a dict of figures; `peak_rss_mb` is added unless it set one.
    """
    ctx = mp.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_trampoline, args=(send, target, args, kwargs))
    proc.start()
    send.close()
    try:
        status, payload = receive.recv()
    except EOFError:
        proc.join()
        raise ChildError(f"{target} died without a result (exit code {proc.exitcode})")
    proc.join()
    if status != "ok":
        raise ChildError(f"{target} failed:\n{payload}")
    return payload


def summary(values: list[float]) -> dict:
    """median, min, max of a list of figures (None when empty)."""
    values = [v for v in values if v is not None]
    if not values:
        return {"median": None, "min": None, "max": None, "runs": []}
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": [round(v, 4) for v in values]}
