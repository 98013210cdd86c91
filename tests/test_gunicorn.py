"""Fifty people press "send" on one link at the same moment, through gunicorn on PostgreSQL: one answer."""

import contextlib
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from surveys.models import RankedArea, Response

from .conftest import make_participant, make_survey
from .workers import Web

ROOT = Path(__file__).resolve().parent.parent
FIVE = ["effekt", "samverkan", "digital", "policy", "agil"]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def gunicorn(postgres, tmp_path):
    web = Web(var_dir=tmp_path, DEBUG="true")  # static files from the source folders
    yield web.url
    web.stop()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_submits_on_one_link_store_one_answer(gunicorn, proved):
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
    proved(
        "50 concurrent submits on one link through gunicorn on PostgreSQL: 50 redirects to the thanks page, one answer"
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_no_personal_link_reaches_the_access_log_or_the_site_log(postgres, tmp_path):
    participant = make_participant(make_survey())
    access_log, site_log = tmp_path / "access.log", tmp_path / "site.log"
    web = Web(
        var_dir=tmp_path,
        log_path=site_log,
        arguments=("--logger-class", "msi_survey.logs.GunicornLogger", "--access-logfile", str(access_log)),
        DEBUG="true",
    )
    try:
        opener = urllib.request.build_opener(NoRedirect)
        assert opener.open(f"{web.url}/s/{participant.token}/").status == 200
        for missing in (f"/s/{participant.token}x/", f"/s/{participant.token}/avregistrera/?a=1"):
            with contextlib.suppress(urllib.error.HTTPError):  # the unknown link is a 404
                opener.open(web.url + missing, timeout=10)
    finally:
        web.stop()
    requests = access_log.read_text()
    assert requests.count('"GET /s/…/ HTTP/1.1" 200') == 1, requests
    assert requests.count("GET /s/…/") == 3, requests  # the unknown link and the opt-out too
    assert "Not Found: /s/…/" in site_log.read_text()
    assert participant.token not in requests + site_log.read_text()
