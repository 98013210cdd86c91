import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from surveys.distribution import queueing, sending
from surveys.distribution.purge import SurveyStillOpen, purge_due_surveys, purge_personal_data
from surveys.models import OutgoingEmail, Participant, ParticipantImport
from surveys.services import submit_response

from .conftest import make_participant, make_region, national_areas


@pytest.fixture
def finished(survey, time_machine):
    """A survey with two participants, one answer and sent invitations, now closed."""
    time_machine.move_to(timezone.now())
    region = make_region()
    alice = make_participant(survey, region=region, email="alice@kommun.example.se")
    make_participant(survey, region=region, email="bob@kommun.example.se")
    alice.name = "Alice Andersson"
    alice.save()
    queueing.queue_invitations(survey=survey, region=region)
    sending.drain_queue()
    submit_response(participant=alice, ranking=list(survey.areas.all()[:5]), level="kommun")
    ParticipantImport.objects.create(survey=survey, region=region, filename="lista.csv", valid_rows=[{"email": "x"}])
    time_machine.move_to(survey.closes_at + timedelta(days=1))
    return survey


def test_it_removes_personal_data_and_keeps_the_numbers(finished):
    # One answer: shown only with a threshold of one, so that there are numbers to keep.
    finished.suppression_threshold = 1
    finished.save(update_fields=["suppression_threshold"])
    codes = [area.code for area in finished.areas.all()]
    expected = {code: points for code, points in zip(codes, [5, 4, 3, 2, 1], strict=False)}
    before = {row["code"]: row["points"] for row in national_areas(finished)}
    assert before == {code: expected.get(code, 0) for code in codes}
    assert purge_personal_data(survey=finished) == 2
    for p in Participant.objects.all():
        assert (p.email, p.name, p.organisation, p.token) == ("", "", "", None)
    assert Participant.objects.count() == 2
    assert Participant.objects.filter(answered_at__isnull=False).count() == 1
    assert Participant.objects.get(answered_at__isnull=False).answered_after_wave == 0
    assert OutgoingEmail.objects.filter(status="sent").count() == 2
    assert not OutgoingEmail.objects.exclude(message_id="").exists()
    assert ParticipantImport.objects.count() == 0
    assert {row["code"]: row["points"] for row in national_areas(finished)} == before
    finished.refresh_from_db()
    assert finished.personal_data_purged_at is not None


def test_the_audit_log_keeps_who_changed_an_address_but_not_the_addresses(finished, django_user_model):
    from msi_survey.accounts.models import AuditEvent

    from .conftest import make_survey

    lead = django_user_model.objects.create_user("lead", "lead@example.se", "x")
    alice = Participant.objects.get(email="alice@kommun.example.se")
    other = make_participant(make_survey(slug="annan"), region=make_region(code="gotland"), email="eve@example.se")
    for participant in (alice, other):
        AuditEvent.objects.create(
            kind=AuditEvent.Kind.ADDRESS_CHANGED,
            user=lead,
            detail=f"participant {participant.pk} (norrbotten): old@example.se → {participant.email}; new link",
        )

    purge_personal_data(survey=finished)
    purged = AuditEvent.objects.get(detail__startswith=f"participant {alice.pk} ")
    assert purged.detail == f"participant {alice.pk} (norrbotten): addresses removed with the survey's personal data"
    assert purged.user == lead
    kept = AuditEvent.objects.get(detail__startswith=f"participant {other.pk} ")
    assert "eve@example.se" in kept.detail  # another survey's purge is its own


def test_running_it_twice_is_safe(finished):
    purge_personal_data(survey=finished)
    assert purge_personal_data(survey=finished) == 0


def test_it_refuses_an_open_survey(survey):
    make_participant(survey)
    with pytest.raises(SurveyStillOpen):
        purge_personal_data(survey=survey)
    assert Participant.objects.exclude(email="").count() == 1


def test_the_command(finished):
    out = io.StringIO()
    call_command("purge_personal_data", finished.slug, stdout=out)
    assert "2 deltagare" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("purge_personal_data", "no-such-survey")


def test_the_command_refuses_an_open_survey(survey):
    with pytest.raises(CommandError, match="har inte stängt"):
        call_command("purge_personal_data", survey.slug)


def test_automatic_purge_after_the_set_days(finished, time_machine):
    finished.purge_after_days = 30
    finished.save()
    assert purge_due_surveys() == []
    time_machine.move_to(finished.closes_at + timedelta(days=30, minutes=1))
    assert purge_due_surveys() == [finished.slug]
    assert not Participant.objects.exclude(email="").exists()
    assert purge_due_surveys() == []


def test_a_purged_link_leads_nowhere(finished, client):
    token = Participant.objects.first().token
    purge_personal_data(survey=finished)
    assert client.get(f"/s/{token}/").status_code == 404
