"""
What strangers write stays text in every download (msi_survey/spreadsheets.py):
hostile values through the lead's participant list and a workbook, read back
with csv and openpyxl; the numbers the product computed stay numbers.
"""

import io

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from openpyxl import load_workbook

from msi_survey.spreadsheets import Workbook, attachment, csv_cell, safe_text

from .conftest import make_participant, make_region
from .downloads import csv_rows

HOSTILE = [
    '=HYPERLINK("http://evil.example/","Klicka")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+46 kommun",
    "-2+3",
    "=",
    "=cmd|' /C calc'!A0",  # DDE
    "  =1+1",
    '"=1+1',
    "'=1+1",
    "\t=1+1",
    "\r=1+1",
    "\u202e=1+1 (höger till vänster)",
    "Åsa 😀 Ek",
    "x" * 10_000,
]
STARTS_A_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(text: str) -> bool:
    return text.lstrip(" \"'").startswith(STARTS_A_FORMULA) and not text.startswith("'")


@pytest.mark.parametrize("value", HOSTILE)
def test_a_csv_cell_is_never_a_formula_and_reads_as_written(value):
    cell = csv_cell(value)
    assert not looks_like_formula(cell), cell
    assert cell == value or cell == "'" + value


def test_control_characters_are_left_out_and_numbers_stay_numbers():
    assert safe_text("a\x00b\x07c") == "abc"
    assert safe_text("rad ett\nrad två") == "rad ett\nrad två"
    assert csv_cell(41.7) == "41,7" and csv_cell(10) == "10" and csv_cell(None) == "" and csv_cell(float("nan")) == ""


@pytest.mark.django_db
def test_the_lead_s_list_keeps_every_hostile_name_as_text(client, survey):
    region = make_region()
    lead = User.objects.create_user("lena", "lena@example.se", "lena-password-123")
    region.leads.add(lead)
    for number, value in enumerate(HOSTILE):
        participant = make_participant(survey, region=region, email=f"p{number}@kommun.example.se")
        participant.name = value[:200]
        participant.organisation = value[:200]
        participant.save()
    client.force_login(lead)
    header, *rows = csv_rows(client.get(reverse("lead:participants_csv", args=[survey.slug, region.code])))
    assert header[:3] == ["E-post", "Namn", "Organisation"]
    written = {row[0]: row for row in rows}
    for number, value in enumerate(HOSTILE):
        row = written[f"p{number}@kommun.example.se"]
        for cell in row[1:3]:
            assert not looks_like_formula(cell), cell
            assert cell.removeprefix("'") == safe_text(value[:200]).removeprefix("'")


def test_a_workbook_holds_texts_as_strings_and_numbers_as_numbers():
    book = Workbook()
    sheet = book.sheet("Namn: [test]/?", ["Text", "Tal"])
    for value in HOSTILE:
        sheet.append([value, 41.7], decimals={1: 1})
    sheet.append(["a\x00b", 10])
    read = load_workbook(io.BytesIO(book.response("x.xlsx").content))
    (name,) = read.sheetnames
    assert name == "Namn   test   "
    rows = list(read[name].iter_rows(min_row=2))
    for value, (text, number) in zip(HOSTILE, rows, strict=False):
        assert text.data_type == "s" and text.value == value  # a string cell, never a formula ("f")
        assert number.data_type == "n" and number.value == 41.7 and number.number_format == "0.0"
    assert rows[-1][0].value == "ab" and rows[-1][1].value == 10


def test_a_file_name_never_breaks_its_header():
    header = attachment('lista "x"\r\nSet-Cookie: a=b.csv')
    assert "\r" not in header and "\n" not in header
    assert header == 'attachment; filename="lista__x___Set-Cookie__a_b.csv"'


@pytest.mark.django_db
def test_the_results_table_is_offered_for_analysis_tools_too(client):
    import csv

    from results.services import publish_snapshot

    from .conftest import make_survey

    survey = make_survey(slug="pub")
    survey.suppression_threshold = 1
    survey.save()
    participant = make_participant(survey, region=make_region())
    from surveys.services import submit_response

    submit_response(participant=participant, ranking=list(survey.areas.all()[:5]), level="kommun")
    publish_snapshot(survey=survey)
    page = client.get(reverse("results:national", args=["pub"])).content.decode()
    assert "results.csv?format=international" in page
    body = client.get(reverse("results:csv", args=["pub"]) + "?format=international").content.decode()
    assert not body.startswith("\ufeff")
    header, first, *_ = list(csv.reader(io.StringIO(body)))
    assert header[:4] == ["Kod", "Område", "Poäng", "Andel av poängen (%)"]
    assert "." in first[3] and "," not in first[3]  # a decimal point


def test_a_yes_or_no_is_a_word_in_the_page_s_language():
    from django.utils import translation

    with translation.override("sv"):
        assert (csv_cell(True), csv_cell(False)) == ("ja", "nej")
    with translation.override("en"):
        assert (csv_cell(True), csv_cell(False)) == ("yes", "no")
