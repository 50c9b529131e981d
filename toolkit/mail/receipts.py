"""回执: what each sender is told about their message, and which messages get no reply.

A receipt is kept as a plain dict in the fetch ledger (so a fetch killed before replying can
answer later from it) and turned into one threaded email: subject `回执：<原主题>`, per
attachment its outcome and every problem in the merge report's words, what to do next, the
deadline, and the 退回修改表 of every rejected or warned workbook attached.
"""
from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import formataddr, formatdate, getaddresses, make_msgid, parseaddr
from pathlib import Path

from toolkit.intake.outcomes import ACCEPTED, DUPLICATE, REJECTED, SKIPPED, SUPERSEDED
from toolkit.mail.outgoing import XLSX_TYPE
from toolkit.model import Plan
from toolkit.problems import ERROR, short_name

RECEIVED, WARNED, RETURNED, REPEATED, REPLACED, NOT_A_RETURN = (
    "接收", "接收但有提醒", "退回", "重复", "已被更正版替代", "不是填报表")
NEXT_STEP = {
    RECEIVED: "无需再做什么。",
    WARNED: "已计入汇总。请核实提醒的内容，如需更正，改好后把附件中的退回修改表回复本邮件即可。",
    RETURNED: "未计入汇总。请按附件“退回修改表”中标出的单元格改正，保存后作为附件回复本邮件。",
    REPEATED: "与已收到的文件内容相同，未重复计入。",
    REPLACED: "本单位随后报送了更新的版本，以更新版本为准，此文件仅存档。",
    NOT_A_RETURN: "未处理。",
}
AUTO_SUBJECT = re.compile(r"自动回复|自动答复|休假|外出|不在办公室|out of (the )?office|auto(matic)?[ -]?reply|"
                          r"autoreply|vacation|undeliver|delivery status|退信|无法投递|投递失败|系统退信",
                          re.IGNORECASE)
ROBOT_SENDERS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|donotreply)@", re.IGNORECASE)


def header_text(msg, name: str) -> str:
    """A header as one line of text. Raw 8-bit headers (older Chinese clients write GBK without
    RFC 2047) are decoded as GB18030 instead of showing as replacement characters."""
    try:
        value = str(msg.get(name, "") or "")
        if "\ufffd" in value or any(0xDC80 <= ord(c) <= 0xDCFF for c in value):
            raw = next((v for k, v in msg.raw_items() if k.lower() == name.lower()), "")
            try:
                value = raw.encode("ascii", "surrogateescape").decode("gb18030")
            except (UnicodeEncodeError, UnicodeDecodeError):
                pass
    except Exception:  # a malformed header: shown as empty
        return ""
    return " ".join(value.split())


def automatic(msg) -> str:
    """Why a message is an automatic one that must never be answered ('' when written by a person):
    RFC 3834 Auto-Submitted, the X-Autoreply family, bulk precedence, bounces, out-of-office subjects."""
    auto = str(msg.get("Auto-Submitted", "") or "").strip().lower()
    if auto and auto != "no":
        return "自动发送的邮件（Auto-Submitted）"
    for header in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if msg.get(header):
            return "自动回复"
    if str(msg.get("Precedence", "") or "").strip().lower() in ("bulk", "junk", "list", "auto_reply"):
        return "群发或自动回复"
    if msg.get_content_type() == "multipart/report":
        return "退信"
    if ROBOT_SENDERS.match(parseaddr(str(msg.get("From", "") or ""))[1]):
        return "退信或系统邮件"
    if str(msg.get("Return-Path", "") or "").strip() == "<>":
        return "退信"
    if AUTO_SUBJECT.search(header_text(msg, "Subject")):
        return "自动回复（外出、休假或退信）"
    return ""


def outcome_label(outcome: str, problems: list) -> str:
    if outcome == ACCEPTED:
        return WARNED if problems else RECEIVED
    return {REJECTED: RETURNED, DUPLICATE: REPEATED, SUPERSEDED: REPLACED, SKIPPED: NOT_A_RETURN}.get(outcome, outcome)


def registered(plan: Plan, department: str) -> list[str]:
    info = plan.department(department)
    text = (info.email if info else "") or ""
    return [a.lower() for a in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text)]


def build_receipt(plan: Plan, quarter, msg, files: list, corrections: dict[str, str]) -> dict:
    """The receipt's content for one message: its files (FileOutcome), their corrections by sha256."""
    from toolkit.model import cn_date
    sender = parseaddr(str(msg.get("From", "") or ""))[1].lower()
    reply_to = str(msg.get("Reply-To", "") or "") or str(msg.get("From", "") or "")
    entries: list[dict] = []
    mismatches: list[dict] = []
    for f in files:
        label = outcome_label(f.outcome, f.problems)
        if label == NOT_A_RETURN and f.path == "邮件.eml":
            continue  # the message itself: "no attachment" is said once, below
        entries.append({"name": short_name(f.path), "department": f.department, "outcome": f.outcome, "label": label,
                        "problems": [_problem_text(p) for p in f.problems if f.outcome != SKIPPED],
                        "skipped": f.problems[0].message if f.outcome == SKIPPED and f.problems else "",
                        "errors": len([p for p in f.problems if p.severity == ERROR]),
                        "correction": corrections.get(f.sha256, "")})
        known = registered(plan, f.department) if f.department else []
        if known and sender and sender not in known and f.department not in [m["department"] for m in mismatches]:
            mismatches.append({"department": f.department, "sender": sender, "registered": "、".join(known)})
    to = [formataddr(pair) for pair in getaddresses([reply_to]) if "@" in pair[1]]
    return {"to": to[0] if to else sender, "subject": header_text(msg, "Subject"),
            "message_id": str(msg.get("Message-ID", "") or "").strip(),
            "references": " ".join(str(msg.get("References", "") or "").split()),
            "quarter_label": quarter.label, "deadline": cn_date(plan.settings.deadline(quarter.q)),
            "issuer": plan.settings.issuer, "files": entries, "mismatches": mismatches}


def _problem_text(p) -> str:
    where = p.location
    label = "错误" if p.severity == ERROR else "提醒"
    return f"[{label}] {where}：{p.message}" if where else f"[{label}] {p.message}"


def receipt_body(r: dict) -> str:
    lines = [f"您好！{r['issuer'] or '我们'}已收到您的来信，{r['quarter_label']}填报情况如下：", ""]
    usable = [f for f in r["files"] if f["label"] != NOT_A_RETURN]
    if not usable:
        lines += ["这封邮件中没有可以合并的填报表（只接收 .xlsx .xlsm .xls .ods 格式的填报表，"
                  "或装有它们的压缩包）。", "请把下发的填报表填好后作为附件回复本邮件。", ""]
    for n, f in enumerate(r["files"], 1):
        who = f"（{f['department']}）" if f["department"] else ""
        lines.append(f"{n}. {f['name']}{who}：{f['label']}")
        for text in f["problems"]:
            lines.append(f"   {text}")
        if f["skipped"]:
            lines.append(f"   {f['skipped']}")
        step = NEXT_STEP.get(f["label"], "")
        if f["label"] == RETURNED and not f["correction"]:
            step = "未计入汇总。请按上面列出的问题改正（或重新导出为 .xlsx 文件）后，作为附件回复本邮件。"
        lines.append(f"   下一步：{step}")
        if f["correction"]:
            lines.append(f"   附件“{Path(f['correction']).name}”是您报送的原表，问题单元格已标色并加了批注，"
                         "首页“问题清单”可点击跳转。")
        lines.append("")
    if any(f["label"] in (RETURNED, WARNED) for f in usable) or not usable:
        lines.append(f"报送截止日期：{r['deadline']}。")
    lines += ["", "此邮件由系统自动发送，回执中的结果与汇总收件报告一致。如有疑问请直接回复。"]
    return "\n".join(lines) + "\n"


def receipt_message(r: dict, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = r["to"]
    msg["Subject"] = f"回执：{r['subject'] or '（无主题）'}"
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip(">") or "plankit.local")
    if r["message_id"]:
        msg["In-Reply-To"] = r["message_id"]
        msg["References"] = " ".join(x for x in (r["references"], r["message_id"]) if x)
    msg["Auto-Submitted"] = "auto-replied"  # RFC 3834: other robots must not answer this one
    msg.set_content(receipt_body(r), charset="utf-8")
    for f in r["files"]:
        path = Path(f["correction"]) if f["correction"] else None
        if path is not None and path.is_file():
            msg.add_attachment(path.read_bytes(), maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1], filename=path.name)
    return msg
