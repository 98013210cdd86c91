"""
The demo's series: the 2019 survey (its generated answers, and beside them
the table MSI published in 2019 as "published figures only"), a second
edition in 2026 with generated answers, closed and published, so the
comparison can be seen at once (every 2026 figure is made up and says so),
and the practice round: open now, with nobody in it yet, for trying the
leads' and the officials' side (the demo's links belong to it).
"""

import random
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from .demo import AREAS, REGIONS, STOCKHOLM, TOTAL_RESPONSES, draw_ranking, record_invitations
from .editions.models import PublishedFigure, Series
from .editions.services import new_edition
from .models import Level, Participant, RankedArea, Region, Response, Survey

SERIES_SLUG = "msi-kunskap-och-kapacitet"
SLUG_2026 = "msi-2026"
INVITED_2019 = 253  # as published

# Made-up shares for 2026 (percent): impact measurement and financing have
# risen, co-creation and cross-sector collaboration fallen, one area is
# reworded and one is new.
SHARES_2026 = {
    "tvarsektoriell-samverkan": 12,
    "samskapande": 9,
    "teori-och-praktik": 8,
    "forandringsledning": 9,
    "finansiering": 11,
    "upphandling": 8,
    "agenda-2030": 6,
    "effektmatning": 13,
    "digital": 6,
    "agila-metoder": 5,
    "intraprenorskap": 4,
    "policy": 3,
    "ai-valfard": 6,
}
REWORDED = ("digital", "Digitalisering och social innovation", "Digitalisation and social innovation")
NEW_AREA = ("ai-valfard", "AI och automatisering i välfärden", "AI and automation in welfare services")
INVITED_2026 = 45  # per region
INVITED_ON_2026 = datetime(2026, 3, 2, 9, 0, tzinfo=STOCKHOLM)
PUBLISHED_2026 = datetime(2026, 4, 14, 10, 0, tzinfo=STOCKHOLM)
SLUG_PRACTICE = "msi-2027"
PRACTICE_DAYS = 90  # the practice round stays open this long from each load
ANSWERED_2026 = {"norrbotten": 19, "vasterbotten": 21, "stockholm": 27, "orebro": 20, "jonkoping": 22, "skane": 21}

EXAMPLE_NOTE_SV = (
    "Exempeldata: enkäten 2026 har aldrig genomförts. Svaren är påhittade för demonstrationen, "
    "så att jämförelsen med 2019 kan visas."
)
EXAMPLE_NOTE_EN = (
    "Example data: the 2026 survey was never run. Its answers are made up for the demonstration, "
    "so that the comparison with 2019 can be shown."
)


@transaction.atomic
def load_editions(first: Survey) -> Survey:
    """Put the demo survey in its series with its published 2019 table; make and publish 2026. Safe to rerun."""
    series, _ = Series.objects.get_or_create(
        slug=SERIES_SLUG,
        defaults={
            "title_sv": "MSI:s enkät om kunskap och kapacitet",
            "title_en": "MSI's survey of knowledge and capacity",
        },
    )
    if first.series_id != series.pk:
        first.series = series
        first.save(update_fields=["series"])
    for code, title_sv, title_en, share in AREAS:
        PublishedFigure.objects.get_or_create(
            survey=first,
            code=code,
            defaults={
                "title_sv": title_sv,
                "title_en": title_en,
                "share": share,
                "answers": TOTAL_RESPONSES,
                "invited": INVITED_2019,
            },
        )
    second = Survey.objects.filter(slug=SLUG_2026).first()
    if second is None:
        second = new_edition(
            source=first,
            slug=SLUG_2026,
            title_sv="Social innovation i fokus: Kunskaps- och kapacitetsutveckling 2026 (exempeldata)",
            title_en="Social innovation in focus: building knowledge and capacity, 2026 (example data)",
            opens_at=datetime(2026, 3, 2, 8, 0, tzinfo=STOCKHOLM),
            closes_at=datetime(2026, 3, 31, 0, 0, tzinfo=STOCKHOLM),
        ).survey
        second.introduction_sv, second.introduction_en = EXAMPLE_NOTE_SV, EXAMPLE_NOTE_EN
        second.save(update_fields=["introduction_sv", "introduction_en"])
        code, title_sv, title_en = REWORDED
        second.areas.filter(code=code).update(title_sv=title_sv, title_en=title_en)
        code, title_sv, title_en = NEW_AREA
        second.areas.create(code=code, title_sv=title_sv, title_en=title_en, order=second.areas.count() + 1)
        _answers_2026(second)
    _invitations_2026(second)
    _publish_2026(second)
    return second


def generate_rankings_2026(rank_count: int = 5) -> list[tuple[str, list[str]]]:
    """(region code, [area codes, first first]) for each made-up 2026 answer, always the same."""
    rng = random.Random(2026)
    answers = []
    for region in REGIONS:
        weights = {code: share**1.5 * (1 + 0.1 * region.lean.get(code, 0)) for code, share in SHARES_2026.items()}
        for _ in range(ANSWERED_2026[region.code]):
            answers.append((region.code, draw_ranking(rng, weights, rank_count)))
    return answers


def _answers_2026(survey: Survey) -> None:
    regions = {region.code: region for region in Region.objects.filter(code__in=ANSWERED_2026)}
    areas = {area.code: area for area in survey.areas.all()}
    answered_at = datetime(2026, 3, 10, 10, 0, tzinfo=STOCKHOLM)
    participants = [  # every one invited on 2 March; the first of each region answered
        Participant(
            survey=survey,
            region=regions[code],
            email=f"deltagare{number:03d}@{code}.example.se",
            organisation=f"Exempelkommun {number} i {regions[code].name}",
            level=Level.REGION if number % 4 == 0 else Level.KOMMUN,
            answered_at=answered_at if number <= ANSWERED_2026[code] else None,
            answered_after_wave=0 if number <= ANSWERED_2026[code] else None,
        )
        for code in ANSWERED_2026
        for number in range(1, INVITED_2026 + 1)
    ]
    Participant.objects.bulk_create(participants)
    counters = dict.fromkeys(ANSWERED_2026, 0)
    responses, ranked = [], []
    for code, ranking in generate_rankings_2026(survey.rank_count):
        counters[code] += 1
        level = Level.REGION if counters[code] % 4 == 0 else Level.KOMMUN
        response = Response(survey=survey, region=regions[code], level=level, submitted_on=answered_at.date())
        responses.append(response)
        ranked += [RankedArea(response=response, area=areas[c], position=p) for p, c in enumerate(ranking, start=1)]
    Response.objects.bulk_create(responses)
    RankedArea.objects.bulk_create(ranked)


def _invitations_2026(survey: Survey) -> None:
    """The delivered invitations of 2 March, one per participant, so that the counts agree with the answers; once."""
    record_invitations(survey, list(survey.participants.all()), sent_at=INVITED_ON_2026)


@transaction.atomic
def load_practice_round(previous: Survey, *, now: datetime | None = None) -> Survey:
    """
    The open round of the demo, for trying it out: the 2026 areas, nobody
    invited and no answers yet; leads import their lists and send from here,
    and the demo's links belong to it. Kept open PRACTICE_DAYS from each
    load. Its reminders follow its policy (7 days after an invitation):
    nothing is sent that the person trying it did not start.
    """
    now = now or timezone.now()
    practice = new_edition(
        source=previous,
        slug=SLUG_PRACTICE,
        title_sv="Social innovation i fokus: Kunskaps- och kapacitetsutveckling 2027 (övningsomgång)",
        title_en="Social innovation in focus: building knowledge and capacity, 2027 (practice round)",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=PRACTICE_DAYS),
    ).survey
    if practice.closes_at < now + timedelta(days=30):
        practice.closes_at = now + timedelta(days=PRACTICE_DAYS)
        practice.save(update_fields=["closes_at"])
    if not practice.introduction_sv:
        practice.introduction_sv = (
            "Övningsomgång: här kan du prova enkäten som deltagare och som regionansvarig. "
            "Svaren är bara för demonstrationen."
        )
        practice.introduction_en = (
            "Practice round: try the survey as a participant and as a regional lead. "
            "The answers are for the demonstration only."
        )
        practice.save(update_fields=["introduction_sv", "introduction_en"])
    return practice


def _publish_2026(survey: Survey) -> None:
    from results.models import Commentary
    from results.services import publish_snapshot

    if not Commentary.objects.filter(survey=survey).exists():
        Commentary.objects.create(
            survey=survey,
            order=1,
            kind=Commentary.Kind.TEXT,
            heading_sv="Exempeldata",
            heading_en="Example data",
            body_sv=EXAMPLE_NOTE_SV,
            body_en=EXAMPLE_NOTE_EN,
        )
    if not survey.snapshots.exists():
        publish_snapshot(survey=survey, now=PUBLISHED_2026)
