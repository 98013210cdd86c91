"""Request types for views (for the type checker)."""

from django.contrib.auth.models import User
from django.http import HttpRequest


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a view behind login_required or staff_member_required: its user is signed in."""

    user: User
