"""Results pages in a real browser: staff preview, comment and publish; the public reads on a phone and prints."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import expect

from results.models import Commentary, Snapshot
from surveys.demo import load_demo

from .browser import axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check(page, name):
    screenshot(page, name)
    violations = axe_violations(page)
    assert violations == [], (name, violations)


def test_staff_preview_comment_and_publish_and_the_public_reads_it(page, browser_context, live_server):
    load_demo()
    Snapshot.objects.all().delete()  # start unpublished
    User.objects.create_superuser("redaktor", "r@example.se", "a-good-password-42")
    public = browser_context().new_page()
    assert public.goto(live_server.url + "/results/msi-2019/").status == 404

    page.goto(live_server.url + reverse("login") + "?next=/results/msi-2019/preview/")
    page.get_by_label("Användarnamn").fill("redaktor")
    page.get_by_label("Lösenord").fill("a-good-password-42")
    page.get_by_role("button", name="Logga in").click()
    expect(page.locator(".preview-banner")).to_contain_text("Förhandsvisning")
    check(page, "results-preview")

    # Write a comment in the admin, then publish.
    page.goto(live_server.url + reverse("admin:results_commentary_add"))
    page.get_by_label("Enkät").select_option(label="Social innovation i fokus: Kunskaps- och kapacitetsutveckling")
    page.get_by_label("Rubrik (svenska)").fill("Redaktionens kommentar")
    page.get_by_label("Text (svenska)").fill("Samverkan över sektorsgränser toppar igen.")
    page.get_by_role("button", name="Spara", exact=True).click()
    page.goto(live_server.url + "/results/msi-2019/preview/")
    expect(page.locator("main")).to_contain_text("Samverkan över sektorsgränser toppar igen.")
    page.get_by_role("button", name="Publicera som version 1").click()
    expect(page.locator("main")).to_contain_text("Version 1 är publicerad")
    assert Snapshot.objects.count() == 1

    # The public, on a phone.
    phone = browser_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    phone.goto(live_server.url + "/results/msi-2019/")
    expect(phone.locator("h1")).to_contain_text("Social innovation i fokus")
    expect(phone.locator("main")).to_contain_text("Redaktionens kommentar")
    table = phone.locator("table.results-table").first
    expect(table).to_contain_text("Tvärsektoriell samverkan")
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    check(phone, "results-phone")

    # And prints it: the header, the footer and the downloads stay off paper.
    phone.emulate_media(media="print")
    assert phone.locator(".downloads").is_hidden()
    assert phone.locator(".site-header").is_hidden()
    assert phone.locator("figure.chart").first.is_visible()
    pdf = phone.pdf()
    assert pdf.startswith(b"%PDF")


def test_axe_finds_nothing_on_the_public_results_pages(page, live_server):
    load_demo()
    Commentary.objects.create(
        survey_id=Snapshot.objects.get().survey_id,
        kind="video",
        heading_sv="Film",
        video_url="https://example.se/film",
    )
    page.goto(live_server.url + "/results/msi-2019/")
    expect(page.locator("figure.chart")).to_have_count(2)
    check(page, "results-national")
    page.goto(live_server.url + "/results/msi-2019/skane/")
    expect(page.locator("h1")).to_contain_text("Skåne")
    check(page, "results-region")
    page.goto(live_server.url + "/results/msi-2019/versions/")
    check(page, "results-versions")
