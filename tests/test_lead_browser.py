"""A regional lead's whole round in a real browser, with axe-core on every page on the way."""

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from surveys.distribution import queueing, sending
from surveys.models import Participant

from .browser import axe_violations, screenshot
from .conftest import make_participant, make_region, make_survey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIST = (
    "E-post;Namn;Organisation;Nivå\r\n"
    "asa.ek@lulea.example.se;Åsa Ek;Luleå kommun;kommun\r\n"
    "bo@pitea.example.se;Bo Ström;Piteå kommun;kommun\r\n"
    "inte-en-adress;Trasig Rad;Någonstans;kommun\r\n"
    "cecilia@kiruna.example.se;Cecilia Berg;Kiruna kommun;region\r\n"
).encode("cp1252")


def check(page, name):
    screenshot(page, name)
    violations = axe_violations(page)
    assert violations == [], (name, violations)


@pytest.fixture
def setting(db):
    survey = make_survey(slug="msi-test")
    region = make_region()
    user = User.objects.create_user("lead-norrbotten", "lead@ltu.example.se", "a-good-password-42")
    region.leads.add(user)
    make_participant(survey, region=region, email="redan@lulea.example.se")
    return survey, region


def test_a_lead_imports_invites_and_sees_the_answer_counted(page, live_server, setting, tmp_path):
    survey, region = setting
    page.goto(live_server.url + reverse("login"))
    check(page, "lead-login")
    page.get_by_label("Användarnamn").fill("lead-norrbotten")
    page.get_by_label("Lösenord").fill("a-good-password-42")
    page.get_by_role("button", name="Logga in").click()
    expect(page.locator("h1")).to_have_text("Översikt")
    check(page, "lead-overview")

    page.get_by_role("link", name="Norrbotten").click()
    check(page, "lead-region-before")

    # Import a semicolon-separated Windows-1252 list, as Excel saves it.
    page.get_by_role("link", name="Importera en deltagarlista").click()
    check(page, "lead-import")
    path = tmp_path / "deltagare.csv"
    path.write_bytes(LIST)
    page.get_by_label("Deltagarlista").set_input_files(str(path))
    page.get_by_role("button", name="Kontrollera filen").click()
    expect(page.locator("h1")).to_contain_text("Kontrollera listan")
    assert "inte-en-adress" in page.locator("main").inner_text()
    assert "Åsa Ek" in page.locator("main").inner_text()
    check(page, "lead-import-preview")
    page.get_by_role("button", name=re.compile("Lägg till 3 deltagare")).click()
    expect(page.locator(".alert-success")).to_contain_text("3 deltagare har lagts till")
    assert Participant.objects.filter(region=region).count() == 4

    # Read the invitation, then send it.
    page.get_by_role("link", name="Skicka inbjudningar").click()
    expect(page.locator("main")).to_contain_text("4 personer")
    check(page, "lead-confirm-invite")
    page.get_by_role("link", name="Läs e-postmeddelandet först").click()
    expect(page.locator("main")).to_contain_text("Vilken kunskap")
    check(page, "lead-email-preview")
    page.go_back()
    page.get_by_role("button", name="Skicka till 4 personer").click()
    expect(page.locator(".alert-success")).to_contain_text("4 e-postmeddelanden är på väg")
    progress = page.locator("[data-progress-text]")
    expect(progress).to_contain_text("0 av 4")
    check(page, "lead-region-sending")

    # The worker sends while the page is open: the bar moves without a reload.
    page.evaluate("() => { window.stillTheSamePage = true; }")
    report, _ = sending.drain_queue()
    assert report.sent == 4
    expect(progress).to_contain_text("4 av 4", timeout=15_000)
    expect(page.locator("[data-count='delivered']")).to_have_text("4")
    assert page.evaluate("() => window.stillTheSamePage === true")
    screenshot(page, "lead-region-sent")

    # Åsa opens her invitation and answers through its link.
    message = next(m for m in mail.outbox if m.to == ["asa.ek@lulea.example.se"])
    link = re.search(r"http://\S+/s/[\w-]+/", message.body).group(0)
    token = link.rstrip("/").rsplit("/", 1)[1]
    answer = page.context.new_page()
    answer.goto(live_server.url + f"/s/{token}/")
    for title in [
        "Effektmätning",
        "Tvärsektoriell samverkan",
        "Agila arbetsmetoder",
        "Intraprenörskap",
        "Förändringsledning",
    ]:
        answer.get_by_role("button", name=f"Lägg till {title}").click()
    answer.get_by_role("button", name="Skicka mitt svar").click()
    expect(answer.locator("h1")).to_have_text("Tack för ditt svar")

    page.reload()
    expect(page.locator("[data-count='answered']")).to_have_text("1")
    page.get_by_label("Visa").select_option(label="Svarat")
    page.get_by_role("button", name="Filtrera").click()
    expect(page.locator("table.participants tbody")).to_contain_text("asa.ek@lulea.example.se")
    check(page, "lead-region-answered")


def test_the_other_lead_pages_pass_axe(page, live_server, setting, client):
    survey, region = setting
    participant = Participant.objects.get()
    # Log in through the browser's cookie jar from Django's test client.
    client.force_login(User.objects.get(username="lead-norrbotten"))
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
    for name, address in [
        ("lead-participant-add", reverse("lead:participant_add", args=[survey.slug, region.code])),
        ("lead-participant-edit", reverse("lead:participant_edit", args=[survey.slug, region.code, participant.pk])),
        (
            "lead-participant-remove",
            reverse("lead:participant_remove", args=[survey.slug, region.code, participant.pk]),
        ),
        ("lead-confirm-remind", reverse("lead:remind", args=[survey.slug, region.code])),
        ("opt-out", reverse("surveys:opt_out", args=[participant.token])),
        ("privacy", reverse("privacy")),
    ]:
        page.goto(live_server.url + address)
        check(page, name)
    page.goto(live_server.url + reverse("lead:participant_add", args=[survey.slug, region.code]))
    page.get_by_role("button", name="Spara").click()
    expect(page.locator("main form")).to_contain_text("Detta fält måste fyllas i")
    check(page, "lead-participant-add-errors")


def test_the_lead_watches_emails_wait_for_the_mail_server_and_go_out(page, live_server, setting):
    """What the lead sees while the mail server is down, and when it is back, without reloading the page."""
    from datetime import timedelta

    from django.utils import timezone

    from surveys.models import OutgoingEmail

    survey, region = setting
    for i in range(3):
        make_participant(survey, region=region, email=f"p{i}@lulea.example.se")
    queueing.queue_invitations(survey=survey, region=region)
    # The worker tried and could not connect: the rows wait for their next try.
    OutgoingEmail.objects.update(
        last_error="Kunde inte ansluta till e-postservern.", next_attempt_at=timezone.now() + timedelta(seconds=30)
    )
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Användarnamn").fill("lead-norrbotten")
    page.get_by_label("Lösenord").fill("a-good-password-42")
    page.get_by_role("button", name="Logga in").click()
    page.goto(live_server.url + reverse("lead:region", args=[survey.slug, region.code]))
    notice = page.locator("[data-progress-waiting]")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("E-post som väntar på ett nytt försök: 4.")
    expect(notice).to_contain_text("Kunde inte ansluta till e-postservern.")
    check(page, "lead-region-mail-server-down")

    # The server answers again; the first two go out, then the rest.
    first_two = list(OutgoingEmail.objects.order_by("pk").values_list("pk", flat=True)[:2])
    OutgoingEmail.objects.filter(pk__in=first_two).update(status="sent", sent_at=timezone.now(), last_error="")
    OutgoingEmail.objects.exclude(pk__in=first_two).update(last_error="", next_attempt_at=timezone.now())
    expect(notice).to_be_hidden(timeout=10_000)
    expect(page.locator("[data-progress-done]")).to_have_text(
        "E-postservern svarar igen: de väntande meddelandena skickas nu."
    )
    OutgoingEmail.objects.update(status="sent", sent_at=timezone.now())
    expect(page.locator("[data-progress-done]")).to_have_text("Utskicket är klart.", timeout=10_000)
    expect(page.locator("[data-progress-text]")).to_contain_text("4 av 4")
    check(page, "lead-region-mail-server-back")

    # One of them turns out uncertain; the lead sends it again, knowing what that means.
    OutgoingEmail.objects.filter(pk=first_two[0]).update(status="uncertain")
    page.reload()
    page.get_by_role("link", name="Skicka de osäkra meddelandena igen").click()
    expect(page.locator("main")).to_contain_text("få samma meddelande två gånger")
    check(page, "lead-resend-uncertain")
    page.get_by_role("button", name="Skicka 1 meddelande igen").click()
    expect(page.locator(".alert-success")).to_contain_text("1 e-postmeddelande är på väg igen")
    assert OutgoingEmail.objects.get(pk=first_two[0]).status == "queued"


def test_the_lead_watches_a_limited_wave_advance(page, live_server, setting, settings):
    """A send under a sending limit of three a minute: the estimate before, and why emails wait during it."""
    from datetime import timedelta

    from django.utils import timezone

    from surveys.models import OutgoingEmail

    settings.EMAIL_LIMIT_PER_MINUTE = 3
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    survey, region = setting
    for i in range(8):
        make_participant(survey, region=region, email=f"p{i}@lulea.example.se")
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Användarnamn").fill("lead-norrbotten")
    page.get_by_label("Lösenord").fill("a-good-password-42")
    page.get_by_role("button", name="Logga in").click()
    page.goto(live_server.url + reverse("lead:invite", args=[survey.slug, region.code]))
    expect(page.locator("[data-estimate]")).to_contain_text("Med e-postkontots sändningsgränser tar det ungefär 2 min")
    check(page, "lead-confirm-limited")
    page.get_by_role("button", name="Skicka till 9 personer").click()

    held = page.locator("[data-progress-held]")
    for sent in (3, 6):
        sending.drain_queue()
        expect(held).to_be_visible(timeout=10_000)
        expect(held).to_contain_text(f"{9 - sent} e-postmeddelanden väntar i kön", timeout=10_000)
        expect(held).to_contain_text("sändningsgränsen per minut är nådd")
        expect(page.locator("[data-progress-text]")).to_contain_text(f"{sent} av 9")
        if sent == 3:
            check(page, "lead-region-limited-wave")
        # A minute passes: what went leaves the window.
        two_minutes_ago = timezone.now() - timedelta(minutes=2)
        OutgoingEmail.objects.filter(status="sent").update(claimed_at=two_minutes_ago, sent_at=two_minutes_ago)
    sending.drain_queue()
    expect(page.locator("[data-progress-done]")).to_have_text("Utskicket är klart.", timeout=10_000)
    expect(held).to_be_hidden()
    assert len(mail.outbox) == 9


def test_staff_read_the_sending_queue(page, live_server, setting, settings):
    from surveys.distribution import pacing
    from surveys.models import SendingState

    settings.EMAIL_LIMIT_PER_MINUTE = 30
    settings.EMAIL_LIMIT_PER_DAY = 10000
    survey, region = setting
    User.objects.create_user("staff", "staff@example.se", "a-good-password-42", is_staff=True)
    queueing.queue_invitations(survey=survey, region=region)
    pacing.pause(
        SendingState.Pause.QUOTA, reply="554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException"
    )
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Användarnamn").fill("staff")
    page.get_by_label("Lösenord").fill("a-good-password-42")
    page.get_by_role("button", name="Logga in").click()
    page.get_by_role("link", name="Sändningskön").click()
    expect(page.locator("h1")).to_have_text("Sändningskön")
    expect(page.locator("main")).to_contain_text("e-postkontots dagskvot är slut")
    expect(page.locator("main")).to_contain_text("SubmissionQuotaExceededException")
    check(page, "staff-sending-queue")
    page.set_viewport_size({"width": 390, "height": 844})
    check(page, "staff-sending-queue-phone")


def test_a_lead_at_a_staff_page_reads_why_and_where_to_go(page, live_server, setting):
    survey, _region = setting
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Användarnamn").fill("lead-norrbotten")
    page.get_by_label("Lösenord").fill("a-good-password-42")
    page.get_by_role("button", name="Logga in").click()
    expect(page.locator("h1")).to_have_text("Översikt")
    for path in ("/admin/", reverse("results:preview", args=[survey.slug])):
        response = page.goto(live_server.url + path)
        assert response is not None and response.status == 403, path
        expect(page.locator("h1")).to_have_text("Ingen behörighet till sidan")
    check(page, "lead-403")
    page.get_by_role("link", name="Till dina regioner").click()
    expect(page.locator("h1")).to_have_text("Översikt")
