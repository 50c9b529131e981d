"""A real Dovecot IMAP server on 127.0.0.1 for the fetch tests, and messages to put in it.

Dovecot runs in the foreground (-F) with a throwaway config: a passwd-file user, maildir in a
temporary folder, ssl=no and plaintext login allowed. As root (CI) the mail user is `nobody`
and the internal/login users are Debian's dovecot/dovenull; otherwise everything runs as the
current user.
"""
from __future__ import annotations

import getpass
import imaplib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest

from toolkit.mail.imap import encode_folder

from .smtp_helpers import free_port

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
USER, PASSWORD = "ms@example.org.cn", "secret-imap"
XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%n
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ssl_port}
  }}
}}
service anvil {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
}}
"""


class Dovecot:
    def __init__(self, tls: bool = False):
        """With `tls`, a throwaway self-signed certificate for 127.0.0.1 (self.cert): STARTTLS on
        self.port and implicit TLS on self.ssl_port."""
        self.port = free_port()
        self.ssl_port = free_port() if tls else 0
        # not under pytest's tmp_path: Dovecot's unprivileged processes must reach its sockets
        self.root = Path(tempfile.mkdtemp(prefix="plankit-dovecot-"))
        os.chmod(self.root, 0o755)
        (self.root / "mail").mkdir()
        if os.geteuid() == 0:
            uid = gid = 65534
            internal, login = "dovecot", "dovenull"
            os.chown(self.root / "mail", uid, gid)
        else:
            uid, gid = os.getuid(), os.getgid()
            internal = login = getpass.getuser()
        (self.root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{self.root}/mail/ms::\n")
        conf = self.root / "dovecot.conf"
        ssl_conf = "ssl = no"
        self.cert = self.root / "cert.pem"
        if tls:
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                            "-keyout", str(self.root / "key.pem"), "-out", str(self.cert), "-subj", "/CN=127.0.0.1",
                            "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
            ssl_conf = f"ssl = yes\nssl_cert = <{self.cert}\nssl_key = <{self.root / 'key.pem'}"
        conf.write_text(CONFIG.format(root=self.root, port=self.port, internal=internal, login=login,
                                      ssl=ssl_conf, ssl_port=self.ssl_port))
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    log = (self.root / "dovecot.log").read_text(errors="replace") if (
                        self.root / "dovecot.log").exists() else ""
                    raise RuntimeError(f"Dovecot did not start: {self.proc.stderr.read()!r} {log}")
                time.sleep(0.05)

    def client(self) -> imaplib.IMAP4:
        c = imaplib.IMAP4("127.0.0.1", self.port)
        c.login(USER, PASSWORD)
        return c

    def append(self, raw: bytes, folder: str = "INBOX", arrived: datetime | None = None) -> None:
        """APPEND a message; `arrived` sets its arrival (internal) date, else now."""
        c = self.client()
        try:
            when = imaplib.Time2Internaldate(arrived.astimezone()) if arrived else None
            typ, data = c.append(f'"{encode_folder(folder)}"', None, when, raw)
            assert typ == "OK", data
        finally:
            c.logout()

    def create(self, folder: str) -> None:
        c = self.client()
        try:
            assert c.create(f'"{encode_folder(folder)}"')[0] == "OK"
        finally:
            c.logout()

    def delete(self, folder: str) -> None:
        c = self.client()
        try:
            assert c.delete(f'"{encode_folder(folder)}"')[0] == "OK"
        finally:
            c.logout()

    def count(self, folder: str = "INBOX") -> int:
        c = self.client()
        try:
            typ, data = c.select(f'"{encode_folder(folder)}"', readonly=True)
            return int(data[0])
        finally:
            c.logout()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.root, ignore_errors=True)


def run_dovecot():
    """The body of the `dovecot` fixture: a fresh server per test, stopped and removed after it."""
    if DOVECOT is None:
        pytest.skip("Dovecot is not installed here; CI installs dovecot-imapd via .ci/run")
    server = Dovecot()
    yield server
    server.stop()


def message(sender: str, subject: str, attachments: list[tuple[str, bytes]], *, body: str = "请查收。",
            date: datetime = datetime(2019, 7, 8, 10, 0), headers: dict | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = USER
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date.astimezone())
    msg["Message-ID"] = make_msgid(domain="example.org.cn")
    for key, value in (headers or {}).items():
        del msg[key]
        msg[key] = value
    msg.set_content(body)
    for name, data in attachments:
        msg.add_attachment(data, maintype=XLSX[0], subtype=XLSX[1], filename=name)
    return bytes(msg)


def gbk_message(sender: str, subject: str, name: str, data: bytes, charset: str = "gbk") -> bytes:
    """What an older Chinese mail client sends: GBK subject, body and attachment name (RFC 2047)."""
    import base64
    from email.header import Header
    from email.utils import parseaddr
    boundary = "----=_NextPart_GBK"
    name_part, address = parseaddr(sender)
    head = (f"From: {Header(name_part, charset).encode()} <{address}>\r\nTo: {USER}\r\n"
            f"Subject: {Header(subject, charset).encode()}\r\n"
            f"Date: {format_datetime(datetime(2019, 7, 8, 9, 0).astimezone())}\r\n"
            f"Message-ID: {make_msgid(domain='example.org.cn')}\r\nMIME-Version: 1.0\r\n"
            f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n')
    encoded_name = Header(name, charset).encode()
    body = (f"--{boundary}\r\nContent-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            f"{base64.b64encode('填好了，请查收。'.encode(charset)).decode()}\r\n"
            f'--{boundary}\r\nContent-Type: application/vnd.ms-excel; name="{encoded_name}"\r\n'
            f'Content-Disposition: attachment; filename="{encoded_name}"\r\n'
            f"Content-Transfer-Encoding: base64\r\n\r\n{base64.encodebytes(data).decode()}\r\n--{boundary}--\r\n")
    return head.encode("ascii") + body.encode("ascii")
