"""
How queued invitations and reminders are sent (queueing.py says what is queued).

The delivery guarantee is AT MOST ONCE per (participant, wave). Each email
is one OutgoingEmail row, unique per (participant, wave), and moves:

    queued --claim--> claimed --just before SMTP--> sending --> sent (--bounce report--> bounced)
       ^                 |                             |    \\--> bounced (address refused) / failed (permanent)
       |                 |                             |         / queued again (transient)
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
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from surveys.models import EmailKind, OutgoingEmail

from . import bounces, pacing, replies
from .emails import new_message_id, survey_email
from .pacing import Hold
from .replies import Meaning
from .sending_account import SendingState

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
    bounced: int = 0
    retrying: int = 0
    skipped: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)
    # Why sending stopped before the queue was empty: a limit or a pause, until when.
    hold: Hold | None = None

    def add(self, other: "SendReport") -> None:
        for name in ("sent", "failed", "bounced", "retrying", "skipped", "released"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)
        self.hold = other.hold or self.hold


@dataclass
class Batch:
    """The rows one claim took, or why it took none."""

    claim: uuid.UUID
    rows: list[OutgoingEmail]
    hold: Hold | None = None
    after_pause: bool = False  # the last thing the server said was "not now": clear that once one goes

    def bounced_participants(self) -> set[int]:
        """Which of the batch's participants have had an email bounce: they get no reminders. One query."""
        reminded = {row.participant_id for row in self.rows if row.kind == EmailKind.REMINDER}
        if not reminded:
            return set()
        return set(
            OutgoingEmail.objects.filter(participant_id__in=reminded, status=Status.BOUNCED).values_list(
                "participant_id", flat=True
            )
        )


def claim_batch(*, limit: int = BATCH_SIZE, now: datetime | None = None) -> Batch:
    """
    Claim up to `limit` due queued rows for this worker, in one short
    transaction under the SendingState row lock, shared fairly between
    regions (pacing.fair_batch). Takes none while sending is paused, and no
    more than the limits leave room for, counting what other workers have
    claimed and not yet sent: that is what keeps the limits (pacing.py).
    """
    claim = uuid.uuid4()
    with transaction.atomic():
        state = pacing.lock_state(now or timezone.now())
        # The time of the claim is read once the lock is held (see pacing.py).
        now = now or timezone.now()
        hold = pacing.paused(state, now)
        if hold is not None:
            return Batch(claim, [], hold)
        # What other workers have claimed and not yet sent counts: it will go first.
        room, hold = pacing.allowance(now)
        if room is not None:
            if room <= 0:
                return Batch(claim, [], hold)
            limit = min(limit, room)
        ids = pacing.fair_batch(limit, now)
        if ids:
            locked = list(
                OutgoingEmail.objects.select_for_update(skip_locked=True)
                .filter(pk__in=ids, status=Status.QUEUED)
                .values_list("pk", flat=True)
            )
            # The status condition makes the claim exclusive also where
            # SELECT … FOR UPDATE is not available (SQLite in development).
            OutgoingEmail.objects.filter(pk__in=locked, status=Status.QUEUED).update(
                status=Status.CLAIMED, claim=claim, claimed_at=now
            )
    rows = list(
        OutgoingEmail.objects.filter(claim=claim, status=Status.CLAIMED).select_related(
            "participant__survey", "participant__region", "mailing"
        )
    )
    # Sent in the order of the fair share: the regions take turns within the batch too.
    turn = {pk: position for position, pk in enumerate(ids)}
    rows.sort(key=lambda row: turn.get(row.pk, len(turn)))
    return Batch(claim, rows, after_pause=state.pauses_in_a_row > 0)


def _why_not(email: OutgoingEmail, now: datetime, bounced: set[int]) -> str:
    """Why this email must not go out at all, or "" if it may."""
    participant = email.participant
    if not participant.token or not participant.email:
        return _("The personal data has been purged.")
    if participant.has_answered:
        return _("Has already answered.")
    if participant.has_opted_out:
        return _("Has said no to more emails.")
    if email.kind == EmailKind.REMINDER and participant.pk in bounced:
        return _("An earlier email to this address bounced.")
    if participant.survey.has_not_opened(now):
        return _("The survey has not opened.")
    if not participant.survey.is_open(now):
        return _("The survey is closed.")
    return ""


def _reminder_window(email: OutgoingEmail, now: datetime) -> tuple[bool, datetime | None]:
    """
    For a scheduled reminder that waited (for a limit or a pause) past its
    sending window: (False, the next window's start), or (False, None) when
    the survey closes first. (True, None) when it may go now.
    """
    if email.kind != EmailKind.REMINDER or not email.mailing.scheduled:
        return True, None
    survey = email.participant.survey
    if survey.in_reminder_window(now):
        return True, None
    return False, survey.next_reminder_window(now)


# The replies that pause sending for everyone, and the pause each one starts.
PAUSES = {
    Meaning.SLOW_DOWN: SendingState.Pause.SERVER_BUSY,
    Meaning.QUOTA: SendingState.Pause.QUOTA,
    Meaning.SIGN_IN: SendingState.Pause.SIGN_IN,
}


def deliver(batch: Batch) -> SendReport:
    """
    Send the claimed rows over one SMTP connection. Eligibility is checked
    again for each row just before sending, and each is marked `sending`
    in a commit of its own right before the SMTP call. A reply about the recipient
    fails that email; a "not now" from the server (replies.py) pauses
    sending for everyone and puts the email back as it was; other passing
    failures put the row back in the queue with a growing delay (or fail it
    after MAX_ATTEMPTS). Whatever stops the batch early releases the rows
    not yet attempted, untried. Rows whose claim has lapsed (another worker
    has them now) are left alone, so delivering the same claim twice sends
    nothing twice.
    """
    claim, rows = batch.claim, batch.rows
    report = SendReport()
    smtp: BaseEmailBackend | None = None
    memo: dict = {}  # the survey's texts and the regions' contacts, looked up once per batch
    after_pause = batch.after_pause
    bounced = batch.bounced_participants()
    for index, email in enumerate(rows):
        now = timezone.now()
        reason = _why_not(email, now, bounced)
        may_go, next_window = _reminder_window(email, now)
        if not reason and not may_go and next_window is None:
            reason = _("The survey closes before the next sending window for reminders.")
        if reason:
            _finish(email, claim, status=Status.SKIPPED, last_error=reason)
            report.skipped += 1
            continue
        if not may_go:
            # Held past its window by a limit or a pause: it waits for the next one, untried.
            _finish(email, claim, status=Status.QUEUED, last_error="", claim=None, next_attempt_at=next_window)
            report.released += 1
            continue
        message_id = new_message_id()
        message = survey_email(
            email.participant,
            kind=email.kind,
            message_id=message_id,
            memo=memo,
            return_path=bounces.return_address(email.pk, email.attempts + 1),
        )
        if smtp is None:
            try:
                smtp = get_connection(fail_silently=False)
                smtp.open()
            except Exception as error:
                smtp = None
                reply = replies.read(error)
                description = replies.describe(reply)
                report.errors.append(description)
                if reply.meaning in PAUSES:
                    report.hold = pacing.pause(PAUSES[reply.meaning], reply=description, now=now)
                    report.released += _release(claim, rows[index:], reason="", now=now, wait=timedelta(0))
                else:
                    # No server to talk to: nothing was attempted, so the rows
                    # wait in the queue without using up their attempts.
                    report.released += _release(claim, rows[index:], reason=description, now=now)
                break
        # Our own commit, right before the message leaves: from here on a
        # crash leaves the row `sending`, which the sweep turns into `uncertain`.
        marked = pacing.mark_sending(email, claim, message_id=message_id)
        if not marked:
            continue  # our claim lapsed and the row went back to the queue
        try:
            smtp.send_messages([message])
        except Exception as error:
            reply = replies.read(error)
            description = replies.describe(reply)
            report.errors.append(description)
            if reply.meaning in PAUSES:
                # Not about this address: the email goes back as it was, and everyone waits.
                _finish(
                    email,
                    claim,
                    status=Status.QUEUED,
                    last_error="",
                    from_status=Status.SENDING,
                    claim=None,
                    attempts=email.attempts,
                    next_attempt_at=now,
                )
                report.hold = pacing.pause(PAUSES[reply.meaning], reply=description, now=now)
                report.released += 1 + _release(claim, rows[index + 1 :], reason="", now=now, wait=timedelta(0))
                _close(smtp)
                smtp = None
                break
            attempts = email.attempts + 1
            if bounces.refusal_is_a_bounce(reply):
                # The recipient's server refused the address: a bounce, kept with its reply.
                with transaction.atomic():
                    if _finish(
                        email, claim, status=Status.BOUNCED, last_error=description, from_status=Status.SENDING
                    ):
                        bounces.record_refusal(
                            email=email, address=email.participant.email, reply_text=reply.text, attempt=attempts
                        )
                report.bounced += 1
            elif reply.meaning == Meaning.RECIPIENT:
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
            if reply.meaning == Meaning.UNREACHABLE:
                # A new connection for the rest of the batch; if that fails
                # too, they are released above.
                _close(smtp)
                smtp = None
            continue
        _mark_sent(email, claim)
        report.sent += 1
        if after_pause:
            pacing.went_out()
            after_pause = False
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
) -> int:
    return OutgoingEmail.objects.filter(pk=email.pk, claim=claim_id, status=from_status).update(
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


def _release(
    claim: uuid.UUID, rows: list[OutgoingEmail], *, reason: str, now: datetime, wait: timedelta | None = None
) -> int:
    """
    Put claimed rows back in the queue, untried: to wait out a broken
    connection (after backoff(1), with the reason), or a limit or a pause
    (`wait` 0: the limits and pauses themselves keep them back).
    """
    wait = backoff(1) if wait is None else wait
    return OutgoingEmail.objects.filter(pk__in=[r.pk for r in rows], claim=claim, status=Status.CLAIMED).update(
        status=Status.QUEUED, claim=None, claimed_at=None, next_attempt_at=now + wait, last_error=reason[:500]
    )


def drain_queue(*, batch_size: int = BATCH_SIZE, time_budget: float = 50.0) -> tuple[SendReport, bool]:
    """
    Claim and send batches until none are due, a limit or a pause stops
    sending (report.hold says until when), or the time budget is spent.
    Returns the report and whether due rows remain that may go now. Any
    number of workers may run this at once; each row is sent by at most one.
    """
    started = timezone.now()
    report = SendReport()
    while True:
        batch = claim_batch(limit=batch_size)
        if not batch.rows:
            report.hold = batch.hold or report.hold
            return report, False
        sent = deliver(batch)
        report.add(sent)
        if sent.hold is not None:
            return report, False
        if sent.released or (timezone.now() - started).total_seconds() > time_budget:
            return report, has_due_queued()


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
