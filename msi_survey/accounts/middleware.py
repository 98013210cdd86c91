"""
Limits on a signed-in session, and the second factor every account needs.

SessionLimitsMiddleware ends a session after SESSION_IDLE_SECONDS without a
request, after SESSION_MAX_SECONDS in all, and when everything the person
had signed in before a moment was ended (signing out everywhere, a lost
role: AccountPolicy.sessions_ended_at). The person is then simply signed
out, and the page asked for treats them as such (the log-in page, mostly).

SecondFactorRequiredMiddleware sends a signed-in person who has no second
factor, while MFA_REQUIRED is on, to the page that sets one up; the
sign-in pages themselves (set-up, sign-out, password) stay open.
"""

import time
from datetime import datetime

from allauth.account.authentication import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from msi_survey.accounts.models import AccountPolicy, AuditEvent

from . import services

SIGNED_IN_AT = "signed_in_at"
LAST_SEEN = "last_seen"
# Write the session for activity at most this often.
LAST_SEEN_GRANULARITY = 60


class SessionLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            self._check(request, user)
        return self.get_response(request)

    def _check(self, request, user):
        session = request.session
        now = time.time()
        signed_in_at = session.get(SIGNED_IN_AT)
        if signed_in_at is None:
            session[SIGNED_IN_AT] = signed_in_at = now
        last_seen = session.get(LAST_SEEN, signed_in_at)
        ended_at = (
            AccountPolicy.objects.filter(user=user, sessions_ended_at__isnull=False)
            .values_list("sessions_ended_at", flat=True)
            .first()
        )
        if now - last_seen > settings.SESSION_IDLE_SECONDS:
            reason = "idle"
        elif now - signed_in_at > settings.SESSION_MAX_SECONDS:
            reason = "too long"
        elif ended_at is not None and datetime.fromtimestamp(signed_in_at, tz=ended_at.tzinfo) <= ended_at:
            reason = "ended"
        else:
            if now - last_seen >= LAST_SEEN_GRANULARITY:
                session[LAST_SEEN] = now
            return
        # Not logout(): that would end the person's sessions everywhere.
        session.flush()
        request.user = AnonymousUser()
        if reason != "ended":
            services.record(AuditEvent.Kind.SESSION_EXPIRED, user=user, request=request, detail=reason)
        messages.info(request, _("Your session has ended. Log in again to go on."))


# Paths a person without a second factor may still open: the sign-in pages
# (setting one up, signing out, the password), files and the basic pages.
OPEN_PREFIXES = ("/accounts/", "/static/", "/sprak/", "/integritet/", "/healthz")


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.MFA_REQUIRED
            and request.user.is_authenticated
            and not request.path.startswith(OPEN_PREFIXES)
            and not (self._signed_in_through_sso(request) and not settings.MFA_REQUIRED_FOR_SSO)
            and not is_mfa_enabled(request.user)
        ):
            messages.info(
                request, _("Set up a second factor before you go on: an authenticator app or a security key.")
            )
            return redirect("mfa_index")
        return self.get_response(request)

    @staticmethod
    def _signed_in_through_sso(request) -> bool:
        return any(
            record.get("method") == "socialaccount" for record in get_authentication_records(request, request.user)
        )
