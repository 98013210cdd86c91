"""Writes of the comments: posting, moderating, telling staff, forgetting addresses."""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import Enum
from functools import partial

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Min, Window
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from surveys.models import Survey

from ..cache import comments_changed
from ..models import Comment, Snapshot

logger = logging.getLogger(__name__)

PAGE_COMMENTS = 10  # the latest approved comments on the results page itself


class Closed(Enum):
    NOT_PUBLISHED = "not published"
    BY_STAFF = "closed by staff"
    BY_TIME = "closed by time"
    PURGED = "personal data purged"


def closes_at(survey: Survey, first_published: datetime | None) -> datetime | None:
    if first_published is None or survey.comments_close_after_days is None:
        return None
    return first_published + timedelta(days=survey.comments_close_after_days)


def closed_reason(survey: Survey, first_published: datetime | None, now: datetime | None = None) -> Closed | None:
    """Why readers may not comment now, or None when they may."""
    now = now or timezone.now()
    if first_published is None:
        return Closed.NOT_PUBLISHED
    if not survey.comments_open:
        return Closed.BY_STAFF
    if survey.personal_data_purged_at is not None:
        return Closed.PURGED
    end = closes_at(survey, first_published)
    if end is not None and now >= end:
        return Closed.BY_TIME
    return None


def first_publication(survey: Survey) -> datetime | None:
    return Snapshot.objects.filter(survey=survey).aggregate(first=Min("published_at"))["first"]


def latest_approved(survey: Survey, limit: int = PAGE_COMMENTS) -> tuple[list[Comment], int]:
    """The latest approved comments, newest first, and how many are approved in all: one query."""
    rows = list(
        Comment.objects.approved()
        .filter(survey=survey)
        .only("name", "body", "created_at", "is_example")
        .annotate(total=Window(Count("id")))
        .order_by("-created_at", "-id")[:limit]
    )
    return rows, (rows[0].total if rows else 0)


@transaction.atomic
def post_comment(*, survey: Survey, name: str, email: str, body: str, proof_of_work: bool) -> Comment:
    """
    Store a reader's comment. It waits for a moderator, unless the browser
    solved the proof of work and a comment from the same address was
    approved before; then it shows at once (the cached pages move on after
    the commit). Running it twice stores two comments: the form's defences
    keep that from happening by accident.
    """
    known = proof_of_work and Comment.objects.approved().filter(email__iexact=email).exclude(email="").exists()
    now = timezone.now()
    comment = Comment.objects.create(
        survey=survey,
        name=name,
        email=email,
        body=body,
        proof_of_work=proof_of_work,
        status=Comment.Status.APPROVED if known else Comment.Status.WAITING,
        moderated_at=now if known else None,
        created_at=now,
    )
    if known:
        transaction.on_commit(lambda: comments_changed(survey.slug))
    return comment


@transaction.atomic
def moderate(*, comments: Iterable[Comment], status: str, user: User | None, now: datetime | None = None) -> int:
    """
    Approve, reject or remove comments. Pages that show comments move on at
    once (after the commit). Returns how many changed; a second run with
    the same status changes nothing.
    """
    now = now or timezone.now()
    ids = [c.pk for c in comments]
    rows = Comment.objects.filter(pk__in=ids).exclude(status=status)
    slugs = set(rows.values_list("survey__slug", flat=True))
    changed = rows.update(status=status, moderated_at=now, moderated_by=user)
    for slug in slugs:
        transaction.on_commit(partial(comments_changed, slug))
    return changed


def moderators() -> list[str]:
    if settings.COMMENT_MODERATORS:
        return list(settings.COMMENT_MODERATORS)
    return list(
        User.objects.filter(is_staff=True, is_active=True)
        .exclude(email="")
        .order_by("id")
        .values_list("email", flat=True)
    )


@transaction.atomic
def notify_moderators(*, now: datetime | None = None) -> int:
    """
    Send staff one email when comments wait that they have not been told
    about, at most one per COMMENT_NOTIFY_MINUTES. The comments are marked
    as told under a row lock in the same transaction, so two workers never
    both send; if sending fails, nothing is marked and the next sweep tries
    again. Returns how many comments the email told about (0: no email).
    """
    now = now or timezone.now()
    recently = now - timedelta(minutes=settings.COMMENT_NOTIFY_MINUTES)
    if Comment.objects.filter(staff_notified_at__gt=recently).exists():
        return 0
    new = list(
        Comment.objects.waiting()
        .filter(staff_notified_at__isnull=True)
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)
    )
    recipients = moderators()
    if not new or not recipients:
        return 0
    waiting = Comment.objects.waiting().count()
    link = settings.SITE_URL + reverse("admin:results_comment_changelist") + "?status__exact=waiting"
    context = {"new": len(new), "waiting": waiting, "link": link, "minutes": settings.COMMENT_NOTIFY_MINUTES}
    send_mail(
        render_to_string("emails/comments_waiting_subject.txt", context).strip(),
        render_to_string("emails/comments_waiting.txt", context),
        settings.DEFAULT_FROM_EMAIL,
        recipients,
    )
    Comment.objects.filter(pk__in=new).update(staff_notified_at=now)
    return len(new)


def forget_addresses(*, survey: Survey | None = None, now: datetime | None = None) -> int:
    """
    Remove commenters' email addresses: of one survey's comments (with its
    other personal data), or else of every comment older than
    COMMENT_EMAIL_DAYS and of surveys whose personal data is purged. Safe
    to run again. Returns how many addresses were removed.
    """
    now = now or timezone.now()
    rows = Comment.objects.exclude(email="")
    if survey is not None:
        return rows.filter(survey=survey).update(email="")
    old = rows.filter(created_at__lt=now - timedelta(days=settings.COMMENT_EMAIL_DAYS))
    purged = rows.filter(survey__personal_data_purged_at__isnull=False)
    return old.update(email="") + purged.update(email="")
