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
from django.utils import timezone, translation
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
    return render(request, "surveys/thanks.html", {"survey": participant.survey})
