"""allauth's sign-in forms, with the project's throttling and the single-sign-on-only rule."""

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.mfa.base import forms as mfa_forms
from allauth.mfa.webauthn import forms as webauthn_forms
from django import forms
from django.utils.translation import gettext_lazy as _

from msi_survey.accounts.models import AuditEvent
from msi_survey.accounts.throttles import CODES, CODES_THROTTLED, PASSWORDS, THROTTLED

from . import services

SSO_ONLY = _("This account signs in through your organisation's single sign-on, not with a password.")


class LoginForm(AllauthLoginForm):
    def clean(self):
        username = self.data.get("login", "")
        if PASSWORDS.is_locked(self.request, username):
            services.record(
                AuditEvent.Kind.SIGN_IN_FAILED, username=username, request=self.request, detail="throttled"
            )
            raise forms.ValidationError(THROTTLED, code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            PASSWORDS.record_failure(self.request, username)
            raise
        if services.is_sso_only(self.user):
            services.record(AuditEvent.Kind.SIGN_IN_FAILED, user=self.user, request=self.request, detail="sso only")
            raise forms.ValidationError(SSO_ONLY, code="sso_only")
        PASSWORDS.clear(self.request, username)
        return cleaned


class ThrottledCodeForm(mfa_forms.BaseAuthenticateForm):
    """
    A second-factor code counts against CODES: per account and per address,
    refused past the limit even when right. allauth's form says whether the
    code is right (and sends the signal that writes the audit log).
    """

    def clean_code(self):
        from allauth.core import context

        request = context.request
        account = str(self.user.pk)
        if CODES.is_locked(request, account):
            services.record(
                AuditEvent.Kind.SIGN_IN_FAILED, user=self.user, request=request, detail="second factor throttled"
            )
            raise forms.ValidationError(CODES_THROTTLED, code="throttled")
        try:
            code = super().clean_code()
        except forms.ValidationError:
            CODES.record_failure(request, account)
            raise
        CODES.clear(request, account)
        return code


class AuthenticateForm(ThrottledCodeForm, mfa_forms.AuthenticateForm):
    pass


class ReauthenticateForm(ThrottledCodeForm, mfa_forms.ReauthenticateForm):
    pass


class AddWebAuthnForm(webauthn_forms.AddWebAuthnForm):
    """allauth's, with a label that says what the name is for."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("Name of the key")
        self.fields["name"].help_text = _("So that you can tell your keys apart, e.g. “Key on my keyring”.")
