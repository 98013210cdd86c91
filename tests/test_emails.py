import email
import email.policy
import re

import pytest

from surveys.distribution.emails import survey_email, unknown_placeholders
from surveys.models import EmailText

from .conftest import make_participant, make_region


@pytest.fixture
def kim(survey):
    region = make_region()
    region.contact_name = "MSI Norrbotten"
    region.contact_email = "norrbotten@msi.example.se"
    region.save()
    person = make_participant(survey, region=region, email="kim@kommun.example.se")
    person.name = "Kim <b>Exempel</b>"
    person.save()
    return person


def lines(text):
    return [line.strip() for line in text.splitlines()]


@pytest.mark.parametrize("kind", ["invitation", "reminder"])
def test_the_built_in_texts_are_filled_in(kim, kind):
    message = survey_email(kim, kind=kind)
    link = f"http://testserver/s/{kim.token}/"
    assert link in lines(message.body)  # the answer link on a line of its own
    assert "Hej Kim <b>Exempel</b>!" in message.body
    assert re.search(r"Svara senast \d{1,2} \w+ \d{4}", message.body)
    assert "{{" not in message.body and "}}" not in message.body
    assert "Frågor om enkäten: MSI Norrbotten, norrbotten@msi.example.se" in message.body
    assert f"http://testserver/s/{kim.token}/avregistrera/" in message.body
    assert "http://testserver/integritet/" in message.body
    assert message.to == ["kim@kommun.example.se"]
    assert message.reply_to == ["norrbotten@msi.example.se"]


def test_the_html_version_escapes_what_people_typed(kim):
    html = survey_email(kim, kind="invitation").alternatives[0][0]
    assert "Hej Kim &lt;b&gt;Exempel&lt;/b&gt;!" in html
    assert "<b>Exempel</b>" not in html
    assert f'href="http://testserver/s/{kim.token}/"' in html
    assert "&lt;p&gt;" not in html  # our own markup is not escaped


def test_a_surveys_own_text_and_english_version(kim, survey):
    EmailText.objects.create(
        survey=survey,
        kind="invitation",
        language="sv",
        subject="Enkät till {{ name }}",
        body_text="{{ greeting }} Svara här: {{ link }}",
    )
    EmailText.objects.create(
        survey=survey,
        kind="invitation",
        language="en",
        subject="ignored",
        body_text="Hello! Answer here: {{ link }}",
    )
    message = survey_email(kim, kind="invitation")
    assert message.subject == "Enkät till Kim <b>Exempel</b>"
    assert f"Hej Kim <b>Exempel</b>! Svara här: http://testserver/s/{kim.token}/" in message.body
    assert "— In English —" in message.body
    assert f"Answer here: http://testserver/s/{kim.token}/" in message.body
    assert "Vill du inte få fler påminnelser?" in message.body  # the footer is always there


def test_unknown_placeholders_are_found():
    assert unknown_placeholders("Hej {{ name }}, {{ nmae }} {{link}}") == {"nmae"}


def test_the_admin_refuses_a_text_with_an_unknown_placeholder(survey):
    from surveys.admin import EmailTextForm

    form = EmailTextForm(
        data={"kind": "invitation", "language": "sv", "subject": "Hej", "body_text": "Länk: {{ lnk }}"},
        instance=EmailText(survey=survey),
    )
    assert not form.is_valid()
    assert "lnk" in str(form.errors["body_text"])


def test_a_link_in_a_name_stays_text_in_the_html_email(kim, survey):
    kim.name = "Kim https://evil.example/login www.evil.example"
    kim.save()
    EmailText.objects.create(
        survey=survey,
        kind="invitation",
        language="sv",
        subject="Enkät",
        body_text="{{ greeting }} Läs mer på https://msi.example.se/om/ och svara: {{ link }}",
    )
    html = survey_email(kim, kind="invitation").alternatives[0][0]
    assert "Hej Kim https://evil.example/login www.evil.example!" in html
    assert "evil.example" not in "".join(re.findall(r'href="([^"]*)"', html))
    # The staff's own words and the product's links are still links.
    assert 'href="https://msi.example.se/om/"' in html
    assert f'<a href="http://testserver/s/{kim.token}/">http://testserver/s/{kim.token}/</a>' in html


@pytest.mark.parametrize("breaks", ["\r", "\n", "\r\n", "\u2028", "\x0b"])
def test_a_line_break_in_a_name_never_breaks_the_subject(kim, survey, breaks, mailoutbox):
    kim.name = f"Kim{breaks}Bcc: mallory@evil.example"
    kim.save()
    EmailText.objects.create(
        survey=survey, kind="invitation", language="sv", subject="Enkät till {{ name }}", body_text="{{ link }}"
    )
    message = survey_email(kim, kind="invitation")
    assert message.subject == "Enkät till Kim Bcc: mallory@evil.example"
    message.send()  # a subject with CR or LF would raise BadHeaderError here
    sent = email.message_from_bytes(mailoutbox[0].message().as_bytes(), policy=email.policy.default)
    assert sent["Bcc"] is None
    assert sent["Subject"] == "Enkät till Kim Bcc: mallory@evil.example"
    assert mailoutbox[0].recipients() == ["kim@kommun.example.se"]
