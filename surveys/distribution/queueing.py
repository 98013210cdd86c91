"""
What is queued: the invitations and reminders of a region or a survey, as
OutgoingEmail rows, one per (participant, wave), and who is due for which.

Queueing only writes rows; the workers send them (sending.py). Each function
here can run any number of times: a row that exists already is left alone.
"""

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypedDict

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from msi_survey.celery import app as celery_app
from surveys.models import EmailKind, Mailing, OutgoingEmail, Participant, Region, Survey

from . import statistics

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class _LastEmail(TypedDict):
        last_wave: int | None
        last_sent_at: datetime | None
        last_claimed_at: datetime | None

    # Participants with their last email's wave and times (_reminder_base).
    ReminderCandidates = QuerySet[WithAnnotations[Participant, _LastEmail]]

logger = logging.getLogger(__name__)
Status = OutgoingEmail.Status

# A manual reminder never reaches someone who got an email less than this ago
# (it also makes a double-clicked "send reminder" harmless).
MANUAL_REMINDER_GAP = timedelta(hours=24)


def _queue(
    *,
    survey: Survey,
    region: Region,
    kind: EmailKind,
    participants: list[tuple[int, int]],
    created_by: User | None = None,
    scheduled: bool = False,
) -> tuple[Mailing | None, int]:
    """
    Create one Mailing and an OutgoingEmail row for each (participant, wave)
    in `participants`, a list of (participant id, wave). Rows that exist
    already are left alone (ON CONFLICT DO NOTHING), so queueing twice queues
    nothing new. The send is enqueued when the transaction commits.
    """
    if not participants:
        return None, 0
    with transaction.atomic():
        mailing = Mailing.objects.create(
            survey=survey, region=region, kind=kind, created_by=created_by, scheduled=scheduled
        )
        OutgoingEmail.objects.bulk_create(
            [OutgoingEmail(participant_id=pk, wave=wave, mailing=mailing) for pk, wave in participants],
            ignore_conflicts=True,
            batch_size=1000,
        )
        count = mailing.emails.count()
        if not count:
            mailing.delete()
            return None, 0
        statistics.refresh_after(count, OutgoingEmail)
        transaction.on_commit(dispatch)
    return mailing, count


SEND_QUEUED_EMAILS = "surveys.tasks.send_queued_emails"


def dispatch() -> None:
    """Tell the workers there is mail to send. Losing this message loses nothing: the sweep re-dispatches."""
    # By the task's name: surveys/tasks.py is the outer layer that calls into
    # distribution (sending.drain_queue()), and distribution never imports it.
    try:
        celery_app.send_task(SEND_QUEUED_EMAILS)
    except Exception:  # the broker is down: the rows wait for the sweep
        logger.exception("could not enqueue send_queued_emails; the sweep will pick the rows up")


def invitation_candidates(survey: Survey, region: Region) -> QuerySet[Participant]:
    """Who the region's invitation would reach now: may be emailed and has no invitation yet."""
    return Participant.objects.filter(survey=survey, region=region).reachable().exclude(emails__wave=0)


def queue_invitations(*, survey: Survey, region: Region, created_by: User | None = None) -> tuple[Mailing | None, int]:
    """
    Queue the invitation (wave 0) for everyone in the region who has none
    and may be emailed. Running it twice queues nothing the second time.
    """
    ids = list(invitation_candidates(survey, region).values_list("pk", flat=True))
    return _queue(
        survey=survey,
        region=region,
        kind=EmailKind.INVITATION,
        participants=[(pk, 0) for pk in ids],
        created_by=created_by,
    )


def _reminder_base(survey: Survey, region: Region | None) -> "ReminderCandidates":
    """Participants who may get a reminder at all, annotated with their last wave and when it went out."""
    participants = Participant.objects.filter(survey=survey).reachable()
    if region is not None:
        participants = participants.filter(region=region)
    pending = OutgoingEmail.objects.filter(participant=OuterRef("pk"), status__in=OutgoingEmail.PENDING)
    # No reminder after an email failed for good or bounced.
    failed = OutgoingEmail.objects.filter(participant=OuterRef("pk"), status__in=[Status.FAILED, Status.BOUNCED])
    delivered = OutgoingEmail.objects.filter(
        participant=OuterRef("pk"), wave=0, status__in=[Status.SENT, Status.UNCERTAIN]
    )
    return (
        participants.filter(Exists(delivered))
        .exclude(Exists(pending))
        .exclude(Exists(failed))
        .annotate(
            last_wave=Max("emails__wave"),
            last_sent_at=Max("emails__sent_at"),
            last_claimed_at=Max("emails__claimed_at"),
        )
    )


def manual_reminder_candidates(survey: Survey, region: Region, *, now: datetime | None = None) -> "ReminderCandidates":
    """
    Who a lead's "send a reminder now" would reach: as for the automatic
    reminders, but at any hour and a day after the last email. The survey's
    cap holds for both: no one gets more than max_reminders reminders.
    """
    now = now or timezone.now()
    if not survey.is_open(now):
        return _reminder_base(survey, region).none()
    cutoff = now - MANUAL_REMINDER_GAP
    return _reminder_base(survey, region).filter(
        Q(last_sent_at__lte=cutoff) | Q(last_sent_at__isnull=True, last_claimed_at__lte=cutoff),
        last_wave__lt=survey.max_reminders,
    )


def due_reminder_candidates(survey: Survey, *, now: datetime | None = None) -> "ReminderCandidates":
    """
    Who the survey's reminder policy says is due now: invited, not answered,
    not opted out, no email failed for good, none pending, fewer reminders
    than the policy allows, and the last one at least the interval ago.
    Empty outside the sending window and after closing.
    """
    now = now or timezone.now()
    if not survey.in_reminder_window(now) or survey.max_reminders == 0:
        return _reminder_base(survey, None).none()
    cutoff = now - timedelta(days=survey.reminder_interval_days)
    return _reminder_base(survey, None).filter(
        Q(last_sent_at__lte=cutoff) | Q(last_sent_at__isnull=True, last_claimed_at__lte=cutoff),
        last_wave__lt=survey.max_reminders,
    )


def _next_wave(last_wave: int | None) -> int:
    # Everyone a reminder may reach has had the invitation (wave 0), so last_wave is never None.
    assert last_wave is not None
    return last_wave + 1


def queue_manual_reminder(
    *, survey: Survey, region: Region, created_by: User | None = None, now: datetime | None = None
) -> tuple[Mailing | None, int]:
    """Queue the next wave for everyone manual_reminder_candidates() returns. Twice in a row queues nothing more."""
    rows = manual_reminder_candidates(survey, region, now=now).values_list("pk", "last_wave")
    return _queue(
        survey=survey,
        region=region,
        kind=EmailKind.REMINDER,
        participants=[(pk, _next_wave(last_wave)) for pk, last_wave in rows],
        created_by=created_by,
    )


def queue_due_reminders(*, survey: Survey, now: datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """
    Queue the reminders the policy says are due, one Mailing per region.
    Returns {region code: count}. Safe to run any number of times: a person
    has one row per wave, and a queued reminder makes them not due.
    """
    due = list(due_reminder_candidates(survey, now=now).values_list("pk", "region_id", "region__code", "last_wave"))
    by_region: dict[int, list] = {}
    codes = {}
    for pk, region_id, code, last_wave in due:
        by_region.setdefault(region_id, []).append((pk, _next_wave(last_wave)))
        codes[region_id] = code
    if dry_run:
        return {codes[r]: len(rows) for r, rows in by_region.items()}
    queued = {}
    for region_id, rows in by_region.items():
        _, count = _queue(
            survey=survey,
            region=Region.objects.get(pk=region_id),
            kind=EmailKind.REMINDER,
            participants=rows,
            scheduled=True,
        )
        queued[codes[region_id]] = count
    return queued


def uncertain_emails(survey: Survey, region: Region) -> QuerySet[OutgoingEmail]:
    """The region's emails that may or may not have arrived (their worker stopped in the middle of sending)."""
    return OutgoingEmail.objects.filter(
        participant__survey=survey, participant__region=region, status=Status.UNCERTAIN
    )


def requeue_uncertain(*, survey: Survey, region: Region, now: datetime | None = None) -> int:
    """
    Put the region's uncertain emails back in the queue, at the lead's word:
    the mail server may have accepted them, so someone may get an email
    twice. Whoever has answered or said no meanwhile is skipped when a worker
    reaches them. Returns how many were queued; running it twice queues
    nothing more. The send is enqueued when the transaction commits.
    """
    now = now or timezone.now()
    with transaction.atomic():
        count = uncertain_emails(survey, region).update(
            status=Status.QUEUED, claim=None, claimed_at=None, next_attempt_at=now, last_error=""
        )
        if count:
            transaction.on_commit(dispatch)
    return count
