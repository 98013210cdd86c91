"""The log-in form: allauth's, with the project's throttling and the single-sign-on-only rule."""

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.mfa.webauthn import forms as webauthn_forms
from django import forms
from django.utils.translation import gettext_lazy as _

from surveys.accounts import AuditEvent
from surveys.auth import THROTTLED, clear_failures, is_locked, record_failure

from . import services

SSO_ONLY = _("This account signs in through your organisation's single sign-on, not with a password.")


class LoginForm(AllauthLoginForm):
    def clean(self):
        username = self.data.get("login", "")
        if is_locked(self.request, username):
            services.record(
                AuditEvent.Kind.SIGN_IN_FAILED, username=username, request=self.request, detail="throttled"
            )
            raise forms.ValidationError(THROTTLED, code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            record_failure(self.request, username)
            raise
        if services.is_sso_only(self.user):
            services.record(AuditEvent.Kind.SIGN_IN_FAILED, user=self.user, request=self.request, detail="sso only")
            raise forms.ValidationError(SSO_ONLY, code="sso_only")
        clear_failures(self.request, username)
        return cleaned


class AddWebAuthnForm(webauthn_forms.AddWebAuthnForm):
    """allauth's, with a label that says what the name is for."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("Name of the key")
        self.fields["name"].help_text = _("So that you can tell your keys apart, e.g. “Key on my keyring”.")
