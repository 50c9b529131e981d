"""Issue 22 item 9: templates as offices edit them — Notepad's encodings, errors in Chinese with
the line, and the manual's own template examples render."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from docx import Document

from tests.brief_helpers import quarter_evaluation
from toolkit import resources
from toolkit.errors import PlankitError
from toolkit.mail import outgoing as M
from toolkit.quarter import Quarter
from toolkit.render import template as docrender
from toolkit.render.brief import briefing_context, notice_contexts

Q2 = Quarter(2019, 2)
MANUAL = Path(__file__).parent.parent / "docs" / "用户手册.md"


def mail_templates(tmp_path: Path, body: bytes, subject: bytes = "{{ department }}：请报送".encode()) -> Path:
    (tmp_path / "remind.subject.j2").write_bytes(subject)
    (tmp_path / "remind.body.j2").write_bytes(body)
    return tmp_path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_mail_templates_saved_by_notepad_in_any_encoding(tmp_path, plan, encoding):
    folder = mail_templates(tmp_path, "{{ department }}：请于{{ deadline }}前报送。".encode(encoding),
                            "【提醒】{{ department }}".encode(encoding))
    subject, body = M.render("remind", M.base_context(plan, Q2, "市教育局"), folder)
    assert subject == "【提醒】市教育局" and body.startswith("市教育局：请于") and "\ufeff" not in subject + body


@pytest.mark.parametrize("body,expected", [
    ("您好\n{% if overdue %}已逾期\n", "邮件模板 remind.body.j2 第2行：缺少结束标记 {% endif %}"),
    ("您好\n\n{{ departmnet }}",
     "邮件模板 remind.body.j2 第3行：使用了未定义的变量“departmnet”（请检查拼写和大小写）。该行内容：{{ departmnet }}"),
    ("{% iff overdue %}x{% endif %}", "邮件模板 remind.body.j2 第1行：不认识的标记 {% iff %}"),
    ("{{ department }", "邮件模板 remind.body.j2 第1行："),
])
def test_template_errors_are_chinese_with_the_line(tmp_path, plan, body, expected):
    folder = mail_templates(tmp_path, body.encode("utf-8"))
    with pytest.raises(PlankitError) as exc:
        M.render("remind", M.base_context(plan, Q2, "市教育局"), folder)
    assert str(exc.value).startswith(expected)
    said = exc.value.message.split("该行内容")[0]
    assert not re.search(r"(?i)jinja|template|expected|undefined|encountered|token", said.replace("remind", ""))


def manual_template_examples() -> list[list[str]]:
    """The template examples in the manual's 模板维护人员 section: code blocks and table cells with {% %}."""
    text = MANUAL.read_text(encoding="utf-8")
    section = text[text.index("## 三、模板维护人员"):]
    section = section[:section.index("### 2. 邮件模板")]
    blocks = [b.strip("\n").splitlines() for b in re.findall(r"```\n(.*?)```", section, re.S) if "{%" in b]
    spans = [[m] for m in re.findall(r"`([^`\n]*\{%p? (?:for|if) [^`\n]*\{%p? end(?:for|if) %\}[^`\n]*)`", section)]
    return blocks + spans


def test_the_manuals_template_examples_render(tmp_path, plan):
    examples = manual_template_examples()
    assert len(examples) >= 3 and any("{%p for" in line for ex in examples for line in ex)
    ev = quarter_evaluation(plan)
    base = briefing_context(ev)
    notice = next(iter(notice_contexts(ev, base).values()))
    for n, lines in enumerate(examples):
        doc = Document()
        for line in lines:
            doc.add_paragraph(line)
        path = tmp_path / f"ex{n}.docx"
        doc.save(path)
        out = docrender.render(path, notice, tmp_path / f"out{n}.docx")  # notice: the briefing's variables too
        rendered = "\n".join(p.text for p in Document(str(out)).paragraphs)
        assert "{%" not in rendered and "{{" not in rendered and rendered.strip(), (lines, rendered)


def test_bundled_mail_templates_still_render(plan):
    folder = resources.template("mail")
    assert M.render("remind", {**M.base_context(plan, Q2, "市教育局"), "rejected": False, "problems": []}, folder)[0]
