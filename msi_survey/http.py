"""Request types for views (for the type checker), and the client's address."""

import ipaddress

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a view behind login_required or staff_required: its user is signed in."""

    user: User


def client_address(request: HttpRequest) -> str:
    """
    The address the request came from, as the limits per client and the
    audit log count it. Without TRUSTED_PROXIES that is REMOTE_ADDR. Behind
    TRUSTED_PROXIES reverse proxies it is the address the outermost of them
    received the request from: each proxy appends the address it saw to
    X-Forwarded-For, so it is the n-th entry from the right; entries further
    left came from the client and could say anything. A request with fewer
    entries than proxies, or a malformed one, counts as REMOTE_ADDR's.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(hops) < proxies:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-proxies]))
    except ValueError:
        return remote
