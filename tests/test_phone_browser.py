"""
Every lead and staff page on a phone (390 px): nothing wider than the
screen; wide tables scroll inside their own box.
"""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from surveys.demo import SLUG
from surveys.models import EmailKind, Participant, Region

from .browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True}


def passwords() -> dict[str, str]:
    out = io.StringIO()
    call_command("load_msi_demo", "--reset-passwords", stdout=out)
    return {line.split()[0]: line.split()[1] for line in out.getvalue().splitlines() if line.startswith("  ")}


def sign_in(page, live_server, username, password):
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(password)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_load_state()


def too_wide(page) -> list[str]:
    """The page's width beyond the screen, and the elements that stick out (outside scrolling boxes)."""
    return page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          if (document.documentElement.scrollWidth <= width) return [];
          const out = [];
          for (const element of document.querySelectorAll("body *")) {
            const box = element.getBoundingClientRect();
            const parent = element.parentElement;
            if (box.right > width + 1 && !(parent && parent.closest(".table-responsive, .scroll-x"))) {
              const text = element.textContent.trim().slice(0, 40);
              out.push(`${element.tagName}.${element.className} ${Math.round(box.right)}px: ${text}`);
            }
          }
          return [`document ${document.documentElement.scrollWidth}px`, ...out.slice(0, 8)];
        }"""
    )


def check_pages(page, live_server, paths, prefix):
    wide = {}
    for path in paths:
        response = page.goto(live_server.url + path)
        assert response is not None and response.status == 200, (path, response and response.status)
        found = too_wide(page)
        if found:
            wide[path] = found
        name = path.strip("/").replace("/", "-") or "home"
        screenshot(page, f"phone-{prefix}-{name}"[:100])
    assert wide == {}, wide


def test_every_lead_page_fits_a_phone(browser_context, live_server):
    accounts = passwords()
    north = Region.objects.get(code="norrbotten")
    someone = Participant.objects.filter(survey__slug=SLUG, region=north).exclude(email="").first()
    page = browser_context(**PHONE).new_page()
    sign_in(page, live_server, "lead-norrbotten", accounts["lead-norrbotten"])
    region = (SLUG, north.code)
    paths = [
        reverse("lead:dashboard"),
        reverse("lead:region", args=region),
        reverse("lead:import", args=region),
        reverse("lead:participant_add", args=region),
        reverse("lead:participant_edit", args=[*region, someone.pk]),
        reverse("lead:participant_remove", args=[*region, someone.pk]),
        reverse("lead:email_preview", args=[*region, EmailKind.INVITATION]),
        reverse("lead:email_preview", args=[*region, EmailKind.REMINDER]),
    ]
    check_pages(page, live_server, paths, "lead")


def test_every_staff_page_fits_a_phone(browser_context, live_server):
    accounts = passwords()
    page = browser_context(**PHONE).new_page()
    sign_in(page, live_server, "msi-staff", accounts["msi-staff"])
    paths = [
        reverse("lead:sending"),
        reverse("results:preview", args=[SLUG]),
        reverse("results:publish", args=[SLUG]),
        reverse("results:versions", args=[SLUG]),
        reverse("results:withdraw", args=[SLUG, 1]),
        reverse("admin:index"),
        reverse("admin:surveys_participant_changelist"),
        reverse("admin:surveys_survey_changelist"),
    ]
    check_pages(page, live_server, paths, "staff")
