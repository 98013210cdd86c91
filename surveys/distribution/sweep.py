"""
The periodic sweep: the one place that says what happens on every tick.

Celery beat runs it through surveys.tasks.tick; deployments without beat run
`python manage.py send_due_reminders` from cron, which calls the same
function. It recovers rows of dead workers, queues the reminders that are
due, re-dispatches queued rows whose task was lost, reads the bounce
mailbox when the deployment has one, and purges personal data that is due.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from surveys.models import Survey

from .mailbox import MailboxError, read_bounces_once
from .pacing import current_hold
from .purge import purge_due_surveys
from .queueing import dispatch, queue_due_reminders
from .sending import has_due_queued, recover_stale


@dataclass
class SweepReport:
    requeued: int = 0
    uncertain: int = 0
    # {(survey slug, region code): reminders queued, or due with dry_run}
    reminders: dict[tuple[str, str], int] = field(default_factory=dict)
    dispatched: bool = False
    purged: list[str] = field(default_factory=list)
    # {outcome: messages} from the bounce mailbox (bounces.Outcome); empty without one.
    bounces: dict[str, int] = field(default_factory=dict)


logger = logging.getLogger(__name__)


def sweep(*, now: datetime | None = None, dry_run: bool = False) -> SweepReport:
    """
    One pass over the stored state. Safe at any time and any number of times,
    also from two beats at once: every step is a conditional update or an
    insert that ignores rows already there. With `dry_run` it changes
    nothing and only says which reminders are due.
    """
    now = now or timezone.now()
    report = SweepReport()
    if not dry_run:
        report.requeued, report.uncertain = recover_stale(now=now)
    for survey in Survey.objects.filter(opens_at__lte=now, closes_at__gt=now):
        due = queue_due_reminders(survey=survey, now=now, dry_run=dry_run)
        for region_code, count in due.items():
            report.reminders[survey.slug, region_code] = count
    if dry_run:
        return report
    # While a pause or a limit holds everything back, the workers have nothing to do.
    if has_due_queued(now) and current_hold(now) is None:
        dispatch()
        report.dispatched = True
    report.bounces = read_bounces(now=now)
    report.purged = purge_due_surveys(now=now)
    return report


def read_bounces(*, now: datetime) -> dict[str, int]:
    """The bounce mailbox's new messages, when there is one; a mailbox that cannot be read stops nothing else."""
    if not settings.BOUNCE_IMAP_HOST:
        return {}
    try:
        return dict(read_bounces_once(now=now).outcomes)
    except MailboxError as error:
        logger.warning("the bounce mailbox could not be read: %s", error)
        return {}
