"""The 督办通知's 署名 and 成文日期 placed as GB/T 9704-2012 7.3.5.2 wants for a document without a seal:
署名 two characters from the right margin, the date on the next line starting two characters to
the right of the 署名's first character (a date longer than the 署名 sits two characters from the
margin and the 署名 moves left). Both depend on the issuer's length, which a template cannot know:
the rendered document is adjusted when it still has the default shape (two right-aligned 落款
paragraphs holding exactly the issuer and the date); a template laid out otherwise is left alone."""
from __future__ import annotations

import unicodedata
from pathlib import Path

SIGNATURE_STYLE = "落款"
MARGIN_CHARS = 2  # 右空二字
SHIFT_CHARS = 2   # 成文日期首字比署名首字右移二字


AUTOSPACE = 0.25  # Word, WPS and LibreOffice put about a quarter em between 汉字 and digits


def text_width(text: str) -> float:
    """In characters of the font size: full-width 1, digits and Latin letters 1/2, plus the
    automatic space at each change between the two ("2019年7月15日" is 7.75, not 6.5)."""
    wide = [unicodedata.east_asian_width(ch) in "WF" for ch in text]
    changes = sum(a != b for a, b in zip(wide, wide[1:]))
    return sum(1.0 if w else 0.5 for w in wide) + AUTOSPACE * changes


def signature_indents(issuer: str, date: str) -> tuple[float, float]:
    """Right indents (in characters) of the 署名 and the date lines."""
    wi, wd = text_width(issuer), text_width(date)
    if wd + SHIFT_CHARS <= wi:
        return MARGIN_CHARS, MARGIN_CHARS + wi - SHIFT_CHARS - wd
    return MARGIN_CHARS + wd + SHIFT_CHARS - wi, MARGIN_CHARS


def align_signature(path: Path, issuer: str, date: str) -> bool:
    """Set the indents in the docx at `path`; True when the default signature block was found."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt
    doc = Document(str(path))
    paras = doc.paragraphs
    for first, second in zip(paras, paras[1:]):
        s1, s2 = first.style, second.style
        if (s1 is not None and s2 is not None and s1.name == s2.name == SIGNATURE_STYLE
                and first.text.strip() == issuer and second.text.strip() == date and issuer and date):
            if any((p.alignment or s.paragraph_format.alignment) != WD_ALIGN_PARAGRAPH.RIGHT
                   for p, s in ((first, s1), (second, s2))):
                return False
            size = (s2.font.size or Pt(16)).pt
            for p, chars in zip((first, second), signature_indents(issuer, date)):
                p.paragraph_format.right_indent = Pt(round(chars * size, 1))
            doc.save(str(path))
            return True
    return False
