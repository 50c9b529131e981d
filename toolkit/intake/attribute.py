"""Who sent a file that is not a usable return: from the mail's From, else the file name.

A Word document, a PDF or an unreadable workbook has no identity inside, but the coordinator
still needs to tell the department. The sender's address (the plan's 部门 sheet lists each
department's mailbox) or a department name in the From display name or the file name says who.
"""
from __future__ import annotations

import re
import unicodedata
from email.utils import parseaddr

from toolkit.model import Plan

KIND_NAMES = {"doc": "Word文档", "docx": "Word文档", "wps": "WPS文档", "pdf": "PDF文件", "txt": "文本文件",
              "jpg": "图片", "jpeg": "图片", "png": "图片", "gif": "图片", "bmp": "图片", "ofd": "OFD文件",
              "rar": "RAR压缩包", "7z": "7z压缩包", "csv": "CSV文件", "et": "WPS表格文件"}


def kind_name(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return KIND_NAMES.get(ext, f".{ext}文件" if ext else "无扩展名的文件")


def attribute(plan: Plan, sender: str, filename: str) -> tuple[str, str]:
    """(department, how: 发件人邮箱 / 发件人 / 文件名) or ("", "") when nobody can be named."""
    display, address = parseaddr(sender or "")
    address = address.strip().lower()
    names = plan.department_names()
    if address:
        owners = []
        for dept in names:
            info = plan.department(dept)
            mailboxes = {m.strip().lower() for m in re.split(r"[;,；，\s]+", (info.email if info else "") or "") if m}
            if address in mailboxes:
                owners.append(dept)
        if len(owners) == 1:
            return owners[0], "发件人邮箱"
        if owners:  # one mailbox shared by several units: the address alone names nobody
            return "", ""
    found = _named_in(display or sender or "", names)
    if found:
        return found, "发件人"
    found = _named_in(filename, names)
    return (found, "文件名") if found else ("", "")


def _named_in(text: str, names: list[str]) -> str:
    """The one department named in a text (the longest name when one contains another), else ""."""
    text = unicodedata.normalize("NFKC", text or "")
    hits = [n for n in names if n and n in text]
    hits = [n for n in hits if not any(n != m and n in m for m in hits)]  # 市局 inside 市教育局
    return hits[0] if len(hits) == 1 else ""
