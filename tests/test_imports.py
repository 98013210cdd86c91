"""
Reading participant lists (surveys.distribution.imports): CSV and .xlsx files as Swedish
offices save them. Pure parsing, so no database.
"""

import codecs
import csv
import io
import random
import zipfile

import pytest
from django.core.validators import validate_email
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from surveys.distribution import imports
from surveys.distribution.imports import ImportReport, ImportRow, parse_participant_file

UNREADABLE = "The file could not be read. Save it as CSV (semicolon- or comma-separated) or as an Excel .xlsx file."
NO_PARTICIPANTS = "The file has no participants."


@pytest.fixture(autouse=True)
def english():
    # The messages are English msgids; pin the language so Swedish translations do not change them here.
    with translation.override("en"):
        yield


def csv_bytes(rows, *, delimiter=";", encoding="cp1252", bom=False) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return (codecs.BOM_UTF8 if bom else b"") + out.getvalue().encode(encoding)


def xlsx_bytes(rows) -> bytes:
    """A workbook whose first sheet holds rows (lists of cell values; None leaves a cell empty)."""
    workbook = Workbook()
    sheet = workbook.active
    for row_number, row in enumerate(rows, start=1):
        for column_number, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=row_number, column=column_number, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def parse(data: bytes, *, filename="deltagare.csv", existing=()) -> ImportReport:
    return parse_participant_file(data=data, filename=filename, existing_emails=set(existing))


def only_rejection(report: ImportReport):
    assert report.error is None
    assert len(report.rejected) == 1, report.rejected
    return report.rejected[0]


# Encodings, delimiters and headers


def test_it_reads_semicolon_separated_windows_1252():
    data = csv_bytes(
        [
            ["E-post", "Namn", "Organisation", "Nivå"],
            ["asa.oberg@lulea.se", "Åsa Öberg", "Luleå kommun", "Kommun"],
            ["goran@norrbotten.se", "Göran Ärlig", "Region Norrbotten", "region"],
        ],
        encoding="cp1252",
    )
    assert b"\xe5" in data  # å as Windows-1252 writes it

    report = parse(data)

    assert report.error is None
    assert report.rejected == []
    assert report.columns == ["email", "name", "organisation", "level"]
    assert report.valid == [
        ImportRow(line=2, email="asa.oberg@lulea.se", name="Åsa Öberg", organisation="Luleå kommun", level="kommun"),
        ImportRow(
            line=3, email="goran@norrbotten.se", name="Göran Ärlig", organisation="Region Norrbotten", level="region"
        ),
    ]


def test_it_reads_comma_separated_utf8_with_bom():
    data = csv_bytes(
        [["E-post", "Namn", "Nivå"], ["asa@lulea.se", "Åsa Öberg", "kommun"]],
        delimiter=",",
        encoding="utf-8",
        bom=True,
    )

    report = parse(data)

    assert report.columns == ["email", "name", "level"]
    assert report.valid == [ImportRow(line=2, email="asa@lulea.se", name="Åsa Öberg", organisation="", level="kommun")]


def test_it_reads_utf8_without_bom():
    data = csv_bytes([["E-post", "Namn"], ["bjorn@kiruna.se", "Björn Ström ✓"]], encoding="utf-8")

    report = parse(data)

    assert [(row.email, row.name) for row in report.valid] == [("bjorn@kiruna.se", "Björn Ström ✓")]


def test_it_reads_tab_separated():
    data = csv_bytes([["Namn", "E-post"], ["Åsa, Öberg", "asa@lulea.se"]], delimiter="\t")

    report = parse(data, filename="export.xls")  # some systems save tab-separated text as .xls

    assert [(row.email, row.name) for row in report.valid] == [("asa@lulea.se", "Åsa, Öberg")]


def test_it_reads_utf16_text_as_excel_saves_unicode_text():
    data = "E-post\tNamn\r\nasa@lulea.se\tÅsa\r\n".encode("utf-16")

    report = parse(data, filename="deltagare.txt")

    assert [(row.email, row.name) for row in report.valid] == [("asa@lulea.se", "Åsa")]


@pytest.mark.parametrize("email_header", ["E-post", "Epost", "E-postadress", "Email", "E-mail", "Mail", "Mejl"])
def test_it_accepts_every_documented_email_header(email_header):
    report = parse(csv_bytes([[email_header], ["a@example.se"]]))

    assert [row.email for row in report.valid] == ["a@example.se"]


def test_it_reads_english_headers():
    data = csv_bytes(
        [["Email", "Name", "Organization", "Level"], ["kim@umea.se", "Kim", "Umeå municipality", "Municipality"]],
        delimiter=",",
        encoding="utf-8",
    )

    report = parse(data)

    assert report.columns == ["email", "name", "organisation", "level"]
    assert report.valid == [
        ImportRow(line=2, email="kim@umea.se", name="Kim", organisation="Umeå municipality", level="kommun")
    ]


def test_it_ignores_case_and_spacing_in_headers():
    data = csv_bytes([["  e-POST ", "NAMN\u00a0", " org", "niva"], ["a@example.se", "A", "B", "r"]])

    report = parse(data)

    assert report.columns == ["email", "name", "organisation", "level"]
    assert report.valid == [ImportRow(line=2, email="a@example.se", name="A", organisation="B", level="region")]


def test_it_reads_a_header_typed_with_a_decomposed_a_ring():
    data = csv_bytes([["E-post", "Niva\u030a"], ["a@example.se", "kommun"]], encoding="utf-8")

    assert parse(data).columns == ["email", "level"]


def test_it_ignores_unknown_columns():
    data = csv_bytes([["Telefon", "E-post", "Kommentar"], ["070-123", "a@example.se", "ring först"]])

    report = parse(data)

    assert report.columns == ["email"]
    assert report.valid == [ImportRow(line=2, email="a@example.se", name="", organisation="", level="")]


def test_it_keeps_delimiters_inside_quoted_fields():
    data = 'E-post;Namn;Organisation\r\n"a@example.se";"Andersson; Anna";"Kommun, Luleå"\r\n'.encode("cp1252")

    report = parse(data)

    assert report.valid == [
        ImportRow(line=2, email="a@example.se", name="Andersson; Anna", organisation="Kommun, Luleå", level="")
    ]


def test_it_detects_the_delimiter_from_the_header_outside_quotes():
    # The header has three commas inside quotes but only one semicolon outside them.
    data = 'E-post;"Enhet, avdelning, förvaltning, kommun"\r\na@example.se;"Ekonomi, Stab, KLF, Luleå"\r\n'

    report = parse(data.encode("cp1252"))

    assert report.error is None
    assert report.valid == [ImportRow(line=2, email="a@example.se", name="", organisation="", level="")]


def test_it_follows_an_excel_sep_line():
    data = b"sep=,\r\nE-post,Namn\r\na@example.se,Anna\r\n"

    report = parse(data)

    assert report.valid == [ImportRow(line=3, email="a@example.se", name="Anna", organisation="", level="")]


def test_it_skips_blank_lines_and_rows_of_empty_cells():
    data = b"\r\nE-post;Namn\r\n\r\na@example.se;A\r\n;\r\n  ;  \r\n\r\nb@example.se;B\r\n\r\n"

    report = parse(data)

    assert report.rejected == []
    assert [(row.line, row.email) for row in report.valid] == [(4, "a@example.se"), (8, "b@example.se")]


def test_it_numbers_lines_as_a_person_sees_them():
    data = csv_bytes(
        [
            ["E-post", "Namn"],
            ["a@example.se", "A"],
            [],
            ["inte-en-adress", "B"],
            ["c@example.se", "C"],
        ]
    )

    report = parse(data)

    assert [row.line for row in report.valid] == [2, 5]
    assert [row.line for row in report.rejected] == [4]


# Email addresses


def test_it_rejects_an_invalid_email_naming_the_value():
    report = parse(csv_bytes([["E-post", "Namn"], ["foo@", "Foo"], ["ok@example.se", "Ok"]]))

    rejected = only_rejection(report)
    assert rejected.line == 2
    assert rejected.reason == "“foo@” is not a valid email address."
    assert rejected.values == {"email": "foo@", "name": "Foo"}
    assert [row.email for row in report.valid] == ["ok@example.se"]


def test_it_rejects_a_row_without_email():
    report = parse(csv_bytes([["E-post", "Namn"], ["  ", "Utan Adress"]]))

    rejected = only_rejection(report)
    assert rejected.reason == "The email address is missing."
    assert rejected.values == {"email": "", "name": "Utan Adress"}  # spaces after a delimiter are skipped


def test_it_rejects_a_row_shorter_than_the_header_without_email():
    report = parse(b"Namn;E-post\r\nBara Namn\r\n")

    assert only_rejection(report).reason == "The email address is missing."


@pytest.mark.parametrize(
    "written",
    [
        " a@example.se ",
        "\u00a0a@example.se\u00a0",
        "<a@example.se>",
        '"a@example.se"',
        "“a@example.se”",
        "mailto:a@example.se",
    ],
)
def test_it_strips_spaces_brackets_and_quotes_around_emails(written):
    report = parse(csv_bytes([["E-post"], [written]], encoding="utf-8"))

    assert [row.email for row in report.valid] == ["a@example.se"]


def test_it_lowercases_the_domain_but_keeps_the_local_part():
    report = parse(csv_bytes([["E-post"], ["Anna.Svensson@Lulea.SE"]]))

    assert [row.email for row in report.valid] == ["Anna.Svensson@lulea.se"]


def test_it_rejects_an_email_longer_than_254_characters():
    report = parse(csv_bytes([["E-post"], ["a" * 64 + "@" + "b" * 190 + ".se"]]))

    assert only_rejection(report).reason == "The email address is longer than 254 characters."


def test_it_rejects_a_duplicate_in_the_file_case_insensitively_naming_the_first_line():
    data = csv_bytes(
        [["E-post", "Namn"], ["anna@lulea.se", "Anna"], ["bo@lulea.se", "Bo"], [" ANNA@Lulea.se", "Anna igen"]]
    )

    report = parse(data)

    assert [row.email for row in report.valid] == ["anna@lulea.se", "bo@lulea.se"]
    rejected = only_rejection(report)
    assert rejected.line == 4
    assert rejected.reason == "Duplicate of line 2 in the file."


def test_a_rejected_row_does_not_make_a_later_row_with_the_same_email_a_duplicate():
    data = csv_bytes([["E-post", "Namn"], ["anna@lulea.se", "A" * 201], ["anna@lulea.se", "Anna"]])

    report = parse(data)

    assert [row.line for row in report.valid] == [3]
    assert only_rejection(report).line == 2


def test_it_rejects_emails_already_in_the_survey():
    data = csv_bytes([["E-post"], ["Anna@Lulea.se"], ["ny@lulea.se"]])

    report = parse(data, existing={"anna@lulea.se"})

    assert [row.email for row in report.valid] == ["ny@lulea.se"]
    assert only_rejection(report).reason == "“Anna@lulea.se” is already in the survey."


# Levels


@pytest.mark.parametrize(
    ("written", "level"),
    [
        ("kommun", "kommun"),
        (" Kommunal ", "kommun"),
        ("MUNICIPALITY", "kommun"),
        ("k", "kommun"),
        ("Region", "region"),
        ("regional", "region"),
        ("R", "region"),
        ("municipal", "kommun"),
        ("Kommunal nivå", "kommun"),
        ("landsting", "region"),
        ("Landstinget", "region"),
        ("Regional.", "region"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_it_understands_level_synonyms(written, level):
    report = parse(csv_bytes([["E-post", "Nivå"], ["a@example.se", written]]))

    assert [row.level for row in report.valid] == [level]


def test_it_keeps_a_row_whose_level_it_does_not_understand_with_a_warning():
    report = parse(csv_bytes([["E-post", "Nivå"], ["a@example.se", " xyz "], ["b@example.se", "kommun"]]))

    assert report.rejected == []
    assert report.valid == [
        ImportRow(
            line=2,
            email="a@example.se",
            name="",
            organisation="",
            level="",
            warning="Level “xyz” not understood: left empty (kommun or region).",
        ),
        ImportRow(line=3, email="b@example.se", name="", organisation="", level="kommun"),
    ]


# Row shape and field lengths


def test_it_rejects_a_row_with_more_cells_than_the_header():
    # An unquoted semicolon in the name pushes the organisation into a column the header does not have.
    data = b"E-post;Namn;Organisation\r\na@example.se;Andersson; Anna;Kommun\r\n"

    rejected = only_rejection(parse(data))

    assert rejected.line == 2
    assert rejected.reason == (
        "The row has more cells than the header (4 instead of 3). Is there a separator inside a value without quotes?"
    )
    assert rejected.values == {"email": "a@example.se", "name": "Andersson", "organisation": "Anna"}


def test_it_accepts_extra_empty_cells():
    report = parse(b"E-post;Namn\r\na@example.se;A;;  ;\r\n")

    assert report.rejected == []
    assert [row.email for row in report.valid] == ["a@example.se"]


def test_it_rejects_names_and_organisations_longer_than_200_characters():
    data = csv_bytes(
        [
            ["E-post", "Namn", "Organisation"],
            ["a@example.se", "N" * 200, "O" * 200],
            ["b@example.se", "N" * 201, "O"],
            ["c@example.se", "N", "O" * 201],
        ]
    )

    report = parse(data)

    assert [row.email for row in report.valid] == ["a@example.se"]
    assert [row.reason for row in report.rejected] == [
        "The name is longer than 200 characters.",
        "The organisation is longer than 200 characters.",
    ]


# Files that cannot be used


def test_it_refuses_a_file_without_an_email_column():
    report = parse(csv_bytes([["Namn", "Organisation"], ["Anna", "Luleå kommun"]]))

    assert report.error == "The file has no email column. Name it “E-post” or “Email”."
    assert (report.valid, report.rejected, report.columns) == ([], [], [])


def test_it_refuses_a_file_with_two_email_columns():
    report = parse(csv_bytes([["E-post", "Email"], ["a@example.se", "b@example.se"]]))

    assert report.error == "The columns “E-post” and “Email” mean the same thing. Keep one of them."


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n", codecs.BOM_UTF8, b";;;\r\n"])
def test_it_refuses_an_empty_file(data):
    assert parse(data).error == NO_PARTICIPANTS


def test_it_refuses_a_file_with_only_a_header():
    assert parse("E-post;Namn;Nivå\r\n\r\n;;\r\n".encode("cp1252")).error == NO_PARTICIPANTS


def test_it_refuses_a_file_larger_than_max_bytes():
    data = b"E-post\r\n" + b"x" * imports.MAX_BYTES

    assert len(data) > imports.MAX_BYTES
    assert parse(data).error == "The file is too large: at most 10 MB."


def test_it_refuses_more_than_max_rows(monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    rows = [["E-post"]] + [[f"p{i}@example.se"] for i in range(4)]

    assert parse(csv_bytes(rows[:4])).error is None
    assert parse(csv_bytes(rows)).error == "The file has more than 3 rows."


def test_it_writes_the_row_limit_in_groups_of_thousands(monkeypatch):
    assert imports._grouped(imports.MAX_ROWS) == "100 000"
    monkeypatch.setattr(imports, "MAX_ROWS", 1_500)
    rows = [["E-post"]] + [[f"p{i}@example.se"] for i in range(1_501)]

    assert parse(csv_bytes(rows)).error == "The file has more than 1 500 rows."


def test_it_asks_to_resave_a_legacy_xls_file():
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)

    assert parse(data, filename="deltagare.xls").error == (
        "The file is in the old Excel format (.xls). Save it as .xlsx or as CSV and upload it again."
    )


def test_it_refuses_random_binary_bytes():
    data = random.Random(2024).randbytes(4096)

    assert parse(data).error == UNREADABLE


def test_it_refuses_a_png():
    data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"

    assert parse(data, filename="deltagare.png").error == UNREADABLE


def test_it_refuses_a_corrupt_zip():
    data = b"PK\x03\x04" + b"\x00" * 100

    assert parse(data, filename="deltagare.xlsx").error == UNREADABLE


def test_it_refuses_a_truncated_xlsx():
    data = xlsx_bytes([["E-post"], ["a@example.se"]])

    assert parse(data[: len(data) // 2], filename="deltagare.xlsx").error == UNREADABLE


def test_it_refuses_a_zip_that_is_not_a_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("deltagare.csv", "E-post\r\na@example.se\r\n")

    assert parse(buffer.getvalue(), filename="deltagare.zip").error == UNREADABLE


def test_it_refuses_text_named_xlsx():
    assert parse(b"E-post\r\na@example.se\r\n", filename="Deltagare.XLSX").error == UNREADABLE


# Excel workbooks


def test_it_reads_a_valid_xlsx_with_numbers_and_empty_cells():
    data = xlsx_bytes(
        [
            ["E-post", "Namn", "Organisation", "Nivå", "Anställningsnummer"],
            ["asa@lulea.se", "Åsa Öberg", None, "Kommun", 1234],
            ["  bo@norrbotten.se ", 4711, 12.5, None, None],
            [None, "Utan Adress", "X", "region"],
            ["cy@kiruna.se", 42.0, None, "r"],
        ]
    )

    report = parse(data, filename="deltagare.xlsx")

    assert report.error is None
    assert report.columns == ["email", "name", "organisation", "level"]
    assert report.valid == [
        ImportRow(line=2, email="asa@lulea.se", name="Åsa Öberg", organisation="", level="kommun"),
        ImportRow(line=3, email="bo@norrbotten.se", name="4711", organisation="12.5", level=""),
        ImportRow(line=5, email="cy@kiruna.se", name="42", organisation="", level="region"),
    ]
    rejected = only_rejection(report)
    assert (rejected.line, rejected.reason) == (4, "The email address is missing.")
    assert rejected.values == {"email": "", "name": "Utan Adress", "organisation": "X", "level": "region"}


def test_it_reads_an_xlsx_whatever_its_name():
    data = xlsx_bytes([["Email"], ["a@example.se"]])

    assert [row.email for row in parse(data, filename="deltagare.csv").valid] == ["a@example.se"]


def test_it_numbers_xlsx_rows_as_excel_shows_them():
    data = xlsx_bytes(
        [
            [],
            [None, None],
            [None, "E-post", "Namn"],
            [None, "a@example.se", "A"],
            [],
            [None, "b@example.se", "B", None, "anteckning utan rubrik"],
        ]
    )

    report = parse(data, filename="deltagare.xlsx")

    assert report.rejected == []
    assert [(row.line, row.email, row.name) for row in report.valid] == [
        (4, "a@example.se", "A"),
        (6, "b@example.se", "B"),
    ]


def test_it_refuses_an_xlsx_with_only_a_header():
    assert parse(xlsx_bytes([["E-post", "Namn"]]), filename="deltagare.xlsx").error == NO_PARTICIPANTS


def test_it_refuses_an_empty_xlsx():
    assert parse(xlsx_bytes([]), filename="deltagare.xlsx").error == NO_PARTICIPANTS


def test_it_refuses_an_xlsx_without_an_email_column():
    report = parse(xlsx_bytes([["Namn"], ["Anna"]]), filename="deltagare.xlsx")

    assert report.error == "The file has no email column. Name it “E-post” or “Email”."


def test_it_refuses_more_than_max_rows_in_an_xlsx(monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 2)
    data = xlsx_bytes([["E-post"], ["a@example.se"], ["b@example.se"], ["c@example.se"]])

    assert parse(data, filename="deltagare.xlsx").error == "The file has more than 2 rows."


# Workbooks that are cheap to send and dear to read: refused before openpyxl parses them

SHARED_STRINGS = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SHARED_STRINGS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
TOO_MUCH = (
    "The workbook holds far more than a list of 100 000 participants needs (cells, texts or formatting), "
    "so it was not read. Copy the participant columns into a new workbook, or save them as CSV, and upload that."
)
TOO_MANY_WITH_BLANKS = (
    "The file has more than 101 000 rows, empty rows included. Delete the empty rows below the list "
    "and upload it again."
)


def crafted_xlsx(*, shared_strings=0, sheet_rows="", styles="") -> bytes:
    """A valid workbook (one participant) with `sheet_rows` added to its sheet, shared strings and styles."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["E-post"], ["a@example.se"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in source.namelist():
            data = source.read(name).decode()
            if name == "[Content_Types].xml" and shared_strings:
                override = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED_STRINGS}"/>'
                data = data.replace("</Types>", override + "</Types>")
            if name == "xl/_rels/workbook.xml.rels" and shared_strings:
                rel = f'<Relationship Type="{SHARED_STRINGS_REL}" Target="sharedStrings.xml" Id="rId9"/>'
                data = data.replace("</Relationships>", rel + "</Relationships>")
            if name == "xl/worksheets/sheet1.xml":
                data = data.replace("</sheetData>", sheet_rows + "</sheetData>")
            if name == "xl/styles.xml" and styles:
                data = data.replace("</styleSheet>", styles + "</styleSheet>")
            archive.writestr(name, data)
        if shared_strings:
            archive.writestr(
                "xl/sharedStrings.xml",
                f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{shared_strings}">'
                + "<si><t>a</t></si>" * shared_strings
                + "</sst>",
            )
    return out.getvalue()


def test_the_crafted_workbook_is_read_when_it_holds_little():
    data = crafted_xlsx(shared_strings=10, sheet_rows='<row r="3"/>' * 5 + '<row r="9"><c><v>1</v></c></row>')

    report = parse(data, filename="deltagare.xlsx")
    assert report.error is None and [row.email for row in report.valid] == ["a@example.se"]


def test_it_refuses_a_workbook_of_a_million_shared_strings_unread(monkeypatch):
    data = crafted_xlsx(shared_strings=imports.MAX_XLSX_SHARED_STRINGS + 1)
    assert len(data) < 100_000  # a small upload
    monkeypatch.setattr("openpyxl.load_workbook", lambda *a, **k: pytest.fail("openpyxl was asked to read it"))

    assert parse(data, filename="deltagare.xlsx").error == TOO_MUCH


def test_blank_rows_of_a_workbook_count_toward_the_row_limit(monkeypatch):
    blank = "".join(f'<row r="{n}"/>' for n in range(3, 3 + imports.MAX_ROWS + imports.MAX_BLANK_ROWS))
    monkeypatch.setattr("openpyxl.load_workbook", lambda *a, **k: pytest.fail("openpyxl was asked to read it"))

    assert parse(crafted_xlsx(sheet_rows=blank), filename="deltagare.xlsx").error == TOO_MANY_WITH_BLANKS


def test_blank_lines_of_a_csv_count_toward_the_row_limit():
    data = b"E-post\r\n" + b";\r\n" * (imports.MAX_ROWS + imports.MAX_BLANK_ROWS + 1) + b"a@example.se\r\n"

    assert parse(data).error == TOO_MANY_WITH_BLANKS


def test_a_few_blank_lines_between_participants_are_skipped_as_before():
    data = b"E-post\r\na@example.se\r\n" + b"\r\n" * 2_000 + b"b@example.se\r\n"

    assert [row.email for row in parse(data).valid] == ["a@example.se", "b@example.se"]


def test_it_refuses_a_row_of_more_cells_than_any_list_has():
    row = '<row r="3">' + "<c><v>1</v></c>" * (imports.MAX_XLSX_ROW_CELLS + 1) + "</row>"

    assert parse(crafted_xlsx(sheet_rows=row), filename="deltagare.xlsx").error == TOO_MUCH


def test_it_refuses_a_sheet_of_more_cells_than_any_list_has(monkeypatch):
    monkeypatch.setattr(imports, "MAX_XLSX_CELLS", 1_000)
    rows = "".join(f'<row r="{n}">' + "<c><v>1</v></c>" * 20 + "</row>" for n in range(3, 60))

    assert parse(crafted_xlsx(sheet_rows=rows), filename="deltagare.xlsx").error == TOO_MUCH


def test_it_refuses_a_workbook_of_endless_formatting(monkeypatch):
    styles = "<extra>" + "<xf/>" * 20_000 + "</extra>"
    assert parse(crafted_xlsx(styles=styles), filename="deltagare.xlsx").error is None  # within the real bound
    monkeypatch.setattr(imports, "MAX_XLSX_ELEMENTS", 10_000)

    assert parse(crafted_xlsx(styles=styles), filename="deltagare.xlsx").error == TOO_MUCH


@pytest.mark.parametrize("chunk", [7, 64, 1 << 20])
def test_counting_is_the_same_whatever_the_pieces_and_prefixes(monkeypatch, chunk):
    from surveys.distribution import workbook_counts

    monkeypatch.setattr(workbook_counts, "CHUNK", chunk)
    monkeypatch.setattr(workbook_counts, "LONGEST_TAG", min(chunk - 1, 256))
    sheet = (
        '<x:worksheet xmlns:x="urn:x"><x:sheetData>'
        + '<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c><x:c r="B1"/></x:row>'
        + "<row><c/><c/><c/><cfRule/><col/></row><row/>"
        + "</x:sheetData></x:worksheet>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("anywhere.xml", sheet)
        archive.writestr("strings.xml", "<sst><si><t>a</t></si><s:si><s:t>b</s:t></s:si></sst>")
    counts = workbook_counts.count_workbook(zipfile.ZipFile(buffer))
    assert (counts.rows, counts.cells, counts.row_cells, counts.shared_strings) == (3, 5, 3, 2)
    assert counts.elements == sheet.count("<") - sheet.count("</") + 5


# Size (how fast is measured by `make bench`, not here)


def test_it_parses_50000_rows():
    rows = [["E-post", "Namn", "Organisation", "Nivå"]]
    rows += [[f"person{i}@Kommun{i % 300}.se", f"Person Nummer {i}", "Luleå kommun", "kommun"] for i in range(50_000)]
    report = parse(csv_bytes(rows), existing={"person7@kommun7.se"})
    assert len(report.valid) == 49_999
    assert report.valid[0].email == "person0@kommun0.se"
    assert report.error is None
    assert [row.line for row in report.rejected] == [9]  # person7 is in the list already


# Properties

FILENAMES = st.sampled_from(["deltagare.csv", "deltagare.xlsx", "deltagare.xls", "deltagare.txt", ""])
CSV_LIKE = st.text(alphabet="E-post;Namn,Nivå\t\"'<> @.aåZ0\r\n\u00a0", max_size=200).map(
    lambda text: ("E-post;Namn;Nivå\r\n" + text).encode("utf-8")
)
ANY_BYTES = st.one_of(
    st.binary(max_size=400),
    st.binary(max_size=400).map(lambda b: b"PK\x03\x04" + b),
    st.binary(max_size=400).map(lambda b: b"E-post;Namn\r\n" + b),
    CSV_LIKE,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=ANY_BYTES, filename=FILENAMES)
def test_it_never_raises_and_only_passes_valid_emails(data, filename):
    report = parse_participant_file(data=data, filename=filename, existing_emails=set())

    if report.error is not None:
        assert (report.valid, report.rejected) == ([], [])
    for row in report.valid:
        validate_email(row.email)
        assert row.level in ("kommun", "region", "")
    emails = [row.email.lower() for row in report.valid]
    assert len(emails) == len(set(emails))


LOCAL_PARTS = st.from_regex(r"[A-Za-z0-9_]{1,12}(\.[A-Za-z0-9_+-]{1,8})?", fullmatch=True)
DOMAINS = st.from_regex(r"[A-Za-z0-9]{1,10}(-[a-z0-9]{1,5})?\.(se|nu|com|ORG)", fullmatch=True)
TEXT = st.text(alphabet="abcxyzåäöÅÄÖéüØ ;,\t\"'-.&()", max_size=40)
LEVEL_WRITINGS = st.sampled_from(
    [("kommun", "kommun"), ("Kommunal", "kommun"), ("K", "kommun"), ("region", "region"), ("R", "region"), ("", "")]
)


@st.composite
def participant_lists(draw):
    people = draw(
        st.lists(
            st.tuples(LOCAL_PARTS, DOMAINS, TEXT, TEXT, LEVEL_WRITINGS),
            min_size=1,
            max_size=15,
            unique_by=lambda p: f"{p[0]}@{p[1]}".lower(),
        )
    )
    header = draw(
        st.sampled_from([["E-post", "Namn", "Organisation", "Nivå"], ["Email", "Name", "Organization", "Level"]])
    )
    return header, people


@settings(max_examples=150, deadline=None)
@given(
    people_and_header=participant_lists(),
    delimiter=st.sampled_from([";", ",", "\t"]),
    encoding=st.sampled_from(["cp1252", "utf-8", "utf-8-bom"]),
)
def test_valid_rows_written_as_csv_read_back_the_same(people_and_header, delimiter, encoding):
    header, people = people_and_header
    rows = [header] + [[f"{local}@{domain}", name, org, level] for local, domain, name, org, (level, _) in people]
    data = csv_bytes(rows, delimiter=delimiter, encoding=encoding.removesuffix("-bom"), bom=encoding.endswith("-bom"))

    report = parse_participant_file(data=data, filename="deltagare.csv", existing_emails=set())

    assert report.error is None
    assert report.rejected == []
    assert report.valid == [
        ImportRow(
            line=line,
            email=f"{local}@{domain.lower()}",
            name=name.strip(),
            organisation=org.strip(),
            level=level,
        )
        for line, (local, domain, name, org, (_, level)) in enumerate(people, start=2)
    ]


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (0, "address"),
        (1, "The name is longer than 200 characters."),
        (2, "The organisation is longer than 200 characters."),
    ],
)
def test_a_10000_character_value_in_any_column_is_a_clear_row_error_never_cut(column, message):
    row = ["a@example.se", "Anna", "Luleå kommun", "kommun"]
    row[column] = ("a" * 9_990) + "@example.se" if column == 0 else "x" * 10_000
    data = csv_bytes([["E-post", "Namn", "Organisation", "Nivå"], row, ["b@example.se", "Bo", "Piteå", "kommun"]])
    report = parse(data, filename="deltagare.csv")
    rejected = only_rejection(report)
    assert rejected.line == 2 and message.lower() in rejected.reason.lower(), rejected
    assert [valid.email for valid in report.valid] == ["b@example.se"]


def test_a_10000_character_level_is_left_empty_with_a_short_warning():
    data = csv_bytes([["E-post", "Nivå"], ["a@example.se", "x" * 10_000]])
    (row,) = parse(data).valid
    assert row.level == "" and "not understood" in row.warning and len(row.warning) < 200
