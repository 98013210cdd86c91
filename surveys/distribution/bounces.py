"""
Bounces: emails the recipient's mail server refused, found while sending
(a 5xx reply about the address) or afterwards in a bounce report that
arrives in the bounce mailbox (mailbox.py reads it).

A report is matched to the email it is about by, in order:

1. the email's own return address (VERP): every email goes out with the
   envelope sender bounces+<id>-<send>.<signature>@… (BOUNCE_ADDRESS with a
   tag), so the report comes back to an address that names the email. The
   signature (an HMAC of SECRET_KEY) makes a forged tag worthless: a report
   with a bad one is refused outright;
2. the email's Message-ID, quoted in the report's copy of the original
   headers;
3. the failed recipient, with the time: the latest email sent to that
   address before the report.

A permanent failure (5.x.x, "Action: failed") marks the email `bounced`. A
delay notice (4.x.x, "Action: delayed") is recorded and counts as bounced
only once BOUNCE_DELAYS_BEFORE_BOUNCED of them are about the same send.
Auto-replies ("out of office") are no bounces. Each report is recorded
under a digest of itself, so reading it again changes nothing.
"""

import email
import email.message
import email.policy
import hashlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from flufl.bounce import all_failures

from surveys.models import Bounce, OutgoingEmail

from .replies import Meaning, Reply

logger = logging.getLogger(__name__)
Status = OutgoingEmail.Status
Reason = Bounce.Reason

SALT = "surveys.distribution.bounces.verp"
SIGNATURE_LENGTH = 10
# A report matched by the failed recipient alone is taken to be about an
# email sent to that address at most this long before it.
RECIPIENT_MATCH_WINDOW = timedelta(days=10)
# Reports are parsed up to this size; larger messages are no bounce report.
LARGEST_REPORT = 5 * 1024 * 1024

ENHANCED_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
SMTP_REPLY = re.compile(r"\b([45]\d\d)[ -]")
AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto(matic)?[- ]?reply|autosvar|automatiskt svar|out of (the )?office|"
    r"fr[åa]nvaro|abwesenheit|absence|r[ée]ponse automatique)\b",
    re.IGNORECASE,
)
BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery (status notification|has failed|failure|delayed)|returned mail|"
    r"failure notice|mail delivery failed|kunde inte levereras|olevererbar|delivery incomplete",
    re.IGNORECASE,
)
NO_SUCH_ADDRESS_TEXT = re.compile(
    r"user unknown|unknown user|no such (user|mailbox|recipient)|does not exist|doesn't exist|not found|"
    r"recipnotfound|unknown recipient|invalid recipient|recipient address rejected|mailbox unavailable|"
    r"address rejected|no mailbox",
    re.IGNORECASE,
)
MAILBOX_FULL_TEXT = re.compile(r"mailbox (is )?full|over ?quota|quota exceeded|insufficient storage", re.IGNORECASE)
NO_SUCH_DOMAIN_TEXT = re.compile(r"host not found|domain not found|no such domain|host unknown", re.IGNORECASE)
DISABLED_TEXT = re.compile(r"disabled|inactive|deactivated|suspended", re.IGNORECASE)


# The return address -----------------------------------------------------


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


def _signature(tag: str) -> str:
    return salted_hmac(SALT, tag, algorithm="sha256").hexdigest()[:SIGNATURE_LENGTH]


def return_address(email_id: int, attempt: int) -> str:
    """
    The envelope sender for send number `attempt` of the email: the bounce
    address with a signed tag (VERP), the bounce address itself without
    BOUNCE_VERP, or "" when the deployment has no bounce address (the From
    address is then the envelope sender).
    """
    address = settings.BOUNCE_ADDRESS
    if not address:
        return ""
    if not settings.BOUNCE_VERP:
        return address
    local, domain = address.rsplit("@", 1)
    tag = f"{_base36(email_id)}-{_base36(attempt)}"
    return f"{local}+{tag}.{_signature(tag)}@{domain}"


@dataclass(frozen=True)
class Tag:
    email_id: int
    attempt: int
    genuine: bool


def _tag_pattern() -> re.Pattern | None:
    address = settings.BOUNCE_ADDRESS
    if not address or "@" not in address:
        return None
    local, domain = address.rsplit("@", 1)
    return re.compile(
        rf"\b{re.escape(local)}\+([0-9a-z]{{1,13}})-([0-9a-z]{{1,4}})\.([0-9a-z]{{1,40}})@{re.escape(domain)}",
        re.IGNORECASE,
    )


def read_tags(text: str) -> list[Tag]:
    """The VERP tags in `text`, each with whether its signature is ours."""
    pattern = _tag_pattern()
    if pattern is None:
        return []
    tags = []
    for email_part, attempt_part, signature in pattern.findall(text):
        tag = f"{email_part.lower()}-{attempt_part.lower()}"
        genuine = constant_time_compare(_signature(tag), signature.lower())
        tags.append(Tag(int(email_part, 36), int(attempt_part, 36), genuine))
    return tags


# What a server's words mean --------------------------------------------


def reason_for(status_code: str, text: str, *, permanent: bool = True) -> str:
    """The Bounce.Reason for an enhanced status code (e.g. "5.1.1") and the server's words."""
    if not permanent:
        return Reason.DELAYED
    subject_detail = ".".join(status_code.split(".")[1:]) if status_code else ""
    if subject_detail in ("1.1", "1.10", "1.0", "1.6", "1.3") or (
        not subject_detail and NO_SUCH_ADDRESS_TEXT.search(text)
    ):
        return Reason.NO_SUCH_ADDRESS
    if subject_detail == "1.2" or NO_SUCH_DOMAIN_TEXT.search(text):
        return Reason.NO_SUCH_DOMAIN
    if subject_detail == "2.2" or MAILBOX_FULL_TEXT.search(text):
        return Reason.MAILBOX_FULL
    if subject_detail == "2.1" or DISABLED_TEXT.search(text):
        return Reason.MAILBOX_DISABLED
    if subject_detail.startswith("7."):
        return Reason.REFUSED
    if NO_SUCH_ADDRESS_TEXT.search(text):
        return Reason.NO_SUCH_ADDRESS
    return Reason.OTHER


def status_code_in(text: str) -> str:
    match = ENHANCED_STATUS.search(text)
    return ".".join(match.groups()) if match else ""


def refusal_is_a_bounce(reply: Reply) -> bool:
    """
    Whether a refusal while sending is about the recipient's address (the
    email is then bounced) rather than about the message or our account
    (it then fails). A refused RCPT TO always is; a 5xx at DATA only when
    its words are about the address or mailbox.
    """
    if reply.meaning != Meaning.RECIPIENT:
        return False
    if reply.at_recipient:
        return True
    code = status_code_in(reply.text)
    if code:
        return code.split(".")[1] in ("1", "2")
    return bool(NO_SUCH_ADDRESS_TEXT.search(reply.text) or MAILBOX_FULL_TEXT.search(reply.text))


# Recording --------------------------------------------------------------


def record_refusal(*, email: OutgoingEmail, address: str, reply_text: str, attempt: int) -> None:
    """Keep a refusal at sending beside the email (whose status sending.py sets to bounced)."""
    code = status_code_in(reply_text)
    Bounce.objects.create(
        email=email,
        kind=Bounce.Kind.PERMANENT,
        source=Bounce.Source.SENDING,
        reason=reason_for(code, reply_text),
        status_code=code,
        server_text=reply_text[:500],
        address=address[:254],
        attempt=attempt,
        occurred_at=timezone.now(),
    )


# Reading a report -------------------------------------------------------


class Outcome:
    BOUNCED = "bounced"  # a permanent failure: the email is bounced now
    DELAYED = "delayed"  # a delay notice, recorded
    ALREADY = "already"  # read before: nothing changed
    EARLIER_SEND = "earlier_send"  # about a send before the latest one (an address since corrected)
    AUTO_REPLY = "auto_reply"  # an out-of-office or other auto-reply: no bounce
    FORGED = "forged"  # a return address tag with a signature that is not ours
    UNMATCHED = "unmatched"  # a bounce report about no email of ours
    NOT_A_REPORT = "not_a_report"  # mail that is no bounce report at all

    MATCHED = (BOUNCED, DELAYED, ALREADY, EARLIER_SEND)


@dataclass
class Failure:
    """What a report says about one recipient."""

    address: str
    permanent: bool
    status_code: str = ""
    text: str = ""


@dataclass
class Report:
    """What a message in the bounce mailbox says, read without trusting any of it."""

    failures: list[Failure] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)
    auto_reply: bool = False
    looks_like_bounce: bool = False
    arrived_at: datetime | None = None

    @property
    def is_report(self) -> bool:
        return bool(self.failures) or self.looks_like_bounce


def _text_of(part: email.message.Message) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # a broken transfer encoding
        return ""
    if isinstance(payload, bytes):
        charset = part.get_content_charset() or "utf-8"
        try:
            return payload.decode(charset, errors="replace")
        except LookupError:
            return payload.decode("utf-8", errors="replace")
    return ""


def _walk(message: email.message.Message) -> Iterator[email.message.Message]:
    try:
        yield from message.walk()
    except Exception:  # a structure the email package cannot walk
        return


def _headers_text(message: email.message.Message) -> str:
    return "\n".join(f"{name}: {value}" for name, value in message.items())


def _clean_address(value: str) -> str:
    value = value.strip().strip("<>").strip()
    if ";" in value:  # "rfc822; someone@example.se"
        value = value.split(";", 1)[1].strip().strip("<>").strip()
    return value if "@" in value and " " not in value else ""


def _dsn_failures(message: email.message.Message) -> list[Failure]:
    failures = []
    for part in _walk(message):
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        if not isinstance(blocks, list):
            # A delivery-status part the email package left as text: parse its blocks.
            text = blocks if isinstance(blocks, str) else ""
            blocks = [email.message_from_string(block) for block in re.split(r"\r?\n\r?\n", text) if block.strip()]
        for block in blocks:
            if not isinstance(block, email.message.Message):
                continue
            action = str(block.get("Action", "")).strip().lower()
            if not action.startswith(("failed", "delayed", "error")):
                continue
            address = _clean_address(str(block.get("Original-Recipient", ""))) or _clean_address(
                str(block.get("Final-Recipient", ""))
            )
            status = status_code_in(str(block.get("Status", "")))
            diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
            if ";" in diagnostic:
                diagnostic = diagnostic.split(";", 1)[1].strip()
            permanent = action.startswith(("failed", "error")) or status.startswith("5")
            if status.startswith("4") and action.startswith("delayed"):
                permanent = False
            failures.append(Failure(address, permanent, status, diagnostic))
    return failures


def _original_headers(message: email.message.Message) -> list[email.message.Message]:
    """The copies of the original message's headers in a report (text/rfc822-headers or message/rfc822)."""
    found = []
    for part in _walk(message):
        kind = part.get_content_type()
        if kind == "text/rfc822-headers":
            found.append(email.message_from_string(_text_of(part) or str(part.get_payload())))
        elif kind == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], email.message.Message):
                found.append(inner[0])
    return found


MESSAGE_ID = re.compile(r"^\s*Message-ID:\s*(<[^>\s]{3,250}>)", re.IGNORECASE | re.MULTILINE)


def _body_text(message: email.message.Message) -> str:
    texts = []
    for part in _walk(message):
        if part.get_content_maintype() == "text":
            texts.append(_text_of(part))
    return "\n".join(texts)[:200_000]


def _heuristic_failures(message: email.message.Message, body: str) -> list[Failure]:
    """Non-standard reports (old Exchange, Postfix and others): GNU Mailman's detectors, then the text."""
    try:
        temporary, permanent = all_failures(message)
    except Exception:
        logger.debug("the bounce detectors failed on a message", exc_info=True)
        temporary, permanent = frozenset(), frozenset()
    code = status_code_in(body)
    line = next((line.strip() for line in body.splitlines() if code and code in line), "")
    failures = [
        Failure(address.decode("ascii", errors="replace"), True, code, line[:500]) for address in sorted(permanent)
    ]
    failures += [
        Failure(address.decode("ascii", errors="replace"), False, code, line[:500]) for address in sorted(temporary)
    ]
    return failures


def read_report(raw: bytes) -> Report:
    """What a raw message from the bounce mailbox says. Never raises: anything unreadable says nothing."""
    report = Report()
    if len(raw) > LARGEST_REPORT:
        return report
    try:
        message = email.message_from_bytes(raw)
    except Exception:
        return report
    try:
        _read(message, report)
    except Exception:
        logger.debug("a message in the bounce mailbox could not be read", exc_info=True)
    return report


def _read(message: email.message.Message, report: Report) -> None:
    headers = _headers_text(message)
    subject = " ".join(str(message.get("Subject", "")).split())
    sender = str(message.get("From", "")).lower()
    try:
        date = message.get("Date")
        report.arrived_at = parsedate_to_datetime(str(date)) if date else None
        if report.arrived_at is not None and timezone.is_naive(report.arrived_at):
            report.arrived_at = timezone.make_aware(report.arrived_at, timezone.get_fixed_timezone(0))
    except (TypeError, ValueError, IndexError, OverflowError):
        report.arrived_at = None
    content_type = message.get_content_type()
    report_type = str(message.get_param("report-type", "") or "").lower()
    has_dsn = any(part.get_content_type() == "message/delivery-status" for part in _walk(message))
    body = _body_text(message)
    originals = _original_headers(message)

    auto_submitted = str(message.get("Auto-Submitted", "")).lower()
    report.auto_reply = not has_dsn and (
        bool(message.get("X-Autoreply") or message.get("X-Autorespond"))
        or auto_submitted.startswith("auto-replied")
        or str(message.get("Precedence", "")).strip().lower() == "auto_reply"
        or bool(AUTO_REPLY_SUBJECT.search(subject))
    )
    report.looks_like_bounce = has_dsn or (
        not report.auto_reply
        and (
            (content_type == "multipart/report" and report_type == "delivery-status")
            or bool(BOUNCE_SUBJECT.search(subject))
            or "mailer-daemon" in sender
            or "postmaster" in sender
        )
    )

    # Tags are looked for where a report carries the address it was sent
    # to: its own headers, the original's headers, and the text (some
    # servers quote the original's Return-Path only there).
    texts = [headers, *(_headers_text(original) for original in originals)]
    if report.looks_like_bounce:
        texts.append(body)
    for text in texts:
        report.tags.extend(read_tags(text))
    for original in originals:
        message_id = str(original.get("Message-ID", "")).strip()
        if message_id:
            report.message_ids.append(message_id)
    if report.looks_like_bounce:
        report.message_ids.extend(MESSAGE_ID.findall(body))
    if report.auto_reply:
        return
    report.failures = _dsn_failures(message)
    if not report.failures and report.looks_like_bounce:
        report.failures = _heuristic_failures(message, body)
    if report.failures and not any(failure.text for failure in report.failures):
        code = status_code_in(body)
        line = next((line.strip() for line in body.splitlines() if code and code in line), "")
        for failure in report.failures:
            failure.text = line[:500]
            failure.status_code = failure.status_code or code
    # Our own return address is never the failed recipient.
    own = settings.BOUNCE_ADDRESS.lower()
    report.failures = [f for f in report.failures if f.address.lower() != own and not read_tags(f.address)]


def report_key(raw: bytes, email_id: int) -> str:
    """
    A digest that names the report about one email: the same report read
    again has the same one. By the report's Message-ID (a copy of a report
    in another folder is the same report), else by its bytes.
    """
    try:
        message = email.message_from_bytes(raw[:LARGEST_REPORT])
        message_id = str(message.get("Message-ID", "")).strip()
    except Exception:
        message_id = ""
    digest = hashlib.sha256(message_id.encode() if message_id else raw)
    digest.update(f":{email_id}".encode())
    return digest.hexdigest()


# Matching and marking ----------------------------------------------------


@dataclass
class Match:
    email: OutgoingEmail
    attempt: int  # the send the report is about, or 0: the latest


def _sent_to(email_row: OutgoingEmail) -> str:
    return email_row.participant.email


def match(report: Report, *, now: datetime) -> Match | None | str:
    """The email the report is about, None when none is, or Outcome.FORGED."""
    rows = OutgoingEmail.objects.select_related("participant")
    if report.tags:
        genuine = [tag for tag in report.tags if tag.genuine]
        if not genuine:
            return Outcome.FORGED
        tag = genuine[0]
        row = rows.filter(pk=tag.email_id).first()
        return Match(row, tag.attempt) if row else None
    for message_id in report.message_ids:
        row = rows.filter(message_id=message_id).exclude(message_id="").first()
        if row:
            return Match(row, 0)
    when = report.arrived_at or now
    for failure in report.failures:
        if not failure.address:
            continue
        row = (
            rows.filter(
                participant__email__iexact=failure.address,
                status__in=[Status.SENT, Status.UNCERTAIN, Status.BOUNCED],
                sent_at__lte=when + timedelta(hours=1),
                sent_at__gte=when - RECIPIENT_MATCH_WINDOW,
            )
            .order_by("-sent_at")
            .first()
        )
        if row:
            return Match(row, 0)
    return None


def _failure_for(report: Report, email_row: OutgoingEmail) -> Failure | None:
    address = _sent_to(email_row).lower()
    for failure in report.failures:
        if failure.address.lower() == address:
            return failure
    return report.failures[0] if report.failures else None


def handle(raw: bytes, *, now: datetime | None = None) -> str:
    """Read one message from the bounce mailbox and do what it says. Returns an Outcome. Safe to repeat."""
    now = now or timezone.now()
    report = read_report(raw)
    if report.auto_reply:
        return Outcome.AUTO_REPLY
    if not report.is_report:
        return Outcome.FORGED if report.tags and not any(t.genuine for t in report.tags) else Outcome.NOT_A_REPORT
    found = match(report, now=now)
    if found == Outcome.FORGED:
        return Outcome.FORGED
    if not isinstance(found, Match):
        return Outcome.UNMATCHED
    failure = _failure_for(report, found.email)
    if failure is None:
        return Outcome.UNMATCHED
    return _record(found, failure, key=report_key(raw, found.email.pk), at=min(report.arrived_at or now, now))


def _record(found: Match, failure: Failure, *, key: str, at: datetime) -> str:
    with transaction.atomic():
        email_row = (
            OutgoingEmail.objects.select_for_update().select_related("participant").filter(pk=found.email.pk).first()
        )
        if email_row is None:
            return Outcome.UNMATCHED
        if Bounce.objects.filter(report_key=key).exists():
            return Outcome.ALREADY
        attempt = found.attempt or email_row.attempts
        if attempt != email_row.attempts or email_row.status not in (Status.SENT, Status.UNCERTAIN, Status.BOUNCED):
            # About a send before the latest one (the lead has corrected the
            # address and it went out again): the old bounce changes nothing now.
            return Outcome.EARLIER_SEND
        bounce = Bounce(
            email=email_row,
            kind=Bounce.Kind.PERMANENT if failure.permanent else Bounce.Kind.TEMPORARY,
            source=Bounce.Source.REPORT,
            reason=reason_for(failure.status_code, failure.text, permanent=failure.permanent),
            status_code=failure.status_code,
            server_text=failure.text[:500],
            address=_sent_to(email_row)[:254],
            attempt=attempt,
            report_key=key,
            occurred_at=at,
        )
        try:
            with transaction.atomic():
                bounce.save()
        except IntegrityError:
            return Outcome.ALREADY
        if failure.permanent:
            bounced = True
        else:
            delays = Bounce.objects.filter(email=email_row, attempt=attempt, kind=Bounce.Kind.TEMPORARY).count()
            bounced = delays >= settings.BOUNCE_DELAYS_BEFORE_BOUNCED
        if not bounced:
            return Outcome.DELAYED
        if email_row.status != Status.BOUNCED:
            OutgoingEmail.objects.filter(pk=email_row.pk).update(
                status=Status.BOUNCED, last_error=(failure.text or str(bounce.get_reason_display()))[:500]
            )
        return Outcome.BOUNCED


def latest_bounce(email_row: OutgoingEmail) -> Bounce | None:
    return email_row.bounces.order_by("-occurred_at", "-pk").first()


# The lead's correction ---------------------------------------------------


class NothingToResend(Exception):
    """The participant has no bounced email (any more): it went out again already."""


def correct_and_resend(
    *, participant_id: int, address: str, now: datetime | None = None, by=None, request=None
) -> OutgoingEmail:
    """
    Put the corrected address on the participant and send their bounced
    email again, to it: the row goes back to the queue, its bounces stay as
    its history. Under the participant's row lock, so that a second press
    of the button (or two at once) finds nothing bounced and raises
    NothingToResend: the new address gets the email once. `address` has
    been cleaned and checked by the form. A new address gets a new
    personal link, and the change is in the audit log
    (participants.change_participant() says why).
    """
    from surveys.models import Participant, new_token

    from .participants import record_address_change
    from .queueing import dispatch

    now = now or timezone.now()
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=participant_id)
        bounced = participant.emails.filter(status=Status.BOUNCED).order_by("-wave").first()
        if bounced is None:
            raise NothingToResend
        if participant.email != address:
            Participant.objects.filter(pk=participant.pk).update(email=address, token=new_token())
            record_address_change(
                participant=participant, old=participant.email, new=address, reissued=True, by=by, request=request
            )
        OutgoingEmail.objects.filter(pk=bounced.pk, status=Status.BOUNCED).update(
            status=Status.QUEUED, claim=None, claimed_at=None, next_attempt_at=now, last_error="", sent_at=None
        )
        # Any other bounced email of the person stays in the history, no longer holding back reminders.
        participant.emails.filter(status=Status.BOUNCED).exclude(pk=bounced.pk).update(status=Status.SKIPPED)
        transaction.on_commit(dispatch)
    bounced.refresh_from_db()
    return bounced
