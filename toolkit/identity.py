"""The identity embedded in every fill-in workbook: written three times, read from any one.

Stores (see layout.py): custom document properties (`properties`), the hidden sheet
META_SHEET (`meta-sheet`) and the defined name IDENTITY_NAME (`defined-name`).
Readers never need openpyxl for a path: .xlsx is read from its raw zip XML (fast,
and tolerant of LibreOffice/WPS re-saves), .xls/.ods through python-calamine plus,
for .ods, meta.xml and content.xml. `identity_from_workbook` reads an openpyxl
workbook that a caller has already loaded.

The META_SHEET also holds what a reader needs when a clerk moved things about:
  sheet.<role>          the sheet names (roles: guide, progress, indicator)
  columns.<sheet>       JSON {header: column letter}
  contact               JSON {填报人: "进展填报!C3", ...}
  row.<sheet> | key | n one line per data row: its stable key and sheet row number
"""
from __future__ import annotations

import json
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as _StdET

from defusedxml import ElementTree as ET

from . import layout as L
from .errors import InputFileError
from .filekind import ENCRYPTED, ODS, XLS, XLSM, XLSX, sniff
from .zipscan import check_zip_limits

PROPERTIES, META_SHEET_STORE, DEFINED_NAME = "properties", "meta-sheet", "defined-name"
STORES = (PROPERTIES, META_SHEET_STORE, DEFINED_NAME)

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_CUSTOM = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}property"
_ODF_META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
_ODF_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")


@dataclass
class WorkbookMeta:
    """Everything the META_SHEET holds, parsed."""
    identity: dict[str, str]
    sheets: dict[str, str] = field(default_factory=dict)  # role -> sheet name
    columns: dict[str, dict[str, str]] = field(default_factory=dict)  # sheet -> header -> letter
    rows: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # sheet -> [(key, row)]
    contact: dict[str, str] = field(default_factory=dict)  # field -> "sheet!A1"
    values: dict[str, str] = field(default_factory=dict)  # every other key -> value


# ---------------------------------------------------------------- writing

def write_identity(wb, meta: dict[str, str], *, sheets: dict[str, str],
                   columns: dict[str, dict[str, str]], rows: dict[str, list[tuple[str, int]]],
                   contact: dict[str, str], extra: dict[str, str] | None = None, text_format=None) -> None:
    """Write the identity into an xlsxwriter workbook: properties, hidden sheet, defined name."""
    meta = {k: str(meta.get(k, "")) for k in L.META_KEYS}
    for key in L.META_KEYS:
        wb.set_custom_property(L.PROPERTY_PREFIX + key, meta[key] or "-")
    constant = L.identity_string(meta).replace('"', '""')
    if len(constant) <= 250:  # Excel's limit for a string constant in a formula is 255
        wb.define_name(L.IDENTITY_NAME, f'="{constant}"')
    lines: list[tuple[str, ...]] = [(k, meta[k]) for k in L.META_KEYS]
    lines += [(f"sheet.{role}", name) for role, name in sheets.items()]
    lines.append(("header_row", str(L.HEADER_ROW)))
    lines += [(f"columns.{s}", json.dumps(m, ensure_ascii=False)) for s, m in columns.items()]
    lines.append(("contact", json.dumps(contact, ensure_ascii=False)))
    lines += list((extra or {}).items())
    for sheet, keyed in rows.items():
        lines += [(f"row.{sheet}", key, str(n)) for key, n in keyed]
    ws = wb.add_worksheet(L.META_SHEET)
    for r, line in enumerate(lines):
        for c, value in enumerate(line):
            ws.write_string(r, c, value, text_format)
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 60)
    ws.protect()
    ws.very_hidden()


# ---------------------------------------------------------------- reading a path

def read_identity(path: Path) -> tuple[dict[str, str] | None, str]:
    """The identity of a returned file and the store it came from, or (None, "").

    Tries properties, then the meta sheet, then the defined name; the first complete
    one wins. Raises InputFileError for files that are not spreadsheets or are encrypted.
    """
    found = read_identity_all(path)
    for store in STORES:
        if found.get(store):
            return found[store], store
    return None, ""


def read_identity_all(path: Path) -> dict[str, dict[str, str] | None]:
    """The identity as found in each store (None where missing or unreadable)."""
    path = Path(path)
    kind = sniff(path)
    if kind == ENCRYPTED:
        raise InputFileError(f"{path.name}：文件设置了打开密码，无法识别。请让报送单位取消密码后重新发送。")
    result: dict[str, dict[str, str] | None] = dict.fromkeys(STORES)
    if kind in (XLSX, XLSM):
        props, meta_rows, names = _xlsx_sources(path)
    elif kind == ODS:
        props, names = _ods_sources(path)
        meta_rows = _calamine_meta_rows(path)
    elif kind == XLS:
        props, names = {}, {}
        meta_rows = _calamine_meta_rows(path)
    else:
        return result
    result[PROPERTIES] = _from_properties(props)
    result[META_SHEET_STORE] = _from_meta_rows(meta_rows)
    result[DEFINED_NAME] = _from_defined_name(names.get(L.IDENTITY_NAME))
    return result


def read_meta(path: Path) -> WorkbookMeta | None:
    """Parse the whole META_SHEET of a returned file (None when the sheet is gone)."""
    path = Path(path)
    kind = sniff(path)
    if kind in (XLSX, XLSM):
        rows = _xlsx_sources(path)[1]
    elif kind in (XLS, ODS):
        rows = _calamine_meta_rows(path)
    else:
        return None
    return parse_meta_rows(rows) if rows else None


def identity_from_workbook(wb) -> tuple[dict[str, str] | None, str]:
    """Like read_identity, for an already loaded openpyxl workbook."""
    props = {}
    for prop in getattr(getattr(wb, "custom_doc_props", None), "props", []) or []:
        props[prop.name] = prop.value
    meta_rows = []
    sheet = next((wb[n] for n in wb.sheetnames if n.strip().lower() == L.META_SHEET), None)
    if sheet is not None:
        meta_rows = [list(r) for r in sheet.iter_rows(min_col=1, max_col=3, max_row=20000, values_only=True)]
    defined = wb.defined_names.get(L.IDENTITY_NAME)
    for store, meta in ((PROPERTIES, _from_properties(props)), (META_SHEET_STORE, _from_meta_rows(meta_rows)),
                        (DEFINED_NAME, _from_defined_name(defined.attr_text if defined is not None else None))):
        if meta:
            return meta, store
    return None, ""


# ---------------------------------------------------------------- parsing the stores

def _text(value) -> str:
    """A store value as text: 3.0 -> "3", None -> ""."""
    if type(value) is str:  # the usual case, first
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _complete(meta: dict[str, str]) -> dict[str, str] | None:
    required = ("format", "plan_id", "department", "quarter")
    return meta if all(meta.get(k) and meta[k] != "-" for k in required) else None


def _from_properties(props: dict) -> dict[str, str] | None:
    if not props:
        return None
    meta = {k: _text(props.get(L.PROPERTY_PREFIX + k)) for k in L.META_KEYS}
    meta = {k: ("" if v == "-" else v) for k, v in meta.items()}
    return _complete(meta)


def _from_meta_rows(rows: list[list]) -> dict[str, str] | None:
    if not rows:
        return None
    keyed = [r for r in rows if len(r) and _text(r[0]) in L.META_KEYS]  # only these rows make the identity
    return _complete(parse_meta_rows(keyed).identity)


def parse_meta_rows(rows: list[list]) -> WorkbookMeta:
    """Turn the META_SHEET's rows (column A key, B value, C extra) into a WorkbookMeta."""
    meta = WorkbookMeta(identity={})
    for row in rows:
        key = _text(row[0]) if len(row) else ""
        if not key:
            continue
        value = _text(row[1]) if len(row) > 1 else ""
        if key in L.META_KEYS:
            meta.identity[key] = value
        elif key.startswith("sheet."):
            meta.sheets[key[6:]] = value
        elif key.startswith("columns."):
            meta.columns[key[8:]] = _json(value, {})
        elif key == "contact":
            meta.contact = _json(value, {})
        elif key.startswith("row.") and value:
            extra = _text(row[2]) if len(row) > 2 else ""
            meta.rows.setdefault(key[4:], []).append((value, int(extra) if extra.isdigit() else 0))
        else:
            meta.values[key] = value
    meta.identity = {k: meta.identity.get(k, "") for k in L.META_KEYS}
    return meta


def _json(text: str, default):
    try:
        value = json.loads(text)
    except ValueError:
        return default
    return value if isinstance(value, type(default)) else default


def _from_defined_name(text: str | None) -> dict[str, str] | None:
    """Parse the constant however the saving program quoted it: ="…", "…", '…', of:="…"."""
    if not text:
        return None
    text = text.strip()
    for prefix in ("of:", "="):
        if text.lower().startswith(prefix):
            text = text[len(prefix):].strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].replace(text[0] * 2, text[0])
    parsed = L.parse_identity_string(text)
    return _complete({k: ("" if v == "-" else v) for k, v in parsed.items()}) if parsed else None


# ---------------------------------------------------------------- xlsx from raw XML

def read_identity_checked(zf, meta_rows: list[list] | None):
    """read_identity_all for an xlsx/xlsm that passed safeio.preflight(keep_parts=True): the
    XML parts come from its CheckedZip `zf` (inflated and checked once), and the META_SHEET rows
    the caller read with calamine (`meta_rows`, None if cut short) are used when equivalent."""
    result: dict[str, dict[str, str] | None] = dict.fromkeys(STORES)
    try:
        props, rows, names = _sources(zf, meta_rows)
    except (zipfile.BadZipFile, KeyError, RuntimeError, ValueError, ET.ParseError):
        props, rows, names = {}, [], {}
    result[PROPERTIES] = _from_properties(props)
    result[META_SHEET_STORE] = _from_meta_rows(rows)
    result[DEFINED_NAME] = _from_defined_name(names.get(L.IDENTITY_NAME))
    return result


_ERROR_CELL = re.compile(rb"""\st\s*=\s*["']e["']""")
# sre's literal search: twice as fast as `bytes in` on a 330 KB shared-strings part (0.1 ms).
# Phonetic runs (<rPh>) need no scan: calamine leaves them out as _inline_text does (tested).
_ESCAPE = re.compile(rb"_x")


def _same_as_xml(rows: list[list], sheet: bytes | None, strings: bytes | None) -> bool:
    """Whether calamine's META_SHEET rows give the identity `_sheet_rows` reads from this XML.

    calamine decodes `_xHHHH_`, keeps a raw carriage return, shows an error cell as "" and
    types numbers, booleans and dates; `_sheet_rows` does none of that. So: no escape, CR
    or error cell in the parts, and every identity value plain text.
    """
    if sheet is None or _ERROR_CELL.search(sheet) or any(
            b"\r" in part or _ESCAPE.search(part) for part in (sheet, strings or b"")):
        return False
    for row in rows:
        if row and isinstance(row[0], str) and row[0].strip() in L.META_KEYS and len(row) > 1:
            value = row[1]
            if value is not None and not (isinstance(value, str) and value.isprintable() and "_x" not in value):
                return False
    return True


def _xlsx_sources(path: Path) -> tuple[dict, list[list], dict[str, str]]:
    """(custom properties, META_SHEET rows, defined names) straight from the zip at `path`."""
    try:
        with zipfile.ZipFile(path) as zf:
            check_zip_limits(path, zf.infolist())
            return _sources(zf)
    except (zipfile.BadZipFile, KeyError, RuntimeError, ValueError, ET.ParseError):
        return {}, [], {}


def _sources(zf, meta_rows: list[list] | None = None) -> tuple[dict, list[list], dict[str, str]]:
    """_xlsx_sources from an open zip (a zipfile.ZipFile or safeio.CheckedZip). With
    `meta_rows`, the META_SHEET and the shared strings are not parsed at all when equivalent."""
    names = set(zf.namelist())
    read = lambda part: zf.read(part) if part in names else None  # noqa: E731
    props = _custom_properties(read("docProps/custom.xml"))
    workbook = _xml(read("xl/workbook.xml"))
    if workbook is None:
        return props, [], {}
    defined = {d.get("name", ""): d.text or "" for d in workbook.iter(f"{_MAIN}definedName")
               if d.get("localSheetId") is None}
    sheet_part = _sheet_part(workbook, _xml(read("xl/_rels/workbook.xml.rels")), L.META_SHEET)
    rows: list[list] = []
    if sheet_part and sheet_part in names:
        strings = read("xl/sharedStrings.xml")
        sheet = read(sheet_part)
        if meta_rows is not None and _same_as_xml(meta_rows, sheet, strings):
            rows = meta_rows  # no second parse of the sheet and of every shared string
        else:
            rows = _sheet_rows(_xml(sheet), _shared_strings(strings))
    return props, rows, defined


def _xml(data: bytes | None):
    if data is None:
        return None
    try:
        if _plain_xml(data):
            return _StdET.fromstring(data)  # the C parser: 5× faster than defusedxml's Python builder
        return ET.fromstring(data)
    except Exception:  # defusedxml raises its own types for DTDs and entities
        return None


def _plain_xml(data: bytes) -> bool:
    """No DTD, no entity declaration, and an ASCII-compatible encoding (no NUL bytes up front):
    then defusedxml has nothing to forbid and the standard parser gives the same tree."""
    return b"<!DOCTYPE" not in data and b"<!ENTITY" not in data and b"\x00" not in data[:512]


def _custom_properties(data: bytes | None) -> dict[str, str]:
    root = _xml(data)
    if root is None:
        return {}
    props = {}
    for prop in root.iter(_CUSTOM):
        for child in prop:
            text = (child.text or "").strip()
            if child.tag.rsplit("}", 1)[-1] in ("r4", "r8", "decimal", "i1", "i2", "i4", "i8", "int"):
                text = _number_text(text)  # a re-save may turn "3" into 3 or 3.0
            props[prop.get("name", "")] = text
    return props


def _number_text(text: str) -> str:
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def _sheet_part(workbook, rels, wanted: str) -> str | None:
    if rels is None:
        return None
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(_PKG_REL)}
    for sheet in workbook.iter(f"{_MAIN}sheet"):
        if (sheet.get("name") or "").strip().lower() == wanted.lower():
            target = targets.get(sheet.get(_REL), "")
            if target.startswith("/"):
                return target.lstrip("/")
            return posixpath.normpath(posixpath.join("xl", target)) if target else None
    return None


def _shared_strings(data: bytes | None) -> list[str]:
    root = _xml(data)
    if root is None:
        return []
    return [_inline_text(si) for si in root.iter(f"{_MAIN}si")]


def _inline_text(node) -> str:
    """Text of an <si> or <is>: plain <t> and rich-text runs, without phonetic hints."""
    parts = []
    for child in node:
        if child.tag == f"{_MAIN}t":
            parts.append(child.text or "")
        elif child.tag == f"{_MAIN}r":
            parts.extend(t.text or "" for t in child.iter(f"{_MAIN}t"))
    return "".join(parts)


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _sheet_rows(root, strings: list[str], max_cols: int = 3) -> list[list]:
    """The first `max_cols` columns of every row, as text (None for blanks)."""
    if root is None:
        return []
    rows: list[list] = []
    for row in root.iter(f"{_MAIN}row"):
        values: list = [None] * max_cols
        col = -1
        for c in row.iter(f"{_MAIN}c"):
            m = _CELL_REF.match(c.get("r", ""))
            col = _col_index(m.group(1)) if m else col + 1
            if col >= max_cols:
                continue
            kind, v = c.get("t"), c.find(f"{_MAIN}v")
            if kind == "inlineStr":
                node = c.find(f"{_MAIN}is")
                values[col] = _inline_text(node) if node is not None else ""
            elif v is not None and v.text is not None:
                if kind == "s":
                    idx = int(v.text)
                    values[col] = strings[idx] if 0 <= idx < len(strings) else None
                else:
                    values[col] = v.text
        rows.append(values)
    return rows


# ---------------------------------------------------------------- ods and xls

def _ods_sources(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(user-defined properties from meta.xml, named expressions from content.xml)."""
    props: dict[str, str] = {}
    names: dict[str, str] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            check_zip_limits(path, zf.infolist())
            members = set(zf.namelist())
            meta = _xml(zf.read("meta.xml")) if "meta.xml" in members else None
            if meta is not None:
                for node in meta.iter(f"{{{_ODF_META}}}user-defined"):
                    text = (node.text or "").strip()
                    if node.get(f"{{{_ODF_META}}}value-type") == "float":
                        text = _number_text(text)
                    props[node.get(f"{{{_ODF_META}}}name", "")] = text
            content = _xml(zf.read("content.xml")) if "content.xml" in members else None
            if content is not None:
                for node in content.iter(f"{{{_ODF_TABLE}}}named-expression"):
                    names[node.get(f"{{{_ODF_TABLE}}}name", "")] = node.get(f"{{{_ODF_TABLE}}}expression", "")
    except (zipfile.BadZipFile, KeyError, RuntimeError, ValueError):
        pass
    return props, names


def _calamine_meta_rows(path: Path) -> list[list]:
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
