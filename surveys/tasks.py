"""
Celery tasks: ids in, one service call, retries declared here. Tasks only
say that there is work; the rows in the database say what it is, so a task
delivered twice or lost costs nothing (see surveys/distribution/sending.py).
"""

import logging

from celery import shared_task
from django.core import management
from django.core.cache import cache
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from .distribution import sending
from .distribution.sweep import sweep

logger = logging.getLogger(__name__)

# A hold on sending shorter than this is waited out by a task of its own;
# a longer one by the sweep (TICK_SECONDS).
HOLD_WAKE_SECONDS = 90


@shared_task(
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=10,
)
def send_queued_emails() -> int:
    """
    Send due queued emails until none are left, a limit or a pause holds
    them, or the time budget ends; then hand over to a fresh task. A hold
    that ends within HOLD_WAKE_SECONDS gets a task at its end; a longer one
    is left to the sweep, so no task waits in the broker for long.
    """
    report, more = sending.drain_queue()
    if report.sent or report.failed or report.retrying or report.released:
        logger.info(
            "sent %d, failed %d, retrying %d, released %d",
            report.sent,
            report.failed,
            report.retrying,
            report.released,
        )
    if more:
        send_queued_emails.delay()
    elif report.hold is not None:
        wait = (report.hold.until - timezone.now()).total_seconds()
        # One waiting task is enough, however many workers met the hold.
        if wait <= HOLD_WAKE_SECONDS and cache.add("send-wake", 1, timeout=max(int(wait), 1)):
            send_queued_emails.apply_async(countdown=max(wait, 0.5))
    return report.sent


@shared_task(autoretry_for=(OperationalError, InterfaceError), retry_backoff=5, max_retries=5)
def tick() -> None:
    """
    The one periodic task (Celery beat, every TICK_SECONDS): runs the sweep
    (surveys/distribution/sweep.py). Safe to run at any time and any number
    of times, also by two beats at once.
    """
    report = sweep()
    for (slug, region), count in sorted(report.reminders.items()):
        logger.info("queued %d reminders for %s %s", count, slug, region)


@shared_task
def clear_expired_sessions() -> None:
    """Delete expired log-in sessions. Safe to run any number of times."""
    management.call_command("clearsessions")
