"""
Redis goes away during a wave of invitations and comes back: the rows in
PostgreSQL say what is left, the sweep dispatches it again, and everyone gets
their invitation once. Uses a Redis server of its own on a free port.
"""

import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from unittest import mock

import pytest
from celery import Celery

from surveys.distribution import queueing, sending
from surveys.models import OutgoingEmail, Participant

from .conftest import make_region, make_survey, need
from .smtp import Sink, SMTPServer
from .workers import free_port, start_worker

ROOT = Path(__file__).resolve().parent.parent
WAVE = 1500


class SlowSink(Sink):
    """Accepts every message after a short pause, so that the wave takes a few seconds."""

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        await asyncio.sleep(0.004)
        return await super().handle_DATA(server, session, envelope)


def start_redis(port: int, tmp_path: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(50):
        if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout.strip() == b"PONG":
            return process
        time.sleep(0.1)
    raise RuntimeError("redis did not start")


def dispatch_to(broker: str) -> bool:
    """What the sweep does: tell the workers there is mail. False when the broker is away."""
    app = Celery("sweep", set_as_current=False)
    try:
        with app.connection_for_write(broker) as connection:
            connection.ensure_connection(max_retries=1)
            app.send_task("surveys.tasks.send_queued_emails", connection=connection)
        return True
    except Exception:  # noqa: BLE001 - a broker that is away is the point of this test
        return False


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_wave_survives_redis_restarting(postgres, tmp_path, proved):
    need(shutil.which("redis-server") is not None, "redis-server")
    port = free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    survey = make_survey()
    region = make_region()
    Participant.objects.bulk_create(
        Participant(survey=survey, region=region, email=f"p{i:04d}@kommun.example.se") for i in range(WAVE)
    )
    redis = start_redis(port, tmp_path)
    sink = SlowSink()
    with SMTPServer(sink) as smtp:
        worker = start_worker(
            broker_url=broker, var_dir=tmp_path, log_path=tmp_path / "worker.log",
            EMAIL_HOST="127.0.0.1", EMAIL_PORT=smtp.port,
        )  # fmt: skip
        try:
            # Redis is down when the invitations are queued: the enqueue is lost.
            redis.send_signal(signal.SIGKILL)
            redis.wait()
            with mock.patch("surveys.distribution.queueing.dispatch", lambda: dispatch_to(broker)):
                queueing.queue_invitations(survey=survey, region=region)
            assert OutgoingEmail.objects.filter(status="queued").count() == WAVE
            time.sleep(2)
            assert not OutgoingEmail.objects.filter(status="sent").exists()

            # Redis is back; the sweep dispatches what the rows say is left.
            redis = start_redis(port, tmp_path)
            deadline = time.monotonic() + 60
            while not dispatch_to(broker):
                assert time.monotonic() < deadline
                time.sleep(0.5)
            while OutgoingEmail.objects.filter(status="sent").count() < 300:
                assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-3000:]
                time.sleep(0.1)

            # And it goes away again in the middle of the wave, for a few seconds.
            redis.send_signal(signal.SIGKILL)
            redis.wait()
            time.sleep(3)
            redis = start_redis(port, tmp_path)
            deadline = time.monotonic() + 120
            while OutgoingEmail.objects.pending().exists():
                assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-3000:]
                if sending.has_due_queued():
                    dispatch_to(broker)  # the sweep, every few seconds here instead of minutes
                time.sleep(2)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            redis.send_signal(signal.SIGKILL)
            redis.wait()
    received = Counter(sink.recipients())
    assert len(received) == WAVE
    assert set(received.values()) == {1}
    assert OutgoingEmail.objects.filter(status="sent").count() == WAVE
    proved(
        f"Redis killed when a wave of {WAVE} was queued and again mid-wave: the sweep finished the wave "
        "after it came back, one invitation each"
    )
