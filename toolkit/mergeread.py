"""The reading side of a merge: one file's bytes in, a parsed return or its rejection out.

`read_outcome` never raises for a bad file: a PlankitError is a rejection with its message,
any other failure (a bug, a panic in the Rust reader) a rejection saying so. `Readers`
reads in a separate process (two from PARALLEL_MIN files on) while the merge archives and
records in arrival order. A reader process that dies (a native crash that no `except`
can catch) takes only its own file down: the files it held are read again, each in a
process of its own, and the one that kills that process too is rejected.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from . import problems as P
from .errors import PlankitError
from .model import Plan
from .quarter import Quarter

C = P.register
UNREADABLE = C("merge-unreadable", P.ERROR, "{detail}")
INTERNAL = C("merge-internal-error", P.ERROR,
             "程序内部错误（{detail}），此文件未合并。请把该文件和这段提示发给技术支持，其他文件不受影响。")
CRASHED = C("merge-reader-crashed", P.ERROR,
            "读取此文件时读取程序异常退出，此文件未合并，其他文件不受影响。请让报送单位在Excel中打开后"
            "另存为“Excel工作簿(*.xlsx)”再发送；仍有问题请把该文件发给技术支持。")

PARALLEL_MIN = 32  # files in a run before a second reader process pays for its start
READERS = 2  # reader processes for a large merge (one below PARALLEL_MIN files)


def _read(path: Path, plan: Plan, quarter: Quarter, **kw):
    """The single-file reader (toolkit.returnfile), imported late so one import error is one rejection."""
    from .returnfile import read_return
    return read_return(path, plan, quarter, **kw)


_READ = _read  # tests replace `_read`; a replaced reader always runs in this process


def read_outcome(path: Path, plan: Plan, quarter: Quarter, filename: str, previous, data: bytes):
    """The parsed return, or the problems that reject it (also run in a reader process)."""
    try:
        return _read(path, plan, quarter, display_name=filename, previous=previous, data=data)
    except PlankitError as exc:
        detail = str(exc)
        for name in (filename, path.name):  # the Problem names the file already
            if detail.startswith(f"{name}："):
                detail = detail[len(name) + 1:]
        return [P.make(UNREADABLE, file=filename, detail=detail)]
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # a bug in one file's reading must not stop the merge; a panic
        # in a Rust reader (pyo3's PanicException) derives from BaseException, not Exception
        return [P.make(INTERNAL, file=filename, detail=f"{type(exc).__name__}: {exc}")]


_reader_args: tuple = ()


def _init_reader(plan: Plan, quarter: Quarter, previous) -> None:
    global _reader_args
    _reader_args = (plan, quarter, previous)


def _read_in_reader(path: Path, filename: str, data: bytes):
    plan, quarter, previous = _reader_args
    return read_outcome(path, plan, quarter, filename, previous, data)


def _warm_reader(plan: Plan) -> None:
    """Import the reader and build the plan's memo (returnrows.plan_facts) and fingerprint here,
    once, before forking: the readers inherit them instead of each paying (~45 ms per process)."""
    try:
        from . import returnfile  # noqa: F401  (python-calamine, defusedxml, the row readers)
        from .returnrows import plan_facts
        plan_facts(plan)
        _ = plan.fingerprint  # each file's identity is checked against it (~20 ms to compute)
    except Exception:  # an import error still surfaces per file, in the reader, as before
        pass


class Readers:
    """Reading (pure: bytes in, ParsedReturn out) in reader processes. Reading is 80% of a
    merge's time and parallelises; `merger` gives plan, quarter and previous()."""

    def __init__(self, merger, total: int):
        self.merger, self.pool = merger, None
        # Always a reader process when the real reader runs: a native crash then ends that
        # process, not the merge. Two (one per core) once there are enough files to share.
        self.enabled = total > 0 and _read is _READ
        self.workers = READERS if total >= PARALLEL_MIN and (os.cpu_count() or 1) >= 2 else 1
        self.isolated = False  # after a reader process died: one process per file

    def _new_pool(self, workers: int) -> ProcessPoolExecutor:
        m = self.merger
        fork = sys.platform.startswith("linux")
        if fork:
            _warm_reader(m.plan)
        ctx = multiprocessing.get_context("fork" if fork else "spawn")
        return ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_reader,
                                   initargs=(m.plan, m.quarter, m.previous()))

    def submit(self, job) -> None:
        """Start reading job.data (job.path, job.sub.filename) if reader processes are in use."""
        if job.data is None or not self.enabled:
            return
        try:
            if self.pool is None:
                self.pool = self._new_pool(self.workers)
            job.read = self.pool.submit(_read_in_reader, job.path, job.sub.filename, job.data)
        except Exception:  # no processes here (a locked-down PC): read in this process
            self.enabled = False

    def result(self, job):
        """The read outcome for a submitted job (None when there was nothing to read)."""
        if job.data is None:
            return None
        if isinstance(job.read, Future):
            try:
                return job.read.result()
            except BrokenProcessPool:  # a reader process died on one of the files it held
                self.enabled, self.isolated = False, True
                if self.pool is not None:  # the first of its files to come back says so
                    self.pool.shutdown(wait=False, cancel_futures=True)
                    self.pool = None
            except Exception:  # anything else: read this file here
                self.enabled = False
        if self.isolated:
            return self._alone(job)
        m = self.merger
        return read_outcome(job.path, m.plan, m.quarter, job.sub.filename, m.previous(), job.data)

    def _alone(self, job):
        """Read one file in a process of its own: if that dies too, the file is the cause."""
        try:
            pool = self._new_pool(1)
        except Exception:
            return [P.make(CRASHED, file=job.sub.filename)]
        try:
            return pool.submit(_read_in_reader, job.path, job.sub.filename, job.data).result()
        except BrokenProcessPool:
            return [P.make(CRASHED, file=job.sub.filename)]
        finally:
            pool.shutdown(wait=True)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
