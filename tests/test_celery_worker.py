"""
A real Celery worker, on the embedded filesystem broker (`make run`) and on
Redis (production), runs our tasks against the same database as the site.
"""

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from .workers import start_worker

ROOT = Path(__file__).resolve().parent.parent


def producer(broker_url: str, var_dir: Path) -> Celery:
    app = Celery("test-producer", set_as_current=False)
    if broker_url.startswith("filesystem://"):
        queue, control = var_dir / "broker" / "queue", var_dir / "broker" / "control"
        for folder in (queue, control, var_dir / "broker" / "processed"):
            folder.mkdir(parents=True, exist_ok=True)
        app.conf.broker_transport_options = {
            "data_folder_in": str(queue),
            "data_folder_out": str(queue),
            "control_folder": str(control),
        }
    return app


def expired_session() -> str:
    session = Session.objects.create(
        session_key="expired-session-for-the-worker", session_data="", expire_date=timezone.now() - timedelta(days=1)
    )
    return session.session_key


def wait_for(condition, worker, seconds=45):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        if worker.poll() is not None:
            break
        time.sleep(0.25)
    worker.terminate()
    output = worker.communicate(timeout=10)[0]
    raise AssertionError(f"the worker did not do the work; its output:\n{output}")


def run_task_through(broker_url: str, var_dir: Path):
    key = expired_session()
    worker = start_worker(broker_url=broker_url, var_dir=var_dir)
    try:
        app = producer(broker_url, var_dir)
        # An explicit connection: Celery lets CELERY_BROKER_URL in the environment beat any configured broker.
        with app.connection_for_write(broker_url) as connection:
            app.send_task("surveys.tasks.clear_expired_sessions", connection=connection)
        wait_for(lambda: not Session.objects.filter(session_key=key).exists(), worker)
    finally:
        worker.terminate()
        worker.wait(timeout=20)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_on_the_embedded_broker_runs_a_task(postgres, tmp_path):
    run_task_through("filesystem://", tmp_path)
    # The broker's files stay under VAR_DIR, not in the working directory.
    assert (tmp_path / "broker" / "control" / "celery.exchange").is_file()
    assert not (ROOT / "control").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_on_redis_runs_a_task(postgres, redis_url, tmp_path):
    # A database number of its own, so that a developer's queue is not touched.
    run_task_through(os.environ["CELERY_BROKER_URL"], tmp_path)


def test_beat_has_its_schedule():
    assert "clear-expired-sessions" in settings.CELERY_BEAT_SCHEDULE
    from msi_survey.celery import app

    app.loader.import_default_modules()
    assert "surveys.tasks.clear_expired_sessions" in app.tasks
