"""
The embedded SQLite of `make run` serves the site, the Celery worker and
beat at once: real processes writing to one database file, none of them
told "database is locked".
"""

import os
import subprocess
import sys
import textwrap
import time

from .workers import ROOT, stop

# The site's side: transactions that read, then write, as views do.
SITE = textwrap.dedent(
    """
    import django
    django.setup()
    from datetime import timedelta
    from django.contrib.sessions.models import Session
    from django.db import transaction
    from django.utils import timezone
    for n in range(400):
        with transaction.atomic():
            Session.objects.filter(expire_date__lt=timezone.now()).count()
            Session.objects.create(
                session_key=f"s{os.getpid()}-{n}", session_data="x", expire_date=timezone.now() - timedelta(days=1)
            )
    print("site done")
    """
)


def sqlite_environment(var_dir) -> dict:
    environment = {
        **os.environ,
        "VAR_DIR": str(var_dir),
        "SECRET_KEY": "sqlite-test",
        "DJANGO_SETTINGS_MODULE": "msi_survey.settings",
        "CELERY_BROKER_URL": "filesystem://",
    }
    for name in ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        environment.pop(name, None)
    return environment


def test_the_site_and_a_worker_write_to_sqlite_at_once(tmp_path):
    environment = sqlite_environment(tmp_path)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=environment, check=True)
    worker_log = tmp_path / "worker.log"
    with open(worker_log, "w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "msi_survey", "worker", "--pool", "threads", "--concurrency", "4",
             "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
            cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    sites = []
    try:
        script = "import os\n" + SITE
        # The worker deletes expired sessions (a read, then a write) while two site processes add them.
        sender = (
            "import django; django.setup()\n"
            "from surveys.tasks import clear_expired_sessions\n"
            "for _ in range(60): clear_expired_sessions.delay()\n"
        )
        subprocess.run([sys.executable, "-c", sender], cwd=ROOT, env=environment, check=True)
        sites = [
            subprocess.Popen(
                [sys.executable, "-c", script],
                cwd=ROOT,
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )  # fmt: skip
            for _ in range(2)
        ]
        outputs = [site.communicate(timeout=240)[0] for site in sites]
        deadline = time.monotonic() + 120
        while worker_log.read_text().count("succeeded in") < 60 and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        stop(worker)
        for site in sites:
            if site.poll() is None:
                site.kill()
    log = worker_log.read_text()
    for output in outputs:
        assert "site done" in output and "locked" not in output, output[-3000:]
    assert "locked" not in log, log[-3000:]
    assert log.count("succeeded in") == 60, log[-3000:]
