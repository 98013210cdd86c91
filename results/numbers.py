"""
How the results pages write numbers: one decimal in the page's language,
a typographic minus (U+2212) and no sign on a value that rounds to zero.
The table, the heat map and the charts all write differences through
signed(), so that they agree to the character.
"""

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

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


@lru_cache(maxsize=4)
def _dictionary(language: str):
    import pyphen  # type: ignore[import-untyped]

    return pyphen.Pyphen(lang="en_GB" if language.startswith("en") else "sv_SE", left=3, right=4)


@lru_cache(maxsize=1024)
def hyphenated(text: str, language: str = "sv") -> str:
    """`text` with soft hyphens (U+00AD) inside its words of more than 9 letters, where `language` breaks them."""
    dictionary = _dictionary(language)
    return " ".join(dictionary.inserted(word, hyphen="\u00ad") if len(word) > 9 else word for word in text.split(" "))
