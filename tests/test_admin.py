import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from surveys.models import RankedArea, Response

from .conftest import make_region


@pytest.fixture
def staff_client(client, db):
    user = User.objects.create_superuser("staffer", "staffer@example.se", "a-long-test-password")
    client.force_login(user)
    return client


@pytest.fixture
def stored_response(survey):
    response = Response.objects.create(
        survey=survey, region=make_region(), level="kommun", submitted_on=timezone.localdate()
    )
    for position, area in enumerate(survey.areas.all()[:5], start=1):
        RankedArea.objects.create(response=response, area=area, position=position)
    return response


@pytest.mark.parametrize("name", ["surveys_survey", "surveys_region", "surveys_participant", "surveys_response"])
def test_staff_see_every_list(staff_client, participant, stored_response, name):
    response = staff_client.get(reverse(f"admin:{name}_changelist"))
    assert response.status_code == 200


def test_staff_configure_a_survey_with_its_areas(staff_client, survey):
    page = staff_client.get(reverse("admin:surveys_survey_change", args=[survey.pk])).content.decode()
    assert "Effektmätning" in page
    assert staff_client.get(reverse("admin:surveys_survey_add")).status_code == 200
    assert staff_client.get(reverse("admin:surveys_participant_add")).status_code == 200


def test_answers_are_read_only(staff_client, stored_response):
    change_url = reverse("admin:surveys_response_change", args=[stored_response.pk])
    page = staff_client.get(change_url)
    assert page.status_code == 200
    assert 'name="level"' not in page.content.decode()
    assert staff_client.post(change_url, {"level": "region"}).status_code == 403
    assert staff_client.get(reverse("admin:surveys_response_add")).status_code == 403
    assert staff_client.get(reverse("admin:surveys_response_delete", args=[stored_response.pk])).status_code == 403
    stored_response.refresh_from_db()
    assert stored_response.level == "kommun"


def test_the_admin_is_closed_to_others(client, db):
    response = client.get(reverse("admin:surveys_response_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_the_admin_reads_swedish_throughout(staff_client):
    page = staff_client.get(reverse("admin:index")).content.decode()
    assert "Mötesplats Social Innovation: administration" in page
    assert "Autentiseringsmetoder" in page and "Andra faktorn" in page
    for english in ("Django-administration", "Authenticators", ">MFA<"):
        assert english not in page, english


def test_a_published_version_reads_as_a_table_in_the_admin(staff_client, survey, stored_response):
    from results.models import Snapshot
    from results.services import publish_snapshot

    survey.suppression_threshold = 1
    survey.save()
    publish_snapshot(survey=survey)
    snapshot = Snapshot.objects.get()
    page = staff_client.get(reverse("admin:results_snapshot_change", args=[snapshot.pk])).content.decode()
    first = stored_response.ranked_areas.get(position=1).area
    assert f'<th scope="row">{first.title_sv}</th>' in page
    assert "1 svar av" in page and reverse("results:version", args=[survey.slug, 1]) in page
    assert '"national"' not in page and "&quot;national&quot;" not in page  # no raw data
