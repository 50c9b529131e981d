"""The 督办通知's 署名 and 成文日期 as GB/T 9704-2012 7.3.5.2 places them without a seal."""
from __future__ import annotations

from datetime import date

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH

from tests.brief_helpers import quarter_evaluation
from toolkit.render import brief as B
from toolkit.render.signature import align_signature, signature_indents, text_width


def test_widths_count_half_width_digits_and_the_space_around_them():
    assert text_width("连云港市民生实事工作领导小组办公室") == 17
    assert text_width("2019年7月15日") == 7.75  # 6.5 characters and five changes between 汉字 and digits


@pytest.mark.parametrize("issuer, day, indents", [
    ("连云港市民生实事工作领导小组办公室", "2019年7月15日", (2, 9.25)),  # date starts 2 to the right
    ("市民生办", "2019年12月31日", (8.25, 2)),  # a date longer than the 署名: the 署名 moves left
])
def test_indents_put_the_dates_first_character_two_to_the_right(issuer, day, indents):
    right_issuer, right_date = signature_indents(issuer, day)
    assert (right_issuer, right_date) == indents
    start_issuer = right_issuer + text_width(issuer)  # distance of the first character from the margin
    start_date = right_date + text_width(day)
    assert start_issuer - start_date == 2


def test_rendered_notice_signature(plan, tmp_path):
    # it had the date 4 characters from the margin: its first character 8.75 characters right of the 署名's
    result = B.render_brief(quarter_evaluation(plan), tmp_path, on=date(2019, 7, 15), chart=False, per_dept=True)
    doc = Document(str(result.notices[0]))
    issuer, day = [p for p in doc.paragraphs if p.style.name == "落款"]
    assert (issuer.text, day.text) == ("连云港市民生实事工作领导小组办公室", "2019年7月15日")
    assert issuer.paragraph_format.right_indent.pt == 32 and day.paragraph_format.right_indent.pt == 148


def test_a_template_laid_out_otherwise_is_left_alone(tmp_path):
    doc = Document()
    doc.styles.add_style("落款", 1)
    for text in ("某某办公室", "2019年7月15日"):
        doc.add_paragraph(text, style="落款").alignment = WD_ALIGN_PARAGRAPH.CENTER
    path = tmp_path / "n.docx"
    doc.save(path)
    assert align_signature(path, "某某办公室", "2019年7月15日") is False
    assert all(p.paragraph_format.right_indent is None for p in Document(str(path)).paragraphs)
