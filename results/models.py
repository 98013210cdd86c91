"""
Published results. A Snapshot freezes every number a public page shows, the
method and the commentary, at the moment staff publish; the public pages
read only snapshots, so answers that arrive later change nothing until the
next publication. Earlier snapshots stay readable.
"""

from collections.abc import Mapping
from typing import Any

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from surveys.models import Survey

from .snapshot import CommentaryBlock


class Snapshot(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="snapshots", verbose_name=_("survey"))
    version = models.PositiveIntegerField(_("version"))
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("published by")
    )
    data = models.JSONField(_("results"))

    class Meta:
        verbose_name = _("published snapshot")
        verbose_name_plural = _("published snapshots")
        ordering = ["survey", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "version"], name="snapshot_version_unique_per_survey"),
        ]

    def __str__(self):
        return f"{self.survey.slug} v{self.version}"


class Commentary(models.Model):
    """A block of commentary on the results page: text, a quote with its speaker, or a video link."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        QUOTE = "quote", _("Quote")
        VIDEO = "video", _("Video")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="commentary", verbose_name=_("survey"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    heading_sv = models.CharField(_("heading (Swedish)"), max_length=200, blank=True)
    heading_en = models.CharField(_("heading (English)"), max_length=200, blank=True)
    body_sv = models.TextField(_("text (Swedish)"), blank=True)
    body_en = models.TextField(_("text (English)"), blank=True)
    speaker = models.CharField(_("speaker"), max_length=200, blank=True, help_text=_("For quotes: who said it."))
    speaker_role = models.CharField(_("speaker's role"), max_length=200, blank=True)
    video_url = models.URLField(_("video link"), blank=True)

    class Meta:
        verbose_name = _("commentary block")
        verbose_name_plural = _("commentary")
        ordering = ["survey", "order", "id"]

    def __str__(self):
        return self.heading_sv or self.get_kind_display()

    def frozen(self) -> CommentaryBlock:
        return {
            "kind": self.kind,
            "heading_sv": self.heading_sv,
            "heading_en": self.heading_en,
            "body_sv": self.body_sv,
            "body_en": self.body_en,
            "speaker": self.speaker,
            "speaker_role": self.speaker_role,
            "video_url": self.video_url,
        }


def localized(item: Mapping[str, Any], field: str) -> str:
    """item[field_en] in English when there is one, else item[field_sv]."""
    if (get_language() or "sv").startswith("en") and item.get(f"{field}_en"):
        return item[f"{field}_en"]
    return item.get(f"{field}_sv", "")
