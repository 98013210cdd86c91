"""
Writes the audit log as things happen: Django's and allauth's signals for
sign-in, sign-out, passwords and second factors, and the model signals for
roles, because staff change roles in the admin, whose forms we do not own.
Connected by SurveysConfig.ready().
"""

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.account.signals import password_changed, password_reset, password_set
from allauth.mfa.signals import authentication_failed, authenticator_added, authenticator_removed, authenticator_reset
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, pre_save
from django.dispatch import receiver

from msi_survey.accounts.models import AuditEvent
from surveys.models import Region

from . import services

Kind = AuditEvent.Kind
User = get_user_model()


def _method(request, user) -> str:
    """How the person signed in: "password, mfa", or the identity provider's id."""
    records = get_authentication_records(request, user) if request is not None else []
    return ", ".join(
        record.get("provider", record["method"]) if record["method"] == "socialaccount" else record["method"]
        for record in records
    )


@receiver(user_logged_in, dispatch_uid="audit-signed-in")
def signed_in(sender, request, user, **kwargs):
    services.record(Kind.SIGNED_IN, user=user, request=request, detail=_method(request, user))


@receiver(user_login_failed, dispatch_uid="audit-sign-in-failed")
def sign_in_failed(sender, credentials, request=None, **kwargs):
    username = credentials.get("username") or credentials.get("email") or ""
    services.record(Kind.SIGN_IN_FAILED, username=username, request=request, detail="password")


@receiver(user_logged_out, dispatch_uid="audit-signed-out")
def signed_out(sender, request, user, **kwargs):
    # Signing out ends the person's sessions everywhere, not just this one.
    if user is not None and user.is_authenticated:
        services.end_sessions(user=user)
        services.record(Kind.SIGNED_OUT, user=user, request=request)


@receiver(password_changed, dispatch_uid="audit-password-changed")
@receiver(password_set, dispatch_uid="audit-password-set")
@receiver(password_reset, dispatch_uid="audit-password-reset")
def password_was_changed(sender, request, user, **kwargs):
    # Django ends the other sessions itself (the session keeps a hash of the password).
    services.record(Kind.PASSWORD_CHANGED, user=user, request=request)


@receiver(authenticator_added, dispatch_uid="audit-mfa-added")
def mfa_added(sender, request, user, authenticator, **kwargs):
    services.record(Kind.MFA_ADDED, user=user, request=request, detail=authenticator.type)
    if request is not None and authenticator.type != "recovery_codes":
        # The person has just proved they hold the new factor: as fresh a
        # check as the password, so the recovery codes that follow do not
        # ask for the password a second time.
        record_authentication(request, user, "mfa", type=authenticator.type, reauthenticated=True)


@receiver(authenticator_removed, dispatch_uid="audit-mfa-removed")
def mfa_removed(sender, request, user, authenticator, **kwargs):
    services.record(Kind.MFA_REMOVED, user=user, request=request, detail=authenticator.type)


@receiver(authenticator_reset, dispatch_uid="audit-mfa-reset")
def mfa_reset(sender, request, user, authenticator, **kwargs):
    services.record(Kind.RECOVERY_CODES, user=user, request=request, detail=authenticator.type)


@receiver(authentication_failed, dispatch_uid="audit-mfa-failed")
def mfa_failed(sender, request, user, authenticator=None, **kwargs):
    detail = f"second factor ({authenticator.type})" if authenticator is not None else "second factor"
    services.record(Kind.SIGN_IN_FAILED, user=user, request=request, detail=detail)


@receiver(m2m_changed, sender=Region.leads.through, dispatch_uid="audit-lead-roles")
def lead_roles_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    if action == "pre_clear":
        # pk_set is not given for a clear: remember who is about to go.
        instance._leaving = (
            list(instance.lead_regions.all()) if reverse else list(instance.leads.all())
        )  # regions of a user, or users of a region
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if action == "post_clear":
        others = instance.__dict__.pop("_leaving", [])
    else:
        others = list(model.objects.filter(pk__in=pk_set))
    kind = Kind.LEAD_ADDED if action == "post_add" else Kind.LEAD_REMOVED
    for other in others:
        user, region = (instance, other) if reverse else (other, instance)
        services.record(kind, user=user, detail=region.code)
        if kind == Kind.LEAD_REMOVED:
            services.end_sessions(user=user)


@receiver(pre_save, sender=User, dispatch_uid="audit-staff-roles")
def staff_role_changed(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    before = User.objects.filter(pk=instance.pk).values("is_staff", "is_active").first()
    if before is None:
        return
    if before["is_staff"] != instance.is_staff:
        services.record(Kind.STAFF_ADDED if instance.is_staff else Kind.STAFF_REMOVED, user=instance)
        if not instance.is_staff:
            services.end_sessions(user=instance)
    if before["is_active"] and not instance.is_active:
        services.record(Kind.DEACTIVATED, user=instance)
        services.end_sessions(user=instance)
