import smtplib
from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from surveys.distribution import queueing, sending
from surveys.distribution.participants import opt_out
from surveys.models import EmailKind, Mailing, OutgoingEmail, Participant
from surveys.services import submit_response
from surveys.tasks import tick

from .conftest import make_participant, make_region, make_survey

STOCKHOLM = ZoneInfo("Europe/Stockholm")
Status = OutgoingEmail.Status
# A Monday morning in Stockholm.
MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=STOCKHOLM)


@pytest.fixture
def region(db):
    return make_region()


@pytest.fixture
def cast(survey, region):
    """alice, bob and carol in Norrbotten; dave elsewhere."""
    people = {
        name: make_participant(survey, region=region, email=f"{name}@kommun.example.se")
        for name in ("alice", "bob", "carol")
    }
    people["dave"] = make_participant(survey, region=make_region("skane", "Skåne"), email="dave@region.example.se")
    return people


def send_all():
    report, more = sending.drain_queue()
    assert not more
    return report


def statuses():
    return dict(OutgoingEmail.objects.values_list("participant__email", "status"))


def test_it_queues_one_invitation_per_person_in_the_region(survey, region, cast, django_capture_on_commit_callbacks):
    with (
        mock.patch("msi_survey.celery.app.send_task") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        mailing, count = queueing.queue_invitations(survey=survey, region=region)
    assert count == 3
    assert delay.call_count == 1
    assert mailing.kind == EmailKind.INVITATION
    assert sorted(statuses()) == ["alice@kommun.example.se", "bob@kommun.example.se", "carol@kommun.example.se"]
    assert set(OutgoingEmail.objects.values_list("wave", flat=True)) == {0}


def test_the_send_is_enqueued_only_after_commit(survey, region, cast, django_capture_on_commit_callbacks):
    with mock.patch("msi_survey.celery.app.send_task") as delay:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            queueing.queue_invitations(survey=survey, region=region)
        assert delay.call_count == 0
        for callback in callbacks:
            callback()
        assert delay.call_count == 1


def test_queueing_twice_queues_nothing_new(survey, region, cast):
    queueing.queue_invitations(survey=survey, region=region)
    mailing, count = queueing.queue_invitations(survey=survey, region=region)
    assert (mailing, count) == (None, 0)
    assert OutgoingEmail.objects.count() == 3
    assert Mailing.objects.count() == 1


def test_it_sends_each_invitation_once(survey, region, cast):
    queueing.queue_invitations(survey=survey, region=region)
    report = send_all()
    assert report.sent == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(statuses())
    assert set(statuses().values()) == {Status.SENT}
    # A second run (a task delivered twice) finds nothing to claim.
    assert send_all().sent == 0
    assert len(mail.outbox) == 3


def test_the_email_carries_the_personal_link_and_the_opt_out(survey, region, cast):
    queueing.queue_invitations(survey=survey, region=region)
    send_all()
    alice = cast["alice"]
    message = next(m for m in mail.outbox if m.to == [alice.email])
    assert f"http://testserver/s/{alice.token}/" in message.body
    assert f"http://testserver/s/{alice.token}/avregistrera/" in message.body
    assert message.extra_headers["List-Unsubscribe"] == f"<http://testserver/s/{alice.token}/avregistrera/>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = message.alternatives[0][0]
    assert f"http://testserver/s/{alice.token}/" in html
    assert "Frågor om enkäten" in message.body
    row = OutgoingEmail.objects.get(participant=alice)
    assert row.message_id == message.extra_headers["Message-ID"]
    assert row.sent_at is not None


def test_nobody_who_answered_or_opted_out_meanwhile_is_emailed(survey, region, cast):
    queueing.queue_invitations(survey=survey, region=region)
    submit_response(participant=cast["alice"], ranking=list(survey.areas.all()[:5]), level="kommun")
    opt_out(participant=cast["bob"])
    report = send_all()
    assert report.sent == 1
    assert [m.to for m in mail.outbox] == [[cast["carol"].email]]
    rows = statuses()
    assert rows[cast["alice"].email] == Status.SKIPPED
    assert rows[cast["bob"].email] == Status.SKIPPED


def test_a_closed_survey_sends_nothing(survey, region, cast, time_machine):
    queueing.queue_invitations(survey=survey, region=region)
    time_machine.move_to(survey.closes_at + timedelta(minutes=1))
    assert send_all().skipped == 3
    assert mail.outbox == []


class FakeConnection:
    """An SMTP connection that fails for some recipients the way a server would."""

    def __init__(self, failures, opened, once=False):
        self.failures = failures
        self.opened = opened
        self.once = once

    def open(self):
        self.opened.append(1)

    def close(self):
        pass

    def send_messages(self, messages):
        to = messages[0].to[0]
        if to in self.failures:
            raise self.failures.pop(to) if self.once else self.failures[to]
        mail.outbox.extend(messages)
        return 1


def with_server(failures, once=False):
    opened = []
    return mock.patch(
        "surveys.distribution.sending.get_connection", return_value=FakeConnection(failures, opened, once)
    ), opened


def test_a_refused_recipient_bounces_with_the_servers_reason(survey, region, cast):
    queueing.queue_invitations(survey=survey, region=region)
    refused = smtplib.SMTPRecipientsRefused({cast["bob"].email: (550, b"5.1.1 No such user")})
    patch, opened = with_server({cast["bob"].email: refused})
    with patch:
        report = send_all()
    assert (report.sent, report.bounced, report.failed) == (2, 1, 0)
    assert len(opened) == 1  # one connection for the batch
    bob = OutgoingEmail.objects.get(participant=cast["bob"])
    assert bob.status == Status.BOUNCED
    assert "550" in bob.last_error and "No such user" in bob.last_error


def test_a_server_that_says_not_now_pauses_everyone_and_uses_no_tries(survey, region, cast, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    queueing.queue_invitations(survey=survey, region=region)
    busy = smtplib.SMTPRecipientsRefused({cast["bob"].email: (451, b"4.7.1 Try again later")})
    patch, _ = with_server({cast["bob"].email: busy}, once=True)
    with patch:
        report = send_all()
        assert (report.sent, report.failed, report.retrying) == (1, 0, 0)
        assert report.hold.reason == "server_busy"
        assert report.hold.until == timezone.now() + timedelta(minutes=1)
        assert "451" in report.hold.reply
        # Bob's email and the one after it wait as they were: no try used up.
        rows = {row.participant.email: row for row in OutgoingEmail.objects.select_related("participant")}
        assert [rows[cast[n].email].status for n in ("alice", "bob", "carol")] == [
            Status.SENT,
            Status.QUEUED,
            Status.QUEUED,
        ]
        assert rows[cast["bob"].email].attempts == 0
        # Not before the pause ends…
        time_machine.shift(timedelta(seconds=59))
        assert send_all().sent == 0
        # …and then each once.
        time_machine.shift(timedelta(seconds=1))
        assert send_all().sent == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(cast[n].email for n in ("alice", "bob", "carol"))


def test_it_gives_up_after_the_last_attempt(survey, region, cast, time_machine):
    time_machine.move_to(timezone.now())
    queueing.queue_invitations(survey=survey, region=region)
    # A passing failure about this one message (not a "slow down"): it is tried again, up to the last try.
    busy = smtplib.SMTPDataError(441, b"4.4.1 No answer from the next host")
    patch, _ = with_server({cast["bob"].email: busy})
    with patch:
        for _ in range(sending.MAX_ATTEMPTS):
            send_all()
            time_machine.shift(timedelta(hours=2))
    bob = OutgoingEmail.objects.get(participant=cast["bob"])
    assert bob.status == Status.FAILED
    assert bob.attempts == sending.MAX_ATTEMPTS
    assert "Gav upp" in bob.last_error


def test_a_dead_server_loses_nothing_and_uses_no_attempts(survey, region, cast, time_machine):
    time_machine.move_to(timezone.now())
    queueing.queue_invitations(survey=survey, region=region)
    with mock.patch("surveys.distribution.sending.get_connection", side_effect=ConnectionRefusedError(111, "refused")):
        report = send_all()
    assert report.released == 3 and report.sent == 0
    assert set(statuses().values()) == {Status.QUEUED}
    assert set(OutgoingEmail.objects.values_list("attempts", flat=True)) == {0}
    assert "Kunde inte ansluta" in OutgoingEmail.objects.first().last_error
    time_machine.shift(timedelta(minutes=1))
    assert send_all().sent == 3


def test_a_connection_dropped_mid_batch(survey, region, cast, time_machine):
    time_machine.move_to(timezone.now())
    queueing.queue_invitations(survey=survey, region=region)
    dropped = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
    patch, opened = with_server({cast["bob"].email: dropped})
    with patch:
        report = send_all()
    # Bob's message may not have gone; he is tried again. Carol gets a new connection.
    assert (report.sent, report.retrying) == (2, 1)
    assert len(opened) == 2
    time_machine.shift(timedelta(minutes=1))
    assert send_all().sent == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for n, p in cast.items() if n != "dave")


def test_a_dead_worker_leaves_rows_in_flight_uncertain_and_the_rest_queued(survey, region, cast, time_machine):
    time_machine.move_to(timezone.now())
    queueing.queue_invitations(survey=survey, region=region)
    rows = sending.claim_batch().rows
    assert len(rows) == 3
    # The worker marked the first one `sending` and died.
    OutgoingEmail.objects.filter(pk=rows[0].pk).update(status=Status.SENDING)
    assert sending.recover_stale() == (0, 0)  # the lease has not run out
    time_machine.shift(timedelta(seconds=601))
    assert sending.recover_stale() == (2, 1)
    assert OutgoingEmail.objects.get(pk=rows[0].pk).status == Status.UNCERTAIN
    assert sending.recover_stale() == (0, 0)
    assert send_all().sent == 2
    assert rows[0].participant.email not in [m.to[0] for m in mail.outbox]


def test_a_worker_whose_claim_lapsed_does_not_send(survey, region, cast, time_machine):
    time_machine.move_to(timezone.now())
    queueing.queue_invitations(survey=survey, region=region)
    batch = sending.claim_batch()
    time_machine.shift(timedelta(seconds=601))
    sending.recover_stale()
    # Another worker takes the rows over; the slow one wakes up and finds them gone.
    report = sending.deliver(batch)
    assert report.sent == 0
    assert mail.outbox == []
    assert send_all().sent == 3


def test_two_workers_never_claim_the_same_row(survey, region, cast):
    queueing.queue_invitations(survey=survey, region=region)
    first = sending.claim_batch(limit=2).rows
    second = sending.claim_batch(limit=2).rows
    assert len(first) == 2 and len(second) == 1
    assert not {r.pk for r in first} & {r.pk for r in second}


# Reminders --------------------------------------------------------------


@pytest.fixture
def invited(db, time_machine):
    """Everyone in Norrbotten invited on a Monday morning; the survey open for six weeks."""
    time_machine.move_to(MONDAY)
    survey = make_survey(opens_in=timedelta(days=-1), closes_in=timedelta(days=42))
    region = make_region()
    people = [make_participant(survey, region=region, email=f"p{i}@kommun.example.se") for i in range(4)]
    queueing.queue_invitations(survey=survey, region=region)
    send_all()
    mail.outbox.clear()
    return survey, region, people


def due(survey):
    return set(queueing.due_reminder_candidates(survey).values_list("email", flat=True))


def test_the_first_reminder_is_due_after_the_interval(invited, time_machine):
    survey, region, people = invited
    time_machine.move_to(MONDAY + timedelta(days=6, hours=23))
    assert due(survey) == set()
    time_machine.move_to(MONDAY + timedelta(days=7, minutes=1))
    assert due(survey) == {p.email for p in people}


def test_reminders_wait_for_office_hours_on_weekdays(invited, time_machine):
    survey, region, people = invited
    time_machine.move_to(MONDAY + timedelta(days=12))  # Saturday
    assert due(survey) == set()
    time_machine.move_to(datetime(2026, 11, 16, 7, 59, tzinfo=STOCKHOLM))  # Monday, before eight
    assert due(survey) == set()
    time_machine.move_to(datetime(2026, 11, 16, 17, 0, tzinfo=STOCKHOLM))  # Monday, five o'clock
    assert due(survey) == set()
    time_machine.move_to(datetime(2026, 11, 16, 8, 0, tzinfo=STOCKHOLM))
    assert len(due(survey)) == 4


def test_no_reminder_for_those_who_answered_opted_out_or_failed(invited, time_machine):
    survey, region, (answered, opted_out, failed, waiting) = invited
    submit_response(participant=answered, ranking=list(survey.areas.all()[:5]), level="kommun")
    opt_out(participant=opted_out)
    OutgoingEmail.objects.filter(participant=failed).update(status=Status.FAILED)
    time_machine.move_to(MONDAY + timedelta(days=7, minutes=1))
    assert due(survey) == {waiting.email}


def test_at_most_two_reminders_each_one_per_wave(invited, time_machine):
    survey, region, people = invited
    time_machine.move_to(MONDAY + timedelta(days=7, minutes=1))
    assert queueing.queue_due_reminders(survey=survey) == {"norrbotten": 4}
    assert queueing.queue_due_reminders(survey=survey) == {}  # queued: not due again
    send_all()
    assert len(mail.outbox) == 4
    assert "Påminnelse" in mail.outbox[0].subject
    assert queueing.queue_due_reminders(survey=survey) == {}  # sent just now
    time_machine.move_to(MONDAY + timedelta(days=14, minutes=2))
    assert queueing.queue_due_reminders(survey=survey) == {"norrbotten": 4}
    send_all()
    time_machine.move_to(MONDAY + timedelta(days=21, minutes=3))
    assert queueing.queue_due_reminders(survey=survey) == {}  # max_reminders reached
    waves = sorted(OutgoingEmail.objects.filter(participant=people[0]).values_list("wave", flat=True))
    assert waves == [0, 1, 2]


def test_never_after_closing(invited, time_machine):
    survey, region, people = invited
    time_machine.move_to(survey.closes_at + timedelta(hours=1))
    assert due(survey) == set()
    assert queueing.queue_due_reminders(survey=survey) == {}


def test_a_reminder_is_checked_again_when_sent(invited, time_machine):
    survey, region, (alice, *others) = invited
    time_machine.move_to(MONDAY + timedelta(days=7, minutes=1))
    queueing.queue_due_reminders(survey=survey)
    submit_response(participant=alice, ranking=list(survey.areas.all()[:5]), level="kommun")
    send_all()
    assert alice.email not in [m.to[0] for m in mail.outbox]
    assert len(mail.outbox) == 3


def test_the_answer_records_which_email_brought_it(invited, time_machine):
    survey, region, (alice, bob, *others) = invited
    submit_response(participant=alice, ranking=list(survey.areas.all()[:5]), level="kommun")
    time_machine.move_to(MONDAY + timedelta(days=7, minutes=1))
    queueing.queue_due_reminders(survey=survey)
    send_all()
    submit_response(participant=bob, ranking=list(survey.areas.all()[:5]), level="kommun")
    waves = dict(Participant.objects.filter(answered_at__isnull=False).values_list("email", "answered_after_wave"))
    assert waves == {alice.email: 0, bob.email: 1}


def test_a_manual_reminder_reaches_only_those_not_emailed_for_a_day(invited, time_machine):
    survey, region, (alice, bob, *others) = invited
    time_machine.move_to(MONDAY + timedelta(hours=23))
    assert queueing.manual_reminder_candidates(survey, region).count() == 0
    time_machine.move_to(MONDAY + timedelta(days=1, minutes=1))
    submit_response(participant=alice, ranking=list(survey.areas.all()[:5]), level="kommun")
    assert queueing.manual_reminder_candidates(survey, region).count() == 3
    _, count = queueing.queue_manual_reminder(survey=survey, region=region)
    assert count == 3
    # A double click queues nothing more.
    assert queueing.queue_manual_reminder(survey=survey, region=region) == (None, 0)
    send_all()
    assert queueing.queue_manual_reminder(survey=survey, region=region) == (None, 0)
    assert bob.email in [m.to[0] for m in mail.outbox]


def test_manual_reminders_keep_to_the_surveys_cap(invited, time_machine):
    survey, region, people = invited
    for day in (1, 2):
        time_machine.move_to(MONDAY + timedelta(days=day, hours=day))
        assert queueing.queue_manual_reminder(survey=survey, region=region)[1] == 4
        send_all()
    time_machine.move_to(MONDAY + timedelta(days=4))
    assert survey.max_reminders == 2
    assert queueing.manual_reminder_candidates(survey, region).count() == 0
    assert queueing.queue_manual_reminder(survey=survey, region=region) == (None, 0)
    assert sorted(OutgoingEmail.objects.filter(participant=people[0]).values_list("wave", flat=True)) == [0, 1, 2]


def test_the_tick_queues_due_reminders_and_dispatches(invited, time_machine, django_capture_on_commit_callbacks):
    survey, region, people = invited
    time_machine.move_to(MONDAY + timedelta(days=7, hours=1))
    with (
        mock.patch("msi_survey.celery.app.send_task") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        tick()
        tick()  # by mistake, a second beat
    assert OutgoingEmail.objects.filter(wave=1).count() == 4
    assert delay.called


def test_the_tick_redispatches_a_lost_enqueue(survey, region, cast):
    with mock.patch("msi_survey.celery.app.send_task", side_effect=ConnectionError("broker down")):
        queueing.queue_invitations(survey=survey, region=region)  # on_commit runs at once outside a transaction
    with mock.patch("msi_survey.celery.app.send_task") as delay:
        tick()
    delay.assert_called_once_with(queueing.SEND_QUEUED_EMAILS)


def test_distribution_dispatches_by_the_name_of_a_task_celery_knows():
    from msi_survey.celery import app

    app.loader.import_default_modules()
    assert queueing.SEND_QUEUED_EMAILS in app.tasks
