"""What a first-time user met: dates, the way to the results for staff, the privacy page, the thank-you page."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.contrib.auth.models import User
from django.urls import reverse

from results.services import publish_snapshot
from surveys.models import Mailing, OutgoingEmail
from surveys.services import submit_response

from .conftest import make_participant, make_region

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def lead_of(region, name="alice"):
    user = User.objects.create_user(name, f"{name}@example.se", "x")
    region.leads.add(user)
    return user


def sent(participant, when):
    mailing = Mailing.objects.create(survey=participant.survey, region=participant.region, kind="invitation")
    OutgoingEmail.objects.create(
        participant=participant, mailing=mailing, wave=0, status=OutgoingEmail.Status.SENT, sent_at=when
    )


def test_the_lead_page_writes_swedish_dates_with_the_year_when_it_is_not_this_year(client, survey):
    region = make_region()
    sent(make_participant(survey, region=region), datetime(2019, 12, 2, 9, 0, tzinfo=STOCKHOLM))
    sent(
        make_participant(survey, region=region, email="bo@kommun.example.se"),
        datetime(2026, 11, 28, 8, 5, tzinfo=STOCKHOLM),
    )
    client.force_login(lead_of(region))

    with time_machine.travel(datetime(2026, 11, 30, 12, 0, tzinfo=STOCKHOLM)):
        page = client.get(reverse("lead:region", args=[survey.slug, region.code])).content.decode()

    assert "skickad 2 december 2019 09:00" in page, page[page.index("email-status") - 200 :][:600]
    assert "skickad 28 november 08:05" in page
    assert "Dec" not in page and "Nov" not in page


def test_staff_find_preview_and_publish_from_the_start_page_the_overview_and_the_admin(client, survey):
    make_region()
    staff = User.objects.create_user("staff", "s@example.se", "x", is_staff=True, is_superuser=True)
    client.force_login(staff)
    preview = reverse("results:preview", args=[survey.slug])
    versions = reverse("results:versions", args=[survey.slug])

    assert preview in client.get("/").content.decode()
    overview = client.get(reverse("lead:dashboard")).content.decode()
    assert preview in overview and versions in overview
    admin = client.get(reverse("admin:surveys_survey_changelist")).content.decode()
    assert preview in admin and versions in admin


def test_leads_see_no_staff_links(client, survey):
    client.force_login(lead_of(make_region()))
    assert reverse("results:preview", args=[survey.slug]) not in client.get("/").content.decode()
    assert reverse("results:preview", args=[survey.slug]) not in client.get(reverse("lead:dashboard")).content.decode()


def test_results_and_versions_link_to_each_other(client, survey):
    publish_snapshot(survey=survey)
    national = client.get(reverse("results:national", args=[survey.slug])).content.decode()
    assert reverse("results:versions", args=[survey.slug]) in national
    listing = client.get(reverse("results:versions", args=[survey.slug])).content.decode()
    assert f'href="{reverse("results:national", args=[survey.slug])}"' in listing
    staff = User.objects.create_user("staff", "s@example.se", "x", is_staff=True)
    client.force_login(staff)
    assert (
        reverse("results:preview", args=[survey.slug])
        in client.get(reverse("results:national", args=[survey.slug])).content.decode()
    )
    assert (
        reverse("results:preview", args=[survey.slug])
        in client.get(reverse("results:versions", args=[survey.slug])).content.decode()
    )


def test_the_privacy_page_covers_article_13_with_the_deployments_details(client, db, settings):
    settings.PRIVACY_CONTROLLER = "Exempeluniversitetet"
    settings.PRIVACY_EMAIL = "dataskydd@exempel.se"
    settings.PRIVACY_DPO_EMAIL = "dso@exempel.se"
    settings.PRIVACY_POSTAL_ADDRESS = "Box 1, 123 45 Exempelstad"

    page = client.get(reverse("privacy")).content.decode()

    assert "Exempeluniversitetet är personuppgiftsansvarig" in page
    assert 'href="mailto:dataskydd@exempel.se"' in page
    assert 'href="mailto:dso@exempel.se"' in page
    assert "Box 1, 123 45 Exempelstad" in page
    for heading in ("Dataskyddsombud", "Rättslig grund", "Hur länge", "Dina rättigheter"):
        assert heading in page, heading
    assert "artikel 6.1 e" in page
    assert "Integritetsskyddsmyndigheten" in page and "https://www.imy.se/" in page


def test_the_privacy_page_without_an_address_points_to_the_lead(client, db, settings):
    settings.PRIVACY_EMAIL = ""
    page = client.get(reverse("privacy")).content.decode()
    assert "regionansvariga" in page
    assert "mailto:" not in page.split("<main")[1].split("imy.se")[0]


def test_the_thank_you_page_says_which_version_the_results_link_shows(client, survey):
    with time_machine.travel(datetime(2026, 11, 20, 10, 0, tzinfo=STOCKHOLM)):
        publish_snapshot(survey=survey)
    participant = make_participant(survey)
    submit_response(participant=participant, ranking=list(survey.areas.all()[:5]), level="kommun")

    page = client.get(reverse("surveys:thanks", args=[participant.token])).content.decode()

    assert "version 1, från 20 november 2026" in page
    assert "Ditt svar finns inte med i dem än" in page
    assert "Se version 1 av resultaten" in page


def test_the_thank_you_page_before_any_publication(client, participant, survey):
    submit_response(participant=participant, ranking=list(survey.areas.all()[:5]), level="kommun")
    page = client.get(reverse("surveys:thanks", args=[participant.token])).content.decode()
    assert "Inga resultat är publicerade än" in page
    assert reverse("results:national", args=[survey.slug]) not in page
