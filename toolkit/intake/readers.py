"""The reading side of a merge: one file's bytes in, a parsed return or its rejection out.

`read_outcome` never raises for a bad file: a PlankitError is a rejection with its message
and its error code (toolkit.errors.ERROR_CODES: file-zip-bomb, file-encrypted, ...), any other
failure (a bug, a panic in the Rust reader) a rejection saying so. `Readers`
reads in a separate process (two from PARALLEL_MIN files on) while the merge archives and
records in arrival order. A reader process that dies (a native crash that no `except`
can catch) takes only its own files down: the (at most two) files it held are read again,
each in a process of its own, the one that kills that process too is rejected, and a new
process takes the next files.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from collections import deque
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from toolkit import problems as P
from toolkit.errors import PlankitError
from toolkit.model import Plan
from toolkit.quarter import Quarter

C = P.register
INTERNAL = C("merge-internal-error", P.ERROR,
             "程序内部错误（{detail}），此文件未合并。请把该文件和这段提示发给技术支持，其他文件不受影响。")
CRASHED = C("merge-reader-crashed", P.ERROR,
            "读取此文件时读取程序异常退出，此文件未合并，其他文件不受影响。请让报送单位在Excel中打开后"
            "另存为“Excel工作簿(*.xlsx)”再发送；仍有问题请把该文件发给技术支持。")

PARALLEL_MIN = 32  # files in a run before a second reader process pays for its start
READERS = 2  # reader processes for a large merge (one below PARALLEL_MIN files)


def _read(path: Path, plan: Plan, quarter: Quarter | None, **kw):
    """The single-file reader (toolkit.intake.returnfile), imported late so one import error is one rejection."""
    from toolkit.intake.returnfile import read_return
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
        return [P.Problem(exc.code, P.ERROR, detail, filename)]
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # a bug in one file's reading must not stop the merge; a panic
        # in a Rust reader (pyo3's PanicException) derives from BaseException, not Exception
        return [P.make(INTERNAL, file=filename, detail=f"{type(exc).__name__}: {exc}")]


def _set_pdeathsig() -> None:
    """Linux: the kernel kills this process when its parent dies (kill -9 included)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except Exception:  # no prctl: the watchdog below still ends this reader
            pass


WATCH_SECONDS = 0.5  # how often a reader's watchdog looks for its parent


def _die_with_parent(parent: int) -> None:
    """End this reader when the merge dies, so no orphan lives on holding memory (and, before
    the lock was closed in children, merge.lock). On Linux the kernel does it (prctl). Everywhere,
    watchdog threads end the process, also while the main thread is busy reading a large file
    (at its next GIL switch): one waits on multiprocessing's parent sentinel (the parent's process
    handle on Windows, a pipe only the parent holds on POSIX), one checks the parent pid every
    WATCH_SECONDS (a POSIX orphan is re-parented; on Windows the pid stays, so not there). The job
    pipe closing (see _serve) ends an idle reader as well."""
    _set_pdeathsig()
    if os.getppid() != parent:  # the merge died before prctl took effect
        os._exit(0)

    def watch_pid() -> None:
        while True:
            time.sleep(WATCH_SECONDS)
            if os.getppid() != parent:
                os._exit(0)

    def watch_sentinel(sentinel) -> None:
        try:
            wait([sentinel])
        except (OSError, ValueError):  # nothing to wait on here: the other ways still hold
            return
        os._exit(0)
    if sys.platform != "win32":
        threading.Thread(target=watch_pid, daemon=True, name="plankit-watchdog").start()
    mother = multiprocessing.parent_process()
    if mother is not None and getattr(mother, "sentinel", None) is not None:
        threading.Thread(target=watch_sentinel, args=(mother.sentinel,), daemon=True,
                         name="plankit-watchdog-sentinel").start()


def _serve(jobs, results, parent: int, own_end, plan: Plan, quarter: Quarter, previous) -> None:
    """A reader process: read each (path, filename) + bytes received, send back its outcome.

    A thread takes the files in as they come, so the merge can hand over the next file while
    this one is read and never waits on a full pipe (no deadlock however large a file)."""
    # Ctrl+C reaches every process of the console: the merge stops its readers itself (and
    # says 已中断), so a reader printing its own traceback would only alarm the user
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent)
    if own_end is not None:  # forked with the merge's end of our job pipe: close it, so the
        own_end.close()      # merge's death reads as end-of-file here
    inbox: queue.SimpleQueue = queue.SimpleQueue()

    def receive() -> None:
        try:
            while (head := jobs.recv()) is not None:
                inbox.put((head, jobs.recv_bytes()))
        except (EOFError, OSError):  # the merge died (an orderly stop sends None): end now, even
            os._exit(0)              # in the middle of a file, no one waits for its outcome
        inbox.put(None)

    threading.Thread(target=receive, daemon=True).start()
    while (item := inbox.get()) is not None:
        (path, filename), data = item
        outcome = read_outcome(path, plan, quarter, filename, previous, data)
        try:
            results.send(outcome)
        except (EOFError, OSError):
            return
        except Exception as exc:  # an outcome that does not pickle: a bug, one file's rejection
            results.send([P.make(INTERNAL, file=filename, detail=f"{type(exc).__name__}: {exc}")])


def _warm_reader(plan: Plan) -> None:
    """Import the reader and build the plan's memo (planfacts.plan_facts) and fingerprint here,
    once, before forking: the readers inherit them instead of each paying (~45 ms per process)."""
    try:
        from toolkit.intake import returnfile  # noqa: F401  (python-calamine, defusedxml, the row readers)
        from toolkit.intake.planfacts import plan_facts
        plan_facts(plan)
        _ = plan.fingerprint  # each file's identity is checked against it (~20 ms to compute)
    except Exception:  # an import error still surfaces per file, in the reader, as before
        pass


def _quarter_of(path: Path, plan: Plan) -> tuple[str, str]:
    """(quarter code, "") of an archived file by what it says itself, or ("", why not)."""
    try:
        parsed = _read(path, plan, None, display_name=path.name, data=path.read_bytes())
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # unreadable: nothing says which quarter it belongs to
        return "", f"无法读取，不知属于哪个季度：{getattr(exc, 'message', exc)}"
    quarter = getattr(parsed, "quarter", "") or ""
    return str(getattr(quarter, "code", quarter)), "" if quarter else "文件中没有季度信息"


def _identify(paths: list[Path], plan: Plan, results, parent: int) -> None:
    """A reader process for `quarters_of`: one (path, quarter, why) sent per file, in order."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent)
    for path in paths:
        results.send((str(path), *_quarter_of(path, plan)))


def quarters_of(paths: list[Path], plan: Plan) -> list[tuple[Path, str, str]]:
    """(path, quarter code, why not placed) of each file, each read in a reader process as the
    merge reads: a file that crashes the native reader is named, and the next process reads on."""
    if _read is not _READ or not paths:  # a test's stand-in reader runs here
        return [(p, *_quarter_of(p, plan)) for p in paths]
    fork = sys.platform.startswith("linux")
    if fork:
        _warm_reader(plan)
    ctx: Any = multiprocessing.get_context("fork" if fork else "spawn")
    found: dict[str, tuple[str, str]] = {}
    pending = [Path(p) for p in paths]
    while pending:
        conn, results = ctx.Pipe(duplex=False)
        try:
            proc = ctx.Process(target=_identify, args=(pending, plan, results, os.getpid()), daemon=True,
                               name="plankit-reader")
            proc.start()
        except Exception:  # no processes here (a locked-down PC): read in this process
            results.close()
            conn.close()
            found.update((str(p), _quarter_of(p, plan)) for p in pending)
            break
        results.close()
        try:
            while pending:
                path, quarter, why = conn.recv()
                found[path] = (quarter, why)
                pending.pop(0)
        except (EOFError, OSError):  # the process died on pending[0]: that file is the cause
            found[str(pending.pop(0))] = ("", "读取此文件时读取程序异常退出，不知属于哪个季度")
        finally:
            conn.close()
            proc.join(5)
    return [(Path(p), *found[str(p)]) for p in paths]


def _start(proc, forked: bool) -> None:
    """Start a reader process. Forked, it inherits the plan (at national scale 100,000s of objects)
    frozen out of the garbage collector's reach: its collections then never walk the plan, nor
    write to the plan's object headers, which copied those pages into every reader (issue 17c).
    The merge itself collects as before (unfrozen once the reader has started)."""
    if not forked:
        proc.start()
        return
    gc.freeze()
    try:
        proc.start()
    finally:
        gc.unfreeze()


class _Process:
    """One reader process, a pipe each way, and the files it holds (`jobs`, in order: at
    most DEPTH, so it has the next one at hand when it finishes one)."""

    def __init__(self, ctx, args: tuple):
        self.conn, results = ctx.Pipe(duplex=False)
        jobs, self.jobs_out = ctx.Pipe(duplex=False)
        own_end = self.jobs_out if ctx.get_start_method() == "fork" else None  # spawn does not inherit it
        self.proc = ctx.Process(target=_serve, args=(jobs, results, os.getpid(), own_end, *args), daemon=True,
                                name="plankit-reader")
        _start(self.proc, own_end is not None)
        jobs.close()
        results.close()
        self.jobs: deque = deque()

    def send(self, job) -> None:
        self.jobs_out.send((job.path, job.sub.filename))
        self.jobs_out.send_bytes(job.data)
        self.jobs.append(job)

    def stop(self, wait: bool = True) -> None:
        if not self.jobs and wait:
            try:
                self.jobs_out.send(None)
            except (OSError, ValueError):
                pass
            self.proc.join(5)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(5)
        self.conn.close()
        self.jobs_out.close()


DEPTH = 2  # files handed to a reader process ahead: the one it reads and the next

_BUSY = object()  # job.read while its process is reading it


class Readers:
    """Reading (pure: bytes in, ParsedReturn out) in reader processes. Reading is 80% of a
    merge's time and parallelises; `merger` gives plan, quarter and previous().

    Each process holds up to DEPTH files; the rest wait here, and whoever waits for a result
    hands the processes their next files. (A ProcessPoolExecutor cost the merge two more
    threads and ~0.3 ms of CPU per file in hand-offs.)
    """

    def __init__(self, merger, total: int):
        self.merger = merger
        # Always a reader process when the real reader runs: a native crash then ends that
        # process, not the merge. Two (one per core) once there are enough files to share.
        self.enabled = total > 0 and _read is _READ
        self.count = READERS if total >= PARALLEL_MIN and (os.cpu_count() or 1) >= 2 else 1
        self.procs: list[_Process] = []
        self.waiting: deque = deque()

    def _context(self):
        m = self.merger
        fork = sys.platform.startswith("linux")
        if fork:
            _warm_reader(m.plan)
        return multiprocessing.get_context("fork" if fork else "spawn"), (m.plan, m.quarter, m.previous())

    def submit(self, job) -> None:
        """Queue job.data (job.path, job.sub.filename) for a reader process, if they are in use."""
        if job.data is None or not self.enabled:
            return
        try:
            if not self.procs:
                ctx, args = self._context()
                self.procs = [_Process(ctx, args) for _ in range(self.count)]  # forked: ~2 ms each
        except Exception:  # no processes here (a locked-down PC): read in this process
            self.close()
            self.enabled = False
            return
        job.read = _BUSY
        self.waiting.append(job)
        self._dispatch()

    def _dispatch(self) -> None:
        for proc in list(self.procs):
            while len(proc.jobs) < DEPTH and self.waiting:
                job = self.waiting.popleft()
                try:
                    proc.send(job)
                except (OSError, ValueError):  # found dead: its files are read again alone
                    self.waiting.appendleft(job)
                    self._died(proc)
                    break

    def _died(self, proc: _Process) -> None:
        """A reader process is gone: each file it held is read again alone; another takes its place."""
        for job in proc.jobs:
            job.read, job.crashed = None, True
        proc.jobs.clear()
        proc.stop(wait=False)
        at = self.procs.index(proc)
        try:
            self.procs[at] = _Process(*self._context())
        except Exception:
            del self.procs[at]

    def _pump(self) -> None:
        """Wait until a busy process sends an outcome or dies; hand out the next files."""
        busy = [p for p in self.procs if p.jobs]
        ready = wait([p.conn for p in busy] + [p.proc.sentinel for p in busy])
        for proc in busy:
            if proc.conn in ready or proc.conn.poll():
                try:
                    proc.jobs[0].read = proc.conn.recv()
                    proc.jobs.popleft()
                    continue
                except (EOFError, OSError):  # died while sending
                    pass
            elif proc.proc.sentinel not in ready:
                continue
            self._died(proc)
        self._dispatch()

    def result(self, job):
        """The read outcome for a submitted job (None when there was nothing to read)."""
        if job.data is None:
            return None
        while job.read is _BUSY:
            if not any(p.jobs for p in self.procs):
                self._dispatch()
                if not any(p.jobs for p in self.procs):  # no process left to read it
                    self.enabled = False
                    for waiting in self.waiting:
                        waiting.read = None
                    self.waiting.clear()
                    break
            self._pump()
        if job.crashed:
            return self._alone(job)
        if job.read is not None:
            return job.read
        m = self.merger
        return read_outcome(job.path, m.plan, m.quarter, job.sub.filename, m.previous(), job.data)

    def _alone(self, job):
        """Read one file in a process of its own: if that dies too, the file is the cause."""
        try:
            proc = _Process(*self._context())
        except Exception:
            return [P.make(CRASHED, file=job.sub.filename)]
        try:
            proc.send(job)
            wait([proc.conn, proc.proc.sentinel])
            return proc.conn.recv()
        except (EOFError, OSError):
            return [P.make(CRASHED, file=job.sub.filename)]
        finally:
            proc.jobs.clear()
            proc.stop()

    def close(self) -> None:
        for proc in self.procs:
            proc.stop()
        self.procs = []
