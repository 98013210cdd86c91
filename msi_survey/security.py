"""
Security headers and the rate limit on personal links.

Every response gets a Content-Security-Policy that allows our own origin
only, with no 'unsafe-inline' anywhere: all our scripts and styles are
files under static/. A view may set a stricter policy of its own (the email
preview does), which is then left alone.
"""

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render

from .http import client_address


def policy(*, frame_src: tuple[str, ...] = ()) -> str:
    """
    The site's policy. `frame_src` names the hosts a page may frame, e.g. a
    video service on the one page that shows its player; none by default.
    The proof-of-work check runs in workers loaded from our own files.
    """
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "worker-src 'self'",
            " ".join(["frame-src 'self'", *frame_src]),
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "object-src 'none'",
        ]
    )


POLICY = policy()


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


def count_in_window(key: str, seconds: int) -> None:
    """Add one to a count in the cache that starts at the first hit and is forgotten `seconds` later."""
    # add() starts the window; incr() keeps its expiry.
    if not cache.add(key, 1, seconds):
        try:
            cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, seconds)


class LinkGuessingLimitMiddleware:
    """
    Slow down anyone guessing personal links: an address that asks for too
    many links that do not exist gets a "too many attempts" page for a while,
    also for real links. Links that exist never count, so a whole office
    behind one address can answer at once. Counted in the cache (Redis in
    production), so every web process sees the same counts.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/s/"):
            return self.get_response(request)
        key = f"link-misses:{client_address(request)}"
        limit = settings.LINK_MISSES_PER_WINDOW
        if (cache.get(key) or 0) >= limit:
            refused = render(request, "too_many_attempts.html", status=429)
            refused["Retry-After"] = str(settings.LINK_MISS_WINDOW_SECONDS)
            return refused
        response = self.get_response(request)
        if response.status_code == 404:
            count_in_window(key, settings.LINK_MISS_WINDOW_SECONDS)
        return response
