"""
Invitations through a real Celery worker on the real Redis broker, to a real
SMTP server on loopback: every one arrives once, also when the worker is
killed in the middle of the wave and started again.
"""

import os
import signal
import subprocess
import time
from collections import Counter
from datetime import time as dt_time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from surveys.distribution import queueing, sending
from surveys.distribution.participants import opt_out
from surveys.models import OutgoingEmail, Participant, Survey
from surveys.services import submit_response

from .conftest import make_region, make_survey
from .smtp import Sink, SMTPServer
from .workers import start_worker, stop, wait_for

ROOT = Path(__file__).resolve().parent.parent
Status = OutgoingEmail.Status
WAVE = 2000

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def start(smtp_port: int, tmp_path: Path) -> subprocess.Popen:
    return start_worker(
        broker_url=settings.CELERY_BROKER_URL,
        var_dir=tmp_path,
        log_path=tmp_path / "worker.log",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=smtp_port,
    )


def wait_until(condition, worker, tmp_path, seconds=180):
    wait_for(condition, seconds=seconds, processes={"worker": worker}, what="the wave", log=tmp_path / "worker.log")


@pytest.fixture
def wave(postgres, redis_url):
    survey = make_survey()
    region = make_region()
    Participant.objects.bulk_create(
        Participant(survey=survey, region=region, email=f"person{i:04d}@kommun.example.se") for i in range(WAVE)
    )
    return survey, region


def sent_count():
    return OutgoingEmail.objects.filter(status=Status.SENT).count()


def test_two_thousand_invitations_arrive_once_each_then_reminders_reach_only_non_respondents(wave, tmp_path):
    survey, region = wave
    with SMTPServer(Sink()) as server:
        worker = start(server.port, tmp_path)
        try:
            _mailing, count = queueing.queue_invitations(survey=survey, region=region)
            assert count == WAVE
            wait_until(lambda: not OutgoingEmail.objects.pending().exists(), worker, tmp_path)
            # Sending again sends nothing new.
            assert queueing.queue_invitations(survey=survey, region=region) == (None, 0)
            time.sleep(1)
            received = Counter(server.sink.recipients())
            assert len(received) == WAVE
            assert set(received.values()) == {1}
            assert sent_count() == WAVE

            # A week later, 600 have answered and 100 said no; the rest are due.
            people = list(Participant.objects.order_by("email"))
            areas = list(survey.areas.all()[: survey.rank_count])
            for person in people[:600]:
                submit_response(participant=person, ranking=areas, level="kommun")
            for person in people[600:700]:
                opt_out(participant=person)
            OutgoingEmail.objects.update(sent_at=timezone.now() - timedelta(days=8))
            Survey.objects.filter(pk=survey.pk).update(
                reminders_on_weekdays_only=False,
                reminder_window_start=dt_time(0, 0),
                reminder_window_end=dt_time(23, 59, 59, 999999),
            )
            survey.refresh_from_db()
            server.sink.messages.clear()
            assert queueing.queue_due_reminders(survey=survey) == {region.code: WAVE - 700}
            wait_until(lambda: not OutgoingEmail.objects.pending().exists(), worker, tmp_path)
            time.sleep(1)
        finally:
            stop(worker)
    reminded = Counter(server.sink.recipients())
    assert set(reminded) == {p.email for p in people[700:]}
    assert set(reminded.values()) == {1}
    assert all(m["Subject"].strip().startswith("Påminnelse") for m in server.sink.messages)


def test_a_worker_killed_mid_wave_and_started_again(wave, tmp_path, proved):
    survey, region = wave
    with SMTPServer(Sink()) as server, override_settings(EMAIL_CLAIM_LEASE_SECONDS=2):
        worker = start(server.port, tmp_path)
        try:
            queueing.queue_invitations(survey=survey, region=region)
            wait_until(lambda: sent_count() >= 300, worker, tmp_path)
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
            killed_at = sent_count()
            assert killed_at < WAVE, "the wave finished before the kill; make it longer"

            # What the sweep does once the lease has run out.
            time.sleep(2.5)
            requeued, uncertain = sending.recover_stale()
            assert uncertain <= 1  # one process, one message in flight at most
            worker = start(server.port, tmp_path)
            queueing.dispatch()
            wait_until(lambda: not OutgoingEmail.objects.pending().exists(), worker, tmp_path)
        finally:
            stop(worker)

    received = Counter(server.sink.recipients())
    rows = dict(OutgoingEmail.objects.values_list("participant__email", "status"))
    assert len(rows) == WAVE
    uncertain_people = {email for email, status in rows.items() if status == Status.UNCERTAIN}
    assert len(uncertain_people) <= 1
    for email, status in rows.items():
        if status == Status.SENT:
            assert received[email] == 1, email
        else:
            assert status == Status.UNCERTAIN
            assert received[email] <= 1  # maybe it arrived, never twice
    assert max(received.values()) == 1
    assert sum(received.values()) >= WAVE - 1
    proved(
        f"a worker killed with SIGKILL after {killed_at} of {WAVE} invitations, then started again: "
        f"{sum(received.values())} delivered once each, {len(uncertain_people)} marked uncertain, none sent twice"
    )
