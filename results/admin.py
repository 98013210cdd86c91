from django.contrib import admin
from django.db import models

from .models import Commentary, Snapshot


@admin.register(Commentary)
class CommentaryAdmin(admin.ModelAdmin):
    list_display = ["survey", "order", "kind", "heading_sv", "speaker"]
    list_filter = ["survey", "kind"]
    list_editable = ["order"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    """Published versions are a record: readable, never changed."""

    list_display = ["survey", "version", "published_at", "published_by"]
    list_filter = ["survey"]
    readonly_fields = ["survey", "version", "published_at", "published_by", "data"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
