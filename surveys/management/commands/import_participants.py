from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from surveys.distribution.imports import parse_participant_file
from surveys.distribution.participants import check_participant_file, confirm_import, existing_addresses
from surveys.management.lookup import region_by_code, survey_by_slug


class Command(BaseCommand):
    help = "Import a participant list (CSV or .xlsx) into one region of a survey, as a lead's upload does."

    def add_arguments(self, parser):
        parser.add_argument("survey_slug")
        parser.add_argument("region_code")
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="print the report, write nothing")

    def handle(self, *args, survey_slug, region_code, file, dry_run, **options):
        survey = survey_by_slug(survey_slug)
        region = region_by_code(region_code)
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s.") % {"file": file, "error": error.strerror}
            ) from None

        report = parse_participant_file(data=data, filename=file.name, existing_emails=existing_addresses(survey))
        if report.error:
            raise CommandError(f"{file}: {report.error}")

        for row in report.rejected:
            shown = row.values.get("email") or "–"
            self.stdout.write(
                "  "
                + _("line %(line)d: %(email)s: %(reason)s") % {"line": row.line, "email": shown, "reason": row.reason}
            )
        for noted in report.valid:
            if noted.warning:
                self.stdout.write(
                    "  "
                    + _("line %(line)d: %(email)s: note: %(warning)s")
                    % {"line": noted.line, "email": noted.email, "warning": noted.warning}
                )
        self.stdout.write(
            _("%(valid)d valid rows, %(rejected)d rejected.")
            % {"valid": len(report.valid), "rejected": len(report.rejected)}
        )
        if dry_run:
            self.stdout.write(_("Dry run: nothing was saved."))
            return
        checked = check_participant_file(survey=survey, region=region, data=data, filename=file.name)
        created = confirm_import(participant_import=checked)
        self.stdout.write(
            self.style.SUCCESS(
                _("%(n)d participants were added to %(region)s.") % {"n": created, "region": region.name}
            )
        )
