"""Properties of the results that must hold for any answers at all."""

from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from results.selectors import build_results
from results.stats import suppressed_groups
from surveys.models import RankedArea, Response

from .conftest import make_region, make_survey

CODES = ["a", "b", "c", "d", "e", "f"]
AREAS = [(code, f"Område {code}", f"Area {code}") for code in CODES]

regions = st.sampled_from(["north", "south", "east"])
levels = st.sampled_from(["kommun", "region"])
answers = st.lists(
    st.tuples(st.permutations(CODES).map(lambda p: tuple(p[:3])), regions, levels), min_size=5, max_size=40
)


def store(survey, rows):
    by_code = {a.code: a for a in survey.areas.all()}
    region_objects = {}
    for codes, region, level in rows:
        if region not in region_objects:
            region_objects[region] = make_region(region, region.title())
        response = Response.objects.create(
            survey=survey, region=region_objects[region], level=level, submitted_on=timezone.localdate()
        )
        RankedArea.objects.bulk_create(
            RankedArea(response=response, area=by_code[c], position=p) for p, c in enumerate(codes, start=1)
        )


def fresh_survey():
    survey = make_survey(slug="prop", areas=AREAS)
    survey.rank_count = 3
    survey.save()
    return survey


def strip(data):
    data = dict(data)
    data.pop("computed_at")
    return data


class ResultProperties(TestCase):
    @settings(max_examples=25, deadline=None)
    @given(answers)
    def test_shares_sum_to_100(self, rows):
        survey = fresh_survey()
        store(survey, rows)
        data = build_results(survey)
        assert abs(sum(a["share"] for a in data["national"]["areas"]) - 100) < 0.001
        for block in data["regions"]:
            if not block["suppressed"]:
                assert abs(sum(a["share"] for a in block["areas"]) - 100) < 0.001
        for area in data["national"]["areas"]:
            assert 0 <= area["low"] <= area["share"] <= area["high"] <= 100

    @settings(max_examples=15, deadline=None)
    @given(answers, st.randoms(use_true_random=False))
    def test_the_order_answers_arrived_in_does_not_matter(self, rows, random):
        first = fresh_survey()
        store(first, rows)
        expected = strip(build_results(first))
        Response.objects.all().delete()
        shuffled = list(rows)
        random.shuffle(shuffled)
        store(first, shuffled)
        assert strip(build_results(first)) == expected


@settings(max_examples=300)
@given(
    st.dictionaries(st.text(min_size=1, max_size=3), st.integers(0, 30), min_size=1, max_size=8), st.integers(1, 10)
)
def test_suppression_never_leaves_one_hidden_group_beside_a_visible_total(counts, threshold):
    hidden = suppressed_groups(counts, threshold)
    assert {key for key, n in counts.items() if n < threshold} <= hidden
    if len(counts) > 1:
        assert len(hidden) != 1
