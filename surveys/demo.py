"""
The demo: the 2019 MSI survey, rebuilt with generated answers, closed and
published as it was in 2019 (surveys/demo_editions.py adds the 2026 example
edition and the open practice round that the demo's links belong to).

Everything here is deterministic. The 101 answers are generated so that the
national shares of points reproduce the table published in 2019 (see the
README) to the nearest half percentage point, while each region leans its own
way, as the published commentary said they did.
"""

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from .models import Area, EmailKind, Level, Mailing, OutgoingEmail, Participant, RankedArea, Region, Response, Survey

STOCKHOLM = ZoneInfo("Europe/Stockholm")
SLUG = "msi-2019"
TOTAL_RESPONSES = 101
TITLE_SV = "Social innovation i fokus: Kunskaps- och kapacitetsutveckling 2019"
TITLE_EN = "Social innovation in focus: building knowledge and capacity, 2019"
OPENS = datetime(2019, 12, 2, 8, 0, tzinfo=STOCKHOLM)
CLOSES = datetime(2019, 12, 20, 17, 0, tzinfo=STOCKHOLM)
# When MSI published the results, as far as the demo is concerned.
PUBLISHED = datetime(2020, 1, 20, 10, 0, tzinfo=STOCKHOLM)

# (code, Swedish title exactly as published, English title, published share %)
AREAS = [
    ("tvarsektoriell-samverkan", "Tvärsektoriell samverkan", "Cross-sector collaboration", 15),
    ("samskapande", "Samskapande och medborgarinvolvering", "Co-creation and citizen involvement", 13),
    ("teori-och-praktik", "Social innovation i teori och praktik", "Social innovation in theory and practice", 10),
    ("forandringsledning", "Förändringsledning", "Change management", 9.5),
    (
        "finansiering",
        "Finansieringslösningar för samhällsinvesteringar",
        "Financing solutions for social investment",
        9,
    ),
    (
        "upphandling",
        "Innovationsfrämjande upphandlings- och samarbetsformer",
        "Innovation-friendly procurement and forms of partnership",
        9,
    ),
    ("agenda-2030", "Social innovation och Agenda 2030", "Social innovation and the 2030 Agenda", 7.5),
    ("effektmatning", "Effektmätning", "Impact measurement", 7),
    ("digital", "Digital social innovation", "Digital social innovation", 6),
    ("agila-metoder", "Agila arbetsmetoder", "Agile ways of working", 5.5),
    ("intraprenorskap", "Intraprenörskap", "Intrapreneurship", 4.5),
    ("policy", "Policy för social innovation", "Policy for social innovation", 4),
]
PUBLISHED_SHARES = {code: share for code, _sv, _en, share in AREAS}


@dataclass(frozen=True)
class DemoRegion:
    code: str
    name: str
    node: str
    invited: int
    answered: int
    # How this region leans, in points per respondent: what it cares about
    # more (+) or less (-) than the nation. Invented for the demo.
    lean: dict


REGIONS = [
    DemoRegion(
        "norrbotten",
        "Norrbotten",
        "Luleå tekniska universitet",
        38,
        15,
        {"digital": 4, "finansiering": 2, "samskapande": -3},
    ),
    DemoRegion(
        "vasterbotten",
        "Västerbotten",
        "Umeå universitet",
        40,
        16,
        {"samskapande": 3, "agenda-2030": 3, "forandringsledning": -3},
    ),
    DemoRegion(
        "stockholm",
        "Stockholm",
        "Stockholms universitet",
        52,
        21,
        {"upphandling": 4, "effektmatning": 3, "teori-och-praktik": -3},
    ),
    DemoRegion(
        "orebro",
        "Örebro",
        "Örebro universitet",
        41,
        16,
        {"forandringsledning": 4, "intraprenorskap": 3, "upphandling": -3},
    ),
    DemoRegion(
        "jonkoping",
        "Jönköping",
        "Jönköping University",
        42,
        17,
        {"teori-och-praktik": 4, "agila-metoder": 3, "tvarsektoriell-samverkan": -3},
    ),
    DemoRegion("skane", "Skåne", "Malmö universitet", 40, 16, {"effektmatning": 4, "policy": 3, "digital": -3}),
]

INTRODUCTION_SV = (
    "Mötesplats Social Innovation (MSI) vill veta vilken kunskap och kapacitet du som "
    "tjänsteperson i en kommun eller region behöver utveckla för att social innovation "
    "ska kunna utvecklas, efterfrågas och integreras i din organisation.\n\n"
    "Välj de fem områden som är viktigast för dig och rangordna dem. Det tar ett par "
    "minuter. Dina svar är anonyma: vi redovisar dem bara sammanställda."
)
INTRODUCTION_EN = (
    "Mötesplats Social Innovation (MSI) would like to know what knowledge and capacity "
    "you, as an official in a municipality or region, need to develop so that social "
    "innovation can be developed, asked for and integrated in your organisation.\n\n"
    "Choose the five areas that matter most to you and rank them. It takes a couple of "
    "minutes. Your answers are anonymous: we only report them combined."
)


def draw_ranking(rng: random.Random, weights: dict[str, float], count: int) -> list[str]:
    """`count` areas drawn one after another without putting back, each with a chance growing with its weight."""
    pool, ranking = dict(weights), []
    for _ in range(count):
        (pick,) = rng.choices(list(pool), weights=list(pool.values()))
        ranking.append(pick)
        del pool[pick]
    return ranking


def generate_rankings(rank_count: int = 5) -> list[tuple[str, list[str]]]:
    """
    Return (region code, [area codes, most important first]) for every demo
    answer, always the same.

    Each answer is drawn from a Plackett-Luce model: areas are picked one
    after another with probability growing with their published share,
    tilted by the region's lean. A local search then nudges single answers
    (two neighbours swapped, or one area replaced) while that brings the
    national points closer to the published shares, and stops once every
    share is within 0.2 percentage points. The answers stay plausible and
    the regions keep orders of their own.
    """
    rng = random.Random(2019)
    codes = list(PUBLISHED_SHARES)
    points_per_answer = sum(range(1, rank_count + 1))
    target = {code: share / 100 * points_per_answer * TOTAL_RESPONSES for code, share in PUBLISHED_SHARES.items()}

    answers = []
    for region in REGIONS:
        weights = {code: PUBLISHED_SHARES[code] ** 1.5 * (1 + 0.1 * region.lean.get(code, 0)) for code in codes}
        for _ in range(region.answered):
            answers.append((region.code, draw_ranking(rng, weights, rank_count)))

    points = dict.fromkeys(codes, 0)
    for _, ranking in answers:
        for position, code in enumerate(ranking, start=1):
            points[code] += rank_count + 1 - position
    tolerance = 0.2 / 100 * points_per_answer * TOTAL_RESPONSES

    for _ in range(200_000):
        if all(abs(points[c] - target[c]) < tolerance for c in codes):
            break
        _, ranking = answers[rng.randrange(len(answers))]
        place = rng.randrange(rank_count)
        if rng.random() < 0.5 and place < rank_count - 1:
            changes = {ranking[place]: -1, ranking[place + 1]: +1}
            newcomer = None  # swap with the next place
        else:
            newcomer = rng.choice([c for c in codes if c not in ranking])
            worth = rank_count - place
            changes = {ranking[place]: -worth, newcomer: +worth}
        gain = sum((points[c] - target[c]) ** 2 - (points[c] + d - target[c]) ** 2 for c, d in changes.items())
        if gain <= 0:
            continue
        for code, delta in changes.items():
            points[code] += delta
        if newcomer is None:
            ranking[place], ranking[place + 1] = ranking[place + 1], ranking[place]
        else:
            ranking[place] = newcomer
    else:
        raise RuntimeError("the demo answers did not converge on the published shares")
    return answers


@transaction.atomic
def load_demo(*, now=None, reset_passwords: bool = False) -> dict:
    """
    Create or refresh the demo survey, its areas, regions, accounts,
    participants and answers. Safe to run again: nothing is duplicated,
    answers are generated only while the survey has none, and existing
    accounts keep their passwords and sessions unless `reset_passwords`.
    Returns the accounts (with the password of each new or reset one) and
    what was added.
    """
    now = now or timezone.now()
    # Closed in December 2019, as the real one was: nothing is sent for it any more.
    survey, _ = Survey.objects.update_or_create(
        slug=SLUG,
        defaults={
            "title_sv": TITLE_SV,
            "title_en": TITLE_EN,
            "introduction_sv": INTRODUCTION_SV,
            "introduction_en": INTRODUCTION_EN,
            "opens_at": OPENS,
            "closes_at": CLOSES,
            "rank_count": 5,
            "points_rule": Survey.PointsRule.DESCENDING,
            # The discussion of the published report stays open, years on.
            "comments_close_after_days": None,
        },
    )

    # Shown alphabetically, not in the published order, so the form does not
    # suggest an answer.
    for order, (code, title_sv, title_en, _share) in enumerate(sorted(AREAS, key=lambda a: a[1]), start=1):
        Area.objects.update_or_create(
            survey=survey, code=code, defaults={"title_sv": title_sv, "title_en": title_en, "order": order}
        )
    areas = {area.code: area for area in survey.areas.all()}

    regions = {}
    for demo_region in REGIONS:
        regions[demo_region.code], _ = Region.objects.update_or_create(
            code=demo_region.code,
            defaults={
                "name": demo_region.name,
                "node": demo_region.node,
                "contact_name": f"MSI {demo_region.name}",
                "contact_email": f"{demo_region.code}@msi.example.se",
            },
        )

    accounts = [_account("msi-staff", staff=True, region=None, reset=reset_passwords)]
    for demo_region in REGIONS:
        accounts.append(
            _account(f"lead-{demo_region.code}", staff=False, region=regions[demo_region.code], reset=reset_passwords)
        )

    created_participants = 0
    for demo_region in REGIONS:
        for number in range(1, demo_region.invited + 1):
            level = Level.REGION if number % 4 == 0 else Level.KOMMUN
            _, created = Participant.objects.get_or_create(
                survey=survey,
                email=f"deltagare{number:03d}@{demo_region.code}.example.se",
                defaults={
                    "region": regions[demo_region.code],
                    "organisation": (
                        f"Region {demo_region.name}"
                        if level == Level.REGION
                        else f"Exempelkommun {number} i {demo_region.name}"
                    ),
                    "level": level,
                },
            )
            created_participants += created

    created_responses = 0
    if not survey.responses.exists():
        created_responses = _create_answers(survey, areas, regions)
    published = _publish(survey)
    return {
        "published": published,
        "survey": survey,
        "accounts": accounts,
        "participants": created_participants,
        "responses": created_responses,
    }


def _create_answers(survey, areas, regions) -> int:
    """
    The generated answers, given to the first participants of each region,
    as if they came in December 2019: everyone who answered had their
    invitation, and about a third answered after the first reminder.
    """
    responses, ranked, emails = [], [], []
    first_day = datetime(2019, 12, 2, 9, 0, tzinfo=STOCKHOLM)
    reminder_day = first_day + timedelta(days=7)
    mailings = {}
    for code, region in regions.items():
        for kind, moment in ((EmailKind.INVITATION, first_day), (EmailKind.REMINDER, reminder_day)):
            mailing = Mailing.objects.create(
                survey=survey, region=region, kind=kind, scheduled=kind == EmailKind.REMINDER
            )
            Mailing.objects.filter(pk=mailing.pk).update(created_at=moment)
            mailings[code, kind] = mailing
    for index, (region_code, ranking) in enumerate(generate_rankings(survey.rank_count)):
        participant = (
            Participant.objects.filter(survey=survey, region=regions[region_code], answered_at__isnull=True)
            .order_by("email")
            .first()
        )
        after_reminder = index % 3 == 2
        answered_at = (reminder_day if after_reminder else first_day) + timedelta(days=index % 5, hours=index % 7)
        if participant is not None:
            participant.answered_at = answered_at
            participant.answered_after_wave = 1 if after_reminder else 0
            participant.save(update_fields=["answered_at", "answered_after_wave"])
        level = participant.level if participant and participant.level else Level.KOMMUN
        response = Response(survey=survey, region=regions[region_code], level=level, submitted_on=answered_at.date())
        responses.append(response)
        ranked += [
            RankedArea(response=response, area=areas[code], position=position)
            for position, code in enumerate(ranking, start=1)
        ]
    # Everyone had their invitation, and everyone who had not answered a week
    # later had the reminder: so no region has more answers than invitations.
    for participant in Participant.objects.filter(survey=survey).select_related("region"):
        code = participant.region.code
        emails.append(
            OutgoingEmail(
                participant=participant,
                mailing=mailings[code, EmailKind.INVITATION],
                wave=0,
                status=OutgoingEmail.Status.SENT,
                attempts=1,
                sent_at=first_day,
            )
        )
        if participant.answered_at is None or participant.answered_after_wave == 1:
            emails.append(
                OutgoingEmail(
                    participant=participant,
                    mailing=mailings[code, EmailKind.REMINDER],
                    wave=1,
                    status=OutgoingEmail.Status.SENT,
                    attempts=1,
                    sent_at=reminder_day,
                )
            )
    Response.objects.bulk_create(responses)
    RankedArea.objects.bulk_create(ranked)
    OutgoingEmail.objects.bulk_create(emails)
    return len(responses)


COMMENTARY = [
    {
        "kind": "text",
        "heading_sv": "Så kan resultaten läsas",
        "heading_en": "How to read the results",
        "body_sv": (
            "Tvärsektoriell samverkan och samskapande med medborgarna ligger i topp i hela landet. "
            "Regionerna svarar i stort sett likadant, men ordningen skiljer sig för några områden.\n\n"
            "Det här är exempeltext i demonstrationen. Här skriver redaktionen sina kommentarer till resultatet."
        ),
        "body_en": (
            "Cross-sector collaboration and co-creation with citizens come first in the whole country. "
            "The regions answer much alike, but order some areas differently.\n\n"
            "This is sample text in the demonstration. Here the editors write their comments on the results."
        ),
    },
    {
        "kind": "quote",
        "heading_sv": "Röster från regionerna",
        "heading_en": "Voices from the regions",
        "body_sv": "Vi behöver arbeta mer över förvaltningsgränserna, och resultatet visar att många håller med.",
        "body_en": "We need to work more across departments, and the results show that many agree.",
        "speaker": "Exempelperson",
        "speaker_role": "tjänsteperson i en kommun (exempel i demonstrationen)",
    },
]


def _publish(survey) -> bool:
    """Give the demo its commentary and a published snapshot, once."""
    from results.demo import load_discussion_demo
    from results.models import Commentary
    from results.services import publish_snapshot

    if not Commentary.objects.filter(survey=survey).exists():
        for order, block in enumerate(COMMENTARY, start=1):
            Commentary.objects.create(survey=survey, order=order, **block)
    load_discussion_demo(survey)  # contacts and sample comments, before the snapshot that keeps the contacts
    if survey.snapshots.exists():
        return False
    publish_snapshot(survey=survey, now=PUBLISHED)
    return True


def _account(username: str, *, staff: bool, region, reset: bool) -> tuple[str, str | None, str]:
    """
    The demo account, created when missing. Its password is set only then,
    or when `reset` asks for it (which signs it out everywhere); otherwise it
    and its sessions are left alone, and None comes back for the password.
    Development only.
    """
    user, created = User.objects.get_or_create(username=username)
    password = None
    if created or reset:
        password = secrets.token_urlsafe(9)
        user.set_password(password)
    user.is_staff = staff
    user.is_superuser = staff
    user.email = f"{username}@example.se"
    user.save()
    if region is not None:
        region.leads.add(user)
    role = "staff" if staff else f"lead for {region.name}"
    return username, password, role


def invitation_links(survey: Survey, count: int) -> list[str]:
    """
    Return `count` links of participants of `survey` (the open practice
    round) who have not answered, creating demo participants when too few
    remain; each counts as invited now.
    """
    unused = list(survey.participants.unanswered().order_by("id")[:count])
    regions = list(Region.objects.filter(code__in=[r.code for r in REGIONS]).order_by("code"))
    extra = survey.participants.filter(email__startswith="extra").count()
    while len(unused) < count:
        extra += 1
        unused.append(
            Participant.objects.create(
                survey=survey,
                region=regions[extra % len(regions)],
                email=f"extra{extra:05d}@demo.example.se",
                organisation="Exempelkommun",
                level=Level.KOMMUN,
            )
        )
    record_invitations(survey, unused)
    return [settings.SITE_URL + reverse("surveys:answer", args=[p.token]) for p in unused]


def record_invitations(survey: Survey, participants: list[Participant], *, sent_at=None) -> None:
    """
    Record a delivered invitation for each of these who has none, as if sent
    at `sent_at` (now by default): in the demo a link is an invitation. One
    invitation mailing per region, looked up or made once.
    """
    sent_at = sent_at or timezone.now()
    invited = set(
        OutgoingEmail.objects.filter(participant__in=participants, wave=0).values_list("participant_id", flat=True)
    )
    mailings: dict[int, Mailing] = {}
    emails = []
    for participant in participants:
        if participant.pk in invited:
            continue
        mailing = mailings.get(participant.region_id)
        if mailing is None:
            mailing = Mailing.objects.filter(
                survey=survey, region_id=participant.region_id, kind=EmailKind.INVITATION
            ).first()
            if mailing is None:
                mailing = Mailing.objects.create(
                    survey=survey, region_id=participant.region_id, kind=EmailKind.INVITATION
                )
                Mailing.objects.filter(pk=mailing.pk).update(created_at=sent_at)
            mailings[participant.region_id] = mailing
        emails.append(
            OutgoingEmail(
                participant=participant,
                mailing=mailing,
                wave=0,
                status=OutgoingEmail.Status.SENT,
                attempts=1,
                sent_at=sent_at,
            )
        )
    OutgoingEmail.objects.bulk_create(emails)
