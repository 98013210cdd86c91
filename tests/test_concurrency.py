"""Many submits on one link at the same moment store exactly one response."""

import threading

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from surveys.models import RankedArea, Response

from .conftest import make_participant, make_survey, ranking_post

FIVE = ["effekt", "samverkan", "digital", "policy", "agil"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_people_on_one_link_store_one_response(postgres):
    participant = make_participant(make_survey())
    url = reverse("surveys:answer", args=[participant.token])
    start = threading.Barrier(20)
    outcomes, errors = [], []

    def submit(index):
        client = Client()
        client.get(url)
        try:
            start.wait(timeout=30)
            response = client.post(url, ranking_post(FIVE[index % 5 :] + FIVE[: index % 5]))
            outcomes.append((response.status_code, response.get("Location")))
        except Exception as error:  # noqa: BLE001 - any error fails the test below
            errors.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    thanks = reverse("surveys:thanks", args=[participant.token])
    assert outcomes == [(302, thanks)] * 20
    assert Response.objects.count() == 1
    assert RankedArea.objects.count() == 5
    participant.refresh_from_db()
    assert participant.has_answered
