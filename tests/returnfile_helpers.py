"""Builders for returned workbooks, one per quirk, all made by code in tmp_path.

A real return is generated with toolkit.fillin.generate and filled with tests/sheets_helpers.fill_return
(openpyxl, as a clerk would). Quirks are then applied either with openpyxl (what a person
can do in Excel) or by rewriting the zip's XML (what only a broken or hostile file does).
"""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from toolkit.fillin import layout as L
from toolkit.quarter import Quarter

from .sheets_helpers import fill_return

Q2 = Quarter(2019, 2)
DEPT = "市住建局"  # 7 lead tasks (14-19, 43), 26 indicators
FIRST_TASK = 14


def generate(tmp_path: Path, plan, dept: str = DEPT, quarter: Quarter = Q2, previous=None) -> Path:
    """A blank generated fill-in workbook for one department."""
    from toolkit.fillin.generate import generate_sheets
    out = tmp_path / f"gen-{len(list(tmp_path.glob('gen-*')))}"
    return generate_sheets(plan, quarter, out, departments=[dept], previous=previous)[0].path


def filled(tmp_path: Path, plan, name: str = "return.xlsx", dept: str = DEPT, quarter: Quarter = Q2,
           **kwargs) -> Path:
    """A fully filled return (defaults for every row), saved as tmp_path/name."""
    src = generate(tmp_path, plan, dept, quarter)
    return fill_return(src, fill_all=True, out=tmp_path / name, **kwargs)


# ---------------------------------------------------------------- edits a person can make

def edit(path: Path, out: Path, fn) -> Path:
    """Open with openpyxl, call fn(workbook), save to out: protection is no obstacle to code."""
    import openpyxl
    wb = openpyxl.load_workbook(path)
    fn(wb)
    wb.save(out)
    return out


def row_of(ws, key: str) -> int:
    """Sheet row (1-based) holding a row key."""
    key_col = next(c.column for c in ws[L.HEADER_ROW] if c.value == L.ROW_KEY_HEADER)
    for r in range(L.HEADER_ROW + 1, ws.max_row + 1):
        if ws.cell(r, key_col).value == key:
            return r
    raise KeyError(key)


def col_of(ws, header: str) -> int:
    return next(c.column for c in ws[L.HEADER_ROW] if c.value == header)


def cell_of(path: Path, sheet: str, key: str, header: str) -> str:
    import openpyxl
    from openpyxl.utils import get_column_letter
    ws = openpyxl.load_workbook(path)[sheet]
    return f"{get_column_letter(col_of(ws, header))}{row_of(ws, key)}"


def set_input(path: Path, out: Path, sheet: str, key: str, header: str, value, number_format: str | None = None,
              as_text: bool = False) -> Path:
    def fn(wb):
        ws = wb[sheet]
        cell = ws.cell(row_of(ws, key), col_of(ws, header))
        cell.value = value
        if as_text:
            cell.data_type = "s"  # keep "=..." as text, as a quote-prefixed cell is
        if number_format:
            cell.number_format = number_format
    return edit(path, out, fn)


def pasted_into_new_workbook(path: Path, out: Path, *, keep_above_header: bool = True,
                             only_keys: set[str] | None = None) -> Path:
    """Values copied into a brand-new workbook: every trace of the identity is gone."""
    import openpyxl
    src = openpyxl.load_workbook(path)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name in (L.PROGRESS_SHEET, L.INDICATOR_SHEET):
        ws_in, ws_out = src[name], wb.create_sheet(name)
        key_col = col_of(ws_in, L.ROW_KEY_HEADER)
        r_out = 1
        for r in range(1, ws_in.max_row + 1):
            if r < L.HEADER_ROW and not keep_above_header:
                continue
            key = ws_in.cell(r, key_col).value
            if only_keys is not None and r > L.HEADER_ROW and key not in only_keys:
                continue
            for c in range(1, ws_in.max_column + 1):
                ws_out.cell(r_out, c).value = ws_in.cell(r, c).value
            r_out += 1
    wb.save(out)
    return out


# ---------------------------------------------------------------- edits only a broken or hostile file has

def rewrite(path: Path, out: Path, parts: dict | None = None, *, add: dict | None = None,
            drop: tuple[str, ...] = (), infos: dict | None = None) -> Path:
    """Copy a zip, replacing parts (bytes or fn(bytes) -> bytes), adding and dropping members."""
    parts, add = parts or {}, add or {}
    with zipfile.ZipFile(path) as zf:
        missing = set(parts) - set(zf.namelist())
    assert not missing, f"no part {missing} in {path}"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            data = zin.read(info)
            if info.filename in parts:
                new = parts[info.filename]
                data = new(data) if callable(new) else new
            zout.writestr(info.filename, data)
        for name, data in add.items():
            zout.writestr(name, data)
    return out


def sheet_part(path: Path, sheet: str) -> str:
    """The zip part of a sheet, from workbook.xml and its rels (parsed: names may be char refs)."""
    import posixpath
    import xml.etree.ElementTree as ET
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel_id = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    with zipfile.ZipFile(path) as zf:
        wb = ET.fromstring(zf.read("xl/workbook.xml"))
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    rid = next(s.get(rel_id) for s in wb.iter(f"{main}sheet") if s.get("name") == sheet)
    target = next(r.get("Target") for r in rels if r.get("Id") == rid)
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))


def set_cell_xml(path: Path, out: Path, sheet: str, ref: str, cell_xml: str) -> Path:
    """Replace one <c> element (e.g. a formula with a cached #DIV/0!) in a sheet's XML."""
    part = sheet_part(path, sheet)

    def fn(data: bytes) -> bytes:
        text = data.decode()
        pattern = re.compile(rf'<c r="{ref}"(?: [^>]*)?(?:/>|>.*?</c>)', re.S)
        assert pattern.search(text), f"no cell {ref} in {part}"
        return pattern.sub(cell_xml, text, count=1).encode()
    return rewrite(path, out, {part: fn})


BILLION_LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10))
                  + ']>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
                  'uniqueCount="1"><si><t>&lol9;</t></si></sst>')
XXE = ('<?xml version="1.0"?>\n<!DOCTYPE sst [<!ENTITY x SYSTEM "file:///etc/hostname">]>\n'
       '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&x;</t></si></sst>')


def padded_sheet(path: Path, out: Path, megabytes: int) -> Path:
    """A sheet part padded with spaces: tiny compressed, huge inflated (a zip bomb)."""
    part = sheet_part(path, L.PROGRESS_SHEET)
    pad = b" " * (megabytes * 1024 * 1024)
    return rewrite(path, out, {part: lambda d: d.replace(b"<sheetData>", b"<sheetData>" + pad, 1)})


def forge_declared_size(path: Path, out: Path, part: str, size: int) -> Path:
    """Patch the declared uncompressed size of one member in both headers."""
    data = bytearray(Path(path).read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo(part)
    name = part.encode()
    # local header: signature PK\3\4, size at offset 22
    local = info.header_offset
    data[local + 22:local + 26] = size.to_bytes(4, "little")
    # central directory entry: find the signature PK\1\2 followed later by the name
    pos = 0
    while True:
        pos = data.find(b"PK\x01\x02", pos)
        if pos < 0:
            break
        n = int.from_bytes(data[pos + 28:pos + 30], "little")
        if bytes(data[pos + 46:pos + 46 + n]) == name:
            data[pos + 24:pos + 28] = size.to_bytes(4, "little")
        pos += 4
    Path(out).write_bytes(bytes(data))
    return out


def million_rows(path: Path, out: Path, rows: int = 1_048_576) -> Path:
    """The progress sheet with a row element for every row Excel allows."""
    part = sheet_part(path, L.PROGRESS_SHEET)
    extra = b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (r, r) for r in range(100, 100 + rows))

    def fn(data: bytes) -> bytes:
        return data.replace(b"</sheetData>", extra + b"</sheetData>", 1)
    return rewrite(path, out, {part: fn})


def wrong_crc(path: Path, out: Path, part: str) -> Path:
    """The part's CRC-32 changed in the central directory: its bytes no longer match it
    (what a bit flipped in transit looks like to a reader)."""
    data = bytearray(Path(path).read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(part)
    central = data.find(b"PK\x01\x02")
    while central != -1:  # find this part's central directory entry
        name_len = int.from_bytes(data[central + 28:central + 30], "little")
        if bytes(data[central + 46:central + 46 + name_len]).decode("utf-8", "replace") == part:
            data[central + 16:central + 20] = ((info.CRC ^ 0xFFFF) & 0xFFFFFFFF).to_bytes(4, "little")
            break
        central = data.find(b"PK\x01\x02", central + 4)
    Path(out).write_bytes(bytes(data))
    return out


def far_cell(path: Path, out: Path, ref: str, *, sep: bytes = b" ") -> Path:
    """One value typed far from the table (e.g. after Ctrl+End) on the progress sheet."""
    part = sheet_part(path, L.PROGRESS_SHEET)
    row = int(re.sub(r"[A-Z]", "", ref))
    extra = b'<row%sr="%d"><c%sr="%s" t="n"><v>1</v></c></row>' % (sep, row, sep, ref.encode())
    return rewrite(path, out, {part: lambda d: d.replace(b"</sheetData>", extra + b"</sheetData>", 1)})


def set_dimension(path: Path, out: Path, ref: str) -> Path:
    part = sheet_part(path, L.PROGRESS_SHEET)
    return rewrite(path, out, {part: lambda d: re.sub(rb'<dimension ref="[^"]*"/>',
                                                      b'<dimension ref="%s"/>' % ref.encode(), d)})


def encrypt(path: Path, out: Path, password: str) -> Path:
    import msoffcrypto
    from msoffcrypto.format.ooxml import OOXMLFile
    with open(path, "rb") as src, open(out, "wb") as dst:
        OOXMLFile(src).encrypt(password, dst)
    assert msoffcrypto.OfficeFile(open(out, "rb")).is_encrypted()
    return out


def strict(path: Path, out: Path) -> Path:
    """Rewrite the main namespace to Strict OOXML's, as Excel's "Strict Open XML" save does."""
    transitional = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    strict_ns = b"http://purl.oclc.org/ooxml/spreadsheetml/main"
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if n.startswith("xl/") and n.endswith(".xml")]
    return rewrite(path, out, {n: (lambda d: d.replace(transitional, strict_ns)) for n in names})


def docx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        zf.writestr("word/document.xml", '<?xml version="1.0"?><document/>')
    return buf.getvalue()


def _spellings(text: str) -> list[bytes]:
    """A string as raw UTF-8 and as numeric character references (openpyxl writes the latter)."""
    refs = "".join(ch if ord(ch) < 128 else f"&#{ord(ch)};" for ch in text)
    return [text.encode(), refs.encode()]


def _replace_all(data: bytes, old: str, new: str, wrap: str = "{}") -> bytes:
    for a, b in zip(_spellings(wrap.format(old)), _spellings(wrap.format(new))):
        data = data.replace(a, b)
    return data


def _identity_parts(path: Path) -> list[str]:
    """docProps/custom.xml, workbook.xml (defined name) and the META_SHEET's part."""
    return ["docProps/custom.xml", "xl/workbook.xml", sheet_part(path, L.META_SHEET)]


def with_department(path: Path, out: Path, dept: str, old: str = DEPT) -> Path:
    """Every identity store says another department; the sheets still show the old one."""
    wraps = {"docProps/custom.xml": ">{}</vt:lpwstr>", "xl/workbook.xml": "|{}|"}
    parts = {part: (lambda d, w=wraps.get(part, "<t>{}</t>"): _replace_all(d, old, dept, w))  # noqa: B008  (binds each part's wrap)
             for part in _identity_parts(path)}
    return rewrite(path, out, parts)


def with_identity_value(path: Path, out: Path, old: str, new: str) -> Path:
    """Change one identity value (quarter, plan_id, fingerprint) in all three stores."""
    return rewrite(path, out, {part: (lambda d: _replace_all(d, old, new)) for part in _identity_parts(path)})


def ods_repeat_bomb(out: Path, rows: int = 1_000_000, cols: int = 100) -> Path:
    """A tiny .ods whose one filled row is declared repeated `rows` times (expands to rows x cols)."""
    return _ods(out, f'<table:table-row table:number-rows-repeated="{rows}">'
                f'<table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="{cols}">'
                '<text:p>1</text:p></table:table-cell></table:table-row>')


def ods_far_cell(out: Path) -> Path:
    """A tiny .ods with one value at row 1,048,001, column 16,001: empty repeats before it."""
    return _ods(out, '<table:table-row table:number-rows-repeated="1048000"><table:table-cell '
                'table:number-columns-repeated="16000"/></table:table-row><table:table-row><table:table-cell '
                'table:number-columns-repeated="16000"/><table:table-cell office:value-type="float" '
                'office:value="1"><text:p>1</text:p></table:table-cell></table:table-row>')


def _ods(out: Path, rows_xml: str) -> Path:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="进展填报">' + rows_xml +
        '</table:table></office:spreadsheet></office:body></office:document-content>')
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", content)
        zf.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest '
                    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
    return out


def recompress(path: Path, out: Path, part: str, method: int) -> Path:
    """Store one member with another compression method (e.g. bzip2, which Office never uses)."""
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info), compress_type=method if info.filename == part else None)
    return out


def flag_encrypted(path: Path, out: Path, part: str) -> Path:
    """Set the "encrypted" general-purpose flag of one member (a password-protected zip entry)."""
    data = bytearray(Path(path).read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        local = zf.getinfo(part).header_offset
    data[local + 6] |= 1
    name, pos = part.encode(), 0
    while (pos := data.find(b"PK\x01\x02", pos)) >= 0:
        n = int.from_bytes(data[pos + 28:pos + 30], "little")
        if bytes(data[pos + 46:pos + 46 + n]) == name:
            data[pos + 8] |= 1
        pos += 4
    Path(out).write_bytes(bytes(data))
    return out
