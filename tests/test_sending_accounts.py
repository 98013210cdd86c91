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
