"""
How queued invitations and reminders are sent (queueing.py says what is queued).

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
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from surveys.models import OutgoingEmail

from .emails import new_message_id, survey_email

logger = logging.getLogger(__name__)
Status = OutgoingEmail.Status

BATCH_SIZE = 100
MAX_ATTEMPTS = 10


def claim_lease() -> timedelta:
    return timedelta(seconds=settings.EMAIL_CLAIM_LEASE_SECONDS)


def backoff(attempts: int) -> timedelta:
    """Wait before try number attempts + 1: 30 s, 1 min, 2 min, … at most an hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    skipped: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: "SendReport") -> None:
        for name in ("sent", "failed", "retrying", "skipped", "released"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def claim_batch(*, limit: int = BATCH_SIZE, now: datetime | None = None) -> tuple[uuid.UUID, list[OutgoingEmail]]:
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


def _why_not(email: OutgoingEmail, now: datetime) -> str:
    """Why this email must not go out now, or "" if it may."""
    participant = email.participant
    if not participant.token or not participant.email:
        return _("The personal data has been purged.")
    if participant.has_answered:
        return _("Has already answered.")
    if participant.has_opted_out:
        return _("Has said no to more emails.")
    if participant.survey.has_not_opened(now):
        return _("The survey has not opened.")
    if not participant.survey.is_open(now):
        return _("The survey is closed.")
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
        return _("The recipient was refused: %(replies)s") % {"replies": "; ".join(parts)}
    if isinstance(error, smtplib.SMTPResponseException):
        message = (
            error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        )
        return _("The mail server answered %(code)s: %(message)s") % {"code": error.smtp_code, "message": message}
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return _("The mail server closed the connection.")
    if isinstance(error, socket.timeout | TimeoutError):
        return _("The mail server did not answer in time.")
    if isinstance(error, ConnectionRefusedError):
        return _("Could not connect to the mail server.")
    return f"{type(error).__name__}: {error}"


def _connection_broken(error: Exception) -> bool:
    # Every smtplib error is an OSError; only a disconnect or a socket error
    # means the connection itself is gone.
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(error, smtplib.SMTPException):
        return False
    return isinstance(error, OSError)


def deliver(claim: uuid.UUID, rows: list[OutgoingEmail]) -> SendReport:
    """
    Send the claimed rows over one SMTP connection. Eligibility is checked
    again for each row just before sending. Transient failures put the row
    back in the queue with a growing delay (or fail it after MAX_ATTEMPTS);
    permanent ones (5xx) fail it with the server's reason. If the connection
    breaks, the rows not yet attempted are released for a later try.
    Rows whose claim has lapsed (another worker has them now) are left alone,
    so delivering the same claim twice sends nothing twice.
    """
    report = SendReport()
    smtp: BaseEmailBackend | None = None
    memo: dict = {}  # the survey's texts and the regions' contacts, looked up once per batch
    for index, email in enumerate(rows):
        now = timezone.now()
        reason = _why_not(email, now)
        if reason:
            _finish(email, claim, status=Status.SKIPPED, last_error=reason)
            report.skipped += 1
            continue
        message_id = new_message_id()
        message = survey_email(email.participant, kind=email.kind, message_id=message_id, memo=memo)
        if smtp is None:
            try:
                smtp = get_connection(fail_silently=False)
                smtp.open()
            except Exception as error:
                # No server to talk to: nothing was attempted, so the rows
                # wait in the queue without using up their attempts.
                description = _describe(error)
                report.errors.append(description)
                report.released += _release(claim, rows[index:], reason=description, now=now)
                smtp = None
                break
        # Our own commit, right before the message leaves: from here on a
        # crash leaves the row `sending`, which the sweep turns into `uncertain`.
        marked = OutgoingEmail.objects.filter(pk=email.pk, claim=claim, status=Status.CLAIMED).update(
            status=Status.SENDING, claimed_at=now, attempts=email.attempts + 1, message_id=message_id
        )
        if not marked:
            continue  # our claim lapsed and the row went back to the queue
        try:
            smtp.send_messages([message])
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
                    last_error=_("Gave up after %(attempts)d tries. %(reason)s")
                    % {"attempts": attempts, "reason": description},
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
                _close(smtp)
                smtp = None
            continue
        _mark_sent(email, claim)
        report.sent += 1
    _close(smtp)
    return report


def _close(smtp: BaseEmailBackend | None) -> None:
    if smtp is None:
        return
    try:
        smtp.close()
    except Exception:  # closing a broken connection may fail too
        logger.debug("closing the SMTP connection failed", exc_info=True)


def _finish(
    email: OutgoingEmail,
    claim_id: uuid.UUID,
    *,
    status: str,
    last_error: str,
    from_status: str = Status.CLAIMED,
    **fields: object,
) -> None:
    OutgoingEmail.objects.filter(pk=email.pk, claim=claim_id, status=from_status).update(
        status=status, last_error=last_error[:500], **fields
    )


def _mark_sent(email: OutgoingEmail, claim: uuid.UUID) -> None:
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


def _release(claim: uuid.UUID, rows: list[OutgoingEmail], *, reason: str, now: datetime) -> int:
    """Put claimed rows back in the queue, untried, to wait out a broken connection."""
    return OutgoingEmail.objects.filter(pk__in=[r.pk for r in rows], claim=claim, status=Status.CLAIMED).update(
        status=Status.QUEUED, claim=None, claimed_at=None, next_attempt_at=now + backoff(1), last_error=reason[:500]
    )


def drain_queue(*, batch_size: int = BATCH_SIZE, time_budget: float = 50.0) -> tuple[SendReport, bool]:
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


def recover_stale(*, now: datetime | None = None) -> tuple[int, int]:
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
        last_error=_("The worker stopped in the middle of sending; it is not known whether the email arrived."),
    )
    if uncertain:
        logger.warning("%d emails marked uncertain after a worker stopped mid-send", uncertain)
    return requeued, uncertain


def has_due_queued(now: datetime | None = None) -> bool:
    """Whether any queued row may be sent now."""
    return OutgoingEmail.objects.filter(status=Status.QUEUED, next_attempt_at__lte=now or timezone.now()).exists()
