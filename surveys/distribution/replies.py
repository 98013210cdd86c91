"""
What a mail server's answer means for us: the one place that reads SMTP
replies and errors.

Only a reply about the recipient ("no such mailbox", 550 5.1.1) fails the
one email it was about. A reply that means "not now" (421, 450, 451, 452, a
spent quota such as Microsoft 365's 554 5.2.0 SubmissionQuotaExceeded or
Gmail's 550 5.4.5) pauses sending for everyone instead, and so does a
refused sign-in: neither says anything about the address, so neither may
fail an email or use up its tries.
"""

import enum
import re
import smtplib
import socket
from dataclasses import dataclass

from django.utils.translation import gettext as _


class Meaning(enum.Enum):
    RECIPIENT = "recipient"  # about this address: fail this email
    SLOW_DOWN = "slow_down"  # not now, for anyone: pause, growing waits
    QUOTA = "quota"  # the account's quota is spent: pause until the rolling window frees up
    SIGN_IN = "sign_in"  # our sign-in or sender was refused: pause, tell staff
    UNREACHABLE = "unreachable"  # no server, or the connection broke: wait and try again
    TRANSIENT = "transient"  # something passing about this email: try it again later


@dataclass(frozen=True)
class Reply:
    meaning: Meaning
    code: int | None
    text: str  # what the server said (or what went wrong), for people to read
    at_recipient: bool = False  # the server refused the recipient (RCPT TO), with `text` naming each reply


SLOW_DOWN_CODES = {421, 450, 451, 452}
# Known replies that mean the account's quota is spent, whatever their code.
QUOTA_TEXT = re.compile(
    r"SubmissionQuotaExceeded|quota exceeded|sending (limit|quota) exceeded|\b5\.4\.5\b|\b4\.4\.5\b|"
    r"daily user sending|rate limit",
    re.IGNORECASE,
)


def _text(message: bytes | str) -> str:
    return message.decode(errors="replace") if isinstance(message, bytes) else str(message)


def _by_code(code: int, text: str) -> Meaning:
    if QUOTA_TEXT.search(text):
        return Meaning.QUOTA
    if code in SLOW_DOWN_CODES:
        return Meaning.SLOW_DOWN
    if code >= 500:
        return Meaning.RECIPIENT
    return Meaning.TRANSIENT


def read(error: Exception) -> Reply:
    """What `error`, raised while opening a connection or sending one message, means."""
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return Reply(Meaning.SIGN_IN, error.smtp_code, _text(error.smtp_error))
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = [(code, _text(message)) for code, message in error.recipients.values()]
        text = "; ".join(f"{code} {message}" for code, message in replies)
        meanings = {_by_code(code, message) for code, message in replies}
        code = replies[0][0] if replies else None
        for meaning in (Meaning.QUOTA, Meaning.SLOW_DOWN, Meaning.TRANSIENT):
            if meaning in meanings:
                return Reply(meaning, code, text, at_recipient=True)
        return Reply(Meaning.RECIPIENT, code, text, at_recipient=True)
    if isinstance(error, smtplib.SMTPSenderRefused):
        text = _text(error.smtp_error)
        meaning = _by_code(error.smtp_code, text)
        # A refused sender is about our account, never about the recipient.
        return Reply(Meaning.SIGN_IN if meaning == Meaning.RECIPIENT else meaning, error.smtp_code, text)
    if isinstance(error, smtplib.SMTPResponseException):
        text = _text(error.smtp_error)
        return Reply(_by_code(error.smtp_code, text), error.smtp_code, text)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return Reply(Meaning.UNREACHABLE, None, _("The mail server closed the connection."))
    if isinstance(error, socket.timeout | TimeoutError):
        return Reply(Meaning.UNREACHABLE, None, _("The mail server did not answer in time."))
    if isinstance(error, ConnectionRefusedError):
        return Reply(Meaning.UNREACHABLE, None, _("Could not connect to the mail server."))
    if isinstance(error, smtplib.SMTPException):
        return Reply(Meaning.TRANSIENT, None, f"{type(error).__name__}: {error}")
    if isinstance(error, OSError):
        return Reply(Meaning.UNREACHABLE, None, f"{type(error).__name__}: {error}")
    return Reply(Meaning.TRANSIENT, None, f"{type(error).__name__}: {error}")


def describe(reply: Reply) -> str:
    """The reply as the lead reads it beside an email."""
    if reply.at_recipient:
        return _("The recipient was refused: %(replies)s") % {"replies": reply.text}
    if reply.code is not None:
        return _("The mail server answered %(code)s: %(message)s") % {"code": reply.code, "message": reply.text}
    return reply.text
