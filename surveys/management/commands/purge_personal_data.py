from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from surveys.distribution.purge import SurveyStillOpen, purge_personal_data
from surveys.management.lookup import survey_by_slug


class Command(BaseCommand):
    help = (
        "Remove names, email addresses, organisations and personal links of a closed survey's participants. "
        "The anonymous answers and the counts stay. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("survey_slug")

    def handle(self, *args, survey_slug, **options):
        survey = survey_by_slug(survey_slug)
        try:
            cleared = purge_personal_data(survey=survey)
        except SurveyStillOpen:
            raise CommandError(
                _("%(survey)s has not closed; personal data is purged only after closing.") % {"survey": survey.slug}
            ) from None
        self.stdout.write(
            _("Personal data purged for %(n)d participants in %(survey)s.") % {"n": cleared, "survey": survey.slug}
        )
