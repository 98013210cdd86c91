from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Area, Participant, RankedArea, Region, Response, Survey


class AreaInline(admin.TabularInline):
    model = Area
    extra = 0
    fields = ["order", "code", "title_sv", "title_en"]


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["title_sv", "slug", "opens_at", "closes_at", "rank_count"]
    prepopulated_fields = {"slug": ["title_sv"]}
    inlines = [AreaInline]
    fieldsets = [
        (None, {"fields": ["slug", "title_sv", "title_en", "introduction_sv", "introduction_en"]}),
        (_("Schedule"), {"fields": ["opens_at", "closes_at"]}),
        (_("Question"), {"fields": ["rank_count", "points_rule"]}),
    ]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "node"]
    filter_horizontal = ["leads"]


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "organisation", "region", "level", "survey", "answered_at"]
    list_filter = ["survey", "region", "level", ("answered_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "name", "organisation"]
    readonly_fields = ["answered_at", "created_at"]
    list_select_related = ["survey", "region"]


class RankedAreaInline(admin.TabularInline):
    model = RankedArea
    fields = ["position", "area"]
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
