"""
Every download the product writes, CSV or Excel, goes through here.

Two rules, whatever the download:

- Text stays text. Names, organisations, comments, a mail server's reply:
  anything that came from outside may start with =, +, -, @, a tab or a
  carriage return, which Excel and LibreOffice run as a formula (CSV or
  formula injection, OWASP). In a CSV such a value is written with a single
  quote before it, also when spaces or quotes come first; in a workbook
  every text is a string cell, never a formula. Characters no spreadsheet
  can hold (NUL and the other control characters but tab and line breaks)
  are left out. Every str is treated so, the product's own texts too: they
  never start that way, so nothing changes for them.
- Numbers stay numbers: an int, float or Decimal the product computed is a
  number cell in a workbook, and in a CSV a number written the way the
  file's readers read it (a decimal comma for Swedish Excel).

The CSV files are the kind Swedish Excel opens right with a double click:
UTF-8 with a byte-order mark, semicolons between the cells, decimal commas.
The international kind, for R, Python and other analysis tools, is offered
beside it where that helps: UTF-8 without the mark, commas, decimal points.
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext

# A value Excel may read as a formula or a command: =, +, -, @, tab or CR first, after any spaces or quotes.
FORMULA_START = re.compile(r"^[\s\"']*[=+\-@\t\r]")
# What no spreadsheet holds: the C0 control characters but tab, LF and CR, and DEL.
UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CSV_DELIMITER = ";"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Cell = str | int | float | Decimal | bool | None


def safe_text(value: str) -> str:
    """Outside text as it may stand in a CSV cell: never a formula, nothing a spreadsheet cannot hold."""
    value = UNWRITABLE.sub("", value)
    return "'" + value if FORMULA_START.match(value) else value


def csv_cell(value: Cell, *, decimal: str = ",") -> str:
    """One value as a cell of the product's CSV files."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", decimal)
    if isinstance(value, float):
        return "" if value != value else repr(value).replace(".", decimal)  # NaN: no number
    return safe_text(str(value))


class _Lines:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Sequence[Cell]], *, international: bool = False) -> Iterator[str]:
    """The CSV file of `rows`, line by line (for Swedish Excel the first line starts with the byte-order mark)."""
    writer = csv.writer(_Lines(), delimiter="," if international else CSV_DELIMITER)
    decimal = "." if international else ","
    first = True
    for row in rows:
        line = writer.writerow([csv_cell(value, decimal=decimal) for value in row])
        yield ("\ufeff" + line) if first and not international else line
        first = False


def csv_response(
    filename: str, rows: Iterable[Sequence[Cell]], *, stream: bool = False, international: bool = False
) -> HttpResponse:
    """A CSV download of `rows`; streamed (for many rows) when `stream`; for analysis tools when `international`."""
    response: HttpResponse
    lines = csv_lines(rows, international=international)
    if stream:
        response = StreamingHttpResponse(lines, content_type=CSV_CONTENT_TYPE)  # type: ignore[assignment]
    else:
        response = HttpResponse("".join(lines), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = attachment(filename)
    return response


def attachment(filename: str) -> str:
    """A Content-Disposition header for `filename`, which is kept to letters, digits, dots, hyphens and underscores."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)[:150] or "download"
    return f'attachment; filename="{safe}"'


class Workbook:
    """
    An Excel workbook written row by row (openpyxl's write-only mode, so
    memory stays flat): texts as string cells, never formulas; numbers as
    numbers, shown with `decimals` decimals where given.
    """

    def __init__(self):
        from openpyxl import Workbook as OpenpyxlWorkbook

        self.book = OpenpyxlWorkbook(write_only=True)

    def sheet(self, title: str, header: Sequence[str]) -> "Sheet":
        sheet = Sheet(self.book.create_sheet(_sheet_title(title)))
        sheet.append(header)
        return sheet

    def response(self, filename: str) -> HttpResponse:
        buffer = io.BytesIO()
        self.book.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = attachment(filename)
        return response


class Sheet:
    def __init__(self, sheet):
        self._sheet = sheet

    def append(self, row: Sequence[Cell], *, decimals: dict[int, int] | None = None) -> None:
        """One row; `decimals` maps a column (from 0) to the decimals its number is shown with."""
        from openpyxl.cell import WriteOnlyCell

        cells = []
        for column, value in enumerate(row):
            cell = WriteOnlyCell(self._sheet)
            if isinstance(value, str):
                cell.value = UNWRITABLE.sub("", value)
                cell.data_type = "s"  # a string cell, even for "=…": openpyxl would make it a formula
            elif isinstance(value, bool) or value is None:
                cell.value = value
            elif isinstance(value, int | float | Decimal):
                cell.value = value
                if decimals and column in decimals:
                    cell.number_format = "0." + "0" * decimals[column] if decimals[column] else "0"
            else:
                cell.value = UNWRITABLE.sub("", str(value))
                cell.data_type = "s"
            cells.append(cell)
        self._sheet.append(cells)


def _sheet_title(title: str) -> str:
    # Excel's rules for a sheet's name: at most 31 characters, none of []:*?/\
    return re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Blad"
