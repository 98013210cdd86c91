"""Real processes for the integration tests, on the test database: Celery workers and beats, gunicorn."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """The URL of the database the tests run on (test_…), for processes of their own."""
    s = connection.settings_dict
    return f"postgres://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environment(var_dir: Path, env: dict) -> dict:
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "VAR_DIR": str(var_dir),
        "SECRET_KEY": "process-test",
        "DB_CONN_MAX_AGE": "0",
        **{name: str(value) for name, value in env.items()},
    }
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return environment


def _start(command: list[str], environment: dict, log_path: Path | None) -> subprocess.Popen:
    if log_path is None:
        return subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
    with open(log_path, "a") as log:
        return subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)


def start_worker(*, broker_url: str, var_dir: Path, log_path: Path | None = None, **env) -> subprocess.Popen:
    """
    One worker process (solo pool) on `broker_url` and the test database.
    Its output goes to `log_path`, or to a pipe the caller reads. Extra
    environment variables come as keywords (EMAIL_PORT="2525").
    """
    command = [sys.executable, "-m", "celery", "-A", "msi_survey", "worker", "--pool", "solo",
               "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel", "INFO"]  # fmt: skip
    return _start(command, _environment(var_dir, {"CELERY_BROKER_URL": broker_url, **env}), log_path)


def start_beat(*, broker_url: str, var_dir: Path, log_path: Path, tick_seconds: int, **env) -> subprocess.Popen:
    """One Celery beat, ticking every `tick_seconds`, with its schedule file under `var_dir`."""
    command = [sys.executable, "-m", "celery", "-A", "msi_survey", "beat", "--loglevel", "INFO"]
    environment = _environment(var_dir, {"CELERY_BROKER_URL": broker_url, "TICK_SECONDS": tick_seconds, **env})
    return _start(command, environment, log_path)


class Web:
    """gunicorn serving the application on a port of its own (4 gthread workers, as in production)."""

    def __init__(self, *, var_dir: Path, log_path: Path | None = None, arguments: tuple = (), **env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = _environment(var_dir, {"ALLOWED_HOSTS": "127.0.0.1", **env})
        command = [sys.executable, "-m", "gunicorn", "msi_survey.wsgi", "-w", "4", "-k", "gthread", "--threads", "8",
                   "-b", f"127.0.0.1:{self.port}", "--log-level", "warning", *arguments]  # fmt: skip
        self.process = _start(command, environment, log_path or var_dir / "gunicorn.log")
        for _ in range(150):
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=2)
                return
            except OSError:
                assert self.process.poll() is None, "gunicorn stopped while starting"
                time.sleep(0.2)
        raise AssertionError("gunicorn did not answer /healthz")

    def stop(self):
        stop(self.process)


def wait_for(condition, *, seconds: float, processes: dict, what: str, log: Path | None = None):
    """
    Poll `condition` until it holds. Fails at once if one of `processes`
    ({name: Popen}) has stopped, or after `seconds`, with the end of `log`.
    """
    tail = (lambda: "\n" + log.read_text()[-3000:]) if log else (lambda: "")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        for name, process in processes.items():
            assert process.poll() is None, f"{name} stopped while waiting for {what}{tail()}"
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}{tail()}")


def stop(process: subprocess.Popen):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
