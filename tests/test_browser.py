"""The answer form in a real browser: mouse, keyboard alone, no JavaScript, axe-core."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from surveys.models import Participant, RankedArea, Response

from .browser import axe_violations, screenshot
from .conftest import make_participant, make_survey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def titles(ranked):
    return [r.area.title_sv for r in ranked.order_by("position")]


def stored_ranking():
    response = Response.objects.get()
    return titles(RankedArea.objects.filter(response=response).select_related("area")), response.level


@pytest.fixture
def link(live_server):
    participant = make_participant(make_survey())
    return live_server.url + reverse("surveys:answer", args=[participant.token])


def chosen(page):
    return page.locator(".ranking-chosen .ranking-title").all_text_contents()


def drag(page, source, target, *, above=True):
    """Drag `source` (a locator of a drag handle) onto `target` with the mouse, step by step."""
    start = source.bounding_box()
    end = target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    y = end["y"] + (end["height"] * 0.25 if above else end["height"] - 4)
    page.mouse.move(end["x"] + end["width"] / 2, y, steps=12)
    page.mouse.up()


def handle(page, title):
    return page.locator(".ranking-item", has_text=title).locator(".drag-handle")


def test_answer_by_mouse_drag(page, link):
    page.goto(link)
    assert chosen(page) == []
    assert page.locator("[data-ranking-selects]").is_hidden()
    for title in ["Effektmätning", "Tvärsektoriell samverkan", "Agila arbetsmetoder"]:
        drag(page, handle(page, title), page.locator(".ranking-chosen"), above=False)
    assert chosen(page) == ["Effektmätning", "Tvärsektoriell samverkan", "Agila arbetsmetoder"]
    # Drop one in front of the first.
    drag(page, handle(page, "Digital social innovation"), page.locator(".ranking-chosen .ranking-item").first)
    assert chosen(page)[0] == "Digital social innovation"
    # Reorder inside the ranking: the last one to the top.
    drag(page, handle(page, "Agila arbetsmetoder"), page.locator(".ranking-chosen .ranking-item").first)
    # Drag one back out, then add two more.
    drag(page, handle(page, "Effektmätning"), page.locator(".ranking-pool"))
    for title in ["Förändringsledning", "Intraprenörskap"]:
        drag(page, handle(page, title), page.locator(".ranking-chosen"), above=False)
    expected = [
        "Agila arbetsmetoder",
        "Digital social innovation",
        "Tvärsektoriell samverkan",
        "Förändringsledning",
        "Intraprenörskap",
    ]
    assert chosen(page) == expected
    assert page.locator("h3", has_text="Din rangordning").inner_text() == "Din rangordning (5 av 5)"
    # A sixth area cannot be dragged in.
    drag(page, handle(page, "Policy för social innovation"), page.locator(".ranking-chosen"), above=False)
    assert chosen(page) == expected
    expect(page.locator("[role=status]")).to_contain_text("Du har redan valt 5 områden")

    page.get_by_label("Region", exact=True).check()
    screenshot(page, "answer-desktop-filled")
    page.get_by_role("button", name="Skicka mitt svar").click()
    page.wait_for_url("**/tack/")
    assert page.locator("h1").inner_text() == "Tack för ditt svar"
    assert stored_ranking() == (expected, "region")


def focused_name(page):
    return page.evaluate(
        "() => { const e = document.activeElement; if (!e) return '';"
        " const text = e.labels && e.labels.length ? e.labels[0].innerText"
        " : (e.getAttribute('aria-label') || e.innerText || e.value || '');"
        " return text.replace(/\\s+/g, ' ').trim(); }"
    )


def tab_to(page, name, limit=120):
    """Press Tab, and only Tab, until the focused control is called `name`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused_name(page) == name:
            return
    raise AssertionError(f"Tab never reached {name!r}")


def test_answer_by_keyboard_alone(page, link):
    page.goto(link)
    tab_to(page, "Lägg till Effektmätning")
    page.keyboard.press("Enter")
    status = page.locator("[role=status]")
    assert chosen(page) == ["Effektmätning"]
    expect(status).to_have_text("Effektmätning tillagd på plats 1 av 5.")
    # Focus stays in the list of other areas, on the area that took its place.
    assert focused_name(page).startswith("Lägg till ")

    for title, key in [
        ("Tvärsektoriell samverkan", "Space"),
        ("Agila arbetsmetoder", "Enter"),
        ("Digital social innovation", "Enter"),
        ("Förändringsledning", "Space"),
    ]:
        tab_to(page, f"Lägg till {title}")
        page.keyboard.press(key)
    assert chosen(page) == [
        "Effektmätning",
        "Tvärsektoriell samverkan",
        "Agila arbetsmetoder",
        "Digital social innovation",
        "Förändringsledning",
    ]

    # A sixth is refused, and says why; focus is not lost.
    tab_to(page, "Lägg till Intraprenörskap")
    page.keyboard.press("Enter")
    assert len(chosen(page)) == 5
    assert focused_name(page) == "Lägg till Intraprenörskap"
    expect(status).to_contain_text("Du har redan valt 5 områden")

    # Move Digital social innovation to the top: focus stays on the button.
    tab_to(page, "Flytta upp Digital social innovation")
    for _ in range(3):
        page.keyboard.press("Enter")
        assert focused_name(page) == "Flytta upp Digital social innovation"
    expect(status).to_have_text("Digital social innovation flyttad till plats 1 av 5.")

    # Remove one and add another.
    tab_to(page, "Ta bort Agila arbetsmetoder")
    page.keyboard.press("Space")
    assert "Agila arbetsmetoder" not in chosen(page)
    assert focused_name(page).startswith("Ta bort ")
    tab_to(page, "Lägg till Policy för social innovation")
    page.keyboard.press("Enter")

    expected = [
        "Digital social innovation",
        "Effektmätning",
        "Tvärsektoriell samverkan",
        "Förändringsledning",
        "Policy för social innovation",
    ]
    assert chosen(page) == expected
    tab_to(page, "Kommun")
    page.keyboard.press("Space")
    tab_to(page, "Skicka mitt svar")
    page.keyboard.press("Enter")
    page.wait_for_url("**/tack/")
    assert stored_ranking() == (expected, "kommun")


def test_answer_without_javascript(browser_context, link):
    page = browser_context(java_script_enabled=False).new_page()
    page.goto(link)
    assert page.locator("[data-ranking-selects]").is_visible()
    assert page.locator(".ranking-enhanced").count() == 0
    expected = [
        "Samskapande och medborgarinvolvering",
        "Effektmätning",
        "Social innovation och Agenda 2030",
        "Intraprenörskap",
        "Finansieringslösningar för samhällsinvesteringar",
    ]
    # First a mistake: the same area twice. The answer is kept and explained.
    page.get_by_label("Plats 1 (viktigast)").select_option(label=expected[0])
    page.get_by_label("Plats 2", exact=True).select_option(label=expected[0])
    page.get_by_role("button", name="Skicka mitt svar").click()
    assert "Ditt svar har inte skickats än" in page.locator(".error-summary").inner_text()
    assert Response.objects.count() == 0
    assert page.get_by_label("Plats 1 (viktigast)").input_value() == "samskapande"
    screenshot(page, "answer-nojs-errors")

    for place, title in enumerate(expected, start=1):
        label = "Plats 1 (viktigast)" if place == 1 else f"Plats {place}"
        page.get_by_label(label, exact=True).select_option(label=title)
    page.get_by_label("Kommun").check()
    page.get_by_role("button", name="Skicka mitt svar").click()
    page.wait_for_url("**/tack/")
    assert stored_ranking() == (expected, "kommun")


def test_a_server_error_keeps_the_enhanced_ranking(page, link):
    page.goto(link)
    for title in ["Effektmätning", "Intraprenörskap"]:
        page.get_by_role("button", name=f"Lägg till {title}").click()
    page.get_by_role("button", name="Skicka mitt svar").click()
    page.wait_for_selector(".error-summary")
    # The form comes back with the two areas still ranked, and the summary has focus.
    assert chosen(page) == ["Effektmätning", "Intraprenörskap"]
    assert page.evaluate("() => document.activeElement.classList.contains('error-summary')")
    assert Response.objects.count() == 0


def test_the_phone_layout(browser_context, link):
    page = browser_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
    page.goto(link)
    for title in ["Effektmätning", "Tvärsektoriell samverkan"]:
        page.get_by_role("button", name=f"Lägg till {title}").tap()
    assert chosen(page) == ["Effektmätning", "Tvärsektoriell samverkan"]
    # Nothing is wider than the screen.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    screenshot(page, "answer-phone")


def assert_accessible(page, name):
    screenshot(page, name)
    violations = axe_violations(page)
    assert violations == [], violations


def test_axe_finds_nothing_on_the_answer_pages(browser_context, link):
    page = browser_context().new_page()
    page.goto(link)
    assert_accessible(page, "answer-desktop")
    page.get_by_role("button", name="Lägg till Effektmätning").click()
    page.get_by_role("button", name="Lägg till Förändringsledning").click()
    assert_accessible(page, "answer-desktop-two-chosen")
    page.get_by_role("button", name="Skicka mitt svar").click()
    page.wait_for_selector(".error-summary")
    assert_accessible(page, "answer-errors")

    # The plain form, as without JavaScript: our own scripts blocked, axe injected.
    plain = browser_context().new_page()
    plain.route("**/static/**/*.js", lambda route: route.abort())
    plain.goto(link)
    assert plain.locator("[data-ranking-selects]").is_visible()
    assert_accessible(plain, "answer-plain")

    phone = browser_context(viewport={"width": 390, "height": 844}).new_page()
    phone.goto(link)
    assert_accessible(phone, "answer-phone-empty")


def test_axe_finds_nothing_on_the_other_pages(page, live_server, link):
    page.goto(link)
    for title in [
        "Effektmätning",
        "Tvärsektoriell samverkan",
        "Agila arbetsmetoder",
        "Digital social innovation",
        "Förändringsledning",
    ]:
        page.get_by_role("button", name=f"Lägg till {title}").click()
    page.get_by_label("Kommun").check()
    page.get_by_role("button", name="Skicka mitt svar").click()
    page.wait_for_url("**/tack/")
    assert_accessible(page, "thanks")

    page.goto(link)
    assert page.locator("h1").inner_text() == "Du har redan svarat"
    assert_accessible(page, "already-answered")

    from results.services import publish_snapshot

    publish_snapshot(survey=Participant.objects.get().survey)
    page.goto(live_server.url + reverse("results:national", args=["test-survey"]))
    # One answer: far too few to show anything.
    assert "För få svar" in page.locator("main").inner_text()
    assert_accessible(page, "results-too-few")

    response = page.goto(live_server.url + "/s/no-such-link/")
    assert response.status == 404
    assert_accessible(page, "not-found")

    page.goto(live_server.url + "/")
    assert_accessible(page, "home")
    page.goto(live_server.url + reverse("login"))
    assert_accessible(page, "login")
