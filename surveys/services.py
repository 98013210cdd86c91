"""
Answering: storing one official's ranking. The one write of the answer side.
"""

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from .distribution.selectors import wave_that_reached
from .models import Area, Participant, RankedArea, Response


class AlreadyAnswered(Exception):
    """The participant's link has been used; nothing was stored."""


class SurveyNotOpen(Exception):
    """The survey is not open for answers now; nothing was stored."""


@transaction.atomic
def submit_response(
    *, participant: Participant, ranking: Sequence[Area], level: str, now: datetime | None = None
) -> Response:
    """
    Store one anonymous response and mark the participant as having answered.

    Both happen in one transaction. The participant is claimed with a
    conditional UPDATE (answered_at IS NULL): of any number of concurrent
    submits on one link, exactly one updates the row and stores a response;
    the others raise AlreadyAnswered and store nothing. Running it twice for
    one participant therefore stores one response.
    """
    now = now or timezone.now()
    survey = participant.survey
    if not survey.is_open(now):
        raise SurveyNotOpen
    if len(ranking) != survey.rank_count or len({a.pk for a in ranking}) != len(ranking):
        raise ValueError("ranking must hold rank_count distinct areas")
    if any(area.survey_id != survey.pk for area in ranking):
        raise ValueError("ranking holds an area of another survey")

    # Which email brought the answer is a fact of distribution, asked of it by name.
    claimed = Participant.objects.filter(pk=participant.pk, answered_at__isnull=True).update(
        answered_at=now, answered_after_wave=wave_that_reached("pk")
    )
    if not claimed:
        raise AlreadyAnswered

    response = Response.objects.create(
        survey=survey,
        region_id=participant.region_id,
        level=level,
        submitted_on=timezone.localdate(now),
    )
    RankedArea.objects.bulk_create(
        RankedArea(response=response, area=area, position=position) for position, area in enumerate(ranking, start=1)
    )
    participant.answered_at = now
    return response
