"""
Throttling of failed log-ins.

Failures are counted in the cache (Redis in production, so every web
process sees the same counts) per user name and per client address. Past
the limit, log-in is refused for that name or address until the window has
passed, even with the right password, and the form says how long to wait.
The log-in form (msi_survey/accounts/forms.py) asks here.
"""

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from msi_survey.http import client_address
from msi_survey.security import count_in_window

FAILURES_PER_USERNAME = 5
FAILURES_PER_ADDRESS = 20
WINDOW_SECONDS = 15 * 60


def _keys(request, username: str) -> list[tuple[str, int]]:
    address = client_address(request) if request else ""
    return [
        (f"login-failures:user:{username.strip().lower()}", FAILURES_PER_USERNAME),
        (f"login-failures:addr:{address}", FAILURES_PER_ADDRESS),
    ]


def is_locked(request, username: str) -> bool:
    return any((cache.get(key) or 0) >= limit for key, limit in _keys(request, username))


def record_failure(request, username: str):
    for key, _limit in _keys(request, username):
        count_in_window(key, WINDOW_SECONDS)


def clear_failures(request, username: str):
    cache.delete(_keys(request, username)[0][0])


THROTTLED = _("Too many failed attempts. Wait 15 minutes and try again, or ask staff to reset your password.")
