"""
What the site keeps about sign-in: the audit log, and each account's
sign-in policy. Their tables kept the names they had when these models
lived in the surveys app (migrations/0001_initial.py moved them without
touching a row).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    class Kind(models.TextChoices):
        SIGNED_IN = "signed_in", _("signed in")
        SIGN_IN_FAILED = "sign_in_failed", _("sign-in failed")
        SIGNED_OUT = "signed_out", _("signed out everywhere")
        SESSION_EXPIRED = "session_expired", _("session expired")
        PASSWORD_CHANGED = "password_changed", _("password changed")
        MFA_ADDED = "mfa_added", _("second factor added")
        MFA_REMOVED = "mfa_removed", _("second factor removed")
        MFA_USED = "mfa_used", _("second factor used")
        RECOVERY_CODES = "recovery_codes", _("recovery codes made")
        LEAD_ADDED = "lead_added", _("made lead of a region")
        LEAD_REMOVED = "lead_removed", _("no longer lead of a region")
        STAFF_ADDED = "staff_added", _("made staff")
        STAFF_REMOVED = "staff_removed", _("no longer staff")
        DEACTIVATED = "deactivated", _("account closed")
        ADDRESS_CHANGED = "address_changed", _("participant's address changed")
        RESULTS_PUBLISHED = "results_published", _("results published")
        RESULTS_WITHDRAWN = "results_withdrawn", _("published results withdrawn")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    kind = models.CharField(_("what"), max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # As typed at a failed sign-in, or kept after the account is deleted.
    username = models.CharField(_("user name"), max_length=150, blank=True)
    address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        db_table = "surveys_auditevent"
        ordering = ["-at", "-pk"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()} {self.username}"


class AccountPolicy(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("account"), on_delete=models.CASCADE, related_name="account_policy"
    )
    sso_only = models.BooleanField(
        _("single sign-on only"),
        default=False,
        help_text=_("Refuse the password: this person signs in through their organisation's identity provider."),
    )
    # Every session signed in before this moment has ended (signing out
    # everywhere, a lost role).
    sessions_ended_at = models.DateTimeField(_("sessions ended at"), null=True, blank=True)

    class Meta:
        db_table = "surveys_accountpolicy"
        verbose_name = _("sign-in policy")
        verbose_name_plural = _("sign-in policies")

    def __str__(self):
        return str(self.user)
