from datetime import timedelta

import pytest
from django.utils import timezone

from surveys.models import Participant, Response
from surveys.services import AlreadyAnswered, SurveyNotOpen, submit_response

from .conftest import make_survey


def _areas(survey, codes):
    by_code = {a.code: a for a in survey.areas.all()}
    return [by_code[c] for c in codes]


FIVE = ["effekt", "samverkan", "digital", "policy", "agil"]


def test_it_stores_the_ranking_and_marks_the_participant(participant):
    survey = participant.survey
    response = submit_response(participant=participant, ranking=_areas(survey, FIVE), level="region")
    assert [(r.position, r.area.code) for r in response.ranked_areas.order_by("position")] == list(
        enumerate(FIVE, start=1)
    )
    assert Participant.objects.get(pk=participant.pk).answered_at is not None


def test_running_it_twice_stores_one_response(participant):
    ranking = _areas(participant.survey, FIVE)
    submit_response(participant=participant, ranking=ranking, level="kommun")
    stale = Participant.objects.get(pk=participant.pk)
    stale.answered_at = None  # as a second request that loaded the row earlier would see it
    with pytest.raises(AlreadyAnswered):
        submit_response(participant=stale, ranking=ranking, level="kommun")
    assert Response.objects.count() == 1


def test_it_refuses_a_closed_survey(participant):
    later = participant.survey.closes_at + timedelta(seconds=1)
    with pytest.raises(SurveyNotOpen):
        submit_response(participant=participant, ranking=_areas(participant.survey, FIVE), level="kommun", now=later)
    assert Response.objects.count() == 0


def test_it_refuses_a_ranking_of_the_wrong_shape(participant):
    survey = participant.survey
    with pytest.raises(ValueError):
        submit_response(participant=participant, ranking=_areas(survey, FIVE[:4]), level="kommun")
    with pytest.raises(ValueError):
        submit_response(participant=participant, ranking=_areas(survey, FIVE[:4] + ["effekt"]), level="kommun")
    other = make_survey(slug="other")
    with pytest.raises(ValueError):
        submit_response(participant=participant, ranking=_areas(other, FIVE), level="kommun")
    assert Response.objects.count() == 0
    assert not Participant.objects.get(pk=participant.pk).has_answered


def test_the_response_keeps_the_day_not_the_time(participant):
    moment = timezone.now()
    response = submit_response(
        participant=participant, ranking=_areas(participant.survey, FIVE), level="kommun", now=moment
    )
    assert response.submitted_on == timezone.localdate(moment)
