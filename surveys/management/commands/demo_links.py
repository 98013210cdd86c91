from django.core.management.base import BaseCommand, CommandError

from surveys.demo import invitation_links
from surveys.demo_editions import SLUG_PRACTICE
from surveys.models import Survey


class Command(BaseCommand):
    help = (
        "Print N unused invitation links of the demo's practice round, adding demo participants when too few remain. "
        "Touches no account and no session. For development only."
    )

    def add_arguments(self, parser):
        parser.add_argument("count", type=int, nargs="?", default=10, metavar="N")

    def handle(self, *args, count, **options):
        survey = Survey.objects.filter(slug=SLUG_PRACTICE).first()
        if survey is None:
            raise CommandError("There is no demo survey yet: run `python manage.py load_msi_demo` (or `make run`).")
        for link in invitation_links(survey, count):
            self.stdout.write(link)
