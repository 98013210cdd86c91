from django.core.management.base import BaseCommand, CommandError

from surveys.models import Survey
from surveys.purge import SurveyStillOpen, purge_personal_data


class Command(BaseCommand):
    help = (
        "Remove names, email addresses, organisations and personal links of a closed survey's participants. "
        "The anonymous answers and the counts stay. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("survey_slug")

    def handle(self, *args, survey_slug, **options):
        try:
            survey = Survey.objects.get(slug=survey_slug)
        except Survey.DoesNotExist:
            raise CommandError(f"No survey with the slug {survey_slug!r}.") from None
        try:
            cleared = purge_personal_data(survey=survey)
        except SurveyStillOpen:
            raise CommandError(f"{survey.slug} has not closed; personal data is purged only after closing.") from None
        self.stdout.write(f"Personuppgifter rensade för {cleared} deltagare i {survey.slug}.")
