"""Errors as data: every problem code and error code is registered, documented in the user
guide's appendix 附录：问题代码, and carried through to `merge --json`, the merge report and
the CLI's `--json` error output."""
from __future__ import annotations

import importlib
import json
import pickle
import pkgutil
import re
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import toolkit
from tests import returnfile_helpers as H
from toolkit import errors
from toolkit.cli import main
from toolkit.errors import ERROR_CODES, PlankitError
from toolkit.intake.returnfile import MAX_PART_BYTES
from toolkit.problems import CODES
from toolkit.intake.receipt import HEADER_ROW

GUIDE = Path(__file__).parent.parent / "docs" / "用户手册.md"


def all_modules() -> None:
    """Import every module, so every code is registered (modules register theirs on import)."""
    for info in pkgutil.walk_packages(toolkit.__path__, "toolkit."):
        if info.name != "toolkit.__main__":
            importlib.import_module(info.name)


def documented() -> dict[str, str]:
    """Code -> its table row in the appendix 附录：问题代码."""
    text = GUIDE.read_text(encoding="utf-8")
    assert "## 附录：问题代码" in text
    appendix = text.split("## 附录：问题代码", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z0-9-]+)` \|(.*)\|$", appendix, re.M)
    return {code: row for code, row in rows}


def test_every_code_is_documented_with_meaning_and_what_to_do():
    all_modules()
    rows = documented()
    missing = sorted((set(CODES) | set(ERROR_CODES)) - set(rows))
    assert not missing, f"not in docs/用户手册.md 附录：问题代码: {missing}"
    for code, row in rows.items():
        cells = [c.strip() for c in row.split("|")]
        assert all(cells) and all(re.search(r"[\u4e00-\u9fff]", c) for c in cells[-2:]), (code, row)
    assert not set(CODES) & set(ERROR_CODES), "a code is both a problem code and an error code"


def test_documented_codes_all_exist():
    all_modules()
    stale = sorted(set(documented()) - set(CODES) - set(ERROR_CODES))
    assert not stale, f"documented but no longer registered: {stale}"


def test_every_error_class_has_a_registered_code():
    all_modules()

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)
    classes = [PlankitError, *subclasses(PlankitError)]
    assert len(classes) >= 9
    for cls in classes:
        assert cls.code in ERROR_CODES, cls
    for name, meaning_action in ERROR_CODES.items():
        assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)*", name)
        assert all(re.search(r"[\u4e00-\u9fff]", s) for s in meaning_action)


def test_error_code_survives_a_process_pipe():
    exc = errors.InputFileError("a.xlsx：文件设置了打开密码。", hint="请取消密码。", code=errors.FILE_ENCRYPTED)
    back = pickle.loads(pickle.dumps(exc))
    assert (type(back), back.code, back.message, back.hint) == (errors.InputFileError, "file-encrypted",
                                                                exc.message, exc.hint)
    assert errors.UsageError("x").code == "usage-invalid"


def test_registering_a_code_twice_with_other_text_fails():
    with pytest.raises(ValueError):
        errors.error_code("file-encrypted", "别的含义。", "别的做法。")


# -- three file faults, three codes -----------------------------------------------------

@pytest.fixture
def faulty(tmp_path, plan) -> Path:
    """An inbox with a zip bomb, a password-protected file and a truncated download."""
    good = H.filled(tmp_path, plan)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    H.padded_sheet(good, inbox / "bomb.xlsx", MAX_PART_BYTES // (1024 * 1024) + 8)
    H.encrypt(good, inbox / "secret.xlsx", "secret")
    (inbox / "cut.xlsx").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    return inbox


EXPECTED = {"bomb.xlsx": "file-zip-bomb", "secret.xlsx": "file-encrypted", "cut.xlsx": "file-truncated"}


def test_merge_json_gives_three_faults_three_codes(tmp_path, plan_path, faulty):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["merge", "--plan", str(plan_path), "--out", str(out), "-q", "2019Q2",
                                       "--json", str(faulty)])
    assert result.exit_code == 1, result.output
    files = json.loads(result.stdout)["files"]
    codes = {f["path"]: [p["code"] for p in f["problems"]] for f in files}
    assert codes == {name: [code] for name, code in EXPECTED.items()}
    assert {f["outcome"] for f in files} == {"rejected"}
    # the merge report's 问题清单 has the same codes in its 代码 column
    report = next(out.rglob("*汇总收件报告.xlsx"))
    ws = openpyxl.load_workbook(report)["问题清单"]
    header = [c.value for c in ws[HEADER_ROW]]
    code_col = next(i for i, h in enumerate(header) if h and "代码" in h)
    rows = {r[header.index("文件")]: r[code_col] for r in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True)}
    assert rows == EXPECTED


def test_cli_json_error_has_its_code(tmp_path, plan_path):
    runner = CliRunner()
    result = runner.invoke(main, ["merge", "--plan", str(plan_path), "--out", str(tmp_path), "-q", "2019Q9",
                                  "--json", str(tmp_path)])
    assert result.exit_code == 2
    assert json.loads(result.stdout) == {"error": {
        "code": "usage-bad-quarter", "exit_code": 2,
        "message": "季度“2019Q9”超出范围：季度只能是1到4。"}}
    assert result.stderr == "错误：季度“2019Q9”超出范围：季度只能是1到4。\n"
    locked = tmp_path / "secret.xlsx"
    locked.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    result = runner.invoke(main, ["plan", "check", str(locked), "--json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "plan-unreadable"
    result = runner.invoke(main, ["plan", "check", str(tmp_path / "nope.xlsx"), "--json"])
    assert json.loads(result.stdout)["error"] == {"code": "usage-no-plan", "exit_code": 2,
                                                   "message": f"找不到计划主表：{tmp_path / 'nope.xlsx'}"}


def test_containers_that_cannot_be_opened_have_their_own_codes(tmp_path, plan_path):
    import zipfile
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "broken.zip").write_bytes(b"PK\x03\x04" + b"\0" * 100)
    with zipfile.ZipFile(inbox / "many.zip", "w") as zf:
        for n in range(2001):
            zf.writestr(f"f{n}.txt", "")
    (inbox / "odd.zip").write_bytes(b"not a zip at all")
    result = CliRunner().invoke(main, ["merge", "--plan", str(plan_path), "--out", str(tmp_path / "out"),
                                       "-q", "2019Q2", "--json", str(inbox)])
    assert result.exit_code == 1, result.output
    codes = {f["path"]: [p["code"] for p in f["problems"]] for f in json.loads(result.stdout)["files"]}
    assert codes == {"broken.zip": ["file-damaged"], "many.zip": ["file-unsafe"], "odd.zip": ["file-damaged"]}
    # a path that does not exist is a usage error: nothing is merged or recorded (exit 2), with its own code
    result = CliRunner().invoke(main, ["merge", "--plan", str(plan_path), "--out", str(tmp_path / "out"),
                                       "-q", "2019Q2", "--json", str(inbox), str(tmp_path / "gone.xlsx")])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "file-not-found"
