"""Golden files: the demo quarter's fill-in workbook and consolidated report must not change.

The workbooks are compared by meaning (tests/golden_helpers.py says what is dumped and what
is normalised as run-dependent). After an intended change of the outputs:
`python -m tests.golden_helpers --update`, then review the diff of tests/golden/.
Only `toolkit.cli.main` is used from toolkit, so moving modules inside the package cannot
break these tests, only changing what the workbooks contain.
"""
from __future__ import annotations

import json
import shutil

import openpyxl
import pytest
from openpyxl.styles import PatternFill, Protection

from tests.golden_helpers import (FILL_IN_DEPARTMENT, GOLDEN_FILES, differences, golden_dump, read_golden,
                                  report_differences, run_demo)


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    """{"fill_in": path, "report": path} from one `plankit demo` run for the whole module."""
    return run_demo(tmp_path_factory.mktemp("golden") / "demo")


@pytest.fixture(scope="module")
def dumps(books):
    return {name: golden_dump(path) for name, path in books.items()}


@pytest.mark.parametrize("name", ["fill_in", "report"])
def test_workbook_matches_its_golden_file(dumps, name):
    stored = GOLDEN_FILES[name]
    assert stored.exists(), f"{stored} is missing: python -m tests.golden_helpers --update"
    diffs = differences(read_golden(stored), dumps[name])
    if diffs:
        pytest.fail(report_differences(f"{name} ({dumps[name]['file']})", diffs), pytrace=False)


def test_golden_files_pin_what_matters_and_only_normalise_the_run(dumps):
    fill_in, report = dumps["fill_in"], dumps["report"]
    assert fill_in["file"].startswith(FILL_IN_DEPARTMENT)
    assert fill_in["sheet_order"][-1] == "_plankit"
    assert fill_in["sheets"]["_plankit"]["state"] == "veryHidden"
    # The run's file id and time are placeholders wherever they appear; the fingerprint is kept.
    props = fill_in["custom_properties"]
    assert props["plankit.file_id"] == "<file_id>" and props["plankit.generated_at"] == "<generated_at>"
    assert len(props["plankit.fingerprint"]) == 16 and "<" not in props["plankit.fingerprint"]
    text = json.dumps(fill_in, ensure_ascii=False)
    assert text.count("<file_id>") == 4  # property, defined name, identity sheet, 填报说明 文件信息
    assert props["plankit.fingerprint"] in text.replace('"plankit.fingerprint": ', "", 1)
    # The report keeps its data-bar extension and charts, which openpyxl alone would drop.
    assert report["sheets"]["指标完成"]["extensions"]
    assert len(report["sheets"]["总览"]["drawings"]) == 2
    assert "<file_id>" not in json.dumps(report, ensure_ascii=False)
    assert all(part.get("text", "").endswith("生成于 <generated_at>")
               for sheet in report["sheets"].values()
               for key, part in sheet["print"]["header_footer"].items() if key == "oddFooter.right")


def _mutated_copy(src, tmp_path, mutate):
    """(dump of an openpyxl re-save, dump of the same re-save with `mutate` applied)."""
    plain, changed = tmp_path / "plain" / src.name, tmp_path / "changed" / src.name  # same file name
    plain.parent.mkdir()
    changed.parent.mkdir()
    shutil.copy(src, tmp_path / src.name)
    wb = openpyxl.load_workbook(tmp_path / src.name)
    wb.save(plain)
    mutate(wb)
    wb.save(changed)
    return golden_dump(plain), golden_dump(changed)


def _red_input_cell(wb):
    wb["进展填报"]["G5"].fill = PatternFill("solid", fgColor="FFFF0000")


def _unlock_plan_text(wb):
    wb["进展填报"]["C5"].protection = Protection(locked=False)


@pytest.mark.parametrize("mutate, expected", [
    (_red_input_cell, ["sheets/进展填报/cells/G5/style/fill/fg: expected \"FFFFF2CC\", got \"FFFF0000\""]),
    (_unlock_plan_text, ["sheets/进展填报/cells/C5/style/locked: expected true, got false"]),
])
def test_the_comparison_reports_a_meaningful_change(books, dumps, tmp_path, mutate, expected):
    before, after = _mutated_copy(books["fill_in"], tmp_path, mutate)
    assert differences(before, after) == expected
    # Against the golden file too, among whatever an openpyxl re-save itself changes.
    assert set(expected) <= set(differences(read_golden(GOLDEN_FILES["fill_in"]), after))
    message = report_differences("fill_in", differences(before, after))
    assert expected[0] in message and "1 difference(s)" in message


def test_the_failure_message_lists_only_the_first_differences(dumps):
    changed = json.loads(json.dumps(dumps["report"]))
    cells = changed["sheets"]["任务进展"]["cells"]
    for cell in list(cells.values())[:30]:
        cell["value"] = "改动"
    diffs = differences(dumps["report"], changed)
    message = report_differences("report", diffs)
    assert len(diffs) >= 30 and f"… and {len(diffs) - 20} more" in message
    assert len(message.splitlines()) == 1 + 20 + 1 + 1
