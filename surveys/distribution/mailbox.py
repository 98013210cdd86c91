"""
The bounce mailbox, read over IMAP: every message in BOUNCE_IMAP_FOLDER is
handed to bounces.handle(), then moved, never deleted: a matched report
(and one read before) to BOUNCE_IMAP_PROCESSED_FOLDER, anything else
(unmatched reports, auto-replies, forged reports, other mail) to
BOUNCE_IMAP_UNMATCHED_FOLDER, where people can look at it.

Handling a report is safe to repeat (bounces.py records each under a
digest of itself), so a crash between handling and moving, a second read
or two beats at once change nothing; a lock (read_bounces_once) keeps two
beats from reading at the same moment all the same.

Sign-in is by password, or by OAuth 2.0 (XOAUTH2) with the SMTP account's
token (smtp.py) when BOUNCE_IMAP_OAUTH2 is on, as Microsoft 365 requires.
"""

import imaplib
import logging
import re
import ssl
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from . import bounces, smtp

logger = logging.getLogger(__name__)

# Messages read in one pass at most; the next pass reads the rest.
BATCH = 500
LOCK_KEY = "bounces:reading"
LOCK_SECONDS = 15 * 60
ADVISORY_LOCK = 0x4D5349_0B  # "MSI" and a number of its own, for pg_try_advisory_lock


class MailboxError(Exception):
    """The bounce mailbox could not be reached or read; the message says why (never a secret)."""


@dataclass
class ReadReport:
    outcomes: Counter = field(default_factory=Counter)
    moved: int = 0
    skipped_locked: bool = False

    @property
    def read(self) -> int:
        return sum(self.outcomes.values())


def _connect() -> imaplib.IMAP4:
    host, port = settings.BOUNCE_IMAP_HOST, settings.BOUNCE_IMAP_PORT
    timeout = settings.EMAIL_TIMEOUT
    try:
        if settings.BOUNCE_IMAP_SSL:
            imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                host, port, ssl_context=ssl.create_default_context(), timeout=timeout
            )
        else:
            imap = imaplib.IMAP4(host, port, timeout=timeout)
    except (OSError, imaplib.IMAP4.error) as error:
        raise MailboxError(f"could not connect to {host}:{port} ({type(error).__name__})") from None
    try:
        if settings.BOUNCE_IMAP_OAUTH2:
            token = smtp.access_token()
            response = smtp.xoauth2(settings.BOUNCE_IMAP_USER, token).encode()
            imap.authenticate("XOAUTH2", lambda challenge: response)
        else:
            imap.login(settings.BOUNCE_IMAP_USER, settings.BOUNCE_IMAP_PASSWORD)
    except (imaplib.IMAP4.error, smtp.TokenError) as error:
        _logout(imap)
        if settings.BOUNCE_IMAP_OAUTH2:
            smtp.forget_token()
        raise MailboxError(f"the IMAP server refused the sign-in of {settings.BOUNCE_IMAP_USER} ({error})") from None
    return imap


def _logout(imap: imaplib.IMAP4) -> None:
    try:
        imap.logout()
    except (OSError, imaplib.IMAP4.error):
        logger.debug("logging out of the bounce mailbox failed", exc_info=True)


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ensure_folder(imap: imaplib.IMAP4, folder: str) -> None:
    status, _ = imap.select(_quoted(folder), readonly=True)
    if status != "OK":
        status, detail = imap.create(_quoted(folder))
        if status != "OK":
            raise MailboxError(f"could not create the folder {folder} ({detail!r})")


def _move(imap: imaplib.IMAP4, uid: bytes, folder: str, *, can_move: bool) -> None:
    if can_move:
        status, detail = imap.uid("MOVE", uid.decode(), _quoted(folder))
        if status == "OK":
            return
    status, detail = imap.uid("COPY", uid.decode(), _quoted(folder))
    if status != "OK":
        raise MailboxError(f"could not move a message to {folder} ({detail!r})")
    imap.uid("STORE", uid.decode(), "+FLAGS.SILENT", r"(\Deleted)")
    imap.expunge()


SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


def read_mailbox(*, now: datetime | None = None, batch: int = BATCH) -> ReadReport:
    """Read the messages waiting in the bounce folder, act on each and move it. Raises MailboxError."""
    report = ReadReport()
    imap = _connect()
    try:
        capabilities = {str(c).upper() for c in imap.capabilities}
        can_move = "MOVE" in capabilities
        for folder in (settings.BOUNCE_IMAP_PROCESSED_FOLDER, settings.BOUNCE_IMAP_UNMATCHED_FOLDER):
            _ensure_folder(imap, folder)
        status, _ = imap.select(_quoted(settings.BOUNCE_IMAP_FOLDER))
        if status != "OK":
            raise MailboxError(f"the folder {settings.BOUNCE_IMAP_FOLDER} cannot be opened")
        status, data = imap.uid("SEARCH", "ALL")
        if status != "OK":
            raise MailboxError("the bounce folder cannot be searched")
        uids = data[0].split()[:batch] if data and data[0] else []
        for uid in uids:
            raw = _fetch(imap, uid)
            outcome = (
                bounces.handle(raw, now=now or timezone.now()) if raw is not None else bounces.Outcome.NOT_A_REPORT
            )
            report.outcomes[outcome] += 1
            folder = (
                settings.BOUNCE_IMAP_PROCESSED_FOLDER
                if outcome in bounces.Outcome.MATCHED
                else settings.BOUNCE_IMAP_UNMATCHED_FOLDER
            )
            _move(imap, uid, folder, can_move=can_move)
            report.moved += 1
    except (OSError, imaplib.IMAP4.error) as error:
        raise MailboxError(f"reading the bounce mailbox failed ({type(error).__name__}: {error})") from None
    finally:
        _logout(imap)
    return report


def _fetch(imap: imaplib.IMAP4, uid: bytes) -> bytes | None:
    """The raw message, or None when it is too large to be a bounce report."""
    status, data = imap.uid("FETCH", uid.decode(), "(RFC822.SIZE)")
    size = SIZE.search(data[0]) if status == "OK" and data and isinstance(data[0], bytes) else None
    if size and int(size.group(1)) > bounces.LARGEST_REPORT:
        return None
    status, data = imap.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
    if status != "OK":
        raise MailboxError("a message in the bounce folder cannot be fetched")
    for part in data:
        if isinstance(part, tuple):
            return part[1]
    return b""


@contextmanager
def _reading_lock() -> Iterator[bool]:
    """Whether this process may read now: one reader at a time, across processes and machines."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK])
            held = bool(cursor.fetchone()[0])
        try:
            yield held
        finally:
            if held:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK])
        return
    token = uuid.uuid4().hex
    held = cache.add(LOCK_KEY, token, LOCK_SECONDS)
    try:
        yield held
    finally:
        if held and cache.get(LOCK_KEY) == token:
            cache.delete(LOCK_KEY)


def read_bounces_once(*, now: datetime | None = None) -> ReadReport:
    """read_mailbox(), unless another process is reading right now (then nothing, skipped_locked)."""
    with _reading_lock() as held:
        if not held:
            return ReadReport(skipped_locked=True)
        return read_mailbox(now=now)
