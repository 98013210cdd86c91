from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from surveys.distribution.queueing import queue_invitations
from surveys.management.lookup import region_by_code, survey_by_slug
from surveys.models import Region


class Command(BaseCommand):
    help = (
        "Queue the invitation for everyone in the survey (or one region) who has not had one. "
        "A Celery worker sends them. Running it again queues nothing new."
    )

    def add_arguments(self, parser):
        parser.add_argument("survey_slug")
        parser.add_argument("--region", metavar="CODE", help="only this region")

    def handle(self, *args, survey_slug, region, **options):
        survey = survey_by_slug(survey_slug)
        regions = [region_by_code(region)] if region else list(Region.objects.order_by("name"))
        if not survey.is_open():
            raise CommandError(
                _("%(survey)s is not open: invitations go out only while it is.") % {"survey": survey.slug}
            )
        total = 0
        for each in regions:
            _mailing, count = queue_invitations(survey=survey, region=each)
            if count:
                self.stdout.write(_("%(region)s: %(n)d invitations queued.") % {"region": each.name, "n": count})
            total += count
        self.stdout.write(
            _("%(n)d invitations queued in all.") % {"n": total} if total else _("No new invitations to send.")
        )
