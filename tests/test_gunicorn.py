"""Fifty people press "send" on one link at the same moment, through gunicorn on PostgreSQL: one answer."""

import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from django.db import connection

from surveys.models import RankedArea, Response

from .conftest import make_participant, make_survey

ROOT = Path(__file__).resolve().parent.parent
FIVE = ["effekt", "samverkan", "digital", "policy", "agil"]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn(postgres, tmp_path):
    settings = connection.settings_dict
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{settings['USER'] or 'postgres'}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}",
        "DEBUG": "true",  # static files from the source folders, no collectstatic needed
        "VAR_DIR": str(tmp_path),
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "msi_survey.wsgi", "-w", "4", "-k", "gthread", "--threads", "8",
         "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/healthz", timeout=2)
            break
        except OSError:
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_submits_on_one_link_store_one_answer(gunicorn):
    participant = make_participant(make_survey())
    address = f"{gunicorn}/s/{participant.token}/"
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(address).read().decode()
    form_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    cookie = next(c for c in jar if c.name == "csrftoken").value
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": form_token, "level": "kommun", **{f"ranking_{n}": c for n, c in enumerate(FIVE, 1)}}
    ).encode()
    start = threading.Barrier(50)
    outcomes, errors = [], []

    def submit():
        request = urllib.request.Request(address, data=body, headers={"Cookie": f"csrftoken={cookie}"})
        start.wait(timeout=30)
        try:
            urllib.request.build_opener(NoRedirect).open(request, timeout=30)
        except urllib.error.HTTPError as response:
            outcomes.append((response.code, response.headers.get("Location")))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))

    threads = [threading.Thread(target=submit) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert outcomes == [(302, f"/s/{participant.token}/tack/")] * 50
    assert Response.objects.count() == 1
    assert RankedArea.objects.count() == 5
