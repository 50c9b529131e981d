"""The printed table (for engineers: English with the Chinese command names) and the JSON file."""
from __future__ import annotations

import json
import os
import platform
import sys
from datetime import datetime
from pathlib import Path

LABELS = (
    ("generate", "generate  plankit sheets"),
    ("plain_generate", "  plain xlsxwriter (floor)"),
    ("merge", "merge     plankit merge"),
    ("merge_rerun", "  merge re-run (idempotent)"),
    ("merge_no_fsync", "  merge without fsync (diag.)"),
    ("naive", "  naive openpyxl+pandas"),
    ("raw_read", "  raw calamine read (floor)"),
    ("report", "report    plankit report"),
    ("brief", "brief     plankit brief"),
    ("whole_quarter", "whole quarter (sheets+merge+report+brief)"),
)
GOALS = {"naive_over_merge": ("naive / merge", "≥ 5×"), "merge_over_raw": ("merge / raw floor", "≤ 2×"),
         "merge_no_fsync_over_raw": ("no-fsync merge / raw", ""),
         "generate_over_plain": ("generate / plain", "≤ 1.5×"), "rerun_over_merge": ("re-run / merge", "")}


def _range(s: dict, fmt: str = "{:.2f}") -> str:
    if s.get("median") is None:
        return "-"
    return f"{fmt.format(s['min'])}–{fmt.format(s['max'])}"


def format_size(r: dict) -> str:
    p = r["plan"]
    lines = [f"{r['label']}: {p['units']} units × {p['tasks']} tasks, {p['indicators']} indicators; "
             f"{r['files']} returns, {r['rows']['task_rows']:,} task rows, {r['rows']['indicator_rows']:,} "
             f"indicator rows; {r['runs']} runs",
             f"  {'step':30} {'median s':>9} {'min–max s':>13} {'files/s':>8} {'peak RSS MB':>12}"]
    for key, label in LABELS:
        st = r["steps"].get(key)
        if not st:
            continue
        sec, rss = st["seconds"], st.get("peak_rss_mb", {})
        if sec.get("median") is None:
            lines.append(f"  {label:30} FAILED: {st.get('error', '')[:90]}")
            continue
        peak = "" if key == "merge_rerun" else f"{rss['median']:.0f}" if rss.get("median") else ""
        if key == "merge" and (st.get("reader_peak_rss_mb") or {}).get("median"):
            peak += f" +{st['reader_peak_rss_mb']['median']:.0f}/reader"
        lines.append(f"  {label:30} {sec['median']:9.2f} {_range(sec) if 'min' in sec else '':>13} "
                     f"{st.get('files_per_s', ''):>8} {peak:>12}")
    ratio_bits = []
    for key, (name, goal) in GOALS.items():
        s = r["ratios"][key]
        if s.get("median") is not None:
            ratio_bits.append(f"{name} {s['median']:.2f}× ({_range(s)}){' goal ' + goal if goal else ''}")
    lines.append("  ratios (same round): " + "; ".join(ratio_bits))
    goals = ", ".join(f"{k} {'✓' if v else '✗'}" for k, v in r["goals"].items())
    unjudged = "not judged here (a few small files: the ratios measure start-up, not throughput)"
    lines.append(f"  goals: {goals or unjudged}")
    bad = [k for k, v in r["checks"].items() if v is False]
    lines.append("  checks: " + ("all rows read by every reader, all returns accepted" if not bad
                                 else "FAILED " + ", ".join(bad) + f" {r['checks'].get('rejected_examples')}"))
    return "\n".join(lines)


def format_scaling(sc: dict) -> str:
    if not sc["per_size"]:
        return ""
    cols = [k for k in sc["per_size"][-1] if k != "units"]
    lines = ["scaling (ms per unit; merge peak RSS MB):",
             "  " + f"{'units':>6} " + " ".join(f"{c.replace('_ms_per_unit', ''):>17}" for c in cols)]
    for row in sc["per_size"]:
        lines.append("  " + f"{row['units']:>6} " + " ".join(f"{row.get(c, ''):>17}" for c in cols))
    if sc["growth"]:
        lines.append("  growth smallest→largest (1.0 = linear time / flat memory): "
                     + ", ".join(f"{k} {v}" for k, v in sc["growth"].items()))
    return "\n".join(lines)


def environment() -> dict:
    from importlib.metadata import PackageNotFoundError, version
    versions = {}
    for pkg in ("python-calamine", "openpyxl", "xlsxwriter", "pandas", "docxtpl"):
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            versions[pkg] = None
    return {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count(),
            "packages": versions}


def write_json(root: Path, results: list[dict], sc: dict, args: dict) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    doc = {"generated_at": datetime.now().isoformat(timespec="seconds"), "args": args,
           "environment": environment(), "sizes": results, "scaling": sc}
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"results-{stamp}.json"
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    path.write_text(text, encoding="utf-8")
    (root / "latest.json").write_text(text, encoding="utf-8")
    return path
