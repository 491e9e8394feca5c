"""Ledgers (台账) as .xlsx: a sheet spec → the bytes of a workbook (openpyxl, write-only mode).

Write-only mode streams rows to the file instead of keeping a cell object per value, so a ledger
of many thousand rows stays small in memory. Every sheet gets bold Chinese headers, column widths,
a frozen header row and an autofilter; dates are written as date cells (yyyy-mm-dd), not text.
"""

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app.kit.timezone import CHINA

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Kind = Literal["text", "date", "datetime", "number", "decimal", "percent"]
FORMATS: dict[str, str] = {
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
    "number": "0",
    "decimal": "0.00",
    "percent": "0.0%",
}
HEADER_FONT = Font(name="宋体", bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
MAX_CELL_TEXT = 32_767  # Excel's limit on one cell's text


@dataclass(frozen=True)
class Column:
    """A column: its Chinese header, width (in characters) and the kind of its values."""

    header: str
    width: int = 14
    kind: Kind = "text"


@dataclass
class Sheet:
    """A sheet: a title (≤ 31 characters), its columns, its rows (an iterable, read once)."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]


def workbook(sheets: Sequence[Sheet]) -> bytes:
    """The .xlsx bytes of the sheets, in order."""
    book = Workbook(write_only=True)
    for sheet in sheets:
        _write_sheet(book.create_sheet(title=sheet.title[:31]), sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _write_sheet(worksheet: Any, sheet: Sheet) -> None:
    # Any: the stubs omit the write-only sheet's column_dimensions and auto_filter.
    for index, column in enumerate(sheet.columns, start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = column.width
    worksheet.freeze_panes = "A2"
    header = []
    for column in sheet.columns:
        cell = WriteOnlyCell(worksheet, value=column.header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        header.append(cell)
    worksheet.append(header)
    count = 0
    for row in sheet.rows:
        worksheet.append([_cell(worksheet, c, v) for c, v in zip(sheet.columns, row, strict=True)])
        count += 1
    last = get_column_letter(max(len(sheet.columns), 1))
    worksheet.auto_filter.ref = f"A1:{last}{count + 1}"


def _cell(worksheet: Any, column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.kind == "text":
        # A worksheet cannot hold C0 control characters (a title may): dropped, as in .docx.
        text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
        return text if len(text) <= MAX_CELL_TEXT else text[: MAX_CELL_TEXT - 1] + "…"
    if isinstance(value, datetime):
        # Excel has no time zones: officials read China time.
        value = value.astimezone(CHINA).replace(tzinfo=None)
    cell = WriteOnlyCell(worksheet, value=value)
    cell.number_format = FORMATS[column.kind]
    return cell


def content_disposition(filename: str) -> str:
    """An attachment header for a Chinese file name (RFC 6266 / RFC 5987), with an ASCII
    fallback for old clients."""
    fallback = filename.encode("ascii", "ignore").decode() or "download.xlsx"
    fallback = fallback.replace('"', "")
    if fallback.startswith("."):
        fallback = "ledger" + fallback
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def as_date(value: date | datetime | None) -> date | None:
    """A date cell's value from a date or an instant (its day in China)."""
    if isinstance(value, datetime):
        return value.astimezone(CHINA).date()
    return value
