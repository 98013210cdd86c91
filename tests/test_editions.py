"""Starting the next edition of a survey: what is copied, what is not, and a double click."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from results.models import Commentary, Snapshot
from results.services import publish_snapshot
from surveys.editions.services import new_edition
from surveys.models import EmailText, OutgoingEmail, Participant, Response, Survey

from .conftest import make_participant, make_region, make_survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = User.objects.create_superuser("redaktor", "r@example.se", "a-good-password-42")
    client.force_login(user)
    return user


@pytest.fixture
def source():
    survey = make_survey(slug="msi-2019")
    survey.rank_count = 4
    survey.suppression_threshold = 7
    survey.reminder_interval_days = 5
    survey.max_reminders = 3
    survey.save()
    EmailText.objects.create(
        survey=survey, kind="invitation", language="sv", subject="Välkommen", body_text="Hej {{ name }}: {{ link }}"
    )
    region = make_region()
    region.contact_name = "Kontakt i Norrbotten"
    region.save()
    participant = make_participant(survey, region=region)
    Response.objects.create(survey=survey, region=region, level="kommun", submitted_on=timezone.localdate())
    Commentary.objects.create(survey=survey, body_sv="En kommentar")
    publish_snapshot(survey=survey)
    participant.answered_at = timezone.now()
    participant.save()
    return survey


def form(**changes):
    opens = timezone.localdate() + timedelta(days=30)
    data = {
        "title_sv": "Nästa upplaga",
        "title_en": "Next edition",
        "slug": "msi-2027",
        "opens_on": opens.isoformat(),
        "closes_on": (opens + timedelta(days=20)).isoformat(),
    }
    data.update(changes)
    return data


def test_it_copies_the_areas_rules_policy_texts_and_threshold_and_nothing_else(client, staff, source):
    response = client.post(reverse("editions:new", args=[source.slug]), form())
    edition = Survey.objects.get(slug="msi-2027")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:surveys_survey_change", args=[edition.pk])

    assert [(a.code, a.title_sv, a.title_en, a.order) for a in edition.areas.all()] == [
        (a.code, a.title_sv, a.title_en, a.order) for a in source.areas.all()
    ]
    for name in ("rank_count", "points_rule", "reminder_interval_days", "max_reminders", "suppression_threshold"):
        assert getattr(edition, name) == getattr(source, name), name
    assert list(edition.email_texts.values_list("kind", "subject", "body_text")) == [
        ("invitation", "Välkommen", "Hej {{ name }}: {{ link }}")
    ]
    source.refresh_from_db()
    assert edition.series_id == source.series_id is not None
    # Never participants, answers, emails, comments or snapshots.
    assert not Participant.objects.filter(survey=edition).exists()
    assert not Response.objects.filter(survey=edition).exists()
    assert not OutgoingEmail.objects.filter(participant__survey=edition).exists()
    assert not Commentary.objects.filter(survey=edition).exists()
    assert not Snapshot.objects.filter(survey=edition).exists()
    # Closed until the day set.
    assert not edition.is_open() and edition.has_not_opened()
    assert timezone.localtime(edition.opens_at).date() == timezone.localdate() + timedelta(days=30)
    assert edition.introduction_sv == ""


def test_a_double_click_makes_one_edition(client, staff, source):
    first = client.post(reverse("editions:new", args=[source.slug]), form(), follow=True)
    second = client.post(reverse("editions:new", args=[source.slug]), form(), follow=True)
    assert Survey.objects.filter(series=Survey.objects.get(slug="msi-2019").series).count() == 2
    assert Survey.objects.filter(slug="msi-2027").count() == 1
    assert "closed until" in first.content.decode() or "stängd till" in first.content.decode()
    assert second.redirect_chain[-1][0] == reverse(
        "admin:surveys_survey_change", args=[Survey.objects.get(slug="msi-2027").pk]
    )
    assert "redan" in second.content.decode() or "already" in second.content.decode()


def test_the_service_returns_the_edition_it_made_when_asked_again(source):
    opens = timezone.now() + timedelta(days=40)
    arguments = {
        "slug": "msi-2027",
        "title_sv": "Nästa",
        "title_en": "",
        "opens_at": opens,
        "closes_at": opens + timedelta(days=9),
    }
    made = new_edition(source=source, **arguments)
    again = new_edition(source=source, **arguments)
    assert made.created and not again.created
    assert again.survey.pk == made.survey.pk
    assert made.survey.areas.count() == source.areas.count()


def test_an_address_name_in_use_elsewhere_is_refused_with_a_message(client, staff, source):
    make_survey(slug="annan-enkat")
    response = client.post(reverse("editions:new", args=[source.slug]), form(slug="annan-enkat"))
    assert response.status_code == 200
    assert Survey.objects.count() == 2
    assert response.context["form"].errors["slug"]
    assert response.context["form"]["title_sv"].value() == "Nästa upplaga"  # what was typed stays


def test_the_new_edition_must_open_after_today(client, staff, source):
    response = client.post(reverse("editions:new", args=[source.slug]), form(opens_on=date.today().isoformat()))
    assert response.status_code == 200
    assert response.context["form"].errors["opens_on"]
    response = client.post(
        reverse("editions:new", args=[source.slug]),
        form(closes_on=(timezone.localdate() + timedelta(days=2)).isoformat()),
    )
    assert response.context["form"].errors["closes_on"]
    assert not Survey.objects.filter(slug="msi-2027").exists()


def test_the_form_suggests_the_next_year(client, staff, source):
    response = client.get(reverse("editions:new", args=[source.slug]))
    assert response.status_code == 200
    initial = response.context["form"].initial
    assert initial["opens_on"] > timezone.localdate()
    assert initial["slug"] == f"msi-{initial['opens_on'].year}"


def test_staff_without_the_right_to_add_surveys_may_not(client, source):
    user = User.objects.create_user("besok", "b@example.se", "a-good-password-42", is_staff=True)
    client.force_login(user)
    assert client.post(reverse("editions:new", args=[source.slug]), form()).status_code == 403
    assert not Survey.objects.filter(slug="msi-2027").exists()


def test_only_staff_may_start_an_edition(client, source):
    lead = User.objects.create_user("lead", "l@example.se", "a-good-password-42")
    client.force_login(lead)
    response = client.post(reverse("editions:new", args=[source.slug]), form())
    assert response.status_code == 403  # signed in, so the 403 page rather than a way back to signing in
    assert not Survey.objects.filter(slug="msi-2027").exists()


def test_the_admin_action_opens_the_form_for_one_survey(client, staff, source):
    response = client.post(
        reverse("admin:surveys_survey_changelist"), {"action": "new_edition_action", "_selected_action": [source.pk]}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("editions:new", args=[source.slug])
