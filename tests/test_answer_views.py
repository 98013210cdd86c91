import re
from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from surveys.models import Participant, RankedArea, Response

from .conftest import make_participant, make_survey, ranking_post

FIVE = ["effekt", "samverkan", "digital", "policy", "agil"]


def answer_url(participant):
    return reverse("surveys:answer", args=[participant.token])


def test_it_shows_the_introduction_and_the_question(client, participant):
    response = client.get(answer_url(participant))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Testenkät" in page
    assert "Välkommen till testenkäten." in page
    assert "Välj och rangordna de 5 viktigaste av dessa 12 områden" in page
    assert "Plats 1 (viktigast)" in page
    assert 'name="ranking_5"' in page
    assert 'name="ranking_6"' not in page
    assert response.headers["Cache-Control"].startswith("max-age=0")


def test_the_ranking_starts_empty(client, participant):
    page = client.get(answer_url(participant)).content.decode()
    assert " selected" not in page.split("data-ranking-selects")[1].split("</div>\n  <script")[0]


def test_it_stores_one_anonymous_response(client, participant):
    response = client.post(answer_url(participant), ranking_post(FIVE, level="region"))
    assert response.status_code == 302
    assert response.url == reverse("surveys:thanks", args=[participant.token])

    stored = Response.objects.get()
    assert stored.region == participant.region
    assert stored.level == "region"
    assert [r.area.code for r in stored.ranked_areas.order_by("position")] == FIVE
    assert [r.position for r in stored.ranked_areas.order_by("position")] == [1, 2, 3, 4, 5]
    participant.refresh_from_db()
    assert participant.has_answered
    # The response carries nothing that points back at the participant.
    field_names = {f.name for f in Response._meta.get_fields()}
    assert "participant" not in field_names
    assert stored.submitted_on == timezone.localdate()


def test_the_thank_you_page(client, participant):
    client.post(answer_url(participant), ranking_post(FIVE))
    response = client.get(reverse("surveys:thanks", args=[participant.token]))
    assert response.status_code == 200
    assert "Tack för ditt svar" in response.content.decode()


def test_thanks_before_answering_goes_to_the_form(client, participant):
    response = client.get(reverse("surveys:thanks", args=[participant.token]))
    assert response.status_code == 302
    assert response.url == answer_url(participant)


def test_a_used_link_says_already_answered(client, participant):
    client.post(answer_url(participant), ranking_post(FIVE))
    response = client.get(answer_url(participant))
    assert response.status_code == 200
    assert "Du har redan svarat" in response.content.decode()


def test_a_second_submit_stores_nothing_and_shows_thanks(client, participant):
    first = client.post(answer_url(participant), ranking_post(FIVE))
    second = client.post(answer_url(participant), ranking_post(list(reversed(FIVE))))
    assert first.status_code == second.status_code == 302
    assert second.url == reverse("surveys:thanks", args=[participant.token])
    assert Response.objects.count() == 1
    assert RankedArea.objects.count() == 5
    assert [r.area.code for r in RankedArea.objects.order_by("position")] == FIVE


def test_an_unknown_link_is_a_swedish_404(client, db):
    response = client.get("/s/not-a-real-token/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Vi hittade inte sidan" in page
    assert '<html lang="sv">' in page


def test_posting_to_an_unknown_link_is_a_404(client, db):
    response = client.post("/s/not-a-real-token/", ranking_post(FIVE))
    assert response.status_code == 404
    assert Response.objects.count() == 0


def test_a_closed_survey_says_so_and_stores_nothing(client, db):
    survey = make_survey(opens_in=timedelta(days=-30), closes_in=timedelta(days=-1))
    participant = make_participant(survey)
    assert "Enkäten har stängt" in client.get(answer_url(participant)).content.decode()
    response = client.post(answer_url(participant), ranking_post(FIVE))
    assert "Enkäten har stängt" in response.content.decode()
    assert Response.objects.count() == 0
    participant.refresh_from_db()
    assert not participant.has_answered


def test_a_survey_not_yet_open_says_so(client, db):
    survey = make_survey(opens_in=timedelta(days=2), closes_in=timedelta(days=30))
    participant = make_participant(survey)
    page = client.get(answer_url(participant)).content.decode()
    assert "Enkäten har inte öppnat än" in page
    client.post(answer_url(participant), ranking_post(FIVE))
    assert Response.objects.count() == 0


def test_a_survey_that_closes_while_the_form_is_open(client, participant, time_machine):
    client.get(answer_url(participant))
    time_machine.move_to(participant.survey.closes_at + timedelta(minutes=1))
    response = client.post(answer_url(participant), ranking_post(FIVE))
    assert "Enkäten har stängt" in response.content.decode()
    assert Response.objects.count() == 0


BAD_POSTS = {
    "nothing at all": {},
    "no ranking": {"level": "kommun"},
    "an unknown area": ranking_post(["effekt", "samverkan", "digital", "policy", "no-such-area"]),
    "an area twice": ranking_post(["effekt", "samverkan", "digital", "policy", "effekt"]),
    "text instead of a code": ranking_post(["effekt", "samverkan", "digital", "policy", "'; DROP TABLE x; --"]),
    "four areas": ranking_post(["effekt", "samverkan", "digital", "policy"]),
    "a gap": ranking_post(["effekt", "samverkan", "", "policy", "agil"]),
    "a sixth place": {**ranking_post(FIVE), "ranking_6": "intra"},
    "a place repeated": {**ranking_post(FIVE), "ranking_1": ["effekt", "intra"]},
    "no level": ranking_post(FIVE, level=None),
    "a made-up level": ranking_post(FIVE, level="kingdom"),
    "an area of another survey": ranking_post(["effekt", "samverkan", "digital", "policy", "elsewhere"]),
}


@pytest.mark.parametrize("case", BAD_POSTS)
def test_a_bad_post_is_a_form_error_and_stores_nothing(client, participant, case):
    other = make_survey(slug="other", areas=[("elsewhere", "Någon annanstans", "Elsewhere")])
    assert other.areas.count() == 1
    response = client.post(answer_url(participant), BAD_POSTS[case])
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ditt svar har inte skickats än" in page  # the error summary
    assert "<title>Fel:" in page
    assert Response.objects.count() == 0
    assert RankedArea.objects.count() == 0
    participant.refresh_from_db()
    assert not participant.has_answered


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (ranking_post(["effekt", "samverkan", "", "policy", ""]), "Välj ett område för plats 3 och 5."),
        (
            ranking_post(["effekt", "samverkan", "digital", "policy", "effekt"]),
            "”Effektmätning” är valt mer än en gång.",
        ),
        (ranking_post(["effekt", "samverkan", "digital", "policy", "bogus"]), "Plats 5 innehåller något som inte är"),
        ({**ranking_post(FIVE), "ranking_6": "intra"}, "Rangordna exakt 5 områden"),
        ({"level": "kommun"}, "Välj och rangordna de 5 områden som är viktigast för dig."),
        (ranking_post(FIVE, level=None), "Ange om du arbetar i en kommun eller en region."),
    ],
)
def test_the_error_says_what_to_fix(client, participant, data, message):
    page = client.post(answer_url(participant), data).content.decode()
    assert message in page


def test_a_form_with_errors_keeps_what_was_chosen(client, participant):
    page = client.post(answer_url(participant), ranking_post(["effekt", "samverkan", "", "", ""])).content.decode()
    assert '<option value="effekt" selected>' in page
    assert '<option value="samverkan" selected>' in page


def test_the_answer_page_is_in_english_on_request(client, participant):
    swedish = client.get(answer_url(participant)).content.decode()
    switch = re.search(r'<a class="language-switch" href="([^"]+)" lang="en"', swedish).group(1)
    assert switch == f"/sprak/en/?next=/s/{participant.token}/"
    back = client.get(switch.replace("&amp;", "&"))
    assert back.status_code == 302 and back.url == answer_url(participant)
    page = client.get(answer_url(participant)).content.decode()
    assert "Test survey" in page
    assert "Place 1 (most important)" in page
    assert "Impact measurement" in page
    assert '<html lang="en">' in page
    assert 'href="/sprak/sv/?next=' in page and ">På svenska</a>" in page


@pytest.mark.parametrize("target", ["https://evil.example.com/", "//evil.example.com/", "javascript:alert(1)", ""])
def test_the_language_switch_only_goes_back_to_our_own_pages(client, db, target):
    response = client.get(reverse("language", args=["en"]), {"next": target})
    assert response.status_code == 302 and response.url == "/"
    assert response.cookies["django_language"].value == "en"


def test_the_language_switch_knows_only_our_languages(client, db):
    assert client.get(reverse("language", args=["de"]), {"next": "/"}).status_code == 404
    assert client.post(reverse("language", args=["en"]), {"next": "/"}).status_code == 405


def test_swedish_is_the_default_whatever_the_browser_says(client, participant):
    page = client.get(answer_url(participant), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Plats 1 (viktigast)" in page
    assert '<html lang="sv">' in page


def test_the_home_page(client, db, django_capture_on_commit_callbacks):
    from results.services import publish_snapshot

    survey = make_survey(slug="msi-2019")
    page = client.get("/").content.decode()
    assert "Mötesplats Social Innovation" in page and reverse("login") in page
    # Nothing published yet: no button to a page that does not exist.
    assert reverse("results:national", args=["msi-2019"]) not in page
    assert "publiceras här" in page
    publish_snapshot(survey=survey)
    assert reverse("results:national", args=["msi-2019"]) in client.get("/").content.decode()


def test_the_home_page_lists_the_earlier_published_surveys(client, db):
    from datetime import timedelta

    from results.services import publish_snapshot

    first = make_survey(slug="msi-2019", opens_in=timedelta(days=-700))
    make_survey(slug="never-published", opens_in=timedelta(days=-400))
    make_survey(slug="msi-2026")
    publish_snapshot(survey=first)
    page = client.get("/").content.decode()
    assert 'id="earlier-heading"' in page
    assert reverse("results:national", args=["msi-2026"]) not in page  # the latest, with nothing published yet
    assert reverse("results:national", args=["msi-2019"]) in page
    assert reverse("results:national", args=["never-published"]) not in page


def test_the_login_page_is_in_swedish(client, db):
    page = client.get(reverse("login")).content.decode()
    assert "Logga in" in page


def test_healthz_answers_when_the_database_does(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"


def test_healthz_is_503_when_the_database_does_not(client, db, monkeypatch):
    from django.db import OperationalError

    class DeadDatabase:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr("msi_survey.views.connection", DeadDatabase())
    response = client.get("/healthz")
    assert response.status_code == 503


@override_settings(DEBUG=False)
def test_the_500_page_is_ours(client, participant, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("surveys.views.submit_response", explode)
    client.raise_request_exception = False
    response = client.post(answer_url(participant), ranking_post(FIVE))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Något gick fel hos oss" in page
    assert '<html lang="sv">' in page


def test_participant_is_not_marked_when_storing_fails(client, participant, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("surveys.models.RankedArea.objects.bulk_create", explode)
    client.raise_request_exception = False
    client.post(answer_url(participant), ranking_post(FIVE))
    assert Response.objects.count() == 0
    assert not Participant.objects.get(pk=participant.pk).has_answered


def test_a_database_failure_gives_a_try_again_page_and_keeps_the_answer(client, participant, monkeypatch):
    from django.db import OperationalError

    from surveys import services

    real_submit = services.submit_response

    def dropped(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("surveys.views.submit_response", dropped)
    response = client.post(answer_url(participant), ranking_post(FIVE, level="region"))
    assert response.status_code == 503
    page = response.content.decode()
    assert "Ditt svar kunde inte sparas just nu" in page
    assert '<option value="effekt" selected>' in page  # the choices are still there
    assert Response.objects.count() == 0
    participant.refresh_from_db()
    assert not participant.has_answered

    # The database is back: sending again works, once.
    monkeypatch.setattr("surveys.views.submit_response", real_submit)
    response = client.post(answer_url(participant), ranking_post(FIVE, level="region"))
    assert response.status_code == 302
    assert Response.objects.count() == 1


def test_an_area_changed_while_open_is_used_by_the_next_answer(
    client, participant, django_capture_on_commit_callbacks
):
    from surveys.models import Area

    assert client.get(answer_url(participant)).status_code == 200  # the areas are in the cache now
    with django_capture_on_commit_callbacks(execute=True):
        Area.objects.create(survey=participant.survey, code="ny", title_sv="Nytt område", title_en="New", order=99)
        Area.objects.filter(survey=participant.survey, code="agil").get().delete()
    refused = client.post(answer_url(participant), ranking_post(["effekt", "samverkan", "digital", "policy", "agil"]))
    assert refused.status_code == 200 and Response.objects.count() == 0
    stored = client.post(answer_url(participant), ranking_post(["effekt", "samverkan", "digital", "policy", "ny"]))
    assert stored.status_code == 302
    assert Response.objects.get().ranked_areas.order_by("position").last().area.code == "ny"
