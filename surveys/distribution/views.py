"""
The regional lead's pages, and the participant's opt-out page. Every lead
view checks access through access.py first: a region, participant or import
the user may not touch is a 404. Leads see whether someone has answered,
never what they answered.
"""

import uuid
from collections.abc import Callable, Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from msi_survey.http import AuthenticatedHttpRequest
from msi_survey.permissions import NoRegion, staff_required
from msi_survey.spreadsheets import Cell, csv_response
from surveys.models import Bounce, EmailKind, OutgoingEmail, Participant, ParticipantImport, Region, Survey

from . import bounces, queueing, selectors
from .access import (
    get_import_for_user,
    get_participant_for_user,
    get_survey_region_for_user,
    regions_for,
)
from .emails import survey_email
from .forms import ConfirmForm, CorrectAddressForm, ImportForm, ParticipantForm
from .labels import ParticipantStatus, StrOrPromise, bounce_reason_label, participant_status, wave_label
from .participants import (
    AlreadyConfirmed,
    CannotRemoveAnswered,
    UnreadableFile,
    cancel_import,
    change_participant,
    check_participant_file,
    confirm_import,
    remove_participant,
)
from .participants import (
    opt_out as record_opt_out,
)

PAGE_SIZE = 200


def _region_url(survey: Survey, region: Region) -> HttpResponseRedirect:
    return redirect("lead:region", slug=survey.slug, code=region.code)


@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    regions = list(regions_for(request.user).order_by("name"))
    if not regions:
        raise NoRegion
    surveys = []
    for survey in Survey.objects.order_by("-opens_at"):
        counts = selectors.region_counts(survey, regions)
        surveys.append({"survey": survey, "regions": [(region, counts[region.pk]) for region in regions]})
    return render(request, "surveys/lead/dashboard.html", {"surveys": surveys})


@login_required
def region_page(request: AuthenticatedHttpRequest, slug: str, code: str) -> HttpResponse:
    survey, region = get_survey_region_for_user(request.user, slug, code)
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
            "to_invite": queueing.invitation_candidates(survey, region).count(),
            "to_remind": queueing.manual_reminder_candidates(survey, region).count(),
        },
    )


def _filter_choices() -> list[tuple[str, StrOrPromise]]:
    return [
        ("", _("Everyone")),
        (ParticipantStatus.NOT_ANSWERED, ParticipantStatus.NOT_ANSWERED.label),
        (ParticipantStatus.ANSWERED, ParticipantStatus.ANSWERED.label),
        ("not_invited", _("Not invited yet")),
        ("failed", _("Email failed")),
        ("bounced", _("Email bounced")),
        ("uncertain", _("Email uncertain")),
        (ParticipantStatus.OPTED_OUT, ParticipantStatus.OPTED_OUT.label),
    ]


@login_required
def progress(request: AuthenticatedHttpRequest, slug: str, code: str) -> HttpResponse:
    survey, region = get_survey_region_for_user(request.user, slug, code)
    progress = selectors.latest_mailing_progress(survey, region)
    if progress is not None:
        # The same sentence as on the page, for the page's live region.
        progress["held_text"] = " ".join(
            render_to_string("surveys/lead/_hold.html", {"held": progress["held"]}).split()
        )
    return JsonResponse({"progress": progress, "counts": selectors.region_counts(survey, [region])[region.pk]})


@login_required
def participants_csv(request: AuthenticatedHttpRequest, slug: str, code: str) -> HttpResponse:
    survey, region = get_survey_region_for_user(request.user, slug, code)
    header: list[Cell] = [
        _("Email"), _("Name"), _("Organisation"), _("Level"), _("Status"), _("Last email"), _("Sent"), _("Error"),
        _("Bounced"), _("Reason"), _("The server's reply"),
    ]  # fmt: skip

    def rows() -> Iterator[list[Cell]]:
        # Names, organisations and the server's reply came from outside: spreadsheets.py keeps them text.
        yield header
        for p in selectors.participants_for_lead(survey, region).iterator(chunk_size=2000):
            yield [
                p.email,
                p.name,
                p.organisation,
                p.level,
                str(participant_status(p).label),
                wave_label(p.last_wave) if p.last_wave is not None else "",
                timezone.localtime(p.last_sent_at).strftime("%Y-%m-%d %H:%M") if p.last_sent_at else "",
                p.last_error or "",
                timezone.localtime(p.bounce_at).strftime("%Y-%m-%d %H:%M") if p.bounce_at else "",
                str(bounce_reason_label(p.bounce_reason)),
                p.bounce_text or "",
            ]

    return csv_response(f"{survey.slug}-{region.code}-deltagare.csv", rows(), stream=True)


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: AuthenticatedHttpRequest, slug: str, code: str) -> HttpResponse:
    survey, region = get_survey_region_for_user(request.user, slug, code)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            checked = check_participant_file(
                survey=survey, region=region, data=upload.read(), filename=upload.name, user=request.user
            )
        except UnreadableFile as error:
            form.add_error("file", str(error))
        else:
            return redirect("lead:import_preview", slug=survey.slug, code=region.code, import_id=checked.pk)
    return render(request, "surveys/lead/import.html", {"survey": survey, "region": region, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def import_preview(request: AuthenticatedHttpRequest, slug: str, code: str, import_id: uuid.UUID) -> HttpResponse:
    survey, region = get_survey_region_for_user(request.user, slug, code)
    checked = get_import_for_user(request.user, survey, region, import_id)
    if request.method == "POST":
        if "cancel" in request.POST:
            cancel_import(participant_import=checked)
            messages.info(request, _("The import was cancelled. Nothing was added."))
            return _region_url(survey, region)
        try:
            created = confirm_import(participant_import=checked)
        except AlreadyConfirmed:
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
def participant_add(request: AuthenticatedHttpRequest, slug: str, code: str) -> HttpResponse:
    survey, region = get_survey_region_for_user(request.user, slug, code)
    form = ParticipantForm(request.POST or None, survey=survey, region=region)
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
def participant_edit(request: AuthenticatedHttpRequest, slug: str, code: str, pk: int) -> HttpResponse:
    survey, region = get_survey_region_for_user(request.user, slug, code)
    participant = get_participant_for_user(request.user, survey, region, pk)
    form = ParticipantForm(request.POST or None, instance=participant, survey=survey, region=region)
    if request.method == "POST" and form.is_valid():
        reissued = change_participant(
            participant_id=participant.pk,
            **{name: form.cleaned_data[name] for name in ("email", "name", "organisation", "level")},
            by=request.user,
            request=request,
        )
        if reissued:
            messages.success(
                request,
                _(
                    "The changes were saved. %(email)s gets a new personal link with the next email; "
                    "the link sent before no longer works."
                )
                % {"email": form.cleaned_data["email"]},
            )
        else:
            messages.success(request, _("The changes were saved."))
        return _region_url(survey, region)
    return render(
        request,
        "surveys/lead/participant_form.html",
        {"survey": survey, "region": region, "form": form, "participant": participant, "title": participant.email},
    )


@login_required
@require_http_methods(["GET", "POST"])
def participant_correct(request: AuthenticatedHttpRequest, slug: str, code: str, pk: int) -> HttpResponse:
    """GET: why the email bounced and a form for the corrected address. POST: save it and send the email again."""
    survey, region = get_survey_region_for_user(request.user, slug, code)
    participant = get_participant_for_user(request.user, survey, region, pk)
    form = CorrectAddressForm(request.POST or None, participant=participant, initial={"email": participant.email})
    if request.method == "POST" and form.is_valid():
        try:
            bounces.correct_and_resend(
                participant_id=participant.pk, address=form.cleaned_data["email"], by=request.user, request=request
            )
        except bounces.NothingToResend:
            messages.info(request, _("Nothing had bounced any more: the email has already been sent again."))
        else:
            messages.success(
                request, _("The email is on its way to %(email)s.") % {"email": form.cleaned_data["email"]}
            )
        return _region_url(survey, region)
    history = list(
        Bounce.objects.filter(email__participant=participant)
        .select_related("email")
        .order_by("-occurred_at", "-pk")[:20]
    )
    return render(
        request,
        "surveys/lead/participant_correct.html",
        {
            "survey": survey,
            "region": region,
            "participant": participant,
            "form": form,
            "history": history,
            "bounced": participant.emails.filter(status=OutgoingEmail.Status.BOUNCED).exists(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def participant_remove(request: AuthenticatedHttpRequest, slug: str, code: str, pk: int) -> HttpResponse:
    survey, region = get_survey_region_for_user(request.user, slug, code)
    participant = get_participant_for_user(request.user, survey, region, pk)
    if request.method == "POST":
        try:
            remove_participant(participant=participant)
        except CannotRemoveAnswered:
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
def send_invitations(request: AuthenticatedHttpRequest, slug: str, code: str) -> HttpResponse:
    survey, region = get_survey_region_for_user(request.user, slug, code)
    return _confirm_send(
        request,
        survey,
        region,
        kind=EmailKind.INVITATION,
        count=queueing.invitation_candidates(survey, region).count(),
        queue=lambda: queueing.queue_invitations(survey=survey, region=region, created_by=request.user)[1],
    )


@login_required
@require_http_methods(["GET", "POST"])
def send_reminder(request: AuthenticatedHttpRequest, slug: str, code: str) -> HttpResponse:
    survey, region = get_survey_region_for_user(request.user, slug, code)
    return _confirm_send(
        request,
        survey,
        region,
        kind=EmailKind.REMINDER,
        count=queueing.manual_reminder_candidates(survey, region).count(),
        queue=lambda: queueing.queue_manual_reminder(survey=survey, region=region, created_by=request.user)[1],
    )


@login_required
@require_http_methods(["GET", "POST"])
def resend_uncertain(request: AuthenticatedHttpRequest, slug: str, code: str) -> HttpResponse:
    """GET: say how many emails are uncertain and what sending them again means. POST: queue them again."""
    survey, region = get_survey_region_for_user(request.user, slug, code)
    return _confirm_send(
        request,
        survey,
        region,
        count=queueing.uncertain_emails(survey, region).count(),
        queue=lambda: queueing.requeue_uncertain(survey=survey, region=region),
        template="surveys/lead/confirm_resend.html",
        sent=lambda n: ngettext("%(n)d email is on its way again.", "%(n)d emails are on their way again.", n),
        nothing=_("No email was uncertain any more, so nothing was sent."),
    )


def _on_its_way(n: int) -> str:
    return ngettext("%(n)d email is on its way.", "%(n)d emails are on their way.", n)


def _confirm_send(
    request: AuthenticatedHttpRequest,
    survey: Survey,
    region: Region,
    *,
    count: int,
    queue: Callable[[], int],
    kind: EmailKind | None = None,
    template: str = "surveys/lead/confirm_send.html",
    sent: Callable[[int], str] = _on_its_way,
    nothing: str | None = None,
) -> HttpResponse:
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
            # How long it takes at the current sending limits (none: as fast as the server takes them).
            "estimate": selectors.send_estimate(count, region, now=timezone.now()) if count else None,
        },
    )


@staff_required
def sending_overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Staff only: the whole queue, what went against each limit, and what holds sending now."""
    return render(request, "surveys/lead/sending.html", {"overview": selectors.sending_overview(now=timezone.now())})


@login_required
def email_preview(request: AuthenticatedHttpRequest, slug: str, code: str, kind: str) -> HttpResponse:
    survey, region = get_survey_region_for_user(request.user, slug, code)
    if kind not in EmailKind.values:
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
    message = survey_email(participant, kind=EmailKind(kind))
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
            "kind_label": EmailKind(kind).label,
            "message": message,
            "headers": message.extra_headers,
            "participant": participant,
        },
    )


# Mail providers' one-click unsubscribe (RFC 8058) posts without a CSRF
# token; the token in the URL is the credential.
@never_cache
@csrf_exempt
def opt_out(request: HttpRequest, token: str) -> HttpResponse:
    """The participant's own page (from the email's link or List-Unsubscribe): no more reminders."""
    participant = get_object_or_404(Participant.objects.select_related("survey"), token=token)
    if request.method == "POST":
        record_opt_out(participant=participant)
        return render(request, "surveys/opted_out.html", {"survey": participant.survey})
    return render(
        request,
        "surveys/opt_out.html",
        {"survey": participant.survey, "participant": participant},
    )
