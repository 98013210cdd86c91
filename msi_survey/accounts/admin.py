"""Staff read the audit log and set who signs in through single sign-on only."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from msi_survey.accounts.models import AccountPolicy, AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "kind", "username", "address", "detail"]
    list_filter = ["kind", "at"]
    search_fields = ["username", "detail", "address"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccountPolicy)
class AccountPolicyAdmin(admin.ModelAdmin):
    list_display = ["user", "sso_only", "sessions_ended_at"]
    list_filter = ["sso_only"]
    autocomplete_fields = ["user"]
    readonly_fields = ["sessions_ended_at"]


# allauth's second-factor model has no translatable name (Django makes
# "authenticators" of its class name), and changing its options would be a
# migration of allauth's own: the admin's list names it in Swedish instead.
PACKAGE_MODEL_NAMES = {("mfa", "Authenticator"): _("Authenticators")}
_app_list = admin.site.get_app_list


def _named_app_list(request, app_label=None):
    apps = _app_list(request, app_label)
    for app in apps:
        for model in app["models"]:
            name = PACKAGE_MODEL_NAMES.get((app["app_label"], model["object_name"]))
            if name is not None:
                model["name"] = name
    return apps


admin.site.get_app_list = _named_app_list  # type: ignore[method-assign]
