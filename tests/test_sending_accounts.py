"""
Sending accounts (#19, first step): their secrets are encrypted at rest
with the keys from the environment, never readable or shown as typed, the
key rotates with a command, and a missing or wrong key is a clear error at
start.
"""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.core.management.base import SystemCheckError

from msi_survey import encryption
from msi_survey.celery import secrets_readable
from surveys.models import SendingAccount

from .conftest import make_region
from .test_settings import settings_in

pytestmark = pytest.mark.django_db

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def key(settings):
    settings.SECRETS_KEYS = OLD
    return settings


def account(**secrets) -> SendingAccount:
    made = SendingAccount(name="LTU", from_email="enkat@ltu.example.se", host="smtp.office365.com")
    for name, value in secrets.items():
        made.set_secret(name, value)
    made.full_clean()
    made.save()
    return made


def test_a_secret_is_stored_encrypted_and_read_back_as_typed(key):
    saved = account(password="hemligt-lösen-1", oauth_client_secret="klient~hemlis")
    stored = SendingAccount.objects.get()
    assert "hemligt" not in stored.password_encrypted and "klient" not in stored.oauth_client_secret_encrypted
    assert stored.secret("password") == "hemligt-lösen-1"
    assert stored.secret("oauth_client_secret") == "klient~hemlis"
    assert stored.secret("bounce_password") == "" and not stored.has_secret("bounce_password")
    assert "hemligt" not in repr(saved) and "gAAAA" not in repr(saved)


def test_without_a_key_nothing_is_saved_or_read_and_the_message_says_what_to_set(key):
    saved = account(password="hemligt")
    key.SECRETS_KEYS = ""
    with pytest.raises(encryption.SecretsUnavailable, match="set SECRETS_KEYS"):
        SendingAccount.objects.get().secret("password")
    with pytest.raises(encryption.SecretsUnavailable, match="set SECRETS_KEYS"):
        saved.set_secret("password", "nytt")


def test_rotating_the_key_encrypts_every_secret_again(key):
    account(password="ett", bounce_password="två")
    key.SECRETS_KEYS = f"{NEW},{OLD}"
    call_command("rotate_secrets_key", stdout=None)
    key.SECRETS_KEYS = NEW  # the old key may go now
    stored = SendingAccount.objects.get()
    assert (stored.secret("password"), stored.secret("bounce_password")) == ("ett", "två")


def test_rotating_with_keys_that_cannot_read_the_secrets_changes_nothing(key):
    account(password="ett")
    before = SendingAccount.objects.get().password_encrypted
    key.SECRETS_KEYS = NEW
    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("rotate_secrets_key")
    assert SendingAccount.objects.get().password_encrypted == before


def test_a_wrong_key_is_a_clear_error_at_start(key):
    account(password="ett")
    key.SECRETS_KEYS = NEW
    with pytest.raises(SystemCheckError, match="LTU.*cannot be read"):
        call_command("check", databases=["default"])
    with pytest.raises(RuntimeError, match="LTU"):
        secrets_readable()  # a Celery worker does not start
    key.SECRETS_KEYS = OLD
    call_command("check", databases=["default"])
    secrets_readable()


def test_a_malformed_key_stops_the_settings(tmp_path):
    result = settings_in({"DEBUG": "true", "VAR_DIR": str(tmp_path), "SECRETS_KEYS": "not-a-key"}, "s.SECRETS_KEYS")
    assert result.returncode != 0 and "key 1 is not a Fernet key" in result.stderr


def test_limits_are_positive_and_a_region_without_an_account_uses_the_sites(key):
    region = make_region()
    assert region.sending_account is None  # the account from the environment, as before
    bad = SendingAccount(name="X", from_email="x@example.se", host="smtp.example.se", per_minute=0)
    with pytest.raises(ValidationError) as error:
        bad.full_clean()
    assert "per_minute" in error.value.message_dict
    both = SendingAccount(name="Y", from_email="y@example.se", host="smtp.example.se", use_tls=True, use_ssl=True)
    with pytest.raises(ValidationError, match="STARTTLS"):
        both.full_clean()


# The account's own transport, against real servers on loopback.


def relay(server, **fields) -> SendingAccount:
    made = SendingAccount.objects.create(
        name=fields.pop("name", "LTU"),
        from_email="enkat@ltu.example.se",
        from_name="Enkäten, LTU",
        reply_to="msi@ltu.example.se",
        host="127.0.0.1",
        port=server.port,
        use_tls=False,
        **fields,
    )
    return made


def test_a_test_email_goes_out_through_the_account_s_own_server(key):
    from surveys.distribution.sending_account import send_test_email

    from .smtp import Sink, SMTPServer

    with SMTPServer(Sink()) as server:
        result = send_test_email(relay(server), "lena@ltu.example.se")
    assert result.sent and "lena@ltu.example.se" in result.message
    (message,) = server.sink.messages
    assert str(message["From"]) == '"Enkäten, LTU" <enkat@ltu.example.se>'
    assert str(message["Reply-To"]) == "msi@ltu.example.se"
    assert server.sink.recipients() == ["lena@ltu.example.se"]


def test_an_account_signs_in_with_its_own_oauth_client_not_the_site_s(key):
    from surveys.distribution import smtp
    from surveys.distribution.sending_account import send_test_email

    from .smtp import Sink, SMTPServer, TokenEndpoint

    smtp.forget_token()
    with (
        TokenEndpoint(client_id="ltu-client", client_secret="ltu-hemlis") as endpoint,
        SMTPServer(Sink(xoauth2_tokens=endpoint.tokens)) as server,
    ):
        account = relay(
            server, username="enkat@ltu.example.se", oauth_token_url=endpoint.url, oauth_client_id="ltu-client"
        )
        account.set_secret("oauth_client_secret", "ltu-hemlis")
        account.save()
        assert send_test_email(account, "lena@ltu.example.se").sent
        assert server.sink.sign_ins == [("enkat@ltu.example.se", True)]
        # A wrong secret: refused, said in words, nothing of the secret in them.
        smtp.forget_token()
        account.set_secret("oauth_client_secret", "fel-hemlis")
        account.save()
        refused = send_test_email(account, "lena@ltu.example.se")
    assert not refused.sent and "token endpoint refused" in refused.message
    assert "hemlis" not in refused.message


def test_an_unreachable_server_or_unreadable_secret_is_said_in_words(key):
    from surveys.distribution.sending_account import send_test_email

    from .workers import free_port

    dead = SendingAccount.objects.create(
        name="Död", from_email="x@example.se", host="127.0.0.1", port=free_port(), use_tls=False
    )
    result = send_test_email(dead, "lena@example.se")
    assert not result.sent and result.message
    locked = SendingAccount.objects.create(name="Låst", from_email="y@example.se", host="127.0.0.1", username="u")
    locked.set_secret("password", "ett")
    locked.save()
    key.SECRETS_KEYS = NEW
    result = send_test_email(locked, "lena@example.se")
    assert not result.sent and "cannot be read" in result.message
