from django.core.management.base import BaseCommand
from django.utils import timezone

from surveys.models import Survey
from surveys.sending import dispatch, has_due_queued, queue_due_reminders, recover_stale


class Command(BaseCommand):
    help = (
        "Queue the reminders that the surveys' reminder policies say are due now, as Celery beat's "
        "tick does. For deployments without beat: run it every few minutes from cron. Safe to run at any time."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only say who is due")

    def handle(self, *args, dry_run, **options):
        now = timezone.now()
        if not dry_run:
            recover_stale(now=now)
        total = 0
        for survey in Survey.objects.filter(opens_at__lte=now, closes_at__gt=now):
            due = queue_due_reminders(survey=survey, now=now, dry_run=dry_run)
            for region, count in sorted(due.items()):
                verb = "är på tur" if dry_run else "köade"
                self.stdout.write(f"{survey.slug} {region}: {count} påminnelser {verb}.")
                total += count
        if not dry_run and has_due_queued(now):
            dispatch()
        self.stdout.write(f"Totalt {total}." if total else "Inga påminnelser är på tur nu.")
