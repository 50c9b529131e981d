"""Email the fill-in workbooks out, and remind departments that have not returned.

Messages are built from jinja2 templates in templates/mail/ (`<kind>.subject.j2`,
`<kind>.body.j2`), with the department's workbook attached under its Chinese
file name (RFC 2231). Without sending they are written as .eml files that open in
any mail client; with sending they go over SMTP and each one is recorded in a
send log only after the server accepted it.
"""
from __future__ import annotations

import errno
import glob
import json
import mimetypes
import re
import smtplib
import socket
import ssl
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path

import jinja2

from toolkit import paths, resources
from toolkit.errors import MAIL_SERVER, MAIL_TEMPLATE, PlankitError, USAGE_DEPARTMENT, UsageError
from toolkit.model import CO, LEAD, Plan, cn_date
from toolkit.quarter import Quarter
from toolkit.fileio.safeio import atomic_path
from toolkit.fillin.files import safe_file_name
from toolkit.render.jinja_zh import OfficeLoader, decode_template, template_error_text

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
SEND_LOG = "sent.jsonl"


@dataclass
class SmtpSettings:
    host: str
    port: int = 25
    security: str = "starttls"  # starttls / ssl / none
    user: str = ""
    password: str = ""
    timeout: float = 30.0


@dataclass
class Outgoing:
    department: str
    to: str
    subject: str
    attachment: Path | None
    eml: Path | None = None
    status: str = "draft"  # draft / sent / failed / skipped
    error: str = ""
    message_id: str = ""
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["attachment"] = str(self.attachment) if self.attachment else ""
        d["eml"] = str(self.eml) if self.eml else ""
        return d


def _env(template_dirs: list[Path]) -> jinja2.Environment:
    return jinja2.Environment(loader=OfficeLoader([str(d) for d in template_dirs]),
                              undefined=jinja2.StrictUndefined, autoescape=False,
                              keep_trailing_newline=False)


def render(kind: str, context: dict, template_dir: Path | None = None) -> tuple[str, str]:
    """Render (subject, body) for `kind` ('sheets' or 'remind'); template errors name the file.
    Each template comes from `template_dir`, else templates/mail/ in the working folder, else the bundled ones."""
    dirs = resources.template_dirs("mail", template_dir)
    env = _env(dirs)
    parts = []
    for part in ("subject", "body"):
        name = f"{kind}.{part}.j2"
        try:
            parts.append(env.get_template(name).render(context))
        except jinja2.TemplateNotFound as exc:
            raise PlankitError(f"找不到邮件模板 {dirs[0] / str(exc.name)}。", code=MAIL_TEMPLATE)
        except jinja2.TemplateError as exc:  # syntax, undefined name, encoding: in Chinese, with the line
            path = next((d / name for d in dirs if (d / name).is_file()), dirs[0] / name)
            source = _source(path)
            lineno = getattr(exc, "lineno", None) or _undefined_line(exc, source)
            exc.lineno = lineno  # type: ignore[attr-defined]  # template_error_text reads it
            raise PlankitError("邮件模板 " + template_error_text(name, exc, source),
                               hint="\
请对照使用说明“模板维护人员”一节修改模板。", code=MAIL_TEMPLATE)
    subject, body = parts[0].strip(), parts[1]
    return " ".join(subject.split()), body.strip() + "\n"


def _source(path: Path) -> str:
    try:
        return decode_template(path.read_bytes(), path.name)
    except (OSError, jinja2.TemplateError):
        return ""


def _undefined_line(exc: Exception, source: str) -> int | None:
    """jinja2 gives no line for an undefined name at render time: the first line that uses it."""
    m = re.search(r"'([^']+)' is undefined|has no attribute '([^']+)'", str(exc))
    if not m or not source:
        return None
    word = m.group(1) or m.group(2)
    for n, line in enumerate(source.splitlines(), 1):
        if re.search(r"[{][{%][^}]*\b" + re.escape(word) + r"\b", line):
            return n
    return None


def base_context(plan: Plan, quarter: Quarter, department: str) -> dict:
    roles = [role for _, role in plan.tasks_for(department)]
    return {
        "plan_title": plan.settings.title,
        "short_title": plan.settings.subject,
        "quarter_label": quarter.label,
        "department": department,
        "deadline": cn_date(plan.settings.deadline(quarter.q)),
        "overdue": date.today() > plan.settings.deadline(quarter.q),
        "return_to": plan.settings.return_to or plan.settings.issuer,
        "issuer": plan.settings.issuer,
        "today": cn_date(date.today()),
        "lead_tasks": roles.count(LEAD),
        "co_tasks": roles.count(CO),
        "indicators": len(plan.indicators_for(department)),
    }


def build_message(sender: str, to: str, subject: str, body: str, attachment: Path | None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip(">") or "plankit.local")
    msg.set_content(body, charset="utf-8")
    if attachment is not None:
        maintype, subtype = XLSX_TYPE
        if attachment.suffix.lower() != ".xlsx":
            guessed = (mimetypes.guess_type(attachment.name)[0] or "application/octet-stream").split("/")
            maintype, subtype = guessed[0], guessed[1]
        msg.add_attachment(attachment.read_bytes(), maintype=maintype, subtype=subtype,
                           filename=attachment.name)
    return msg


def _sheets_for(plan: Plan, quarter: Quarter, out_dir: Path, departments: list[str]) -> dict[str, Path]:
    """The department workbooks from the quarter's manifest, generating missing ones first."""
    folder = paths.quarter_dir(plan, quarter, out_dir, "sheets")
    found = _manifest(folder)
    missing = [d for d in departments if d not in found or not found[d].exists()]
    if missing:
        from toolkit.fillin.generate import generate_sheets
        from toolkit.store.db import load_quarter
        previous = load_quarter(plan, quarter.previous, out_dir) if quarter.previous else None
        generate_sheets(plan, quarter, out_dir, departments=missing, previous=previous)
        found = _manifest(folder)
    return found


def _manifest(folder: Path) -> dict[str, Path]:
    manifest = folder / "manifest.json"
    if not manifest.exists():
        return {}
    data = json.loads(manifest.read_text(encoding="utf-8"))
    entries = data.get("files", data) if isinstance(data, dict) else data
    return {e["department"]: folder / Path(e["file"]).name for e in entries}


def prepare(plan: Plan, quarter: Quarter, out_dir: Path, *, kind: str = "sheets",
            departments: list[str] | None = None, sender: str = "", outbox: Path | None = None,
            extra: dict[str, dict] | None = None,
            template_dir: Path | None = None) -> list[tuple[Outgoing, EmailMessage | None]]:
    """Build one message per department and write each as .eml into the outbox."""
    known = plan.department_names()
    chosen = departments if departments is not None else known
    unknown = [d for d in chosen if d not in known]
    if unknown:
        raise UsageError(f"计划中没有这些部门：{'、'.join(unknown)}。",
                         hint="部门名称须与计划主表“部门”表一致。", code=USAGE_DEPARTMENT)
    sender = sender or _default_sender(plan)
    outbox = outbox or (paths.quarter_dir(plan, quarter, out_dir, "mail")
                        / ("outbox" if kind == "sheets" else f"outbox-{kind}"))
    sheets = _sheets_for(plan, quarter, out_dir, chosen) if chosen else {}
    result: list[tuple[Outgoing, EmailMessage | None]] = []
    for dept in chosen:
        context = {**base_context(plan, quarter, dept), **(extra or {}).get(dept, {})}
        subject, body = render(kind, context, template_dir)
        info = plan.department(dept)
        to = (info.email if info else "").strip()
        correction = (extra or {}).get(dept, {}).get("correction") or ""
        attachment = Path(correction) if correction and Path(correction).is_file() else sheets.get(dept)
        item = Outgoing(dept, to, subject, attachment, extra=(extra or {}).get(dept, {}))
        if not to or "@" not in to:
            item.status, item.error = "skipped", f"计划主表“部门”表中没有{dept}的邮箱，请补充后重试。"
            result.append((item, None))
            continue
        msg = build_message(sender, formataddr((dept, to)), subject, body, item.attachment)
        item.message_id = msg["Message-ID"]
        item.eml = outbox / safe_file_name(f"{dept}.eml")
        with atomic_path(item.eml) as tmp:
            tmp.write_bytes(bytes(msg))
        result.append((item, msg))
    return result


def _default_sender(plan: Plan) -> str:
    import re
    found = re.search(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", plan.settings.return_to)
    return formataddr((plan.settings.issuer or "plankit", found.group(0) if found else "plankit@localhost"))


def send(items: list[tuple[Outgoing, EmailMessage | None]], smtp: SmtpSettings, log_path: Path,
         before_each=None) -> None:
    """Send every prepared message; record each in the log only after the server accepted it.

    :param before_each: called with each item just before it is handed to the server (the fetch
        notes the attempt, so a crash before the log line is known to have maybe sent it)."""
    try:
        server = _connect(smtp)
    except (OSError, smtplib.SMTPException) as exc:
        raise PlankitError(f"无法连接邮件服务器 {smtp.host}:{smtp.port}（{_reason(exc)}）。",
                           hint="请检查 --smtp-host、--smtp-port 和加密方式（--smtp-security）。没有发送任何邮件。",
                           code=MAIL_SERVER)
    try:
        if smtp.user:
            try:
                server.login(smtp.user, smtp.password)
            except smtplib.SMTPAuthenticationError:
                raise PlankitError(f"邮件服务器拒绝登录（用户 {smtp.user}）：用户名或密码错误。",
                                   hint="请检查 PLANKIT_SMTP_USER 和 PLANKIT_SMTP_PASSWORD。没有发送任何邮件。",
                                   code=MAIL_SERVER)
            except smtplib.SMTPNotSupportedError:
                raise PlankitError("邮件服务器不支持登录认证（可能需要先加密连接）。",
                                   hint="请尝试 --smtp-security starttls 或 ssl。没有发送任何邮件。", code=MAIL_SERVER)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        for item, msg in items:
            if msg is None:
                continue
            if before_each is not None:
                before_each(item)
            try:
                refused = server.send_message(msg)
            except (smtplib.SMTPException, OSError) as exc:
                item.status, item.error = "failed", f"发送失败：{_reason(exc)}"
                if (isinstance(exc, (smtplib.SMTPServerDisconnected, OSError))
                        and not isinstance(exc, smtplib.SMTPResponseException)):
                    break
                continue
            if refused:
                item.status, item.error = "failed", f"收件人被拒绝：{'、'.join(refused)}"
                continue
            item.status = "sent"
            with log_path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps({"sent_at": datetime.now().isoformat(timespec="seconds"),
                                     **item.to_dict()}, ensure_ascii=False) + "\n")
    finally:
        try:
            server.quit()
        except Exception:  # the connection may already be gone; nothing left to do
            pass


def _connect(smtp: SmtpSettings) -> smtplib.SMTP:
    if smtp.security == "ssl":
        return smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=ssl.create_default_context())
    server = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    if smtp.security == "starttls":
        server.starttls(context=ssl.create_default_context())
    return server


_NETWORK_ERRORS = {errno.ENETUNREACH: "网络不通，请检查本机网络连接", errno.EHOSTUNREACH: "无法到达邮件服务器",
                   errno.ECONNRESET: "连接被服务器中断", errno.ECONNABORTED: "连接被中断",
                   errno.ETIMEDOUT: "连接超时"}


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror):
        return "找不到该服务器地址"
    if isinstance(exc, ConnectionRefusedError):
        return "连接被拒绝"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "连接超时"
    if isinstance(exc, smtplib.SMTPNotSupportedError) or "STARTTLS" in str(exc):
        return "服务器不支持STARTTLS加密，可改用 --smtp-security ssl（常用端口465）或向管理员确认加密方式"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "服务器证书无法验证（证书过期或与服务器名称不符）"
    if isinstance(exc, ssl.SSLError):
        return "加密连接失败（服务器的加密方式与 --smtp-security 不符，465端口一般用 ssl，587/25端口用 starttls）"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "服务器断开了连接"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "收件人地址被服务器拒绝：" + "、".join(exc.recipients)
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return f"服务器返回 {exc.smtp_code} {error}"
    if isinstance(exc, OSError) and exc.errno in _NETWORK_ERRORS:
        return _NETWORK_ERRORS[exc.errno]
    if isinstance(exc, OSError) and exc.errno:
        return f"网络错误（错误号 {exc.errno}），请检查网络连接"
    return f"未知错误（{type(exc).__name__}）"


def sent_log(plan: Plan, quarter: Quarter, out_dir: Path) -> Path:
    return paths.quarter_dir(plan, quarter, out_dir, "mail") / SEND_LOG


def remind_targets(plan: Plan, quarter: Quarter, out_dir: Path) -> dict[str, dict]:
    """Departments to remind: no accepted return, or only rejected ones (with their problems)."""
    from toolkit.store.db import load_quarter
    data = load_quarter(plan, quarter, out_dir)
    targets: dict[str, dict] = {}
    returned = set(data.returns) if data else set()
    rejected: dict[str, list[str]] = {}
    for rej in (data.rejections if data else []):
        if rej.department:  # each problem says which file it came from (a unit may send several)
            rejected.setdefault(rej.department, []).extend(f"{rej.filename}：{r}" for r in rej.reasons)
    for dept in plan.department_names():
        if dept in returned:
            continue
        problems = rejected.get(dept, [])
        targets[dept] = {"rejected": bool(problems), "problems": problems[:20]}
        if problems:
            targets[dept]["correction"] = _latest_correction(plan, quarter, out_dir, dept)
    return targets


def _latest_correction(plan: Plan, quarter: Quarter, out_dir: Path, department: str) -> str:
    """The newest 退回修改表 merge or fetch wrote for a department's rejected return ('' if none)."""
    folder = paths.quarter_dir(plan, quarter, out_dir, "merge") / "退回修改表"
    name = glob.escape(safe_file_name(f"{department}-退回修改表.xlsx"))
    found = sorted(folder.glob(f"*/{name}"), key=lambda p: p.stat().st_mtime)
    return str(found[-1]) if found else ""
