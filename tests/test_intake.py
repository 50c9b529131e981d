"""Intake: folders, zips and saved emails become items; hostile names stay metadata."""
from __future__ import annotations

import io
import mailbox
import zipfile
from datetime import datetime
from types import SimpleNamespace

import pytest

from tests.merge_helpers import LATE, ON_TIME, make_email, make_msg, make_tnef, raw_email, write
from toolkit.intake import emails
from toolkit.intake.collect import collect, sanitise

DATA = b"PK\x03\x04 pretend workbook"


def names(items):
    return [(i.name, i.skipped or i.error or "ok") for i in items]


@pytest.mark.parametrize("raw, expected", [
    ("../../../etc/cron.d/x.xlsx", "x.xlsx"),
    ("C:\\Users\\张三\\填报.xlsx", "填报.xlsx"),
    ("ｆｕｌｌ\x00\x0bwidth.xlsx", "fullwidth.xlsx"),
    ("..", "附件"),
    (None, "附件"),
])
def test_sanitise_keeps_only_a_safe_last_component(raw, expected):
    assert sanitise(raw) == expected


def test_folder_is_walked_recursively_and_lock_files_and_other_files_are_skipped(tmp_path):
    write(tmp_path / "in" / "a.xlsx", DATA)
    write(tmp_path / "in" / "sub" / "B.XLS", DATA)
    write(tmp_path / "in" / "~$a.xlsx", DATA)
    write(tmp_path / "in" / "说明.docx", DATA)
    items = collect([tmp_path / "in"])
    assert names(items) == [
        ("a.xlsx", "ok"), ("B.XLS", "ok"),
        ("~$a.xlsx", "Excel/WPS临时锁文件，已跳过"),
        ("说明.docx", "不是表格文件（只接收 .xlsx .xlsm .xls .ods 及其压缩包、邮件），已跳过"),
    ]


def test_loose_file_keeps_its_modification_time(tmp_path):
    path = write(tmp_path / "a.xlsx", DATA, mtime=LATE)
    [item] = collect([path])
    assert item.received_at == LATE and item.sender == "" and item.path == path


def test_missing_input_is_an_error_item(tmp_path):
    [item] = collect([tmp_path / "nope.xlsx"])
    assert item.error == f"找不到文件或文件夹：{tmp_path / 'nope.xlsx'}"


def test_excluded_folder_is_not_walked(tmp_path):
    write(tmp_path / "a.xlsx", DATA)
    write(tmp_path / "out" / "x.xlsx", DATA)
    assert [i.name for i in collect([tmp_path], exclude=[tmp_path / "out"])] == ["a.xlsx"]


def test_email_attachments_traversal_and_same_names(tmp_path):
    msg = make_email([("市教育局_填报表.xlsx", b"one"), ("../../evil.xlsx", b"two"),
                      ("市教育局_填报表.xlsx", b"three"), ("照片.jpg", b"img")])
    path = write(tmp_path / "mail.eml", bytes(msg))
    items = collect([path])
    assert names(items) == [("市教育局_填报表.xlsx", "ok"), ("evil.xlsx", "ok"), ("市教育局_填报表.xlsx", "ok"),
                            ("照片.jpg", "不是表格文件（只接收 .xlsx .xlsm .xls .ods 及其压缩包、邮件），已跳过")]
    assert [i.data for i in items[:3]] == [b"one", b"two", b"three"]
    assert items[0].sender == "市教育局 <jyj@example.cn>"
    assert items[0].received_at == ON_TIME
    assert items[0].origin == f"{path} › 市教育局_填报表.xlsx"


def test_rfc2231_gbk_name_decodes(tmp_path):
    from urllib.parse import quote
    header = b"Content-Disposition: attachment; filename*=gbk''" + quote("市教育局_填报表.xlsx".encode("gbk")).encode()
    [item] = collect([write(tmp_path / "2231.eml", raw_email(header, b"x"))])
    assert (item.name, item.data) == ("市教育局_填报表.xlsx", b"x")


def test_rfc2047_inside_quotes_decodes(tmp_path):
    header = b'Content-Disposition: attachment; filename="=?GBK?B?' + \
        __import__("base64").b64encode("填报表.xlsx".encode("gbk")) + b'?="'
    [item] = collect([write(tmp_path / "qq.eml", raw_email(header, b"x"))])
    assert (item.name, item.data) == ("填报表.xlsx", b"x")


def test_raw_8bit_gbk_name_is_recovered(tmp_path):
    header = b'Content-Disposition: attachment; filename="' + "市教育局.xlsx".encode("gbk") + b'"'
    [item] = collect([write(tmp_path / "raw.eml", raw_email(header, b"x"))])
    assert item.name == "市教育局.xlsx"


def test_forwarded_email_is_opened_and_keeps_outer_sender(tmp_path):
    inner = make_email([("内层.xlsx", b"inner")], sender="a@x.cn")
    outer = make_email([])
    outer.add_attachment(inner)
    [item] = collect([write(tmp_path / "fwd.eml", bytes(outer))])
    assert (item.name, item.data) == ("内层.xlsx", b"inner")
    assert item.sender == "a@x.cn"


def test_email_nesting_depth_is_capped(tmp_path):
    msg = make_email([("deep.xlsx", b"d")])
    for _ in range(emails.MAX_FORWARDS + 1):
        outer = make_email([])
        outer.add_attachment(msg)
        msg = outer
    items = collect([write(tmp_path / "deep.eml", bytes(msg))])
    assert [i.error for i in items] == [f"转发邮件：转发嵌套层数过多（超过{emails.MAX_FORWARDS}层），已拒收。"
                                        "请让报送单位直接把填报表作为附件发送"]


def test_attachment_count_is_capped(tmp_path, monkeypatch):
    monkeypatch.setattr(emails, "MAX_ATTACHMENTS", 2)
    msg = make_email([(f"{n}.xlsx", b"x") for n in range(3)])
    items = collect([write(tmp_path / "many.eml", bytes(msg))])
    assert [i.name for i in items[:2]] == ["0.xlsx", "1.xlsx"]
    assert items[2].error == "many.eml：附件超过2个，其余未处理"


def test_winmail_dat_that_is_not_tnef_is_rejected_with_advice(tmp_path):
    msg = make_email([("winmail.dat", b"\x78\x9f\x3e\x22")])
    [item] = collect([write(tmp_path / "ol.eml", bytes(msg))])
    assert item.error == ("winmail.dat：这是Outlook专用格式（winmail.dat），无法取出其中的附件。"
                          "请让报送单位在Outlook中把邮件格式改为“HTML”或“纯文本”后，把填报表作为普通附件重新发送")


def test_attachments_inside_an_outlook_winmail_dat_are_taken_out(tmp_path):
    name = "市教育局_2019年第二季度民生实事进展填报表.xlsx"
    tnef = make_tnef([(name, b"PK\x03\x04 return"), ("说明.docx", b"PK\x03\x04 note")])
    msg = make_email([("winmail.dat", tnef)])
    items = collect([write(tmp_path / "ol.eml", bytes(msg))])
    assert [(i.name, i.origin, i.data, bool(i.skipped)) for i in items] == [
        (name, f"{tmp_path / 'ol.eml'} › winmail.dat › {name}", b"PK\x03\x04 return", False),
        ("说明.docx", f"{tmp_path / 'ol.eml'} › winmail.dat › 说明.docx", b"PK\x03\x04 note", True)]
    assert items[0].sender == "市教育局 <jyj@example.cn>"


def test_winmail_dat_without_long_names_falls_back_to_the_gbk_title(tmp_path):
    data = b"PK\x03\x04" + bytes(60)
    msg = make_email([("winmail.dat", make_tnef([("填报表.xlsx", data)], long_names=False))])
    [item] = collect([write(tmp_path / "ol.eml", bytes(msg))])
    assert item.name == "填报表~1.XLS" and item.data == data


def test_email_without_spreadsheet_is_skipped(tmp_path):
    [item] = collect([write(tmp_path / "hi.eml", bytes(make_email([])))])
    assert item.skipped == "里面没有表格附件，已跳过"


def test_mbox_messages_each_give_their_attachments(tmp_path):
    box = mailbox.mbox(str(tmp_path / "in.mbox"))
    box.add(make_email([("a.xlsx", b"a")], date=ON_TIME))
    box.add(make_email([("b.xlsx", b"b")], sender="b@x.cn", date=LATE))
    box.close()
    items = collect([tmp_path / "in.mbox"])
    assert [(i.name, i.data, i.sender, i.received_at) for i in items] == [
        ("a.xlsx", b"a", "市教育局 <jyj@example.cn>", ON_TIME), ("b.xlsx", b"b", "b@x.cn", LATE)]


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=(2019, 7, 3, 8, 0, 0))
            zf.writestr(info, data)
    return buf.getvalue()


def test_zip_members_keep_names_and_dates(tmp_path):
    path = write(tmp_path / "all.zip", _zip({"二季度/市教育局.xlsx": b"a", "~$x.xlsx": b"", "readme.txt": b"t"}))
    items = collect([path])
    assert names(items) == [("市教育局.xlsx", "ok"), ("~$x.xlsx", "Excel/WPS临时锁文件，已跳过"),
                            ("readme.txt", "不是表格文件（只接收 .xlsx .xlsm .xls .ods 及其压缩包、邮件），已跳过")]
    assert items[0].received_at == datetime(2019, 7, 3, 8, 0)


def test_zip_with_gbk_names_without_utf8_flag(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("placeholder.xlsx", b"a")
    raw = buf.getvalue().replace(b"placeholder.xlsx", "市教育局填.xlsx".encode("gbk").ljust(16, b"_")[:16])
    [item] = collect([write(tmp_path / "gbk.zip", raw)])
    assert item.name.startswith("市教育局填")


def test_zip_slip_rejects_the_whole_zip_and_writes_nothing(tmp_path):
    path = write(tmp_path / "slip.zip", _zip({"ok.xlsx": b"a", "../../evil.xlsx": b"b"}))
    [item] = collect([path])
    assert item.error == "slip.zip：无法打开（slip.zip：压缩包内含有可疑路径“../../evil.xlsx”，已拒收。）"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["slip.zip"]


def test_zip_in_email(tmp_path):
    msg = make_email([])
    msg.add_attachment(_zip({"a.xlsx": b"a"}), maintype="application", subtype="zip", filename="全部.zip")
    [item] = collect([write(tmp_path / "z.eml", bytes(msg))])
    assert (item.name, item.data, item.received_at) == ("a.xlsx", b"a", ON_TIME)


def test_outlook_msg_built_by_code(tmp_path):
    data = make_msg([("..\\..\\市教育局_填报表.xlsx", b"one"), ("市教育局_填报表.xlsx", b"two"), ("签名.png", b"p")],
                    date=LATE)
    items = collect([write(tmp_path / "a.msg", data)])
    assert [(i.name, i.data, i.skipped[:5]) for i in items] == [
        ("市教育局_填报表.xlsx", b"one", ""), ("市教育局_填报表.xlsx", b"two", ""), ("签名.png", b"p", "不是表格文")]
    assert items[0].sender == "市教育局 <jyj@example.cn>"  # the NUL terminator is dropped
    assert items[0].received_at == LATE


def test_outlook_msg_embedded_message_via_extract_msg_objects(tmp_path, monkeypatch):
    """Embedded .msg attachments are not built by make_msg; tested against extract-msg's object shape."""
    import extract_msg
    inner = SimpleNamespace(sender="b@x.cn", date=None, attachments=[
        SimpleNamespace(longFilename="内层.xlsx", shortFilename="", data=b"inner")])
    fake = SimpleNamespace(sender="市教育局 <jyj@example.cn>", date=ON_TIME.astimezone(), attachments=[
        SimpleNamespace(longFilename="..\\..\\填报.xlsx", shortFilename="TIANBAO.XLS", data=b"x"),
        SimpleNamespace(longFilename=None, shortFilename="PIC.PNG", data=b"p"),
        SimpleNamespace(longFilename="fwd.msg", shortFilename="", data=inner)],
        close=lambda: None)
    monkeypatch.setattr(extract_msg, "openMsg", lambda data, **kw: fake)
    items = collect([write(tmp_path / "a.msg", b"\xd0\xcf\x11\xe0")])
    assert [(i.name, i.data, i.sender, i.skipped[:5]) for i in items] == [
        ("填报.xlsx", b"x", "市教育局 <jyj@example.cn>", ""),
        ("PIC.PNG", b"p", "市教育局 <jyj@example.cn>", "不是表格文"),
        ("内层.xlsx", b"inner", "b@x.cn", "")]
    assert items[0].received_at == ON_TIME


def test_unreadable_msg_is_an_error_not_a_crash(tmp_path):
    [item] = collect([write(tmp_path / "bad.msg", b"not an ole file at all")])
    assert item.error.startswith("bad.msg：无法打开（")
