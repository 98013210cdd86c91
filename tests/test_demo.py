import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from surveys.demo import PUBLISHED_SHARES, REGIONS, generate_rankings
from surveys.models import Participant, Region, Response, Survey

from .conftest import national_areas
from .downloads import csv_dicts, number

# The table published in 2019 (shared/seeds), in its Swedish wording.
SEED_TABLE = [
    ("Tvärsektoriell samverkan", 15),
    ("Samskapande och medborgarinvolvering", 13),
    ("Social innovation i teori och praktik", 10),
    ("Förändringsledning", 9.5),
    ("Finansieringslösningar för samhällsinvesteringar", 9),
    ("Innovationsfrämjande upphandlings- och samarbetsformer", 9),
    ("Social innovation och Agenda 2030", 7.5),
    ("Effektmätning", 7),
    ("Digital social innovation", 6),
    ("Agila arbetsmetoder", 5.5),
    ("Intraprenörskap", 4.5),
    ("Policy för social innovation", 4),
]


def load(*args):
    out = io.StringIO()
    call_command("load_msi_demo", *args, stdout=out)
    return out.getvalue()


def nearest_half(value):
    return round(float(value) * 2) / 2


def test_the_demo_reproduces_the_published_table(client, db):
    load()
    rows = csv_dicts(client.get(reverse("results:csv", args=["msi-2019"])))
    assert len(rows) == 12
    published = dict(SEED_TABLE)
    for row in rows:
        assert nearest_half(number(row["Andel av poängen (%)"])) == published[row["Område"]], row
    # The published order, with the two areas at 9 % in either order.
    order = [row["Område"] for row in rows]
    assert order[:4] == [name for name, _ in SEED_TABLE[:4]]
    assert set(order[4:6]) == {SEED_TABLE[4][0], SEED_TABLE[5][0]}
    assert order[6:] == [name for name, _ in SEED_TABLE[6:]]
    assert sum(int(row["Poäng"]) for row in rows) == 101 * 15


def test_the_demo_has_the_seeds_shape(db):
    load()
    survey = Survey.objects.get(slug="msi-2019")
    assert not survey.is_open() and survey.closes_at.year == 2019  # closed, as the real one is
    assert survey.title_sv.endswith("2019")
    assert survey.snapshots.get().published_at.year == 2020
    assert survey.rank_count == 5
    assert sorted(survey.areas.values_list("title_sv", flat=True)) == sorted(name for name, _ in SEED_TABLE)
    assert survey.participants.count() == 253
    assert survey.responses.count() == 101
    assert survey.participants.filter(answered_at__isnull=False).count() == 101
    assert set(Region.objects.values_list("node", flat=True)) == {
        "Luleå tekniska universitet",
        "Umeå universitet",
        "Stockholms universitet",
        "Örebro universitet",
        "Jönköping University",
        "Malmö universitet",
    }
    for region in Region.objects.all():
        answered = survey.participants.filter(region=region, answered_at__isnull=False).count()
        assert answered == survey.responses.filter(region=region).count()
        assert answered >= 5


def test_regions_order_the_areas_differently(db):
    load()
    survey = Survey.objects.get(slug="msi-2019")
    national = [r["code"] for r in national_areas(survey)]
    orders = set()
    for region in Region.objects.all():
        points = {}
        for response in Response.objects.filter(survey=survey, region=region).prefetch_related("ranked_areas__area"):
            for ranked in response.ranked_areas.all():
                points[ranked.area.code] = points.get(ranked.area.code, 0) + survey.points_for(ranked.position)
        regional = sorted(points, key=lambda code: -points[code])
        orders.add(tuple(regional[:5]))
        # Alike, as the published commentary said: the region's first choice
        # is among the nation's top three, its top three in the nation's top eight.
        first = {code for code in points if points[code] == points[regional[0]]}  # ties included
        assert first & set(national[:3]), region.code
        assert set(regional[:3]) <= set(national[:8]), region.code
    assert len(orders) == len(REGIONS)


def test_the_generated_answers_are_the_same_every_time():
    assert generate_rankings() == generate_rankings()
    answers = generate_rankings()
    assert len(answers) == 101
    assert all(len(ranking) == len(set(ranking)) == 5 for _, ranking in answers)
    assert set(PUBLISHED_SHARES) >= {code for _, ranking in answers for code in ranking}


def test_loading_again_changes_nothing(db):
    load()
    before = (Participant.objects.count(), Response.objects.count(), Region.objects.count())
    output = load()
    assert (Participant.objects.count(), Response.objects.count(), Region.objects.count()) == before
    assert "added 0 participants, 0 responses" in output


def test_it_prints_accounts_without_real_names(db):
    from django.contrib.auth.models import User

    output = load()
    assert "msi-staff" in output
    assert User.objects.get(username="msi-staff").is_staff
    for region in REGIONS:
        lead = User.objects.get(username=f"lead-{region.code}")
        assert not lead.is_staff
        assert list(lead.lead_regions.values_list("code", flat=True)) == [region.code]
    # Log-in works with the printed password.
    line = next(line for line in output.splitlines() if "lead-skane" in line)
    password = line.split()[1]
    assert User.objects.get(username="lead-skane").check_password(password)


def test_loading_again_or_making_links_leaves_accounts_and_sessions_alone(client, db):
    from django.contrib.auth.models import User

    output = load()
    password = next(line for line in output.splitlines() if "lead-skane" in line).split()[1]
    assert client.login(username="lead-skane", password=password)
    assert client.get("/lead/").status_code == 200

    again = load("--links", "5")
    assert "(unchanged)" in next(line for line in again.splitlines() if "lead-skane" in line)
    out = io.StringIO()
    call_command("demo_links", "4", stdout=out)
    assert len(re.findall(r"/s/[\w-]+/", out.getvalue())) == 4
    assert User.objects.get(username="lead-skane").check_password(password)
    assert client.get("/lead/").status_code == 200  # still signed in

    reset = load("--reset-passwords")
    new = next(line for line in reset.splitlines() if "lead-skane" in line).split()[1]
    assert new != password and User.objects.get(username="lead-skane").check_password(new)
    assert client.get("/lead/").status_code == 302  # a reset signs the account out


def test_demo_links_before_the_demo_says_what_to_run(db):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="load_msi_demo"):
        call_command("demo_links", "3", stdout=io.StringIO())


def test_links_are_unused_invitations(client, db):
    output = load("--links", "3")
    links = re.findall(r"https?://\S+/s/([\w-]+)/", output)
    assert len(links) == 3
    for token in links:
        assert not Participant.objects.get(token=token).has_answered
        assert client.get(f"/s/{token}/").status_code == 200


@pytest.mark.parametrize("count", [20])
def test_links_belong_to_the_open_practice_round_and_are_made_when_too_few_remain(db, count):
    load()
    practice = Survey.objects.get(slug="msi-2027")
    assert practice.is_open() and practice.participants.count() == 0 and practice.responses.count() == 0
    output = load("--links", str(count))
    assert len(re.findall(r"/s/[\w-]+/", output)) == count
    assert practice.participants.count() == count
    # The next load hands out the same unused ones, and makes none.
    load("--links", str(count))
    assert practice.participants.count() == count
    assert Participant.objects.filter(survey__slug="msi-2019").count() == 253


def test_the_demos_numbers_add_up_as_a_real_surveys_do(client, db):
    from surveys.distribution.selectors import region_counts
    from surveys.services import submit_response

    output = load("--links", "3")
    practice = Survey.objects.get(slug="msi-2027")
    # Answering through the printed links, as the README suggests, keeps them adding up.
    for token in re.findall(r"https?://\S+/s/([\w-]+)/", output):
        participant = Participant.objects.get(token=token)
        submit_response(participant=participant, ranking=list(practice.areas.all()[:5]), level="kommun")
    regions = list(Region.objects.all())
    # Every edition: answers only from delivered invitations.
    for slug in ("msi-2019", "msi-2026", "msi-2027"):
        counts = region_counts(Survey.objects.get(slug=slug), regions)
        for region in regions:
            row = counts[region.pk]
            assert row["answered"] <= row["delivered"] <= row["invited"], (slug, region.code, row)
            assert row["delivered"] == row["invited"], (slug, region.code, row)
    assert sum(region_counts(Survey.objects.get(slug="msi-2026"), regions)[r.pk]["delivered"] for r in regions) == 270
    # Nobody who answered after the invitation got the reminder.
    from surveys.models import OutgoingEmail

    assert not OutgoingEmail.objects.filter(wave=1, participant__answered_after_wave=0).exists()
    assert OutgoingEmail.objects.filter(wave=1, participant__answered_at__isnull=True).exists()


def test_the_demo_queues_no_email_by_itself(db, time_machine):
    from surveys.distribution import queueing
    from surveys.models import OutgoingEmail

    time_machine.move_to(timezone.now(), tick=False)
    output = load("--links", "5")
    assert "/s/" in output
    # The beat's sweep, now and a few days on: no edition has anyone due.
    for days in (0, 3, 6):
        time_machine.move_to(timezone.now() + timedelta(days=days if days == 0 else 3), tick=False)
        for survey in Survey.objects.all():
            assert queueing.queue_due_reminders(survey=survey) == {}, (survey.slug, days)
    assert not OutgoingEmail.objects.filter(status__in=OutgoingEmail.PENDING).exists()


def test_the_demos_emails_come_from_a_swedish_sender(db):
    from django.conf import settings

    from surveys.distribution.emails import survey_email

    load()
    message = survey_email(Participant.objects.filter(answered_at__isnull=True).first(), kind="invitation")
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert message.from_email.startswith("Mötesplats Social Innovation <")
