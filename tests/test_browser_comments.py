"""
Readers' comments, contacts and the video in a real browser: posting with
and without JavaScript, the moderation round trip through the admin, the
click-to-load video, and axe on every page and state.
"""

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import expect

from results.models import Comment, Commentary, Snapshot
from results.services import publish_snapshot
from surveys.demo import SLUG, load_demo

from .browser import axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COMMENTS = f"/results/{SLUG}/comments/"


@pytest.fixture
def quick_form(settings):
    # The form may be sent a second after it was shown, and the proof of work is light, to keep the tests short.
    settings.COMMENT_MIN_FORM_SECONDS = 1
    settings.COMMENT_CHALLENGE_COST = 500


def check(page, name):
    screenshot(page, name)
    violations = axe_violations(page)
    assert violations == [], (name, violations)


def fill_comment(page, *, name="Eva Läsare", email="eva@kommun.example.se", body="Bra att se regionerna."):
    page.get_by_label(re.compile("^Namn")).fill(name)
    page.get_by_label("E-postadress").fill(email)
    page.get_by_label(re.compile("^Kommentar")).fill(body)
    page.get_by_label("Jag har läst hur mitt namn").check()


def test_the_national_page_shows_contacts_and_example_comments(page, live_server):
    load_demo()
    page.goto(live_server.url + f"/results/{SLUG}/")
    contacts = page.locator("section.contacts")
    expect(contacts).to_contain_text("Vill du veta mer eller samarbeta kring fortsättningen?")
    expect(contacts).to_contain_text("Kontaktperson Norrbotten")
    expect(contacts).to_contain_text("Gäller ditt intresse annan ort än ovan?")
    discussion = page.locator("section.discussion")
    expect(discussion.locator("li.comment")).to_have_count(2)
    expect(discussion).to_contain_text("Exempel")
    expect(discussion).not_to_contain_text("väntar på att en moderator")
    link = discussion.get_by_role("link", name="https://example.se/effekt")
    expect(link).to_have_attribute("rel", "nofollow ugc")
    check(page, "comments-national")

    # The region page lists its own contact first, and leads to the comments.
    page.goto(live_server.url + f"/results/{SLUG}/skane/")
    own = page.locator(".contact-list-own")
    expect(own).to_contain_text("Kontaktperson Skåne")
    expect(page.locator("section.contacts h3").first).to_contain_text("Skåne")
    check(page, "comments-region")
    page.get_by_role("link", name="Läs kommentarerna till resultatet").click()
    expect(page.locator("h1")).to_contain_text("Läsarnas kommentarer")
    check(page, "comments-page")


def test_a_comment_with_javascript_passes_the_proof_of_work_and_waits(page, live_server, quick_form):
    load_demo()
    page.goto(live_server.url + COMMENTS)
    # The errors first: everything missing.
    page.wait_for_timeout(1100)
    page.get_by_role("button", name="Skicka kommentaren").click()
    summary = page.locator("#comment-errors")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Skriv ditt namn")
    expect(summary).to_contain_text("Skriv din e-postadress")
    expect(summary).to_be_focused()
    expect(page.get_by_label(re.compile("^Namn"))).to_have_attribute("aria-invalid", "true")
    check(page, "comments-form-errors")

    fill_comment(page)
    widget = page.locator("altcha-widget")
    expect(widget).to_be_visible()
    # The check runs in a worker while the reader writes; its solution goes into the form.
    expect(page.locator("input[name=altcha]")).to_have_value(re.compile(".{40,}"), timeout=30_000)
    check(page, "comments-form-verified")
    page.wait_for_timeout(1100)
    page.get_by_role("button", name="Skicka kommentaren").click()
    expect(page.get_by_role("status")).to_contain_text("så snart en moderator har godkänt den")
    comment = Comment.objects.get(name="Eva Läsare")
    assert comment.status == Comment.Status.WAITING and comment.proof_of_work
    assert "eva@kommun.example.se" not in page.content()
    check(page, "comments-posted")


def test_a_known_address_publishes_its_comment_through_the_emailed_link(page, live_server, quick_form):
    from django.core import mail

    load_demo()
    survey = Snapshot.objects.get(survey__slug=SLUG).survey
    Comment.objects.create(survey=survey, name="Eva", email="eva@kommun.example.se", body="Förra.", status="approved")
    page.goto(live_server.url + COMMENTS)
    page.wait_for_timeout(1100)  # the widget (a module) is ready; it starts when the form gets the focus
    fill_comment(page, body="Andra gången <b>fet</b>.")
    expect(page.locator("input[name=altcha]")).to_have_value(re.compile(".{40,}"), timeout=30_000)
    page.wait_for_timeout(1100)
    page.get_by_role("button", name="Skicka kommentaren").click()
    expect(page.get_by_role("status")).to_contain_text("skickat en länk till adressen")
    (message,) = mail.outbox
    link = next(line for line in message.body.splitlines() if "/comments/publish/" in line).strip()
    path = link[link.index("/results/") :]
    page.goto(live_server.url + path)
    expect(page.locator(".comment-body")).to_contain_text("Andra gången <b>fet</b>.")
    check(page, "comments-confirm")
    page.get_by_role("button", name="Publicera min kommentar").click()
    expect(page.get_by_role("status")).to_contain_text("Din kommentar är publicerad")
    check(page, "comments-confirmed")
    page.goto(live_server.url + COMMENTS)
    expect(page.locator("li.comment", has_text="Andra gången")).to_have_count(1)


def test_a_comment_without_javascript_is_taken_and_always_waits(browser_context, live_server, quick_form):
    load_demo()
    # This address has had a comment approved, but without the proof of work its next one still waits.
    known = Comment.objects.filter(status=Comment.Status.APPROVED).first()
    page = browser_context(java_script_enabled=False).new_page()
    page.goto(live_server.url + COMMENTS)
    assert "JavaScript är avstängt" in page.locator(".comment-check").inner_text()
    fill_comment(page, name="Utan Skript", email=known.email, body="<script>alert(1)</script> Hej!")
    page.wait_for_timeout(1100)
    page.get_by_role("button", name="Skicka kommentaren").click()
    expect(page.get_by_role("status")).to_contain_text("så snart en moderator har godkänt den")
    comment = Comment.objects.get(name="Utan Skript")
    assert comment.status == Comment.Status.WAITING and not comment.proof_of_work
    assert comment.body == "<script>alert(1)</script> Hej!"
    screenshot(page, "comments-posted-without-javascript")

    # axe runs as JavaScript: the same page is scanned in a browser that has it.
    scan = browser_context().new_page()
    scan.goto(live_server.url + COMMENTS)
    check(scan, "comments-form")


def test_a_post_straight_after_the_page_loads_is_shown_again_with_what_was_written(page, live_server, settings):
    load_demo()
    settings.COMMENT_MIN_FORM_SECONDS = 30
    page.goto(live_server.url + COMMENTS)
    page.evaluate("() => document.querySelector('altcha-widget').remove()")
    fill_comment(page, body="Snabbt skrivet.")
    page.get_by_role("button", name="Skicka kommentaren").click()
    expect(page.locator("#comment-errors")).to_contain_text("bara ett ögonblick efter")
    expect(page.get_by_label(re.compile("^Kommentar"))).to_have_value("Snabbt skrivet.")
    assert not Comment.objects.filter(body="Snabbt skrivet.").exists()
    check(page, "comments-too-fast")


def test_moderation_round_trip_shows_the_comment_at_once_to_cached_visitors(browser_context, live_server, quick_form):
    load_demo()
    waiting = Comment.objects.get(status=Comment.Status.WAITING)
    visitor = browser_context().new_page()
    visitor.goto(live_server.url + f"/results/{SLUG}/")
    expect(visitor.locator("section.discussion")).not_to_contain_text(waiting.name)
    visitor.reload()  # now from the page cache

    User.objects.create_superuser("moderator", "moderator@example.se", "a-good-password-42")
    staff = browser_context().new_page()
    staff.goto(live_server.url + reverse("login") + "?next=" + reverse("admin:results_comment_changelist"))
    staff.get_by_label("Användarnamn").fill("moderator")
    staff.get_by_label("Lösenord").fill("a-good-password-42")
    staff.get_by_role("button", name="Logga in").click()
    expect(staff.locator("#result_list")).to_contain_text(waiting.name)
    # The text is plain in the list: a link in it is not clickable before approval.
    check(staff, "comments-moderation-list")
    staff.locator(f"input[name=_selected_action][value='{waiting.pk}']").check()
    staff.locator("select[name=action]").select_option("approve")
    staff.get_by_role("button", name="Utför").click()
    expect(staff.locator(".messagelist")).to_contain_text("1 kommentar godkänd")

    visitor.reload()
    expect(visitor.locator("section.discussion")).to_contain_text(waiting.name)

    # Removed again: gone at once too.
    staff.locator(f"input[name=_selected_action][value='{waiting.pk}']").check()
    staff.locator("select[name=action]").select_option("remove")
    staff.get_by_role("button", name="Utför").click()
    visitor.reload()
    expect(visitor.locator("section.discussion")).not_to_contain_text(waiting.name)


def test_the_video_loads_from_the_service_only_after_the_click(browser_context, live_server):
    load_demo()
    survey = Snapshot.objects.get(version=Snapshot.objects.latest("version").version).survey
    Commentary.objects.create(
        survey=survey,
        order=0,
        kind="video",
        heading_sv="Sammanfattande film",
        body_sv="En film om resultatet.",
        video_url="https://www.youtube.com/watch?v=abcdefghijk",
    )
    Commentary.objects.create(
        survey=survey,
        order=1,
        kind="video",
        heading_sv="Filmen med undertexter",
        video_file="/static/video/sammanfattning.mp4",
        captions_file="/static/video/sammanfattning.sv.vtt",
        transcript_sv="Välkommen till sammanfattningen av enkäten.",
    )
    publish_snapshot(survey=survey)
    context = browser_context()
    elsewhere = []
    context.on("request", lambda r: elsewhere.append(r.url) if not r.url.startswith(live_server.url) else None)
    # The player's host stands in for the service, so that nothing leaves the machine.
    context.route(
        "https://www.youtube-nocookie.com/**",
        lambda route: route.fulfill(content_type="text/html", body="<title>Spelare</title><p>Spelaren</p>"),
    )
    page = context.new_page()
    response = page.goto(live_server.url + f"/results/{SLUG}/")
    assert "frame-src 'self' https://www.youtube-nocookie.com;" in response.headers["content-security-policy"]
    placeholder = page.locator(".video-consent")
    expect(placeholder).to_contain_text("YouTube")
    expect(placeholder).to_contain_text("Google")
    expect(page.locator("video track[kind=captions]")).to_have_count(1)
    page.get_by_text("Läs textversionen").click()
    expect(page.get_by_text("Välkommen till sammanfattningen av enkäten.")).to_be_visible()
    check(page, "video-placeholder")
    assert elsewhere == []

    button = page.get_by_role("button", name="Ladda och spela filmen från YouTube")
    button.focus()
    page.keyboard.press("Enter")
    frame = page.locator("iframe.video-frame")
    expect(frame).to_have_attribute("src", re.compile(r"^https://www\.youtube-nocookie\.com/embed/abcdefghijk"))
    expect(frame).to_have_attribute("title", re.compile("Sammanfattande film"))
    expect(frame).to_be_focused()
    assert elsewhere and all(url.startswith("https://www.youtube-nocookie.com/") for url in elsewhere)
    check(page, "video-loaded")

    # Other pages allow no player.
    other = page.request.get(live_server.url + f"/results/{SLUG}/skane/")
    assert "youtube" not in other.headers["content-security-policy"]
