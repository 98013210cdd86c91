"""
Sending through real SMTP servers on loopback that behave as the mail
providers our users send from: Microsoft 365 (30 a minute, a daily quota,
OAuth 2.0 sign-in only), a server that answers 452 when it has had enough,
and a token endpoint for the client-credentials flow. In each, every email
arrives exactly once, none is marked failed, and no try is used up.
"""

import logging
from collections import Counter
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from surveys.distribution import queueing, sending, smtp
from surveys.models import OutgoingEmail, SendingState

from .conftest import make_participant, make_region
from .smtp import Limit, Sink, SMTPServer, TokenEndpoint

Status = OutgoingEmail.Status
MICROSOFT_QUOTA = "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message"


@pytest.fixture(autouse=True)
def no_token_kept():
    smtp.forget_token()
    yield
    smtp.forget_token()


def people(survey, count, code="norrbotten", name="Norrbotten"):
    region = make_region(code, name)
    return region, [
        make_participant(survey, region=region, email=f"{code}{i:03d}@kommun.example.se") for i in range(count)
    ]


def send_until_done(time_machine, *, step, rounds=500):
    """What the workers and the sweep do over time: send what may go, let the clock run, again."""
    for _ in range(rounds):
        sending.drain_queue()
        if not OutgoingEmail.objects.pending().exists():
            return
        time_machine.shift(step)
    raise AssertionError("emails still pending")


def assert_each_once_none_failed(sink, everyone):
    assert Counter(sink.recipients()) == Counter({p.email: 1 for p in everyone})
    # Each went once, on its first and only try.
    assert set(OutgoingEmail.objects.values_list("status", "attempts")) == {(Status.SENT, 1)}


def test_thirty_a_minute_to_a_server_that_delays_past_thirty(survey, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    region, everyone = people(survey, 100)
    # Microsoft 365 delays what comes past 30 a minute; we never make it.
    too_fast = Limit(30, 60, "421 4.7.0 Too many messages this minute, slow down")
    sink = Sink(limits=[too_fast])
    with SMTPServer(sink) as server, override_settings(**server.settings(), EMAIL_LIMIT_PER_MINUTE=30):
        queueing.queue_invitations(survey=survey, region=region)
        report, _more = sending.drain_queue()
        assert report.sent == 30
        assert report.hold.reason == "limit_minute"
        assert report.hold.until == timezone.now() + timedelta(minutes=1)
        send_until_done(time_machine, step=timedelta(seconds=7))
    assert_each_once_none_failed(sink, everyone)
    assert too_fast.refused == []
    assert sink.most_in_any_window(60) == 30


def test_limits_per_hour_and_per_day_hold_together(survey, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    region, everyone = people(survey, 60)
    sink = Sink()
    limits = {"EMAIL_LIMIT_PER_MINUTE": 10, "EMAIL_LIMIT_PER_HOUR": 25, "EMAIL_LIMIT_PER_DAY": 40}
    with SMTPServer(sink) as server, override_settings(**server.settings(), **limits):
        queueing.queue_invitations(survey=survey, region=region)
        send_until_done(time_machine, step=timedelta(minutes=3))
    assert_each_once_none_failed(sink, everyone)
    assert sink.most_in_any_window(60) <= 10
    assert sink.most_in_any_window(3600) <= 25
    assert sink.most_in_any_window(24 * 3600) <= 40


def test_a_server_that_answers_452_after_n_messages(survey, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    region, everyone = people(survey, 45)
    enough = Limit(20, 600, "452 4.5.3 Too many messages, try again later")
    sink = Sink(limits=[enough])
    with SMTPServer(sink) as server, override_settings(**server.settings()):
        queueing.queue_invitations(survey=survey, region=region)
        report, _more = sending.drain_queue()
        assert report.sent == 20
        assert report.hold.reason == SendingState.Pause.SERVER_BUSY and "452" in report.hold.reply
        assert OutgoingEmail.objects.filter(status=Status.QUEUED).count() == 25
        send_until_done(time_machine, step=timedelta(minutes=2))
    assert_each_once_none_failed(sink, everyone)
    # Pauses grew while the server kept saying no, and the first email that went cleared them.
    assert len(enough.refused) >= 2
    state = SendingState.objects.get()
    assert (state.pauses_in_a_row, state.pause, state.paused_until) == (0, "", None)


def test_a_spent_daily_quota_pauses_until_the_rolling_day_frees_up(survey, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    region, everyone = people(survey, 80)
    quota = Limit(50, 24 * 3600, MICROSOFT_QUOTA)
    sink = Sink(limits=[quota])
    with SMTPServer(sink) as server, override_settings(**server.settings()):
        queueing.queue_invitations(survey=survey, region=region)
        first_sent = timezone.now()
        report, _more = sending.drain_queue()
        assert report.sent == 50 and report.failed == 0
        assert report.hold.reason == SendingState.Pause.QUOTA
        assert "SubmissionQuotaExceeded" in report.hold.reply
        # Until the first email of the day leaves the 24-hour window.
        assert report.hold.until == first_sent + timedelta(days=1)
        time_machine.shift(timedelta(hours=23, minutes=59))
        assert sending.drain_queue()[0].sent == 0
        time_machine.shift(timedelta(minutes=1))
        send_until_done(time_machine, step=timedelta(hours=1))
    assert_each_once_none_failed(sink, everyone)
    assert len(quota.refused) == 1


def test_oauth2_sign_in_with_a_token_from_the_endpoint(survey, time_machine, caplog):
    time_machine.move_to(timezone.now(), tick=False)
    region, everyone = people(survey, 12)
    caplog.set_level(logging.DEBUG)
    with TokenEndpoint() as endpoint:
        sink = Sink(xoauth2_tokens=endpoint.tokens)
        settings = {**SMTPServer(sink).settings(), **endpoint.settings(), "EMAIL_HOST_USER": "enkat@region.example.se"}
        with SMTPServer(sink, port=settings["EMAIL_PORT"]), override_settings(**settings):
            queueing.queue_invitations(survey=survey, region=region, created_by=None)
            sending.drain_queue(batch_size=5)
    assert_each_once_none_failed(sink, everyone)
    # Three batches, three sign-ins, one token: it is reused until it expires.
    assert [user for user, accepted in sink.sign_ins if accepted] == ["enkat@region.example.se"] * 3
    assert len(endpoint.requests) == 1
    request = endpoint.requests[0]
    assert request["grant_type"] == "client_credentials"
    assert request["scope"] == "https://outlook.office365.com/.default"
    token = next(iter(endpoint.tokens))
    assert token not in caplog.text and endpoint.client_secret not in caplog.text


def test_an_expired_token_is_fetched_again(survey, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    north, north_people = people(survey, 2)
    south, south_people = people(survey, 2, "skane", "Skåne")
    with TokenEndpoint(lifetime=600) as endpoint:
        sink = Sink(xoauth2_tokens=endpoint.tokens)
        settings = {**SMTPServer(sink).settings(), **endpoint.settings(), "EMAIL_HOST_USER": "enkat@region.example.se"}
        with SMTPServer(sink, port=settings["EMAIL_PORT"]), override_settings(**settings):
            queueing.queue_invitations(survey=survey, region=north)
            sending.drain_queue()
            time_machine.shift(timedelta(minutes=7))  # the token still has three minutes
            queueing.queue_invitations(survey=survey, region=south)
            sending.drain_queue()
            assert len(endpoint.requests) == 1
            time_machine.shift(timedelta(minutes=2))  # within two minutes of its expiry
            OutgoingEmail.objects.filter(participant__region=south).update(status=Status.QUEUED, attempts=0)
            sending.drain_queue()
    assert len(endpoint.requests) == 2
    assert Counter(sink.recipients()) == Counter(
        {**{p.email: 1 for p in north_people}, **{p.email: 2 for p in south_people}}
    )


def test_a_refused_sign_in_pauses_sending_and_fails_nothing(survey, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    region, everyone = people(survey, 6)
    with TokenEndpoint() as endpoint:
        refusing = set()  # the server accepts none of the endpoint's tokens (say, the app lost its permission)
        sink = Sink(xoauth2_tokens=refusing)
        settings = {**SMTPServer(sink).settings(), **endpoint.settings(), "EMAIL_HOST_USER": "enkat@region.example.se"}
        with SMTPServer(sink, port=settings["EMAIL_PORT"]), override_settings(**settings):
            queueing.queue_invitations(survey=survey, region=region)
            report, _more = sending.drain_queue()
            assert report.sent == report.failed == 0
            assert report.hold.reason == SendingState.Pause.SIGN_IN
            assert "535" in report.hold.reply
            assert set(OutgoingEmail.objects.values_list("status", "attempts")) == {(Status.QUEUED, 0)}
            # Permission given back: after the pause everything goes, with a new token.
            sink.xoauth2_tokens = endpoint.tokens
            send_until_done(time_machine, step=timedelta(minutes=1))
    assert_each_once_none_failed(sink, everyone)
    assert len(endpoint.requests) >= 2


def test_a_token_endpoint_that_refuses_the_client_pauses_sending(survey, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    region, _everyone = people(survey, 3)
    with TokenEndpoint() as endpoint:
        sink = Sink(xoauth2_tokens=endpoint.tokens)
        settings = {
            **SMTPServer(sink).settings(),
            **endpoint.settings(),
            "EMAIL_OAUTH2_CLIENT_SECRET": "wrong",
            "EMAIL_HOST_USER": "enkat@region.example.se",
        }
        with SMTPServer(sink, port=settings["EMAIL_PORT"]), override_settings(**settings):
            queueing.queue_invitations(survey=survey, region=region)
            report, _more = sending.drain_queue()
    assert report.hold.reason == SendingState.Pause.SIGN_IN
    assert "token endpoint" in report.hold.reply and "wrong" not in report.hold.reply
    assert set(OutgoingEmail.objects.values_list("status", "attempts")) == {(Status.QUEUED, 0)}
    assert sink.messages == []


def test_small_regions_are_not_held_up_by_a_large_one(survey, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    large, large_people = people(survey, 120, "stockholm", "Stockholm")
    small, small_people = people(survey, 10, "norrbotten", "Norrbotten")
    sink = Sink()
    with SMTPServer(sink) as server, override_settings(**server.settings(), EMAIL_LIMIT_PER_MINUTE=20):
        queueing.queue_invitations(survey=survey, region=large)
        queueing.queue_invitations(survey=survey, region=small)
        send_until_done(time_machine, step=timedelta(seconds=20))
    assert_each_once_none_failed(sink, large_people + small_people)
    order = sink.recipients()
    # The large region was queued first, yet the small one is done within its first 20 slots.
    assert max(order.index(p.email) for p in small_people) < 20
