from django.contrib import admin
from django.db import models

from surveys.admin import ReadOnlyAdmin

from .models import Commentary, Snapshot


@admin.register(Commentary)
class CommentaryAdmin(admin.ModelAdmin):
    list_display = ["survey", "order", "kind", "heading_sv", "speaker"]
    list_filter = ["survey", "kind"]
    list_editable = ["order"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyAdmin):
    """Published versions are a record: readable, never changed or removed."""

    list_display = ["survey", "version", "published_at", "published_by"]
    list_filter = ["survey"]
    readonly_fields = ["survey", "version", "published_at", "published_by", "data"]

    def has_delete_permission(self, request, obj=None):
        return False
