from django.urls import reverse

from surveys.distribution import queueing, sending
from surveys.models import OutgoingEmail


def test_opting_out_asks_first(client, participant):
    address = reverse("surveys:opt_out", args=[participant.token])
    page = client.get(address).content.decode()
    assert "Ja, skicka inga fler påminnelser till mig" in page
    participant.refresh_from_db()
    assert not participant.has_opted_out


def test_opting_out_stops_reminders(client, participant):
    queueing.queue_invitations(survey=participant.survey, region=participant.region)
    response = client.post(reverse("surveys:opt_out", args=[participant.token]))
    assert response.status_code == 200
    assert "Du får inga fler påminnelser" in response.content.decode()
    participant.refresh_from_db()
    assert participant.has_opted_out
    sending.drain_queue()
    assert OutgoingEmail.objects.get().status == OutgoingEmail.Status.SKIPPED
    # Twice is the same as once.
    first = participant.opted_out_at
    client.post(reverse("surveys:opt_out", args=[participant.token]))
    participant.refresh_from_db()
    assert participant.opted_out_at == first


def test_one_click_unsubscribe_needs_no_csrf_token(participant):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("surveys:opt_out", args=[participant.token]), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    participant.refresh_from_db()
    assert participant.has_opted_out


def test_an_unknown_opt_out_link_is_a_404(client, db):
    assert client.post("/s/nope/avregistrera/").status_code == 404


def test_the_privacy_page(client, db):
    page = client.get(reverse("privacy")).content.decode()
    assert "Så hanterar vi personuppgifter" in page
    assert "Integritetsskyddsmyndigheten" in page


def test_someone_who_has_answered_is_told_so_and_not_asked_to_answer(client, participant, survey):
    from surveys.services import submit_response

    submit_response(participant=participant, ranking=list(survey.areas.all()[:5]), level="kommun")
    page = client.get(reverse("surveys:opt_out", args=[participant.token])).content.decode()

    assert "Du har redan svarat på enkäten" in page
    assert "inga fler påminnelser" in page
    assert "Svara på enkäten i stället" not in page
    assert f'href="{reverse("surveys:answer", args=[participant.token])}"' not in page
    assert "Ja, skicka inga fler påminnelser till mig" not in page
