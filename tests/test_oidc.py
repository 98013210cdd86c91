"""Single sign-on through OpenID Connect, against a real provider on a local port."""

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import User
from django.test import Client
from joserfc.jwk import RSAKey

from msi_survey.accounts.models import AccountPolicy, AuditEvent

from .conftest import make_region
from .oidc_provider import Provider
from .signin import log_in, make_user

LOGIN = "/accounts/oidc/kommun/login/"


@pytest.fixture
def idp(settings):
    with Provider() as provider:
        settings.SOCIALACCOUNT_PROVIDERS = {
            "openid_connect": {
                "APPS": [
                    {
                        "provider_id": "kommun",
                        "name": "Kommunens inloggning",
                        "client_id": provider.client_id,
                        "secret": provider.client_secret,
                        "settings": {
                            "server_url": provider.url,
                            "token_auth_method": "client_secret_basic",
                            "oauth_pkce_enabled": True,
                            "fetch_userinfo": False,
                        },
                    }
                ]
            }
        }
        yield provider


@pytest.fixture
def alice(db):
    return make_user("alice", email="alice@lulea.example.se", region=make_region("north", "North"))


def through_provider(client, idp, **claims) -> str:
    """Start at the site, sign in at the provider as `claims`; the address the provider sends the browser back to."""
    idp.person = {"sub": "entra-0001", "email_verified": True, **claims}
    started = client.post(LOGIN)
    assert started.status_code == 302 and started.url.startswith(idp.url + "/authorize?"), started
    at_provider = requests.get(started.url, allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302
    back = at_provider.headers["Location"]
    assert back.startswith("http://testserver/accounts/oidc/kommun/login/callback/?")
    return back.removeprefix("http://testserver")


def signed_in_user(client):
    return client.session.get("_auth_user_id")


def test_the_login_page_offers_the_provider(client, idp, db):
    page = client.get("/accounts/login/").content.decode()
    assert "Logga in med Kommunens inloggning" in page
    assert f'action="{LOGIN}"' in page


def test_a_person_is_matched_by_verified_email_then_by_identifier(client, idp, alice):
    back = through_provider(client, idp, email="Alice@lulea.example.se")
    response = client.get(back)
    assert response.status_code == 302 and response.url == "/lead/"
    assert signed_in_user(client) == str(alice.pk)
    assert SocialAccount.objects.get(user=alice).uid == "entra-0001"
    assert AuditEvent.objects.filter(user=alice, kind="signed_in", detail="kommun").exists()
    assert client.get("/lead/").status_code == 200

    # Next time the identifier is enough, whatever the address says now.
    other = Client()
    other.get(through_provider(other, idp, email="a.new.address@lulea.example.se"))
    assert signed_in_user(other) == str(alice.pk)


def test_an_unknown_person_gets_no_account(client, idp, alice):
    response = client.get(
        through_provider(client, idp, sub="entra-9999", email="stranger@lulea.example.se"), follow=True
    )
    assert "Det finns inget konto för dig här" in response.content.decode()
    assert signed_in_user(client) is None
    assert User.objects.count() == 1 and not SocialAccount.objects.exists()


def test_an_address_the_provider_has_not_verified_is_not_enough(client, idp, alice):
    client.get(through_provider(client, idp, email=alice.email, email_verified=False), follow=True)
    assert signed_in_user(client) is None
    assert not SocialAccount.objects.exists()


def test_a_token_whose_signature_does_not_verify_is_refused(client, idp, alice):
    idp.signing_key = RSAKey.generate_key(2048, parameters={"kid": "signing-key"})
    response = client.get(through_provider(client, idp, email=alice.email))
    assert signed_in_user(client) is None
    assert (
        response.status_code == 401 and "Inloggningen via din organisation misslyckades" in response.content.decode()
    )
    assert not SocialAccount.objects.exists()


def test_a_replayed_response_is_refused(client, idp, alice):
    back = through_provider(client, idp, email=alice.email)
    client.get(back)
    assert signed_in_user(client) == str(alice.pk)
    # The same answer from the provider again: in another browser, and in this one after signing out.
    elsewhere = Client()
    elsewhere.get(back)
    assert signed_in_user(elsewhere) is None
    client.post("/accounts/logout/")
    client.get(back)
    assert signed_in_user(client) is None


def test_an_account_limited_to_single_sign_on_signs_in_through_it_and_needs_no_second_factor(
    client, idp, alice, settings
):
    settings.MFA_REQUIRED = True
    AccountPolicy.objects.create(user=alice, sso_only=True)
    assert log_in(Client(), "alice").status_code == 200  # the password is refused
    client.get(through_provider(client, idp, email=alice.email))
    assert signed_in_user(client) == str(alice.pk)
    assert client.get("/lead/").status_code == 200
