"""
How the results pages write numbers: one decimal in the page's language,
a typographic minus (U+2212) and no sign on a value that rounds to zero.
The table, the heat map and the charts all write differences through
signed(), so that they agree to the character.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format

MINUS = "\u2212"


def one_decimal(value: float) -> str:
    """The value with one decimal, rounded half up as the templates' floatformat does, in the page's language."""
    text = number_format(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP), 1)
    if text.startswith("-"):
        # -0,04 rounds to "-0,0": a zero has no sign; other negatives get a real minus.
        text = text[1:] if text[1:] == one_decimal(0) else MINUS + text[1:]
    return text


def signed(value: float) -> str:
    """+1,5 / −2,0 / 0,0: a sign only where the rounded value is not zero."""
    text = one_decimal(abs(value))
    if text == one_decimal(0):
        return text
    return ("+" if value > 0 else MINUS) + text
