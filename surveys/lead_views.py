"""
The regional lead's pages. Every view checks access through surveys.access
first: a region, participant or import the user may not touch is a 404.
Leads see whether someone has answered, never what they answered.
"""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from . import selectors, sending, services
from .access import get_import_for_user, get_participant_for_user, get_survey_region_for_user, regions_for
from .emails import survey_email
from .lead_forms import ConfirmForm, ImportForm, ParticipantForm
from .models import EmailText, Participant, ParticipantImport, Survey

PAGE_SIZE = 200


def _region_url(survey, region):
    return redirect("lead:region", slug=survey.slug, region=region.code)


@login_required
def dashboard(request):
    regions = list(regions_for(request.user).order_by("name"))
    if not regions:
        raise Http404
    surveys = []
    for survey in Survey.objects.order_by("-opens_at"):
        counts = selectors.region_counts(survey, regions)
        surveys.append({"survey": survey, "regions": [(region, counts[region.pk]) for region in regions]})
    return render(request, "surveys/lead/dashboard.html", {"surveys": surveys})


@login_required
def region_page(request, slug, region):
    survey, region = get_survey_region_for_user(request.user, slug, region)
    search = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("status", "")
    if status not in selectors.PARTICIPANT_FILTERS:
        status = ""
    participants = selectors.participants_for_lead(survey, region, search=search, status=status)
    shown = list(participants[: PAGE_SIZE + 1])
    counts = selectors.region_counts(survey, [region])[region.pk]
    return render(
        request,
        "surveys/lead/region.html",
        {
            "survey": survey,
            "region": region,
            "counts": counts,
            "waves": selectors.answers_by_wave(survey, region),
            "progress": selectors.latest_mailing_progress(survey, region),
            "participants": shown[:PAGE_SIZE],
            "more": len(shown) > PAGE_SIZE,
            "search": search,
            "status": status,
            "filters": _filter_choices(),
            "to_invite": sending.invitation_candidates(survey, region).count(),
            "to_remind": sending.manual_reminder_candidates(survey, region).count(),
            "statuses": dict(Participant._meta.get_field("level").choices),
        },
    )


def _filter_choices():
    return [
        ("", _("Everyone")),
        ("not_answered", _("Not answered")),
        ("answered", _("Answered")),
        ("not_invited", _("Not invited yet")),
        ("failed", _("Email failed")),
        ("uncertain", _("Email uncertain")),
        ("opted_out", _("Said no to reminders")),
    ]


@login_required
def progress(request, slug, region):
    survey, region = get_survey_region_for_user(request.user, slug, region)
    return JsonResponse(
        {
            "progress": selectors.latest_mailing_progress(survey, region),
            "counts": selectors.region_counts(survey, [region])[region.pk],
        }
    )


@login_required
def participants_csv(request, slug, region):
    survey, region = get_survey_region_for_user(request.user, slug, region)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{survey.slug}-{region.code}-deltagare.csv"'
    # A BOM and semicolons, so that Excel in Swedish opens it as it should.
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    writer.writerow(["E-post", "Namn", "Organisation", "Nivå", "Status", "Senaste e-post", "Skickat", "Fel"])
    for p in selectors.participants_for_lead(survey, region).iterator(chunk_size=2000):
        writer.writerow(
            [
                p.email,
                p.name,
                p.organisation,
                p.level,
                _participant_status(p),
                _wave_label(p.last_wave) if p.last_wave is not None else "",
                timezone.localtime(p.last_sent_at).strftime("%Y-%m-%d %H:%M") if p.last_sent_at else "",
                p.last_error or "",
            ]
        )
    return response


def _participant_status(p) -> str:
    if p.answered_at:
        return _("Answered")
    if p.opted_out_at:
        return _("Said no to reminders")
    return _("Not answered")


def _wave_label(wave: int) -> str:
    return _("Invitation") if wave == 0 else _("Reminder %(n)s") % {"n": wave}


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request, slug, region):
    survey, region = get_survey_region_for_user(request.user, slug, region)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            checked = services.check_participant_file(
                survey=survey, region=region, data=upload.read(), filename=upload.name, user=request.user
            )
        except services.UnreadableFile as error:
            form.add_error("file", str(error))
        else:
            return redirect("lead:import_preview", slug=survey.slug, region=region.code, import_id=checked.pk)
    return render(request, "surveys/lead/import.html", {"survey": survey, "region": region, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def import_preview(request, slug, region, import_id):
    survey, region = get_survey_region_for_user(request.user, slug, region)
    checked = get_import_for_user(request.user, survey, region, import_id)
    if request.method == "POST":
        if "cancel" in request.POST:
            services.cancel_import(participant_import=checked)
            messages.info(request, _("The import was cancelled. Nothing was added."))
            return _region_url(survey, region)
        try:
            created = services.confirm_import(participant_import=checked)
        except services.AlreadyConfirmed:
            messages.info(request, _("This list has already been handled."))
        else:
            messages.success(
                request,
                ngettext("%(n)d participant was added.", "%(n)d participants were added.", created) % {"n": created},
            )
        return _region_url(survey, region)
    return render(
        request,
        "surveys/lead/import_preview.html",
        {
            "survey": survey,
            "region": region,
            "import": checked,
            "sample": checked.valid_rows[:50],
            "warned": [row for row in checked.valid_rows if row.get("warning")],
            "is_preview": checked.status == ParticipantImport.Status.PREVIEW,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def participant_add(request, slug, region):
    survey, region = get_survey_region_for_user(request.user, slug, region)
    form = ParticipantForm(request.POST or None, survey=survey)
    if request.method == "POST" and form.is_valid():
        participant = form.save(commit=False)
        participant.survey, participant.region = survey, region
        participant.save()
        messages.success(request, _("%(email)s was added.") % {"email": participant.email})
        return _region_url(survey, region)
    return render(
        request,
        "surveys/lead/participant_form.html",
        {"survey": survey, "region": region, "form": form, "title": _("Add a participant")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def participant_edit(request, slug, region, pk):
    survey, region = get_survey_region_for_user(request.user, slug, region)
    participant = get_participant_for_user(request.user, survey, region, pk)
    form = ParticipantForm(request.POST or None, instance=participant, survey=survey)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The changes were saved."))
        return _region_url(survey, region)
    return render(
        request,
        "surveys/lead/participant_form.html",
        {"survey": survey, "region": region, "form": form, "participant": participant, "title": participant.email},
    )


@login_required
@require_http_methods(["GET", "POST"])
def participant_remove(request, slug, region, pk):
    survey, region = get_survey_region_for_user(request.user, slug, region)
    participant = get_participant_for_user(request.user, survey, region, pk)
    if request.method == "POST":
        try:
            services.remove_participant(participant=participant)
        except services.CannotRemoveAnswered:
            messages.error(request, _("%(email)s has answered and cannot be removed.") % {"email": participant.email})
        else:
            messages.success(request, _("%(email)s was removed.") % {"email": participant.email})
        return _region_url(survey, region)
    return render(
        request,
        "surveys/lead/participant_remove.html",
        {"survey": survey, "region": region, "participant": participant},
    )


@login_required
@require_http_methods(["GET", "POST"])
def send_invitations(request, slug, region):
    survey, region = get_survey_region_for_user(request.user, slug, region)
    return _confirm_send(
        request,
        survey,
        region,
        kind=EmailText.Kind.INVITATION,
        count=sending.invitation_candidates(survey, region).count(),
        queue=lambda: sending.queue_invitations(survey=survey, region=region, created_by=request.user)[1],
    )


@login_required
@require_http_methods(["GET", "POST"])
def send_reminder(request, slug, region):
    survey, region = get_survey_region_for_user(request.user, slug, region)
    return _confirm_send(
        request,
        survey,
        region,
        kind=EmailText.Kind.REMINDER,
        count=sending.manual_reminder_candidates(survey, region).count(),
        queue=lambda: sending.queue_manual_reminder(survey=survey, region=region, created_by=request.user)[1],
    )


@login_required
@require_http_methods(["GET", "POST"])
def resend_uncertain(request, slug, region):
    """GET: say how many emails are uncertain and what sending them again means. POST: queue them again."""
    survey, region = get_survey_region_for_user(request.user, slug, region)
    return _confirm_send(
        request,
        survey,
        region,
        count=sending.uncertain_emails(survey, region).count(),
        queue=lambda: sending.requeue_uncertain(survey=survey, region=region),
        template="surveys/lead/confirm_resend.html",
        sent=lambda n: ngettext("%(n)d email is on its way again.", "%(n)d emails are on their way again.", n),
        nothing=_("No email was uncertain any more, so nothing was sent."),
    )


def _on_its_way(n: int) -> str:
    return ngettext("%(n)d email is on its way.", "%(n)d emails are on their way.", n)


def _confirm_send(
    request,
    survey,
    region,
    *,
    count,
    queue,
    kind=None,
    template="surveys/lead/confirm_send.html",
    sent=_on_its_way,
    nothing=None,
):
    """
    GET: say how many it will reach and ask. POST: queue (`queue` returns
    how many it queued), then tell how many it did reach.
    """
    changed = False
    if request.method == "POST":
        form = ConfirmForm(request.POST)
        # More people than the lead confirmed would be reached: ask again.
        # Fewer (a double click, someone answered meanwhile) is fine.
        changed = form.is_valid() and count > form.cleaned_data["expected"]
        if form.is_valid() and not changed:
            queued = queue()
            if queued:
                messages.success(request, sent(queued) % {"n": queued})
            else:
                messages.info(request, nothing or _("Nobody was due for this email, so nothing was sent."))
            return _region_url(survey, region)
    form = ConfirmForm(initial={"expected": count})
    return render(
        request,
        template,
        {
            "survey": survey,
            "region": region,
            "kind": kind,
            "count": count,
            "form": form,
            "open": survey.is_open(),
            "changed": changed,
        },
    )


@login_required
def email_preview(request, slug, region, kind):
    survey, region = get_survey_region_for_user(request.user, slug, region)
    if kind not in EmailText.Kind.values:
        raise Http404
    participant = Participant.objects.filter(survey=survey, region=region).exclude(email="").order_by("id").first()
    if participant is None:
        # Nobody in the list yet: show the email to a made-up person.
        participant = Participant(survey=survey, region=region, email="namn@kommun.example.se", name="Anna Exempel")
    # The first person's name and address, but never their link: with it the
    # lead could answer on their behalf. "exempel" is no token (they are 43
    # characters), so the preview's links lead nowhere.
    shown = {"email": participant.email, "name": participant.name}
    participant = Participant(survey=survey, region=region, token="exempel", **shown)  # noqa: S106
    message = survey_email(participant, kind=kind)
    if request.GET.get("format") == "html":
        response = HttpResponse(message.alternatives[0][0])
        # The HTML email is shown as it is, in a sandbox of its own.
        response["Content-Security-Policy"] = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"
        return response
    return render(
        request,
        "surveys/lead/email_preview.html",
        {
            "survey": survey,
            "region": region,
            "kind": kind,
            "kind_label": EmailText.Kind(kind).label,
            "message": message,
            "headers": message.extra_headers,
            "participant": participant,
        },
    )
