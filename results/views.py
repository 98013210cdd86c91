"""
Results pages. The public ones read only published snapshots: a fixed number
of queries, whatever the number of answers, and nothing that arrived after
the publication. Staff also see live results with a preview banner.
"""

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import datetime
from itertools import groupby
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from msi_survey.http import AuthenticatedHttpRequest
from msi_survey.permissions import staff_required
from surveys.models import RankedArea, Survey

from . import charts
from .cache import fragment_seconds, frozen_data, remember_latest, whole_page_for_visitors
from .comments.views import discussion_context
from .comparison import latest_edition
from .contacts import contacts_for_page
from .models import Snapshot, localized
from .services import AlreadyPublished, publish_snapshot, results_as_published
from .snapshot import AreaRow, Results
from .video import allow_players


def _snapshot(slug: str, version: int | None = None) -> tuple[Survey, Snapshot, list[tuple[int, datetime]]]:
    """
    The survey, the snapshot asked for (the latest by default) and the list
    of versions, in one query; 404 if unpublished. The snapshot's numbers are
    not loaded here: frozen_data() reads them when a page needs them.
    """
    snapshots = list(
        Snapshot.objects.filter(survey__slug=slug).select_related("survey").defer("data").order_by("-version")
    )
    if not snapshots:
        raise Http404
    remember_latest(slug, snapshots[0].version)
    wanted = version if version is not None else snapshots[0].version
    snapshot = next((s for s in snapshots if s.version == wanted), None)
    if snapshot is None:
        raise Http404
    return snapshot.survey, snapshot, [(s.version, s.published_at) for s in snapshots]


def _context(
    survey: Survey,
    data: Results,
    *,
    snapshot: Snapshot | None = None,
    versions: Sequence[tuple[int, datetime]] = (),
    preview: bool = False,
) -> dict[str, Any]:
    national = data["national"]
    areas = national["areas"] or []
    shown_regions = [r for r in data["regions"] if not r["suppressed"]]
    return {
        "survey": survey,
        "data": data,
        "title": localized(data["survey"], "title"),
        "national": national,
        "areas": areas,
        "regions": data["regions"],
        "shown_regions": shown_regions,
        "levels": data["levels"],
        "waves": data["waves"],
        "commentary": [
            {**block, "heading": localized(block, "heading"), "body": localized(block, "body")}
            for block in data.get("commentary", [])
        ],
        # Lazy: the charts are built only when the page is not in the cache already.
        "bar_chart": SimpleLazyObject(lambda: charts.bar_chart(areas)) if areas else None,
        "bar_chart_narrow": SimpleLazyObject(lambda: charts.bar_chart(areas, narrow=True)) if areas else None,
        "heat_map": SimpleLazyObject(lambda: charts.heat_map(areas, data["regions"]))
        if areas and data["regions"]
        else None,
        "heat_map_narrow": SimpleLazyObject(lambda: charts.heat_map(areas, data["regions"], narrow=True))
        if areas and data["regions"]
        else None,
        "snapshot": snapshot,
        # Not in the snapshot: a newer edition published later is pointed to from the older pages.
        "latest_edition": SimpleLazyObject(lambda: latest_edition(survey)),
        "published_at": parse_datetime(data["published_at"]) if data.get("published_at") else None,
        "versions": versions,
        "latest_version": versions[0][0] if versions else 0,
        "preview": preview,
        "cache_seconds": fragment_seconds(preview=preview),
        "points": data["survey"]["points"],
        "threshold": data["survey"]["threshold"],
        "contact_groups": contacts_for_page(data.get("contacts", [])),
    }


@whole_page_for_visitors
def national(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        survey, snapshot, versions = _snapshot(slug)
    except Http404:
        if request.user.is_staff and Survey.objects.filter(slug=slug).exists():
            return redirect("results:preview", slug=slug)
        raise
    data = frozen_data(snapshot)
    context = _context(survey, data, snapshot=snapshot, versions=versions)
    context.update(discussion_context(survey, versions))
    return allow_players(render(request, "results/national.html", context), data.get("commentary", []))


@whole_page_for_visitors
def version(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    survey, snapshot, versions = _snapshot(slug, number)
    data = frozen_data(snapshot)
    response = render(request, "results/national.html", _context(survey, data, snapshot=snapshot, versions=versions))
    return allow_players(response, data.get("commentary", []))


@whole_page_for_visitors
def region(request: HttpRequest, slug: str, code: str, number: int | None = None) -> HttpResponse:
    survey, snapshot, versions = _snapshot(slug, number)
    block = next((r for r in frozen_data(snapshot)["regions"] if r["code"] == code), None)
    if block is None:
        raise Http404
    context = _context(survey, frozen_data(snapshot), snapshot=snapshot, versions=versions)
    context["region"] = block
    context["contact_groups"] = contacts_for_page(context["data"].get("contacts", []), code)
    if not block["suppressed"]:
        context["difference_chart"] = charts.difference_chart(block["areas"])
        context["difference_chart_narrow"] = charts.difference_chart(block["areas"], narrow=True)
    return render(request, "results/region.html", context)


@whole_page_for_visitors
def versions(request: HttpRequest, slug: str) -> HttpResponse:
    survey, snapshot, versions = _snapshot(slug)
    return render(
        request,
        "results/versions.html",
        {"survey": survey, "title": localized(frozen_data(snapshot)["survey"], "title"), "versions": versions},
    )


@staff_required
def preview(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    data = results_as_published(survey)
    versions = list(Snapshot.objects.filter(survey=survey).order_by("-version").values_list("version", "published_at"))
    response = render(request, "results/national.html", _context(survey, data, versions=versions, preview=True))
    return allow_players(response, data["commentary"])


@staff_required
@require_POST
def publish(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    try:
        based_on = int(request.POST.get("based_on", ""))
    except ValueError:
        messages.error(request, _("The form was out of date. Look at the preview again before publishing."))
        return redirect("results:preview", slug=slug)
    try:
        snapshot = publish_snapshot(survey=survey, user=request.user, based_on=based_on)
    except AlreadyPublished as error:
        messages.info(
            request, _("Version %(n)s was already published; nothing new was published.") % {"n": error.latest.version}
        )
        return redirect("results:national", slug=slug)
    messages.success(request, _("Version %(n)s is published.") % {"n": snapshot.version})
    return redirect("results:national", slug=slug)


def _csv_response(filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


AREA_COLUMNS = [
    "code", "area", "points", "share_percent", "rank", "ci_low_percent", "ci_high_percent", "rank_low", "rank_high",
    "chosen_by", "first_by", "mean_position", "area_en",
]  # fmt: skip


def _area_row(row: AreaRow) -> list[object]:
    return [
        row["code"], row["title_sv"], row["points"], f"{row['share']:.1f}", row["rank"], f"{row['low']:.1f}",
        f"{row['high']:.1f}", row["rank_low"], row["rank_high"], row["chosen_by"], row["first_by"],
        "" if row["mean_position"] is None else row["mean_position"], row["title_en"],
    ]  # fmt: skip


def results_csv(request: HttpRequest, slug: str) -> HttpResponse:
    survey, snapshot, _versions = _snapshot(slug)
    response = _csv_response(f"{survey.slug}-results.csv")
    writer = csv.writer(response)
    writer.writerow(AREA_COLUMNS)
    for row in frozen_data(snapshot)["national"]["areas"] or []:
        writer.writerow(_area_row(row))
    return response


def results_xlsx(request: HttpRequest, slug: str) -> HttpResponse:
    from openpyxl import Workbook

    survey, snapshot, _versions = _snapshot(slug)
    data = frozen_data(snapshot)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Nation"))
    sheet.append(AREA_COLUMNS)
    for row in data["national"]["areas"] or []:
        sheet.append(_area_row(row))

    sheet = book.create_sheet(_("Regions"))
    sheet.append(
        ["region", *AREA_COLUMNS, "diff_percent_points", "diff_low", "diff_high", "clear_difference", "national_rank"]
    )
    for block in data["regions"]:
        if block["suppressed"]:
            sheet.append([block["code"], _("too few answers to show")])
            continue
        for row in block["areas"]:
            sheet.append(
                [block["code"], *_area_row(row), round(row["diff"], 1), round(row["diff_low"], 1),
                 round(row["diff_high"], 1), row["clear_difference"], row["national_rank"]]
            )  # fmt: skip

    sheet = book.create_sheet(_("Response rates"))
    sheet.append(["group", "invited", "answers", "response_rate_percent"])
    national = data["national"]
    sheet.append(["nation", national["invited"], national["n"], national["response_rate"]])
    for block in data["regions"]:
        if block["suppressed"]:
            sheet.append([block["code"], block["invited"], _("too few answers to show"), None])
        else:
            sheet.append([block["code"], block["invited"], block["n"], block["response_rate"]])
    for wave in data["waves"]:
        label = "no_email" if wave["wave"] is None else f"after_email_{wave['wave']}"
        sheet.append([label, None, None if wave["suppressed"] else wave["n"], None])

    from .comparison_exports import add_editions_sheet

    add_editions_sheet(book, data)
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{survey.slug}-results.xlsx"'
    return response


class _Echo:
    def write(self, value: str) -> str:
        return value


@staff_required
def responses_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    """
    Every anonymous answer, one row per response: region, level and the
    areas in order. Streamed in chunks from one ordered query, so memory stays
    flat however many answers there are.
    """
    survey = get_object_or_404(Survey, slug=slug)
    places = [f"place_{n}" for n in range(1, survey.rank_count + 1)]
    rows = (
        RankedArea.objects.filter(response__survey=survey)
        .order_by("response_id", "position")
        .values_list("response_id", "response__region__code", "response__level", "area__code")
        .iterator(chunk_size=2000)
    )
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(["region", "level", *places])
        for _response, places_of_one in groupby(rows, key=lambda row: row[0]):
            answer = list(places_of_one)
            codes = [row[3] for row in answer]
            yield writer.writerow([answer[0][1], answer[0][2], *codes])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{survey.slug}-responses.csv"'
    return response
