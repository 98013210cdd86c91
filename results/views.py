"""
Results pages. The public ones read only published snapshots: a fixed number
of queries, whatever the number of answers, and nothing that arrived after
the publication. Staff also see live results with a preview banner.
"""

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from msi_survey.http import AuthenticatedHttpRequest
from msi_survey.permissions import staff_required
from surveys.models import RankedArea, Survey

from . import charts
from .cache import fragment_seconds, frozen_data, publication_state, remember_latest, whole_page_for_visitors
from .comments.views import discussion_context
from .comparison import latest_edition
from .contacts import contacts_for_page
from .forms import WithdrawForm
from .models import Snapshot, localized
from .services import AlreadyPublished, changes_since, publish_snapshot, results_as_published, withdraw_snapshot
from .snapshot import AreaRow, Results
from .video import allow_players


@dataclass
class Publication:
    """What is published of a survey: the version to show, the others, and those withdrawn."""

    survey: Survey
    snapshot: Snapshot | None  # None when every version is withdrawn
    versions: list[tuple[int, datetime]]  # the versions not withdrawn, newest first
    withdrawn: list[Snapshot]  # newest first
    newest: int  # the highest version number, withdrawn or not
    every: list[Snapshot]  # every version, newest first


class Withdrawn(Http404):
    """The version asked for is withdrawn, or every version is: the view shows why (410)."""

    def __init__(self, publication: Publication, asked: Snapshot | None):
        super().__init__("withdrawn")
        self.publication = publication
        self.asked = asked


def _publication(slug: str, version: int | None = None) -> Publication:
    """
    The survey's versions in one query, and the one asked for (the latest
    not withdrawn by default); 404 if nothing was ever published, Withdrawn
    if what was asked for is withdrawn. The snapshots' numbers are not
    loaded here: frozen_data() reads them when a page needs them.
    """
    snapshots = list(
        Snapshot.objects.filter(survey__slug=slug).select_related("survey").defer("data").order_by("-version")
    )
    if not snapshots:
        raise Http404
    withdrawn = [s for s in snapshots if s.withdrawn_at is not None]
    public = [s for s in snapshots if s.withdrawn_at is None]
    remember_latest(slug, publication_state(snapshots[0].version, len(withdrawn)))
    if version is None:
        snapshot = public[0] if public else None
    else:
        snapshot = next((s for s in snapshots if s.version == version), None)
        if snapshot is None:
            raise Http404
    publication = Publication(
        survey=snapshots[0].survey,
        snapshot=snapshot,
        versions=[(s.version, s.published_at) for s in public],
        withdrawn=withdrawn,
        newest=snapshots[0].version,
        every=snapshots,
    )
    if snapshot is None or snapshot.withdrawn_at is not None:
        raise Withdrawn(publication, snapshot)
    return publication


def _snapshot(slug: str, version: int | None = None) -> tuple[Survey, Snapshot, list[tuple[int, datetime]]]:
    """The survey, the version to show and the versions not withdrawn (for downloads: a withdrawn one is a 404)."""
    publication = _publication(slug, version)
    assert publication.snapshot is not None
    return publication.survey, publication.snapshot, publication.versions


def _withdrawn_page(request: HttpRequest, error: Withdrawn) -> HttpResponse:
    publication = error.publication
    title = localized({"title_sv": publication.survey.title_sv, "title_en": publication.survey.title_en}, "title")
    context = {"survey": publication.survey, "title": title, "asked": error.asked, "publication": publication}
    return render(request, "results/withdrawn.html", context, status=410)


def _context(
    survey: Survey,
    data: Results,
    *,
    snapshot: Snapshot | None = None,
    versions: Sequence[tuple[int, datetime]] = (),
    preview: bool = False,
    withdrawn: Sequence[Snapshot] = (),
    newest: int = 0,
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
        # The highest version number, withdrawn or not: the next is one more.
        "newest_version": newest,
        "withdrawn": withdrawn,
        # What the cached fragments depend on of the versions (results/cache.py).
        "publication": publication_state(newest, len(withdrawn)),
        "preview": preview,
        "cache_seconds": fragment_seconds(preview=preview),
        "points": data["survey"]["points"],
        "threshold": data["survey"]["threshold"],
        "contact_groups": contacts_for_page(data.get("contacts", [])),
    }


def _published_context(publication: Publication) -> dict[str, Any]:
    assert publication.snapshot is not None
    data = frozen_data(publication.snapshot)
    return _context(
        publication.survey,
        data,
        snapshot=publication.snapshot,
        versions=publication.versions,
        withdrawn=publication.withdrawn,
        newest=publication.newest,
    )


@whole_page_for_visitors
def national(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        publication = _publication(slug)
    except Withdrawn as error:
        return _withdrawn_page(request, error)
    except Http404:
        if request.user.is_staff and Survey.objects.filter(slug=slug).exists():
            return redirect("results:preview", slug=slug)
        raise
    context = _published_context(publication)
    context.update(discussion_context(publication.survey, publication.versions))
    return allow_players(render(request, "results/national.html", context), context["data"].get("commentary", []))


@whole_page_for_visitors
def version(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    try:
        publication = _publication(slug, number)
    except Withdrawn as error:
        return _withdrawn_page(request, error)
    context = _published_context(publication)
    response = render(request, "results/national.html", context)
    return allow_players(response, context["data"].get("commentary", []))


@whole_page_for_visitors
def region(request: HttpRequest, slug: str, code: str, number: int | None = None) -> HttpResponse:
    try:
        publication = _publication(slug, number)
    except Withdrawn as error:
        return _withdrawn_page(request, error)
    context = _published_context(publication)
    block = next((r for r in context["data"]["regions"] if r["code"] == code), None)
    if block is None:
        raise Http404
    context["region"] = block
    context["contact_groups"] = contacts_for_page(context["data"].get("contacts", []), code)
    if not block["suppressed"]:
        context["difference_chart"] = charts.difference_chart(block["areas"])
        context["difference_chart_narrow"] = charts.difference_chart(block["areas"], narrow=True)
    return render(request, "results/region.html", context)


@whole_page_for_visitors
def versions(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        publication = _publication(slug)
    except Withdrawn as error:
        publication = error.publication
    survey = publication.survey
    return render(
        request,
        "results/versions.html",
        {
            "survey": survey,
            "title": localized({"title_sv": survey.title_sv, "title_en": survey.title_en}, "title"),
            "snapshots": publication.every,
            "latest_version": publication.versions[0][0] if publication.versions else 0,
        },
    )


@staff_required
def preview(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    data = results_as_published(survey)
    snapshots = list(Snapshot.objects.filter(survey=survey).defer("data").order_by("-version"))
    context = _context(
        survey,
        data,
        versions=[(s.version, s.published_at) for s in snapshots if s.withdrawn_at is None],
        preview=True,
        withdrawn=[s for s in snapshots if s.withdrawn_at is not None],
        newest=snapshots[0].version if snapshots else 0,
    )
    return allow_players(render(request, "results/national.html", context), data["commentary"])


@staff_required
def publish(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """
    GET: what publishing now would make public (the version number, the
    answers counted, what changed since the version visitors see now), with
    the button. POST from that page publishes; anything else leads back to it.
    """
    survey = get_object_or_404(Survey, slug=slug)
    if request.method == "POST" and request.POST.get("confirm") == "1":
        try:
            based_on = int(request.POST.get("based_on", ""))
        except ValueError:
            messages.error(request, _("The form was out of date. Look at the preview again before publishing."))
            return redirect("results:preview", slug=slug)
        try:
            snapshot = publish_snapshot(survey=survey, user=request.user, based_on=based_on, request=request)
        except AlreadyPublished as error:
            messages.info(
                request,
                _("Version %(n)s was already published; nothing new was published.") % {"n": error.latest.version},
            )
            return redirect("results:national", slug=slug)
        messages.success(request, _("Version %(n)s is published.") % {"n": snapshot.version})
        return redirect("results:national", slug=slug)
    if request.method == "POST":
        return redirect("results:publish", slug=slug)
    data = results_as_published(survey)
    newest = Snapshot.objects.filter(survey=survey).order_by("-version").values_list("version", flat=True).first()
    shown = Snapshot.objects.public().filter(survey=survey).order_by("-version").first()
    return render(
        request,
        "results/publish.html",
        {
            "survey": survey,
            "title": localized(data["survey"], "title"),
            "version": (newest or 0) + 1,
            "based_on": newest or 0,
            "national": data["national"],
            "shown": shown,
            "changes": changes_since(frozen_data(shown), data) if shown else None,
            "commentary_blocks": len(data.get("commentary", [])),
        },
    )


@staff_required
def withdraw(request: AuthenticatedHttpRequest, slug: str, number: int) -> HttpResponse:
    """Withdraw a published version, with a reason that visitors read; it stays stored."""
    snapshot = get_object_or_404(
        Snapshot.objects.select_related("survey").defer("data"), survey__slug=slug, version=number
    )
    survey = snapshot.survey
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if snapshot.withdrawn_at is None and form.is_valid():
        withdraw_snapshot(snapshot=snapshot, user=request.user, reason=form.cleaned_data["reason"], request=request)
        messages.success(request, _("Version %(n)s is withdrawn.") % {"n": number})
        return redirect("results:versions", slug=slug)
    after = (
        Snapshot.objects.public().filter(survey=survey).exclude(pk=snapshot.pk).order_by("-version").first()
        if snapshot.withdrawn_at is None
        else None
    )
    return render(
        request,
        "results/withdraw.html",
        {
            "survey": survey,
            "title": localized({"title_sv": survey.title_sv, "title_en": survey.title_en}, "title"),
            "snapshot": snapshot,
            "after": after,
            "form": form,
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


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
