"""Helpers for the sign-in tests: a small cast, a TOTP code as an authenticator app computes it."""

import base64
import hashlib
import hmac
import re
import struct
import time

from django.contrib.auth.models import User
from django.urls import reverse

PASSWORD = "a-good-password-42"


def make_user(username, *, email=None, staff=False, region=None):
    user = User.objects.create_user(username, email or f"{username}@example.se", PASSWORD, is_staff=staff)
    if region is not None:
        region.leads.add(user)
    return user


def totp(secret: str, *, at: float | None = None, period: int = 30) -> str:
    """RFC 6238, as an authenticator app computes it (SHA-1, six digits)."""
    counter = int(at if at is not None else time.time()) // period
    digest = hmac.new(base64.b32decode(secret, casefold=True), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def log_in(client, username, password=PASSWORD):
    return client.post(reverse("login"), {"login": username, "password": password})


def secret_on(page: str) -> str:
    return re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page).group(1)
