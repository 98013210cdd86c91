"""Sending through a real SMTP server on loopback: one that accepts, one that is busy, one that hangs up."""

from collections import Counter
from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from surveys.distribution import queueing, sending
from surveys.models import OutgoingEmail

from .conftest import make_participant, make_region
from .smtp import Sink, SMTPServer

Status = OutgoingEmail.Status


@pytest.fixture
def thirty(survey):
    region = make_region()
    return region, [make_participant(survey, region=region, email=f"p{i:02d}@kommun.example.se") for i in range(30)]


def send_until_done(time_machine, rounds=20, step=timedelta(minutes=5)):
    for _ in range(rounds):
        sending.drain_queue()
        if not OutgoingEmail.objects.pending().exists():
            return
        time_machine.shift(step)
    raise AssertionError("emails still pending")


def test_every_invitation_arrives_once(survey, thirty, time_machine):
    time_machine.move_to(timezone.now())
    region, people = thirty
    with SMTPServer(Sink()) as server, override_settings(**server.settings()):
        queueing.queue_invitations(survey=survey, region=region)
        send_until_done(time_machine)
        # Sending again sends nothing.
        queueing.queue_invitations(survey=survey, region=region)
        sending.drain_queue()
    assert sorted(server.sink.recipients()) == sorted(p.email for p in people)
    assert server.sink.connections == 1  # one connection for the batch of 30
    message = next(m for m in server.sink.messages if m["To"] == people[0].email)
    assert " ".join(message["List-Unsubscribe"].split()).startswith("<http://testserver/s/")
    assert message["Subject"].strip().startswith("Vilken kunskap")
    text = next(part for part in message.walk() if part.get_content_type() == "text/plain")
    assert f"/s/{people[0].token}/" in text.get_payload(decode=True).decode()
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {Status.SENT}


def test_a_busy_server_gets_every_email_once_in_the_end(survey, thirty, time_machine, client):
    time_machine.move_to(timezone.now())
    region, people = thirty
    with SMTPServer(Sink(busy_for=10)) as server, override_settings(**server.settings()):
        queueing.queue_invitations(survey=survey, region=region)
        report, _more = sending.drain_queue()
        # "Busy, try again later" is not about the address: everyone waits, nobody fails, no try is used.
        assert report.hold.reason == "server_busy" and "451" in report.hold.reply
        assert OutgoingEmail.objects.filter(status=Status.QUEUED).count() == 30
        assert set(OutgoingEmail.objects.values_list("attempts", flat=True)) == {0}
        # Ten "busy" replies in a row: each pause waits twice as long as the one before, at most an hour.
        send_until_done(time_machine, step=timedelta(hours=1))
    assert Counter(server.sink.recipients()) == Counter({p.email: 1 for p in people})
    assert set(OutgoingEmail.objects.values_list("status", "attempts")) == {(Status.SENT, 1)}


def test_a_server_that_hangs_up_mid_batch(survey, thirty, time_machine):
    time_machine.move_to(timezone.now())
    region, people = thirty
    with SMTPServer(Sink(drop_at={5, 17})) as server, override_settings(**server.settings()):
        queueing.queue_invitations(survey=survey, region=region)
        send_until_done(time_machine)
    assert Counter(server.sink.recipients()) == Counter({p.email: 1 for p in people})
    assert server.sink.connections >= 3
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {Status.SENT}


def test_a_refused_address_bounces_and_the_lead_sees_why(survey, thirty, time_machine, client):
    from django.contrib.auth.models import User

    time_machine.move_to(timezone.now())
    region, people = thirty
    refused = people[3].email
    sink = Sink(refuse={refused: "550 5.1.1 Mailbox does not exist"})
    with SMTPServer(sink) as server, override_settings(**server.settings()):
        queueing.queue_invitations(survey=survey, region=region)
        send_until_done(time_machine)
    assert sorted(sink.recipients()) == sorted(p.email for p in people if p.email != refused)
    row = OutgoingEmail.objects.get(participant=people[3])
    assert row.status == Status.BOUNCED and "Mailbox does not exist" in row.last_error

    lead = User.objects.create_user("alice", "a@example.se", "x")
    region.leads.add(lead)
    client.force_login(lead)
    page = client.get(reverse("lead:region", args=[survey.slug, region.code]), {"status": "bounced"})
    text = page.content.decode()
    assert refused in text and "Mailbox does not exist" in text and "Adressen finns inte" in text
    assert page.context["counts"]["bounced"] == 1


def test_a_server_that_is_down_loses_nothing(survey, thirty, time_machine):
    time_machine.move_to(timezone.now())
    region, people = thirty
    sink = Sink()
    server = SMTPServer(sink)
    with override_settings(**server.settings()):
        queueing.queue_invitations(survey=survey, region=region)
        report, _ = sending.drain_queue()  # nobody listening on the port yet
        assert report.sent == 0 and report.released == 30
        assert "Kunde inte ansluta" in OutgoingEmail.objects.first().last_error
        with server:
            send_until_done(time_machine)
    assert Counter(sink.recipients()) == Counter({p.email: 1 for p in people})
