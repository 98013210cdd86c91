from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models.functions import Lower

from surveys.imports import parse_participant_file
from surveys.models import Participant, Region, Survey
from surveys.services import check_participant_file, confirm_import


class Command(BaseCommand):
    help = "Import a participant list (CSV or .xlsx) into one region of a survey, as a lead's upload does."

    def add_arguments(self, parser):
        parser.add_argument("survey_slug")
        parser.add_argument("region_code")
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="print the report, write nothing")

    def handle(self, *args, survey_slug, region_code, file, dry_run, **options):
        try:
            survey = Survey.objects.get(slug=survey_slug)
        except Survey.DoesNotExist:
            raise CommandError(f"No survey with the slug {survey_slug!r}.") from None
        try:
            region = Region.objects.get(code=region_code)
        except Region.DoesNotExist:
            raise CommandError(f"No region with the code {region_code!r}.") from None
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None

        existing = set(
            Participant.objects.filter(survey=survey).exclude(email="").values_list(Lower("email"), flat=True)
        )
        report = parse_participant_file(data=data, filename=file.name, existing_emails=existing)
        if report.error:
            raise CommandError(f"{file}: {report.error}")

        for row in report.rejected:
            shown = row.values.get("email") or "–"
            self.stdout.write(f"  rad {row.line}: {shown}: {row.reason}")
        for row in report.valid:
            if row.warning:
                self.stdout.write(f"  rad {row.line}: {row.email}: obs: {row.warning}")
        self.stdout.write(f"{len(report.valid)} giltiga rader, {len(report.rejected)} avvisade.")
        if dry_run:
            self.stdout.write("Provkörning: inget sparades.")
            return
        checked = check_participant_file(survey=survey, region=region, data=data, filename=file.name)
        created = confirm_import(participant_import=checked)
        self.stdout.write(self.style.SUCCESS(f"{created} deltagare lades till i {region.name}."))
