"""Staff read the audit log and set who signs in through single sign-on only."""

from django.contrib import admin

from surveys.accounts import AccountPolicy, AuditEvent


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
