"""
Secrets at rest: passwords and OAuth client secrets that staff enter are
stored encrypted with cryptography's Fernet (AES in CBC mode with an HMAC),
never as they were typed.

The keys come from SECRETS_KEYS in the environment: one or more Fernet keys,
comma-separated, the first one encrypting and every one decrypting
(MultiFernet). To rotate, put a new key first, keep the old one after it,
run `python manage.py rotate_secrets_key`, which encrypts every stored secret
again with the new key, and then drop the old key.

Without a key nothing can be encrypted or read: saving a secret, or using
one, raises SecretsUnavailable with a message saying what to set, and the
start of every Celery worker and `manage.py check --database default` says it at start when stored secrets exist.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretsUnavailable(Exception):
    """No key, a malformed key, or a secret none of the keys can read."""


def parse_keys(value: str) -> list[Fernet]:
    """The Fernet keys in a SECRETS_KEYS value; ImproperlyConfigured naming what is wrong."""
    keys = []
    for position, key in enumerate((part.strip() for part in value.split(",") if part.strip()), start=1):
        try:
            keys.append(Fernet(key))
        except (ValueError, TypeError) as error:
            raise ImproperlyConfigured(
                f"SECRETS_KEYS: key {position} is not a Fernet key (32 url-safe base64-encoded bytes); make one with "
                "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
            ) from error
    return keys


@lru_cache(maxsize=4)
def _fernet(value: str) -> MultiFernet:
    keys = parse_keys(value)
    if not keys:
        raise SecretsUnavailable(
            "No key to encrypt or read secrets with: set SECRETS_KEYS (see the README, “Sending accounts”)."
        )
    return MultiFernet(keys)


def fernet() -> MultiFernet:
    return _fernet(settings.SECRETS_KEYS)


def encrypt(text: str) -> str:
    """`text` encrypted with the first key, as text to store."""
    return fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    """A stored secret, readable again; SecretsUnavailable if no key can read it."""
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise SecretsUnavailable(
            "A stored secret cannot be read with SECRETS_KEYS: the key it was saved with is missing from it."
        ) from error


def rotate(token: str) -> str:
    """The stored secret encrypted again with the first key (it must be readable with one of them)."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken as error:
        raise SecretsUnavailable("A stored secret cannot be read with any key in SECRETS_KEYS.") from error


def stored_secrets_problem() -> str | None:
    """Why the stored secrets cannot be read with SECRETS_KEYS, or None: for the checks at start."""
    from surveys.distribution.sending_account import SECRET_FIELDS, SendingAccount

    for account in SendingAccount.objects.all():
        for name in SECRET_FIELDS:
            try:
                account.secret(name)
            except SecretsUnavailable as error:
                return f"Sending account “{account.name}”: {error}"
    return None
