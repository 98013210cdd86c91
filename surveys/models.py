"""
The survey domain.

Answers are stored so that results can be computed in SQL: one Response row
per submitted questionnaire and one RankedArea row per (response, position).
A Response never points at the Participant who gave it; the participant is
only marked as having answered, in the same transaction.
"""

import secrets
import uuid

from django.db import models
from django.db.models import F, Q, Value
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def new_token() -> str:
    # 32 bytes = 256 random bits, URL-safe: well past the 128 we need.
    return secrets.token_urlsafe(32)


class Level(models.TextChoices):
    KOMMUN = "kommun", _("Municipality (kommun)")
    REGION = "region", _("Region")


class Survey(models.Model):
    class PointsRule(models.TextChoices):
        # With N areas to rank, place 1 gets N points, place N gets 1.
        DESCENDING = "descending", _("Place 1 gets as many points as there are places, the last place 1")

    slug = models.SlugField(_("slug"), unique=True)
    title_sv = models.CharField(_("title (Swedish)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    introduction_sv = models.TextField(_("introduction (Swedish)"), blank=True)
    introduction_en = models.TextField(_("introduction (English)"), blank=True)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    rank_count = models.PositiveSmallIntegerField(
        _("areas to rank"), default=5, help_text=_("How many areas each respondent ranks.")
    )
    points_rule = models.CharField(
        _("points rule"), max_length=20, choices=PointsRule.choices, default=PointsRule.DESCENDING
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="survey_closes_after_opening"),
            models.CheckConstraint(condition=Q(rank_count__gte=1), name="survey_ranks_at_least_one"),
        ]

    def __str__(self):
        return self.title

    @property
    def title(self) -> str:
        return _localized(self.title_sv, self.title_en)

    @property
    def introduction(self) -> str:
        return _localized(self.introduction_sv, self.introduction_en)

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.opens_at <= now < self.closes_at

    def has_not_opened(self, now=None) -> bool:
        return (now or timezone.now()) < self.opens_at

    def points_for(self, position: int) -> int:
        """Points that an area placed at `position` (1 = most important) earns."""
        if not 1 <= position <= self.rank_count:
            raise ValueError(f"position {position} outside 1..{self.rank_count}")
        return self.rank_count + 1 - position

    def points_expression(self, position_field: str = "position"):
        """The same rule as an SQL expression over a RankedArea position column."""
        return Value(self.rank_count + 1) - F(position_field)

    @property
    def points_description(self) -> list[int]:
        return [self.points_for(p) for p in range(1, self.rank_count + 1)]


class Area(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="areas", verbose_name=_("survey"))
    code = models.SlugField(_("code"), max_length=60, help_text=_("Stable identifier used in exports."))
    title_sv = models.CharField(_("title (Swedish)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["survey", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "code"], name="area_code_unique_per_survey"),
        ]

    def __str__(self):
        return self.title

    @property
    def title(self) -> str:
        return _localized(self.title_sv, self.title_en)


class Region(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    node = models.CharField(_("university node"), max_length=200)
    leads = models.ManyToManyField(
        "auth.User",
        related_name="lead_regions",
        blank=True,
        verbose_name=_("leads"),
        help_text=_("Users who run the survey in this region."),
    )

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ParticipantQuerySet(models.QuerySet):
    def unanswered(self):
        return self.filter(answered_at__isnull=True)


class Participant(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="participants", verbose_name=_("survey"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="participants", verbose_name=_("region"))
    email = models.EmailField(_("email"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, blank=True)
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_token, editable=False)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["survey", "region", "email"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "email"], name="participant_email_unique_per_survey"),
        ]

    def __str__(self):
        return self.email

    @property
    def has_answered(self) -> bool:
        return self.answered_at is not None


class Response(models.Model):
    """
    One submitted questionnaire, anonymous.

    The primary key is a random UUID and the time is kept to the day, so that
    neither the row order nor a timestamp can be matched against
    Participant.answered_at to tell who gave which answer.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses", verbose_name=_("survey"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="responses", verbose_name=_("region"))
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    submitted_on = models.DateField(_("submitted on"))

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["survey", "submitted_on"]
        indexes = [models.Index(fields=["survey", "region", "level"], name="response_group_idx")]

    def __str__(self):
        return f"{self.survey.slug} {self.submitted_on} {self.region.code}"


class RankedArea(models.Model):
    """One area at one position (1 = most important) in one response."""

    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="ranked_areas", verbose_name=_("response")
    )
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="rankings", verbose_name=_("area"))
    position = models.PositiveSmallIntegerField(_("position"))

    class Meta:
        verbose_name = _("ranked area")
        verbose_name_plural = _("ranked areas")
        ordering = ["response", "position"]
        constraints = [
            models.UniqueConstraint(fields=["response", "area"], name="ranked_area_once_per_response"),
            models.UniqueConstraint(fields=["response", "position"], name="ranked_position_once_per_response"),
            models.CheckConstraint(condition=Q(position__gte=1), name="ranked_position_positive"),
        ]

    def __str__(self):
        return f"{self.position}. {self.area}"


def _localized(swedish: str, english: str) -> str:
    if english and (get_language() or "sv").startswith("en"):
        return english
    return swedish
