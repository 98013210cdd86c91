"""
The official's pages: the answer form behind a personal link, and the thank-you page.
"""

import logging

from crispy_forms.utils import render_crispy_form
from django.core.cache import cache
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache

from .forms import AnswerForm
from .models import Participant, Survey
from .services import AlreadyAnswered, SurveyNotOpen, submit_response

logger = logging.getLogger(__name__)


def _get_participant(token: str) -> Participant:
    # One lookup decides whether a link exists; an unknown token is a 404.
    return get_object_or_404(Participant.objects.select_related("survey"), token=token)


@never_cache
def answer(request: HttpRequest, token: str) -> HttpResponse:
    participant = _get_participant(token)
    survey = participant.survey
    now = timezone.now()

    if participant.has_answered:
        if request.method == "POST":
            # A double click or a resubmitted form: the first one counted.
            return redirect("surveys:thanks", token=token)
        return render(request, "surveys/already_answered.html", {"survey": survey})
    if not survey.is_open(now):
        return render(request, "surveys/not_open.html", {"survey": survey, "not_yet": survey.has_not_opened(now)})

    if request.method == "POST":
        form = AnswerForm(request.POST, survey=survey)
        if form.is_valid():
            try:
                submit_response(
                    participant=participant,
                    ranking=form.cleaned_data["ranking"],
                    level=form.cleaned_data["level"],
                    now=now,
                )
            except AlreadyAnswered:
                pass  # Someone else on this link was first; that answer counts.
            except SurveyNotOpen:
                return render(request, "surveys/not_open.html", {"survey": survey, "not_yet": False})
            except (OperationalError, InterfaceError):
                # The database went away mid-answer. The transaction rolled
                # back, so nothing was stored: give the form back as it was
                # filled in, and let the official send it again.
                # (Django closes the broken connection at the end of the request.)
                logger.exception("the database failed while storing an answer")
                return render(
                    request,
                    "surveys/answer.html",
                    {"survey": survey, "participant": participant, "form": form, "try_again": True},
                    status=503,
                )
            return redirect("surveys:thanks", token=token)
    else:
        return render(
            request,
            "surveys/answer.html",
            {
                "survey": survey,
                "participant": participant,
                "empty_form": _empty_form(survey, participant.level),
            },
        )

    return render(
        request,
        "surveys/answer.html",
        {"survey": survey, "participant": participant, "form": form},
    )


EMPTY_FORM_SECONDS = 60


def _empty_form(survey: Survey, level: str) -> dict[str, SafeString]:
    """
    The survey's heading and its empty form, the same for everyone in the
    survey with the same language and preset level: rendered at most once a
    minute, not on every visit (an edit to the survey shows within a minute).
    """
    key = f"answer-page:{survey.pk}:{translation.get_language()}:{level}"
    parts = cache.get(key)
    if parts is None:
        form = AnswerForm(survey=survey, initial={"level": level or None})
        parts = {
            "header": render_to_string("surveys/_answer_header.html", {"survey": survey}),
            "form": render_crispy_form(form),
        }
        cache.set(key, parts, EMPTY_FORM_SECONDS)
    return {name: mark_safe(html) for name, html in parts.items()}  # noqa: S308 - our own rendered templates


@never_cache
def thanks(request: HttpRequest, token: str) -> HttpResponse:
    participant = _get_participant(token)
    if not participant.has_answered:
        return redirect("surveys:answer", token=token)
    from results.models import Snapshot

    # The results link leads to the latest published version: say which, and
    # when, since an answer given after it is not in it.
    published = (
        Snapshot.objects.public()
        .filter(survey=participant.survey)
        .order_by("-version")
        .values("version", "published_at")
        .first()
    )
    return render(request, "surveys/thanks.html", {"survey": participant.survey, "published": published})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """
    A form sent without a valid CSRF cookie (it expired, or the browser
    blocked it): a page in the site's layout and language instead of
    Django's bare 403. Rendering it sets a fresh cookie. On the answer page
    the form comes back with the official's choices, to be sent again; other
    forms get a way back to the page they were sent from. Nothing from the
    refused request is acted on.
    """
    try:
        match = resolve(request.path_info)
    except Resolver404:
        match = None
    if match is not None and match.view_name == "surveys:answer" and request.method == "POST":
        participant = _get_participant(match.kwargs["token"])
        survey = participant.survey
        if participant.has_answered:
            return render(request, "surveys/already_answered.html", {"survey": survey}, status=403)
        # An unbound form holding what was sent: the choices come back without error messages.
        form = AnswerForm(survey=survey)
        form.initial = {
            "ranking": form.fields["ranking"].widget.value_from_datadict(request.POST, {}, "ranking"),
            "level": request.POST.get("level"),
        }
        return render(
            request,
            "surveys/answer.html",
            {"survey": survey, "participant": participant, "form": form, "csrf_failed": True},
            status=403,
        )
    # Back to the page the form was on (the Referer, same-origin only), else to the address it was sent to.
    back = "/"
    for candidate in (request.headers.get("Referer", ""), request.path):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = candidate
            break
    return render(request, "csrf_failure.html", {"back": back}, status=403)
