"""The pages this round touched, in a real browser: axe-core finds nothing, and every control shows its focus."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from results.services import publish_snapshot
from surveys.demo import load_demo
from surveys.models import Participant, Survey
from surveys.services import submit_response

from .browser import axe_violations, screenshot
from .test_browser import assert_focus_is_visible_on_every_control

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check(page, name):
    screenshot(page, name)
    violations = axe_violations(page)
    assert violations == [], (name, violations)
    assert_focus_is_visible_on_every_control(page)


def test_the_public_pages(browser_context, live_server):
    from surveys.demo import invitation_links
    from surveys.demo_editions import load_editions, load_practice_round

    load_demo()
    practice = load_practice_round(load_editions(Survey.objects.get(slug="msi-2019")))
    invitation_links(practice, 1)
    participant = Participant.objects.get(survey=practice)
    survey = Survey.objects.get(slug="msi-2019")
    submit_response(participant=participant, ranking=list(practice.areas.all()[:5]), level="kommun")
    for width in (390, 1280):
        page = browser_context(viewport={"width": width, "height": 900}).new_page()
        for path, name in [
            (reverse("privacy"), "privacy"),
            (reverse("accessibility"), "accessibility"),
            (reverse("surveys:thanks", args=[participant.token]), "thanks"),
            (reverse("surveys:opt_out", args=[participant.token]), "opt-out-answered"),
            (reverse("results:versions", args=[survey.slug]), "results-versions"),
            ("/", "home"),
        ]:
            page.goto(live_server.url + path)
            check(page, f"{name}-{width}")


def test_the_staff_pages(browser_context, live_server):
    load_demo()
    survey = Participant.objects.first().survey
    publish_snapshot(survey=survey)
    User.objects.create_user("redaktor", "r@example.se", "a-good-password-42", is_staff=True, is_superuser=True)
    page = browser_context().new_page()
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Användarnamn").fill("redaktor")
    page.get_by_label("Lösenord").fill("a-good-password-42")
    page.get_by_role("button", name="Logga in").click()
    for path, name in [
        ("/", "home-staff"),
        (reverse("lead:dashboard"), "lead-overview-staff"),
        (reverse("lead:region", args=[survey.slug, "skane"]), "lead-region-dates"),
        (reverse("results:national", args=[survey.slug]), "results-national-staff"),
        (reverse("results:versions", args=[survey.slug]), "results-versions-staff"),
    ]:
        page.goto(live_server.url + path)
        check(page, name)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Förhandsvisa aktuella resultat och publicera").click()
    page.wait_for_url("**/preview/")
