"""Filled returns cached on disk: filling with openpyxl is slow setup, never measured.

out/benchmarks/cache/<label>-<key>/returns/ holds one filled workbook per unit (the merge's
inbox), and <label>-<key>/COMPLETE is written last. The key covers the plan's fingerprint and the fill-in contract
(layout.FORMAT_VERSION and layout.py itself), so a changed plan or layout refills.
"""
from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import shutil
from datetime import datetime
from pathlib import Path

from toolkit.fillin import layout as L

STAMP = "COMPLETE"
RECEIVED = datetime(2019, 7, 5, 10, 0)  # before the Q2 deadline, so no return is late

_plan = None
_quarter = None


def cache_key(plan) -> str:
    layout_src = Path(L.__file__).read_bytes()
    blob = f"{plan.fingerprint}|{L.FORMAT_VERSION}|".encode() + hashlib.sha256(layout_src).digest()
    return hashlib.sha256(blob).hexdigest()[:12]


def cache_dir(root: Path, label: str, plan) -> Path:
    return Path(root) / "cache" / f"{label}-{cache_key(plan)}"


def inbox(folder: Path) -> Path:
    return Path(folder) / "returns"


def is_complete(folder: Path) -> bool:
    return (folder / STAMP).exists()


def _init(spec: tuple) -> None:
    global _plan, _quarter
    from .steps import load
    _plan, _quarter = load(spec)


def _fill_one(job: tuple[str, str]) -> str:
    from toolkit.intake.returnfile import read_return  # noqa: F401  (fail early if the reader is broken)
    from toolkit.demo.simulate import fill_return

    from .synth import answers
    source, target = map(Path, job)
    dept = source.name.split("_", 1)[0]
    tasks, indicators, contact = answers(_plan, dept, _quarter.q)
    fill_return(source, tasks=tasks, indicators=indicators, contact=contact, out=target)
    os.utime(target, (RECEIVED.timestamp(), RECEIVED.timestamp()))
    return target.name


def fill_all(spec: tuple, generated: Path, folder: Path, *, workers: int = 2, progress=None) -> int:
    """Fill every generated workbook into `folder` (as a clerk would); returns the count."""
    if folder.exists():
        shutil.rmtree(folder)
    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    (tmp / "returns").mkdir()
    jobs = [(str(p), str(tmp / "returns" / p.name)) for p in sorted(Path(generated).glob("*.xlsx"))]
    with mp.get_context("spawn").Pool(workers, initializer=_init, initargs=(spec,)) as pool:
        for n, _ in enumerate(pool.imap_unordered(_fill_one, jobs, chunksize=4), 1):
            if progress and (n % 50 == 0 or n == len(jobs)):
                progress(n, len(jobs))
    (tmp / STAMP).write_text(f"{len(jobs)} files\n", encoding="utf-8")
    os.replace(tmp, folder)
    return len(jobs)


def resave_all(folder: Path, target: Path, *, timeout: int = 1800) -> int:
    """The returns in `folder` as LibreOffice saves them (shared strings, its own styles), in
    `target` (cached like the fills): one soffice run converts them all."""
    import tempfile

    from toolkit.fileio.office import convert_files
    if target.exists():
        shutil.rmtree(target)
    tmp = target.with_name(target.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "returns").mkdir(parents=True)
    sources = sorted(inbox(folder).glob("*.xlsx"))
    with tempfile.TemporaryDirectory(prefix="plankit-bench-lo-") as profile:
        for _attempt in range(3):  # soffice given hundreds of files at once drops some: batches, then retries
            todo = [p for p in sources if not (tmp / "returns" / p.name).exists()]
            for start in range(0, len(todo), 40):
                convert_files(todo[start:start + 40], "xlsx:Calc MS Excel 2007 XML", tmp / "returns",
                              profile=Path(profile), timeout=timeout)
    saved = sorted((tmp / "returns").glob("*.xlsx"))
    if len(saved) != len(sources):
        raise RuntimeError(f"LibreOffice saved {len(saved)} of {len(sources)} returns")
    for path in saved:
        os.utime(path, (RECEIVED.timestamp(), RECEIVED.timestamp()))
    (tmp / STAMP).write_text(f"{len(saved)} files\n", encoding="utf-8")
    os.replace(tmp, target)
    return len(saved)
