"""The comparison with the previous edition: Welch's interval, the marks, and the small-group rule across editions."""

import math
import random
import statistics
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from results.comparison import compare_editions, welch_change
from results.selectors import read_inputs
from results.services import publish_snapshot
from results.stats import t_quantile
from surveys.editions.models import PublishedFigure, Series
from surveys.models import RankedArea, Response

from .conftest import make_region, make_survey
from .downloads import csv_rows

CODES = ["a", "b", "c", "d", "e", "f"]
AREAS = [(code, f"Område {code}", f"Area {code}") for code in CODES]
PER_RESPONDENT = 3 + 2 + 1


def edition(slug, years_ago, series, *, threshold=5, areas=AREAS):
    survey = make_survey(slug=slug, areas=areas, opens_in=timedelta(days=-365 * years_ago - 2))
    survey.rank_count = 3
    survey.suppression_threshold = threshold
    survey.series = series
    survey.save()
    return survey


def store(survey, rows):
    """rows: (region code, (area codes, first first))."""
    areas = {a.code: a for a in survey.areas.all()}
    responses, ranked = [], []
    for region_code, codes in rows:
        response = Response(
            survey=survey, region=make_region(region_code, region_code.title()), level="kommun",
            submitted_on=timezone.localdate(),
        )  # fmt: skip
        responses.append(response)
        ranked += [RankedArea(response=response, area=areas[c], position=p) for p, c in enumerate(codes, start=1)]
    Response.objects.bulk_create(responses)
    RankedArea.objects.bulk_create(ranked)


def generated(rng, sizes, weights):
    rows = []
    for region_code, size in sizes.items():
        for _ in range(size):
            pool, ranking = dict(weights), []
            for _ in range(3):
                (pick,) = rng.choices(list(pool), weights=list(pool.values()))
                ranking.append(pick)
                del pool[pick]
            rows.append((region_code, tuple(ranking)))
    return rows


def direct(rows, code, region=None):
    """Each respondent's Y for the area, from the answers themselves."""
    values = []
    for region_code, ranking in rows:
        if region is None or region_code == region:
            values.append((3 - ranking.index(code)) / PER_RESPONDENT if code in ranking else 0.0)
    return values


def welch_direct(now, then):
    """Welch's interval written out the way a textbook does, from the lists of values."""
    n1, n2 = len(now), len(then)
    a, b = statistics.variance(now) / n1, statistics.variance(then) / n2
    diff = statistics.fmean(now) - statistics.fmean(then)
    df = (a + b) ** 2 / (a**2 / (n1 - 1) + b**2 / (n2 - 1))
    margin = t_quantile(int(df)) * math.sqrt(a + b)
    return 100 * diff, 100 * (diff - margin), 100 * (diff + margin)


@pytest.mark.django_db
def test_the_interval_of_a_change_is_welchs_from_the_answers_including_groups_at_the_threshold():
    series = Series.objects.create(slug="s", title_sv="Serien")
    rng = random.Random(7)
    before, after = edition("then", 3, series), edition("now", 0, series)
    # Norrbotten has exactly the threshold in both editions; Skåne exactly it now.
    rows_then = generated(
        rng, {"norrbotten": 5, "skane": 9, "stockholm": 40}, dict(zip(CODES, [6, 5, 4, 3, 2, 1], strict=True))
    )
    rows_now = generated(
        rng, {"norrbotten": 5, "skane": 5, "stockholm": 44}, dict(zip(CODES, [2, 5, 4, 3, 6, 1], strict=True))
    )
    store(before, rows_then)
    publish_snapshot(survey=before)
    store(after, rows_now)
    comparison = publish_snapshot(survey=after).data["comparison"]

    assert comparison["previous"]["slug"] == "then"
    groups = {"": comparison["national"], **{g["code"]: g for g in comparison["regions"]}}
    assert set(groups) == {"", "norrbotten", "skane", "stockholm"}
    checked = 0
    for code, group in groups.items():
        assert not group["suppressed"] and group["with_interval"]
        region = code or None
        assert group["n_now"] == len(direct(rows_now, "a", region))
        for row in group["areas"]:
            change, low, high = welch_direct(
                direct(rows_now, row["code"], region), direct(rows_then, row["code"], region)
            )
            assert row["change"] == pytest.approx(change, abs=1e-3)
            assert row["change_low"] == pytest.approx(low, abs=1e-3)
            assert row["change_high"] == pytest.approx(high, abs=1e-3)
            assert row["clear"] == (low > 0 or high < 0)
            checked += 1
    assert checked == 4 * len(CODES)
    assert any(row["clear"] for row in comparison["national"]["areas"])  # the weights moved a lot: some change shows


@pytest.mark.django_db
def test_a_reworded_area_is_flagged_a_new_one_has_no_change_and_a_dropped_one_is_listed():
    series = Series.objects.create(slug="s", title_sv="Serien")
    rng = random.Random(3)
    before = edition("then", 3, series)
    after = edition("now", 0, series, areas=[*AREAS[:-1], ("g", "Nytt område", "New area")])
    after.areas.filter(code="a").update(title_sv="Område a, omformulerat")
    store(before, generated(rng, {"stockholm": 20}, dict.fromkeys(CODES, 1)))
    publish_snapshot(survey=before)
    store(after, generated(rng, {"stockholm": 20}, dict.fromkeys([*CODES[:-1], "g"], 1)))
    rows = {r["code"]: r for r in publish_snapshot(survey=after).data["comparison"]["national"]["areas"]}
    assert (
        rows["a"]["reworded"]
        and rows["a"]["then_title_sv"] == "Område a"
        and rows["a"]["title_sv"].endswith("omformulerat")
    )
    assert rows["g"]["status"] == "new" and rows["g"]["change"] is None and rows["g"]["rank_then"] is None
    assert rows["f"]["status"] == "dropped" and rows["f"]["share_now"] is None and rows["f"]["rank_then"] is not None
    assert not any(r["reworded"] for code, r in rows.items() if code != "a")


@pytest.mark.django_db
def test_an_edition_known_from_its_published_table_gives_the_change_without_an_interval(client):
    series = Series.objects.create(slug="s", title_sv="Serien")
    before, after = edition("then", 3, series), edition("now", 0, series)
    for code, share in zip(CODES, [30, 25, 20, 10, 10, 5], strict=True):
        PublishedFigure.objects.create(
            survey=before, code=code, title_sv=f"Område {code}", share=share, answers=90, invited=200
        )
    rows_now = generated(random.Random(5), {"stockholm": 30, "skane": 30}, dict.fromkeys(CODES, 1))
    store(after, rows_now)
    snapshot = publish_snapshot(survey=after)
    comparison = snapshot.data["comparison"]
    assert comparison["previous"]["source"] == "published table"
    national = comparison["national"]
    assert national["n_then"] == 90 and not national["with_interval"]
    for row in national["areas"]:
        assert row["change_low"] is None and row["change_high"] is None and not row["clear"]
        assert row["change"] == pytest.approx(row["share_now"] - row["share_then"], abs=1e-3)
    assert comparison["regions"] == []  # a published table has no regions to compare
    page = client.get("/results/now/").content.decode()
    assert "publicerade tabell" in page  # the note saying why there is no interval

    header, *lines = csv_rows(client.get("/results/now/editions.csv"))
    assert header[:5] == ["Upplaga", "År", "Källa", "Områdeskod", "Område"]
    assert {line[2] for line in lines} == {"publicerad tabell", "svar"}
    assert len(lines) == 2 * len(CODES)

    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(client.get("/results/now/results.xlsx").content))
    rows = list(book["Upplagor"].iter_rows(values_only=True))
    assert list(rows[0]) == header and len(rows) == 1 + 2 * len(CODES)
    assert all(isinstance(row[6], int | float) for row in rows[1:])  # the shares are numbers, not text


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 6), min_size=2, max_size=30),
    st.lists(st.integers(0, 6), min_size=2, max_size=30),
)
def test_a_change_is_never_marked_when_its_interval_covers_zero(now, then):
    def sums(points):
        return (len(points), sum(points), sum(p * p for p in points))

    change = welch_change(now=sums(now), then=sums(then), per_now=6, per_then=6)
    assert change.low is not None and change.high is not None
    assert change.low <= change.change <= change.high
    if change.low <= 0 <= change.high:
        assert not change.clear
    else:
        assert change.clear
    if sorted(now) == sorted(then):
        assert not change.clear


REGIONS = ["north", "south", "east", "west"]
sizes = st.fixed_dictionaries({region: st.integers(0, 8) for region in REGIONS})


class NothingHiddenComesOutBySubtraction(TestCase):
    @settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(sizes, sizes, sizes, st.randoms(use_true_random=False))
    def test_a_suppressed_group_cannot_be_recovered_from_the_two_editions(self, then_sizes, now_sizes, late, rng):
        series = Series.objects.create(slug="s", title_sv="Serien")
        before, after = edition("then", 3, series, threshold=4), edition("now", 0, series, threshold=4)
        weights = dict.fromkeys(CODES, 1)
        store(before, generated(rng, then_sizes, weights))
        published_then = publish_snapshot(survey=before).data
        # Answers that came in after the earlier edition was published are never part of the comparison.
        store(before, generated(rng, late, weights))
        store(after, generated(rng, now_sizes, weights))
        published_now = publish_snapshot(survey=after).data
        comparison = published_now["comparison"]

        def shown(data):
            groups = {r["code"]: r for r in data["regions"] if not r["suppressed"]}
            if not data["national"]["suppressed"]:
                groups[""] = {"n": data["national"]["n"], "areas": data["national"]["areas"]}
            return groups

        then_groups, now_groups = shown(published_then), shown(published_now)
        compared = [comparison["national"], *comparison["regions"]] if comparison["national"] else []
        for group in compared:
            if group["suppressed"]:
                assert set(group) == {"code", "name", "suppressed"}  # no number at all
                continue
            code = group["code"]
            # Shown only where both editions show the group ...
            assert code in then_groups and code in now_groups
            # ... and with exactly the figures each edition published, so that subtracting one
            # edition from the other gives nothing that was not already public.
            assert group["n_then"] == then_groups[code]["n"] and group["n_now"] == now_groups[code]["n"]
            then_shares = {a["code"]: a["share"] for a in then_groups[code]["areas"]}
            now_shares = {a["code"]: a["share"] for a in now_groups[code]["areas"]}
            for row in group["areas"]:
                assert row["share_then"] == then_shares[row["code"]]
                assert row["share_now"] == now_shares[row["code"]]
                assert row["change"] == pytest.approx(row["share_now"] - row["share_then"], abs=1e-3)
        for code in set(now_groups) | set(then_groups):
            if code not in now_groups or code not in then_groups:
                assert all(g["suppressed"] for g in compared if g["code"] == code)


@pytest.mark.django_db
def test_the_sums_frozen_for_the_next_edition_are_only_those_of_shown_groups():
    series = Series.objects.create(slug="s", title_sv="Serien")
    survey = edition("now", 0, series)
    store(survey, generated(random.Random(1), {"north": 3, "south": 20, "east": 20}, dict.fromkeys(CODES, 1)))
    data = publish_snapshot(survey=survey).data
    shown = {r["code"] for r in data["regions"] if not r["suppressed"]}
    assert set(data["comparison"]["basis"]["groups"]) == {"", *shown}
    assert "north" not in shown
    assert compare_editions(survey, data, read_inputs(survey))["previous"] is None


@pytest.mark.django_db
def test_the_preview_shows_the_comparison_that_publishing_would_freeze(admin_client):
    series = Series.objects.create(slug="s", title_sv="Serien")
    rng = random.Random(3)
    before, after = edition("then", 3, series), edition("now", 0, series)
    store(before, generated(rng, {"stockholm": 40}, dict(zip(CODES, [6, 5, 4, 3, 2, 1], strict=True))))
    publish_snapshot(survey=before)
    store(after, generated(rng, {"stockholm": 40}, dict(zip(CODES, [1, 5, 4, 3, 2, 6], strict=True))))

    page = admin_client.get(reverse("results:preview", args=[after.slug]))
    assert page.status_code == 200
    previewed = page.context["data"]["comparison"]
    published = publish_snapshot(survey=after).data["comparison"]
    assert previewed["national"] == published["national"]
    assert 'id="comparison-heading"' in page.content.decode()


@pytest.mark.django_db
def test_an_earlier_editions_pages_point_to_the_newer_one_at_once_also_from_the_cache(
    client, django_capture_on_commit_callbacks
):
    series = Series.objects.create(slug="s", title_sv="Serien")
    rng = random.Random(5)
    before, after = edition("then", 3, series), edition("now", 0, series)
    store(before, generated(rng, {"stockholm": 40}, dict.fromkeys(CODES, 1)))
    with django_capture_on_commit_callbacks(execute=True):
        publish_snapshot(survey=before)
    pages = [reverse("results:national", args=["then"]), reverse("results:region", args=["then", "stockholm"])]
    for page in pages:
        assert "latest-edition" not in client.get(page).content.decode()  # now in the visitors' page cache

    store(after, generated(rng, {"stockholm": 40}, dict.fromkeys(CODES, 1)))
    with django_capture_on_commit_callbacks(execute=True):
        publish_snapshot(survey=after)
    for page in pages:
        html = client.get(page).content.decode()
        assert "latest-edition" in html
        assert f'href="{reverse("results:national", args=["now"])}"' in html
    # The newest edition points nowhere.
    assert "latest-edition" not in client.get(reverse("results:national", args=["now"])).content.decode()
