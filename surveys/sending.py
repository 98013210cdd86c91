"""
Invitations and reminders: what is queued, and how it is sent.

The delivery guarantee is AT MOST ONCE per (participant, wave). Each email
is one OutgoingEmail row, unique per (participant, wave), and moves:

    queued --claim--> claimed --just before SMTP--> sending --> sent
       ^                 |                             |    \\--> failed (permanent) / queued again (transient)
       |                 | worker died, lease expired  | worker died, lease expired
       \\-----------------/                             \\--> uncertain

A worker claims a batch in one short transaction (SELECT … FOR UPDATE SKIP
LOCKED, then an UPDATE stamping its claim id), opens one SMTP connection for
the batch, and marks each row `sending` in its own commit right before
handing the message to the server. If the process dies there, we cannot know
whether the server accepted the message: the sweep (recover_stale) marks
such a row `uncertain` for the lead to see instead of sending it again. Rows
claimed but not yet touched go back to `queued`: they were never attempted.
So a crash costs at most the messages in flight, and never doubles one.

Nothing here trusts the broker: tasks only say "there is work"; the rows say
what it is. A task lost between commit and broker is made good by the sweep,
and a task delivered twice finds nothing left to claim.
"""

import logging
import smtplib
import socket
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from .emails import new_message_id, survey_email
from .models import Mailing, OutgoingEmail, Participant, Region, Survey

logger = logging.getLogger(__name__)
Status = OutgoingEmail.Status

BATCH_SIZE = 100
MAX_ATTEMPTS = 10
# A manual reminder never reaches someone who got an email less than this ago
# (it also makes a double-clicked "send reminder" harmless).
MANUAL_REMINDER_GAP = timedelta(hours=24)


def claim_lease() -> timedelta:
    return timedelta(seconds=settings.EMAIL_CLAIM_LEASE_SECONDS)


def backoff(attempts: int) -> timedelta:
    """Wait before try number attempts + 1: 30 s, 1 min, 2 min, … at most an hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


# Queueing ------------------------------------------------------------------


def _queue(*, survey, region, kind, participants, created_by=None, scheduled=False) -> tuple[Mailing | None, int]:
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
        transaction.on_commit(dispatch)
    return mailing, count


def dispatch():
    """Tell the workers there is mail to send. Losing this message loses nothing: the sweep re-dispatches."""
    from .tasks import send_queued_emails

    try:
        send_queued_emails.delay()
    except Exception:  # the broker is down: the rows wait for the sweep
        logger.exception("could not enqueue send_queued_emails; the sweep will pick the rows up")


def invitation_candidates(survey: Survey, region: Region):
    return Participant.objects.filter(survey=survey, region=region).reachable().exclude(emails__wave=0)


def queue_invitations(*, survey: Survey, region: Region, created_by=None) -> tuple[Mailing | None, int]:
    """
    Queue the invitation (wave 0) for everyone in the region who has none
    and may be emailed. Running it twice queues nothing the second time.
    """
    ids = list(invitation_candidates(survey, region).values_list("pk", flat=True))
    return _queue(
        survey=survey,
        region=region,
        kind=Mailing.Kind.INVITATION,
        participants=[(pk, 0) for pk in ids],
        created_by=created_by,
    )


def _reminder_base(survey: Survey, region: Region | None):
    """Participants who may get a reminder at all, annotated with their last wave and when it went out."""
    participants = Participant.objects.filter(survey=survey).reachable()
    if region is not None:
        participants = participants.filter(region=region)
    pending = OutgoingEmail.objects.filter(participant=OuterRef("pk"), status__in=OutgoingEmail.PENDING)
    failed = OutgoingEmail.objects.filter(participant=OuterRef("pk"), status=Status.FAILED)
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


def manual_reminder_candidates(survey: Survey, region: Region, *, now=None):
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


def due_reminder_candidates(survey: Survey, *, now=None):
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


def queue_manual_reminder(*, survey: Survey, region: Region, created_by=None, now=None) -> tuple[Mailing | None, int]:
    """Queue the next wave for everyone manual_reminder_candidates() returns. Twice in a row queues nothing more."""
    rows = manual_reminder_candidates(survey, region, now=now).values_list("pk", "last_wave")
    return _queue(
        survey=survey,
        region=region,
        kind=Mailing.Kind.REMINDER,
        participants=[(pk, last_wave + 1) for pk, last_wave in rows],
        created_by=created_by,
    )


def queue_due_reminders(*, survey: Survey, now=None, dry_run=False) -> dict[str, int]:
    """
    Queue the reminders the policy says are due, one Mailing per region.
    Returns {region code: count}. Safe to run any number of times: a person
    has one row per wave, and a queued reminder makes them not due.
    """
    due = list(due_reminder_candidates(survey, now=now).values_list("pk", "region_id", "region__code", "last_wave"))
    by_region: dict[int, list] = {}
    codes = {}
    for pk, region_id, code, last_wave in due:
        by_region.setdefault(region_id, []).append((pk, last_wave + 1))
        codes[region_id] = code
    if dry_run:
        return {codes[r]: len(rows) for r, rows in by_region.items()}
    queued = {}
    for region_id, rows in by_region.items():
        _, count = _queue(
            survey=survey,
            region=Region.objects.get(pk=region_id),
            kind=Mailing.Kind.REMINDER,
            participants=rows,
            scheduled=True,
        )
        queued[codes[region_id]] = count
    return queued


def uncertain_emails(survey: Survey, region: Region):
    """The region's emails that may or may not have arrived (their worker stopped in the middle of sending)."""
    return OutgoingEmail.objects.filter(
        participant__survey=survey, participant__region=region, status=Status.UNCERTAIN
    )


def requeue_uncertain(*, survey: Survey, region: Region, now=None) -> int:
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


# Sending -------------------------------------------------------------------


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    skipped: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: "SendReport"):
        for name in ("sent", "failed", "retrying", "skipped", "released"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def claim_batch(*, limit: int = BATCH_SIZE, now=None) -> tuple[uuid.UUID, list[OutgoingEmail]]:
    """
    Claim up to `limit` due queued rows for this worker, in one short
    transaction. Rows locked by another worker are skipped, not waited for.
    """
    now = now or timezone.now()
    claim = uuid.uuid4()
    with transaction.atomic():
        ids = list(
            OutgoingEmail.objects.select_for_update(skip_locked=True)
            .filter(status=Status.QUEUED, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            # The status condition makes the claim exclusive also where
            # SELECT … FOR UPDATE is not available (SQLite in development).
            OutgoingEmail.objects.filter(pk__in=ids, status=Status.QUEUED).update(
                status=Status.CLAIMED, claim=claim, claimed_at=now
            )
    rows = list(
        OutgoingEmail.objects.filter(claim=claim, status=Status.CLAIMED)
        .select_related("participant__survey", "participant__region", "mailing")
        .order_by("id")
    )
    return claim, rows


def _why_not(email: OutgoingEmail, now) -> str:
    """Why this email must not go out now, or "" if it may."""
    participant = email.participant
    if not participant.token or not participant.email:
        return "Personuppgifterna är rensade."
    if participant.has_answered:
        return "Har redan svarat."
    if participant.has_opted_out:
        return "Har avböjt fler e-postmeddelanden."
    if not participant.survey.is_open(now):
        return "Enkäten är stängd." if not participant.survey.has_not_opened(now) else "Enkäten har inte öppnat."
    return ""


def _is_permanent(error: Exception) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return False  # our configuration, not the address: try again later
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return False


def _describe(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        parts = [
            f"{code} {message.decode(errors='replace') if isinstance(message, bytes) else message}"
            for code, message in error.recipients.values()
        ]
        return "Mottagaren avvisades: " + "; ".join(parts)
    if isinstance(error, smtplib.SMTPResponseException):
        message = (
            error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        )
        return f"E-postservern svarade {error.smtp_code}: {message}"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return "E-postservern stängde förbindelsen."
    if isinstance(error, socket.timeout | TimeoutError):
        return "E-postservern svarade inte i tid."
    if isinstance(error, ConnectionRefusedError):
        return "Kunde inte ansluta till e-postservern."
    return f"{type(error).__name__}: {error}"


def _connection_broken(error: Exception) -> bool:
    # Every smtplib error is an OSError; only a disconnect or a socket error
    # means the connection itself is gone.
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(error, smtplib.SMTPException):
        return False
    return isinstance(error, OSError)


def deliver(claim: uuid.UUID, rows: list[OutgoingEmail], *, now=None) -> SendReport:
    """
    Send the claimed rows over one SMTP connection. Eligibility is checked
    again for each row just before sending. Transient failures put the row
    back in the queue with a growing delay (or fail it after MAX_ATTEMPTS);
    permanent ones (5xx) fail it with the server's reason. If the connection
    breaks, the rows not yet attempted are released for a later try.
    """
    report = SendReport()
    connection = None
    memo = {}  # the survey's texts and the regions' contacts, looked up once per batch
    for index, email in enumerate(rows):
        now = timezone.now()
        reason = _why_not(email, now)
        if reason:
            _finish(email, claim, status=Status.SKIPPED, last_error=reason)
            report.skipped += 1
            continue
        kind = "reminder" if email.is_reminder else "invitation"
        message_id = new_message_id()
        message = survey_email(email.participant, kind=kind, message_id=message_id, memo=memo)
        if connection is None:
            try:
                connection = get_connection(fail_silently=False)
                connection.open()
            except Exception as error:
                # No server to talk to: nothing was attempted, so the rows
                # wait in the queue without using up their attempts.
                description = _describe(error)
                report.errors.append(description)
                report.released += _release(claim, rows[index:], reason=description, now=now)
                connection = None
                break
        # Our own commit, right before the message leaves: from here on a
        # crash leaves the row `sending`, which the sweep turns into `uncertain`.
        marked = OutgoingEmail.objects.filter(pk=email.pk, claim=claim, status=Status.CLAIMED).update(
            status=Status.SENDING, claimed_at=now, attempts=email.attempts + 1, message_id=message_id
        )
        if not marked:
            continue  # our claim lapsed and the row went back to the queue
        try:
            connection.send_messages([message])
        except Exception as error:
            attempts = email.attempts + 1
            description = _describe(error)
            report.errors.append(description)
            if _is_permanent(error):
                _finish(email, claim, status=Status.FAILED, last_error=description, from_status=Status.SENDING)
                report.failed += 1
            elif attempts >= MAX_ATTEMPTS:
                _finish(
                    email,
                    claim,
                    status=Status.FAILED,
                    last_error=f"Gav upp efter {attempts} försök. {description}",
                    from_status=Status.SENDING,
                )
                report.failed += 1
            else:
                _finish(
                    email,
                    claim,
                    status=Status.QUEUED,
                    last_error=description,
                    from_status=Status.SENDING,
                    next_attempt_at=now + backoff(attempts),
                    claim=None,
                )
                report.retrying += 1
            if _connection_broken(error):
                # A new connection for the rest of the batch; if that fails
                # too, they are released above.
                _close(connection)
                connection = None
            continue
        _mark_sent(email, claim)
        report.sent += 1
    _close(connection)
    return report


def _close(connection):
    if connection is None:
        return
    try:
        connection.close()
    except Exception:  # closing a broken connection may fail too
        logger.debug("closing the SMTP connection failed", exc_info=True)


def _finish(email, claim_id, *, status, last_error, from_status=Status.CLAIMED, **fields):
    OutgoingEmail.objects.filter(pk=email.pk, claim=claim_id, status=from_status).update(
        status=status, last_error=last_error[:500], **fields
    )


def _mark_sent(email, claim):
    """
    Record a sent message. On PostgreSQL this one commit does not wait for
    the disk: if the database itself crashed right after, the row would be
    left `sending` and become `uncertain`, never sent again, so the
    guarantee holds and each message saves a flush. (The `sending` mark
    before the SMTP call does wait: losing it could send a message twice.)
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        _finish(email, claim, status=Status.SENT, last_error="", from_status=Status.SENDING, sent_at=timezone.now())


def _release(claim, rows, *, reason, now) -> int:
    """Put claimed rows back in the queue, untried, to wait out a broken connection."""
    return OutgoingEmail.objects.filter(pk__in=[r.pk for r in rows], claim=claim, status=Status.CLAIMED).update(
        status=Status.QUEUED, claim=None, claimed_at=None, next_attempt_at=now + backoff(1), last_error=reason[:500]
    )


def send_queued_emails(*, batch_size: int = BATCH_SIZE, time_budget: float = 50.0) -> tuple[SendReport, bool]:
    """
    Claim and send batches until none are due or the time budget is spent.
    Returns the report and whether due rows remain. Any number of workers may
    run this at once; each row is sent by at most one of them.
    """
    started = timezone.now()
    report = SendReport()
    while True:
        claim, rows = claim_batch(limit=batch_size)
        if not rows:
            return report, False
        batch = deliver(claim, rows)
        report.add(batch)
        if batch.released or (timezone.now() - started).total_seconds() > time_budget:
            more = OutgoingEmail.objects.filter(status=Status.QUEUED, next_attempt_at__lte=timezone.now()).exists()
            return report, more


def recover_stale(*, now=None) -> tuple[int, int]:
    """
    Deal with rows whose worker died: claimed but untouched rows go back to
    the queue; rows caught `sending` become `uncertain`. Returns (requeued,
    uncertain). Running it twice changes nothing more.
    """
    now = now or timezone.now()
    expired = now - claim_lease()
    requeued = OutgoingEmail.objects.filter(status=Status.CLAIMED, claimed_at__lt=expired).update(
        status=Status.QUEUED, claim=None, claimed_at=None, next_attempt_at=now
    )
    uncertain = OutgoingEmail.objects.filter(status=Status.SENDING, claimed_at__lt=expired).update(
        status=Status.UNCERTAIN,
        last_error="Arbetsprocessen stoppades mitt i sändningen; det är okänt om meddelandet kom fram.",
    )
    if uncertain:
        logger.warning("%d emails marked uncertain after a worker stopped mid-send", uncertain)
    return requeued, uncertain


def has_due_queued(now=None) -> bool:
    return OutgoingEmail.objects.filter(status=Status.QUEUED, next_attempt_at__lte=now or timezone.now()).exists()
