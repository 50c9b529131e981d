"""Run the benchmark for one plan size: generate, fill (cached), merge vs baselines, report, brief.

Generation and reading are measured in rounds: in each round every contender runs once
on the same files, each in a fresh child process, and the ratios are taken within the
round, so a slower moment of the machine affects both sides of a ratio alike.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from . import cache
from .measure import in_child, summary
from .steps import load

S = "benchmarks.steps."


def _log(msg: str) -> None:
    print(msg, flush=True)


def _step(results: list[dict], key: str = "seconds", files: int | None = None) -> dict:
    secs = summary([r[key] for r in results])
    out = {"seconds": secs, "peak_rss_mb": summary([r.get("peak_rss_mb") for r in results]),
           "rss_start_mb": summary([r.get("rss_start_mb") for r in results])}
    if files and secs["median"]:
        out["files_per_s"] = round(files / secs["median"], 1)
    return out


def _ratio(a: list[dict], b: list[dict], key_a: str = "seconds", key_b: str = "seconds") -> dict:
    return summary([x[key_a] / y[key_b] for x, y in zip(a, b) if y[key_b]])


def bench_size(label: str, spec: tuple, root: Path, *, runs: int = 3, refill: bool = False,
               profile: bool = False, report: bool = True, resave: bool = False) -> dict:
    """Every measurement for one plan; returns the figures (see README for the JSON layout)."""
    plan, _ = load(spec)
    work = Path(root) / "work" / label
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    info = {"units": len(plan.department_names()), "tasks": len(plan.tasks), "indicators": len(plan.indicators)}
    _log(f"== {label}: {info['units']} units, {info['tasks']} tasks, {info['indicators']} indicators")

    gen, plain, generated = [], [], None
    for k in range(runs):
        gen.append(in_child(S + "generate", spec, str(work / f"gen{k}")))
        plain.append(in_child(S + "plain_generate", spec, str(work / f"plain{k}")))
        _log(f"   generate round {k + 1}: sheets {gen[-1]['seconds']:.2f} s, plain {plain[-1]['seconds']:.2f} s")
        if generated is None:
            generated = Path(gen[-1]["folder"])
        else:
            shutil.rmtree(work / f"gen{k}", ignore_errors=True)

    folder = cache.cache_dir(root, label.removesuffix("-libreoffice"), plan)  # one fill for both
    if refill or not cache.is_complete(folder):
        _log(f"   filling {info['units']} returns with openpyxl (setup, cached in {folder})")
        cache.fill_all(spec, generated, folder, progress=lambda n, t: _log(f"     filled {n}/{t}"))
    shutil.rmtree(work / "gen0", ignore_errors=True)
    if resave:  # the same answers, as LibreOffice saves them: what the read rounds then read
        saved = folder.with_name(folder.name + "-libreoffice")
        if refill or not cache.is_complete(saved):
            _log(f"   re-saving the returns with LibreOffice (setup, cached in {saved})")
            cache.resave_all(folder, saved)
        folder = saved
    inbox = str(cache.inbox(folder))
    files = len(list(cache.inbox(folder).glob("*.xlsx")))

    merged, nosync, naive, raw, last = [], [], [], [], None
    for k in range(runs):
        out_dir = work / f"merge{k}"
        prof = str(Path(root) / f"profile-{label}.prof") if profile and k == 0 else ""
        # merge and raw floor back to back: their ratio is taken per round, and a host that
        # slows down for a few seconds (here the naive baseline alone takes 4-50 s) then
        # shifts both, not one of them
        merged.append(in_child(S + "merge", spec, inbox, str(out_dir), prof))
        raw.append(in_child(S + "raw", inbox))
        nosync.append(in_child(S + "merge", spec, inbox, str(work / f"nosync{k}"), "", False))
        shutil.rmtree(work / f"nosync{k}", ignore_errors=True)
        naive.append(in_child(S + "naive", inbox))
        _log(f"   read round {k + 1}: merge {merged[-1]['seconds']:.2f} s (re-run {merged[-1]['rerun_seconds']:.2f} s,"
             f" no fsync {nosync[-1]['seconds']:.2f} s),"
             f" naive {naive[-1]['seconds']:.2f} s, raw {raw[-1]['seconds']:.2f} s")
        if last is not None:
            shutil.rmtree(last, ignore_errors=True)
        last = out_dir

    rep = []
    if report:
        for _ in range(runs):
            rep.append(in_child(S + "report_and_brief", spec, str(last)))
            shown = f"{rep[-1]['seconds']:.2f} s" if rep[-1]["seconds"] is not None else "FAILED"
            _log(f"   report {shown}, brief {rep[-1]['brief_seconds']:.2f} s")
    shutil.rmtree(work, ignore_errors=True)

    m0 = merged[0]
    checks = {
        "all_accepted": all(m["accepted"] == files for m in merged),
        "rerun_all_duplicates": all(m["rerun_duplicates"] == files for m in merged),
        "same_task_rows": all(x["task_rows"] == m0["task_rows"] for x in (*merged, *naive, *raw)),
        "same_indicator_rows": all(x["indicator_rows"] == m0["indicator_rows"] for x in (*merged, *naive, *raw)),
        "rejected_examples": m0["rejected"],
    }
    readers_rss = summary([m.get("reader_peak_rss_mb") for m in merged])
    steps = {
        "generate": _step(gen, files=info["units"]),
        "plain_generate": _step(plain, files=info["units"]),
        "merge": _step(merged, files=files),
        "merge_rerun": _step(merged, "rerun_seconds", files),
        "merge_no_fsync": _step(nosync, files=files),
        "naive": _step(naive, files=files),
        "raw_read": _step(raw, files=files),
    }
    steps["merge"]["reader_peak_rss_mb"] = readers_rss
    if rep:
        steps["report"] = _step(rep)
        steps["report"]["error"] = rep[0]["report_error"]
        steps["brief"] = _step(rep, "brief_seconds")
    ratios = {
        "naive_over_merge": _ratio(naive, merged),
        "merge_over_raw": _ratio(merged, raw),
        "merge_no_fsync_over_raw": _ratio(nosync, raw),
        "generate_over_plain": _ratio(gen, plain),
        "rerun_over_merge": _ratio(merged, merged, "rerun_seconds", "seconds"),
    }
    # The goals are set for province and national scale (the synthetic plans). The bundled plan's
    # 26 returns of a few KB measure start-up, not throughput: its ratios are shown, not judged.
    goals = {
        "merge_5x_faster_than_naive": ratios["naive_over_merge"]["median"] >= 5,
        "merge_within_2x_of_raw": ratios["merge_over_raw"]["median"] <= 2,
        "generate_within_1.5x_of_plain": ratios["generate_over_plain"]["median"] <= 1.5,
        "merge_peak_rss_under_300mb": steps["merge"]["peak_rss_mb"]["max"] < 300,
    } if spec[0] in ("synth", "national") else {}
    if spec[0] == "national" and rep:  # issue 17's goals for the national shape
        whole = sum(steps[k]["seconds"]["median"] or 0 for k in ("generate", "merge", "report", "brief"))
        steps["whole_quarter"] = {"seconds": {"median": round(whole, 2)}}
        goals["report_brief_peak_rss_under_500mb"] = steps["report"]["peak_rss_mb"]["max"] < 500
        if info["units"] == 1000:
            goals["whole_quarter_under_30s_at_1000"] = whole < 30
    return {"label": label, "plan": {**info, "source": spec[0]}, "files": files,
            "returns_saved_by": "LibreOffice" if resave else "openpyxl",
            "rows": {"task_rows": m0["task_rows"], "indicator_rows": m0["indicator_rows"],
                     "naive_cells": naive[0]["cells"], "raw_cells": raw[0]["cells"]},
            "runs": runs, "steps": steps, "ratios": ratios, "goals": goals, "checks": checks}


def scaling(results: list[dict]) -> dict:
    """Cost per unit at each synthetic size, and growth from the smallest to the largest."""
    synth = sorted((r for r in results if r["plan"]["source"] in ("synth", "national")), key=lambda r: r["files"])
    rows = []
    for r in synth:
        row = {"units": r["files"]}
        for step in ("generate", "merge", "naive", "raw_read", "report", "brief"):
            if step in r["steps"] and r["steps"][step]["seconds"]["median"] is not None:
                row[f"{step}_ms_per_unit"] = round(1000 * r["steps"][step]["seconds"]["median"] / r["files"], 2)
        row["merge_peak_rss_mb"] = r["steps"]["merge"]["peak_rss_mb"]["median"]
        rows.append(row)
    growth = {}
    if len(synth) >= 2:
        a, b = synth[0], synth[-1]
        n_ratio = b["files"] / a["files"]
        for step in ("generate", "merge", "naive", "raw_read"):
            growth[f"{step}_time_per_unit_ratio"] = round(
                (b["steps"][step]["seconds"]["median"] / a["steps"][step]["seconds"]["median"]) / n_ratio, 2)
        growth["merge_peak_rss_ratio"] = round(
            b["steps"]["merge"]["peak_rss_mb"]["median"] / a["steps"]["merge"]["peak_rss_mb"]["median"], 2)
        growth["units_ratio"] = n_ratio
    return {"per_size": rows, "growth": growth}
