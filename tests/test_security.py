"""Security: headers, rate limits, deployment checks, fuzzing and who may open which page."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from msi_survey.http import client_address
from results.services import publish_snapshot
from surveys.models import Participant, ParticipantImport, Response

from .conftest import make_participant, make_region, make_survey

ROOT = Path(__file__).resolve().parent.parent


def test_every_page_has_a_strict_content_security_policy(client, participant):
    for address in ["/", reverse("surveys:answer", args=[participant.token]), reverse("login"), "/s/nope/"]:
        policy = client.get(address)["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert "frame-ancestors 'none'" in policy


def test_personal_links_stay_out_of_referrers(client, participant):
    response = client.get(reverse("surveys:answer", args=[participant.token]))
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_guessing_links_is_stopped_with_a_clear_page(client, participant, settings):
    settings.LINK_MISSES_PER_WINDOW = 5
    for i in range(5):
        assert client.get(f"/s/guess-{i}/").status_code == 404
    response = client.get("/s/guess-99/")
    assert response.status_code == 429
    assert "För många försök" in response.content.decode()
    assert response["Retry-After"] == "600"
    # Now the guesser's real link is refused too, for a while…
    assert client.get(reverse("surveys:answer", args=[participant.token])).status_code == 429
    # …but nobody else's.
    other = Client(REMOTE_ADDR="10.0.0.2")
    assert other.get(reverse("surveys:answer", args=[participant.token])).status_code == 200


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, "10.0.0.9", "203.0.113.7", "10.0.0.9"),  # no proxy trusted: the header is the client's word
        (1, "127.0.0.1", "203.0.113.7", "203.0.113.7"),
        (1, "127.0.0.1", "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # the left entry was made up by the client
        (2, "127.0.0.1", "6.6.6.6, 203.0.113.7, 10.1.1.1", "203.0.113.7"),
        (2, "127.0.0.1", "203.0.113.7", "127.0.0.1"),  # fewer entries than proxies: not through both
        (1, "127.0.0.1", "not-an-address", "127.0.0.1"),
        (1, "127.0.0.1", "", "127.0.0.1"),
        (1, "127.0.0.1", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_address_behind_trusted_proxies(rf, settings, proxies, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = proxies
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_behind_a_proxy_one_guesser_does_not_lock_out_everyone(participant, settings):
    settings.TRUSTED_PROXIES = 1
    settings.LINK_MISSES_PER_WINDOW = 3
    guesser = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    official = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.4")
    for i in range(3):
        assert guesser.get(f"/s/guess-{i}/").status_code == 404
    assert guesser.get("/s/guess-9/").status_code == 429
    # Made-up entries to the left do not get the guesser out of the count.
    assert Client(HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7").get("/s/guess-10/").status_code == 429
    assert official.get(reverse("surveys:answer", args=[participant.token])).status_code == 200


def test_real_links_never_count_towards_the_limit(client, survey, settings):
    settings.LINK_MISSES_PER_WINDOW = 3
    people = [make_participant(survey, email=f"p{i}@kommun.example.se") for i in range(30)]
    for person in people:
        assert client.get(reverse("surveys:answer", args=[person.token])).status_code == 200


def test_the_deployment_check_passes_with_production_settings(tmp_path):
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("DEBUG", "SECURE_SSL_REDIRECT", "SECURE_COOKIES", "TESTING", "DJANGO_ALLOW_ASYNC_UNSAFE")
        },
        "DEBUG": "false",
        "SECRET_KEY": "k9$2vG!xq7#Lp0@zR5^wT8&bN3*cM6(hJ1)dF4-sY" * 2,
        "ALLOWED_HOSTS": "enkat.example.se",
        "SITE_URL": "https://enkat.example.se",
        "BEHIND_TLS_PROXY": "true",
        "VAR_DIR": str(tmp_path),
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# Who may open which page ---------------------------------------------------


@pytest.fixture
def cast(survey):
    north, south = make_region("north", "North"), make_region("south", "South")
    alice = User.objects.create_user("alice", "a@example.se", "x")  # lead of North
    bob = User.objects.create_user("bob", "b@example.se", "x")  # lead of South
    north.leads.add(alice)
    south.leads.add(bob)
    staff = User.objects.create_user("staff", "s@example.se", "x", is_staff=True)
    for i in range(5):
        person = make_participant(survey, region=north, email=f"n{i}@example.se")
        from surveys.services import submit_response

        submit_response(participant=person, ranking=list(survey.areas.all()[:5]), level="kommun")
    publish_snapshot(survey=survey)
    return {"alice": alice, "bob": bob, "staff": staff, "anonymous": None}


STAFF_PAGES = [
    ("get", "results:preview"),
    ("post", "results:publish"),
    ("get", "results:responses_csv"),
]


@pytest.mark.parametrize(("method", "name"), STAFF_PAGES)
def test_staff_pages_are_for_staff_only(client, survey, cast, method, name):
    address = reverse(name, args=[survey.slug])
    for who in ("anonymous", "alice", "bob"):
        client.logout()
        if cast[who]:
            client.force_login(cast[who])
        response = getattr(client, method)(address, {"based_on": 1})
        if who == "anonymous":
            assert response.status_code == 302 and "/login/" in response.url, (who, name)
        else:  # signed in without the right: the 403 page, not a way back to signing in
            assert response.status_code == 403, (who, name)
    client.force_login(cast["staff"])
    assert getattr(client, method)(address, {"based_on": 1}).status_code in (200, 302)


def test_the_sending_queue_is_for_staff_only(client, survey, cast):
    address = reverse("lead:sending")
    client.logout()
    response = client.get(address)
    assert response.status_code == 302 and "/login/" in response.url
    for who in ("alice", "bob"):
        client.force_login(cast[who])
        assert client.get(address).status_code == 403, who
    client.force_login(cast["staff"])
    assert client.get(address).status_code == 200


def test_lead_pages_against_each_kind_of_user(client, survey, cast):
    north_pages = [
        reverse("lead:region", args=[survey.slug, "north"]),
        reverse("lead:participants_csv", args=[survey.slug, "north"]),
        reverse("lead:invite", args=[survey.slug, "north"]),
        reverse("lead:remind", args=[survey.slug, "north"]),
        reverse("lead:resend_uncertain", args=[survey.slug, "north"]),
        reverse("lead:import", args=[survey.slug, "north"]),
        reverse("lead:email_preview", args=[survey.slug, "north", "invitation"]),
        reverse("lead:participant_edit", args=[survey.slug, "north", Participant.objects.first().pk]),
    ]
    expected = {"anonymous": 302, "bob": 404, "alice": 200, "staff": 200}
    for who, status in expected.items():
        client.logout()
        if cast[who]:
            client.force_login(cast[who])
        for address in north_pages:
            assert client.get(address).status_code == status, (who, address)


# Fuzzing -------------------------------------------------------------------

CODES = ["samverkan", "samskapande", "teori", "forandring", "finansiering", "upphandling", "agenda", "effekt"]
field_names = st.one_of(
    st.sampled_from([f"ranking_{n}" for n in range(0, 8)] + ["level", "csrfmiddlewaretoken", "ranking"]),
    st.text(min_size=1, max_size=12),
)
field_values = st.one_of(
    st.sampled_from(CODES + ["kommun", "region", "", "0", "-1"]),
    st.text(max_size=40),
    st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
)


def is_valid(data: dict) -> bool:
    ranking = [data.get(f"ranking_{n}") for n in range(1, 6)]
    extra = [k for k in data if k.startswith("ranking_") and k not in {f"ranking_{n}" for n in range(1, 6)}]
    return (
        all(isinstance(c, str) and c.strip() in CODES + ["digital", "agil", "intra", "policy"] for c in ranking)
        and len({c.strip() for c in ranking}) == 5
        and data.get("level") in ("kommun", "region")
        and not extra
    )


class AnswerFormFuzz(TestCase):
    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.dictionaries(field_names, field_values, max_size=10))
    def test_no_post_gives_a_500_or_stores_an_invalid_answer(self, data):
        survey = make_survey(slug="fuzz")
        person = make_participant(survey)
        client = Client(raise_request_exception=False)
        data = {k.replace("\x00", ""): v.replace("\x00", "") for k, v in data.items()}
        response = client.post(reverse("surveys:answer", args=[person.token]), data)
        assert response.status_code in (200, 302), response.status_code
        stored = Response.objects.count()
        assert stored == (1 if is_valid(data) else 0), data


class ImportFuzz(TestCase):
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.one_of(
            st.binary(max_size=3000),
            st.text(max_size=2000).map(lambda t: t.encode("utf-8")),
            st.lists(st.lists(st.text(max_size=20), max_size=5), max_size=30).map(
                lambda rows: "\n".join(";".join(r) for r in [["E-post", "Namn"], *rows]).encode("cp1252", "replace")
            ),
        ),
        st.sampled_from(["lista.csv", "lista.xlsx", "lista.xls", "lista.txt", ""]),
    )
    def test_no_upload_gives_a_500_or_adds_anyone_unconfirmed(self, content, name):
        survey = make_survey(slug="fuzz-import")
        region = make_region()
        lead = User.objects.create_user("lead", "l@example.se", "x")
        region.leads.add(lead)
        client = Client(raise_request_exception=False)
        client.force_login(lead)
        upload = SimpleUploadedFile(name or "x", content)
        response = client.post(reverse("lead:import", args=[survey.slug, region.code]), {"file": upload})
        assert response.status_code in (200, 302)
        assert Participant.objects.count() == 0
        if response.status_code == 302:
            assert ParticipantImport.objects.count() == 1


def test_personal_links_stay_out_of_the_sites_log(client, participant):
    import io
    import logging

    from msi_survey.logs import HideLinks

    handlers = [h for h in logging.getLogger().handlers if any(isinstance(f, HideLinks) for f in h.filters)]
    assert handlers, "the console handler hides links"
    console = handlers[0]
    stream = io.StringIO()
    old = console.setStream(stream)
    try:
        client.get(f"/s/{participant.token}x/")  # Django logs "Not Found: <path>"
        logging.getLogger("surveys").warning("Odd request to %s", f"/s/{participant.token}/tack/?x=1")
        client.get("/results/comments/publish/12:1xaiYm:secretsignature/")  # a commenter's publishing link
    finally:
        console.setStream(old)
    written = stream.getvalue()
    assert "Not Found: /s/…/" in written
    assert "Odd request to /s/…/tack/?x=1" in written
    assert participant.token not in written
    assert "Not Found: /results/comments/publish/…/" in written and "secretsignature" not in written


def test_error_emails_to_admins_carry_no_personal_link(participant, settings, rf):
    import logging
    import sys

    from django.core import mail

    from msi_survey.logs import HideLinksInMail

    settings.ADMINS = [("Drift", "drift@example.se")]
    token = participant.token
    request = rf.get(f"/s/{token}/?from=/s/{token}/", HTTP_REFERER=f"https://enkat.example.se/s/{token}/")

    def view(request, token):
        raise RuntimeError(f"broke on /s/{token}/")

    try:
        view(request, token)
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.makeLogRecord(
        {"msg": "Internal Server Error: %s", "args": (request.path,), "levelname": "ERROR", "exc_info": exc_info}
    )
    record.request = request
    HideLinksInMail(include_html=True).emit(record)
    (message,) = mail.outbox
    html = message.alternatives[0][0]
    assert "Internal Server Error: /s/…/" in message.subject and "/s/…/" in message.body
    for text in (message.subject, message.body, html):
        assert token not in text
    assert "broke on /s/…/" in message.body and "********" in message.body  # the variable `token` is blanked
