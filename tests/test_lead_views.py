import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from surveys.distribution import queueing, sending
from surveys.models import OutgoingEmail, Participant, ParticipantImport
from surveys.services import submit_response

from .conftest import make_participant, make_region
from .downloads import csv_rows


@pytest.fixture
def regions(db):
    return make_region("norrbotten", "Norrbotten"), make_region("skane", "Skåne")


@pytest.fixture
def alice(regions):
    """The lead of Norrbotten."""
    user = User.objects.create_user("alice", "alice@ltu.example.se", "alice-password-123")
    regions[0].leads.add(user)
    return user


@pytest.fixture
def bob(regions):
    """The lead of Skåne."""
    user = User.objects.create_user("bob", "bob@mau.example.se", "bob-password-123")
    regions[1].leads.add(user)
    return user


@pytest.fixture
def charlie(db):
    """Logged in, but lead of nothing."""
    return User.objects.create_user("charlie", "charlie@example.se", "charlie-password-123")


@pytest.fixture
def people(survey, regions):
    north, south = regions
    return {
        "anna": make_participant(survey, region=north, email="anna@lulea.example.se"),
        "bertil": make_participant(survey, region=north, email="bertil@pitea.example.se"),
        "sven": make_participant(survey, region=south, email="sven@malmo.example.se"),
    }


def url(name, survey, region, *args):
    return reverse(f"lead:{name}", args=[survey.slug, region.code, *args])


def test_the_lead_sees_their_region(client, alice, survey, regions, people):
    client.force_login(alice)
    page = client.get(reverse("lead:dashboard")).content.decode()
    assert "Norrbotten" in page
    assert "Skåne" not in page
    page = client.get(url("region", survey, regions[0])).content.decode()
    assert "anna@lulea.example.se" in page
    assert "sven@malmo.example.se" not in page


def test_staff_see_every_region(client, survey, regions, people):
    staff = User.objects.create_user("staff", "s@example.se", "x", is_staff=True)
    client.force_login(staff)
    page = client.get(reverse("lead:dashboard")).content.decode()
    assert "Norrbotten" in page and "Skåne" in page
    assert client.get(url("region", survey, regions[1])).status_code == 200


def lead_urls(survey, region, participant, import_id):
    return [
        ("get", url("region", survey, region)),
        ("get", url("progress", survey, region)),
        ("get", url("participants_csv", survey, region)),
        ("get", url("import", survey, region)),
        ("post", url("import", survey, region)),
        ("get", url("import_preview", survey, region, import_id)),
        ("post", url("import_preview", survey, region, import_id)),
        ("get", url("participant_add", survey, region)),
        ("post", url("participant_add", survey, region)),
        ("get", url("participant_edit", survey, region, participant.pk)),
        ("post", url("participant_edit", survey, region, participant.pk)),
        ("get", url("participant_correct", survey, region, participant.pk)),
        ("post", url("participant_correct", survey, region, participant.pk)),
        ("get", url("participant_remove", survey, region, participant.pk)),
        ("post", url("participant_remove", survey, region, participant.pk)),
        ("get", url("invite", survey, region)),
        ("post", url("invite", survey, region)),
        ("get", url("remind", survey, region)),
        ("post", url("remind", survey, region)),
        ("get", url("resend_uncertain", survey, region)),
        ("post", url("resend_uncertain", survey, region)),
        ("get", url("email_preview", survey, region, "invitation")),
    ]


@pytest.fixture
def skane_import(survey, regions, bob):
    return ParticipantImport.objects.create(
        survey=survey,
        region=regions[1],
        created_by=bob,
        filename="lista.csv",
        valid_rows=[{"line": 2, "email": "ny@malmo.example.se", "name": "", "organisation": "", "level": ""}],
    )


def test_the_list_holds_every_lead_url(survey, regions, people, skane_import):
    from django.urls import resolve

    from surveys.distribution import urls as patterns

    listed = {
        resolve(address).url_name for _, address in lead_urls(survey, regions[1], people["sven"], skane_import.pk)
    }
    # The overview and the staff's sending queue are not per region; test_security.py covers the queue.
    assert listed == {pattern.name for pattern in patterns.urlpatterns} - {"dashboard", "sending"}


def test_another_regions_lead_gets_a_404_everywhere(client, alice, survey, regions, people, skane_import):
    client.force_login(alice)
    for method, address in lead_urls(survey, regions[1], people["sven"], skane_import.pk):
        response = getattr(client, method)(address, {"expected": 5, "email": "x@example.se"})
        assert response.status_code == 404, (method, address)
    # Nothing happened in Skåne.
    assert OutgoingEmail.objects.count() == 0
    assert Participant.objects.filter(region=regions[1]).count() == 1
    assert ParticipantImport.objects.get().status == ParticipantImport.Status.PREVIEW


def test_a_participant_of_another_region_is_a_404_through_ones_own_region(client, alice, survey, regions, people):
    client.force_login(alice)
    sven = people["sven"]
    for name in ("participant_edit", "participant_remove"):
        assert client.get(url(name, survey, regions[0], sven.pk)).status_code == 404
        assert client.post(url(name, survey, regions[0], sven.pk), {"email": "x@example.se"}).status_code == 404
    assert Participant.objects.filter(pk=sven.pk).exists()


def test_an_import_of_another_region_is_a_404_through_ones_own_region(client, alice, survey, regions, skane_import):
    client.force_login(alice)
    assert client.get(url("import_preview", survey, regions[0], skane_import.pk)).status_code == 404
    assert client.post(url("import_preview", survey, regions[0], skane_import.pk)).status_code == 404


def test_a_user_who_leads_nothing_is_told_so_and_gets_404s_for_regions(
    client, charlie, survey, regions, people, skane_import
):
    client.force_login(charlie)
    assert client.get(reverse("lead:dashboard")).status_code == 403  # "your account leads no region yet"
    for method, address in lead_urls(survey, regions[0], people["anna"], skane_import.pk):
        assert getattr(client, method)(address).status_code == 404, (method, address)


def test_anonymous_users_are_sent_to_log_in(client, survey, regions, people, skane_import):
    for method, address in [("get", reverse("lead:dashboard"))] + lead_urls(
        survey, regions[0], people["anna"], skane_import.pk
    ):
        response = getattr(client, method)(address)
        assert response.status_code == 302, (method, address)
        assert response.url.startswith(reverse("login"))


def test_the_lead_never_sees_answers(client, alice, survey, regions, people):
    anna = people["anna"]
    areas = list(survey.areas.all()[:5])
    submit_response(participant=anna, ranking=areas, level="region")
    client.force_login(alice)
    page = client.get(url("region", survey, regions[0])).content.decode()
    assert "Svarat" in page
    for area in areas:
        assert area.title_sv not in page
    csv_text = "".join(";".join(row) for row in csv_rows(client.get(url("participants_csv", survey, regions[0]))))
    for area in areas:
        assert area.title_sv not in csv_text


def test_invitations_after_a_confirmation_that_states_the_count(client, alice, survey, regions, people):
    client.force_login(alice)
    page = client.get(url("invite", survey, regions[0])).content.decode()
    assert "2 personer" in page
    response = client.post(url("invite", survey, regions[0]), {"expected": 2})
    assert response.status_code == 302
    assert OutgoingEmail.objects.filter(participant__region=regions[0]).count() == 2
    # A double click: nothing more.
    client.post(url("invite", survey, regions[0]), {"expected": 2})
    assert OutgoingEmail.objects.count() == 2
    sending.drain_queue()
    assert sorted(m.to[0] for m in mail.outbox) == ["anna@lulea.example.se", "bertil@pitea.example.se"]


def test_a_send_to_more_people_than_confirmed_asks_again(client, alice, survey, regions, people):
    client.force_login(alice)
    make_participant(survey, region=regions[0], email="ny@kiruna.example.se")
    response = client.post(url("invite", survey, regions[0]), {"expected": 2})
    assert response.status_code == 200
    assert "Antalet har ändrats" in response.content.decode()
    assert OutgoingEmail.objects.count() == 0


def test_a_tampered_confirmation_sends_nothing(client, alice, survey, regions, people):
    client.force_login(alice)
    for data in [{}, {"expected": "many"}, {"expected": -1}]:
        response = client.post(url("invite", survey, regions[0]), data)
        assert response.status_code == 200
    assert OutgoingEmail.objects.count() == 0


def test_the_progress_endpoint(client, alice, survey, regions, people):
    client.force_login(alice)
    queueing.queue_invitations(survey=survey, region=regions[0])
    data = client.get(url("progress", survey, regions[0])).json()
    assert data["progress"]["total"] == 2 and data["progress"]["pending"] == 2
    sending.drain_queue()
    data = client.get(url("progress", survey, regions[0])).json()
    assert data["progress"]["done"] == 2 and data["progress"]["sent"] == 2
    assert data["counts"]["delivered"] == 2


def test_the_dashboard_counts(client, alice, survey, regions, people, django_assert_max_num_queries):
    queueing.queue_invitations(survey=survey, region=regions[0])
    sending.drain_queue()
    submit_response(participant=people["anna"], ranking=list(survey.areas.all()[:5]), level="kommun")
    client.force_login(alice)
    response = client.get(url("region", survey, regions[0]))
    counts = response.context["counts"]
    assert counts == {
        "invited": 2,
        "delivered": 2,
        "failed": 0,
        "bounced": 0,
        "uncertain": 0,
        "pending": 0,
        "opted_out": 0,
        "answered": 1,
        "response_rate": 50,
    }
    assert response.context["waves"] == [(0, 1)]
    with django_assert_max_num_queries(15):
        client.get(url("region", survey, regions[0]))


def test_search_and_filter(client, alice, survey, regions, people):
    submit_response(participant=people["anna"], ranking=list(survey.areas.all()[:5]), level="kommun")
    client.force_login(alice)
    shown = lambda **q: [p.email for p in client.get(url("region", survey, regions[0]), q).context["participants"]]  # noqa: E731
    assert shown(q="pitea") == ["bertil@pitea.example.se"]
    assert shown(status="answered") == ["anna@lulea.example.se"]
    assert shown(status="not_answered") == ["bertil@pitea.example.se"]
    assert shown(status="not_invited") == ["anna@lulea.example.se", "bertil@pitea.example.se"]
    assert shown(status="nonsense") == ["anna@lulea.example.se", "bertil@pitea.example.se"]


def test_the_list_download(client, alice, survey, regions, people):
    client.force_login(alice)
    rows = csv_rows(client.get(url("participants_csv", survey, regions[0])))
    assert rows[0][:4] == ["E-post", "Namn", "Organisation", "Nivå"]
    assert sorted(r[0] for r in rows[1:]) == ["anna@lulea.example.se", "bertil@pitea.example.se"]


def test_add_edit_and_remove_a_participant(client, alice, survey, regions, people):
    client.force_login(alice)
    response = client.post(
        url("participant_add", survey, regions[0]),
        {"email": "Ny@Kiruna.Example.SE", "name": "Ny Person", "organisation": "Kiruna kommun", "level": "kommun"},
    )
    assert response.status_code == 302
    added = Participant.objects.get(email="Ny@kiruna.example.se")
    assert added.region == regions[0] and added.token
    # The same address again, in any case.
    response = client.post(url("participant_add", survey, regions[0]), {"email": "ny@KIRUNA.example.se"})
    assert "redan med i enkäten" in response.content.decode()
    client.post(url("participant_edit", survey, regions[0], added.pk), {"email": added.email, "name": "Nytt Namn"})
    added.refresh_from_db()
    assert added.name == "Nytt Namn"
    client.post(url("participant_remove", survey, regions[0], added.pk))
    assert not Participant.objects.filter(pk=added.pk).exists()


def test_someone_who_answered_cannot_be_removed(client, alice, survey, regions, people):
    anna = people["anna"]
    submit_response(participant=anna, ranking=list(survey.areas.all()[:5]), level="kommun")
    client.force_login(alice)
    client.post(url("participant_remove", survey, regions[0], anna.pk))
    assert Participant.objects.filter(pk=anna.pk).exists()


def test_the_email_preview(client, alice, survey, regions, people):
    client.force_login(alice)
    page = client.get(url("email_preview", survey, regions[0], "invitation")).content.decode()
    assert "anna@lulea.example.se" in page
    html = client.get(url("email_preview", survey, regions[0], "reminder"), {"format": "html"})
    assert "sandbox" in html["Content-Security-Policy"]
    assert b"Svara nu" in html.content
    # No link in the preview works: not the first person's, nor anyone's.
    for body in (page, html.content.decode()):
        assert "/s/exempel/" in body
        assert not any(p.token in body for p in Participant.objects.all())
    assert client.get(url("email_preview", survey, regions[0], "nonsense")).status_code == 404
    client.logout()
    assert client.get("/s/exempel/").status_code == 404
    assert client.get("/s/exempel/avregistrera/").status_code == 404
    assert OutgoingEmail.objects.count() == 0
    assert mail.outbox == []


def test_login_is_throttled_after_failed_attempts(client, alice):
    for _ in range(5):
        response = client.post(reverse("login"), {"login": "alice", "password": "wrong"})
        assert response.status_code == 200
    # Now even the right password is refused for a while.
    response = client.post(reverse("login"), {"login": "alice", "password": "alice-password-123"})
    assert "För många misslyckade försök" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_works_and_leads_to_the_overview(client, alice):
    response = client.post(reverse("login"), {"login": "alice", "password": "alice-password-123"})
    assert response.status_code == 302
    assert response.url == reverse("lead:dashboard")


def test_the_lead_sends_the_uncertain_emails_again_after_being_told_what_it_means(
    client, alice, survey, regions, people
):
    client.force_login(alice)
    queueing.queue_invitations(survey=survey, region=regions[0])
    OutgoingEmail.objects.update(status=OutgoingEmail.Status.UNCERTAIN, last_error="Arbetsprocessen stoppades.")
    region_page = client.get(url("region", survey, regions[0])).content.decode()
    assert "Skicka de osäkra meddelandena igen" in region_page
    page = client.get(url("resend_uncertain", survey, regions[0])).content.decode()
    assert "2 meddelanden i Norrbotten är osäkra" in page
    assert "få samma meddelande två gånger" in page

    submit_response(participant=people["anna"], ranking=list(survey.areas.all()[:5]), level="kommun")
    response = client.post(url("resend_uncertain", survey, regions[0]), {"expected": 2})
    assert response.status_code == 302
    assert client.post(url("resend_uncertain", survey, regions[0]), {"expected": 2}).status_code == 302  # twice
    sending.drain_queue()
    # Anna answered meanwhile: only Bertil gets it again.
    assert [m.to[0] for m in mail.outbox] == ["bertil@pitea.example.se"]
    statuses = dict(OutgoingEmail.objects.values_list("participant__email", "status"))
    assert statuses == {"anna@lulea.example.se": "skipped", "bertil@pitea.example.se": "sent"}
    assert "Skicka de osäkra meddelandena igen" not in client.get(url("region", survey, regions[0])).content.decode()


def test_more_uncertain_emails_than_confirmed_asks_again(client, alice, survey, regions, people):
    client.force_login(alice)
    queueing.queue_invitations(survey=survey, region=regions[0])
    OutgoingEmail.objects.update(status=OutgoingEmail.Status.UNCERTAIN)
    response = client.post(url("resend_uncertain", survey, regions[0]), {"expected": 1})
    assert response.status_code == 200 and "Antalet har ändrats" in response.content.decode()
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {OutgoingEmail.Status.UNCERTAIN}


def test_a_new_address_for_someone_invited_gets_a_new_link_and_is_in_the_audit_log(
    client, alice, survey, regions, people
):
    from msi_survey.accounts.models import AuditEvent

    anna = people["anna"]
    client.force_login(alice)
    client.post(url("invite", survey, regions[0]), {"expected": 2})
    sending.drain_queue()
    old_link = reverse("surveys:answer", args=[anna.token])
    assert client.get(old_link).status_code == 200
    mail.outbox.clear()

    # The lead puts their own address on Anna and sends a reminder.
    response = client.post(
        url("participant_edit", survey, regions[0], anna.pk),
        {"email": "alice@ltu.example.se", "name": anna.name, "organisation": anna.organisation, "level": anna.level},
        follow=True,
    )
    assert "får en ny personlig länk" in response.content.decode()
    anna.refresh_from_db()
    assert anna.email == "alice@ltu.example.se"
    new_link = reverse("surveys:answer", args=[anna.token])
    assert new_link != old_link
    # The link Anna was sent no longer opens her survey.
    assert client.get(old_link).status_code == 404
    event = AuditEvent.objects.get(kind="address_changed")
    assert event.user == alice and event.address == "127.0.0.1"
    assert (
        event.detail == f"participant {anna.pk} (norrbotten): anna@lulea.example.se → alice@ltu.example.se; new link"
    )


def test_a_new_address_before_any_email_keeps_the_link_but_is_recorded(client, alice, survey, regions, people):
    from msi_survey.accounts.models import AuditEvent

    anna = people["anna"]
    token = anna.token
    client.force_login(alice)
    client.post(url("participant_edit", survey, regions[0], anna.pk), {"email": "anna@ny.example.se"})
    anna.refresh_from_db()
    assert anna.email == "anna@ny.example.se" and anna.token == token
    assert AuditEvent.objects.filter(kind="address_changed", detail__endswith="→ anna@ny.example.se").exists()
    # A change of name only is not an address change.
    client.post(url("participant_edit", survey, regions[0], anna.pk), {"email": anna.email, "name": "Anna A"})
    assert AuditEvent.objects.filter(kind="address_changed").count() == 1


MARKUP = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def test_markup_in_a_name_or_organisation_is_text_on_every_lead_page(client, alice, survey, regions, people):
    anna = people["anna"]
    anna.name, anna.organisation = MARKUP, MARKUP
    anna.save()
    client.force_login(alice)
    upload = SimpleUploadedFile(
        "lista.csv", f"E-post;Namn;Organisation\r\nny@kiruna.example.se;{MARKUP};x\r\n".encode()
    )
    preview = client.post(url("import", survey, regions[0]), {"file": upload}, follow=True)
    pages = [
        client.get(url("region", survey, regions[0])),
        client.get(url("participant_edit", survey, regions[0], anna.pk)),
        client.get(url("participant_remove", survey, regions[0], anna.pk)),
        client.get(url("email_preview", survey, regions[0], "invitation")),
        preview,
    ]
    for page in pages:
        html = page.content.decode()
        assert "<script>alert(1)" not in html and "<img src=x" not in html, page.request["PATH_INFO"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0].content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in preview.content.decode()
