"""A form sent without its CSRF cookie: a friendly page, and the answer form keeps its choices."""

import re

from django.test import Client
from django.urls import reverse

from surveys.models import Response
from surveys.services import submit_response

from .conftest import ranking_post

CODES = ["effekt", "samverkan", "agil", "digital", "forandring"]


def test_the_answer_form_comes_back_with_its_choices(db, participant):
    client = Client(enforce_csrf_checks=True)
    url = reverse("surveys:answer", args=[participant.token])

    response = client.post(url, ranking_post(CODES, level="region"))

    assert response.status_code == 403
    page = response.content.decode()
    assert '<html lang="sv">' in page and "Mötesplats Social Innovation" in page
    assert "Ditt svar har inte skickats än" in page
    assert "CSRF" not in page
    for place, code in enumerate(CODES, start=1):
        assert f'name="ranking_{place}"' in page
        assert f'<option value="{code}" selected>' in page
    assert re.search(r'<input[^>]*value="region"[^>]*checked', page)
    assert not re.search(r'<input[^>]*value="kommun"[^>]*checked', page)
    assert "invalid-feedback" not in page  # the choices were fine: no error messages
    assert Response.objects.count() == 0
    # A fresh cookie comes with the page, so sending again works.
    token = response.cookies["csrftoken"].value
    assert token
    again = client.post(url, {**ranking_post(CODES, level="region"), "csrfmiddlewaretoken": token})
    assert again.status_code == 302
    assert Response.objects.count() == 1


def test_someone_who_has_answered_is_told_so(db, participant, survey):
    submit_response(participant=participant, ranking=list(survey.areas.all()[:5]), level="kommun")
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("surveys:answer", args=[participant.token]), ranking_post(CODES))

    assert response.status_code == 403
    assert "Du har redan svarat" in response.content.decode()


def test_other_forms_get_a_page_in_the_site_layout_with_a_way_back(db):
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        reverse("login"), {"username": "x", "password": "y"}, HTTP_REFERER="http://testserver/accounts/login/"
    )

    assert response.status_code == 403
    page = response.content.decode()
    assert "<h1>Formuläret kunde inte skickas</h1>" in page
    assert 'href="http://testserver/accounts/login/"' in page
    assert "DEBUG" not in page


def test_the_way_back_never_leads_to_another_site(db):
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("login"), {}, HTTP_REFERER="https://evil.example/")

    assert 'href="/accounts/login/"' in response.content.decode()
