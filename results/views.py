"""
Results pages. The public ones read only published snapshots: a fixed number
of queries, whatever the number of answers, and nothing that arrived after
the publication. Staff also see live results with a preview banner.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from msi_survey.http import AuthenticatedHttpRequest
from msi_survey.permissions import staff_required
from surveys.models import Survey

from . import charts
from .cache import fragment_seconds, frozen_data, publication_state, whole_page_for_visitors
from .comments.views import discussion_context
from .comparison import latest_edition
from .contacts import contacts_for_page
from .forms import WithdrawForm
from .models import Snapshot, localized
from .published import Publication, Withdrawn, publication_of
from .services import AlreadyPublished, changes_since, publish_snapshot, results_as_published, withdraw_snapshot
from .snapshot import Results
from .video import allow_players


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
        publication = publication_of(slug)
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
        publication = publication_of(slug, number)
    except Withdrawn as error:
        return _withdrawn_page(request, error)
    context = _published_context(publication)
    response = render(request, "results/national.html", context)
    return allow_players(response, context["data"].get("commentary", []))


@whole_page_for_visitors
def region(request: HttpRequest, slug: str, code: str, number: int | None = None) -> HttpResponse:
    try:
        publication = publication_of(slug, number)
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
        publication = publication_of(slug)
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
