"""
A bounce drill with every part a real process: two Celery workers and two
beats on Redis, PostgreSQL, gunicorn, an SMTP server on loopback that
refuses some addresses, and Debian's dovecot as the bounce mailbox.

A 2,000-invitation wave: the SMTP server refuses 2 % at RCPT TO, and a
further 5 % bounce later, through reports in the mailbox in the shapes
real servers send (RFC 3464, Exchange without headers, Gmail, Postfix),
among auto-replies and other mail. The lead's counts add up, the reminder
wave skips every bounced person, and a corrected address, confirmed by a
double click on two web processes at once, gets its invitation once.
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

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from surveys.distribution import queueing, selectors
from surveys.models import Bounce, OutgoingEmail, Participant, Survey

from . import bounce_reports as reports
from .conftest import make_region, make_survey, need
from .imap import Dovecot, available
from .smtp import Sink, SMTPServer
from .workers import Web, start_beat, start_worker, stop, wait_for

Status = OutgoingEmail.Status
pytestmark = [pytest.mark.postgres, pytest.mark.drill, pytest.mark.django_db(transaction=True)]

WAVE = 2000
REFUSED = WAVE * 2 // 100  # at RCPT TO
REPORTED = WAVE * 5 // 100  # later, through the mailbox


class EnvelopeSink(Sink):
    """A Sink that also keeps each message's envelope sender, by recipient."""

    def __init__(self, **options):
        super().__init__(**options)
        self.return_paths: dict[str, str] = {}

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        if answer.startswith("250"):
            for recipient in envelope.rcpt_tos:
                self.return_paths[recipient] = envelope.mail_from
        return answer


def _logged_in(base_url, username, password):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    page = opener.open(f"{base_url}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "login": username, "password": password})
    request = urllib.request.Request(
        f"{base_url}/accounts/login/", data=body.encode(), headers={"Referer": f"{base_url}/accounts/login/"}
    )
    landing = opener.open(request).read().decode()
    assert "logout" in landing or "Logga ut" in landing, "the lead could not log in"
    return opener


def _report_for(kind: int, person: Participant, email: OutgoingEmail, return_path: str) -> bytes:
    if kind == 0:
        return reports.rfc3464(to=return_path, recipient=person.email, message_id=email.message_id)
    if kind == 1:
        return reports.exchange_without_headers(recipient=person.email)
    if kind == 2:
        return reports.gmail(to=reports.BOUNCE_ADDRESS, recipient=person.email, message_id=email.message_id)
    return reports.postfix(to=return_path, recipient=person.email, message_id=email.message_id)


def test_a_wave_with_refusals_and_bounce_reports(postgres, redis_url, tmp_path, proved):
    need(available(), "dovecot-imapd (apt-get install dovecot-imapd)")
    started = time.monotonic()
    survey = make_survey()
    Survey.objects.filter(pk=survey.pk).update(
        reminders_on_weekdays_only=False,
        reminder_window_start=dt_time(0, 0),
        reminder_window_end=dt_time(23, 59, 59, 999999),
        reminder_interval_days=7,
        max_reminders=1,
    )
    region = make_region()
    Participant.objects.bulk_create(
        Participant(survey=survey, region=region, email=f"tj{i:04d}@kommun.example.se") for i in range(WAVE)
    )
    people = list(Participant.objects.filter(survey=survey).order_by("email"))
    refused = {p.email for p in people[7::50][:REFUSED]}
    lead = User.objects.create_user("lead", "lead@ltu.example.se", "a-good-password-42")
    region.leads.add(lead)

    sink = EnvelopeSink(refuse={address: "550 5.1.1 Recipient address rejected: User unknown" for address in refused})
    processes = {}
    with SMTPServer(sink) as smtp, Dovecot() as mailbox:
        env = {
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": smtp.port,
            "BOUNCE_ADDRESS": reports.BOUNCE_ADDRESS,
            **{name: str(value) for name, value in mailbox.settings().items()},
            "BOUNCE_IMAP_SSL": "false",
        }
        try:
            for n in (1, 2):
                (tmp_path / f"worker{n}").mkdir()
                processes[f"worker {n}"] = start_worker(
                    broker_url=settings.CELERY_BROKER_URL,
                    var_dir=tmp_path / f"worker{n}",
                    log_path=tmp_path / f"worker{n}.log",
                    **env,
                )
            queueing.queue_invitations(survey=survey, region=region)
            wait_for(
                lambda: not OutgoingEmail.objects.pending().exists(),
                seconds=120,
                processes=processes,
                what="the invitation wave",
                log=tmp_path / "worker1.log",
            )
            sent_at_once = time.monotonic() - started
            assert OutgoingEmail.objects.filter(status=Status.BOUNCED).count() == REFUSED
            assert len(sink.messages) == WAVE - REFUSED

            # 5 % of the delivered bounce later, in the shapes of four kinds of server,
            # among auto-replies and other mail.
            delivered = [p for p in people if p.email not in refused]
            later = delivered[3::19][:REPORTED]
            rows = {e.participant_id: e for e in OutgoingEmail.objects.filter(wave=0)}
            for index, person in enumerate(later):
                return_path = sink.return_paths[person.email]
                mailbox.append(_report_for(index % 4, person, rows[person.pk], return_path))
            for person in delivered[5:15]:
                mailbox.append(reports.out_of_office(to=sink.return_paths[person.email], sender=person.email))
            for _ in range(5):
                mailbox.append(reports.not_a_report())

            # Two beats, by mistake, tick every two seconds: the sweep reads the mailbox.
            for n in (1, 2):
                (tmp_path / f"beat{n}").mkdir()
                processes[f"beat {n}"] = start_beat(
                    broker_url=settings.CELERY_BROKER_URL,
                    var_dir=tmp_path / f"beat{n}",
                    log_path=tmp_path / f"beat{n}.log",
                    tick_seconds=2,
                    **env,
                )
            try:
                wait_for(
                    lambda: (
                        mailbox.count("INBOX") == 0
                        and OutgoingEmail.objects.filter(status=Status.BOUNCED).count() == REFUSED + REPORTED
                    ),
                    seconds=90,
                    processes=processes,
                    what="the bounce reports to be read",
                )
            except AssertionError as error:
                folders = [mailbox.count(f) for f in ("INBOX", "MSI-processed", "MSI-unmatched")]
                bounced = OutgoingEmail.objects.filter(status=Status.BOUNCED).count()
                raise AssertionError(f"{error}: folders {folders}, bounced {bounced}") from None
            counts = selectors.region_counts(survey, [region])[region.pk]
            assert counts["invited"] == WAVE
            assert counts["bounced"] == REFUSED + REPORTED
            assert counts["delivered"] == WAVE - REFUSED - REPORTED
            assert counts["delivered"] + counts["bounced"] + counts["failed"] + counts["pending"] == WAVE
            assert (mailbox.count("MSI-processed"), mailbox.count("MSI-unmatched")) == (REPORTED, 15)

            # A week later the reminders go out, by themselves: to everyone but the bounced.
            OutgoingEmail.objects.filter(wave=0).update(sent_at=timezone.now() - timedelta(days=8))
            wait_for(
                lambda: (
                    OutgoingEmail.objects.filter(wave=1).count() == WAVE - REFUSED - REPORTED
                    and not OutgoingEmail.objects.pending().exists()
                ),
                seconds=120,
                processes=processes,
                what="the reminder wave",
                log=tmp_path / "worker1.log",
            )
            bounced_addresses = refused | {p.email for p in later}
            reminded = Counter(message["To"] for message in sink.messages[WAVE - REFUSED :])
            assert not (set(reminded) & bounced_addresses)
            assert set(reminded.values()) == {1}

            # The lead corrects one address; the confirmation reaches two web processes at once.
            (tmp_path / "web1").mkdir()
            (tmp_path / "web2").mkdir()
            webs = [Web(var_dir=tmp_path / "web1", **env), Web(var_dir=tmp_path / "web2", **env)]
            for n, web in enumerate(webs, start=1):
                processes[f"web {n}"] = web.process
            fixed = later[0]
            opener = _logged_in(webs[0].url, "lead", "a-good-password-42")
            path = f"/lead/{survey.slug}/{region.code}/participants/{fixed.pk}/correct/"
            page = opener.open(webs[0].url + path).read().decode()
            assert "Adressen finns inte" in page
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
            body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "email": "ratt.adress@kommun.example.se"})
            barrier, answers = threading.Barrier(2), []

            def confirm(web):
                barrier.wait(timeout=10)
                request = urllib.request.Request(web.url + path, data=body.encode(), headers={"Referer": web.url})
                answers.append(opener.open(request, timeout=30).status)

            clicks = [threading.Thread(target=confirm, args=(web,)) for web in webs]
            for click in clicks:
                click.start()
            for click in clicks:
                click.join(timeout=60)
            assert answers == [200, 200]
            wait_for(
                lambda: OutgoingEmail.objects.get(participant=fixed, wave=0).status == Status.SENT,
                seconds=60,
                processes=processes,
                what="the corrected invitation",
            )
            time.sleep(5)  # more ticks of both beats: nothing more goes out
        finally:
            for process in processes.values():
                stop(process)
        time.sleep(0.3)
        to_fixed = [m for m in sink.messages if m["To"] == "ratt.adress@kommun.example.se"]

    assert len(to_fixed) == 1
    assert OutgoingEmail.objects.get(participant=fixed, wave=0).bounces.count() == 1  # the history stays
    by_source = Counter(Bounce.objects.values_list("source", flat=True))
    seconds = time.monotonic() - started
    proved(
        f"{WAVE} invitations from two workers in {sent_at_once:.0f} s: the SMTP server refused {REFUSED} at RCPT "
        f"and {REPORTED} more bounced later through the mailbox (RFC 3464, Exchange without headers, Gmail, "
        f"Postfix; read by two beats' sweeps among 15 auto-replies and other mails, which bounced nobody); "
        f"bounces recorded {dict(by_source)}; the counts add up to {WAVE}; "
        f"{sum(reminded.values())} reminders, none to the {len(bounced_addresses)} bounced; "
        f"a corrected address confirmed on two web processes at once got its invitation once; {seconds:.0f} s in all"
    )
