"""After a big import or wave, the planner's statistics are fresh (PostgreSQL's reltuples counts the new rows)."""

from django.db import connection

from surveys.distribution import queueing
from surveys.distribution.participants import confirm_import
from surveys.models import ParticipantImport

from .conftest import make_region


def estimated_rows(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


def test_a_big_import_and_its_wave_refresh_the_planners_statistics(
    postgres, survey, django_capture_on_commit_callbacks
):
    region = make_region()
    rows = [
        {"email": f"person{n}@kommun.example.se", "name": "", "organisation": "", "level": "kommun"}
        for n in range(1_200)
    ]
    listed = ParticipantImport.objects.create(survey=survey, region=region, filename="lista.csv", valid_rows=rows)
    with django_capture_on_commit_callbacks(execute=True):
        assert confirm_import(participant_import=listed) == 1_200
    assert estimated_rows("surveys_participant") >= 1_200
    with django_capture_on_commit_callbacks(execute=True):
        queueing.queue_invitations(survey=survey, region=region)
    assert estimated_rows("surveys_outgoingemail") >= 1_200


def test_a_small_write_leaves_the_statistics_alone(survey, django_capture_on_commit_callbacks):
    from unittest import mock

    region = make_region()
    listed = ParticipantImport.objects.create(
        survey=survey,
        region=region,
        filename="lista.csv",
        valid_rows=[{"email": "a@kommun.example.se", "name": "", "organisation": "", "level": ""}],
    )
    with (
        mock.patch("surveys.distribution.statistics.analyze") as analyze,
        django_capture_on_commit_callbacks(execute=True),
    ):
        confirm_import(participant_import=listed)
    analyze.assert_not_called()
