"""Single sign-on through SAML 2.0, against a pysaml2 identity provider as a SWAMID member runs one."""

from urllib.parse import parse_qs, urlparse

import pytest
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from msi_survey.accounts.models import AuditEvent

from .conftest import make_region, need
from .saml_idp import ENTITY_ID, SSO_URL, IdentityProvider, encoded, self_signed
from .signin import make_user

EPPN = "urn:oid:1.3.6.1.4.1.5923.1.1.1.6"
MAIL = "urn:oid:0.9.2342.19200300.100.1.3"
LOGIN = "/accounts/saml/ltu/login/"


def app_settings(certificate: str) -> dict:
    return {
        "saml": {
            "APPS": [
                {
                    "provider_id": "ltu",
                    "name": "Luleå tekniska universitet",
                    "client_id": "ltu",
                    "settings": {
                        "attribute_mapping": {"uid": EPPN, "email": MAIL},
                        "idp": {"entity_id": ENTITY_ID, "sso_url": SSO_URL, "x509cert": certificate},
                        "sp": {"entity_id": "http://testserver/saml"},
                        "verified_email": True,
                        "advanced": {
                            "want_assertion_signed": True,
                            "reject_deprecated_algorithm": True,
                            "reject_idp_initiated_sso": True,
                            # The test client's host, "testserver", has no dot.
                            "allow_single_label_domains": True,
                            "strict": True,
                        },
                    },
                }
            ]
        }
    }


def browser() -> Client:
    # A browser always sends Host; python3-saml reads it where Django's test client leaves it out.
    return Client(HTTP_HOST="testserver")


@pytest.fixture
def client():
    return browser()


@pytest.fixture
def idp(settings, tmp_path, db):
    import shutil

    need(shutil.which("xmlsec1") is not None, "xmlsec1 (apt-get install xmlsec1)")
    # The site's metadata, which the identity provider is given as a federation would.
    settings.SOCIALACCOUNT_PROVIDERS = app_settings(self_signed(tmp_path, "placeholder")[2])
    metadata = browser().get("/accounts/saml/ltu/metadata/")
    assert metadata.status_code == 200
    provider = IdentityProvider(tmp_path, metadata.content.decode())
    settings.SOCIALACCOUNT_PROVIDERS = app_settings(provider.certificate)
    return provider


@pytest.fixture
def alice(db):
    return make_user("alice", email="alice@ltu.example.se", region=make_region("north", "North"))


def through_provider(client, idp, *, eppn="alice@ltu.example.se", mail="alice@ltu.example.se"):
    """Start at the site, sign in at the identity provider; the response and where to post it."""
    started = client.post(LOGIN)
    assert started.status_code == 302 and started.url.startswith(SSO_URL), started
    query = parse_qs(urlparse(started.url).query)
    xml, destination = idp.answer(
        query["SAMLRequest"][0], identity={"eduPersonPrincipalName": [eppn], "mail": [mail]}, user_id=eppn
    )
    assert destination == "http://testserver/accounts/saml/ltu/acs/"
    return xml, query.get("RelayState", [""])[0]


def post(client, xml, relay_state):
    return client.post(
        "/accounts/saml/ltu/acs/", {"SAMLResponse": encoded(xml), "RelayState": relay_state}, follow=True
    )


def signed_in_user(client):
    return client.session.get("_auth_user_id")


def test_a_person_signs_in_and_is_matched_by_email_then_by_identifier(client, idp, alice):
    xml, relay = through_provider(client, idp)
    assert MAIL in xml and "Signature" in xml
    post(client, xml, relay)
    assert signed_in_user(client) == str(alice.pk)
    assert SocialAccount.objects.get(user=alice).uid == "alice@ltu.example.se"
    assert AuditEvent.objects.filter(user=alice, kind="signed_in", detail="ltu").exists()

    other = browser()
    post(other, *through_provider(other, idp, mail="alice.new@ltu.example.se"))
    assert signed_in_user(other) == str(alice.pk)


def test_an_unknown_person_is_refused(client, idp, alice):
    response = post(client, *through_provider(client, idp, eppn="eve@ltu.example.se", mail="eve@ltu.example.se"))
    assert "Det finns inget konto för dig här" in response.content.decode()
    assert signed_in_user(client) is None
    assert not SocialAccount.objects.exists()


def test_a_response_whose_signature_does_not_verify_is_refused(client, idp, alice):
    xml, relay = through_provider(client, idp, eppn="eve@ltu.example.se", mail="eve@ltu.example.se")
    # Eve changes the signed assertion to say she is Alice.
    forged = xml.replace("eve@ltu.example.se", "alice@ltu.example.se")
    response = post(client, forged, relay)
    assert "Inloggningen via din organisation misslyckades" in response.content.decode()
    assert signed_in_user(client) is None


def test_a_replayed_response_is_refused(client, idp, alice):
    xml, relay = through_provider(client, idp)
    post(client, xml, relay)
    assert signed_in_user(client) == str(alice.pk)
    elsewhere = browser()
    post(elsewhere, xml, relay)
    assert signed_in_user(elsewhere) is None
    client.post("/accounts/logout/")
    post(client, xml, relay)
    assert signed_in_user(client) is None


def test_the_login_page_offers_the_identity_provider(client, idp):
    page = client.get("/accounts/login/").content.decode()
    assert "Logga in med Luleå tekniska universitet" in page
    assert f'action="{LOGIN}"' in page
