from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..models import Survey
from .models import PublishedFigure, Series


class EditionInline(admin.TabularInline):
    model = Survey
    fields = ("title_sv", "slug", "opens_at", "closes_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = _("edition")
    verbose_name_plural = _("editions")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ["title_sv", "slug"]
    prepopulated_fields = {"slug": ["title_sv"]}
    inlines = [EditionInline]


class PublishedFigureInline(admin.TabularInline):
    """An edition known only from its published table: its share per area, as published."""

    model = PublishedFigure
    extra = 0
    fields = ["code", "title_sv", "title_en", "share", "answers", "invited"]


@admin.action(description=_("New edition from this one"))
def new_edition_action(modeladmin, request, queryset):
    """Opens the form for the next edition of the one survey chosen; nothing is made until it is sent."""
    surveys = list(queryset[:2])
    if len(surveys) != 1:
        modeladmin.message_user(request, _("Choose exactly one survey to start a new edition from."), messages.WARNING)
        return None
    return redirect(reverse("editions:new", args=[surveys[0].slug]))
