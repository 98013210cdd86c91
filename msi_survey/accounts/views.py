"""The second-factor step of signing in, with an end to guessing."""

from allauth.mfa.base import views as mfa_views
from django.contrib import messages

from msi_survey.accounts.models import AuditEvent
from msi_survey.accounts.throttles import CODES_PER_SIGN_IN, SIGN_IN_AGAIN

from . import services

FAILED_CODES = "mfa_failed_codes"


class AuthenticateView(mfa_views.AuthenticateView):
    """
    allauth's page that asks for the code after the password. After
    CODES_PER_SIGN_IN wrong codes (or a refusal by the throttle) the
    half-signed-in session ends: the person starts again with the password,
    and the audit log says why.
    """

    def form_valid(self, form):
        self.request.session.pop(FAILED_CODES, None)
        return super().form_valid(form)

    def form_invalid(self, form):
        session = self.request.session
        failed = session.get(FAILED_CODES, 0) + 1
        throttled = any(error.code == "throttled" for error in form.errors.as_data().get("code", []))
        if failed < CODES_PER_SIGN_IN and not throttled:
            session[FAILED_CODES] = failed
            return super().form_invalid(form)
        session.pop(FAILED_CODES, None)
        user = self.stage.login.user
        services.record(
            AuditEvent.Kind.SIGN_IN_FAILED,
            user=user,
            request=self.request,
            detail="second factor: sign-in ended" + (" (throttled)" if throttled else f" after {failed} wrong codes"),
        )
        messages.error(self.request, form.errors["code"][0] if throttled else SIGN_IN_AGAIN)
        return self.stage.abort()


authenticate = AuthenticateView.as_view()
