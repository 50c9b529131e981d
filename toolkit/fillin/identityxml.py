"""Where the identity stores are read from: the raw parts of a returned workbook.

xlsx/xlsm parts are parsed with the C ElementTree when they carry no DTD or entity
declaration (defusedxml otherwise); .ods gives its user-defined properties (meta.xml)
and named expressions (content.xml); .xls and .ods hidden-sheet rows come from
python-calamine. identity.py turns what these return into identities.
"""
from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as _StdET

from defusedxml import ElementTree as ET

from toolkit.fillin import layout as L
from toolkit.fileio.zipscan import check_zip_limits

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
CUSTOM = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}property"
ODF_META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
ODF_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")


def parse_xml(data: bytes | None):
    if data is None:
        return None
    try:
        if plain_xml(data):
            return _StdET.fromstring(data)  # the C parser: 5× faster than defusedxml's Python builder
        return ET.fromstring(data)
    except Exception:  # defusedxml raises its own types for DTDs and entities
        return None


def plain_xml(data: bytes) -> bool:
    """No DTD, no entity declaration, and an ASCII-compatible encoding (no NUL bytes up front):
    then defusedxml has nothing to forbid and the standard parser gives the same tree."""
    return b"<!DOCTYPE" not in data and b"<!ENTITY" not in data and b"\x00" not in data[:512]


def custom_properties(data: bytes | None) -> dict[str, str]:
    root = parse_xml(data)
    if root is None:
        return {}
    props = {}
    for prop in root.iter(CUSTOM):
        for child in prop:
            text = (child.text or "").strip()
            if child.tag.rsplit("}", 1)[-1] in ("r4", "r8", "decimal", "i1", "i2", "i4", "i8", "int"):
                text = number_text(text)  # a re-save may turn "3" into 3 or 3.0
            props[prop.get("name", "")] = text
    return props


def number_text(text: str) -> str:
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def sheet_part(workbook, rels, wanted: str) -> str | None:
    if rels is None:
        return None
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(PKG_REL)}
    for sheet in workbook.iter(f"{MAIN}sheet"):
        if (sheet.get("name") or "").strip().lower() == wanted.lower():
            target = targets.get(sheet.get(REL), "")
            if target.startswith("/"):
                return target.lstrip("/")
            return posixpath.normpath(posixpath.join("xl", target)) if target else None
    return None


def shared_strings(data: bytes | None) -> list[str]:
    root = parse_xml(data)
    if root is None:
        return []
    return [inline_text(si) for si in root.iter(f"{MAIN}si")]


def inline_text(node) -> str:
    """Text of an <si> or <is>: plain <t> and rich-text runs, without phonetic hints."""
    parts = []
    for child in node:
        if child.tag == f"{MAIN}t":
            parts.append(child.text or "")
        elif child.tag == f"{MAIN}r":
            parts.extend(t.text or "" for t in child.iter(f"{MAIN}t"))
    return "".join(parts)


def col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def sheet_rows(root, strings: list[str], max_cols: int = 3) -> list[list]:
    """The first `max_cols` columns of every row, as text (None for blanks)."""
    if root is None:
        return []
    rows: list[list] = []
    for row in root.iter(f"{MAIN}row"):
        values: list = [None] * max_cols
        col = -1
        for c in row.iter(f"{MAIN}c"):
            m = CELL_REF.match(c.get("r", ""))
            col = col_index(m.group(1)) if m else col + 1
            if col >= max_cols:
                continue
            kind, v = c.get("t"), c.find(f"{MAIN}v")
            if kind == "inlineStr":
                node = c.find(f"{MAIN}is")
                values[col] = inline_text(node) if node is not None else ""
            elif v is not None and v.text is not None:
                if kind == "s":
                    idx = int(v.text)
                    values[col] = strings[idx] if 0 <= idx < len(strings) else None
                else:
                    values[col] = v.text
        rows.append(values)
    return rows



# ---------------------------------------------------------------- ods and xls

def ods_sources(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(user-defined properties from meta.xml, named expressions from content.xml)."""
    props: dict[str, str] = {}
    names: dict[str, str] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            check_zip_limits(path, zf.infolist())
            members = set(zf.namelist())
            meta = parse_xml(zf.read("meta.xml")) if "meta.xml" in members else None
            if meta is not None:
                for node in meta.iter(f"{{{ODF_META}}}user-defined"):
                    text = (node.text or "").strip()
                    if node.get(f"{{{ODF_META}}}value-type") == "float":
                        text = number_text(text)
                    props[node.get(f"{{{ODF_META}}}name", "")] = text
            content = parse_xml(zf.read("content.xml")) if "content.xml" in members else None
            if content is not None:
                for node in content.iter(f"{{{ODF_TABLE}}}named-expression"):
                    names[node.get(f"{{{ODF_TABLE}}}name", "")] = node.get(f"{{{ODF_TABLE}}}expression", "")
    except (zipfile.BadZipFile, KeyError, RuntimeError, ValueError):
        pass
    return props, names


def calamine_meta_rows(path: Path) -> list[list]:
    from python_calamine import CalamineWorkbook
    try:
        wb = CalamineWorkbook.from_path(str(path))
        try:
            name = next((n for n in wb.sheet_names if n.strip().lower() == L.META_SHEET), None)
            if name is None:
                return []
            return [list(r[:3]) for r in wb.get_sheet_by_name(name).to_python(skip_empty_area=False)]
        finally:
            wb.close()
    except Exception:  # calamine raises its own error types for broken files
        return []
