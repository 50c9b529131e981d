"""`python -m benchmarks --stores N`: the shared store (issue 21) against today's SQLite store.

In each round, on the same N returns (the synthetic plan of N units, filled once and cached):
  sqlite       one merge of all N into a fresh SQLite store under --out
  postgresql   one merge of all N into a fresh database on a PostgreSQL server started here
               (initdb + pg_ctl on a temporary folder, as tests/pg_helpers.py does)
  four         4 merges at once, from 4 processes, each a quarter of the files, into another fresh
               database: wall time from their common start (each has loaded the plan) to the last finish
Goals: postgresql within 1.5x of sqlite; four no later than one merge of all (postgresql).
"""
from __future__ import annotations

import multiprocessing as mp
import shutil
import time
from pathlib import Path

from . import cache
from .measure import ChildError, _trampoline, in_child, summary
from .steps import load

S = "benchmarks.steps."


def _log(msg: str) -> None:
    print(msg, flush=True)


def _together(target: str, arglists: list[tuple]) -> tuple[float, list[dict]]:
    """Run target(*args) for each args in its own spawned process, all at once: (wall seconds, results)."""
    ctx = mp.get_context("spawn")
    started, procs = time.perf_counter(), []
    for args in arglists:
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_trampoline, args=(send, target, args, {}))
        proc.start()
        send.close()
        procs.append((proc, receive))
    results = []
    for proc, receive in procs:
        status, payload = receive.recv()
        proc.join()
        if status != "ok":
            raise ChildError(f"{target} failed:\n{payload}")
        results.append(payload)
    return time.perf_counter() - started, results


def bench_stores(n: int, root: Path, *, runs: int = 1) -> dict:
    from tests.pg_helpers import PgServer, bindir
    spec = ("synth", n)
    plan, _ = load(spec)
    work = Path(root) / "work" / f"stores-{n}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    folder = cache.cache_dir(root, f"N={n}", plan)
    if not cache.is_complete(folder):
        _log(f"   filling {n} returns with openpyxl (setup, cached in {folder})")
        generated = in_child(S + "generate", spec, str(work / "gen"))
        cache.fill_all(spec, Path(generated["folder"]), folder, progress=lambda k, t: _log(f"     filled {k}/{t}"))
    inbox = cache.inbox(folder)
    files = sorted(inbox.glob("*.xlsx"))
    parts = [work / f"part{i}" for i in range(4)]
    for i, part in enumerate(parts):
        part.mkdir()
        for path in files[i::4]:
            shutil.copy2(path, part / path.name)
    found = bindir()
    if found is None:
        raise SystemExit("PostgreSQL (initdb, pg_ctl) is not installed here: apt-get install postgresql")
    server = PgServer(found).start()
    rounds = []
    try:
        for k in range(runs):
            sq = in_child(S + "store_merge", spec, str(inbox), str(work / f"sqlite{k}"), "")
            url = server.create_database()
            before = server.cpu_seconds()
            pg = in_child(S + "store_merge", spec, str(inbox), str(work / f"pg{k}"), url)
            pg_server_cpu = server.cpu_seconds() - before
            url = server.create_database()
            before = server.cpu_seconds()
            start_at = time.time() + 8  # each child has loaded the plan by then; all begin together
            _, four = _together(S + "store_merge", [(spec, str(part), str(work / f"four{k}-{i}"), url, start_at)
                                                    for i, part in enumerate(parts)])
            wall = max(f["ended_at"] for f in four) - start_at
            four_server_cpu = server.cpu_seconds() - before
            size = server.database_size(url)
            rounds.append({"sqlite": sq["seconds"], "postgresql": pg["seconds"], "four_wall": wall,
                           "cpu": {"sqlite": sq["cpu_seconds"], "postgresql": pg["cpu_seconds"],
                                   "four": round(sum(f["cpu_seconds"] for f in four), 2),
                                   "postgresql_server": round(pg_server_cpu, 2),
                                   "four_server": round(four_server_cpu, 2)},
                           "four_each": [f["seconds"] for f in four], "accepted": (sq["accepted"], pg["accepted"],
                                                                                 sum(f["accepted"] for f in four)),
                           "sqlite_bytes": sq["bytes"], "postgresql_bytes": size})
            each = ", ".join(f"{f['seconds']:.2f}" for f in four)
            _log(f"   round {k + 1}: sqlite {sq['seconds']:.2f} s, postgresql {pg['seconds']:.2f} s, "
                 f"4 at once {wall:.2f} s (each {each})")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    sq_s = summary([r["sqlite"] for r in rounds])
    pg_s = summary([r["postgresql"] for r in rounds])
    four_s = summary([r["four_wall"] for r in rounds])
    pg_over_sq = summary([r["postgresql"] / r["sqlite"] for r in rounds])
    four_over_one = summary([r["four_wall"] / r["postgresql"] for r in rounds])
    return {"n": n, "files": len(files), "rounds": rounds, "sqlite": sq_s, "postgresql": pg_s, "four_at_once": four_s,
            "ratios": {"postgresql_over_sqlite": pg_over_sq, "four_over_one": four_over_one,
                       "four_over_one_cpu": summary([_all_cpu(r, "four") / _all_cpu(r, "postgresql") for r in rounds])},
            "goals": {"postgresql_within_1.5x_of_sqlite": pg_over_sq["median"] <= 1.5,
                      "four_no_later_than_one": four_over_one["median"] <= 1.0}}


def _all_cpu(round_: dict, key: str) -> float:
    return round_["cpu"][key] + round_["cpu"][f"{key}_server"]


def format_stores(r: dict) -> str:
    last = r["rounds"][-1]

    def cpu(key: str) -> str:  # median over the rounds: CPU varies less than wall time on a busy host
        return f"{summary([x['cpu'][key] for x in r['rounds']])['median']:.1f} s"
    lines = [f"stores, N={r['n']} ({r['files']} returns), median of {len(r['rounds'])} round(s):",
             f"  merge into SQLite       {r['sqlite']['median']:.2f} s  ({last['sqlite_bytes'] / 2**20:.1f} MB: "
             "database + archive folder)",
             f"  merge into PostgreSQL   {r['postgresql']['median']:.2f} s  ({last['postgresql_bytes'] / 2**20:.1f} MB: "
             "database, files included)",
             f"  4 merges at once (PG)   {r['four_at_once']['median']:.2f} s wall",
             f"  CPU (client + readers)  SQLite {cpu('sqlite')}, PostgreSQL {cpu('postgresql')} "
             f"(+ server {cpu('postgresql_server')}), 4 at once {cpu('four')} (+ server {cpu('four_server')})",
             f"  PostgreSQL / SQLite     {r['ratios']['postgresql_over_sqlite']['median']:.2f}x  (goal <= 1.5x)",
             f"  4 at once / one of all  {r['ratios']['four_over_one']['median']:.2f}x  (goal <= 1.0x)",
             f"  CPU, 4 at once / one    {r['ratios']['four_over_one_cpu']['median']:.2f}x"
             "  (client + readers + server: what bounds the wall ratio where the cores are all busy)",
             "  goals: " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in r["goals"].items())]
    return "\n".join(lines)
