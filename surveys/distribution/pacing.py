"""
How fast email may go: the deployment's sending limits, the pauses the mail
server asks for, and how the pace is shared between regions.

Limits. EMAIL_LIMIT_PER_MINUTE, EMAIL_LIMIT_PER_HOUR and EMAIL_LIMIT_PER_DAY
(none when unset) hold for the mail account, across every worker and
machine and across restarts, because the database is the memory. The
server counts an email when it arrives, which is after we claimed it and
before we recorded it as sent (sent_at). Workers claim emails only while
holding the row lock of the one SendingState row, and a claim at time c
takes no more than the limit less what counts at c: every email claimed or
being sent (whatever its time), every email sent since c - window (by
sent_at), and every uncertain one that may have arrived since then (by the
time it was marked, plus EMAIL_TIMEOUT). Take any window of that length at
the server and the last claim c among the emails that arrived in it: each
other one had been claimed by c, so at c it was either still claimed or
being sent, or its sent_at, at or after its arrival, was inside the window
and after c - window. All were counted at c, so no window of that length
ever holds more than its limit. Counting once per claim, not once per
email, keeps the cost per email small at 10,000 a day.

Emails over a limit stay `queued`, keep their tries, and go when the window
frees up: the worker does not sleep on them; the send task asks to run again
then (if it is soon) or the sweep picks them up (see tasks.py, sweep.py).

Pauses. A mail server that says "not now" (replies.py) pauses sending for
everyone: after a "slow down" for a minute, then two, four, … at most an
hour; after a spent quota until the 24-hour window of what we sent frees
up; after a refused sign-in as for "slow down". The email that met the reply
goes back to the queue as it was. The first email that goes out after a
pause clears the streak.

Fair shares. When the regions' waves wait under one limit, each claim takes
the same number of emails from every region with emails due (round robin,
oldest first within a region), so every wave advances at the same pace in
emails a minute, whatever its size: a region of 300 finishes within its
first 600 slots even beside a region of 12,000.
"""

import uuid
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from surveys.models import OutgoingEmail

from .sending_account import SendingState

Status = OutgoingEmail.Status
Pause = SendingState.Pause

FIRST_PAUSE = timedelta(minutes=1)
LONGEST_PAUSE = timedelta(hours=1)
SHORTEST_QUOTA_PAUSE = timedelta(minutes=5)


@dataclass(frozen=True)
class Window:
    name: str  # "minute", "hour" or "day"
    length: timedelta
    limit: int


@dataclass(frozen=True)
class Hold:
    """Why nothing may go now, and until when."""

    reason: str  # "limit_minute", "limit_hour", "limit_day", or a SendingState.Pause
    until: datetime
    reply: str = ""  # what the mail server said, for a pause it asked for

    def describe(self) -> str:
        return str(HOLD_REASONS.get(self.reason, self.reason))


HOLD_REASONS = {
    "limit_minute": _("the sending limit per minute is reached"),
    "limit_hour": _("the sending limit per hour is reached"),
    "limit_day": _("the sending limit per 24 hours is reached"),
    Pause.SERVER_BUSY: _("the mail server asked us to slow down"),
    Pause.QUOTA: _("the mail account's daily quota is spent"),
    Pause.SIGN_IN: _("the mail server refused our sign-in"),
}


def windows() -> list[Window]:
    """The limits the deployment sets, shortest window first."""
    candidates = [
        ("minute", timedelta(minutes=1), settings.EMAIL_LIMIT_PER_MINUTE),
        ("hour", timedelta(hours=1), settings.EMAIL_LIMIT_PER_HOUR),
        ("day", timedelta(days=1), settings.EMAIL_LIMIT_PER_DAY),
    ]
    return [Window(name, length, limit) for name, length, limit in candidates if limit]


def limited() -> bool:
    return bool(windows())


def _uncertain_arrival() -> timedelta:
    # An uncertain email reached the server, if at all, within the SMTP timeout of its mark.
    return timedelta(seconds=settings.EMAIL_TIMEOUT)


def _counts_since(since: datetime) -> Q:
    """
    The emails that count in a window that began at `since` (see the top of
    this module). Claimed and sending ones are read in the same statement as
    the sent ones: counted apart, an email another worker moves from claimed
    to sending between the two reads would be in neither count.
    """
    return (
        Q(status__in=(Status.CLAIMED, Status.SENDING))
        | Q(status=Status.SENT, sent_at__gt=since)
        | Q(status=Status.UNCERTAIN, claimed_at__gt=since - _uncertain_arrival())
    )


def went_counts(now: datetime, spans: Iterable[timedelta] | None = None) -> dict[timedelta, int]:
    """How many emails count in the span before `now`, for each span (the limits' windows by default). One query."""
    spans = list(spans if spans is not None else (w.length for w in windows()))
    if not spans:
        return {}
    went = OutgoingEmail.objects.filter(_counts_since(now - max(spans)))
    counts = went.aggregate(**{f"s{i}": Count("pk", filter=_counts_since(now - s)) for i, s in enumerate(spans)})
    return {span: counts[f"s{i}"] for i, span in enumerate(spans)}


def went_moments(since: datetime, now: datetime) -> list[datetime]:
    """When each email that counts since `since` reached the server at the latest, oldest first."""
    rows = OutgoingEmail.objects.filter(_counts_since(since)).values_list("status", "sent_at", "claimed_at")
    moments = []
    for status, sent_at, claimed_at in rows:
        if status == Status.SENT and sent_at is not None:
            moments.append(sent_at)
        elif status == Status.UNCERTAIN and claimed_at is not None:
            moments.append(claimed_at + _uncertain_arrival())
        else:
            moments.append(now)  # claimed or being sent: it counts from now at the earliest
    return sorted(moments)


def _frees_at(window: Window, used: int, now: datetime) -> datetime:
    """When a window that holds `used` emails (at least its limit) next has room: its oldest counted one leaves."""
    moments = went_moments(now - window.length, now)
    skip = max(len(moments) - window.limit, 0)
    return (moments[skip] if moments else now) + window.length


def allowance(now: datetime) -> tuple[int | None, Hold | None]:
    """How many emails may go now under the limits (None: no limit), and if none, why and until when."""
    limits = windows()
    if not limits:
        return None, None
    counts = went_counts(now, [w.length for w in limits])
    room = min(w.limit - counts[w.length] for w in limits)
    if room > 0:
        return room, None
    # The window that stays full longest decides when the next email may go.
    full = [(w, counts[w.length]) for w in limits if counts[w.length] >= w.limit]
    until, window = max(((_frees_at(w, used, now), w) for w, used in full), key=lambda pair: pair[0])
    return 0, Hold(reason=f"limit_{window.name}", until=until)


def lock_state(now: datetime) -> SendingState:
    """The SendingState row, locked until the transaction ends. Call inside transaction.atomic()."""
    SendingState.objects.get_or_create(pk=1)
    if connection.vendor == "sqlite":
        # SQLite has no row locks: a write takes the database's write lock instead.
        SendingState.objects.filter(pk=1).update(updated_at=now)
    return SendingState.objects.select_for_update().get(pk=1)


def paused(state: SendingState, now: datetime) -> Hold | None:
    if state.is_paused(now):
        assert state.paused_until is not None
        return Hold(reason=state.pause, until=state.paused_until, reply=state.server_reply)
    return None


def current_hold(now: datetime | None = None) -> Hold | None:
    """Why emails that are due cannot go now (a pause, then a limit), or None. Reads only."""
    now = now or timezone.now()
    state = SendingState.objects.filter(pk=1).first()
    hold = paused(state, now) if state else None
    return hold or allowance(now)[1]


def _mark_sending(email: OutgoingEmail, claim_id: uuid.UUID, *, message_id: str, now: datetime) -> bool:
    return bool(
        OutgoingEmail.objects.filter(pk=email.pk, claim=claim_id, status=Status.CLAIMED).update(
            status=Status.SENDING, claimed_at=now, attempts=email.attempts + 1, message_id=message_id
        )
    )


def mark_sending(email: OutgoingEmail, claim_id: uuid.UUID, *, message_id: str) -> bool:
    """
    The `sending` mark, in a commit of its own right before the SMTP call,
    stamped with the time it is made: False when the claim has lapsed
    (another worker has the row now).
    """
    return _mark_sending(email, claim_id, message_id=message_id, now=timezone.now())


@transaction.atomic
def pause(kind: str, *, reply: str, now: datetime | None = None) -> Hold:
    """
    Pause sending for every worker, as the mail server asked: growing waits
    for "slow down" and a refused sign-in, until the 24-hour window frees up
    for a quota. A pause already running that lasts longer is kept.
    """
    now = now or timezone.now()
    state = lock_state(now)
    wait = min(FIRST_PAUSE * 2**state.pauses_in_a_row, LONGEST_PAUSE)
    until = now + wait
    if kind == Pause.QUOTA:
        moments = went_moments(now - timedelta(days=1), now)
        first = moments[0] if moments else None
        until = max(until, now + SHORTEST_QUOTA_PAUSE, (first + timedelta(days=1)) if first else now)
    if state.paused_until is None or state.paused_until < until:
        state.paused_until = until
    state.pause = kind
    state.server_reply = reply[:500]
    state.pauses_in_a_row += 1
    state.save(update_fields=["paused_until", "pause", "server_reply", "pauses_in_a_row", "updated_at"])
    assert state.paused_until is not None
    return Hold(reason=kind, until=state.paused_until, reply=state.server_reply)


def went_out() -> None:
    """An email went out: the server takes mail again, so the next pause starts short. Writes only after pauses."""
    SendingState.objects.filter(pk=1, pauses_in_a_row__gt=0).update(
        pauses_in_a_row=0, pause=Pause.NONE, server_reply="", paused_until=None
    )


def fair_batch(size: int, now: datetime) -> list[int]:
    """
    Up to `size` ids of due queued emails, shared equally between the regions
    that have any: the oldest of each region in turn (round robin), so that
    every region's wave advances at the same pace. A fixed number of queries
    per region with mail due, whatever the size of the queue.
    """
    due = OutgoingEmail.objects.filter(status=Status.QUEUED, next_attempt_at__lte=now)
    regions = list(due.order_by().values_list("mailing__region_id", flat=True).distinct())
    if len(regions) <= 1:
        return list(due.order_by("next_attempt_at", "id").values_list("pk", flat=True)[:size])
    queues = [
        list(
            due.filter(mailing__region_id=region).order_by("next_attempt_at", "id").values_list("pk", flat=True)[:size]
        )
        for region in sorted(regions)
    ]
    batch: list[int] = []
    for turn in range(size):
        for queue in queues:
            if turn < len(queue):
                batch.append(queue[turn])
        if len(batch) >= size or all(turn >= len(queue) for queue in queues):
            break
    return batch[:size]


def estimate_last(count: int, *, region_id: int | None = None, now: datetime | None = None) -> datetime | None:
    """
    When the last of `count` emails queued now for a region would go, at the
    current limits and pause: the emails already waiting in other regions
    share the pace (each up to `count` of them goes in turn with ours).
    None without limits: then they go as fast as the mail server takes them.
    """
    now = now or timezone.now()
    limits = windows()
    if not limits or count <= 0:
        return None
    waiting = OutgoingEmail.objects.filter(status=Status.QUEUED)
    if region_id is not None:
        waiting = waiting.exclude(mailing__region_id=region_id)
    others = waiting.values("mailing__region_id").annotate(n=Count("pk"))
    ahead = sum(min(row["n"], count) for row in others)
    state = SendingState.objects.filter(pk=1).first()
    start = max(now, state.paused_until) if state and state.paused_until else now
    longest = max(w.length for w in limits)
    went = went_moments(start - longest, now)
    return simulate(count + ahead, limits=limits, went=went, start=start)


def simulate(count: int, *, limits: list[Window], went: list[datetime], start: datetime) -> datetime:
    """The time the last of `count` emails goes under schedule()."""
    return schedule(count, limits=limits, went=went, start=start)[-1]


def schedule(count: int, *, limits: list[Window], went: list[datetime], start: datetime) -> list[datetime]:
    """
    When each of `count` emails goes if each goes as soon as every window has
    room, given the times of the emails that went before (`went`, oldest
    first). Emails are taken to go in no time at all when there is room.
    """
    times = list(went)
    planned: list[datetime] = []
    t = start
    # Each step sends what the windows allow at t, then moves t to when the fullest window next frees a slot.
    while len(planned) < count:
        room = min(w.limit - _in_window(times, t, w.length) for w in limits)
        if room > 0:
            burst = [t] * min(room, count - len(planned))
            times.extend(burst)
            planned.extend(burst)
            continue
        t = max(_next_free(times, t, w) for w in limits if _in_window(times, t, w.length) >= w.limit)
    return planned


def _in_window(times: list[datetime], t: datetime, length: timedelta) -> int:
    return len(times) - bisect_right(times, t - length)


def _next_free(times: list[datetime], t: datetime, window: Window) -> datetime:
    inside = len(times) - bisect_right(times, t - window.length)
    # The (inside - limit + 1)-th oldest mark in the window must leave it.
    oldest = times[len(times) - inside + (inside - window.limit)]
    return oldest + window.length
