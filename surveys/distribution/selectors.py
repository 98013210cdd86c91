"""Read-side queries of distribution, for the lead's pages and for answering; aggregates are done in SQL."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypedDict

from django.core.cache import cache
from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from surveys.models import Bounce, Mailing, OutgoingEmail, Participant, Region, Survey

from . import labels, pacing

Status = OutgoingEmail.Status

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class LastEmail(TypedDict):
    """What participants_for_lead() tells of each participant's last email."""

    last_wave: int | None
    last_status: str | None
    last_sent_at: datetime | None
    last_error: str | None
    bounce_reason: str | None
    bounce_text: str | None
    bounce_code: str | None
    bounce_at: datetime | None


def wave_that_reached(participant_ref: str) -> Subquery:
    """
    The wave of the last email that went out to the participant whose id is
    the outer query's `participant_ref` column (0 = the invitation, k =
    reminder k), or null: the email that brought their answer.
    """
    last = (
        OutgoingEmail.objects.filter(participant=OuterRef(participant_ref), status__in=[Status.SENT, Status.UNCERTAIN])
        .order_by("-wave")
        .values("wave")[:1]
    )
    return Subquery(last)


def region_counts(survey: Survey, regions: Sequence[Region]) -> dict[int, dict]:
    """
    Per region id: invited, delivered, failed, bounced, uncertain, opted_out,
    answered, pending and response_rate (percent, or None with no one invited). One query.
    """
    emails = OutgoingEmail.objects.filter(participant=OuterRef("pk"))
    rows = (
        Participant.objects.filter(survey=survey, region__in=regions)
        .annotate(
            delivered=Exists(emails.filter(wave=0, status=Status.SENT)),
            failed=Exists(emails.filter(status=Status.FAILED)),
            bounced=Exists(emails.filter(status=Status.BOUNCED)),
            uncertain=Exists(emails.filter(status=Status.UNCERTAIN)),
            pending=Exists(emails.filter(status__in=OutgoingEmail.PENDING)),
        )
        .values("region_id")
        .annotate(
            invited=Count("pk"),
            delivered_count=Count("pk", filter=Q(delivered=True)),
            failed_count=Count("pk", filter=Q(failed=True)),
            bounced_count=Count("pk", filter=Q(bounced=True)),
            uncertain_count=Count("pk", filter=Q(uncertain=True)),
            pending_count=Count("pk", filter=Q(pending=True)),
            opted_out=Count("pk", filter=Q(opted_out_at__isnull=False)),
            answered=Count("pk", filter=Q(answered_at__isnull=False)),
        )
    )
    counts = {}
    for row in rows:
        counts[row["region_id"]] = {
            "invited": row["invited"],
            "delivered": row["delivered_count"],
            "failed": row["failed_count"],
            "bounced": row["bounced_count"],
            "uncertain": row["uncertain_count"],
            "pending": row["pending_count"],
            "opted_out": row["opted_out"],
            "answered": row["answered"],
            "response_rate": round(100 * row["answered"] / row["invited"]) if row["invited"] else None,
        }
    empty = dict.fromkeys(
        ["invited", "delivered", "failed", "bounced", "uncertain", "pending", "opted_out", "answered"], 0
    )
    return {region.pk: counts.get(region.pk, {**empty, "response_rate": None}) for region in regions}


def answers_by_wave(survey: Survey, region: Region) -> list[tuple[int | None, int]]:
    """[(wave, answers)]: None = before any email, 0 = after the invitation, k = after reminder k."""
    rows = (
        Participant.objects.filter(survey=survey, region=region, answered_at__isnull=False)
        .values("answered_after_wave")
        .annotate(n=Count("pk"))
        .order_by("answered_after_wave")
    )
    return [(row["answered_after_wave"], row["n"]) for row in rows]


PARTICIPANT_FILTERS = {
    "answered": Q(answered_at__isnull=False),
    "not_answered": Q(answered_at__isnull=True, opted_out_at__isnull=True),
    "opted_out": Q(opted_out_at__isnull=False),
    "not_invited": ~Q(emails__wave=0),
    "failed": Q(emails__status=Status.FAILED),
    "bounced": Q(emails__status=Status.BOUNCED),
    "uncertain": Q(emails__status=Status.UNCERTAIN),
}


def participants_for_lead(
    survey: Survey, region: Region, *, search: str = "", status: str = ""
) -> "QuerySet[WithAnnotations[Participant, LastEmail]]":
    """
    The region's participants with their last email (wave, status, time,
    error) and, when an email of theirs bounced, the latest bounce's reason,
    the server's words, status code and time; never their answers.
    """
    last = OutgoingEmail.objects.filter(participant=OuterRef("pk")).order_by("-wave")
    bounce = Bounce.objects.filter(email__participant=OuterRef("pk"), email__status=Status.BOUNCED).order_by(
        "-occurred_at", "-pk"
    )
    participants = Participant.objects.filter(survey=survey, region=region)
    if search:
        participants = participants.filter(
            Q(email__icontains=search) | Q(name__icontains=search) | Q(organisation__icontains=search)
        )
    if status in PARTICIPANT_FILTERS:
        participants = participants.filter(PARTICIPANT_FILTERS[status]).distinct()
    return participants.annotate(
        last_wave=Subquery(last.values("wave")[:1]),
        last_status=Subquery(last.values("status")[:1]),
        last_sent_at=Subquery(last.values("sent_at")[:1]),
        last_error=Subquery(last.values("last_error")[:1]),
        bounce_reason=Subquery(bounce.values("reason")[:1]),
        bounce_text=Subquery(bounce.values("server_text")[:1]),
        bounce_code=Subquery(bounce.values("status_code")[:1]),
        bounce_at=Subquery(bounce.values("occurred_at")[:1]),
    ).order_by("email")


def latest_mailing_progress(survey: Survey, region: Region) -> dict | None:
    """How far the region's latest send has come: total, done, sent, failed, pending and the rest."""
    mailing = Mailing.objects.filter(survey=survey, region=region).order_by("-created_at", "-id").first()
    if mailing is None:
        return None
    counts = dict(mailing.emails.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    total = sum(counts.values())
    pending = sum(counts.get(s, 0) for s in OutgoingEmail.PENDING)
    # Emails that failed for a passing reason (the mail server down or busy)
    # and wait in the queue for their next try: the lead sees how many, why,
    # and when the next try is, until they are sent.
    waiting = mailing.emails.filter(status=Status.QUEUED).exclude(last_error="")
    retry = waiting.aggregate(n=Count("pk"), next_try=Min("next_attempt_at"))
    problem = waiting.order_by("-next_attempt_at").values_list("last_error", flat=True).first() if retry["n"] else ""
    held = hold_for_lead(region, now=timezone.now()) if pending else None
    return {
        "held": held,
        "mailing": mailing.pk,
        "kind": mailing.kind,
        "kind_label": str(mailing.get_kind_display()),
        "created_at": mailing.created_at.isoformat(),
        "total": total,
        "done": total - pending,
        "pending": pending,
        "sent": counts.get(Status.SENT, 0),
        "failed": counts.get(Status.FAILED, 0),
        "skipped": counts.get(Status.SKIPPED, 0),
        "uncertain": counts.get(Status.UNCERTAIN, 0),
        "percent": round(100 * (total - pending) / total) if total else 100,
        "waiting": retry["n"],
        "problem": problem,
        "next_try": retry["next_try"].isoformat() if retry["next_try"] else None,
        "next_try_time": timezone.localtime(retry["next_try"]).strftime("%H:%M:%S") if retry["next_try"] else "",
    }


ESTIMATE_SECONDS = 30


def hold_for_lead(region: Region, *, now: datetime) -> dict | None:
    """
    Why the region's waiting emails do not go now (a limit, or a pause the
    mail server asked for), until when, the server's reply, and when the
    last of them would go at the current pace. None when nothing holds them.
    """
    hold = pacing.current_hold(now)
    if hold is None:
        return None
    waiting = OutgoingEmail.objects.filter(mailing__region=region, status__in=OutgoingEmail.PENDING).count()
    # The estimate reads every email of the longest window (10,000 under a
    # daily limit) and the lead's page asks every two seconds: keep it while
    # neither the hold nor the number waiting has changed.
    key = f"send-estimate:{region.pk}:{waiting}:{hold.reason}:{hold.until.isoformat()}"
    last = cache.get(key)
    if last is None:
        last = pacing.estimate_last(waiting, region_id=region.pk, now=now) or ""
        cache.set(key, last, ESTIMATE_SECONDS)
    return {
        "reason": hold.reason,
        "reason_text": hold.describe(),
        "until": hold.until.isoformat(),
        "until_text": labels.moment_text(hold.until, now),
        "reply": hold.reply,
        "waiting": waiting,
        "last_text": labels.moment_text(last, now) if last else "",
    }


def send_estimate(count: int, region: Region, *, now: datetime) -> dict | None:
    """
    How long `count` new emails for the region would take at the current
    limits and pause, for the lead to read before confirming: None without
    limits or pause (they go as fast as the mail server takes them).
    """
    hold = pacing.current_hold(now)
    last = pacing.estimate_last(count, region_id=region.pk, now=now)
    if last is None and hold is None:
        return None
    return {
        "duration_text": labels.duration_text(last - now) if last else "",
        "last_text": labels.moment_text(last, now) if last else "",
        "hold": hold,
        "hold_until_text": labels.moment_text(hold.until, now) if hold else "",
    }


def sending_overview(*, now: datetime) -> dict:
    """
    The whole queue for staff: each region's waiting emails, what went in the
    last minute, hour and 24 hours against each limit, and what holds
    sending now (until when). A fixed number of queries.
    """
    waiting = dict(
        OutgoingEmail.objects.filter(status__in=OutgoingEmail.PENDING)
        .values_list("mailing__region_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    due = dict(
        OutgoingEmail.objects.filter(status=Status.QUEUED, next_attempt_at__lte=now)
        .values_list("mailing__region_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    spans = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
    went = pacing.went_counts(now, spans.values())
    limits = {w.name: w.limit for w in pacing.windows()}
    hold = pacing.current_hold(now)
    regions = Region.objects.filter(pk__in=waiting.keys()).order_by("name")
    return {
        "regions": [
            {
                "region": region,
                "waiting": waiting[region.pk],
                "due": due.get(region.pk, 0),
                "last_text": labels.moment_text(last, now)
                if (last := pacing.estimate_last(waiting[region.pk], region_id=region.pk, now=now))
                else "",
            }
            for region in regions
        ],
        "windows": [{"name": name, "went": went[span], "limit": limits.get(name)} for name, span in spans.items()],
        "hold": hold,
        "hold_until_text": labels.moment_text(hold.until, now) if hold else "",
        "total_waiting": sum(waiting.values()),
    }
