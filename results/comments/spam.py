"""
Spam defences of the comment form, all on our own server:

- a proof-of-work challenge (ALTCHA): the browser solves it in a worker
  while the reader writes; a solved challenge is good once;
- a signed timestamp: a form sent too soon after it was shown, or too long
  after, is refused and shown again with what was written;
- a honeypot field that people do not see;
- a limit of posts per client address, counted in the shared cache.

Without JavaScript there is no solution to send: the comment is taken but
always waits for a moderator.
"""

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import altcha
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest

from msi_survey.http import client_address
from msi_survey.security import count_in_window

ALGORITHM = "PBKDF2/SHA-256"
_TIMESTAMP_SALT = "results.comments.form-shown"


def _hmac_secret() -> str:
    # A key of its own, derived from SECRET_KEY, so that no other signature of the site can pass for a challenge.
    return hashlib.sha256(f"altcha:{settings.SECRET_KEY}".encode()).hexdigest()


def new_challenge(*, now: float | None = None) -> dict:
    """A signed challenge for the widget, good for COMMENT_MAX_FORM_SECONDS."""
    now = time.time() if now is None else now
    challenge = altcha.create_challenge(
        ALGORITHM,
        settings.COMMENT_CHALLENGE_COST,
        expires_at=datetime.fromtimestamp(now, UTC) + timedelta(seconds=settings.COMMENT_MAX_FORM_SECONDS),
        hmac_secret=_hmac_secret(),
    )
    return challenge.to_dict()


class ChallengeFailed(Exception):
    """The solution was forged, expired or already used."""


def check_solution(payload: str) -> None:
    """
    Accept a solved challenge once. Raises ChallengeFailed for a forged,
    expired or malformed one, and for one that was used before (in any web
    process: the used ones are kept in the shared cache until they expire).
    """
    if len(payload) > 4000:
        raise ChallengeFailed("too long")
    try:
        result = altcha.verify_solution(payload, _hmac_secret())
    except (ValueError, TypeError, KeyError):  # a payload the library cannot even read
        raise ChallengeFailed("unreadable") from None
    if not result.verified:
        raise ChallengeFailed("expired" if result.expired else "not verified")
    signature = altcha.Payload.from_base64(payload).challenge.signature
    if not cache.add(f"altcha-used:{signature}", 1, settings.COMMENT_MAX_FORM_SECONDS + 60):
        raise ChallengeFailed("used before")


def form_shown_stamp(slug: str, *, now: float | None = None) -> str:
    """A signed record of when the form was shown, for the hidden field."""
    return signing.dumps({"s": slug, "t": time.time() if now is None else now}, salt=_TIMESTAMP_SALT)


@dataclass
class StampCheck:
    too_fast: bool = False
    too_old: bool = False
    broken: bool = False

    @property
    def ok(self) -> bool:
        return not (self.too_fast or self.too_old or self.broken)


def check_stamp(value: str, slug: str, *, now: float | None = None) -> StampCheck:
    now = time.time() if now is None else now
    try:
        stamp = signing.loads(value, salt=_TIMESTAMP_SALT)
        shown, stamp_slug = float(stamp["t"]), stamp["s"]
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return StampCheck(broken=True)
    if stamp_slug != slug:
        return StampCheck(broken=True)
    age = now - shown
    if age < settings.COMMENT_MIN_FORM_SECONDS:
        return StampCheck(too_fast=True)
    if age > settings.COMMENT_MAX_FORM_SECONDS:
        return StampCheck(too_old=True)
    return StampCheck()


def over_post_limit(request: HttpRequest) -> bool:
    """Count this post from the client's address; True when it is over COMMENT_POSTS_PER_WINDOW."""
    key = f"comment-posts:{client_address(request)}"
    count_in_window(key, settings.COMMENT_POST_WINDOW_SECONDS)
    return (cache.get(key) or 0) > settings.COMMENT_POSTS_PER_WINDOW
