"""
Published results. A Snapshot freezes every number a public page shows, the
method and the commentary, at the moment staff publish; the public pages
read only snapshots, so answers that arrive later change nothing until the
next publication. Earlier snapshots stay readable.
"""

import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from surveys.models import Region, Survey

from .snapshot import CommentaryBlock, ContactBlock


def validate_site_path(value: str) -> None:
    """An address on this site: a path starting with one slash, nothing from elsewhere."""
    if not value.startswith("/") or value.startswith("//") or "\\" in value or any(c.isspace() for c in value):
        raise ValidationError(_("Give an address on this site starting with /, such as /static/video/summary.mp4."))


def validate_phone(value: str) -> None:
    if not re.fullmatch(r"\+?[0-9 ()-]{5,30}", value):
        raise ValidationError(_("Write the phone number with digits, spaces and dashes, such as 070-123 45 67."))


class SnapshotQuerySet(models.QuerySet):
    def public(self):
        """The versions visitors may see: every one not withdrawn."""
        return self.filter(withdrawn_at__isnull=True)


class Snapshot(models.Model):
    """
    A published version of a survey's results, frozen. A version is never
    changed or deleted; staff may withdraw it (with a reason, shown to
    visitors), and the pages then show the latest version not withdrawn.
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="snapshots", verbose_name=_("survey"))
    version = models.PositiveIntegerField(_("version"))
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("published by")
    )
    data = models.JSONField(_("results"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("withdrawn by")
    )
    withdrawal_reason = models.TextField(_("why it was withdrawn"), blank=True)

    objects = SnapshotQuerySet.as_manager()

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
    video_url = models.URLField(
        _("video link"),
        blank=True,
        help_text=_(
            "A YouTube or Vimeo address is shown on the page behind a button that loads it; "
            "any other address as a link."
        ),
    )
    video_file = models.CharField(
        _("video file on this site"),
        max_length=300,
        blank=True,
        validators=[validate_site_path],
        help_text=_("An address on this site, such as /static/video/summary.mp4."),
    )
    captions_file = models.CharField(
        _("captions (WebVTT) on this site"),
        max_length=300,
        blank=True,
        validators=[validate_site_path],
        help_text=_("Required with a video file: an address on this site ending in .vtt."),
    )
    transcript_sv = models.TextField(_("transcript (Swedish)"), blank=True)
    transcript_en = models.TextField(_("transcript (English)"), blank=True)

    class Meta:
        verbose_name = _("commentary block")
        verbose_name_plural = _("commentary")
        ordering = ["survey", "order", "id"]

    def __str__(self):
        return self.heading_sv or self.get_kind_display()

    def clean(self):
        if self.kind == self.Kind.VIDEO:
            if not self.video_file and not self.video_url:
                raise ValidationError(_("A video block needs a video file on this site or a video link."))
            if self.video_file and not self.captions_file:
                raise ValidationError(
                    {"captions_file": _("A video file needs captions (WebVTT), so that everyone can follow it.")}
                )
            if self.video_file and not self.transcript_sv:
                raise ValidationError({"transcript_sv": _("A video file needs a transcript.")})
        if self.captions_file and not self.captions_file.lower().endswith(".vtt"):
            raise ValidationError({"captions_file": _("Captions must be a WebVTT file ending in .vtt.")})

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
            "video_file": self.video_file,
            "captions_file": self.captions_file,
            "transcript_sv": self.transcript_sv,
            "transcript_en": self.transcript_en,
        }


class Contact(models.Model):
    """Who to contact about the results: in a region, or (without a region) for everywhere else."""

    region = models.ForeignKey(
        Region,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("region"),
        help_text=_("Empty: the national contact, for everywhere else."),
    )
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role or organisation"), max_length=200, blank=True)
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=40, blank=True, validators=[validate_phone])
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["order", "name"]

    def __str__(self):
        return f"{self.name} ({self.region or _('national')})"

    def frozen(self) -> ContactBlock:
        return {
            "region_code": self.region.code if self.region else "",
            "region_name": self.region.name if self.region else "",
            "name": self.name,
            "role": self.role,
            "email": self.email,
            "phone": self.phone,
        }


class CommentQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(status=Comment.Status.APPROVED)

    def waiting(self):
        return self.filter(status=Comment.Status.WAITING)


class Comment(models.Model):
    """
    A reader's comment on a survey's published results. The email address is
    never shown in public; it is kept only so that staff can tell who wrote,
    and it is removed with the survey's personal data or COMMENT_EMAIL_DAYS
    after the comment, whichever comes first.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for a moderator")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        REMOVED = "removed", _("Removed")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="comments", verbose_name=_("survey"))
    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("email"), blank=True)
    body = models.TextField(_("comment"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.WAITING)
    proof_of_work = models.BooleanField(
        _("passed the proof of work"), default=False, help_text=_("False when the form was sent without JavaScript.")
    )
    is_example = models.BooleanField(_("example"), default=False, help_text=_("A sample comment of the demo."))
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    moderated_at = models.DateTimeField(_("moderated at"), null=True, blank=True)
    moderated_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("moderated by")
    )
    staff_notified_at = models.DateTimeField(_("staff told at"), null=True, blank=True)
    address_confirmed_at = models.DateTimeField(
        _("published by its writer at"),
        null=True,
        blank=True,
        help_text=_("When the writer published it through the link emailed to the address."),
    )

    objects = CommentQuerySet.as_manager()

    class Meta:
        verbose_name = _("reader's comment")
        verbose_name_plural = _("readers' comments")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["survey", "status", "created_at"], name="comment_survey_status_time")]

    def __str__(self):
        return f"{self.name}, {self.created_at:%Y-%m-%d %H:%M}"


def localized(item: Mapping[str, Any], field: str) -> str:
    """item[field_en] in English when there is one, else item[field_sv]."""
    if (get_language() or "sv").startswith("en") and item.get(f"{field}_en"):
        return item[f"{field}_en"]
    return item.get(f"{field}_sv", "")
