from django import template

from results import numbers

register = template.Library()


@register.filter
def signed(value) -> str:
    """A difference as the results pages write it: +1,5, −2,0, 0,0."""
    return numbers.signed(float(value))


@register.filter
def decimal1(value) -> str:
    """One decimal, with a typographic minus where the value is negative (−0,3)."""
    return numbers.one_decimal(float(value))


@register.filter
def hyphenate(value, language: str = "sv") -> str:
    """
    The text with soft hyphens where its language breaks words, so that a
    long Swedish compound in a narrow table column breaks with a hyphen,
    never in the middle without one. Plain text in, plain text out: the
    template escapes it as usual.
    """
    return numbers.hyphenated(str(value), language)
