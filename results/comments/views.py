"""
The comments page of a published survey: every approved comment and the
form. It is never cached whole (the form carries a CSRF token and the time
it was shown); the results page shows the latest comments and links here.
"""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from surveys.models import Survey

from ..models import Comment, Snapshot, localized
from . import services, spam
from .forms import CommentForm

PER_PAGE = 50


def _published(slug: str) -> tuple[Survey, Snapshot, datetime]:
    """The survey, its latest snapshot (without its numbers) and the time of the first; 404 if unpublished."""
    snapshots = list(
        Snapshot.objects.public()
        .filter(survey__slug=slug)
        .select_related("survey")
        .only("version", "published_at", "survey")
        .order_by("version")
    )
    if not snapshots:
        raise Http404
    return snapshots[-1].survey, snapshots[-1], snapshots[0].published_at


def discussion_context(survey: Survey, versions: list[tuple[int, datetime]]) -> dict[str, Any]:
    """What the results page shows of the comments: the latest few, how many, and whether the form is open."""
    latest, total = services.latest_approved(survey)
    first = versions[-1][1] if versions else None
    return {
        "discussion": True,
        "comments": latest,
        "comment_count": total,
        "comments_closed": services.closed_reason(survey, first),
        "comments_close_at": services.closes_at(survey, first),
    }


@never_cache
def challenge(request: HttpRequest, slug: str) -> JsonResponse:
    """A fresh proof-of-work challenge for the comment form's widget."""
    if not Snapshot.objects.public().filter(survey__slug=slug).exists():
        raise Http404
    return JsonResponse(spam.new_challenge())


@never_cache
def comments(request: HttpRequest, slug: str) -> HttpResponse:
    survey, snapshot, first = _published(slug)
    closed = services.closed_reason(survey, first)
    form = CommentForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if closed is not None:
            messages.error(request, _("Comments are closed; your comment was not stored."))
            return redirect("results:comments", slug=slug)
        refusal = _refusal(request, survey, form)
        if refusal is not None:
            form.add_error(None, refusal[0])
            status = refusal[1]
        elif form.is_valid() and not _solution_refused(request, form):
            comment = services.post_comment(
                survey=survey,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                body=form.cleaned_data["body"],
                proof_of_work=bool(request.POST.get("altcha")),
            )
            # The same words whether or not a link was sent: the page must not tell who commented before.
            messages.success(
                request, _("Thank you! Your comment is shown here as soon as a moderator has approved it.")
            )
            if comment.proof_of_work:
                messages.info(
                    request,
                    _(
                        "If a comment of yours from this address was approved before, we have also sent "
                        "the address a link with which you can publish this one yourself."
                    ),
                )
            return redirect(reverse("results:comments", args=[slug]) + "#comments-heading")
        else:
            status = 400
    page = Paginator(
        Comment.objects.approved()
        .filter(survey=survey)
        .only("name", "body", "created_at", "is_example")
        .order_by("-created_at", "-id"),
        PER_PAGE,
    ).get_page(request.GET.get("page"))
    if form.is_bound:
        # A fresh time for the next try; what was written stays.
        data = request.POST.copy()
        data["shown"] = spam.form_shown_stamp(slug)
        form.data = data
    else:
        form.initial["shown"] = spam.form_shown_stamp(slug)
    return render(
        request,
        "results/comments.html",
        {
            "survey": survey,
            "snapshot": snapshot,
            "title": localized({"title_sv": survey.title_sv, "title_en": survey.title_en}, "title"),
            "page": page,
            "form": form,
            "comments_closed": closed,
            "comments_close_at": services.closes_at(survey, first),
            "email_days": settings.COMMENT_EMAIL_DAYS,
            "purge_after_days": survey.purge_after_days,
            "now": timezone.now(),
        },
        status=status,
    )


@never_cache
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """
    The page behind the link emailed to a known address: it shows the
    comment and publishes it when its writer presses the button (a GET
    alone changes nothing, so a mail scanner opening the link publishes
    nothing).
    """
    comment = services.comment_to_confirm(token)
    if comment is None:
        return render(request, "results/comment_confirm.html", {"comment": None}, status=404)
    survey = comment.survey
    title = localized({"title_sv": survey.title_sv, "title_en": survey.title_en}, "title")
    published = False
    if request.method == "POST":
        published = services.confirm_by_writer(comment)
        comment.refresh_from_db(fields=["status"])
    return render(
        request,
        "results/comment_confirm.html",
        {"comment": comment, "survey": survey, "title": title, "published": published},
    )


def _refusal(request: HttpRequest, survey: Survey, form: CommentForm) -> tuple[str, int] | None:
    """Why this post is refused before its fields are even looked at, with the status to answer; or None."""
    if spam.over_post_limit(request):
        minutes = max(settings.COMMENT_POST_WINDOW_SECONDS // 60, 1)
        return (
            _(
                "Many comments have come from your network in a short time, so this one was not stored. "
                "Wait %(minutes)d minutes and send it again: what you wrote is still here."
            )
            % {"minutes": minutes},
            429,
        )
    if request.POST.get("website"):
        return _("Your comment was not stored: the field “Leave this field empty” must be empty."), 400
    stamp = spam.check_stamp(request.POST.get("shown", ""), survey.slug)
    if stamp.too_fast:
        return (
            _(
                "The form was sent only moments after the page opened, which is how automatic spam behaves. "
                "Read your comment through and send it again in a few seconds."
            ),
            400,
        )
    if stamp.too_old:
        return _("The form had been open for a long time. Check your comment and send it again."), 400
    if stamp.broken:
        return _("The form was incomplete. Check your comment and send it again."), 400
    return None


def _solution_refused(request: HttpRequest, form: CommentForm) -> bool:
    """Check the proof of work of an otherwise valid form (a solution is good once). None sent: not refused."""
    payload = request.POST.get("altcha", "")
    if not payload:
        return False
    try:
        spam.check_solution(payload)
    except spam.ChallengeFailed:
        form.add_error(
            None,
            _(
                "The automatic check that a person sent the form did not pass, so the comment was not stored. "
                "Wait until the box says the check is done and send it again."
            ),
        )
        return True
    return False
