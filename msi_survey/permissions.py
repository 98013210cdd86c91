"""
Who may open a page that is not for everyone. A visitor who is not signed in
is sent to the one sign-in page; a signed-in person without the right gets
the 403 page (msi_survey.views.permission_denied), which says what they
lack and where their own pages are. Never a redirect back to signing in:
that is a loop for someone who already has.
"""

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


class StaffOnly(PermissionDenied):
    """A page for staff, opened by a signed-in person who is not staff."""


class NoRegion(PermissionDenied):
    """The leads' pages, opened by a signed-in person who leads no region."""


def staff_required(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (request.user.is_active and request.user.is_staff):
            raise StaffOnly
        return view(request, *args, **kwargs)

    return wrapped  # type: ignore[return-value]


def admin_login(request: HttpRequest) -> HttpResponse:
    """
    /admin/login/, where the admin sends whoever it does not let in. A
    visitor goes on to the site's sign-in page, staff to where they were
    going, and a signed-in person who is not staff gets the 403 page.
    """
    following = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(following, allowed_hosts={request.get_host()}):
        following = reverse("admin:index")
    if not request.user.is_authenticated:
        return redirect_to_login(following)
    if request.user.is_active and request.user.is_staff:
        return redirect(following)
    raise StaffOnly
