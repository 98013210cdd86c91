from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from surveys.distribution.sweep import sweep


class Command(BaseCommand):
    help = (
        "Run the periodic sweep once, as Celery beat's tick does: queue the reminders that are due, "
        "hand back rows of stopped workers, send what waits and purge personal data that is due. "
        "For deployments without beat: run it every few minutes from cron. Safe to run at any time."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only say who is due; change nothing")

    def handle(self, *args, dry_run, **options):
        report = sweep(dry_run=dry_run)
        for (slug, region), count in sorted(report.reminders.items()):
            values = {"survey": slug, "region": region, "n": count}
            if dry_run:
                self.stdout.write(_("%(survey)s %(region)s: %(n)d reminders are due.") % values)
            else:
                self.stdout.write(_("%(survey)s %(region)s: %(n)d reminders queued.") % values)
        total = sum(report.reminders.values())
        self.stdout.write(_("%(n)d in all.") % {"n": total} if total else _("No reminders are due now."))
        for slug in report.purged:
            self.stdout.write(_("%(survey)s: the personal data has been purged.") % {"survey": slug})
