"""The accessibility statement (tillgänglighetsredogörelse): DIGG's parts, each deployment's own facts."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

DIGG_PARTS = [
    "Hur tillgänglig är webbplatsen?",
    "Vad kan du göra om du inte kan använda delar av webbplatsen?",
    "Rapportera brister i webbplatsens tillgänglighet",
    "Tillsyn",
    "Teknisk information om webbplatsens tillgänglighet",
    "Innehåll som inte är tillgängligt",
    "Hur vi testat webbplatsen",
]


def test_the_statement_has_digg_s_parts_and_is_linked_from_every_page(client):
    home = client.get("/").content.decode()
    assert f'href="{reverse("accessibility")}"' in home
    page = client.get(reverse("accessibility")).content.decode()
    for part in DIGG_PARTS:
        assert part in page, part
    assert "https://www.digg.se/tdosanmalan" in page and "axe-core" in page
    assert "delvis förenlig med lagen" in page
    # Without the deployment's own facts, the examples say they are examples.
    assert "Exempelvärden" in page and "(exempel) 1 december 2026" in page


def test_each_deployment_states_its_own_facts(client, settings):
    settings.ACCESSIBILITY_ORGANISATION = "Region Norrbotten"
    settings.ACCESSIBILITY_EMAIL = "tillganglighet@norrbotten.example.se"
    settings.ACCESSIBILITY_COMPLIANCE = "full"
    settings.ACCESSIBILITY_MADE = "2026-11-02"
    settings.ACCESSIBILITY_REVIEWED = "2026-12-01"
    page = client.get(reverse("accessibility")).content.decode()
    assert "Region Norrbotten står bakom den här webbplatsen" in page
    assert 'href="mailto:tillganglighet@norrbotten.example.se"' in page
    assert "helt förenlig med lagen" in page
    assert "upprättades den 2 november 2026" in page and "uppdaterades senast den 1 december 2026" in page
    assert "Exempelvärden" not in page and "(exempel)" not in page


def test_english_beside_it(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("accessibility")).content.decode()
    assert "Accessibility statement" in page and "How accessible is the website?" in page
    assert "Tillgänglighets" not in page
