"""
The pace of sending (surveys/distribution/pacing.py): limits that hold
across workers, fair shares between regions, reminders that keep their
window when held back, and what the lead and staff are told.
"""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.distribution import pacing, queueing, sending
from surveys.distribution.labels import duration_text, moment_text
from surveys.models import OutgoingEmail, Participant, SendingState

from .conftest import make_participant, make_region, make_survey

STOCKHOLM = ZoneInfo("Europe/Stockholm")
Status = OutgoingEmail.Status
MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=STOCKHOLM)


def invite(survey, count, code="norrbotten", name="Norrbotten"):
    region = make_region(code, name)
    for i in range(count):
        make_participant(survey, region=region, email=f"{code}{i:03d}@kommun.example.se")
    queueing.queue_invitations(survey=survey, region=region)
    return region


# The schedule that estimates rest on --------------------------------------------------


def most_in_window(times, length):
    times = sorted(times)
    most, start = 0, 0
    for end, moment in enumerate(times):
        while times[start] <= moment - length:
            start += 1
        most = max(most, end - start + 1)
    return most


@settings(max_examples=60, deadline=None)
@given(
    count=st.integers(1, 300),
    per_minute=st.one_of(st.none(), st.integers(1, 40)),
    per_hour=st.one_of(st.none(), st.integers(1, 200)),
    earlier=st.lists(st.integers(0, 3600 * 3), max_size=60),
)
def test_the_schedule_never_puts_more_in_a_window_than_its_limit(count, per_minute, per_hour, earlier):
    limits = [
        pacing.Window(name, length, limit)
        for name, length, limit in (
            ("minute", timedelta(minutes=1), per_minute),
            ("hour", timedelta(hours=1), per_hour),
        )
        if limit
    ] or [pacing.Window("day", timedelta(days=1), 500)]
    start = datetime(2026, 11, 2, 12, 0, tzinfo=STOCKHOLM)
    went = sorted(start - timedelta(seconds=s) for s in earlier)
    planned = pacing.schedule(count, limits=limits, went=went, start=start)
    assert len(planned) == count
    assert planned == sorted(planned) and planned[0] >= start
    for window in limits:
        # Whatever went before counts too, as it does for the real limits.
        recent = [t for t in went if t > start - window.length] + planned
        allowed = max(window.limit, most_in_window([t for t in went if t > start - window.length], window.length))
        assert most_in_window(recent, window.length) <= allowed


def test_a_hundred_emails_at_thirty_a_minute_take_three_minutes():
    start = datetime(2026, 11, 2, 12, 0, tzinfo=STOCKHOLM)
    limits = [pacing.Window("minute", timedelta(minutes=1), 30)]
    planned = pacing.schedule(100, limits=limits, went=[], start=start)
    assert planned[29] == start and planned[30] == start + timedelta(minutes=1)
    assert planned[-1] == start + timedelta(minutes=3)


def test_durations_and_moments_read_as_people_say_them():
    now = datetime(2026, 11, 2, 9, 0, tzinfo=STOCKHOLM)  # a Monday
    with timezone.override(STOCKHOLM):
        assert duration_text(timedelta(hours=6, minutes=40)) == "ungefär 6 h 40 min"
        assert duration_text(timedelta(days=4, hours=23, minutes=50)) == "ungefär 4 dagar 23 h"
        assert duration_text(timedelta(seconds=20)) == "mindre än en minut"
        assert moment_text(now + timedelta(hours=5, minutes=20), now) == "i dag omkring 14:20"
        assert moment_text(now + timedelta(days=1, hours=5, minutes=20), now) == "i morgon omkring 14:20"
        assert moment_text(now + timedelta(days=2, hours=5, minutes=20), now) == "onsdag omkring 14:20"
        assert moment_text(now + timedelta(days=30), now) == "2 december omkring 09:00"


# Limits, fair shares and pauses with the database ---------------------------------


def test_claims_share_the_pace_between_regions(survey):
    invite(survey, 12, "stockholm", "Stockholm")
    invite(survey, 3, "norrbotten", "Norrbotten")
    invite(survey, 1, "skane", "Skåne")
    batch = sending.claim_batch(limit=6)
    regions = [row.mailing.region.code for row in batch.rows]
    # Two turns of every region with emails due, then the large one alone.
    assert sorted(regions) == ["norrbotten", "norrbotten", "skane", "stockholm", "stockholm", "stockholm"]


@override_settings(EMAIL_LIMIT_PER_MINUTE=5)
def test_no_more_is_claimed_than_the_limits_leave_room_for(survey, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    invite(survey, 12)
    assert len(sending.claim_batch().rows) == 5
    # The five claimed count against the room until they are sent or released.
    batch = sending.claim_batch()
    assert batch.rows == [] and batch.hold is not None and batch.hold.reason == "limit_minute"


@override_settings(EMAIL_LIMIT_PER_MINUTE=5)
def test_claimed_sending_and_sent_are_counted_in_one_read(survey, time_machine, django_assert_num_queries):
    # Counted in separate reads, a row another worker moves from claimed to
    # sending between them is in neither, and one email too many is claimed.
    time_machine.move_to(timezone.now(), tick=False)
    invite(survey, 5)
    first = sending.claim_batch(limit=2)
    OutgoingEmail.objects.filter(pk=first.rows[0].pk).update(status=Status.SENDING)
    OutgoingEmail.objects.filter(pk=first.rows[1].pk).update(status=Status.SENT, sent_at=timezone.now())
    sending.claim_batch(limit=1)
    with django_assert_num_queries(1):
        room, hold = pacing.allowance(timezone.now())
    assert (room, hold) == (2, None)


@pytest.mark.django_db(transaction=True)
@override_settings(EMAIL_LIMIT_PER_MINUTE=25, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
def test_four_workers_at_once_send_no_more_than_the_limit(postgres):
    survey = make_survey()
    invite(survey, 120)
    errors = []

    def worker():
        try:
            sending.drain_queue(batch_size=7)
        except Exception as error:  # pragma: no cover - shown below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert OutgoingEmail.objects.filter(status=Status.SENT).count() == 25
    assert len(mail.outbox) == 25
    assert OutgoingEmail.objects.filter(status=Status.QUEUED, attempts=0).count() == 95


@override_settings(EMAIL_LIMIT_PER_DAY=3)
def test_emails_over_the_limit_wait_with_their_tries(survey, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    invite(survey, 5)
    report, more = sending.drain_queue()
    assert (report.sent, more) == (3, False)
    assert report.hold.reason == "limit_day"
    assert report.hold.until == timezone.now() + timedelta(days=1)
    assert list(OutgoingEmail.objects.filter(status=Status.QUEUED).values_list("attempts", flat=True)) == [0, 0]
    assert pacing.current_hold() == report.hold


def test_a_pause_grows_while_the_server_keeps_saying_no(db, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    now = timezone.now()
    waits = [pacing.pause(SendingState.Pause.SERVER_BUSY, reply="421", now=now).until - now for _ in range(9)]
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert waits[-1] == timedelta(hours=1)
    pacing.went_out()
    # An email went out: the next pause starts short again.
    assert pacing.pause(SendingState.Pause.SERVER_BUSY, reply="421", now=now).until - now == timedelta(minutes=1)


def test_the_sweep_does_not_wake_the_workers_while_sending_is_paused(survey, time_machine, monkeypatch):
    from surveys.distribution import sweep as sweep_module

    time_machine.move_to(timezone.now(), tick=False)
    invite(survey, 2)
    dispatched = []
    monkeypatch.setattr(sweep_module, "dispatch", lambda: dispatched.append(1))
    pacing.pause(SendingState.Pause.SERVER_BUSY, reply="421 4.7.0 Try again later")
    assert sweep_module.sweep().dispatched is False
    time_machine.shift(timedelta(minutes=1))
    assert sweep_module.sweep().dispatched is True
    assert dispatched == [1]


# Reminders held back by a limit -------------------------------------------------------


@pytest.fixture
def reminded(db, time_machine):
    """Everyone invited on a Monday; their scheduled reminder queued the Monday after, at 16:59."""
    time_machine.move_to(MONDAY, tick=False)
    survey = make_survey(opens_in=timedelta(days=-1), closes_in=timedelta(days=30))
    region = invite(survey, 3)
    sending.drain_queue()
    time_machine.move_to(MONDAY + timedelta(days=7, hours=7, minutes=59), tick=False)
    assert survey.in_reminder_window(timezone.now())
    assert queueing.queue_due_reminders(survey=survey) == {region.code: 3}
    return survey


@override_settings(EMAIL_LIMIT_PER_MINUTE=1)
def test_a_reminder_held_past_its_window_waits_for_the_next_one(reminded, time_machine):
    report, _more = sending.drain_queue()
    assert report.sent == 1
    # 17:01: the window has closed while two waited for the limit.
    time_machine.shift(timedelta(minutes=2))
    more = True
    while more:
        report, more = sending.drain_queue()
        assert report.sent == 0
    tuesday_morning = datetime(2026, 11, 10, 8, 0, tzinfo=STOCKHOLM)
    waiting = OutgoingEmail.objects.filter(wave=1, status=Status.QUEUED)
    assert waiting.count() == 2
    assert set(waiting.values_list("next_attempt_at", "attempts")) == {(tuesday_morning, 0)}


@override_settings(EMAIL_LIMIT_PER_MINUTE=1)
def test_a_held_reminder_checks_the_rules_again_when_it_goes(reminded, time_machine):
    from surveys.distribution.participants import opt_out

    sending.drain_queue()
    someone = Participant.objects.filter(emails__wave=1, emails__status=Status.QUEUED).first()
    opt_out(participant=someone)
    time_machine.move_to(datetime(2026, 11, 10, 8, 0, tzinfo=STOCKHOLM), tick=False)
    sending.drain_queue()
    time_machine.shift(timedelta(minutes=1))
    sending.drain_queue()
    assert OutgoingEmail.objects.get(participant=someone, wave=1).status == Status.SKIPPED
    assert OutgoingEmail.objects.filter(wave=1, status=Status.SENT).count() == 2


@override_settings(EMAIL_LIMIT_PER_MINUTE=1)
def test_a_reminder_held_past_closing_is_not_sent(db, time_machine):
    time_machine.move_to(MONDAY, tick=False)
    survey = make_survey(opens_in=timedelta(days=-1), closes_in=timedelta(days=7, hours=8))  # closes Monday 17:00
    region = invite(survey, 2)
    sending.drain_queue()
    time_machine.shift(timedelta(minutes=2))
    sending.drain_queue()
    time_machine.move_to(MONDAY + timedelta(days=7, hours=7, minutes=59), tick=False)
    assert queueing.queue_due_reminders(survey=survey) == {region.code: 2}
    sending.drain_queue()
    time_machine.shift(timedelta(minutes=2))  # 17:01, and the survey has closed
    sending.drain_queue()
    assert OutgoingEmail.objects.filter(wave=1, status=Status.SENT).count() == 1
    assert OutgoingEmail.objects.filter(wave=1, status=Status.SKIPPED).count() == 1


# What the lead and staff see ------------------------------------------------------------


@pytest.fixture
def lead_client(client, db):
    from django.contrib.auth.models import User

    alice = User.objects.create_user("alice", password="pw-for-tests-only")
    make_region().leads.add(alice)
    client.force_login(alice)
    return client


@override_settings(EMAIL_LIMIT_PER_MINUTE=30)
def test_before_sending_the_lead_sees_how_long_it_will_take(lead_client, time_machine):
    time_machine.move_to(datetime(2026, 11, 2, 9, 0, tzinfo=STOCKHOLM), tick=False)
    survey = make_survey()
    region = make_region()
    for i in range(200):
        make_participant(survey, region=region, email=f"p{i:03d}@kommun.example.se")
    page = lead_client.get(reverse("lead:invite", args=[survey.slug, region.code])).content.decode()
    assert "tar det ungefär 6 min" in page
    assert "de sista går i dag omkring 09:06" in page


@override_settings(EMAIL_LIMIT_PER_MINUTE=2)
def test_the_lead_sees_why_emails_wait_and_until_when(lead_client, time_machine):
    time_machine.move_to(datetime(2026, 11, 2, 9, 0, tzinfo=STOCKHOLM), tick=False)
    survey = make_survey()
    region = invite(survey, 5)
    sending.drain_queue()
    data = lead_client.get(reverse("lead:progress", args=[survey.slug, region.code])).json()
    progress = data["progress"]
    assert (progress["sent"], progress["pending"]) == (2, 3)
    assert progress["held"]["reason"] == "limit_minute"
    assert "sändningsgränsen per minut" in progress["held_text"]
    assert "i dag omkring 09:01" in progress["held_text"]
    assert "de sista går i dag omkring 09:02" in progress["held_text"].lower()
    page = lead_client.get(reverse("lead:region", args=[survey.slug, region.code])).content.decode()
    assert "sändningsgränsen per minut" in page


def test_the_lead_reads_the_servers_reply_when_it_asked_to_slow_down(lead_client, time_machine):
    time_machine.move_to(datetime(2026, 11, 2, 9, 0, tzinfo=STOCKHOLM), tick=False)
    survey = make_survey()
    region = invite(survey, 2)
    pacing.pause(SendingState.Pause.SERVER_BUSY, reply="E-postservern svarade 421: 4.7.0 Try again later")
    text = lead_client.get(reverse("lead:progress", args=[survey.slug, region.code])).json()["progress"]["held_text"]
    assert "bad oss att sakta ner" in text and "4.7.0 Try again later" in text and "09:01" in text


@override_settings(EMAIL_LIMIT_PER_MINUTE=30, EMAIL_LIMIT_PER_DAY=10000)
def test_staff_see_the_whole_queue(client, db, time_machine):
    from django.contrib.auth.models import User

    time_machine.move_to(datetime(2026, 11, 2, 9, 0, tzinfo=STOCKHOLM), tick=False)
    survey = make_survey()
    invite(survey, 40, "stockholm", "Stockholm")
    invite(survey, 5, "skane", "Skåne")
    sending.drain_queue()
    staff = User.objects.create_user("staff", password="pw-for-tests-only", is_staff=True)
    client.force_login(staff)
    page = client.get(reverse("lead:sending")).content.decode()
    assert "sändningsgränsen per minut" in page
    # Both regions shared the first 30 slots: Skåne's five are all out, fifteen of Stockholm's wait.
    assert "Skåne" not in page
    assert '<th scope="row">Stockholm</th><td class="text-end">15</td>' in page
    for text in (">30<", ">10000<"):
        assert text in page
    lead = User.objects.create_user("lead", password="pw-for-tests-only")
    make_region().leads.add(lead)
    client.force_login(lead)
    assert client.get(reverse("lead:sending")).status_code == 403


def test_staff_can_end_a_pause_by_hand_in_the_admin(client, db):
    from django.contrib.auth.models import User

    pacing.pause(SendingState.Pause.SIGN_IN, reply="535 5.7.3 Authentication unsuccessful")
    assert pacing.current_hold() is not None
    client.force_login(User.objects.create_superuser("staff", "staff@example.se", "pw-for-tests-only"))
    url = reverse("admin:surveys_sendingstate_change", args=[1])
    page = client.get(url).content.decode()
    assert "535 5.7.3 Authentication unsuccessful" in page
    response = client.post(url, {"paused_until_0": "", "paused_until_1": ""})
    assert response.status_code == 302
    assert pacing.current_hold() is None
