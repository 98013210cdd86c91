"""
Site-wide pages: the start page, the health check, the privacy page, the
language switch and the error page. The survey's own pages live in
surveys/ (answering), surveys/distribution/ (leads) and results/.
"""

import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils.dateparse import parse_date
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET

from msi_survey.permissions import NoRegion, StaffOnly
from surveys.models import Survey

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    survey = Survey.objects.order_by("-opens_at").first()
    # The editions before it whose results are published, newest first.
    earlier = (
        Survey.objects.filter(snapshots__isnull=False, snapshots__withdrawn_at__isnull=True)
        .exclude(pk=survey.pk)
        .distinct()
        .order_by("-opens_at")
        if survey
        else Survey.objects.none()
    )
    published = survey is not None and survey.snapshots.filter(withdrawn_at__isnull=True).exists()
    return render(request, "surveys/home.html", {"survey": survey, "earlier": earlier, "published": published})


def healthz(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("health check: the database did not answer")
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


@require_GET
def language(request: HttpRequest, code: str) -> HttpResponse:
    """
    The language switch: a plain link that sets the language cookie and goes
    back to the page it came from (a local path only). A link rather than a
    form, so that pages carry nothing per visitor and published results can
    be kept whole in the cache; changing someone's language is harmless.
    """
    if code not in dict(settings.LANGUAGES):
        raise Http404
    back = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "/"
    response = HttpResponseRedirect(back)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def privacy(request: HttpRequest) -> HttpResponse:
    survey = Survey.objects.order_by("-opens_at").first()
    return render(
        request,
        "privacy.html",
        {
            "controller": settings.PRIVACY_CONTROLLER,
            "contact": settings.PRIVACY_CONTACT,
            "email": settings.PRIVACY_EMAIL,
            "postal_address": settings.PRIVACY_POSTAL_ADDRESS,
            "dpo_email": settings.PRIVACY_DPO_EMAIL,
            "purge_after_days": survey.purge_after_days if survey else None,
            "comment_email_days": settings.COMMENT_EMAIL_DAYS,
        },
    )


EXAMPLE_ORGANISATION = "Exempelmyndigheten"
EXAMPLE_EMAIL = "tillganglighet@example.se"


def accessibility(request: HttpRequest) -> HttpResponse:
    """The accessibility statement, in DIGG's structure, with the deployment's own facts (or marked examples)."""
    example = not (settings.ACCESSIBILITY_ORGANISATION and settings.ACCESSIBILITY_EMAIL)
    return render(
        request,
        "accessibility.html",
        {
            "example": example,
            "organisation": settings.ACCESSIBILITY_ORGANISATION or EXAMPLE_ORGANISATION,
            "email": settings.ACCESSIBILITY_EMAIL or EXAMPLE_EMAIL,
            "compliance": settings.ACCESSIBILITY_COMPLIANCE,
            "made": parse_date(settings.ACCESSIBILITY_MADE) if settings.ACCESSIBILITY_MADE else None,
            "reviewed": parse_date(settings.ACCESSIBILITY_REVIEWED) if settings.ACCESSIBILITY_REVIEWED else None,
        },
    )


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Our own 403 page: what the signed-in person lacks, and where their own pages are."""
    from surveys.distribution.access import regions_for

    user = request.user
    return render(
        request,
        "403.html",
        {
            "staff_only": isinstance(exception, StaffOnly),
            "no_region": isinstance(exception, NoRegion),
            "leads": user.is_authenticated and not user.is_staff and regions_for(user).exists(),
            "is_staff": user.is_authenticated and user.is_staff,
        },
        status=403,
    )


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """Our own 500 page, rendered without touching the database."""
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render({}, request=None))
