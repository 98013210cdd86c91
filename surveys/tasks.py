"""
Celery tasks: ids in, one service call, retries declared here. Tasks only
say that there is work; the rows in the database say what it is, so a task
delivered twice or lost costs nothing (see surveys/sending.py).
"""

import logging

from celery import shared_task
from django.core import management
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from . import sending
from .models import Survey
from .purge import purge_due_surveys

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=10,
)
def send_queued_emails():
    """Send due queued emails until none are left or the time budget ends, then hand over to a fresh task."""
    report, more = sending.send_queued_emails()
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
    return report.sent


@shared_task(autoretry_for=(OperationalError, InterfaceError), retry_backoff=5, max_retries=5)
def tick():
    """
    The one periodic task (Celery beat, every few minutes). Recovers rows of
    dead workers, queues the reminders that are due, re-dispatches queued
    rows whose task was lost, and purges personal data that is due. Safe to
    run at any time and any number of times, also by two beats at once.
    """
    now = timezone.now()
    sending.recover_stale(now=now)
    for survey in Survey.objects.filter(opens_at__lte=now, closes_at__gt=now):
        queued = sending.queue_due_reminders(survey=survey, now=now)
        if queued:
            logger.info("queued reminders for %s: %s", survey.slug, queued)
    if sending.has_due_queued(now):
        sending.dispatch()
    purge_due_surveys(now=now)


@shared_task
def clear_expired_sessions():
    """Delete expired log-in sessions. Safe to run any number of times."""
    management.call_command("clearsessions")
