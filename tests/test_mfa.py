"""The second factor: set-up when it is required, sign-in with an app's code or a recovery code."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.core import mail
from django.test import Client
from django.urls import reverse

from msi_survey.accounts.models import AuditEvent

from .conftest import make_region
from .signin import PASSWORD, log_in, make_user, secret_on, totp
from .test_security import cast  # noqa: F401 - the permission matrix's cast, a fixture

# The start of a TOTP period, so that a test has the whole period before the code changes.
START = datetime(2026, 11, 2, 8, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def required(settings):
    settings.MFA_REQUIRED = True


@pytest.fixture
def alice(db):
    return make_user("alice", region=make_region("north", "North"))


def reauthenticate(client):
    """The password again, as allauth asks before a second factor is set up or changed."""
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]


def set_up_totp(client) -> str:
    reauthenticate(client)
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = secret_on(page.content.decode())
    response = client.post(reverse("mfa_activate_totp"), {"code": totp(secret)})
    assert response.status_code == 302
    return secret


def test_a_lead_without_a_second_factor_is_led_to_set_one_up(client, alice, required, clock):
    assert log_in(client, "alice").status_code == 302
    response = client.get(reverse("lead:dashboard"))
    assert response.status_code == 302 and response.url == reverse("mfa_index")
    page = client.get(response.url).content.decode()
    assert "Ställ in en andra faktor" in page
    # Signing out stays open.
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_setting_up_an_app_needs_a_right_code_then_opens_the_site(
    client, alice, required, clock, django_capture_on_commit_callbacks
):
    log_in(client, "alice")
    # The password alone does not let anyone enrol an authenticator: it is asked again first.
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302 and response.url.startswith(reverse("account_reauthenticate"))
    wrong_password = client.post(reverse("account_reauthenticate"), {"password": "not-the-password"})
    assert wrong_password.status_code == 200
    assert client.get(reverse("mfa_activate_totp")).status_code == 302
    reauthenticate(client)
    page = client.get(reverse("mfa_activate_totp")).content.decode()
    secret = secret_on(page)
    assert 'src="data:image/svg+xml;base64,' in page  # the QR code, no external request
    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000" if totp(secret) != "000000" else "111111"})
    assert wrong.status_code == 200 and not Authenticator.objects.filter(user=alice).exists()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("mfa_activate_totp"), {"code": totp(secret)}).status_code == 302
    # The account's owner hears of it, wherever the set-up came from.
    notices = [message for message in mail.outbox if message.to == ["alice@example.se"]]
    assert len(notices) == 1, [message.subject for message in mail.outbox]
    assert "127.0.0.1" in notices[0].body
    assert set(Authenticator.objects.filter(user=alice).values_list("type", flat=True)) == {"totp", "recovery_codes"}
    assert client.get(reverse("lead:dashboard")).status_code == 200
    assert AuditEvent.objects.filter(user=alice, kind="mfa_added", detail="totp").exists()


def test_the_password_is_asked_once_even_when_setting_up_the_app_takes_a_while(
    transactional_db, client, alice, required, clock
):
    # Transactional: allauth announces the new factor once it is committed, as the site does between requests.
    log_in(client, "alice")
    reauthenticate(client)
    secret = secret_on(client.get(reverse("mfa_activate_totp")).content.decode())
    clock.shift(timedelta(minutes=12))  # installing an authenticator app on the phone
    response = client.post(reverse("mfa_activate_totp"), {"code": totp(secret)})
    assert response.status_code == 302 and response.url == reverse("mfa_view_recovery_codes")
    # The right code from the new factor was a fresh check: the recovery codes show without the
    # password again, even past the password's own window.
    clock.shift(timedelta(minutes=5))
    codes = client.get(response.url)
    assert codes.status_code == 200 and "reauthenticate" not in codes.get("Location", "")
    assert client.get(reverse("mfa_download_recovery_codes")).status_code == 200


def test_the_password_check_before_changing_a_factor_does_not_last_forever(client, alice, required, clock):
    log_in(client, "alice")
    reauthenticate(client)
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    clock.shift(timedelta(minutes=16))
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302 and response.url.startswith(reverse("account_reauthenticate"))


def test_signing_in_asks_for_the_code_and_refuses_a_wrong_or_reused_one(alice, required, clock):
    first = Client()
    log_in(first, "alice")
    secret = set_up_totp(first)
    first.post(reverse("logout"))
    clock.shift(timedelta(seconds=30))

    client = Client()
    response = log_in(client, "alice")
    assert response.status_code == 302 and response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    wrong = client.post(reverse("mfa_authenticate"), {"code": "123456" if totp(secret) != "123456" else "654321"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(user=alice, kind="sign_in_failed", detail="second factor (totp)").exists()
    code = totp(secret)
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    assert client.get(reverse("lead:dashboard")).status_code == 200
    assert AuditEvent.objects.filter(user=alice, kind="signed_in", detail="password, mfa").exists()

    # The same code again, still in its period, from another browser: refused.
    other = Client()
    log_in(other, "alice")
    reused = other.post(reverse("mfa_authenticate"), {"code": code})
    assert reused.status_code == 200 and "_auth_user_id" not in other.session
    clock.shift(timedelta(seconds=30))
    assert other.post(reverse("mfa_authenticate"), {"code": totp(secret)}).status_code == 302
    assert other.get(reverse("lead:dashboard")).status_code == 200


def test_each_recovery_code_works_once(alice, required, clock):
    first = Client()
    log_in(first, "alice")
    set_up_totp(first)
    codes = Authenticator.objects.get(user=alice, type="recovery_codes").wrap().get_unused_codes()
    assert len(codes) == 10

    for code in codes[:2]:
        client = Client()
        log_in(client, "alice")
        assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
        assert client.get(reverse("lead:dashboard")).status_code == 200
        again = Client()
        log_in(again, "alice")
        assert again.post(reverse("mfa_authenticate"), {"code": code}).status_code == 200
        assert "_auth_user_id" not in again.session
    assert len(Authenticator.objects.get(user=alice, type="recovery_codes").wrap().get_unused_codes()) == 8


def test_staff_need_it_too_and_the_admin_signs_in_through_the_same_page(client, db, required, clock):
    make_user("staffer", staff=True)
    response = client.get("/admin/")
    assert response.status_code == 302
    response = client.get(response.url)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    log_in(client, "staffer")
    assert client.get("/admin/").url == reverse("mfa_index")


def test_nothing_is_asked_when_it_is_not_required(client, alice, settings):
    settings.MFA_REQUIRED = False
    log_in(client, "alice")
    assert client.get(reverse("lead:dashboard")).status_code == 200


# The permission matrix with the second factor required ---------------------


def lead_and_staff_pages(survey):
    from surveys.models import Participant

    from .test_security import STAFF_PAGES

    north = [
        reverse(name, args=[survey.slug, "north", *extra])
        for name, extra in [
            ("lead:region", []),
            ("lead:participants_csv", []),
            ("lead:invite", []),
            ("lead:remind", []),
            ("lead:resend_uncertain", []),
            ("lead:import", []),
            ("lead:email_preview", ["invitation"]),
            ("lead:participant_edit", [Participant.objects.first().pk]),
        ]
    ]
    return [reverse("lead:dashboard"), *north], [reverse(name, args=[survey.slug]) for _, name in STAFF_PAGES]


def test_without_a_second_factor_no_lead_or_staff_page_opens(client, survey, cast, required):  # noqa: F811
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    lead_pages, staff_pages = lead_and_staff_pages(survey)
    for who in ("alice", "bob", "staff"):
        client.logout()
        client.force_login(cast[who])
        for address in lead_pages + staff_pages:
            response = client.get(address)
            assert response.status_code == 302 and response.url == reverse("mfa_index"), (who, address)
    # Anonymous visitors still go to the log-in page.
    client.logout()
    for address in lead_pages + staff_pages:
        response = client.get(address)
        assert response.status_code == 302 and "/login/" in response.url, address

    # With a second factor, the matrix is what it always was.
    for who in ("alice", "bob", "staff"):
        TOTP.activate(cast[who], generate_totp_secret())
    expected = {"bob": 404, "alice": 200, "staff": 200}
    for who, status in expected.items():
        client.logout()
        client.force_login(cast[who])
        for address in lead_pages[1:]:
            assert client.get(address).status_code == status, (who, address)
        for address in staff_pages[:1]:
            response = client.get(address)
            assert (response.status_code == 200) == (who == "staff"), (who, address)


# Guessing codes ------------------------------------------------------------


def wrong(secret: str) -> str:
    return "123456" if totp(secret) != "123456" else "654321"


@pytest.fixture
def alice_with_app(alice, required, clock):
    first = Client()
    log_in(first, "alice")
    secret = set_up_totp(first)
    first.post(reverse("logout"))
    clock.shift(timedelta(seconds=30))
    return secret


def test_three_wrong_codes_end_the_half_signed_in_session(alice, alice_with_app, clock):
    secret = alice_with_app
    client = Client()
    log_in(client, "alice")
    for _ in range(2):
        response = client.post(reverse("mfa_authenticate"), {"code": wrong(secret)})
        assert response.status_code == 200 and "Felaktig kod" in response.content.decode()
    third = client.post(reverse("mfa_authenticate"), {"code": wrong(secret)})
    assert third.status_code == 302 and third.url == reverse("login")
    page = client.get(third.url).content.decode()
    assert "Logga in igen med ditt lösenord" in page
    # The stage is gone: even the right code now leads back to the password.
    right = client.post(reverse("mfa_authenticate"), {"code": totp(secret)})
    assert right.status_code == 302 and right.url == reverse("login")
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(
        user=alice, kind="sign_in_failed", detail="second factor: sign-in ended after 3 wrong codes"
    ).exists()
    # Starting again with the password, the right code signs in.
    log_in(client, "alice")
    assert client.post(reverse("mfa_authenticate"), {"code": totp(secret)}).status_code == 302
    assert client.get(reverse("lead:dashboard")).status_code == 200


def test_codes_are_counted_per_account_whatever_session_they_come_from(alice, alice_with_app, clock):
    secret = alice_with_app
    # Five wrong codes, spread over two sign-ins from two browsers.
    for tries in (3, 2):
        client = Client()
        log_in(client, "alice")
        for _ in range(tries):
            client.post(reverse("mfa_authenticate"), {"code": wrong(secret)})
    client = Client()
    log_in(client, "alice")
    refused = client.post(reverse("mfa_authenticate"), {"code": totp(secret)})
    # Refused although right, and the half-signed-in session ends at once.
    assert refused.status_code == 302 and refused.url == reverse("login")
    assert "För många felaktiga koder" in client.get(refused.url).content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(user=alice, kind="sign_in_failed", detail="second factor throttled").exists()
    # When the window ends (the cache forgets the count: Redis by its own
    # clock, which time_machine does not move) the right code works again.
    from django.core.cache import cache

    from msi_survey.accounts.throttles import CODES

    cache.delete(f"{CODES.name}:user:{alice.pk}")
    clock.shift(timedelta(seconds=30))
    client = Client()
    log_in(client, "alice")
    assert client.post(reverse("mfa_authenticate"), {"code": totp(secret)}).status_code == 302
    assert client.get(reverse("lead:dashboard")).status_code == 200


def test_codes_are_counted_per_address_across_accounts(db, required, clock):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from msi_survey.accounts.throttles import CODES

    region = make_region("north", "North")
    secrets = {}
    for number in range(CODES.per_address // 2 + 1):
        user = make_user(f"lead{number}", region=region)
        secrets[user.username] = generate_totp_secret()
        TOTP.activate(user, secrets[user.username])
    failures = 0
    names = iter(secrets)
    while failures < CODES.per_address:
        name = next(names)
        client = Client()
        log_in(client, name)
        for _ in range(2):
            client.post(reverse("mfa_authenticate"), {"code": wrong(secrets[name])})
            failures += 1
    # One more account from the same address: refused although the code is right.
    name = next(names)
    client = Client()
    log_in(client, name)
    assert client.post(reverse("mfa_authenticate"), {"code": totp(secrets[name])}).url == reverse("login")
    assert "_auth_user_id" not in client.session
    # From another address the same account signs in.
    elsewhere = Client(REMOTE_ADDR="10.0.0.9")
    log_in(elsewhere, name)
    assert elsewhere.post(reverse("mfa_authenticate"), {"code": totp(secrets[name])}).status_code == 302
    assert elsewhere.get(reverse("lead:dashboard")).status_code == 200


def test_a_forgotten_password_for_an_unknown_address_mails_nobody(client, alice):
    mail.outbox.clear()
    response = client.post(reverse("account_reset_password"), {"email": "stranger@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []
    client.post(reverse("account_reset_password"), {"email": "alice@example.se"})
    assert [message.to for message in mail.outbox] == [["alice@example.se"]]
