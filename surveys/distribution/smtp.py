"""
The SMTP connection: Django's SMTP backend, signing in with OAuth 2.0
(XOAUTH2) when the deployment sets EMAIL_OAUTH2_TOKEN_URL, as Microsoft 365
and Google Workspace require, and with a password otherwise.

The access token comes from the provider's token endpoint by the
client-credentials flow (Authlib), is kept in this process until shortly
before it expires, one per set of client credentials (the site's, and each
sending account's), and is never logged. A refused sign-in raises
SMTPAuthenticationError, which sending.py turns into a pause for everyone
(see replies.py), never into failed emails; the token is then fetched anew.
"""

import smtplib
import threading
import time
from dataclasses import dataclass, field

from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings
from django.core.mail.backends import smtp

# A token is fetched again this long before it expires.
EXPIRY_MARGIN_SECONDS = 120


class TokenError(smtplib.SMTPAuthenticationError):
    """No access token could be had from the token endpoint: sign-in is impossible for now."""

    def __init__(self, reason: str):
        super().__init__(0, reason)


@dataclass(frozen=True)
class OAuthClient:
    """The client credentials that get an access token: the site's (EMAIL_OAUTH2_*) or a sending account's."""

    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    scope: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.token_url, self.client_id, self.scope)


def site_oauth_client() -> OAuthClient | None:
    if not settings.EMAIL_OAUTH2_TOKEN_URL:
        return None
    return OAuthClient(
        token_url=settings.EMAIL_OAUTH2_TOKEN_URL,
        client_id=settings.EMAIL_OAUTH2_CLIENT_ID,
        client_secret=settings.EMAIL_OAUTH2_CLIENT_SECRET,
        scope=settings.EMAIL_OAUTH2_SCOPE,
    )


@dataclass
class _Token:
    value: str
    expires_at: float


_lock = threading.Lock()
_tokens: dict[tuple[str, str, str], _Token] = {}


def access_token(client: OAuthClient | None = None) -> str:
    """A valid access token for `client` (the site's by default), fetched when needed. Raises TokenError."""
    client = client or site_oauth_client()
    if client is None:
        raise TokenError("no OAuth 2.0 client is set up")
    with _lock:
        token = _tokens.get(client.key)
        if token is None or token.expires_at - EXPIRY_MARGIN_SECONDS <= time.time():
            token = _tokens[client.key] = _fetch_token(client)
        return token.value


def forget_token(client: OAuthClient | None = None) -> None:
    """Drop the kept token of `client` (every one, without): the next sign-in fetches a new one."""
    with _lock:
        if client is None:
            _tokens.clear()
        else:
            _tokens.pop(client.key, None)


def _fetch_token(client: OAuthClient) -> _Token:
    session = OAuth2Session(
        client_id=client.client_id,
        client_secret=client.client_secret,
        scope=client.scope or None,
        token_endpoint_auth_method="client_secret_post",  # noqa: S106 - the name of a method, not a secret
    )
    try:
        token = session.fetch_token(client.token_url, grant_type="client_credentials", timeout=settings.EMAIL_TIMEOUT)
    except Exception as error:
        # Say what failed without quoting the response, which may hold secrets.
        raise TokenError(f"the token endpoint refused or could not be reached ({type(error).__name__})") from None
    finally:
        session.close()
    value = token.get("access_token")
    if not value:
        raise TokenError("the token endpoint gave no access token")
    expires_at = token.get("expires_at") or time.time() + float(token.get("expires_in") or 300)
    return _Token(value=value, expires_at=float(expires_at))


def xoauth2(user: str, token: str) -> str:
    """The XOAUTH2 initial response (before base64, which smtplib adds)."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


class EmailBackend(smtp.EmailBackend):
    """
    Django's SMTP backend with XOAUTH2 sign-in: with `oauth_client` (a
    sending account's), or the site's when EMAIL_OAUTH2_TOKEN_URL is set.
    """

    def __init__(self, *args, oauth_client: OAuthClient | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.oauth_client = oauth_client or (None if kwargs.get("host") else site_oauth_client())
        self.oauth2 = self.oauth_client is not None
        if self.oauth2:
            self.password = ""  # so that Django's open() does not try a password

    def open(self) -> bool | None:
        opened = super().open()
        if not self.oauth2 or not opened or self.connection is None:
            return opened
        try:
            self._sign_in()
        except BaseException:
            self.close()
            raise
        return opened

    def _sign_in(self) -> None:
        assert self.connection is not None
        response = xoauth2(self.username, access_token(self.oauth_client))
        self.connection.ehlo_or_helo_if_needed()
        try:
            # On a refused token the server sends a challenge with the reason;
            # the empty answer ends the exchange, and smtplib raises.
            self.connection.auth(
                "XOAUTH2", lambda challenge=None: response if challenge is None else "", initial_response_ok=True
            )
        except smtplib.SMTPAuthenticationError:
            forget_token(self.oauth_client)
            raise
