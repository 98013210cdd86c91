"""
How an email address is cleaned: the one rule for the lead's form, the list
import and everything else that takes an address from a person.

Spaces (also the invisible ones Excel and web pages leave), a pair of quotes
or angle brackets around it and a leading "mailto:" are removed; the domain
is lower-cased and the local part kept as typed (some servers tell case
apart there). Two addresses are the same person when they are equal without
regard to case, as the survey's uniqueness check sees them.
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

MAX_LENGTH = 254  # as Participant.email (EmailField)

_EDGE_SPACE = re.compile(r"^[\s\u200b\u200c\u200d\u2060\ufeff]+|[\s\u200b\u200c\u200d\u2060\ufeff]+$")
_QUOTE_PAIRS = {("<", ">"), ('"', '"'), ("'", "'"), ("“", "”"), ("”", "”"), ("„", "“"), ("‘", "’"), ("’", "’")}
_QUOTE_PAIRS |= {("«", "»"), ("»", "»"), ("[", "]"), ("(", ")")}


def clean_address(raw: str) -> str:
    """The normalised address; raises ValidationError with a message that says what to fix."""
    value = _EDGE_SPACE.sub("", raw)
    while len(value) >= 2 and (value[0], value[-1]) in _QUOTE_PAIRS:
        value = _EDGE_SPACE.sub("", value[1:-1])
    if value[:7].lower() == "mailto:":
        value = _EDGE_SPACE.sub("", value[7:])
    if not value:
        raise ValidationError(_("The email address is missing."), code="missing")
    if len(value) > MAX_LENGTH:
        raise ValidationError(
            _("The email address is longer than %(max)d characters.") % {"max": MAX_LENGTH}, code="too_long"
        )
    local, at, domain = value.rpartition("@")
    if at:
        value = f"{local}@{domain.lower()}"
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationError(
            _("“%(value)s” is not a valid email address.") % {"value": value}, code="invalid"
        ) from None
    return value


def address_key(address: str) -> str:
    """What two addresses of one person have in common: the address without regard to case."""
    return address.lower()
