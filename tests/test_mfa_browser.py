"""The second factor in a real browser: a security key in Chromium's virtual authenticator, axe on every page."""

import re

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from msi_survey.accounts.models import AuditEvent

from .browser import axe_violations, screenshot
from .conftest import make_region
from .signin import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check(page, name):
    screenshot(page, name)
    violations = axe_violations(page)
    assert violations == [], (name, violations)


def virtual_authenticator(context, page):
    """A security key with a fingerprint reader, as Chromium's DevTools WebAuthn domain provides."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def log_in(page, base):
    page.goto(base + "/accounts/login/")
    page.get_by_label("Användarnamn").fill("alice")
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()


def confirm_password(page, name):
    """allauth asks for the password again before a second factor is set up."""
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    check(page, name)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Verifiera").click()


@pytest.fixture
def alice(db):
    return make_user("alice", region=make_region("north", "North"))


def test_a_lead_adds_a_security_key_and_signs_in_with_it(browser_context, live_server, alice, settings):
    settings.MFA_REQUIRED = True
    context = browser_context()
    page = context.new_page()
    cdp, authenticator_id = virtual_authenticator(context, page)

    log_in(page, live_server.url)
    expect(page).to_have_url(live_server.url + "/accounts/2fa/")
    expect(page.get_by_text("Ställ in en andra faktor")).to_be_visible()
    check(page, "mfa-index")

    page.goto(live_server.url + "/accounts/2fa/webauthn/add/")
    confirm_password(page, "mfa-reauthenticate")
    expect(page).to_have_url(live_server.url + "/accounts/2fa/webauthn/add/")
    check(page, "mfa-webauthn-add")
    page.get_by_label("Nyckelns namn").fill("Nyckel på kontoret")
    page.locator("#mfa_webauthn_add").click()
    expect(page.locator("h1")).not_to_have_text("Lägg till säkerhetsnyckel")
    key = Authenticator.objects.get(user=alice, type="webauthn")
    assert key.wrap().name == "Nyckel på kontoret"
    assert len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]) == 1
    check(page, "mfa-after-webauthn-add")

    # Sign out, then in again: the password, then the key.
    page.goto(live_server.url + "/lead/")
    page.get_by_role("button", name="Logga ut").click()
    log_in(page, live_server.url)
    expect(page).to_have_url(live_server.url + "/accounts/2fa/authenticate/")
    check(page, "mfa-authenticate")
    page.get_by_role("button", name="Använd en säkerhetsnyckel").click()
    expect(page).to_have_url(live_server.url + "/lead/")
    expect(page.locator("h1")).to_have_text("Översikt")
    assert AuditEvent.objects.filter(user=alice, kind="signed_in", detail="password, mfa").exists()
    assert AuditEvent.objects.filter(user=alice, kind="mfa_added", detail="webauthn").exists()


def test_the_code_is_entered_by_keyboard_alone(browser_context, live_server, alice, settings):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from .signin import totp

    secret = generate_totp_secret()
    TOTP.activate(alice, secret)
    page = browser_context().new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the site's name
    page.keyboard.press("Tab")  # the language switch
    page.keyboard.press("Tab")
    expect(page.get_by_label("Användarnamn")).to_be_focused()
    page.keyboard.type("alice")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server.url + "/accounts/2fa/authenticate/")
    page.get_by_label("Kod").focus()
    page.keyboard.type(totp(secret))
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server.url + "/lead/")


@pytest.mark.parametrize("width", [390, 1280])
def test_the_log_in_and_set_up_pages_fit_a_phone_and_a_desktop(browser_context, live_server, alice, settings, width):
    settings.MFA_REQUIRED = True
    page = browser_context(viewport={"width": width, "height": 900}).new_page()
    page.goto(live_server.url + "/accounts/login/")
    check(page, f"login-{width}")
    log_in(page, live_server.url)
    page.goto(live_server.url + "/accounts/2fa/totp/activate/")
    confirm_password(page, f"mfa-reauthenticate-{width}")
    expect(page).to_have_url(live_server.url + "/accounts/2fa/totp/activate/")
    check(page, f"mfa-totp-setup-{width}")
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    expect(page.locator("img.totp-qr")).to_be_visible()
