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
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from defusedxml import ElementTree as ET

from toolkit.fillin import layout as L
from toolkit.fillin.fastxlsx import write_cells
from toolkit.errors import FILE_ENCRYPTED, InputFileError
from toolkit.fileio.filekind import ENCRYPTED, ODS, XLS, XLSM, XLSX, sniff
from toolkit.fillin.identityxml import (MAIN, calamine_meta_rows, custom_properties, ods_sources, parse_xml,
    shared_strings, sheet_part, sheet_rows)
from toolkit.fileio.zipscan import check_zip_limits, has_match

PROPERTIES, META_SHEET_STORE, DEFINED_NAME = "properties", "meta-sheet", "defined-name"
STORES = (PROPERTIES, META_SHEET_STORE, DEFINED_NAME)



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
        write_cells(ws, r, [(c, value, text_format) for c, value in enumerate(line)])
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
        raise InputFileError(f"{path.name}：文件设置了打开密码，无法识别。请让报送单位取消密码后重新发送。",
                             code=FILE_ENCRYPTED)
    result: dict[str, dict[str, str] | None] = dict.fromkeys(STORES)
    if kind in (XLSX, XLSM):
        props, meta_rows, names = _xlsx_sources(path)
    elif kind == ODS:
        props, names = ods_sources(path)
        meta_rows = calamine_meta_rows(path)
    elif kind == XLS:
        props, names = {}, {}
        meta_rows = calamine_meta_rows(path)
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
        rows = calamine_meta_rows(path)
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


_ERROR_ATTR = re.compile(rb"""t\s*=\s*["']e["']""")  # starts with a literal: 4× faster than from `\s`
# Found from each `_` (zipscan.has_match): 0.003 ms on a 330 KB shared-strings part, 0.09 by
# sre's literal search. Phonetic runs (<rPh>) need no scan: calamine leaves them out as
# inline_text does (tested).
_ESCAPE = re.compile(rb"_x")


def _error_cell(sheet: bytes) -> bool:
    """Whether a sheet part has a cell typed as an error (` t="e"`, any spacing or quotes)."""
    return any(m.start() and sheet[m.start() - 1:m.start()].isspace() for m in _ERROR_ATTR.finditer(sheet))


def _same_as_xml(rows: list[list], sheet: bytes | None, strings: bytes | None) -> bool:
    """Whether calamine's META_SHEET rows give the identity `sheet_rows` reads from this XML.

    calamine decodes `_xHHHH_`, keeps a raw carriage return, shows an error cell as "" and
    types numbers, booleans and dates; `sheet_rows` does none of that. So: no escape, CR
    or error cell in the parts, and every identity value plain text.
    """
    if sheet is None or _error_cell(sheet) or any(
            b"\r" in part or has_match(part, b"_", _ESCAPE) for part in (sheet, strings or b"")):
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
    props = custom_properties(read("docProps/custom.xml"))
    workbook = parse_xml(read("xl/workbook.xml"))
    if workbook is None:
        return props, [], {}
    defined = {d.get("name", ""): d.text or "" for d in workbook.iter(f"{MAIN}definedName")
               if d.get("localSheetId") is None}
    part = sheet_part(workbook, parse_xml(read("xl/_rels/workbook.xml.rels")), L.META_SHEET)
    rows: list[list] = []
    if part and part in names:
        strings = read("xl/sharedStrings.xml")
        sheet = read(part)
        if meta_rows is not None and _same_as_xml(meta_rows, sheet, strings):
            rows = meta_rows  # no second parse of the sheet and of every shared string
        else:
            rows = sheet_rows(parse_xml(sheet), shared_strings(strings))
    return props, rows, defined
