"""
Bounces: refusals while sending, bounce reports read over IMAP from a real
mailbox (Debian's dovecot, tests/imap.py), what the lead sees and does.
"""

import io
import re
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys.distribution import bounces, queueing, sending
from surveys.distribution.bounces import Outcome
from surveys.distribution.purge import purge_personal_data
from surveys.distribution.sweep import sweep
from surveys.models import Bounce, OutgoingEmail, Participant, Survey

from . import bounce_reports as reports
from .conftest import make_participant, make_region, need
from .downloads import csv_rows
from .imap import Dovecot, available
from .smtp import Sink, SMTPServer

Status = OutgoingEmail.Status
BOUNCE_SETTINGS = {"BOUNCE_ADDRESS": reports.BOUNCE_ADDRESS}
PROCESSED, UNMATCHED = "MSI-processed", "MSI-unmatched"


@pytest.fixture
def region(db):
    return make_region()


@pytest.fixture
def people(survey, region):
    return [make_participant(survey, region=region, email=f"p{i}@kommun.example.se") for i in range(10)]


@pytest.fixture
def dovecot():
    need(available(), "dovecot-imapd (apt-get install dovecot-imapd)")
    with Dovecot() as server:
        yield server


@pytest.fixture
def mailbox(dovecot):
    with override_settings(**BOUNCE_SETTINGS, **dovecot.settings()):
        yield dovecot


@pytest.fixture
def alice(region):
    lead = User.objects.create_user("alice", "alice@msi.example.se", "x")
    region.leads.add(lead)
    return lead


def invite(survey, region):
    """Queue and send the region's invitations (Django's test outbox), with the bounce address set."""
    with override_settings(**BOUNCE_SETTINGS):
        queueing.queue_invitations(survey=survey, region=region)
        report, more = sending.drain_queue()
    assert not more
    return report


def row(participant) -> OutgoingEmail:
    return OutgoingEmail.objects.get(participant=participant, wave=0)


def verp(participant) -> str:
    email = row(participant)
    with override_settings(**BOUNCE_SETTINGS):
        return bounces.return_address(email.pk, email.attempts)


# The return address -------------------------------------------------------


def test_each_email_goes_out_with_a_signed_return_address_of_its_own(survey, region, people):
    invite(survey, region)
    sent = {message.to[0]: message for message in mail.outbox}
    first, second = sent[people[0].email], sent[people[1].email]
    assert first.from_email == verp(people[0]) != second.from_email
    local = first.from_email.split("@")[0]
    assert local.startswith("bounces+") and len(local) <= 30
    # People see the usual sender; only the envelope carries the tag.
    shown = str(make_header(decode_header(first.message()["From"])))
    assert shown == "Mötesplats Social Innovation <noreply@localhost>"
    assert row(people[0]).message_id == first.message()["Message-ID"]
    with override_settings(**BOUNCE_SETTINGS):
        tags = bounces.read_tags(f"To: {first.from_email}")
    assert tags == [bounces.Tag(row(people[0]).pk, 1, True)]


def test_without_a_bounce_address_the_from_address_is_the_return_address(survey, region, people):
    queueing.queue_invitations(survey=survey, region=region)
    sending.drain_queue()
    assert {m.from_email for m in mail.outbox} == {"Mötesplats Social Innovation <noreply@localhost>"}


# Refusals at sending ------------------------------------------------------


def test_a_recipient_refused_while_sending_bounces_with_the_servers_reply(survey, region, people, time_machine):
    time_machine.move_to(timezone.now())
    refused = people[3].email
    sink = Sink(refuse={refused: "550 5.1.1 <p3@kommun.example.se>: Recipient address rejected: User unknown"})
    with SMTPServer(sink) as server, override_settings(**server.settings(), **BOUNCE_SETTINGS):
        queueing.queue_invitations(survey=survey, region=region)
        report, _ = sending.drain_queue()
    assert (report.sent, report.bounced, report.failed) == (9, 1, 0)
    assert sorted(sink.recipients()) == sorted(p.email for p in people if p.email != refused)
    email = row(people[3])
    assert email.status == Status.BOUNCED and "User unknown" in email.last_error
    bounce = email.bounces.get()
    assert (bounce.kind, bounce.source, bounce.reason, bounce.status_code) == (
        Bounce.Kind.PERMANENT,
        Bounce.Source.SENDING,
        Bounce.Reason.NO_SUCH_ADDRESS,
        "5.1.1",
    )
    assert bounce.address == refused and "Recipient address rejected" in bounce.server_text


def test_a_full_mailbox_refused_while_sending_says_so(survey, region, people, time_machine):
    time_machine.move_to(timezone.now())
    sink = Sink(refuse={people[0].email: "552 5.2.2 Mailbox full"})
    with SMTPServer(sink) as server, override_settings(**server.settings()):
        queueing.queue_invitations(survey=survey, region=region)
        sending.drain_queue()
    assert row(people[0]).bounces.get().reason == Bounce.Reason.MAILBOX_FULL


# Reading the mailbox ------------------------------------------------------


def test_each_kind_of_report_ends_as_it_should_and_a_second_read_changes_nothing(survey, region, people, mailbox):
    invite(survey, region)
    p = people
    mailbox.append(reports.rfc3464(to=verp(p[0]), recipient=p[0].email, message_id=row(p[0]).message_id))
    mailbox.append(reports.exchange_without_headers(recipient=p[1].email))
    mailbox.append(reports.gmail(to=reports.BOUNCE_ADDRESS, recipient=p[2].email, message_id=row(p[2]).message_id))
    mailbox.append(reports.postfix(to=verp(p[3]), recipient=p[3].email, message_id=row(p[3]).message_id))
    mailbox.append(reports.delay(to=verp(p[4]), recipient=p[4].email))
    mailbox.append(reports.out_of_office(to=verp(p[5]), sender=p[5].email))
    forged = re.sub(r"\.[0-9a-f]{10}@", ".0badc0ffee@", verp(p[6]))
    assert forged != verp(p[6])
    mailbox.append(reports.rfc3464(to=forged, recipient=p[6].email, message_id=row(p[6]).message_id))
    mailbox.append(reports.not_a_report())
    mailbox.append(reports.exchange_without_headers(recipient="someone.else@kommun.example.se"))

    out = io.StringIO()
    call_command("read_bounces", stdout=out)
    assert "9 meddelanden lästa och flyttade" in out.getvalue(), out.getvalue()

    status = {person.email: row(person).status for person in p}
    assert [status[person.email] for person in p[:7]] == [
        Status.BOUNCED,  # RFC 3464, matched by its return address
        Status.BOUNCED,  # Exchange without headers, by the recipient and the time
        Status.BOUNCED,  # Gmail to the plain address, by the Message-ID
        Status.BOUNCED,  # Postfix
        Status.SENT,  # one delay notice is no bounce (yet)
        Status.SENT,  # an out-of-office reply is none
        Status.SENT,  # a forged return address is refused
    ]
    reasons = {b.email.participant.email: b.reason for b in Bounce.objects.select_related("email__participant")}
    assert reasons == {
        p[0].email: Bounce.Reason.NO_SUCH_ADDRESS,
        p[1].email: Bounce.Reason.NO_SUCH_ADDRESS,
        p[2].email: Bounce.Reason.NO_SUCH_ADDRESS,
        p[3].email: Bounce.Reason.MAILBOX_FULL,
        p[4].email: Bounce.Reason.DELAYED,
    }
    assert row(p[4]).bounces.get().kind == Bounce.Kind.TEMPORARY
    assert "RecipientNotFound" in row(p[1]).bounces.get().server_text
    # Nothing is deleted: matched reports in one folder, the rest in another.
    assert (mailbox.count("INBOX"), mailbox.count(PROCESSED), mailbox.count(UNMATCHED)) == (0, 5, 4)

    # A second read finds nothing new; the same reports put back change nothing either.
    before = (sorted(OutgoingEmail.objects.values_list("pk", "status")), Bounce.objects.count())
    call_command("read_bounces", stdout=io.StringIO())
    for raw in mailbox.messages(PROCESSED):
        mailbox.append(raw)
    out = io.StringIO()
    call_command("read_bounces", stdout=out)
    assert "lästa förut (inget ändrades): 5" in out.getvalue()
    assert (sorted(OutgoingEmail.objects.values_list("pk", "status")), Bounce.objects.count()) == before


def test_delay_notices_count_as_a_bounce_only_after_several(survey, region, people, mailbox):
    invite(survey, region)
    person = people[0]
    for expected in (Status.SENT, Status.SENT, Status.BOUNCED):
        mailbox.append(reports.delay(to=verp(person), recipient=person.email))
        call_command("read_bounces", stdout=io.StringIO())
        assert row(person).status == expected
    assert row(person).bounces.filter(kind=Bounce.Kind.TEMPORARY).count() == 3
    assert row(person).bounces.first().get_reason_display() == "E-posten kunde inte levereras på länge"


def test_the_sweep_reads_the_mailbox_and_two_sweeps_at_once_read_it_once(survey, region, people, mailbox):
    invite(survey, region)
    mailbox.append(reports.rfc3464(to=verp(people[0]), recipient=people[0].email, message_id="<x@y>"))
    with bounces_lock_held():
        assert sweep().bounces == {}  # another process is reading: this sweep leaves it
    assert row(people[0]).status == Status.SENT
    assert sweep().bounces == {Outcome.BOUNCED: 1}
    assert row(people[0]).status == Status.BOUNCED


def bounces_lock_held():
    """Hold the readers' lock as another process would."""
    from contextlib import contextmanager

    from django.db import connection

    from surveys.distribution import mailbox as mailbox_module

    @contextmanager
    def held():
        if connection.vendor == "postgresql":
            import psycopg

            from .workers import database_url

            with psycopg.connect(database_url(), autocommit=True) as other:
                other.execute("SELECT pg_advisory_lock(%s)", [mailbox_module.ADVISORY_LOCK])
                yield
        else:
            from django.core.cache import cache

            cache.add(mailbox_module.LOCK_KEY, "other", 60)
            yield
            cache.delete(mailbox_module.LOCK_KEY)

    return held()


def test_a_mailbox_that_cannot_be_reached_stops_nothing_else(survey, region, people):
    invite(survey, region)
    with override_settings(BOUNCE_IMAP_HOST="127.0.0.1", BOUNCE_IMAP_PORT=1, BOUNCE_IMAP_SSL=False):
        report = sweep()
        assert report.bounces == {}
        with pytest.raises(Exception, match="could not connect"):
            call_command("read_bounces", stdout=io.StringIO())


def test_a_wrong_password_is_said_plainly(db, mailbox):
    with override_settings(BOUNCE_IMAP_PASSWORD="wrong"), pytest.raises(Exception, match="refused the sign-in"):
        call_command("read_bounces", stdout=io.StringIO())


NASTY = [
    b"",
    b"\x00\xff\xfe garbage",
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=X\r\n\r\n--X\r\n"
    b"Content-Type: message/delivery-status\r\n\r\nAction: failed\r\nFinal-Recipient: rfc822;\r\n--X",
    b"Subject: =?utf-8?b?!!!?=\r\nContent-Type: text/plain; charset=nonexistent-charset\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\n@@@@",
]


def test_broken_messages_in_the_mailbox_never_stop_the_sweep(survey, region, people, mailbox):
    invite(survey, region)
    for raw in NASTY:
        mailbox.append(raw + b"\r\n")
    mailbox.append(reports.rfc3464(to=verp(people[0]), recipient=people[0].email, message_id="<x@y>"))
    assert sweep().bounces[Outcome.BOUNCED] == 1
    assert mailbox.count("INBOX") == 0 and mailbox.count(UNMATCHED) == len(NASTY)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=4000) | st.text(max_size=2000).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_arbitrary_bytes_are_never_taken_for_a_bounce_of_ours(survey, raw):
    with override_settings(**BOUNCE_SETTINGS):
        assert bounces.handle(raw) in (
            Outcome.NOT_A_REPORT,
            Outcome.UNMATCHED,
            Outcome.AUTO_REPLY,
            Outcome.FORGED,
        )
    assert not Bounce.objects.exists()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=st.binary(max_size=300), suffix=st.binary(max_size=300))
def test_a_report_with_garbage_around_it_never_crashes(survey, prefix, suffix):
    raw = prefix + reports.exchange_without_headers(recipient="x@kommun.example.se") + suffix
    with override_settings(**BOUNCE_SETTINGS):
        bounces.handle(raw)  # it may or may not be read as a report; it never raises


# What the lead sees and does ----------------------------------------------


def bounce_some(survey, region, people, mailbox):
    invite(survey, region)
    mailbox.append(
        reports.rfc3464(to=verp(people[0]), recipient=people[0].email, message_id=row(people[0]).message_id)
    )
    mailbox.append(
        reports.postfix(to=verp(people[1]), recipient=people[1].email, message_id=row(people[1]).message_id)
    )
    call_command("read_bounces", stdout=io.StringIO())


def region_url(survey, region, name="region", *args):
    return reverse(f"lead:{name}", args=[survey.slug, region.code, *args])


def test_the_lead_sees_the_bounced_with_the_reason_in_swedish(client, alice, survey, region, people, mailbox):
    bounce_some(survey, region, people, mailbox)
    client.force_login(alice)
    page = client.get(region_url(survey, region), {"status": "bounced"})
    text = page.content.decode()
    assert page.context["counts"]["bounced"] == 2
    assert [p.email for p in page.context["participants"]] == [people[0].email, people[1].email]
    assert "Adressen finns inte" in text and "550 5.1.1 User unknown" in text
    assert "Brevlådan är full" in text and "552 5.2.2 Mailbox full" in text
    assert "Rätta och skicka igen" in text
    dashboard = client.get(reverse("lead:dashboard"))
    assert dict(dashboard.context["surveys"][0]["regions"])[region]["bounced"] == 2


def test_correcting_the_address_sends_the_invitation_once_however_often_it_is_pressed(
    client, alice, survey, region, people, mailbox
):
    bounce_some(survey, region, people, mailbox)
    client.force_login(alice)
    correct = region_url(survey, region, "participant_correct", people[0].pk)
    page = client.get(correct)
    assert "Adressen finns inte" in page.content.decode()
    mail.outbox.clear()
    for _ in range(3):
        response = client.post(correct, {"email": " Ny.Adress@Kommun.Example.SE "})
        assert response.status_code == 302
    with override_settings(**BOUNCE_SETTINGS):
        sending.drain_queue()
        sending.drain_queue()
    assert [m.to for m in mail.outbox] == [["Ny.Adress@kommun.example.se"]]
    email = row(people[0])
    assert email.status == Status.SENT and email.attempts == 2
    # The old bounce stays in the history.
    assert email.bounces.get().address == "p0@kommun.example.se"
    messages = [str(m) for m in client.get(region_url(survey, region)).context["messages"]]
    assert any("redan skickats igen" in m for m in messages), messages


def test_a_late_report_about_the_old_address_changes_nothing(client, alice, survey, region, people, mailbox):
    bounce_some(survey, region, people, mailbox)
    old_return_address = verp(people[0])
    client.force_login(alice)
    client.post(region_url(survey, region, "participant_correct", people[0].pk), {"email": "ny@kommun.example.se"})
    with override_settings(**BOUNCE_SETTINGS):
        sending.drain_queue()
    mailbox.append(reports.rfc3464(to=old_return_address, recipient=people[0].email, message_id="<old@x>"))
    mailbox.append(reports.exchange_without_headers(recipient=people[0].email))
    out = io.StringIO()
    call_command("read_bounces", stdout=out)
    assert row(people[0]).status == Status.SENT
    assert "om en adress som sedan rättats (inget ändrades): 1" in out.getvalue()


def test_an_address_another_participant_has_is_refused(client, alice, survey, region, people, mailbox):
    bounce_some(survey, region, people, mailbox)
    client.force_login(alice)
    page = client.post(region_url(survey, region, "participant_correct", people[0].pk), {"email": people[5].email})
    assert "redan med i enkäten" in page.content.decode()
    assert row(people[0]).status == Status.BOUNCED


def test_bounced_people_get_no_reminders(survey, region, people, mailbox, time_machine):
    bounce_some(survey, region, people, mailbox)
    Survey.objects.filter(pk=survey.pk).update(reminders_on_weekdays_only=False)
    time_machine.move_to(timezone.now() + timedelta(days=8))
    survey.refresh_from_db()
    due = set(queueing.manual_reminder_candidates(survey, region).values_list("email", flat=True))
    assert due == {p.email for p in people[2:]}
    # A reminder queued before the bounce arrived is not sent either.
    queueing.queue_manual_reminder(survey=survey, region=region)
    row_ = OutgoingEmail.objects.get(participant=people[2], wave=1)
    OutgoingEmail.objects.filter(pk=row(people[2]).pk).update(status=Status.BOUNCED)
    sending.drain_queue()
    row_.refresh_from_db()
    assert row_.status == Status.SKIPPED


def test_the_list_download_has_the_bounce_and_its_reason(client, alice, survey, region, people, mailbox):
    bounce_some(survey, region, people, mailbox)
    client.force_login(alice)
    rows = {r[0]: r for r in csv_rows(client.get(region_url(survey, region, "participants_csv")))}
    header = rows["E-post"]
    assert header[-3:] == ["Studsade", "Orsak", "Serverns svar"]
    bounced = dict(zip(header, rows[people[1].email], strict=True))
    assert bounced["Orsak"] == "Brevlådan är full" and "5.2.2" in bounced["Serverns svar"] and bounced["Studsade"]
    assert rows[people[5].email][-3:] == ["", "", ""]


def test_the_purge_keeps_only_the_kind_reason_and_time_of_a_bounce(survey, region, people, mailbox):
    bounce_some(survey, region, people, mailbox)
    Survey.objects.filter(pk=survey.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    survey.refresh_from_db()
    purge_personal_data(survey=survey)
    kept = list(Bounce.objects.values("address", "server_text", "reason", "kind"))
    assert {(b["address"], b["server_text"]) for b in kept} == {("", "")}
    assert {b["reason"] for b in kept} == {Bounce.Reason.NO_SUCH_ADDRESS, Bounce.Reason.MAILBOX_FULL}
    assert not Participant.objects.exclude(email="").exists()


def test_a_batch_of_reminders_asks_once_who_has_bounced(survey, region, people, mailbox, time_machine):
    bounce_some(survey, region, people, mailbox)
    Survey.objects.filter(pk=survey.pk).update(reminders_on_weekdays_only=False)
    time_machine.move_to(timezone.now() + timedelta(days=8))
    survey.refresh_from_db()
    queueing.queue_manual_reminder(survey=survey, region=region)
    with CaptureQueriesContext(connection) as queries:
        sending.drain_queue()
    asked = [q["sql"] for q in queries.captured_queries if "'bounced'" in q["sql"] and "SELECT" in q["sql"]]
    assert len(asked) == 1, asked
    assert OutgoingEmail.objects.filter(wave=1, status=Status.SENT).count() == len(people) - 2
