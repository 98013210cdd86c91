"""The lead's bounced list and the correction page in a real browser, with axe-core on each."""

import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from surveys.distribution import bounces, queueing, sending
from surveys.models import Bounce, OutgoingEmail

from .browser import axe_violations, screenshot
from .conftest import make_participant, make_region, make_survey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check(page, name):
    screenshot(page, name)
    violations = axe_violations(page)
    assert violations == [], (name, violations)


@pytest.fixture
def bounced_region(db):
    survey = make_survey(slug="msi-test")
    region = make_region()
    user = User.objects.create_user("lead-norrbotten", "lead@ltu.example.se", "a-good-password-42")
    region.leads.add(user)
    people = [
        make_participant(survey, region=region, email=address)
        for address in ("anna@lulea.example.se", "bo@pitea.example.se", "cecilia@kiruna.example.se")
    ]
    with override_settings(BOUNCE_ADDRESS="bounces@msi.example.se"):
        queueing.queue_invitations(survey=survey, region=region)
        sending.drain_queue()
    for person, (code, text) in zip(
        people[:2],
        [("5.1.1", "550 5.1.1 User unknown"), ("5.2.2", "552 5.2.2 Mailbox full")],
        strict=True,
    ):
        email = OutgoingEmail.objects.get(participant=person)
        OutgoingEmail.objects.filter(pk=email.pk).update(status=OutgoingEmail.Status.BOUNCED, last_error=text)
        Bounce.objects.create(
            email=email,
            kind=Bounce.Kind.PERMANENT,
            source=Bounce.Source.REPORT,
            reason=bounces.reason_for(code, text),
            status_code=code,
            server_text=text,
            address=person.email,
            attempt=1,
            occurred_at=timezone.now(),
        )
    return survey, region, people


def test_the_lead_finds_the_bounced_and_corrects_an_address(page, live_server, bounced_region):
    survey, region, people = bounced_region
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Användarnamn").fill("lead-norrbotten")
    page.get_by_label("Lösenord").fill("a-good-password-42")
    page.get_by_role("button", name="Logga in").click()
    expect(page.locator("h1")).to_have_text("Översikt")
    check(page, "bounces-overview")

    page.get_by_role("link", name="Norrbotten").click()
    page.get_by_role("link", name="Rätta adresser som studsade").click()
    expect(page.get_by_label("Visa")).to_have_value("bounced")
    rows = page.locator("table.participants tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Adressen finns inte")
    expect(rows.nth(0)).to_contain_text("550 5.1.1 User unknown")
    expect(rows.nth(1)).to_contain_text("Brevlådan är full")
    check(page, "bounces-list")

    page.get_by_role("link", name="Rätta och skicka igen anna@lulea.example.se").click()
    expect(page.locator("h1")).to_have_text("Rätta adressen och skicka igen")
    check(page, "bounces-correct")
    page.get_by_label("Rättad e-postadress").fill("anna.andersson@lulea.example.se")
    page.get_by_role("button", name="Spara och skicka igen").click()
    expect(page.get_by_text("E-postmeddelandet är på väg till anna.andersson@lulea.example.se.")).to_be_visible()
    check(page, "bounces-after-correction")
    assert OutgoingEmail.objects.get(participant=people[0]).status == OutgoingEmail.Status.QUEUED
