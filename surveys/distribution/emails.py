"""
The emails a participant gets: one function builds each, from a subject, a
plain text and an HTML version.

A survey's texts come from its EmailText rows, or from the built-in texts in
templates/emails/. Texts use placeholders written {{ name }}; every email
also gets a footer with who to contact, an opt-out link and the privacy
page, and a List-Unsubscribe header, whatever the text says.
"""

import re
from dataclasses import dataclass
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.html import escape, linebreaks, urlize
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from surveys.models import STOCKHOLM, EmailKind, EmailText, Participant, Region, Survey

PLACEHOLDERS = {
    "greeting": "Hej Anna!",
    "name": "Anna Exempel",
    "link": "https://…/s/…/",
    "closing_date": "31 december",
    "contact_name": "…",
    "contact_email": "…",
    "opt_out_link": "https://…/s/…/avregistrera/",
}
PLACEHOLDER = re.compile(r"{{\s*(\w+)\s*}}")


@dataclass(frozen=True)
class Texts:
    subject: str
    body_text: str
    body_html: str  # empty: made from the text


def unknown_placeholders(text: str) -> set[str]:
    """Placeholders in `text` that emails cannot fill; for validating staff's texts."""
    return {name for name in PLACEHOLDER.findall(text) if name not in PLACEHOLDERS}


def fill(text: str, values: dict, *, html: bool = False) -> str:
    def replace(match):
        value = str(values.get(match.group(1), ""))
        return escape(value) if html else value

    return PLACEHOLDER.sub(replace, text)


def texts_for(survey: Survey, kind: EmailKind, language: str = "sv") -> Texts | None:
    """The survey's own texts for `kind` in `language`, else the built-in Swedish ones; None for no English text."""
    custom = EmailText.objects.filter(survey=survey, kind=kind, language=language).first()
    if custom:
        return Texts(custom.subject, custom.body_text, custom.body_html)
    if language != "sv":
        return None
    # The built-in texts use the same {{ placeholders }} as staff's texts:
    # read as they are, not rendered as Django templates.
    return Texts(_source(f"emails/{kind}_subject.txt").strip(), _source(f"emails/{kind}.txt"), "")


def _source(name: str) -> str:
    # The backend's template object keeps its source (not in Django's type stubs).
    return get_template(name).template.source  # type: ignore[attr-defined]


def contact_for(region: Region) -> tuple[str, str]:
    if region.contact_name or region.contact_email:
        return region.contact_name or region.contact_email, region.contact_email
    lead = region.leads.filter(is_active=True).exclude(email="").order_by("id").first()
    if lead:
        return lead.get_full_name() or f"MSI {region.name}", lead.email
    return f"MSI {region.name}", ""


def _memo(memo: dict | None, key, compute):
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def values_for(participant: Participant, memo: dict | None = None) -> dict:
    survey, region = participant.survey, participant.region
    contact_name, contact_email = _memo(memo, ("contact", region.pk), lambda: contact_for(region))
    closing_date = _memo(memo, ("closing", survey.pk), lambda: _closing_date(survey))
    return {
        "greeting": _("Hello %(name)s!") % {"name": participant.name} if participant.name else _("Hello!"),
        "name": participant.name,
        "link": settings.SITE_URL + reverse("surveys:answer", args=[participant.token]),
        "closing_date": closing_date,
        "contact_name": contact_name,
        "contact_email": contact_email,
        "opt_out_link": settings.SITE_URL + reverse("surveys:opt_out", args=[participant.token]),
        "privacy_link": settings.SITE_URL + reverse("privacy"),
    }


def _closing_date(survey: Survey) -> str:
    with translation.override("sv"):
        return formats.date_format(timezone.localtime(survey.closes_at, STOCKHOLM), "j F Y")


def survey_email(
    participant: Participant,
    *,
    kind: EmailKind,
    message_id: str | None = None,
    memo: dict | None = None,
    return_path: str = "",
) -> EmailMultiAlternatives:
    """
    The invitation or reminder for one participant, ready to send. Builds the
    same message every time it is called; sends nothing. `memo`, a dict kept
    for one batch, saves looking up the survey's texts and the region's
    contact again for every message. The email is Swedish first, whatever
    the language of the page that asks for it (a lead's preview in English
    shows the email the participant gets). `return_path`, when given, is
    the envelope sender that bounce reports go back to (bounces.py); the
    From header stays DEFAULT_FROM_EMAIL.
    """
    with translation.override("sv"):
        return _survey_email(participant, kind=kind, message_id=message_id, memo=memo, return_path=return_path)


def _survey_email(
    participant: Participant, *, kind: EmailKind, message_id: str | None, memo: dict | None, return_path: str
) -> EmailMultiAlternatives:
    values = values_for(participant, memo)
    survey = participant.survey
    swedish = _memo(memo, ("texts", survey.pk, kind, "sv"), lambda: texts_for(survey, kind, "sv"))
    assert swedish is not None, "the built-in Swedish texts are always there"
    english = _memo(memo, ("texts", survey.pk, kind, "en"), lambda: texts_for(survey, kind, "en"))

    subject = one_line(fill(swedish.subject, values))
    footer = render_to_string("emails/footer.txt", values)
    text = fill(swedish.body_text, values).strip()
    html = _html_body(swedish, values)
    if english:
        text += "\n\n— In English —\n\n" + fill(english.body_text, values).strip()
        html += '<hr style="border:0;border-top:1px solid #d0d7de;margin:24px 0;">'
        html += f'<div lang="en">{_html_body(english, values)}</div>'
    text = f"{text}\n\n{footer}"
    html_document = render_to_string(
        "emails/layout.html",
        {
            **values,
            "subject": subject,
            # Built here from escaped values (or staff's own HTML).
            "body": mark_safe(html),  # noqa: S308
            "language": "sv",
            "button": _("Answer the survey") if kind == EmailKind.INVITATION else _("Answer now"),
        },
    )

    headers = {
        "Message-ID": message_id or new_message_id(),
        "List-Unsubscribe": f"<{values['opt_out_link']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    if return_path:
        # The envelope sender is the return address; people see the usual From.
        headers["From"] = settings.DEFAULT_FROM_EMAIL
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=return_path or settings.DEFAULT_FROM_EMAIL,
        to=[participant.email],
        reply_to=[values["contact_email"]] if values["contact_email"] else None,
        headers=headers,
    )
    message.attach_alternative(html_document, "text/html")
    return message


def new_message_id() -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "localhost"
    return make_msgid(domain=domain)


# The placeholders whose values are the product's own links.
LINKS = frozenset({"link", "opt_out_link"})


def _html_body(texts: Texts, values: dict) -> str:
    if texts.body_html:
        return fill(texts.body_html, values, html=True)
    # Made from the text: paragraphs, and links that can be clicked. Only the
    # staff's own words and the product's links become links: a value from
    # outside (a participant's name, a region's contact) stays text, so a
    # name holding https://evil.example/ is never a link in the email.
    parts = []
    for index, piece in enumerate(PLACEHOLDER.split(texts.body_text.strip())):
        if index % 2 == 0:
            parts.append(urlize(piece, autoescape=True))
        elif piece in LINKS:
            url = escape(values.get(piece, ""))
            parts.append(f'<a href="{url}">{url}</a>')
        else:
            parts.append(escape(str(values.get(piece, ""))))
    return linebreaks("".join(parts))


def one_line(text: str) -> str:
    """`text` as one header line: every kind of line break (CR, LF, U+2028…) becomes a space."""
    return " ".join(text.splitlines())
