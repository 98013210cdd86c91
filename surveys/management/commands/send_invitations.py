from django.core.management.base import BaseCommand, CommandError

from surveys.models import Region, Survey
from surveys.sending import queue_invitations


class Command(BaseCommand):
    help = (
        "Queue the invitation for everyone in the survey (or one region) who has not had one. "
        "A Celery worker sends them. Running it again queues nothing new."
    )

    def add_arguments(self, parser):
        parser.add_argument("survey_slug")
        parser.add_argument("--region", metavar="CODE", help="only this region")

    def handle(self, *args, survey_slug, region, **options):
        try:
            survey = Survey.objects.get(slug=survey_slug)
        except Survey.DoesNotExist:
            raise CommandError(f"No survey with the slug {survey_slug!r}.") from None
        regions = Region.objects.order_by("name")
        if region:
            regions = regions.filter(code=region)
            if not regions:
                raise CommandError(f"No region with the code {region!r}.")
        if not survey.is_open():
            raise CommandError(f"{survey.slug} is not open: invitations go out only while it is.")
        total = 0
        for each in regions:
            _mailing, count = queue_invitations(survey=survey, region=each)
            if count:
                self.stdout.write(f"{each.name}: {count} inbjudningar köade.")
            total += count
        self.stdout.write(f"Totalt {total} inbjudningar köade." if total else "Inga nya inbjudningar att skicka.")
