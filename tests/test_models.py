import math
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from surveys.models import Participant, RankedArea, Response, new_token

from .conftest import make_participant, make_region, make_survey


def test_tokens_carry_at_least_128_random_bits():
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    for token in tokens:
        # URL-safe base64: 6 bits per character.
        assert len(token) * 6 >= 128
        assert all(c.isalnum() or c in "-_" for c in token)
    alphabet = set("".join(tokens))
    assert len(alphabet) > 60
    assert math.log2(len(alphabet)) * len(next(iter(tokens))) >= 128


def test_each_participant_gets_their_own_token(survey):
    alice = make_participant(survey, email="alice@kommun.example.se")
    bob = make_participant(survey, email="bob@kommun.example.se")
    assert alice.token != bob.token
    assert len(alice.token) >= 22


def test_an_email_is_invited_once_per_survey(survey):
    make_participant(survey, email="alice@kommun.example.se")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_participant(survey, email="alice@kommun.example.se")
    other = make_survey(slug="another")
    assert make_participant(other, email="alice@kommun.example.se").pk


def test_the_survey_is_open_between_its_times(survey):
    now = timezone.now()
    assert survey.is_open(now)
    assert not survey.is_open(survey.closes_at)
    assert not survey.is_open(survey.opens_at - timedelta(seconds=1))
    assert survey.is_open(survey.opens_at)
    assert survey.has_not_opened(survey.opens_at - timedelta(seconds=1))


def test_a_survey_cannot_close_before_it_opens(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_survey(opens_in=timedelta(days=1), closes_in=timedelta(days=-1))


def test_the_points_rule(survey):
    assert [survey.points_for(p) for p in range(1, 6)] == [5, 4, 3, 2, 1]
    assert survey.points_description == [5, 4, 3, 2, 1]
    with pytest.raises(ValueError):
        survey.points_for(6)
    with pytest.raises(ValueError):
        survey.points_for(0)


def _response(survey):
    return Response.objects.create(
        survey=survey, region=make_region(), level="kommun", submitted_on=timezone.localdate()
    )


def test_an_area_is_ranked_once_per_response(survey):
    response = _response(survey)
    area = survey.areas.first()
    RankedArea.objects.create(response=response, area=area, position=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        RankedArea.objects.create(response=response, area=area, position=2)


def test_a_position_is_used_once_per_response(survey):
    response = _response(survey)
    first, second = survey.areas.all()[:2]
    RankedArea.objects.create(response=response, area=first, position=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        RankedArea.objects.create(response=response, area=second, position=1)


def test_positions_start_at_one(survey):
    response = _response(survey)
    with pytest.raises(IntegrityError), transaction.atomic():
        RankedArea.objects.create(response=response, area=survey.areas.first(), position=0)


def test_responses_have_random_ids_and_no_participant(survey):
    a, b = _response(survey), _response(survey)
    assert a.pk != b.pk
    assert a.pk.version == 4
    assert not any(f.related_model is Participant for f in Response._meta.get_fields())


def test_titles_follow_the_language(survey):
    from django.utils import translation

    area = survey.areas.get(code="effekt")
    with translation.override("sv"):
        assert area.title == "Effektmätning"
        assert survey.title == "Testenkät"
    with translation.override("en"):
        assert area.title == "Impact measurement"
        assert survey.title == "Test survey"
