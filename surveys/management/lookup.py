"""Looking up what a command names, with a CommandError that says what was not found."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from surveys.models import Region, Survey


def survey_by_slug(slug: str) -> Survey:
    try:
        return Survey.objects.get(slug=slug)
    except Survey.DoesNotExist:
        raise CommandError(_("No survey with the slug %(slug)r.") % {"slug": slug}) from None


def region_by_code(code: str) -> Region:
    try:
        return Region.objects.get(code=code)
    except Region.DoesNotExist:
        raise CommandError(_("No region with the code %(code)r.") % {"code": code}) from None
