"""
Fault drills with every part a real process: gunicorn, Celery workers and
beats on Redis, PostgreSQL, and an SMTP server on loopback. Each drill says
what it proved at the end of the run (see `proved` in conftest.py).

- Two web processes, two workers and, by mistake, two beats share one
  PostgreSQL and one Redis while a lead double-clicks "send a reminder" on
  both web processes: the reminder wave reaches each person once.
- The SMTP server is down for the first minute of a reminder wave: the lead
  sees the emails waiting and why, then the recovery; everyone ends with
  exactly one reminder.
- The database server kills the connection storing an answer halfway: a
  try-again page, nothing stored, and the retry stores one answer.

The other drills live beside the code they test: a worker killed mid-wave
(test_celery_sending.py), Redis restarted during a wave
(test_redis_restart.py) and fifty submits on one link (test_gunicorn.py).
"""

import re
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from datetime import time as dt_time
from datetime import timedelta
from http.cookiejar import CookieJar

import psycopg
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from surveys.distribution import queueing
from surveys.distribution.participants import opt_out
from surveys.models import EmailKind, Mailing, OutgoingEmail, Participant, RankedArea, Response, Survey
from surveys.services import submit_response

from .conftest import make_participant, make_region, make_survey, ranking_post
from .smtp import Sink, SMTPServer
from .workers import Web, database_url, free_port, start_beat, start_worker, stop, wait_for

Status = OutgoingEmail.Status
pytestmark = [pytest.mark.postgres, pytest.mark.drill, pytest.mark.django_db(transaction=True)]


def invited_a_week_ago(survey, region, count, prefix):
    """`count` people whose invitation went out eight days ago: all due for their first reminder."""
    Survey.objects.filter(pk=survey.pk).update(
        reminders_on_weekdays_only=False,
        reminder_window_start=dt_time(0, 0),
        reminder_window_end=dt_time(23, 59, 59, 999999),
        reminder_interval_days=7,
        max_reminders=2,
    )
    people = Participant.objects.bulk_create(
        Participant(survey=survey, region=region, email=f"{prefix}{i:04d}@kommun.example.se") for i in range(count)
    )
    mailing = Mailing.objects.create(survey=survey, region=region, kind=EmailKind.INVITATION)
    week_ago = timezone.now() - timedelta(days=8)
    OutgoingEmail.objects.bulk_create(
        OutgoingEmail(participant=p, wave=0, mailing=mailing, status=Status.SENT, sent_at=week_ago) for p in people
    )
    return list(Participant.objects.filter(pk__in=[p.pk for p in people]).order_by("email"))


def reminders_pending():
    return OutgoingEmail.objects.filter(wave__gte=1).pending().exists()


def lead_of(region, username):
    user = User.objects.create_user(username, f"{username}@ltu.example.se", "a-good-password-42")
    region.leads.add(user)
    return user


def test_two_of_everything_and_a_double_click_send_one_reminder_each(postgres, redis_url, tmp_path, proved):
    survey = make_survey()
    region = make_region()
    people = invited_a_week_ago(survey, region, 400, "person")
    areas = list(survey.areas.all()[: survey.rank_count])
    for person in people[:40]:
        submit_response(participant=person, ranking=areas, level="kommun")
    for person in people[40:60]:
        opt_out(participant=person)
    due = {p.email for p in people[60:]}
    lead_of(region, "lead")

    broker = settings.CELERY_BROKER_URL
    processes = {}
    with SMTPServer(Sink()) as smtp:
        try:
            webs = []
            for n in (1, 2):
                (tmp_path / f"web{n}").mkdir()
                webs.append(Web(var_dir=tmp_path / f"web{n}"))
                processes[f"web {n}"] = webs[-1].process
            for n in (1, 2):
                (tmp_path / f"worker{n}").mkdir()
                processes[f"worker {n}"] = start_worker(
                    broker_url=broker,
                    var_dir=tmp_path / f"worker{n}",
                    log_path=tmp_path / f"worker{n}.log",
                    EMAIL_HOST="127.0.0.1",
                    EMAIL_PORT=smtp.port,
                )
            # The lead opens "send a reminder now" on one web process and the
            # confirmation goes to both at once: a double click across a
            # load balancer.
            opener = _logged_in(webs[0].url, "lead", "a-good-password-42")
            page = opener.open(f"{webs[0].url}/lead/{survey.slug}/{region.code}/remind/").read().decode()
            expected = re.search(r'name="expected" value="(\d+)"', page).group(1)
            assert int(expected) == len(due)
            form_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
            body = urllib.parse.urlencode({"csrfmiddlewaretoken": form_token, "expected": expected}).encode()
            start = threading.Barrier(2)
            answers = []

            def confirm(web):
                start.wait(timeout=10)
                request = urllib.request.Request(
                    f"{web.url}/lead/{survey.slug}/{region.code}/remind/", data=body, headers={"Referer": web.url}
                )
                answers.append(opener.open(request, timeout=30).status)

            # …while two beats, both started by mistake, tick every two seconds.
            for n in (1, 2):
                (tmp_path / f"beat{n}").mkdir()
                processes[f"beat {n}"] = start_beat(
                    broker_url=broker,
                    var_dir=tmp_path / f"beat{n}",
                    log_path=tmp_path / f"beat{n}.log",
                    tick_seconds=2,
                )
            clicks = [threading.Thread(target=confirm, args=(web,)) for web in webs]
            for click in clicks:
                click.start()
            for click in clicks:
                click.join(timeout=60)
            assert answers == [200, 200]

            wait_for(
                lambda: OutgoingEmail.objects.filter(wave=1).count() == len(due) and not reminders_pending(),
                seconds=180,
                processes=processes,
                what="the reminder wave",
            )
            # Several more ticks of both beats: nothing more goes out.
            time.sleep(8)
            assert not reminders_pending()
        finally:
            for process in processes.values():
                stop(process)
        time.sleep(0.5)
        received = Counter(smtp.sink.recipients())

    beat_logs = [(tmp_path / f"beat{n}.log").read_text() for n in (1, 2)]
    ticks = sum(log.count("surveys.tasks.tick") for log in beat_logs)
    assert all("surveys.tasks.tick" in log for log in beat_logs), "both beats must have ticked"
    assert set(received) == due
    assert set(received.values()) == {1}
    assert OutgoingEmail.objects.filter(wave__gte=2).count() == 0
    assert set(OutgoingEmail.objects.filter(wave=1).values_list("status", flat=True)) == {Status.SENT}
    mailings = Mailing.objects.filter(kind=EmailKind.REMINDER).count()
    proved(
        f"two web processes, two workers and two beats ({ticks} ticks) with a double-clicked reminder on both "
        f"web processes: {len(received)} reminders, one to each of the {len(due)} people due, none to the 40 "
        f"who answered or the 20 who said no ({mailings} send(s) recorded)"
    )


def _logged_in(base_url, username, password):
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base_url}/accounts/login/").read().decode()
    form_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": form_token, "login": username, "password": password})
    request = urllib.request.Request(
        f"{base_url}/accounts/login/", data=body.encode(), headers={"Referer": f"{base_url}/accounts/login/"}
    )
    landing = opener.open(request).read().decode()
    assert "logout" in landing or "Logga ut" in landing, "the lead could not log in"
    return opener


OUTAGE_SECONDS = 60


def waiting_notice(page) -> str:
    """The text of the lead's "emails waiting for a new try" notice, or "" when it is hidden."""
    html = page.content.decode()
    box = re.search(r"<div [^>]*data-progress-waiting( hidden)?[^>]*>\s*<p [^>]*>(.*?)</p>", html, re.S)
    assert box, "the page has no place for the notice"
    return "" if box.group(1) else " ".join(box.group(2).split())


def test_smtp_down_for_the_first_minute_of_a_reminder_wave(postgres, redis_url, tmp_path, proved):
    survey = make_survey()
    region = make_region()
    people = invited_a_week_ago(survey, region, 300, "person")
    lead = Client()
    lead.force_login(lead_of(region, "lead"))
    progress_url = reverse("lead:progress", args=[survey.slug, region.code])
    region_url = reverse("lead:region", args=[survey.slug, region.code])

    smtp_port = free_port()  # nobody listens there for the first minute
    broker = settings.CELERY_BROKER_URL
    processes = {}
    seen = []
    sink = Sink()
    try:
        processes["worker"] = start_worker(
            broker_url=broker,
            var_dir=tmp_path,
            log_path=tmp_path / "worker.log",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=smtp_port,
            EMAIL_TIMEOUT=5,
        )
        processes["beat"] = start_beat(
            broker_url=broker, var_dir=tmp_path, log_path=tmp_path / "beat.log", tick_seconds=3
        )

        # The beat queues the wave; the worker cannot reach the server.
        def waiting():
            progress = lead.get(progress_url).json()["progress"]
            seen.append(progress)
            return progress and progress["kind"] == EmailKind.REMINDER and progress["waiting"] > 0

        wait_for(waiting, seconds=60, processes=processes, what="the first failed attempt")
        outage_began = time.monotonic()
        during = seen[-1]
        assert during["sent"] == 0 and during["pending"] == len(people)
        assert "Kunde inte ansluta" in during["problem"]
        shown = waiting_notice(lead.get(region_url))
        assert "väntar på ett nytt försök" in shown and "Kunde inte ansluta" in shown

        # The lead keeps watching for the rest of the minute.
        while time.monotonic() - outage_began < OUTAGE_SECONDS:
            assert lead.get(progress_url).json()["progress"]["sent"] == 0
            time.sleep(2)
        with SMTPServer(sink, port=smtp_port):
            back_at = time.monotonic()
            wait_for(
                lambda: not reminders_pending(),
                seconds=180,
                processes=processes,
                what="the wave after the server came back",
            )
            recovered_after = time.monotonic() - back_at
            after = lead.get(progress_url).json()["progress"]
            time.sleep(7)  # two more ticks: nothing more is sent
            assert not reminders_pending()
    finally:
        for process in processes.values():
            stop(process)

    assert after["sent"] == len(people) and after["waiting"] == 0 and after["pending"] == 0
    assert waiting_notice(lead.get(region_url)) == ""
    received = Counter(sink.recipients())
    assert received == Counter({p.email: 1 for p in people})
    assert all(m["Subject"].strip().startswith("Påminnelse") for m in sink.messages)
    proved(
        f"SMTP down for the first {OUTAGE_SECONDS} s of a reminder wave to {len(people)} people: the lead saw "
        f"{during['waiting']} emails waiting ({during['problem'][:60]}…), the server came back and the wave "
        f"finished {recovered_after:.0f} s later, each person got exactly one reminder"
    )


def test_the_database_connection_killed_in_the_middle_of_an_answer(postgres, client, proved):
    """The server process of the very connection storing the answer is terminated between two of its inserts."""
    participant = make_participant(make_survey())
    url = reverse("surveys:answer", args=[participant.token])
    five = ["effekt", "samverkan", "digital", "policy", "agil"]
    killed = []

    def kill_before_the_ranking(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "surveys_rankedarea"') and not killed:
            pid = connection.connection.info.backend_pid
            with psycopg.connect(database_url(), autocommit=True) as other:
                other.execute("SELECT pg_terminate_backend(%s)", [pid])
            killed.append(pid)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(kill_before_the_ranking):
        response = client.post(url, ranking_post(five, level="region"))
    assert killed, "the answer never reached the ranked areas"
    assert response.status_code == 503
    page = response.content.decode()
    assert "Ditt svar kunde inte sparas just nu" in page
    assert '<option value="effekt" selected>' in page  # the choices are kept for the next try
    # The participant's row and the response were written in the same
    # transaction as the ranking: nothing of it is left.
    assert Response.objects.count() == 0
    participant.refresh_from_db()
    assert not participant.has_answered

    # The official presses "send" again, twice: one answer.
    first = client.post(url, ranking_post(five, level="region"))
    again = client.post(url, ranking_post(five, level="region"))
    assert (first.status_code, again.status_code) == (302, 302)
    assert Response.objects.count() == 1
    assert RankedArea.objects.count() == 5
    proved(
        f"the database server process of the answering connection (pid {killed[0]}) terminated between the response "
        "and its ranking: a 503 try-again page with the choices kept, nothing stored; the retry stored one answer"
    )


LIMIT_PER_MINUTE = 1000


def test_a_wave_from_three_regions_under_a_per_minute_limit(postgres, redis_url, tmp_path, proved):
    """
    Two workers and a beat on PostgreSQL and Redis send a wave of 2,000
    invitations from three regions under a limit of 1,000 a minute: no
    60-second window at the receiving server holds more than 1,000, everyone
    gets one invitation, and the small regions are done early in the wave.
    """
    survey = make_survey()
    sizes = {"stockholm": 1400, "norrbotten": 400, "skane": 200}
    regions = {code: make_region(code, code.title()) for code in sizes}
    for code, size in sizes.items():
        Participant.objects.bulk_create(
            Participant(survey=survey, region=regions[code], email=f"{code}{i:04d}@kommun.example.se")
            for i in range(size)
        )
    broker = settings.CELERY_BROKER_URL
    processes = {}
    sink = Sink()
    limit = {"EMAIL_LIMIT_PER_MINUTE": LIMIT_PER_MINUTE}
    with SMTPServer(sink) as server:
        try:
            for n in (1, 2):
                (tmp_path / f"worker{n}").mkdir()
                processes[f"worker {n}"] = start_worker(
                    broker_url=broker,
                    var_dir=tmp_path / f"worker{n}",
                    log_path=tmp_path / f"worker{n}.log",
                    EMAIL_HOST="127.0.0.1",
                    EMAIL_PORT=server.port,
                    **limit,
                )
            processes["beat"] = start_beat(
                broker_url=broker, var_dir=tmp_path, log_path=tmp_path / "beat.log", tick_seconds=5, **limit
            )
            started = time.monotonic()
            # Three leads confirm at the same moment (the workers hear of it
            # when all three have committed); the largest region must not
            # hold the others up.
            with transaction.atomic():
                for code in sizes:
                    queueing.queue_invitations(survey=survey, region=regions[code])
            wait_for(
                lambda: not OutgoingEmail.objects.pending().exists(),
                seconds=240,
                processes=processes,
                what="the whole wave",
                log=tmp_path / "worker1.log",
            )
            took = time.monotonic() - started
        finally:
            for process in processes.values():
                stop(process)

    everyone = Participant.objects.filter(survey=survey).values_list("email", flat=True)
    assert Counter(sink.recipients()) == Counter({email: 1 for email in everyone})
    assert set(OutgoingEmail.objects.values_list("status", "attempts")) == {(Status.SENT, 1)}
    busiest = sink.most_in_any_window(60)
    assert busiest <= LIMIT_PER_MINUTE
    # A second window was needed, and it waited for the first to pass.
    assert took >= 60
    order = sink.recipients()
    last = {code: max(i for i, email in enumerate(order) if email.startswith(code)) + 1 for code in sizes}
    # With fair shares each region advances at the same pace: Skåne's 200 are out within the first 3 × 200.
    assert last["skane"] <= 650 and last["norrbotten"] <= 1250
    proved(
        f"a wave of {sum(sizes.values())} invitations from three regions ({', '.join(map(str, sizes.values()))}) "
        f"through two workers and a beat under {LIMIT_PER_MINUTE} a minute: at most {busiest} arrived in any "
        f"60 s at the server, all arrived once in {took:.0f} s; the region of 200 was done after "
        f"{last['skane']} emails, the region of 400 after {last['norrbotten']}"
    )
