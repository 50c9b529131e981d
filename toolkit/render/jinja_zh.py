"""Template text as offices save it, and jinja2's errors in Chinese.

Notepad on a Chinese Windows saves "ANSI" (GBK) or UTF-8 with a BOM; either must read as the
author meant, and the BOM must not begin the mail. A mistake in a template is reported in
Chinese with the template's name, the line and that line's text.
"""
from __future__ import annotations

import re
from pathlib import Path

import jinja2

ENCODINGS = ("utf-8-sig", "gb18030")  # utf-8-sig reads UTF-8 with or without a BOM


def decode_template(data: bytes, name: str = "") -> str:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise jinja2.TemplateError(f"模板 {name} 的文字编码无法识别（请在记事本中“另存为”，编码选 UTF-8）。")


class OfficeLoader(jinja2.FileSystemLoader):
    """FileSystemLoader that reads UTF-8 (BOM or not) or GB18030."""

    def get_source(self, environment, template):
        for folder in self.searchpath:
            path = Path(folder) / template
            if path.is_file():
                mtime = path.stat().st_mtime
                text = decode_template(path.read_bytes(), template)
                return text, str(path), lambda path=path, mtime=mtime: path.is_file() and path.stat().st_mtime == mtime
        raise jinja2.TemplateNotFound(template)


_TOKENS = {"end of print statement": "}}", "end of statement block": "%}", "in": "in", "name": "名称"}
_SYNTAX = [
    (r"unexpected end of template.*closed is '(\w+)'", "缺少结束标记 {{% end{0} %}}（开头的 {{% {0} … %}} 没有对应的结束标记）"),
    (r"unexpected end of template", "模板在标记未结束时就结束了（{{% … %}} 或 {{{{ … }}}} 没有成对）"),
    (r"unknown tag '(\w+)'.*closed is '(\w+)'", "这里出现了 {{% {0} %}}，但前面的 {{% {1} … %}} 还没有结束（应先写 {{% end{1} %}}）"),
    (r"unknown tag '(end\w+)'", "多余的结束标记 {{% {0} %}}（前面没有对应的开头标记）"),
    (r"unknown tag '(\w+)'", "不认识的标记 {{% {0} %}}（请检查拼写；可用的有 if、elif、else、endif、for、endfor）"),
    (r"unexpected '([^']*)'", "出现了多余的“{0}”（请检查 {{{{ }}}} 和 {{% %}} 是否成对）"),
    (r"expected token '([^']*)', got '([^']*)'", "标记写法有误：在“{1}”处应为“{0}”"),
    (r"expected an expression", "{{{{ }}}} 里缺少变量名"),
    (r"tag name expected", "{{% %}} 里缺少标记名（如 if、for）"),
]


def syntax_text(message: str) -> str:
    """A jinja2 syntax message in Chinese (the original only when no pattern knows it)."""
    for pattern, text in _SYNTAX:
        m = re.search(pattern, message or "", re.S | re.I)
        if m:
            return text.format(*(_TOKENS.get(g, g) for g in m.groups()))
    return f"标记写法有误（{message}）"


def undefined_text(message: str) -> str:
    m = re.search(r"'([^']+)' is undefined", message or "")
    if m:
        return f"使用了未定义的变量“{m.group(1)}”（请检查拼写和大小写）"
    m = re.search(r"has no attribute '([^']+)'", message or "")
    if m:
        return f"使用了不存在的属性“{m.group(1)}”（请检查拼写和大小写）"
    return f"使用了未定义的内容（{message}）"


def line_of(source: str | None, lineno: int | None) -> str:
    if not source or not lineno:
        return ""
    lines = source.splitlines()
    return lines[lineno - 1].strip()[:120] if 0 < lineno <= len(lines) else ""


def template_error_text(name: str, exc: Exception, source: str | None = None) -> str:
    """`邮件模板 remind.body.j2 第3行：缺少结束标记 {% endif %}。该行内容：…` for any jinja2 error."""
    lineno = getattr(exc, "lineno", None)
    if isinstance(exc, jinja2.UndefinedError):
        what = undefined_text(exc.message or str(exc))
    elif isinstance(exc, jinja2.TemplateSyntaxError):
        what = syntax_text(exc.message or str(exc))
        source = source if source is not None else getattr(exc, "source", None)
    else:
        what = str(getattr(exc, "message", None) or exc)
    where = f"第{lineno}行：" if lineno else "："
    text = line_of(source, lineno)
    return f"{name} {where}{what}。" + (f"该行内容：{text}" if text else "")
