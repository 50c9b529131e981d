"""Issue 22 item 3: `merge --undo RUN`, a path that does not exist, a folder of another quarter."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.merge_helpers import LATE, ON_TIME, fake_return, use_fake_reader, write
from tests.store_helpers import archived
from toolkit.cli import main
from toolkit.errors import PlankitError, UsageError
from toolkit.intake.merge import merge, undo
from toolkit.intake.rebuild import rebuild
from toolkit.quarter import Quarter
from toolkit.store.db import load_quarter
from toolkit.store.location import resolve

Q2 = Quarter(2019, 2)


@pytest.fixture(autouse=True)
def fake_reader(monkeypatch):
    use_fake_reader(monkeypatch)


def test_undo_withdraws_one_run_and_the_quarter_is_recomputed(tmp_path, plan, each_store):
    out = tmp_path / "out"
    write(tmp_path / "a" / "jy.xlsx", fake_return("市教育局", percent=40), ON_TIME)
    write(tmp_path / "a" / "cz.xlsx", fake_return("市财政局"), ON_TIME)
    first = merge(plan, Q2, out, [tmp_path / "a"])
    write(tmp_path / "b" / "jy2.xlsx", fake_return("市教育局", percent=90), LATE)
    write(tmp_path / "b" / "mz.xlsx", fake_return("市民政局"), LATE)
    second = merge(plan, Q2, out, [tmp_path / "b"])
    assert first.run and second.run and first.run != second.run
    files = archived(out, plan)
    done = undo(plan, out, second.run)
    assert done["departments"] == ["市教育局", "市民政局"] and sorted(done["files"]) == ["jy2.xlsx", "mz.xlsx"]
    qr = load_quarter(plan, Q2, out)
    assert set(qr.returns) == {"市教育局", "市财政局"}
    assert qr.returns["市教育局"].filename == "jy.xlsx" and qr.returns["市教育局"].tasks[0].percent == 40
    assert archived(out, plan) == files and len(files) == 4  # files kept
    with pytest.raises(PlankitError, match=f"找不到合并编号 {second.run} 的记录"):
        undo(plan, out, second.run)
    rebuild(plan, out)  # the journal's undo holds after a rebuild
    assert set(load_quarter(plan, Q2, out).returns) == {"市教育局", "市财政局"}
    again = merge(plan, Q2, out, [tmp_path / "b"])  # and the withdrawn files can be merged again
    assert {f.outcome for f in again.files} == {"accepted"}
    rebuild(plan, out)
    assert set(load_quarter(plan, Q2, out).returns) == {"市教育局", "市财政局", "市民政局"}


def test_a_path_that_does_not_exist_is_exit_2_and_nothing_is_recorded(tmp_path, plan, plan_path, each_store):
    with pytest.raises(UsageError, match="找不到文件或文件夹"):
        merge(plan, Q2, tmp_path / "out", [tmp_path / "收件薌"])
    assert not resolve(plan, tmp_path / "out").exists()
    r = CliRunner().invoke(main, ["merge", "--plan", str(plan_path), "--out", str(tmp_path / "out"), "-q", "2019Q2",
                                  str(tmp_path / "收件薌")])
    assert r.exit_code == 2 and f"找不到文件或文件夹：{tmp_path / '收件薌'}。没有合并任何文件。" in r.output


def test_a_folder_with_another_quarters_files_warns_and_says_how_to_undo(tmp_path, plan, plan_path, each_store):
    inbox = tmp_path / "收件箱"
    write(inbox / "2019Q1" / "jy.xlsx", fake_return("市教育局", quarter="2019Q1"), ON_TIME)
    write(inbox / "2019Q2" / "jy.xlsx", fake_return("市教育局"), ON_TIME)
    r = CliRunner().invoke(main, ["merge", "--plan", str(plan_path), "--out", str(tmp_path / "out"), "-q", "2019Q2",
                                  str(inbox)])
    assert r.exit_code == 1
    run = next(line for line in r.output.splitlines() if line.startswith("本次合并编号：")).split("：")[1][:15]
    assert f"注意：有 1 个文件是其他季度（2019Q1）的填报表，已拒收。如果是合并错了文件夹，可用 plankit merge --undo {run}" in r.output
    status = CliRunner().invoke(main, ["status", "--plan", str(plan_path), "--out", str(tmp_path / "out"),
                                       "-q", "2019Q2"])
    assert f"  编号 {run}" in status.output
    r = CliRunner().invoke(main, ["merge", "--plan", str(plan_path), "--out", str(tmp_path / "out"),
                                  "--undo", run, "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["departments"] == ["市教育局"]
    assert load_quarter(plan, Q2, tmp_path / "out") is None  # nothing merged is left
    r = CliRunner().invoke(main, ["merge", "--plan", str(plan_path), "--out", str(tmp_path / "out"), "--undo", "昨天"])
    assert r.exit_code != 0 and "“昨天”不是合并编号" in r.output
