from django import template
from django.utils.html import linebreaks, urlize
from django.utils.safestring import SafeString, mark_safe

from results.video import Embed, embed_for

register = template.Library()


@register.filter
def comment_text(body: str) -> SafeString:
    """
    An approved comment as HTML: escaped, in paragraphs, with web addresses
    as links that search engines do not follow and that are marked as
    written by users.
    """
    html = urlize(body, nofollow=True, autoescape=True)
    # urlize wrote every rel itself; what the reader typed is escaped, so no quote of theirs can match.
    html = html.replace('rel="nofollow"', 'rel="nofollow ugc"')
    return mark_safe(linebreaks(html, autoescape=False))  # noqa: S308 - urlize escaped it


@register.filter
def video_embed(url: str) -> Embed | None:
    return embed_for(url)
