"""
Dates as the pages write them: the day and the month's full name in the
page's language ("2 december", not Django's title-cased "2 Dec"), and the
year only when it is not this year, all in Europe/Stockholm.
"""

from django import template
from django.utils import formats, timezone

register = template.Library()


@register.filter
def day(value) -> str:
    """2 december, or 2 december 2019 when it is not this year."""
    return _format(value, with_time=False)


@register.filter
def moment(value) -> str:
    """2 december 09:00, or 2 december 2019 09:00 when it is not this year."""
    return _format(value, with_time=True)


def _format(value, *, with_time: bool) -> str:
    if not value:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    pattern = "j F" if local.year == timezone.localtime().year else "j F Y"
    return formats.date_format(local, pattern + (" H:i" if with_time else ""))
