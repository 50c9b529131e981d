"""Issue 22 item 8: a Word document (or anything not a usable return) sent instead of the
workbook is attributed to its sender and the department is told (receipt, status, remind)."""
from __future__ import annotations

import openpyxl
import pytest

from tests.merge_helpers import ON_TIME, fake_return, make_email, use_fake_reader, write
from toolkit.intake.attribute import attribute
from toolkit.intake.merge import merge
from toolkit.intake.rebuild import rebuild
from toolkit.mail.outgoing import remind_targets
from toolkit.quarter import Quarter
from toolkit.store.db import load_quarter
from toolkit.intake.receipt import HEADER_ROW

Q2 = Quarter(2019, 2)
DOCX = b"PK\x03\x04 a Word document"


@pytest.fixture(autouse=True)
def fake_reader(monkeypatch):
    use_fake_reader(monkeypatch)


def test_attribution_by_address_display_name_or_file_name(plan):
    email = plan.department("市教育局").email
    assert attribute(plan, f"张三 <{email}>", "x.docx") == ("市教育局", "发件人邮箱")
    assert attribute(plan, "市财政局办公室 <nobody@example.cn>", "x.docx") == ("市财政局", "发件人")
    assert attribute(plan, "", "市民政局二季度情况.docx") == ("市民政局", "文件名")
    assert attribute(plan, "someone@example.cn", "情况说明.docx") == ("", "")


def test_word_document_instead_of_the_workbook_is_told_to_the_department(tmp_path, plan):
    inbox = tmp_path / "in"
    write(inbox / "民政.eml", bytes(make_email([("二季度进展.docx", DOCX + b"1")], sender="市民政局 <mz@example.cn>")))
    write(inbox / "市水利局进展情况.doc", DOCX + b"2", ON_TIME)  # a loose file named after its department
    write(inbox / "说明.docx", DOCX + b"3", ON_TIME)  # nobody can be named: skipped as before
    # a covering letter beside the workbook in the same email is not a wrong file
    write(inbox / "教育.eml", bytes(make_email([("函.docx", DOCX + b"4"), ("市教育局.xlsx", fake_return("市教育局"))])))
    out = tmp_path / "out"
    result = merge(plan, Q2, out, [inbox])
    got = {f.path: (f.department, f.outcome) for f in result.files}
    assert got == {"二季度进展.docx": ("市民政局", "rejected"), "市水利局进展情况.doc": ("市水利局", "rejected"),
                   "说明.docx": ("", "skipped"), "函.docx": ("", "skipped"), "市教育局.xlsx": ("市教育局", "accepted")}
    message = next(f for f in result.files if f.path == "二季度进展.docx").problems[0].message
    assert message == "发来的“二季度进展.docx”是Word文档，不是填报表，不算报送。请在下发的Excel填报表中填写，把填报表本身作为附件发送。"
    targets = remind_targets(plan, Q2, out)
    assert targets["市民政局"]["rejected"] and any("Word文档" in p for p in targets["市民政局"]["problems"])
    assert "市民政局" in result.missing
    rows = [r for r in openpyxl.load_workbook(result.report_path)["收件回执"].iter_rows(min_row=HEADER_ROW + 1, values_only=True)]
    assert ("二季度进展.docx", "市民政局", "拒收") in {(r[2], r[4], r[5]) for r in rows}
    before = [(r.department, r.filename, r.reasons) for r in load_quarter(plan, Q2, out).rejections]
    rebuild(plan, out)  # attributed the same way from the archive alone
    assert [(r.department, r.filename, r.reasons) for r in load_quarter(plan, Q2, out).rejections] == before


def test_unreadable_workbook_from_a_known_sender_is_attributed(tmp_path, plan):
    mail = make_email([("进展.xlsx", fake_return("x", fail="文件已损坏"))], sender="市卫健委 <wj@example.cn>")
    result = merge(plan, Q2, tmp_path / "out", [write(tmp_path / "wj.eml", bytes(mail))])
    assert [(f.department, f.outcome) for f in result.files] == [("市卫健委", "rejected")]
    assert remind_targets(plan, Q2, tmp_path / "out")["市卫健委"]["rejected"]


def test_another_units_form_sent_by_a_known_unit_is_merged_with_a_warning(tmp_path, plan):
    mail = make_email([("表.xlsx", fake_return("市财政局"))], sender="市教育局 <someone@example.cn>")
    result = merge(plan, Q2, tmp_path / "out", [write(tmp_path / "jy.eml", bytes(mail))])
    f = result.files[0]
    assert (f.department, f.outcome) == ("市财政局", "accepted")
    assert [p.message for p in f.problems] == [
        "这是市财政局的填报表，但发件人是市教育局（市教育局 <someone@example.cn>）。如果是代报请忽略；"
        "如果市教育局发错了文件，请提醒其发送本单位的填报表。"]


def test_a_mailbox_shared_by_two_units_names_nobody(plan):
    from dataclasses import replace
    shared = plan.department("市教育局").email
    depts = [replace(d, email=shared) if d.name == "市财政局" else d for d in plan.departments]
    twin = replace(plan, departments=depts)
    assert attribute(twin, f"<{shared}>", "x.docx") == ("", "")
