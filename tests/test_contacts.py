"""Who to contact: edited by staff, frozen into the published snapshot, own region first on a region's page."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from results.contacts import contacts_for_page, frozen_contacts
from results.models import Contact
from results.services import publish_snapshot

from .conftest import make_participant, make_region, make_survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def contacts(db):
    north, south = make_region("north", "Norrland"), make_region("south", "Södra")
    Contact.objects.create(region=north, name="Kontaktperson Norrland", email="norr@example.se", phone="070-123 45 67")
    Contact.objects.create(region=south, name="Kontaktperson Södra", email="syd@example.se", role="Södra noden")
    Contact.objects.create(region=None, name="Nationell kontakt", email="kontakt@example.se")
    return north, south


def test_contacts_are_frozen_regions_first_and_the_national_last(contacts):
    frozen = frozen_contacts()
    assert [c["name"] for c in frozen] == ["Kontaktperson Norrland", "Kontaktperson Södra", "Nationell kontakt"]
    assert frozen[0] == {
        "region_code": "north",
        "region_name": "Norrland",
        "name": "Kontaktperson Norrland",
        "role": "",
        "email": "norr@example.se",
        "phone": "070-123 45 67",
    }
    assert frozen[2]["region_code"] == ""


def test_a_regions_page_lists_its_own_contact_first():
    frozen = [
        {"region_code": "a", "region_name": "A", "name": "Anna", "role": "", "email": "a@example.se", "phone": ""},
        {"region_code": "b", "region_name": "B", "name": "Bo", "role": "", "email": "b@example.se", "phone": ""},
        {"region_code": "", "region_name": "", "name": "Nina", "role": "", "email": "n@example.se", "phone": ""},
    ]
    groups = contacts_for_page(frozen, "b")
    assert [c["name"] for c in groups["own"]] == ["Bo"]
    assert [c["name"] for c in groups["regions"]] == ["Anna"]
    assert [c["name"] for c in groups["national"]] == ["Nina"]
    assert contacts_for_page(frozen)["own"] == []


def test_the_pages_show_the_published_contacts_until_the_next_publication(
    client, contacts, django_capture_on_commit_callbacks
):
    north, south = contacts
    survey = make_survey(slug="kontakt")
    make_participant(survey, region=north)
    make_participant(survey, region=south, email="bo@example.se")
    with django_capture_on_commit_callbacks(execute=True):
        publish_snapshot(survey=survey)
    page = client.get(reverse("results:national", args=["kontakt"])).content.decode()
    assert "Vill du veta mer eller samarbeta kring fortsättningen?" in page and "Kontakta oss gärna!" in page
    assert "Kontaktperson Norrland" in page and 'href="tel:0701234567"' in page
    assert "Gäller ditt intresse annan ort än ovan? Kontakta" in page and "Nationell kontakt" in page

    region = client.get(reverse("results:region", args=["kontakt", "south"])).content.decode()
    contacts_part = region[region.index('id="contacts-heading"') :]
    assert contacts_part.index("Kontaktperson Södra") < contacts_part.index("Kontaktperson Norrland")
    assert "I Södra" in contacts_part

    # Staff change a contact: the public pages change with the next publication, not before.
    Contact.objects.filter(region=north).update(name="Ny kontakt Norrland")
    assert "Ny kontakt Norrland" not in client.get(reverse("results:national", args=["kontakt"])).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        publish_snapshot(survey=survey)
    assert "Ny kontakt Norrland" in client.get(reverse("results:national", args=["kontakt"])).content.decode()


def test_no_contacts_no_section(client, db, django_capture_on_commit_callbacks):
    survey = make_survey(slug="tom")
    with django_capture_on_commit_callbacks(execute=True):
        publish_snapshot(survey=survey)
    assert 'id="contacts-heading"' not in client.get(reverse("results:national", args=["tom"])).content.decode()


@pytest.mark.parametrize("phone", ["070-123 45 67", "+46 70 123 45 67", "(010) 123 45"])
def test_a_phone_number_is_digits_spaces_and_dashes(phone):
    Contact(name="A", email="a@example.se", phone=phone).full_clean()


@pytest.mark.parametrize("phone", ["ring mig", "<b>070</b>", "12"])
def test_a_bad_phone_number_says_how_to_write_it(phone):
    with pytest.raises(ValidationError, match="siffror, mellanslag och bindestreck"):
        Contact(name="A", email="a@example.se", phone=phone).full_clean()


def test_staff_edit_contacts_in_the_admin(client, contacts, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("admin", "admin@example.se", "x"))
    page = client.get(reverse("admin:results_contact_changelist")).content.decode()
    assert "Kontaktperson Norrland" in page and "Nationell kontakt" in page
    response = client.post(
        reverse("admin:results_contact_add"),
        {"region": "", "name": "Ännu en", "role": "", "email": "inte en adress", "phone": "", "order": 0},
    )
    import re

    print(re.findall(r"errorlist[^>]*>(.*?)</ul>", response.content.decode(), re.S))
    assert response.status_code == 200 and "Fyll i en giltig e-postadress" in response.content.decode()
