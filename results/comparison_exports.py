"""The national tables of every edition in one long table: a CSV of its own and a sheet in the xlsx."""

import csv
from collections.abc import Iterator, Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from .cache import frozen_data
from .views import _csv_response, _snapshot

EDITION_COLUMNS = [
    "edition", "year", "source", "area_code", "area", "points", "share_percent", "ci_low_percent",
    "ci_high_percent", "rank", "answers",
]  # fmt: skip


def _one_decimal(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def edition_rows(data: Mapping[str, Any]) -> Iterator[list[object]]:
    """One row per edition and area, oldest edition first, as frozen in the snapshot's comparison."""
    for edition in (data.get("comparison") or {}).get("editions", []):
        for area in edition["areas"]:
            yield [
                edition["slug"], edition["year"], edition["source"], area["code"], area["title_sv"],
                "" if area["points"] is None else area["points"], _one_decimal(area["share"]),
                _one_decimal(area["low"]), _one_decimal(area["high"]), area["rank"],
                "" if edition["n"] is None else edition["n"],
            ]  # fmt: skip


def editions_csv(request: HttpRequest, slug: str) -> HttpResponse:
    survey, snapshot, _versions = _snapshot(slug)
    response = _csv_response(f"{survey.slug}-editions.csv")
    writer = csv.writer(response)
    writer.writerow(EDITION_COLUMNS)
    writer.writerows(edition_rows(frozen_data(snapshot)))
    return response


def add_editions_sheet(book, data: Mapping[str, Any]) -> None:
    """The same long table as a sheet of the results workbook, for an edition with one before it."""
    if not (data.get("comparison") or {}).get("previous"):
        return
    sheet = book.create_sheet(_("Editions"))
    sheet.append(EDITION_COLUMNS)
    for row in edition_rows(data):
        sheet.append(row)
