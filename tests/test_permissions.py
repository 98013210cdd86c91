"""
Who may open what: a visitor goes to sign in, a signed-in person without the
right gets the Swedish 403 page, and nobody is sent round in a loop.
"""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from results.services import publish_snapshot

from .conftest import make_participant, make_region

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(survey):
    region = make_region()
    make_participant(survey, region=region)
    user = User.objects.create_user("lena", "lena@ltu.example.se", "lena-password-123")
    region.leads.add(user)
    return user


def staff_pages(survey):
    return [
        "/admin/",
        "/admin/surveys/survey/",
        reverse("results:preview", args=[survey.slug]),
        reverse("results:responses_csv", args=[survey.slug]),
        reverse("lead:sending"),
    ]


def test_a_signed_in_lead_gets_the_403_page_on_staff_pages_never_a_loop(client, survey, lead):
    client.force_login(lead)
    for path in staff_pages(survey):
        response = client.get(path, follow=True)  # the test client raises on a redirect loop
        assert response.status_code == 403, path
        page = response.content.decode()
        assert "Sidan är till för personalen som sköter enkäten" in page, path
        assert "Du är inloggad som lena" in page
        assert reverse("lead:dashboard") in page  # where the lead's own pages are
        assert len(response.redirect_chain) <= 2, (path, response.redirect_chain)


def test_publishing_is_refused_to_a_lead(client, survey, lead):
    client.force_login(lead)
    response = client.post(reverse("results:publish", args=[survey.slug]), {"based_on": "0"})
    assert response.status_code == 403


def test_a_visitor_is_sent_to_sign_in_and_back(client, survey):
    for path in staff_pages(survey):
        response = client.get(path)
        assert response.status_code == 302, path
        target = response.url
        if target.startswith("/admin/login/"):
            target = client.get(target).url
        assert target.startswith(reverse("login") + "?next="), (path, target)


def test_staff_at_the_admins_login_go_where_they_were_going(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/admin/login/?next=/admin/surveys/").url == "/admin/surveys/"
    assert client.get("/admin/login/?next=https://evil.example/").url == "/admin/"


def test_an_account_that_leads_no_region_is_told_so(client, db):
    user = User.objects.create_user("nils", "nils@example.se", "nils-password-123")
    client.force_login(user)
    response = client.get(reverse("lead:dashboard"))
    assert response.status_code == 403
    assert "Ditt konto är ännu inte ansvarigt för någon region" in response.content.decode()


def test_staff_still_reach_every_staff_page(client, survey, admin_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        publish_snapshot(survey=survey)
    client.force_login(admin_user)
    for path in staff_pages(survey):
        assert client.get(path).status_code == 200, path
