"""
Throttling of failed sign-in attempts: passwords, and second-factor codes.

Failures are counted in the cache (Redis in production, so every web
process sees the same counts) per account and per client address. Past
the limit, that step of signing in is refused for the account or address
until the window has passed, even with the right password or code, and the
form says how long to wait. The log-in form and the second-factor forms
(msi_survey/accounts/forms.py) ask here.

allauth has a limit of its own ("login_failed"), turned off in settings:
these counts give one message in Swedish for both steps, count a code per
account whatever session it comes from, and let the second-factor page end
a half-signed-in session after a few wrong codes (msi_survey/accounts/views.py).
"""

from dataclasses import dataclass

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from msi_survey.http import client_address
from msi_survey.security import count_in_window

WINDOW_SECONDS = 15 * 60


@dataclass(frozen=True)
class Throttle:
    name: str
    per_account: int
    per_address: int
    window: int = WINDOW_SECONDS

    def _keys(self, request, account: str) -> list[tuple[str, int]]:
        address = client_address(request) if request else ""
        return [
            (f"{self.name}:user:{account.strip().lower()}", self.per_account),
            (f"{self.name}:addr:{address}", self.per_address),
        ]

    def is_locked(self, request, account: str) -> bool:
        return any((cache.get(key) or 0) >= limit for key, limit in self._keys(request, account))

    def record_failure(self, request, account: str) -> None:
        for key, _limit in self._keys(request, account):
            count_in_window(key, self.window)

    def clear(self, request, account: str) -> None:
        """A success clears the account's count, never the address's."""
        cache.delete(self._keys(request, account)[0][0])


# Passwords, by the user name as typed.
PASSWORDS = Throttle("login-failures", per_account=5, per_address=20)
# Second-factor codes (an app's code, a recovery code, a security key), by
# the account's id: someone who has the password gets this many guesses
# in 15 minutes, whatever sessions they spread them over.
CODES = Throttle("code-failures", per_account=5, per_address=20)
# Wrong codes after which a half-signed-in session must begin again with the password.
CODES_PER_SIGN_IN = 3

THROTTLED = _("Too many failed attempts. Wait 15 minutes and try again, or ask staff to reset your password.")
CODES_THROTTLED = _(
    "Too many wrong codes. Wait 15 minutes and log in again. Ask staff if you have lost your authenticator."
)
SIGN_IN_AGAIN = _("Too many wrong codes. Log in again with your password to try once more.")
