"""
Reading the participant lists that regional leads upload.

The lists come as CSV or Excel (.xlsx) files, saved the way Swedish offices
save them: semicolon- or comma-separated, in UTF-8 or Windows-1252, with
Swedish or English column names. `parse_participant_file` turns the bytes
into a report of valid rows, rejected rows with a reason each, or one error
for the file as a whole. It never touches the database and never raises for
any input bytes; storing the valid rows is the caller's business.

All messages are translatable (English msgids) and are translated when the
file is parsed, into the language active then.
"""

import codecs
import csv
import io
import logging
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .addresses import address_key, clean_address
from .workbook_counts import WorkbookCounts, count_workbook

logger = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 100_000
MAX_TEXT_LENGTH = 200  # names and organisations
# Empty rows are skipped, but not without end: a file of more than
# MAX_ROWS + MAX_BLANK_ROWS rows, blank ones included, is refused.
MAX_BLANK_ROWS = 1_000
# An .xlsx is a zip archive. One that holds far more than a real list of
# MAX_ROWS participants would is refused before openpyxl reads it: its
# unpacked size, its shared strings (a list's distinct texts: emails, names,
# organisations), the rows of any sheet (blank ones included), its cells, the
# cells of one row and its XML elements in all (styles and the rest).
MAX_XLSX_UNPACKED_BYTES = 25 * MAX_BYTES
MAX_XLSX_SHARED_STRINGS = 5 * MAX_ROWS
MAX_XLSX_CELLS = 10 * MAX_ROWS
MAX_XLSX_ROW_CELLS = 1_000
MAX_XLSX_ELEMENTS = 100 * MAX_ROWS

EMAIL, NAME, ORGANISATION, LEVEL = "email", "name", "organisation", "level"
COLUMNS = (EMAIL, NAME, ORGANISATION, LEVEL)

# Header names, compared after _header_key: lower-cased, without spaces, hyphens, underscores, dots, colons, stars.
HEADER_ALIASES = {
    **dict.fromkeys(
        ["epost", "epostadress", "email", "emailadress", "emailaddress", "mail", "mailadress", "mejl", "mejladress"],
        EMAIL,
    ),
    **dict.fromkeys(["namn", "name"], NAME),
    **dict.fromkeys(["organisation", "organization", "org"], ORGANISATION),
    **dict.fromkeys(["nivå", "niva", "level"], LEVEL),
}

# Levels, compared after _header_key as well. "Landsting" is what a region was called before 2019.
LEVELS = {
    **dict.fromkeys(
        ["kommun", "kommunal", "kommunen", "kommunnivå", "kommunalnivå", "k", "municipal", "municipality", "local"],
        "kommun",
    ),
    **dict.fromkeys(
        ["region", "regional", "regionen", "regionnivå", "regionalnivå", "r", "landsting", "landstinget", "county"],
        "region",
    ),
    "": "",
}

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (and other old Office files)
CSV_DELIMITERS = (";", ",", "\t")  # in order of preference when a header line has as many of each

# Characters that do not occur in a text file but do in binary data (C0 and C1 controls except tab and line breaks).
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_HEADER_NOISE = re.compile(r"[\s\-_.:*\u200b\u200c\u200d\u2060\ufeff]+")
_SEP_HINT = re.compile(r"sep=(.)", re.IGNORECASE)  # Excel's optional first line, e.g. "sep=;"


@dataclass(frozen=True, slots=True)
class ImportRow:
    """A valid row, normalised."""

    line: int  # the line (CSV) or row (Excel) number a person sees: header = 1, first data row = 2
    email: str  # stripped, domain lower-cased, local part as typed
    name: str
    organisation: str
    level: str  # "kommun", "region" or "" when not given or not understood
    warning: str = ""  # a translated note for the lead, e.g. a level that was not understood and left empty


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row that cannot be imported, with what it held and why (a translated message)."""

    line: int
    values: dict  # recognised column (canonical name) -> the cell's text as read
    reason: str


@dataclass
class ImportReport:
    """
    The outcome of reading one file.

    When the file as a whole cannot be used, `error` holds the reason and
    `valid`, `rejected` and `columns` are empty. Otherwise `error` is None,
    `columns` lists the recognised columns found (canonical names, in the
    order email, name, organisation, level) and every non-blank data row is
    in exactly one of `valid` and `rejected`, each in file order.
    """

    valid: list[ImportRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    error: str | None = None
    columns: list[str] = field(default_factory=list)


class _FileError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class _Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (line, cells) for each non-blank data row
    strict_width: bool  # CSV: non-empty cells beyond the header mean the row was split wrongly


def parse_participant_file(
    *, data: bytes, filename: str, existing_emails: Collection[str], elsewhere_emails: Collection[str] = ()
) -> ImportReport:
    """
    Read a participant list (CSV or .xlsx) into an ImportReport.

    `filename` is the name the file was uploaded with; the content decides
    the type (a zip is read as .xlsx, anything else as CSV text), the name
    only helps to refuse a ".xlsx" that is not a zip. `existing_emails` are
    the addresses already in the lead's region, `elsewhere_emails` those in
    other regions (compared lower-cased): a row with one of the latter is
    refused without saying where the address is, which is for staff to see.

    Bad input never raises. These make the whole file unusable (`error` set):
    more than MAX_BYTES, more than MAX_ROWS non-blank data rows, no header or
    no data rows, no email column, two columns for the same thing, a legacy
    .xls, and anything that cannot be read as text or as a workbook (binary
    junk, a corrupt zip, broken quoting the csv module refuses). Problems of
    a single row reject that row with a reason and the rest is still read:
    missing, invalid or too long email, too long name or organisation,
    more non-empty cells than the header (CSV), a duplicate of
    an earlier valid row (case-insensitive) or an email already in the
    survey. A level that is not understood keeps the row, with the level
    empty and a warning. Blank lines/rows are skipped silently.
    """
    try:
        table = _read_table(bytes(data), filename or "")
        index = _column_index(table.header)
        if not table.rows:
            raise _FileError(_("The file has no participants."))
    except _FileError as error:
        return ImportReport(valid=[], rejected=[], error=error.message, columns=[])
    existing = {address_key(email.strip()) for email in existing_emails}
    elsewhere = {address_key(email.strip()) for email in elsewhere_emails} - existing
    return _check_rows(table, index, existing, elsewhere)


# Reading the file into a header and rows of text


def _read_table(data: bytes, filename: str) -> _Table:
    if len(data) > MAX_BYTES:
        raise _FileError(_too_large())
    if not data.strip():
        raise _FileError(_("The file has no participants."))
    if data.startswith(OLE_MAGIC):
        raise _FileError(
            _("The file is in the old Excel format (.xls). Save it as .xlsx or as CSV and upload it again.")
        )
    if data.startswith(ZIP_MAGIC):
        return _read_xlsx(data)
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise _FileError(_unreadable())
    return _read_csv(data)


def _read_csv(data: bytes) -> _Table:
    text = _decode(data)
    if _BINARY.search(text):
        raise _FileError(_unreadable())
    delimiter, has_sep_line = _detect_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
    try:
        # A record is one line, or more when a quoted value holds a line break;
        # counting records gives the row numbers a spreadsheet shows for the file.
        records = enumerate(reader, start=1)
        if has_sep_line:
            _first_nonblank(records)
        return _collect(records, strict_width=True)
    except csv.Error as error:
        logger.info("Participant file: unreadable CSV: %s", error)
        raise _FileError(_unreadable()) from error


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252; UTF-16 only with its BOM (Excel's "Unicode text")."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        attempts = [("utf-16", data)]
    else:
        body = data.removeprefix(codecs.BOM_UTF8)
        attempts = [("utf-8", body), ("cp1252", body)]
    for encoding, raw in attempts:
        try:
            return raw.decode(encoding).removeprefix("\ufeff")
        except UnicodeError:
            continue
    raise _FileError(_unreadable())


def _detect_delimiter(text: str) -> tuple[str, bool]:
    """The delimiter most frequent outside quotes on the first non-blank line, and whether that line is "sep=X"."""
    first = next((line for line in io.StringIO(text, newline=None) if line.strip()), "").rstrip("\r\n")
    hint = _SEP_HINT.fullmatch(first.strip())
    if hint and hint.group(1) in CSV_DELIMITERS:
        return hint.group(1), True
    counts = dict.fromkeys(CSV_DELIMITERS, 0)
    quoted = False
    for char in first:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(CSV_DELIMITERS, key=lambda d: counts[d])  # max keeps the first of equals: ";" wins ties
    return (best if counts[best] else CSV_DELIMITERS[0]), False


def _read_xlsx(data: bytes) -> _Table:
    from openpyxl import load_workbook  # imported here: only uploads of .xlsx need it

    workbook = None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNPACKED_BYTES:
                raise _FileError(_too_large())
            _check_counts(count_workbook(archive, enough=_beyond_any_list))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "Workbook contains no default style"
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            if not workbook.worksheets:
                raise _FileError(_("The file has no participants."))
            sheet = workbook.worksheets[0]
            # The stored dimensions can be wrong (some programs write A1:A1); read what is there.
            sheet.reset_dimensions()
            rows = ((line, [_cell_text(v) for v in values]) for line, values in enumerate(sheet.values, start=1))
            header_line, header = _first_nonblank(rows)
            if header is None:
                raise _FileError(_("The file has no participants."))
            while header and not header[-1].strip():
                header.pop()
            # Second pass, only as wide as the header: cells beyond it are in no column and are ignored.
            data_rows = sheet.iter_rows(min_row=header_line + 1, min_col=1, max_col=len(header), values_only=True)
            records = (
                (line, [_cell_text(v) for v in values]) for line, values in enumerate(data_rows, header_line + 1)
            )
            table = _collect(records, strict_width=False, header=header)
    except _FileError:
        raise
    except Exception as error:  # openpyxl and zipfile raise many kinds (KeyError, ValueError, XML errors...)
        logger.info("Participant file: unreadable workbook: %r", error)
        raise _FileError(_unreadable()) from error
    finally:
        if workbook is not None:
            workbook.close()
    return table


def _too_much(counts: WorkbookCounts) -> bool:
    return (
        counts.shared_strings > MAX_XLSX_SHARED_STRINGS
        or counts.cells > MAX_XLSX_CELLS
        or counts.row_cells > MAX_XLSX_ROW_CELLS
        or counts.elements > MAX_XLSX_ELEMENTS
    )


def _beyond_any_list(counts: WorkbookCounts) -> bool:
    return counts.rows > MAX_ROWS + MAX_BLANK_ROWS or _too_much(counts)


def _check_counts(counts: WorkbookCounts) -> None:
    """Refuse a workbook whose counts (see workbook_counts) are beyond any participant list's."""
    if counts.rows > MAX_ROWS + MAX_BLANK_ROWS:
        raise _FileError(_too_many_rows_with_blanks())
    if _too_much(counts):
        logger.info("Participant file: workbook refused unread: %s", counts)
        raise _FileError(
            _(
                "The workbook holds far more than a list of %(rows)s participants needs (cells, texts or "
                "formatting), so it was not read. Copy the participant columns into a new workbook, or save "
                "them as CSV, and upload that."
            )
            % {"rows": _grouped(MAX_ROWS)}
        )


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _is_blank(cells: list[str]) -> bool:
    return not cells or all(not cell or cell.isspace() for cell in cells)


def _first_nonblank(records: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str] | None]:
    for line, cells in records:
        if not _is_blank(cells):
            return line, cells
    return 0, None


def _collect(
    records: Iterable[tuple[int, list[str]]], *, strict_width: bool, header: list[str] | None = None
) -> _Table:
    """The header (the first non-blank record unless given) and the non-blank rows after it, up to MAX_ROWS."""
    records = iter(records)
    if header is None:
        _line, header = _first_nonblank(records)
        if header is None:
            raise _FileError(_("The file has no participants."))
    limit = MAX_ROWS
    rows: list[tuple[int, list[str]]] = []
    blank = 0
    for line, cells in records:
        if _is_blank(cells):
            blank += 1
            if blank + len(rows) > MAX_ROWS + MAX_BLANK_ROWS:
                raise _FileError(_too_many_rows_with_blanks())
            continue
        rows.append((line, cells))
        if len(rows) > limit:
            raise _FileError(_("The file has more than %(count)s rows.") % {"count": _grouped(limit)})
    return _Table(header=header, rows=rows, strict_width=strict_width)


def _column_index(header: list[str]) -> dict[str, int]:
    """Canonical column -> position, in canonical order; unknown columns are left out."""
    found: dict[str, int] = {}
    for position, title in enumerate(header):
        column = HEADER_ALIASES.get(_header_key(title))
        if column is None:
            continue
        if column in found:
            raise _FileError(
                _("The columns “%(first)s” and “%(second)s” mean the same thing. Keep one of them.")
                % {"first": header[found[column]].strip(), "second": title.strip()}
            )
        found[column] = position
    if EMAIL not in found:
        raise _FileError(_("The file has no email column. Name it “E-post” or “Email”."))
    return {column: found[column] for column in COLUMNS if column in found}


def _header_key(title: str) -> str:
    return _HEADER_NOISE.sub("", unicodedata.normalize("NFC", title).lower())


# Checking the rows


def _check_rows(table: _Table, index: dict[str, int], existing: set[str], elsewhere: set[str]) -> ImportReport:
    width = len(table.header)
    report = ImportReport(valid=[], rejected=[], error=None, columns=list(index))
    first_line_of: dict[str, int] = {}  # lower-cased email -> line of its valid row
    for line, cells in table.rows:
        reason: str | None
        count = len(cells)
        values = {column: cells[position] if position < count else "" for column, position in index.items()}
        if table.strict_width and count > width and not _is_blank(cells[width:]):
            used = max(i for i, cell in enumerate(cells) if cell.strip()) + 1
            reason = _(
                "The row has more cells than the header (%(cells)d instead of %(columns)d). "
                "Is there a separator inside a value without quotes?"
            ) % {"cells": used, "columns": width}
            report.rejected.append(RejectedRow(line=line, values=values, reason=reason))
            continue
        email, reason = _clean_email(values[EMAIL])
        name = organisation = level = warning = ""
        if reason is None:
            name, reason = _clean_text(values.get(NAME, ""), NAME)
        if reason is None:
            organisation, reason = _clean_text(values.get(ORGANISATION, ""), ORGANISATION)
        if reason is None:
            level, warning = _clean_level(values.get(LEVEL, ""))
        if reason is None:
            key = address_key(email)
            if key in existing:
                reason = _("“%(email)s” is already in the survey.") % {"email": email}
            elif key in elsewhere:
                reason = _("“%(email)s” cannot be added here. If the person belongs to your region, ask staff.") % {
                    "email": email
                }
            elif key in first_line_of:
                reason = _("Duplicate of line %(line)d in the file.") % {"line": first_line_of[key]}
            else:
                first_line_of[key] = line
                report.valid.append(
                    ImportRow(
                        line=line, email=email, name=name, organisation=organisation, level=level, warning=warning
                    )
                )
                continue
        report.rejected.append(RejectedRow(line=line, values=values, reason=reason))
    return report


def _clean_email(raw: str) -> tuple[str, str | None]:
    """The normalised address and None, or "" and the reason it cannot be used."""
    try:
        return clean_address(raw), None
    except ValidationError as error:
        return "", error.messages[0]


def _clean_text(raw: str, column: str) -> tuple[str, str | None]:
    """A trimmed name or organisation and None, or "" and why it cannot be used."""
    value = raw.strip()
    if not value.isascii():
        value = unicodedata.normalize("NFC", value)  # e.g. "å" typed on a Mac as "a" + ring
    if len(value) <= MAX_TEXT_LENGTH:
        return value, None
    if column == NAME:
        return "", _("The name is longer than %(max)d characters.") % {"max": MAX_TEXT_LENGTH}
    return "", _("The organisation is longer than %(max)d characters.") % {"max": MAX_TEXT_LENGTH}


def _clean_level(raw: str) -> tuple[str, str]:
    """
    The level and "", or "" and a warning: the level is optional, so a word
    we do not know leaves it empty rather than costing the person an invitation.
    """
    value = raw.strip()
    level = LEVELS.get(_header_key(value))
    if level is None:
        shown = value if len(value) <= 40 else value[:40] + "…"  # a long value is quoted in part, and says so
        return "", _("Level “%(value)s” not understood: left empty (kommun or region).") % {"value": shown}
    return level, ""


# Messages used in more than one place


def _too_large() -> str:
    return _("The file is too large: at most %(megabytes)s MB.") % {"megabytes": _grouped(MAX_BYTES // 2**20)}


def _too_many_rows_with_blanks() -> str:
    return _(
        "The file has more than %(count)s rows, empty rows included. Delete the empty rows below the list "
        "and upload it again."
    ) % {"count": _grouped(MAX_ROWS + MAX_BLANK_ROWS)}


def _unreadable() -> str:
    return _("The file could not be read. Save it as CSV (semicolon- or comma-separated) or as an Excel .xlsx file.")


def _grouped(number: int) -> str:
    """100000 -> "100 000", as the messages write numbers in both languages."""
    return f"{number:,}".replace(",", " ")
