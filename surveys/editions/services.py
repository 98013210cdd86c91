"""Starting the next edition of a survey."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils.text import slugify

from ..models import Area, EmailText, Survey
from .models import Series

# What a new edition takes from the one it is made from, besides its areas and
# email texts. Never participants, answers, emails, comments or snapshots.
COPIED_FIELDS = [
    "rank_count",
    "points_rule",
    "reminder_interval_days",
    "max_reminders",
    "reminders_on_weekdays_only",
    "reminder_window_start",
    "reminder_window_end",
    "suppression_threshold",
]


class SlugTaken(Exception):
    """Another survey, not an edition made from this one, has the slug."""


@dataclass(frozen=True)
class NewEdition:
    survey: Survey
    created: bool  # False: the same request came twice, and the edition it made is returned


def series_of(survey: Survey) -> Series:
    """The survey's series, made for it (named after it) when it has none yet."""
    if survey.series_id is not None:
        return Series.objects.get(pk=survey.series_id)
    base = slugify(survey.slug)[:40] or "serie"
    slug, number = base, 1
    while Series.objects.filter(slug=slug).exists():
        number += 1
        slug = f"{base}-{number}"
    series = Series.objects.create(slug=slug, title_sv=survey.title_sv, title_en=survey.title_en)
    Survey.objects.filter(pk=survey.pk).update(series=series)
    survey.series = series
    return series


@transaction.atomic
def new_edition(
    *, source: Survey, slug: str, title_sv: str, title_en: str, opens_at: datetime, closes_at: datetime
) -> NewEdition:
    """
    Make the next edition of `source`: its areas (codes, wording, order),
    rank count and points rule, reminder policy, email texts and smallest
    group shown, in the same series. Regions, with their leads and contacts,
    belong to no one survey and take part in the new edition as they are.

    The source row is locked first, so two requests at once (a double click)
    run one after the other; the second finds the edition the first made
    under the same slug in the same series and returns it, creating nothing.
    """
    source = Survey.objects.select_for_update().get(pk=source.pk)
    series = series_of(source)
    existing = Survey.objects.filter(slug=slug).first()
    if existing is not None:
        if existing.series_id == series.pk and existing.pk != source.pk:
            return NewEdition(existing, created=False)
        raise SlugTaken(slug)
    survey = Survey.objects.create(
        slug=slug,
        title_sv=title_sv,
        title_en=title_en,
        opens_at=opens_at,
        closes_at=closes_at,
        series=series,
        **{name: getattr(source, name) for name in COPIED_FIELDS},
    )
    Area.objects.bulk_create(
        Area(survey=survey, code=area.code, title_sv=area.title_sv, title_en=area.title_en, order=area.order)
        for area in source.areas.order_by("order", "id")
    )
    EmailText.objects.bulk_create(
        EmailText(
            survey=survey,
            kind=text.kind,
            language=text.language,
            subject=text.subject,
            body_text=text.body_text,
            body_html=text.body_html,
        )
        for text in source.email_texts.all()
    )
    return NewEdition(survey, created=True)
