"""Writes to the audit log and ends sessions. Each call is one small write, safe to repeat."""

from django.contrib.auth.models import User
from django.utils import timezone

from msi_survey.accounts.models import AccountPolicy, AuditEvent
from msi_survey.http import client_address


def _address(request) -> str | None:
    return (client_address(request) or None) if request is not None else None


def record(kind: str, *, user: User | None = None, username: str = "", request=None, detail: str = "") -> AuditEvent:
    """Add one event to the audit log."""
    return AuditEvent.objects.create(
        kind=kind,
        user=user if user is not None and user.pk else None,
        username=(username or (user.get_username() if user is not None else ""))[:150],
        address=_address(request),
        detail=detail[:300],
    )


def policy_for(user: User) -> AccountPolicy | None:
    return AccountPolicy.objects.filter(user=user).first()


def is_sso_only(user: User) -> bool:
    return AccountPolicy.objects.filter(user=user, sso_only=True).exists()


def end_sessions(*, user: User) -> None:
    """
    End every session the user has signed in so far, on every device: each
    one is refused at its next request (msi_survey/accounts/middleware.py).
    Running it twice moves the moment on; sessions signed in after it live.
    """
    AccountPolicy.objects.update_or_create(user=user, defaults={"sessions_ended_at": timezone.now()})
