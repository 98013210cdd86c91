"""Real Celery workers for the integration tests, on the test database."""

import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """The URL of the database the tests run on (test_…), for processes of their own."""
    s = connection.settings_dict
    return f"postgres://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def start_worker(*, broker_url: str, var_dir: Path, log_path: Path | None = None, **env) -> subprocess.Popen:
    """
    One worker process (solo pool) on `broker_url` and the test database.
    Its output goes to `log_path`, or to a pipe the caller reads. Extra
    environment variables come as keywords (EMAIL_PORT="2525").
    """
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker_url,
        "VAR_DIR": str(var_dir),
        "SECRET_KEY": "worker-test",
        "DB_CONN_MAX_AGE": "0",
        **{name: str(value) for name, value in env.items()},
    }
    command = [sys.executable, "-m", "celery", "-A", "msi_survey", "worker", "--pool", "solo",
               "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel", "INFO"]  # fmt: skip
    if log_path is None:
        return subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
    with open(log_path, "a") as log:
        return subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
