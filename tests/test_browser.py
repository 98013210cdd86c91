"""The answer form in a real browser: mouse, keyboard alone, no JavaScript, axe-core."""

import re

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


def test_answer_by_mouse_drag(browser_context, link):
    # Tall enough that both lists are on the screen at once: the mouse cannot leave the window.
    page = browser_context(viewport={"width": 1280, "height": 1400}).new_page()
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
    # A sixth area cannot be dragged in: the list shows it is full while dragging, and says why and how to swap.
    sixth = handle(page, "Policy för social innovation").bounding_box()
    target = page.locator(".ranking-chosen").bounding_box()
    page.mouse.move(sixth["x"] + 5, sixth["y"] + 5)
    page.mouse.down()
    page.mouse.move(target["x"] + target["width"] / 2, target["y"] + target["height"] - 4, steps=12)
    expect(page.locator(".ranking-chosen")).to_have_class(re.compile("drop-refused"))
    page.mouse.up()
    assert chosen(page) == expected
    notice = page.locator(".ranking-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Policy för social innovation lades inte till: 5 områden är redan valda.")
    expect(notice).to_contain_text("ta först bort ett av dem")
    expect(page.locator("[role=status]")).to_contain_text("5 områden är redan valda")
    screenshot(page, "ranking-full")
    assert axe_violations(page) == []
    # Removing one takes the notice away, and the sixth goes in.
    drag(page, handle(page, "Intraprenörskap"), page.locator(".ranking-pool"))
    expect(notice).to_be_hidden()
    drag(page, handle(page, "Policy för social innovation"), page.locator(".ranking-chosen"), above=False)
    expected[-1] = "Policy för social innovation"
    assert chosen(page) == expected

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
    """Press Tab, and only Tab, until the focused control is called `name`; return how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if focused_name(page) == name:
            return presses
    raise AssertionError(f"Tab never reached {name!r}")


class Keys:
    """The keyboard, counting the presses."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def __call__(self, *keys):
        for key in keys:
            self.page.keyboard.press(key)
            self.count += 1


def test_answer_by_keyboard_alone(page, link):
    page.goto(link)
    tab_to(page, "Lägg till Tvärsektoriell samverkan")
    keys = Keys(page)
    status = page.locator("[role=status]")

    # Enter adds the area; focus stays in the other areas, on the one that took its place.
    keys("Enter")
    assert chosen(page) == ["Tvärsektoriell samverkan"]
    expect(status).to_have_text("Tvärsektoriell samverkan tillagd på plats 1 av 5.")
    assert focused_name(page) == "Lägg till Samskapande och medborgarinvolvering"
    # The arrows go from area to area; Home and End to the first and last.
    keys("ArrowDown", "ArrowDown")
    assert focused_name(page) == "Lägg till Förändringsledning"
    keys("Space", "End", "Enter", "ArrowUp", "Enter", "Home", "Enter")
    assert chosen(page) == [
        "Tvärsektoriell samverkan",
        "Förändringsledning",
        "Policy för social innovation",
        "Agila arbetsmetoder",
        "Samskapande och medborgarinvolvering",
    ]

    # A sixth is refused, and says why; focus is not lost.
    keys("Enter")
    assert len(chosen(page)) == 5
    assert focused_name(page).startswith("Lägg till ")
    expect(status).to_contain_text("5 områden är redan valda")

    # One Shift+Tab back to the ranking: a list is one Tab stop.
    keys("Shift+Tab")
    assert focused_name(page) == "Flytta upp Tvärsektoriell samverkan"
    keys("ArrowDown", "ArrowDown", "ArrowDown")
    assert focused_name(page) == "Flytta upp Agila arbetsmetoder"
    # Alt with an arrow moves the area; focus stays with it.
    keys("Alt+ArrowUp", "Alt+ArrowUp", "Alt+ArrowUp")
    expect(status).to_have_text("Agila arbetsmetoder flyttad till plats 1 av 5.")
    assert focused_name(page) == "Flytta upp Agila arbetsmetoder"
    # The buttons still work: right to "Ta bort", and Enter.
    keys("ArrowDown", "ArrowRight", "ArrowRight")
    assert focused_name(page) == "Ta bort Tvärsektoriell samverkan"
    keys("Enter")
    assert "Tvärsektoriell samverkan" not in chosen(page)
    assert focused_name(page).startswith("Ta bort ")
    # Delete removes the focused area too.
    keys("End", "Delete")
    assert chosen(page) == ["Agila arbetsmetoder", "Förändringsledning", "Policy för social innovation"]

    # Tab to the other areas, and add two more.
    keys("Tab", "Home", "Enter", "Enter")
    expected = [
        "Agila arbetsmetoder",
        "Förändringsledning",
        "Policy för social innovation",
        "Tvärsektoriell samverkan",
        "Samskapande och medborgarinvolvering",
    ]
    assert chosen(page) == expected

    # One Tab from the areas to the level question, one more to the button.
    keys("Tab")
    assert focused_name(page) == "Kommun"
    keys("Space", "Tab")
    assert focused_name(page) == "Skicka mitt svar"
    keys("Enter")
    page.wait_for_url("**/tack/")
    assert stored_ranking() == (expected, "kommun")


def test_a_plain_answer_takes_few_key_presses(page, link):
    """From the page's first Tab to the thank-you page: it took 26 presses when every button was a Tab stop."""
    page.goto(link)
    keys = Keys(page)
    keys.count = tab_to(page, "Lägg till Tvärsektoriell samverkan")
    keys("Enter", "Enter", "ArrowDown", "Enter", "Enter", "Enter")
    keys("Tab")  # one Tab from the areas to the level question
    assert focused_name(page) == "Kommun"
    keys("Space", "Tab", "Enter")
    page.wait_for_url("**/tack/")
    assert stored_ranking() == (
        [
            "Tvärsektoriell samverkan",
            "Samskapande och medborgarinvolvering",
            "Förändringsledning",
            "Finansieringslösningar för samhällsinvesteringar",
            "Innovationsfrämjande upphandlings- och samarbetsformer",
        ],
        "kommun",
    )
    assert keys.count <= 16, keys.count


def test_the_page_says_how_the_keyboard_works(page, link):
    page.goto(link)
    keys = page.locator(".ranking-keys")
    expect(keys).to_be_visible()
    expect(keys).to_contain_text("pil upp och pil ner")
    expect(keys).to_contain_text("Alt")
    # Both lists point screen readers to it.
    page.get_by_role("button", name="Lägg till Effektmätning").click()
    for selector in (".ranking-chosen", ".ranking-pool"):
        described = page.locator(selector).get_attribute("aria-describedby")
        assert page.locator(f"#{described}").inner_text() == keys.inner_text()


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


# The focus indicator, measured: for each control, the computed outline (or,
# where there is none, the box-shadow ring) and the contrast of its colour
# against what is around the control (the first opaque background above it).
FOCUS_INDICATOR = """
(element) => {
  function rgba(text) {
    const m = text.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  }
  function luminance(c) {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  }
  function contrast(a, b) {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  }
  let around = { r: 255, g: 255, b: 255, a: 1 };
  for (let node = element.parentElement; node; node = node.parentElement) {
    const colour = rgba(getComputedStyle(node).backgroundColor);
    if (colour && colour.a > 0.5) { around = colour; break; }
  }
  const style = getComputedStyle(element);
  const result = { focusVisible: element.matches(":focus-visible"), focused: document.activeElement === element,
                   width: 0, contrast: 0, how: "none" };
  if (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) {
    const colour = rgba(style.outlineColor);
    result.width = parseFloat(style.outlineWidth);
    result.contrast = colour && colour.a > 0.9 ? contrast(colour, around) : 0;
    result.how = "outline";
  } else if (style.boxShadow !== "none") {
    const colour = rgba(style.boxShadow);
    const spread = style.boxShadow.match(/(-?[\\d.]+)px\\s+(-?[\\d.]+)px\\s+(-?[\\d.]+)px\\s+(-?[\\d.]+)px/);
    result.width = spread ? parseFloat(spread[4]) : 0;
    result.contrast = colour && colour.a > 0.9 ? contrast(colour, around) : 0;
    result.how = "box-shadow";
  }
  return result;
}
"""

FOCUSABLE = "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex='-1'])"


def assert_focus_is_visible_on_every_control(page):
    """Focus each visible control from the keyboard's point of view and measure its indicator."""
    page.keyboard.press("Tab")  # the keyboard is in use: focus moved by script now shows as from the keyboard
    controls = page.locator(f"{FOCUSABLE}, .ranking button[data-action]")
    measured = []
    for index in range(controls.count()):
        control = controls.nth(index)
        if not control.is_visible():
            continue
        control.evaluate("(e) => e.focus()")
        indicator = control.evaluate(FOCUS_INDICATOR)
        name = control.evaluate(
            "(e) => ((e.labels && e.labels.length ? e.labels[0].innerText : e.innerText)"
            " || e.value || e.name || e.tagName).trim()"
        )
        measured.append(name)
        assert indicator["focused"] and indicator["focusVisible"], (name, indicator)
        assert indicator["width"] >= 2, (name, indicator)
        assert indicator["contrast"] >= 3, (name, indicator)
    return measured


def test_every_control_of_the_answer_page_shows_its_focus(browser_context, link):
    for viewport in ({"width": 1280, "height": 900}, {"width": 390, "height": 844}):
        page = browser_context(viewport=viewport).new_page()
        page.goto(link)
        page.get_by_role("button", name="Lägg till Effektmätning").click()
        page.get_by_role("button", name="Lägg till Förändringsledning").click()
        measured = assert_focus_is_visible_on_every_control(page)
        # Every kind of control was measured: the ranking's four buttons, the radios, the submit button, links.
        for name in ("Lägg till", "Flytta upp", "Flytta ner", "Ta bort", "Kommun", "Region", "Skicka mitt svar"):
            assert any(m.startswith(name) for m in measured), (name, measured)
        assert len(measured) >= 12 + 2 * 3 + 2 + 1

        # The plain form, without our scripts: the selects.
        plain = browser_context(viewport=viewport).new_page()
        plain.route("**/static/**/*.js", lambda route: route.abort())
        plain.goto(link)
        measured = assert_focus_is_visible_on_every_control(plain)
        assert len(measured) >= 5 + 2 + 1  # the five selects, the radios, the button


def test_the_radio_circles_stand_out_from_the_page(page, link):
    page.goto(link)
    radio = page.get_by_label("Region")
    border = radio.evaluate("(e) => getComputedStyle(e).borderTopColor")
    width = radio.evaluate("(e) => parseFloat(getComputedStyle(e).borderTopWidth)")
    # #6c757d on white is 4.7:1; Bootstrap's own grey was 1.3:1.
    assert border == "rgb(108, 117, 125)"
    assert width >= 2


def test_a_lost_cookie_keeps_the_answer(browser_context, live_server, link):
    context = browser_context()
    page = context.new_page()
    page.goto(link)
    expected = [
        "Effektmätning",
        "Tvärsektoriell samverkan",
        "Agila arbetsmetoder",
        "Intraprenörskap",
        "Förändringsledning",
    ]
    for title in expected:
        page.get_by_role("button", name=f"Lägg till {title}").click()
    page.get_by_label("Region", exact=True).check()
    context.clear_cookies()  # the CSRF cookie expired, or the browser threw it away

    page.get_by_role("button", name="Skicka mitt svar").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Ditt svar har inte skickats än")
    assert page.title().startswith("Fel: ")
    # The choices are all still there, in the widget, and the summary has focus.
    assert chosen(page) == expected
    assert page.get_by_label("Region", exact=True).is_checked()
    assert page.evaluate("() => document.activeElement.classList.contains('error-summary')")
    assert Response.objects.count() == 0
    assert_accessible(page, "answer-csrf-failure")

    page.get_by_role("button", name="Skicka mitt svar").click()
    page.wait_for_url("**/tack/")
    assert stored_ranking() == (expected, "region")


def test_a_lost_cookie_on_another_form(browser_context, live_server):
    context = browser_context()
    page = context.new_page()
    page.goto(live_server.url + reverse("login"))
    context.clear_cookies()
    page.get_by_label("Användarnamn").fill("alice")
    page.get_by_label("Lösenord").fill("secret")
    page.get_by_role("button", name="Logga in").click()
    expect(page.locator("h1")).to_have_text("Formuläret kunde inte skickas")
    assert page.locator("html").get_attribute("lang") == "sv"
    assert_accessible(page, "csrf-failure")
    page.get_by_role("link", name="Tillbaka till sidan").click()
    expect(page.get_by_label("Användarnamn")).to_be_visible()
