"""The one strict, safe way to render a .docx template (docxtpl + jinja2).

- The template must be a real .docx (zip limits, no DTD) from the coordinator's folder.
- Undeclared variables are reported, all at once, before anything is rendered.
- Autoescape is on (so `规划&建设局` and `<50%` render exactly), StrictUndefined, and a
  sandboxed environment: template tags cannot reach Python internals.
- Text values are cleaned of control characters that XML cannot hold; newlines become
  line breaks (docxtpl), tabs become spaces.
- A template error names the template and the text around the error.
- The result is re-opened with python-docx before it replaces the target.
"""
from __future__ import annotations

import re
import zipfile
from dataclasses import is_dataclass
from pathlib import Path
from collections.abc import Callable
from typing import Any

from toolkit.errors import TEMPLATE_INVALID, InputFileError, PlankitError
from toolkit.fileio.safeio import atomic_path
from toolkit.fileio.zipscan import check_zip_limits, reject_dtd
from toolkit.render.jinja_zh import syntax_text, undefined_text

# Characters XML 1.0 cannot hold, plus the ones docxtpl turns into paragraphs or page
# breaks (\a, \f): a department's text must never change the document's structure.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]")
_CRLF = re.compile(r"\r\n?")


class TemplateProblem(PlankitError):
    """A template cannot be used: bad file, unknown variable or a jinja syntax error."""
    code = TEMPLATE_INVALID


def clean_text(value: str) -> str:
    """Normalise line ends, tabs to spaces, strip characters an XML part cannot hold."""
    value = _CRLF.sub("\n", value).replace("\t", " ")
    value = value.replace("\x0b", "\n")  # Excel's in-cell line break (_x000B_)
    return _CONTROL.sub("", value)


def clean_context(value: Any) -> Any:
    """Recursively clean every string in a context (dicts, lists, tuples)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {k: clean_context(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_context(v) for v in value]
    if is_dataclass(value):
        raise TypeError("pass plain dicts to templates, not dataclasses")
    return value


def check_template(path: Path) -> None:
    """Refuse anything that is not a plain .docx before docxtpl opens it."""
    path = Path(path)
    if not path.is_file():
        raise TemplateProblem(f"找不到模板文件：{path}",
                              hint="请检查 --template 指定的文件，或运行 plankit templates copy 取回随附的模板。")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            check_zip_limits(path, infos)
            names = {i.filename for i in infos}
            if "word/document.xml" not in names:
                raise TemplateProblem(f"模板 {path.name} 不是Word文档（.docx）。",
                                      hint="请在Word/WPS中另存为“Word文档(*.docx)”。")
            for info in infos:
                if info.filename.endswith((".xml", ".rels")):
                    with zf.open(info) as fh:
                        reject_dtd(path, info.filename, fh.read(4096))
    except zipfile.BadZipFile:
        raise TemplateProblem(f"模板 {path.name} 不是Word文档（.docx），或文件已损坏。",
                              hint="请在Word/WPS中另存为“Word文档(*.docx)”；旧版 .doc 格式不能用作模板。")
    except InputFileError as exc:
        raise TemplateProblem(f"模板不可用：{exc.message}")


def _environment():
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment
    return SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)


def _around(exc: Exception) -> str:
    lines = [re.sub(r"\s+", " ", x).strip() for x in getattr(exc, "docx_context", []) or []]
    text = " ".join(x for x in lines if x)
    return text[:160]


def render(template: Path, context: dict, target: Path, *,
           images: dict[str, tuple[Path | None, float]] | None = None,
           font_map: dict[str, str] | None = None,
           after: Callable[[Path], object] | None = None) -> Path:
    """Render `template` with `context` into `target` atomically; return `target`.

    `images` maps a context name to (png path, width in mm): they become pictures (no path: "").
    `font_map` renames fonts after rendering (e.g. {"仿宋": "仿宋_GB2312"}); `after(path)` may then
    adjust the rendered file before it is checked and moved into place.
    """
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage
    from jinja2 import TemplateError

    template = Path(template)
    check_template(template)
    ctx = clean_context(dict(context))
    env = _environment()
    try:
        tpl = DocxTemplate(str(template))
        missing = sorted(tpl.get_undeclared_template_variables(env, {**ctx, **(images or {})}))
    except TemplateError:
        # The pre-check sees one long line; rendering splits paragraphs onto lines, so its
        # error carries the text around the mistake (docx_context).
        missing = []
    except Exception as exc:  # python-docx/lxml on a broken part
        raise TemplateProblem(f"模板 {template.name} 无法打开：{exc}")
    if missing:
        raise TemplateProblem(
            f"模板 {template.name} 使用了未定义的变量：{'、'.join(missing)}。",
            hint="请对照使用说明“模板维护人员”一节中的变量表修改模板（注意拼写和大小写）。")
    for name, (png, width_mm) in (images or {}).items():
        ctx[name] = InlineImage(tpl, str(png), width=Mm(width_mm)) if png else ""
    try:
        tpl.render(ctx, jinja_env=env, autoescape=True)
    except TemplateError as exc:
        raise _template_error(template, exc)
    with atomic_path(target) as tmp:
        tpl.save(str(tmp))
        if font_map:
            rename_fonts(tmp, font_map)
        if after is not None:  # a last adjustment of the rendered file, e.g. signature.align_signature
            after(tmp)
        verify_docx(tmp, template)
    return Path(target)


def _template_error(template: Path, exc: Exception) -> TemplateProblem:
    around = _around(exc) or _paragraph_naming(template, exc)
    where = f"，出错位置附近的文字：“{around}”" if around else ""
    from jinja2 import TemplateSyntaxError, UndefinedError
    from jinja2.exceptions import SecurityError
    message = str(getattr(exc, "message", None) or exc)
    if isinstance(exc, SecurityError):
        found = re.search(r"attribute '([^']+)'", message)
        detail = f"模板不能访问程序内部的属性（{found.group(1) if found else '以 _ 开头的名称'}），已拒绝"
    elif isinstance(exc, UndefinedError):
        detail = undefined_text(message)
    elif isinstance(exc, TemplateSyntaxError):
        detail = syntax_text(message)
    else:
        detail = f"标记无法处理（{message.rstrip('.。')}）"
    return TemplateProblem(
        f"模板 {template.name} 有错误：{detail}{where}。",
        hint="请检查 {{ }} 和 {% %} 标记是否成对、变量名和属性名拼写是否正确（见使用说明“模板维护人员”一节）。")


def _paragraph_naming(template: Path, exc: Exception) -> str:
    """For errors without a line (undefined attribute): the first paragraph using the name."""
    m = re.search(r"'([^']+)'\W*$", str(exc))
    if not m:
        return ""
    from docx import Document
    doc = Document(str(template))
    texts = [p.text for p in doc.paragraphs]
    texts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    pattern = re.compile(r"[{][{%][^}]*\b" + re.escape(m.group(1)) + r"\b")
    return next((t.strip()[:160] for t in texts if pattern.search(t)), "")


def verify_docx(path: Path, template: Path) -> None:
    """Re-open the rendered file: a corrupt result must never replace a good one."""
    from docx import Document
    try:
        Document(str(path))
    except Exception as exc:
        raise TemplateProblem(f"用模板 {template.name} 生成的文档无法重新打开（{exc}），未写出文件。")


FONT_SLOTS = ("ascii", "hAnsi", "eastAsia", "cs")


def rename_fonts(path: Path, font_map: dict[str, str]) -> None:
    """Rename fonts in every rFonts slot of styles, body, headers and footers."""
    from docx import Document
    from docx.oxml.ns import qn
    doc = Document(str(path))
    parts = [doc.styles.element, doc.element]
    for section in doc.sections:
        for hf in (section.footer, section.even_page_footer, section.first_page_footer,
                   section.header, section.even_page_header, section.first_page_header):
            if not hf.is_linked_to_previous:
                parts.append(hf._element)
    for root in parts:
        for fonts in root.iter(qn("w:rFonts")):
            for slot in FONT_SLOTS:
                name = fonts.get(qn(f"w:{slot}"))
                if name in font_map:
                    fonts.set(qn(f"w:{slot}"), font_map[name])
    doc.save(str(path))
