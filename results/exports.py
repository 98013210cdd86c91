"""
Every download of the results, as the pages call them: the national and
regional tables (CSV and Excel), the editions table and the anonymous
answers. All of them are written through msi_survey.spreadsheets: texts
stay texts, the numbers the product computed stay numbers, headers are
words in the page's language, and the CSV files open right in Swedish Excel.
"""

from collections.abc import Iterator, Mapping, Sequence
from itertools import groupby
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from msi_survey.permissions import staff_required
from msi_survey.spreadsheets import Cell, Workbook, csv_response
from surveys.distribution.labels import wave_label
from surveys.models import RankedArea, Survey

from .cache import frozen_data
from .comparison import TABLE
from .published import snapshot_of
from .snapshot import AreaRow

ONE_DECIMAL = 1


def _international(request: HttpRequest) -> bool:
    """?format=international: commas and decimal points, for R, Python and other analysis tools."""
    return request.GET.get("format") == "international"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, ONE_DECIMAL)


def area_columns() -> list[str]:
    return [
        _("Code"), _("Area"), _("Points"), _("Share of points (%)"), _("Place"), _("Interval, low (%)"),
        _("Interval, high (%)"), _("Place at best"), _("Place at worst"), _("Chosen by"), _("Put first by"),
        _("Mean place"), _("Area in English"),
    ]  # fmt: skip


# The columns of area_columns() that hold a share or another decimal number, for the workbook's number format.
AREA_DECIMALS = {3: 1, 5: 1, 6: 1, 11: 2}


def area_row(row: AreaRow) -> list[Cell]:
    return [
        row["code"], row["title_sv"], row["points"], _round(row["share"]), row["rank"], _round(row["low"]),
        _round(row["high"]), row["rank_low"], row["rank_high"], row["chosen_by"], row["first_by"],
        row["mean_position"], row["title_en"],
    ]  # fmt: skip


def results_csv(request: HttpRequest, slug: str) -> HttpResponse:
    survey, snapshot, _versions = snapshot_of(slug)
    rows: list[Sequence[Cell]] = [area_columns()]
    rows += [area_row(row) for row in frozen_data(snapshot)["national"]["areas"] or []]
    return csv_response(f"{survey.slug}-resultat.csv", rows, international=_international(request))


def results_xlsx(request: HttpRequest, slug: str) -> HttpResponse:
    survey, snapshot, _versions = snapshot_of(slug)
    data = frozen_data(snapshot)
    book = Workbook()
    sheet = book.sheet(_("Whole country"), area_columns())
    for row in data["national"]["areas"] or []:
        sheet.append(area_row(row), decimals=AREA_DECIMALS)

    header = [_("Region"), *area_columns(), _("Difference (percentage points)"), _("Difference, low"),
              _("Difference, high"), _("Clear difference"), _("Place in the whole country")]  # fmt: skip
    sheet = book.sheet(_("Regions"), header)
    region_decimals = {column + 1: decimals for column, decimals in AREA_DECIMALS.items()} | {14: 1, 15: 1, 16: 1}
    for block in data["regions"]:
        if block["suppressed"]:
            sheet.append([block["name"], _("too few answers to show")])
            continue
        for row in block["areas"]:
            sheet.append(
                [block["name"], *area_row(row), _round(row["diff"]), _round(row["diff_low"]),
                 _round(row["diff_high"]), _("yes") if row["clear_difference"] else _("no"), row["national_rank"]],
                decimals=region_decimals,
            )  # fmt: skip

    sheet = book.sheet(_("Response rates"), [_("Group"), _("Invited"), _("Answers"), _("Response rate (%)")])
    national = data["national"]
    rates = {3: 1}
    sheet.append(
        [_("Whole country"), national["invited"], national["n"], _round(national["response_rate"])], decimals=rates
    )
    for block in data["regions"]:
        if block["suppressed"]:
            sheet.append([block["name"], block["invited"], _("too few answers to show"), None])
        else:
            sheet.append([block["name"], block["invited"], block["n"], _round(block["response_rate"])], decimals=rates)
    for wave in data["waves"]:
        sheet.append([_("Answered after: %(email)s") % {"email": wave_label(wave["wave"])}, None,
                      None if wave["suppressed"] else wave["n"], None])  # fmt: skip

    if (data.get("comparison") or {}).get("previous"):
        sheet = book.sheet(_("Editions"), edition_columns())
        for edition_row in edition_rows(data):
            sheet.append(edition_row, decimals={6: 1, 7: 1, 8: 1})
    return book.response(f"{survey.slug}-resultat.xlsx")


def edition_columns() -> list[str]:
    return [
        _("Edition"), _("Year"), _("Source"), _("Area code"), _("Area"), _("Points"), _("Share of points (%)"),
        _("Interval, low (%)"), _("Interval, high (%)"), _("Place"), _("Answers"),
    ]  # fmt: skip


def edition_rows(data: Mapping[str, Any]) -> Iterator[list[Cell]]:
    """One row per edition and area, oldest edition first, as frozen in the snapshot's comparison."""
    for edition in (data.get("comparison") or {}).get("editions", []):
        source = _("published table") if edition["source"] == TABLE else _("answers")
        for area in edition["areas"]:
            yield [
                edition["slug"], edition["year"], source, area["code"], area["title_sv"], area["points"],
                _round(area["share"]), _round(area["low"]), _round(area["high"]), area["rank"], edition["n"],
            ]  # fmt: skip


def editions_csv(request: HttpRequest, slug: str) -> HttpResponse:
    survey, snapshot, _versions = snapshot_of(slug)
    return csv_response(
        f"{survey.slug}-upplagor.csv",
        [edition_columns(), *edition_rows(frozen_data(snapshot))],
        international=_international(request),
    )


@staff_required
def responses_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """
    Every anonymous answer, one row per response: region, level and the
    areas in order, by their codes. Streamed in chunks from one ordered
    query, so memory stays flat however many answers there are.
    """
    survey = get_object_or_404(Survey, slug=slug)
    places = [_("Place %(n)s") % {"n": n} for n in range(1, survey.rank_count + 1)]
    rows = (
        RankedArea.objects.filter(response__survey=survey)
        .order_by("response_id", "position")
        .values_list("response_id", "response__region__code", "response__level", "area__code")
        .iterator(chunk_size=2000)
    )

    def lines() -> Iterator[list[Cell]]:
        yield [_("Region"), _("Level"), *places]
        for _response, places_of_one in groupby(rows, key=lambda row: row[0]):
            answer = list(places_of_one)
            yield [answer[0][1], answer[0][2], *(row[3] for row in answer)]

    return csv_response(f"{survey.slug}-svar.csv", lines(), stream=True, international=_international(request))
