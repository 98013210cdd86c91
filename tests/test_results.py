import csv
import io
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from results.selectors import area_results
from surveys.models import RankedArea, Response

from .conftest import make_region, make_survey


def answer(survey, *codes, region=None, level="kommun"):
    by_code = {a.code: a for a in survey.areas.all()}
    response = Response.objects.create(
        survey=survey, region=region or make_region(), level=level, submitted_on=timezone.localdate()
    )
    RankedArea.objects.bulk_create(
        RankedArea(response=response, area=by_code[code], position=position)
        for position, code in enumerate(codes, start=1)
    )


AREAS3 = [
    ("a", "Område A", "Area A"),
    ("b", "Område B", "Area B"),
    ("c", "Område C", "Area C"),
    ("d", "Område D", "Area D"),
]


def small_survey():
    """Four areas, rank two: points 2 and 1."""
    survey = make_survey(slug="small", areas=AREAS3)
    survey.rank_count = 2
    survey.save(update_fields=["rank_count"])
    answer(survey, "a", "b")
    answer(survey, "a", "c")
    answer(survey, "b", "a")
    return survey


def test_points_and_shares_by_hand(db):
    # a: 2 + 2 + 1 = 5, b: 1 + 2 = 3, c: 1, d: 0; all points: 9.
    results = {r.code: r for r in area_results(small_survey())}
    assert [results[c].points for c in "abcd"] == [5, 3, 1, 0]
    assert results["a"].share == Decimal("55.5556")
    assert results["b"].share == Decimal("33.3333")
    assert results["c"].share == Decimal("11.1111")
    assert results["d"].share == Decimal("0")
    assert [results[c].chosen_by for c in "abcd"] == [3, 2, 1, 0]
    assert [results[c].first_by for c in "abcd"] == [2, 1, 0, 0]
    assert [results[c].rank for c in "abcd"] == [1, 2, 3, 4]
    assert results["a"].share_percent == Decimal("55.6")


def test_ties_share_a_rank(db):
    survey = make_survey(slug="ties", areas=AREAS3)
    survey.rank_count = 2
    survey.save(update_fields=["rank_count"])
    answer(survey, "a", "b")
    answer(survey, "b", "a")
    answer(survey, "c", "d")
    ranks = {r.code: r.rank for r in area_results(survey)}
    # a = b = 3 points, c = 2, d = 1.
    assert ranks == {"a": 1, "b": 1, "c": 3, "d": 4}


def test_no_answers_gives_zero_everywhere(db):
    survey = make_survey(slug="empty", areas=AREAS3)
    results = area_results(survey)
    assert [r.points for r in results] == [0, 0, 0, 0]
    assert all(r.share == 0 for r in results)


def test_other_surveys_do_not_count(db):
    survey = small_survey()
    other = make_survey(slug="other", areas=AREAS3)
    other.rank_count = 2
    other.save(update_fields=["rank_count"])
    answer(other, "d", "c")
    assert {r.code: r.points for r in area_results(survey)} == {"a": 5, "b": 3, "c": 1, "d": 0}


def test_the_aggregation_is_one_query(db, django_assert_num_queries):
    survey = small_survey()
    with django_assert_num_queries(1):
        area_results(survey)


def test_the_results_page(client, db):
    survey = small_survey()
    survey.participants.create(region=make_region(), email="x@example.se")
    response = client.get(reverse("results:national", args=[survey.slug]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Område A" in page
    assert "55.6 %" in page or "55,6 %" in page
    assert "Andel av alla poäng" in page
    assert "2, 1" in page  # the points rule is stated


def test_the_results_page_of_an_unknown_survey_is_a_404(client, db):
    assert client.get("/results/nothing-here/").status_code == 404


def test_the_csv(client, db):
    survey = small_survey()
    response = client.get(reverse("results:csv", args=[survey.slug]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["code", "area", "points", "share_percent"]
    assert rows[1][:4] == ["a", "Område A", "5", "55.6"]
    assert [row[0] for row in rows[1:]] == ["a", "b", "c", "d"]
