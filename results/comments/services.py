"""Writes of the comments: posting, moderating, telling staff, forgetting addresses."""

import hashlib
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import Enum
from functools import partial

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Min, Window
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from surveys.distribution.emails import one_line
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


CONFIRM_SALT = "results.comments.confirm"


@transaction.atomic
def post_comment(*, survey: Survey, name: str, email: str, body: str, proof_of_work: bool) -> Comment:
    """
    Store a reader's comment; it waits for a moderator. An address is never
    trusted because of what someone typed into the form: when the browser
    solved the proof of work and the address wrote an approved comment
    before, the address is sent a link that lets its owner publish this
    one (after the commit, at most one such email per address in
    COMMENT_CONFIRM_MAIL_SECONDS). Running it twice stores two comments: the
    form's defences keep that from happening by accident.
    """
    comment = Comment.objects.create(
        survey=survey, name=name, email=email, body=body, proof_of_work=proof_of_work, created_at=timezone.now()
    )
    known = proof_of_work and email and Comment.objects.approved().filter(email__iexact=email).exists()
    if known and cache.add(_mail_key(email), 1, settings.COMMENT_CONFIRM_MAIL_SECONDS):
        transaction.on_commit(partial(_send_confirm_link, comment, survey))
    return comment


def _mail_key(email: str) -> str:
    return "comment-confirm-mail:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _signer(email: str) -> signing.TimestampSigner:
    # The address is in the salt, not the token: the link carries only the
    # comment's number, and stops working when the address is removed.
    return signing.TimestampSigner(salt=f"{CONFIRM_SALT}:{email.strip().lower()}")


def confirm_token(comment: Comment) -> str:
    return _signer(comment.email).sign(str(comment.pk))


def _send_confirm_link(comment: Comment, survey: Survey) -> None:
    """The email with the publishing link. It holds nothing the poster wrote, so it cannot carry their text."""
    context = {
        "survey": survey.title_sv,
        "link": settings.SITE_URL + reverse("results:comment_confirm", args=[confirm_token(comment)]),
        "hours": settings.COMMENT_CONFIRM_HOURS,
        "written_at": timezone.localtime(comment.created_at),
    }
    try:
        send_mail(
            one_line(render_to_string("emails/comment_confirm_subject.txt", context)),
            render_to_string("emails/comment_confirm.txt", context),
            settings.DEFAULT_FROM_EMAIL,
            [comment.email],
        )
    except Exception:
        # The comment is stored and waits for a moderator, as it would have anyway.
        logger.exception("The link to publish comment %s could not be sent", comment.pk)


def comment_to_confirm(token: str) -> Comment | None:
    """The comment a publishing link is for, or None if the link is forged, expired or its address is gone."""
    pk = token.split(":", 1)[0]
    if not pk.isdigit():
        return None
    comment = Comment.objects.select_related("survey").filter(pk=int(pk)).exclude(email="").first()
    if comment is None:
        return None
    try:
        _signer(comment.email).unsign(token, max_age=timedelta(hours=settings.COMMENT_CONFIRM_HOURS))
    except signing.BadSignature:
        return None
    return comment


@transaction.atomic
def confirm_by_writer(comment: Comment, *, now: datetime | None = None) -> bool:
    """
    Publish a waiting comment whose writer followed the emailed link. A
    comment a moderator has already handled stays as they left it. Returns
    whether it changed; a second press changes nothing.
    """
    now = now or timezone.now()
    changed = Comment.objects.filter(pk=comment.pk, status=Comment.Status.WAITING).update(
        status=Comment.Status.APPROVED, moderated_at=now, address_confirmed_at=now
    )
    if changed:
        transaction.on_commit(partial(comments_changed, comment.survey.slug))
    return bool(changed)


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
