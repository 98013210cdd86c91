"""
A sending account, the state of its sending, and its transport.

A sending account is one mail account the invitations of one or more regions
go out through (a regional node's Microsoft 365 or Google Workspace
mailbox, or a plain relay), with its own limits and bounce mailbox. Its
password and OAuth 2.0 client secret are stored encrypted
(msi_survey/encryption.py) and never shown again once saved.

Every account lookup for sending starts here: a region points at its
account, and a region with none sends through the account from the
environment (EMAIL_* settings), which stays the default.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from email.utils import formataddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from msi_survey import encryption

from . import replies, smtp
from .emails import one_line

logger = logging.getLogger(__name__)

SECRET_FIELDS = ("password", "oauth_client_secret", "bounce_password")


class SendingAccount(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True, help_text=_("E.g. “Luleå tekniska universitet”."))
    from_email = models.EmailField(_("From address"))
    from_name = models.CharField(_("From name"), max_length=100, blank=True)
    reply_to = models.EmailField(_("Reply-To"), blank=True)
    host = models.CharField(_("SMTP server"), max_length=200)
    port = models.PositiveIntegerField(
        _("port"), default=587, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    use_tls = models.BooleanField(_("STARTTLS"), default=True)
    use_ssl = models.BooleanField(_("TLS from the start (SMTPS)"), default=False)
    username = models.CharField(_("user"), max_length=200, blank=True)
    password_encrypted = models.TextField(_("password (encrypted)"), blank=True, editable=False)
    oauth_token_url = models.URLField(_("OAuth 2.0 token URL"), blank=True)
    oauth_client_id = models.CharField(_("OAuth 2.0 client id"), max_length=200, blank=True)
    oauth_client_secret_encrypted = models.TextField(
        _("OAuth 2.0 client secret (encrypted)"), blank=True, editable=False
    )
    oauth_scope = models.CharField(_("OAuth 2.0 scope"), max_length=300, blank=True)
    per_minute = models.PositiveIntegerField(
        _("at most per minute"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    per_hour = models.PositiveIntegerField(
        _("at most per hour"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    per_day = models.PositiveIntegerField(
        _("at most per day"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    bounce_address = models.EmailField(_("bounce address"), blank=True)
    bounce_host = models.CharField(_("bounce mailbox (IMAP server)"), max_length=200, blank=True)
    bounce_username = models.CharField(_("bounce mailbox user"), max_length=200, blank=True)
    bounce_password_encrypted = models.TextField(_("bounce mailbox password (encrypted)"), blank=True, editable=False)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        app_label = "surveys"
        verbose_name = _("sending account")
        verbose_name_plural = _("sending accounts")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def __repr__(self):
        # Never the secrets, not even encrypted, in a traceback or a log line.
        return f"<SendingAccount {self.pk}: {self.name}>"

    def set_secret(self, name: str, value: str) -> None:
        """Store `value` as the secret `name` (one of SECRET_FIELDS), encrypted; "" removes it."""
        assert name in SECRET_FIELDS, name
        setattr(self, f"{name}_encrypted", encryption.encrypt(value) if value else "")

    def secret(self, name: str) -> str:
        """The secret `name` as it was typed; "" when none is stored. SecretsUnavailable without the key."""
        assert name in SECRET_FIELDS, name
        stored = getattr(self, f"{name}_encrypted")
        return encryption.decrypt(stored) if stored else ""

    def has_secret(self, name: str) -> bool:
        return bool(getattr(self, f"{name}_encrypted"))

    def clean(self):
        if self.use_tls and self.use_ssl:
            raise ValidationError(_("Choose STARTTLS or TLS from the start, not both."))
        if self.oauth_token_url and not self.oauth_client_id:
            raise ValidationError({"oauth_client_id": _("An OAuth 2.0 token URL needs the client id as well.")})


class SendingState(models.Model):
    """
    What every worker must know before it sends: one row (pk 1) for the
    deployment's mail account. Its row lock serialises the decisions that
    must hold across workers (may this email go now under the limits?), and
    it remembers a pause the mail server asked for: a "slow down" reply, a
    spent quota, or a refused sign-in. See surveys/distribution/pacing.py.
    """

    class Pause(models.TextChoices):
        NONE = "", _("Not paused")
        SERVER_BUSY = "server_busy", _("The mail server asked us to slow down")
        QUOTA = "quota", _("The mail account's sending quota is spent")
        SIGN_IN = "sign_in", _("The mail server refused our sign-in")

    paused_until = models.DateTimeField(_("paused until"), null=True, blank=True)
    pause = models.CharField(_("pause"), max_length=20, choices=Pause.choices, default=Pause.NONE, blank=True)
    server_reply = models.CharField(_("the server's reply"), max_length=500, blank=True)
    # Pauses since the last email that went out: each waits longer than the one before.
    pauses_in_a_row = models.PositiveSmallIntegerField(_("pauses in a row"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        app_label = "surveys"
        verbose_name = _("sending state")
        verbose_name_plural = _("sending state")

    def __str__(self):
        return str(self.get_pause_display())

    def is_paused(self, now: datetime) -> bool:
        return self.paused_until is not None and self.paused_until > now


def oauth_client(account: SendingAccount) -> "smtp.OAuthClient | None":
    if not account.oauth_token_url:
        return None
    return smtp.OAuthClient(
        token_url=account.oauth_token_url,
        client_id=account.oauth_client_id,
        client_secret=account.secret("oauth_client_secret"),
        scope=account.oauth_scope,
    )


def connection_for(account: SendingAccount) -> "smtp.EmailBackend":
    """
    An SMTP connection (not yet open) through `account`: its server, and its
    password or OAuth 2.0 client. SecretsUnavailable if its secrets cannot be read.
    """
    client = oauth_client(account)
    return smtp.EmailBackend(
        host=account.host,
        port=account.port,
        username=account.username,
        password="" if client else account.secret("password"),
        use_tls=account.use_tls,
        use_ssl=account.use_ssl,
        timeout=settings.EMAIL_TIMEOUT,
        fail_silently=False,
        oauth_client=client,
    )


def from_header(account: SendingAccount) -> str:
    """The From header of the account's emails: its name and address, the name never a header of its own."""
    return formataddr((one_line(account.from_name), account.from_email)) if account.from_name else account.from_email


@dataclass(frozen=True)
class TestResult:
    sent: bool
    message: str  # in words, for staff or the lead who pressed the button


def send_test_email(account: SendingAccount, to: str) -> TestResult:
    """
    Send one short email through `account` to `to`, at once and not through
    the queue, and say what happened in words: the server's own reply when
    it fails. Nothing is raised; nothing of the secrets is in the message.
    """
    subject = gettext("Test email from %(account)s") % {"account": account.name}
    body = gettext(
        "This is a test email, sent through the sending account “%(account)s” (%(host)s) of the survey site. "
        "If it arrived, invitations sent through the account arrive too."
    ) % {"account": account.name, "host": account.host}
    message = EmailMessage(one_line(subject), body, from_header(account), [to])
    if account.reply_to:
        message.reply_to = [account.reply_to]
    try:
        with connection_for(account) as connection:
            connection.send_messages([message])
    except encryption.SecretsUnavailable as error:
        return TestResult(False, str(error))
    except Exception as error:
        logger.info("test email through sending account %s failed: %s", account.pk, type(error).__name__)
        return TestResult(False, replies.describe(replies.read(error)))
    return TestResult(
        True, gettext("The test email was sent to %(to)s through %(host)s.") % {"to": to, "host": account.host}
    )
