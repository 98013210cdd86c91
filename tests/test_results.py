"""Results: exact numbers on small hand-computed data, suppression, snapshots and exports."""

import io
import math
from collections import Counter

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from msi_survey.accounts.models import AuditEvent
from results.models import Commentary, Snapshot
from results.selectors import build_results
from results.services import AlreadyPublished, publish_snapshot
from surveys.models import Participant, RankedArea, Region, Response

from .conftest import make_region, make_survey, national_areas
from .downloads import csv_dicts, csv_rows

AREAS4 = [
    ("a", "Område A", "Area A"),
    ("b", "Område B", "Area B"),
    ("c", "Område C", "Area C"),
    ("d", "Område D", "Area D"),
]


def answer(survey, region, level, *codes):
    by_code = {a.code: a for a in survey.areas.all()}
    response = Response.objects.create(survey=survey, region=region, level=level, submitted_on=timezone.localdate())
    RankedArea.objects.bulk_create(
        RankedArea(response=response, area=by_code[code], position=position) for position, code in enumerate(codes, 1)
    )


def invite(survey, region, count):
    for i in range(count):
        Participant.objects.create(survey=survey, region=region, email=f"{region.code}{i}@example.se")


@pytest.fixture
def small(db):
    """
    Four areas, two ranked (2 and 1 points), smallest group shown: 3.
    North 3 answers, South 4, East 1: East is too small, and North is hidden
    with it, or East could be worked out as the nation minus North and South.
    """
    survey = make_survey(slug="small", areas=AREAS4)
    survey.rank_count = 2
    survey.suppression_threshold = 3
    survey.save()
    north, south, east = make_region("north", "North"), make_region("south", "South"), make_region("east", "East")
    invite(survey, north, 5)
    invite(survey, south, 6)
    invite(survey, east, 2)
    answer(survey, north, "kommun", "a", "b")
    answer(survey, north, "kommun", "a", "c")
    answer(survey, north, "kommun", "b", "a")
    answer(survey, south, "kommun", "a", "b")
    answer(survey, south, "kommun", "c", "d")
    answer(survey, south, "region", "a", "d")
    answer(survey, south, "region", "b", "a")
    answer(survey, east, "region", "d", "c")
    return survey


def by_code(rows):
    return {row["code"]: row for row in rows}


def test_national_points_shares_and_intervals_by_hand(small):
    data = build_results(small)
    assert data["national"]["n"] == 8
    assert data["national"]["invited"] == 13
    assert data["national"]["response_rate"] == 61.5
    rows = by_code(data["national"]["areas"])
    # a: 2+2+1 + 2+0+2+1 + 0 = 10 of 24 points; b: 6; c: 4; d: 4.
    assert [rows[c]["points"] for c in "abcd"] == [10, 6, 4, 4]
    assert [rows[c]["share"] for c in "abcd"] == [41.6667, 25.0, 16.6667, 16.6667]
    assert [rows[c]["rank"] for c in "abcd"] == [1, 2, 3, 3]
    assert [rows[c]["chosen_by"] for c in "abcd"] == [6, 4, 3, 3]
    assert [rows[c]["first_by"] for c in "abcd"] == [4, 2, 1, 1]
    assert rows["a"]["mean_position"] == 1.33
    # a: Y = points/3 per respondent = 2,2,1,2,0,2,1,0 (÷3). Mean 10/24; sample variance
    # (2 − 8·(10/24)²)/7 = 0.087302; se = √(0.087302/8) = 0.104464; t(7) = 2.365.
    assert rows["a"]["low"] == pytest.approx(16.9609, abs=1e-3)
    assert rows["a"]["high"] == pytest.approx(66.3725, abs=1e-3)
    # With eight answers every interval overlaps every other: no place is clear.
    assert {(rows[c]["rank_low"], rows[c]["rank_high"]) for c in "abcd"} == {(1, 4)}


def test_a_small_region_and_its_complement_are_suppressed_everywhere(small):
    data = build_results(small)
    regions = {r["code"]: r for r in data["regions"]}
    assert regions["east"] == {
        "code": "east",
        "name": "East",
        "node": "Universitet i East",
        "invited": 2,
        "suppressed": True,
    }
    # Hidden too, or East = nation − North − South.
    assert regions["north"]["suppressed"] is True and "n" not in regions["north"] and "areas" not in regions["north"]
    south = regions["south"]
    assert south["suppressed"] is False and south["n"] == 4 and south["response_rate"] == 66.7
    rows = by_code(south["areas"])
    # South: a 2+0+2+1 = 5 of 12 points; b 1+2 = 3; c 2; d 1+1 = 2.
    assert [rows[c]["points"] for c in "abcd"] == [5, 3, 2, 2]
    assert rows["a"]["share"] == pytest.approx(41.6667)
    assert rows["a"]["diff"] == pytest.approx(0.0, abs=1e-9)
    assert rows["b"]["diff"] == pytest.approx(0.0, abs=1e-9)
    assert rows["c"]["national_rank"] == 3 and rows["c"]["rank"] == 3
    assert all(row["clear_difference"] is False for row in south["areas"])


def test_levels_are_suppressed_together(small):
    data = build_results(small)
    levels = {block["code"]: block for block in data["levels"]}
    assert levels["kommun"]["n"] == 5 and levels["region"]["n"] == 3
    # One fewer regional answer: that level is too small, and kommun would give it away.
    Response.objects.filter(level="region").first().delete()
    levels = {block["code"]: block for block in build_results(small)["levels"]}
    assert levels["kommun"]["suppressed"] and levels["region"]["suppressed"]
    assert "n" not in levels["kommun"]


def test_too_few_answers_in_all_shows_nothing(db):
    survey = make_survey(slug="tiny", areas=AREAS4)
    survey.rank_count = 2
    survey.save()
    region = make_region()
    answer(survey, region, "kommun", "a", "b")
    data = build_results(survey)
    assert data["national"]["suppressed"] and data["national"]["areas"] is None and data["national"]["n"] is None
    assert all(r["suppressed"] for r in data["regions"])
    assert all(level["suppressed"] for level in data["levels"])


def test_a_clear_regional_difference_is_flagged(db):
    survey = make_survey(slug="clear", areas=AREAS4)
    survey.rank_count = 2
    survey.save()
    north, south = make_region("north", "North"), make_region("south", "South")
    for _ in range(20):
        answer(survey, north, "kommun", "a", "b")
        answer(survey, south, "kommun", "c", "d")
    for _ in range(3):
        answer(survey, north, "kommun", "b", "a")
        answer(survey, south, "kommun", "d", "c")
    regions = {r["code"]: by_code(r["areas"]) for r in build_results(survey)["regions"]}
    assert regions["north"]["a"]["clear_difference"] is True
    assert regions["north"]["a"]["diff"] > 0 and regions["north"]["a"]["diff_low"] > 0
    assert regions["south"]["a"]["clear_difference"] is True and regions["south"]["a"]["diff_high"] < 0
    # c shares first place in the nation with a, and comes third in the north.
    assert (regions["north"]["c"]["national_rank"], regions["north"]["c"]["rank"]) == (1, 3)
    assert regions["north"]["c"]["rank_shift"] == -2


def test_the_aggregation_takes_a_fixed_number_of_queries(small, django_assert_num_queries):
    with django_assert_num_queries(6):
        build_results(small)
    for _ in range(30):
        answer(small, make_region("north", "North"), "kommun", "c", "d")
    with django_assert_num_queries(6):
        build_results(small)


def test_the_national_table_is_ordered_by_points(small):
    assert [row["code"] for row in national_areas(small)] == ["a", "b", "c", "d"]


# Publication ---------------------------------------------------------------


@pytest.fixture
def staff(db):
    return User.objects.create_user("staffer", "s@example.se", "x", is_staff=True)


def test_an_unpublished_survey_is_a_404_for_the_public(client, small):
    for name in ("national", "csv", "xlsx", "versions"):
        assert client.get(reverse(f"results:{name}", args=[small.slug])).status_code == 404
    assert client.get(reverse("results:region", args=[small.slug, "south"])).status_code == 404
    assert client.get(reverse("results:preview", args=[small.slug])).status_code == 302  # to log in


def test_staff_preview_live_results_and_publish(client, small, staff):
    client.force_login(staff)
    assert client.get(reverse("results:national", args=[small.slug])).url == reverse(
        "results:preview", args=[small.slug]
    )
    page = client.get(reverse("results:preview", args=[small.slug])).content.decode()
    assert "Förhandsvisning" in page and reverse("results:publish", args=[small.slug]) in page
    # The button leads to a confirmation; a post without it publishes nothing.
    confirm = client.get(reverse("results:publish", args=[small.slug])).content.decode()
    assert "Publicera version 1" in confirm and "första versionen" in confirm
    assert client.post(reverse("results:publish", args=[small.slug]), {"based_on": 0}).status_code == 302
    assert Snapshot.objects.count() == 0
    response = client.post(reverse("results:publish", args=[small.slug]), {"based_on": 0, "confirm": "1"})
    assert response.status_code == 302
    snapshot = Snapshot.objects.get()
    assert snapshot.version == 1 and snapshot.published_by == staff
    event = AuditEvent.objects.get(kind="results_published")
    assert event.user == staff and event.detail.startswith(f"{small.slug} v1: ")
    # A double click: one version.
    client.post(reverse("results:publish", args=[small.slug]), {"based_on": 0, "confirm": "1"})
    assert Snapshot.objects.count() == 1
    # A tampered form publishes nothing.
    client.post(reverse("results:publish", args=[small.slug]), {"based_on": "x", "confirm": "1"})
    assert Snapshot.objects.count() == 1


def publish(client, survey, based_on):
    return client.post(reverse("results:publish", args=[survey.slug]), {"based_on": based_on, "confirm": "1"})


def test_the_confirmation_says_what_changes_since_the_version_visitors_see(
    client, small, staff, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        publish(client, small, 0)
    south = Region.objects.get(code="south")
    for _ in range(6):
        answer(small, south, "kommun", "d", "c")
    page = client.get(reverse("results:publish", args=[small.slug])).content.decode()
    assert "Publicera version 2" in page
    assert "Räknade svar</dt>\n  <dd>14 (8 i version 1)" in page
    assert "Vad som ändras sedan version 1" in page and "Område D: plats 3 → 1" in page


def test_a_withdrawn_version_stays_stored_and_visitors_see_the_one_before_with_a_note(
    client, small, staff, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        publish(client, small, 0)
        publish(client, small, 1)
    visitor = Client()
    assert "Version 2, publicerad" in visitor.get(reverse("results:national", args=[small.slug])).content.decode()

    form = client.get(reverse("results:withdraw", args=[small.slug, 2])).content.decode()
    assert "de ser version 1 i stället" in form
    refused = client.post(reverse("results:withdraw", args=[small.slug, 2]), {"reason": "  "})
    assert refused.status_code == 400 and "Skriv varför versionen dras tillbaka" in refused.content.decode()
    assert Snapshot.objects.public().count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("results:withdraw", args=[small.slug, 2]), {"reason": "Fel <b>i</b> Syd."})
    assert done.status_code == 302
    again = client.post(reverse("results:withdraw", args=[small.slug, 2]), {"reason": "igen"})  # a double click
    assert again.status_code == 200 and Snapshot.objects.get(version=2).withdrawal_reason == "Fel <b>i</b> Syd."

    # Visitors (the cached page too) see version 1 and why version 2 went.
    page = visitor.get(reverse("results:national", args=[small.slug])).content.decode()
    assert "Version 1, publicerad" in page
    assert "Version 2 drogs tillbaka den" in page and "Skäl: Fel &lt;b&gt;i&lt;/b&gt; Syd." in page
    gone = visitor.get(reverse("results:version", args=[small.slug, 2]))
    assert gone.status_code == 410 and "Version 2 av resultaten drogs tillbaka" in gone.content.decode()
    assert visitor.get(reverse("results:region_version", args=[small.slug, 2, "south"])).status_code == 410
    assert visitor.get(reverse("results:csv", args=[small.slug])).status_code == 200  # of version 1
    versions = visitor.get(reverse("results:versions", args=[small.slug])).content.decode()
    assert "tillbakadragen" in versions and reverse("results:version", args=[small.slug, 2]) not in versions

    snapshot = Snapshot.objects.get(version=2)
    assert snapshot.data and snapshot.withdrawn_by == staff  # stored, never deleted
    event = AuditEvent.objects.get(kind="results_withdrawn")
    assert event.user == staff and event.detail == f"{small.slug} v2: Fel <b>i</b> Syd."
    # The next publication is version 3.
    with django_capture_on_commit_callbacks(execute=True):
        publish(client, small, 2)
    assert Snapshot.objects.public().order_by("-version").first().version == 3
    assert "Version 3, publicerad" in visitor.get(reverse("results:national", args=[small.slug])).content.decode()


def test_when_every_version_is_withdrawn_visitors_are_told(client, small, staff, django_capture_on_commit_callbacks):
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        publish(client, small, 0)
        client.post(reverse("results:withdraw", args=[small.slug, 1]), {"reason": "Fel urval."})
    visitor = Client()
    page = visitor.get(reverse("results:national", args=[small.slug]))
    assert page.status_code == 410
    assert "alla publicerade versioner har dragits tillbaka" in page.content.decode()
    assert "Fel urval." in page.content.decode()
    assert visitor.get(reverse("results:comments", args=[small.slug])).status_code == 404
    assert visitor.get(reverse("results:xlsx", args=[small.slug])).status_code == 404
    confirm = client.get(reverse("results:publish", args=[small.slug])).content.decode()
    assert "Publicera version 2" in confirm and "alla har dragits tillbaka" in confirm


def test_only_staff_may_withdraw(client, small, staff, django_capture_on_commit_callbacks):
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        publish(client, small, 0)
    lead = User.objects.create_user("lead", "l@example.se", "x")
    client.force_login(lead)
    assert client.post(reverse("results:withdraw", args=[small.slug, 1]), {"reason": "x"}).status_code == 403
    assert Snapshot.objects.public().count() == 1


def test_only_staff_may_publish(client, small):
    lead = User.objects.create_user("lead", "l@example.se", "x")
    client.force_login(lead)
    client.post(reverse("results:publish", args=[small.slug]), {"based_on": 0, "confirm": "1"})
    assert Snapshot.objects.count() == 0


def main(response) -> str:
    """The page's content, without the per-request CSRF token of the language switcher."""
    page = response.content.decode()
    return page[page.index("<main") : page.index("</main>")]


def test_answers_after_publication_do_not_change_the_public_page(client, small, django_capture_on_commit_callbacks):
    Commentary.objects.create(survey=small, kind="text", heading_sv="Kommentar", body_sv="Första texten.")
    publish_snapshot(survey=small, based_on=0)
    before = main(client.get(reverse("results:national", args=[small.slug])))
    csv_before = client.get(reverse("results:csv", args=[small.slug])).content
    for _ in range(10):
        answer(small, make_region("south", "South"), "kommun", "d", "c")
    Commentary.objects.update(body_sv="Ändrad text.")
    after = main(client.get(reverse("results:national", args=[small.slug])))
    assert after == before
    assert client.get(reverse("results:csv", args=[small.slug])).content == csv_before
    assert "Första texten." in after
    # The next publication shows them at once, and the first stays readable.
    with django_capture_on_commit_callbacks(execute=True):
        publish_snapshot(survey=small, based_on=1)
    latest = client.get(reverse("results:national", args=[small.slug])).content.decode()
    assert "Ändrad text." in latest
    first = client.get(reverse("results:version", args=[small.slug, 1])).content.decode()
    assert "Första texten." in first and "tidigare version" in first
    with pytest.raises(AlreadyPublished):
        publish_snapshot(survey=small, based_on=1)


def test_the_published_page_takes_a_fixed_number_of_queries(
    client, small, django_assert_num_queries, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        publish_snapshot(survey=small)
    for name, args in (("national", [small.slug]), ("region", [small.slug, "south"])):
        # The versions with their survey, and the frozen numbers the first time
        # (and on the national page the latest readers' comments);
        # after that, the whole page comes from the cache.
        with django_assert_num_queries(3 if name == "national" else 1):
            first = client.get(reverse(f"results:{name}", args=args))
        with django_assert_num_queries(0):
            again = client.get(reverse(f"results:{name}", args=args))
        assert first.status_code == again.status_code == 200
        assert again.content == first.content
        assert "Content-Security-Policy" in again and again["Content-Language"] == "sv"
    # In English, a page of its own.
    client.cookies["django_language"] = "en"
    assert 'lang="en"' in client.get(reverse("results:national", args=[small.slug])).content.decode()
    del client.cookies["django_language"]
    # A new version shows at once.
    with django_capture_on_commit_callbacks(execute=True):
        publish_snapshot(survey=small)
    page = client.get(reverse("results:national", args=[small.slug])).content.decode()
    assert "Version 2, publicerad" in page


def test_staff_always_get_a_fresh_page(client, small, django_capture_on_commit_callbacks):
    from django.contrib.auth.models import User

    with django_capture_on_commit_callbacks(execute=True):
        publish_snapshot(survey=small)
    public = client.get(reverse("results:national", args=[small.slug])).content.decode()
    client.force_login(User.objects.create_user("staff", is_staff=True))
    page = client.get(reverse("results:national", args=[small.slug])).content.decode()
    assert "Förhandsvisa aktuella resultat" in page and "Förhandsvisa aktuella resultat" not in public


def test_the_public_page_shows_no_number_of_a_suppressed_region(client, small):
    publish_snapshot(survey=small)
    page = client.get(reverse("results:region", args=[small.slug, "east"])).content.decode()
    assert "För få svar" in page
    assert "Svarsfrekvens" not in page
    national = client.get(reverse("results:national", args=[small.slug])).content.decode()
    assert national.count("för få svar") >= 2  # East and North in the response-rate table


# Exports -------------------------------------------------------------------


def test_the_csv_opens_right_in_swedish_excel_with_words_for_headers(client, small, settings):
    publish_snapshot(survey=small)
    rows = csv_rows(client.get(reverse("results:csv", args=[small.slug])))
    assert rows[0][:4] == ["Kod", "Område", "Poäng", "Andel av poängen (%)"]
    assert rows[1][:4] == ["a", "Område A", "10", "41,7"]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = csv_rows(client.get(reverse("results:csv", args=[small.slug])))
    assert english[0][:4] == ["Code", "Area", "Points", "Share of points (%)"]


def test_the_excel_file_has_the_three_sheets(client, small):
    from openpyxl import load_workbook

    publish_snapshot(survey=small)
    response = client.get(reverse("results:xlsx", args=[small.slug]))
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["Hela landet", "Regioner", "Svarsfrekvens"]
    nation = list(book["Hela landet"].iter_rows(values_only=True))
    assert nation[0][:4] == ("Kod", "Område", "Poäng", "Andel av poängen (%)")
    assert nation[1][:4] == ("a", "Område A", 10, 41.7)  # shares and intervals are numbers, like the points
    assert all(isinstance(row[3], int | float) and isinstance(row[5], int | float) for row in nation[1:])
    regions = list(book["Regioner"].iter_rows(values_only=True))
    assert {row[0] for row in regions[1:]} == {"East", "North", "South"}
    assert [row for row in regions if row[0] == "East"][0][1] == "för få svar för att visa"
    rates = {row[0]: row for row in book["Svarsfrekvens"].iter_rows(values_only=True)}
    assert rates["South"][1:] == (6, 4, 66.7)
    assert rates["East"][2] == "för få svar för att visa"
    assert rates["Hela landet"][1:3] == (13, 8)


def test_the_response_export_is_for_staff_only(client, small, staff):
    address = reverse("results:responses_csv", args=[small.slug])
    assert client.get(address).status_code == 302
    client.force_login(staff)
    response = client.get(address)
    assert response.streaming
    rows = csv_rows(response)
    assert rows[0] == ["Region", "Nivå", "Plats 1", "Plats 2"]
    assert Counter(tuple(row) for row in rows[1:]) == Counter(
        {
            ("north", "kommun", "a", "b"): 1, ("north", "kommun", "a", "c"): 1, ("north", "kommun", "b", "a"): 1,
            ("south", "kommun", "a", "b"): 1, ("south", "kommun", "c", "d"): 1, ("south", "region", "a", "d"): 1,
            ("south", "region", "b", "a"): 1, ("east", "region", "d", "c"): 1,
        }
    )  # fmt: skip


def test_every_published_number_agrees_with_the_response_export(client, staff, db):
    """Recompute the national and regional shares from the anonymous answers and compare."""
    from surveys.demo import load_demo

    load_demo()
    client.force_login(staff)
    response = client.get(reverse("results:responses_csv", args=["msi-2019"]))
    answers = csv_dicts(response)
    assert len(answers) == 101
    points = Counter()
    regional = Counter()
    for row in answers:
        for place in range(1, 6):
            points[row[f"Plats {place}"]] += 6 - place
            regional[row["Region"], row[f"Plats {place}"]] += 6 - place
    published = csv_dicts(client.get(reverse("results:csv", args=["msi-2019"])))
    assert len(published) == 12
    for row in published:
        assert int(row["Poäng"]) == points[row["Kod"]]
        share = points[row["Kod"]] * 100 / (101 * 15)
        assert row["Andel av poängen (%)"] == f"{share + 1e-9:.1f}".replace(".", ",")
    data = Snapshot.objects.get(survey__slug="msi-2019").data
    assert [block["suppressed"] for block in data["regions"]] == [False] * 6
    for block in data["regions"]:
        n = sum(1 for row in answers if row["Region"] == block["code"])
        assert block["n"] == n
        for area in block["areas"]:
            assert area["points"] == regional[block["code"], area["code"]]
            assert math.isclose(area["share"], regional[block["code"], area["code"]] * 100 / (n * 15), abs_tol=1e-3)


def test_query_strings_do_not_fill_the_page_cache(client, small, django_capture_on_commit_callbacks, settings):
    from django.core.cache import cache, caches

    with django_capture_on_commit_callbacks(execute=True):
        publish_snapshot(survey=small)
    pages = caches["pages"]
    address = reverse("results:national", args=[small.slug])
    first = client.get(address)
    for n in range(49):
        again = client.get(f"{address}?utm={n}&fbclid={'x' * n}")
        assert again.status_code == 200 and main(again) == main(first)
    assert len(pages._cache) == 1  # one page, whatever the query strings
    # The page cache is bounded and apart from the counters: filling it pushes no counter out.
    assert pages is not cache and pages._max_entries == settings.CACHES["pages"]["OPTIONS"]["MAX_ENTRIES"]
    cache.set("a-rate-counter", 7, 60)
    for n in range(pages._max_entries + 50):
        pages.set(f"filler:{n}", b"x", 60)
    assert len(pages._cache) <= pages._max_entries
    assert cache.get("a-rate-counter") == 7
