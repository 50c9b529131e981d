"""`python -m benchmarks [--size N ...] [--shape national] [--runs R] [--no-real] [--resave libreoffice] [--out DIR]
[--profile]`."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .run import bench_size, scaling
from .steps import REAL_PLAN
from .table import format_scaling, format_size, write_json

DEFAULT_SIZES = (100, 300)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    ap.add_argument("--size", type=int, action="append", metavar="N",
                    help="units in the synthetic plan (100 tasks, 300 indicators); repeatable; "
                         f"default {' and '.join(map(str, DEFAULT_SIZES))}")
    ap.add_argument("--shape", choices=["province", "national"], default="province",
                    help="province: each indicator answered by one unit; national: all 300 indicators broken "
                         "down over every unit (分解), so each return has 300 indicator rows of its own")
    ap.add_argument("--runs", type=int, default=3, help="runs (rounds) per measurement (default 3)")
    ap.add_argument("--no-real", action="store_true", help="skip the bundled 50-task plan")
    ap.add_argument("--no-report", action="store_true", help="skip report and brief rendering")
    ap.add_argument("--out", type=Path, default=Path("out/benchmarks"), help="results, cache and scratch folder")
    ap.add_argument("--refill", action="store_true", help="refill the cached returns even when present")
    ap.add_argument("--resave", choices=["libreoffice"],
                    help="read returns as LibreOffice saves them (shared strings), not as openpyxl filled them")
    ap.add_argument("--profile", action="store_true",
                    help="cProfile the first merge of each size into <out>/profile-<label>.prof")
    ap.add_argument("--stores", type=int, metavar="N", default=None,
                    help="only compare the stores: N returns merged into SQLite and into PostgreSQL (a server "
                         "started here), and 4 merges at once against one (issue 21)")
    args = ap.parse_args(argv)
    if args.stores:
        from .stores import bench_stores, format_stores
        figures = bench_stores(args.stores, args.out, runs=args.runs)
        print()
        print(format_stores(figures))
        args.out.mkdir(parents=True, exist_ok=True)
        import json
        (args.out / "stores.json").write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
        return 0
    sizes = args.size or list(DEFAULT_SIZES)
    suffix = "-libreoffice" if args.resave else ""
    kind, prefix = ("national", "national-N=") if args.shape == "national" else ("synth", "N=")
    plans = [(f"{prefix}{n}{suffix}", (kind, n)) for n in sizes]
    if not args.no_real:
        plans.append((f"real-50{suffix}", ("real", str(REAL_PLAN))))
    started = time.perf_counter()
    results = []
    for label, spec in plans:
        results.append(bench_size(label, spec, args.out, runs=args.runs, refill=args.refill,
                                  profile=args.profile, report=not args.no_report, resave=bool(args.resave)))
    sc = scaling(results)
    print()
    for r in results:
        print(format_size(r))
        print()
    print(format_scaling(sc))
    path = write_json(args.out, results, sc, {**{k: v for k, v in vars(args).items() if k != "out"},
                                              "out": str(args.out), "sizes": sizes})
    print(f"\nfigures: {path}  ({time.perf_counter() - started:.0f} s in all)")
    if args.profile:
        import pstats
        for label, _ in plans:
            prof = args.out / f"profile-{label}.prof"
            if prof.exists():
                print(f"\n--- profile of the first merge, {label} (top 20 by cumulative time)")
                pstats.Stats(str(prof)).sort_stats("cumulative").print_stats(20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
