"""The benchmark keeps working: run it at a tiny size and check the JSON's structure (never timings)."""
from __future__ import annotations

import json

from benchmarks.__main__ import main
from benchmarks.synth import synth_plan

STEPS = ("generate", "plain_generate", "merge", "merge_rerun", "naive", "raw_read", "report", "brief")
RATIOS = ("naive_over_merge", "merge_over_raw", "generate_over_plain", "rerun_over_merge")


def test_synth_plan_every_unit_co_owns_every_task():
    plan = synth_plan(7, tasks=10, indicators=30)
    assert plan.department_names() == [d.name for d in plan.departments]
    for dept in plan.department_names():
        assert len(plan.tasks_for(dept)) == 10
    assert sum(len(plan.indicators_for(d)) for d in plan.department_names()) == 30


def test_tiny_run_writes_comparable_json(tmp_path, capsys):
    assert main(["--size", "3", "--runs", "1", "--no-real", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "naive / merge" in printed and "scaling" in printed
    doc = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))
    assert {"generated_at", "args", "environment", "sizes", "scaling"} <= set(doc)
    (size,) = doc["sizes"]
    assert size["label"] == "N=3" and size["files"] == 3
    assert size["rows"]["task_rows"] == 300
    for step in STEPS:
        assert set(size["steps"][step]["seconds"]) == {"median", "min", "max", "runs"}
        assert len(size["steps"][step]["seconds"]["runs"]) == 1
    assert set(RATIOS) <= set(size["ratios"])
    assert set(size["goals"]) == {"merge_5x_faster_than_naive", "merge_within_2x_of_raw",
                                  "generate_within_1.5x_of_plain", "merge_peak_rss_under_300mb"}
    assert all(isinstance(v, bool) for v in size["goals"].values())
    from benchmarks.table import format_size
    assert "  goals: merge_5x_faster_than_naive " in format_size(size)
    # the bundled plan (26 returns of a few KB) is shown but not judged against the scale goals
    assert "  goals: not judged here (a few small files" in format_size({**size, "goals": {}})
    assert size["checks"]["all_accepted"] and size["checks"]["rerun_all_duplicates"]
    assert size["checks"]["same_task_rows"] and size["checks"]["same_indicator_rows"]
    assert doc["scaling"]["per_size"][0]["units"] == 3
    # the filled returns are cached: a second run does not refill them
    assert main(["--size", "3", "--runs", "1", "--no-real", "--no-report", "--out", str(tmp_path)]) == 0
    assert "filling" not in capsys.readouterr().out


def test_merge_with_reader_processes_equals_merge_in_process(tmp_path, monkeypatch):
    """Reading in one or two reader processes (issue 8) changes no outcome or value."""
    import shutil
    import sqlite3

    import toolkit.intake.merge as M
    import toolkit.intake.readers as R
    from toolkit.paths import store_dir
    from toolkit.quarter import parse_quarter
    from toolkit.fillin.generate import generate_sheets
    from toolkit.demo.simulate import fill_return
    from toolkit.store.db import DB_NAME

    from benchmarks.synth import answers

    plan = synth_plan(5, tasks=8, indicators=12)
    q = parse_quarter("2019Q2", plan.settings.year)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for g in generate_sheets(plan, q, tmp_path / "gen"):
        tasks, inds, contact = answers(plan, g.department, q.q)
        fill_return(g.path, tasks=tasks, indicators=inds, contact=contact, out=inbox / g.path.name)
    first = sorted(inbox.glob("*.xlsx"))[0]
    shutil.copy(first, inbox / "重复发送.xlsx")  # the same bytes twice in one run
    (inbox / "损坏.xlsx").write_bytes(b"PK\x03\x04 not a workbook")

    def run(out, parallel_min, in_process=False):
        monkeypatch.setattr(R, "PARALLEL_MIN", parallel_min)
        monkeypatch.setattr(R, "_READ", None if in_process else R._read)  # a replaced reader stays here
        result = M.merge(plan, q, out, [inbox])
        with sqlite3.connect(store_dir(plan, out) / DB_NAME) as conn:
            rows = sorted(conn.execute("SELECT task_no, department, status, percent, progress, cell FROM task_values"))
        return [(f.path, f.department, f.outcome, [p.code for p in f.problems]) for f in result.files], rows

    started = []

    class Recorded(R._Process):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            started.append(self.proc.pid)

    monkeypatch.setattr(R, "_Process", Recorded)
    in_process = run(tmp_path / "a", 10_000, in_process=True)
    assert started == []
    one_reader = run(tmp_path / "b", 10_000)
    assert len(started) == 1
    two_readers = run(tmp_path / "c", 1)
    assert len(started) == 3
    assert one_reader == in_process and two_readers == in_process
    assert [o for _, _, o, _ in in_process[0]].count("accepted") == 5


def test_tiny_run_on_returns_resaved_by_libreoffice(tmp_path, capsys, soffice_available):
    """--resave libreoffice: the same answers as LibreOffice saves them, every one still accepted."""
    assert main(["--size", "3", "--runs", "1", "--no-real", "--no-report", "--resave", "libreoffice",
                 "--out", str(tmp_path)]) == 0
    assert "re-saving the returns with LibreOffice" in capsys.readouterr().out
    (size,) = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))["sizes"]
    assert (size["label"], size["returns_saved_by"], size["files"]) == ("N=3-libreoffice", "LibreOffice", 3)
    assert size["checks"]["all_accepted"] and size["checks"]["same_task_rows"]
    assert size["rows"]["task_rows"] == 300
