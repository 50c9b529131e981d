"""The coordinator's mailbox over IMAP: plain IMAP4rev1 (stdlib imaplib), no extensions required.

Folder names travel in modified UTF-7 (RFC 3501 §5.1.3), which Coremail, Exchange and the
Tencent/Alibaba enterprise servers all use for Chinese folders; `encode_folder`/`decode_folder`
implement it. Messages are read with BODY.PEEK[] so the coordinator's own mail client still
shows them unread, and nothing is ever deleted: `move` uses MOVE when the server offers it,
else COPY plus, only with UIDPLUS, a UID EXPUNGE of that one message (a plain EXPUNGE could
remove other messages the coordinator had marked deleted); without either the original stays.
"""
from __future__ import annotations

import base64
import configparser
import imaplib
import re
import socket
import ssl
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from toolkit.errors import PlankitError, UsageError

CONFIG_NAME = "plankit-mail.ini"


# -- modified UTF-7 -----------------------------------------------------------------

def encode_folder(name: str) -> str:
    """'收件箱/报送' → '&ZTZO9nux-/&YqVQAQ-': printable ASCII as is ('&' as '&-'), the rest as
    UTF-16BE in base64 with ',' for '/', between '&' and '-'."""
    out: list[str] = []
    pending: list[str] = []

    def flush():
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode("ascii").rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return "".join(out)


def decode_folder(name: str) -> str:
    def one(m: re.Match) -> str:
        body = m.group(1)
        if not body:
            return "&"
        raw = body.replace(",", "/")
        return base64.b64decode(raw + "=" * (-len(raw) % 4)).decode("utf-16-be")
    return re.sub(r"&([A-Za-z0-9+,]*)-", one, name)


def _quote(mailbox: str) -> str:
    return '"' + encode_folder(mailbox).replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- settings -----------------------------------------------------------------------

@dataclass
class ImapSettings:
    host: str
    port: int = 993
    security: str = "ssl"  # ssl / starttls / none
    user: str = ""
    password: str = ""
    folder: str = "INBOX"
    move_to: str = ""
    timeout: float = 60.0

    @property
    def account(self) -> str:
        """Names the mailbox in provenance and in the state table (no password)."""
        return f"{self.user}@{self.host}:{self.port}"


def read_config(path: Path | None) -> dict[str, dict[str, str]]:
    """The [imap] and [smtp] sections of the mail config file (INI, UTF-8), as plain dicts.

    Passwords are never read from it: they come from PLANKIT_IMAP_PASSWORD / PLANKIT_SMTP_PASSWORD
    or a prompt, so the file can be shared and backed up safely.
    """
    if path is None:
        default = Path.cwd() / CONFIG_NAME
        if not default.is_file():
            return {}
        path = default
    if not path.is_file():
        raise UsageError(f"找不到邮箱配置文件 {path}。", hint=f"可参照用户手册写一个 {CONFIG_NAME}。")
    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";", "#"))
    try:
        parser.read(path, encoding="utf-8-sig")
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise UsageError(f"邮箱配置文件 {path} 无法读取（{exc}）。", hint="请用 UTF-8 保存，格式见用户手册。")
    found = {s: dict(parser[s]) for s in parser.sections()}
    for section in found.values():
        if "password" in section:
            raise UsageError(f"邮箱配置文件 {path} 中不能写密码。",
                             hint="请删去 password 一行，改用环境变量 PLANKIT_IMAP_PASSWORD / "
                                  "PLANKIT_SMTP_PASSWORD，或运行时按提示输入。")
    return found


# -- the connection -----------------------------------------------------------------

class Mailbox:
    """One logged-in IMAP session with one folder selected."""

    def __init__(self, settings: ImapSettings):
        self.settings = s = settings
        try:
            if s.security == "ssl":
                self.conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(s.host, s.port, timeout=s.timeout,
                                                             ssl_context=ssl.create_default_context())
            else:
                self.conn = imaplib.IMAP4(s.host, s.port, timeout=s.timeout)
                if s.security == "starttls":
                    self.conn.starttls(ssl.create_default_context())
        except (OSError, imaplib.IMAP4.error) as exc:
            raise PlankitError(f"无法连接收件服务器 {s.host}:{s.port}（{_reason(exc)}）。",
                               hint="请检查 --imap-host、--imap-port 和加密方式（--imap-security）。")
        try:
            self.conn.login(s.user, s.password)
        except imaplib.IMAP4.error:
            self.close()
            raise PlankitError(f"收件服务器拒绝登录（用户 {s.user}）：用户名或密码错误。",
                               hint="请检查 --imap-user 和 PLANKIT_IMAP_PASSWORD；"
                                    "部分企业邮箱须使用“客户端专用密码”（授权码）。")
        typ, caps = self.conn.capability()  # servers announce more once logged in (MOVE, UIDPLUS)
        self.caps = {c.upper() for c in (caps[0] or b"").decode("ascii", "replace").split()} if typ == "OK" else set()
        self.caps |= {c.upper() for c in self.conn.capabilities}
        self.delimiter = self._delimiter()
        typ, data = self.conn.select(self.quote(s.folder), readonly=False)
        if typ != "OK":
            self.close()
            raise PlankitError(f"邮箱中没有文件夹“{s.folder}”。", hint="请用 --folder 指定已有的文件夹。")
        self.uidvalidity = int((self.conn.response("UIDVALIDITY")[1] or [b"0"])[0] or 0)

    def _delimiter(self) -> str:
        """The server's hierarchy delimiter (`LIST "" ""`): '/' on Exchange, '.' on Dovecot/Coremail."""
        try:
            typ, data = self.conn.list('""', '""')
            first = data[0] if typ == "OK" and data else None
            m = re.search(rb'\) "(.)"', first) if isinstance(first, bytes) else None
            return m.group(1).decode("ascii") if m else "/"
        except (imaplib.IMAP4.error, OSError, UnicodeDecodeError):
            return "/"

    def quote(self, folder: str) -> str:
        """A folder as the user writes it (levels separated by '/'), as this server names it."""
        if self.delimiter != "/":
            folder = folder.replace("/", self.delimiter)
        return _quote(folder)

    def uids(self, since: date | None = None) -> list[int]:
        """UIDs in the folder, or of messages that arrived on or after `since` (SEARCH SINCE, which
        IMAP4rev1 defines on the server's arrival date, not the sender's Date header)."""
        if since is None:
            typ, data = self.conn.uid("SEARCH", "ALL")
        else:
            month = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()[since.month - 1]
            typ, data = self.conn.uid("SEARCH", "SINCE", f"{since.day}-{month}-{since.year}")
        return sorted(int(x) for x in (data[0] or b"").split()) if typ == "OK" else []

    def fetch(self, uid: int) -> bytes | None:
        """The whole message, unchanged, without setting \\Seen; None when it is gone."""
        typ, data = self.conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
        if typ != "OK":
            return None
        for part in data:
            if isinstance(part, tuple) and len(part) == 2:
                return part[1]
        return None

    def move(self, uid: int, folder: str) -> None:
        target = self.quote(folder)
        caps = self.caps
        if "MOVE" in caps:
            typ, _ = self.conn.uid("MOVE", str(uid), target)
        else:
            typ, _ = self.conn.uid("COPY", str(uid), target)
            if typ == "OK" and "UIDPLUS" in caps:
                self.conn.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Deleted)")
                self.conn.uid("EXPUNGE", str(uid))
        if typ != "OK":
            raise PlankitError(f"无法把邮件移到文件夹“{folder}”。", hint="请先在邮箱中建好该文件夹。")

    def close(self) -> None:
        try:
            self.conn.logout()
        except Exception:  # the connection may already be gone; nothing left to do
            pass


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror):
        return "找不到该服务器地址"
    if isinstance(exc, ConnectionRefusedError):
        return "连接被拒绝"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "连接超时"
    return str(exc) or type(exc).__name__
