from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .distribution.emails import PLACEHOLDERS, unknown_placeholders
from .editions.admin import PublishedFigureInline, new_edition_action
from .models import (
    Area,
    EmailText,
    Mailing,
    OutgoingEmail,
    Participant,
    ParticipantImport,
    RankedArea,
    Region,
    Response,
    SendingState,
    Survey,
)


class AreaInline(admin.TabularInline):
    model = Area
    extra = 0
    fields = ["order", "code", "title_sv", "title_en"]


class EmailTextForm(forms.ModelForm):
    class Meta:
        model = EmailText
        fields = ["kind", "language", "subject", "body_text", "body_html"]

    def clean(self):
        cleaned = super().clean() or {}
        for name in ("subject", "body_text", "body_html"):
            unknown = unknown_placeholders(cleaned.get(name) or "")
            if unknown:
                self.add_error(
                    name,
                    _("Unknown placeholder: %(names)s. Use %(known)s.")
                    % {
                        "names": ", ".join(sorted(f"{{{{ {n} }}}}" for n in unknown)),
                        "known": ", ".join(f"{{{{ {n} }}}}" for n in PLACEHOLDERS),
                    },
                )
        return cleaned


class EmailTextInline(admin.StackedInline):
    model = EmailText
    form = EmailTextForm
    extra = 0


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["title_sv", "slug", "opens_at", "closes_at", "rank_count", "results_links"]
    prepopulated_fields = {"slug": ["title_sv"]}
    inlines = [AreaInline, EmailTextInline, PublishedFigureInline]
    actions = [new_edition_action]
    readonly_fields = ["personal_data_purged_at"]
    fieldsets = [
        (None, {"fields": ["slug", "title_sv", "title_en", "introduction_sv", "introduction_en", "series"]}),
        (_("Schedule"), {"fields": ["opens_at", "closes_at"]}),
        (_("Question"), {"fields": ["rank_count", "points_rule"]}),
        (
            _("Reminders"),
            {
                "fields": [
                    "reminder_interval_days",
                    "max_reminders",
                    "reminders_on_weekdays_only",
                    "reminder_window_start",
                    "reminder_window_end",
                ]
            },
        ),
        (_("Personal data"), {"fields": ["purge_after_days", "personal_data_purged_at"]}),
        (_("Readers' comments"), {"fields": ["comments_open", "comments_close_after_days"]}),
    ]

    @admin.display(description=_("Results"))
    def results_links(self, survey):
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("results:preview", args=[survey.slug]),
            _("Preview and publish"),
            reverse("results:versions", args=[survey.slug]),
            _("Published versions"),
        )


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "node", "contact_name", "contact_email"]
    filter_horizontal = ["leads"]
    # Shown once sending goes through a region's own account: until then
    # every region sends through the site's account (EMAIL_* settings).
    exclude = ["sending_account"]


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "organisation", "region", "level", "survey", "answered_at"]
    list_filter = ["survey", "region", "level", ("answered_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "name", "organisation"]
    readonly_fields = ["answered_at", "answered_after_wave", "opted_out_at", "created_at"]
    list_select_related = ["survey", "region"]


class RankedAreaInline(admin.TabularInline):
    model = RankedArea
    fields = ("position", "area")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    """Answers are evidence: staff may read them, never edit them here."""

    list_display = ["submitted_on", "survey", "region", "level"]
    list_filter = ["survey", "region", "level"]
    list_select_related = ["survey", "region"]
    readonly_fields = ["survey", "region", "level", "submitted_on"]
    inlines = [RankedAreaInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what happened: readable, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Mailing)
class MailingAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "survey", "region", "kind", "scheduled", "created_by"]
    list_filter = ["survey", "region", "kind", "scheduled"]


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(ReadOnlyAdmin):
    list_display = ["participant", "wave", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "wave", "mailing__survey", "mailing__region"]
    search_fields = ["participant__email", "message_id"]
    list_select_related = ["participant"]


@admin.register(ParticipantImport)
class ParticipantImportAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "filename", "survey", "region", "status", "created_count", "created_by"]
    list_filter = ["status", "survey", "region"]
    exclude = ["valid_rows", "rejected_rows"]


@admin.register(SendingState)
class SendingStateAdmin(admin.ModelAdmin):
    """Staff may end a pause by hand (say, once the mail account's sign-in is fixed): clear "paused until"."""

    list_display = ["pause", "paused_until", "server_reply", "pauses_in_a_row", "updated_at"]
    fields = ["pause", "paused_until", "server_reply", "pauses_in_a_row"]
    readonly_fields = ["pause", "server_reply", "pauses_in_a_row"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
