"""Editions in a real browser: staff start the next edition from the admin; the comparison on desktop and phone."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from surveys.demo import load_demo
from surveys.demo_editions import load_editions
from surveys.models import Survey

from .browser import axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check(page, name):
    screenshot(page, name)
    violations = axe_violations(page)
    assert violations == [], (name, violations)


def test_staff_start_the_next_edition_from_the_admin_and_a_double_click_makes_one(page, live_server):
    source = load_demo()["survey"]
    User.objects.create_superuser("redaktor", "r@example.se", "a-good-password-42")
    page.goto(live_server.url + reverse("login") + "?next=/admin/surveys/survey/")
    page.get_by_label("Användarnamn").fill("redaktor")
    page.get_by_label("Lösenord").fill("a-good-password-42")
    page.get_by_role("button", name="Logga in").click()
    page.locator(f"input[name=_selected_action][value='{source.pk}']").check()
    page.locator("select[name=action]").select_option(label="Ny upplaga från den här")
    page.get_by_role("button", name="Utför").click()

    expect(page.locator("h1")).to_contain_text("Ny upplaga från den här")
    check(page, "editions-new-form")
    opens = timezone.localdate() + timedelta(days=60)
    page.get_by_label("Öppnar").fill(opens.isoformat())
    page.get_by_label("Stänger efter").fill((opens + timedelta(days=21)).isoformat())
    page.get_by_label("Adressnamn").fill("msi-nasta")
    # Two clicks in a row, the second before the first page has come back.
    button = page.get_by_role("button", name="Skapa den nya upplagan")
    button.dblclick()
    expect(page.locator("body")).to_contain_text("Social innovation i fokus")
    page.wait_for_url("**/admin/surveys/survey/*/change/")
    assert Survey.objects.filter(slug="msi-nasta").count() == 1
    edition = Survey.objects.get(slug="msi-nasta")
    assert edition.areas.count() == 12 and not edition.participants.exists()
    screenshot(page, "editions-made")


def test_the_comparison_on_desktop_and_phone(page, browser_context, live_server):
    load_editions(load_demo()["survey"])
    page.goto(live_server.url + "/results/msi-2026/")
    section = page.locator("section.comparison")
    expect(section.locator("h2").first).to_have_text("Vad som har förändrats sedan 2019")
    expect(section).to_contain_text("Effektmätning")
    expect(section).to_contain_text("Nytt i den här upplagan")
    expect(section).to_contain_text("Omformulerat; tidigare:")
    expect(section).to_contain_text("2019 som publicerat")
    expect(section).to_contain_text("Welchs metod")
    expect(page.locator("#bump-chart-caption")).to_be_visible()
    expect(page.locator("#bump-chart-narrow-caption")).to_be_hidden()
    check(page, "editions-comparison-desktop")

    page.goto(live_server.url + "/results/msi-2026/stockholm/")
    expect(page.locator("section.comparison")).to_contain_text("Vad som har förändrats i regionen sedan 2019")
    check(page, "editions-comparison-region-desktop")

    phone = browser_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    phone.goto(live_server.url + "/results/msi-2026/")
    expect(phone.locator("#bump-chart-narrow-caption")).to_be_visible()
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    check(phone, "editions-comparison-phone")
    phone.goto(live_server.url + "/results/msi-2026/norrbotten/")
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    check(phone, "editions-comparison-region-phone")

    csv = page.request.get(live_server.url + "/results/msi-2026/editions.csv")
    assert csv.ok and csv.text().count("\n") == 1 + 12 + 12 + 13
