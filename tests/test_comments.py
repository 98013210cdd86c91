"""Readers' comments: the form's defences, moderation, the page cache, staff's email and forgetting addresses."""

import io
import time
from datetime import timedelta

import altcha
import pytest
from django.conf import settings
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from results.comments import services, spam
from results.models import Comment
from results.services import publish_snapshot
from surveys.distribution.purge import purge_personal_data

from .conftest import make_participant, make_region, make_survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(db, django_capture_on_commit_callbacks):
    survey = make_survey(slug="pub")
    make_participant(survey, region=make_region())
    with django_capture_on_commit_callbacks(execute=True):
        publish_snapshot(survey=survey)
    return survey


@pytest.fixture(autouse=True)
def light_challenge(settings):
    settings.COMMENT_CHALLENGE_COST = 50


def shown(slug="pub", seconds_ago=30):
    return spam.form_shown_stamp(slug, now=time.time() - seconds_ago)


def solved() -> str:
    """A challenge from our server, solved as the widget does it."""
    challenge = altcha.Challenge.from_dict(spam.new_challenge())
    solution = altcha.solve_challenge(challenge)
    return altcha.Payload(challenge, solution).to_base64()


def form(**changes):
    data = {
        "name": "Eva Läsare",
        "email": "eva@kommun.example.se",
        "body": "Bra att se regionerna jämförda.",
        "consent": "on",
        "website": "",
        "shown": shown(),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def post(client, data, slug="pub"):
    return client.post(reverse("results:comments", args=[slug]), data)


def national(client, slug="pub") -> str:
    return client.get(reverse("results:national", args=[slug])).content.decode()


def test_a_comment_waits_for_a_moderator_and_shows_at_once_when_approved(
    client, published, django_capture_on_commit_callbacks
):
    national(client)  # the page is now in the cache
    response = post(client, form())
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert comment.status == Comment.Status.WAITING and not comment.proof_of_work
    assert "Bra att se regionerna" not in national(client)
    with django_capture_on_commit_callbacks(execute=True):
        services.moderate(comments=[comment], status=Comment.Status.APPROVED, user=None)
    page = national(client)
    assert "Bra att se regionerna jämförda." in page and "Eva Läsare" in page
    with django_capture_on_commit_callbacks(execute=True):
        services.moderate(comments=[comment], status=Comment.Status.REMOVED, user=None)
    assert "Bra att se regionerna" not in national(client)


def test_the_thank_you_says_the_comment_waits(client, published):
    response = client.post(reverse("results:comments", args=["pub"]), form(), follow=True)
    assert "så snart en moderator har godkänt den" in response.content.decode()


def known_address(survey, email="EVA@kommun.example.se"):
    return Comment.objects.create(survey=survey, name="Eva", email=email, body="Förra", status="approved")


def the_link() -> str:
    (message,) = mail.outbox
    return next(line for line in message.body.splitlines() if "/comments/publish/" in line).strip()


def test_a_known_address_is_not_trusted_until_its_owner_follows_the_emailed_link(
    client, published, django_capture_on_commit_callbacks
):
    known_address(published)
    national(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, form(altcha=solved(), body="Andra kommentaren."))
    assert response.status_code == 302
    comment = Comment.objects.get(body="Andra kommentaren.")
    assert comment.status == Comment.Status.WAITING and comment.proof_of_work
    assert "Andra kommentaren." not in national(client)
    (message,) = mail.outbox
    assert message.to == ["eva@kommun.example.se"]
    assert "Andra kommentaren" not in message.body + message.subject  # the poster's text is not mailed
    path = the_link().removeprefix(settings.SITE_URL)
    assert "@" not in path and "ZXZh" not in path  # the link carries the comment's number, not the address

    page = client.get(path)  # opening the link (a mail scanner does) publishes nothing
    assert page.status_code == 200 and "Andra kommentaren." in page.content.decode()
    comment.refresh_from_db()
    assert comment.status == Comment.Status.WAITING
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(path)
    assert "Tack! Din kommentar är publicerad." in done.content.decode()
    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED and comment.address_confirmed_at is not None
    assert "Andra kommentaren." in national(client)
    again = client.post(path)
    assert "redan publicerad" in again.content.decode()


def test_the_thank_you_does_not_tell_whether_the_address_commented_before(
    client, published, django_capture_on_commit_callbacks
):
    known_address(published)
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(reverse("results:comments", args=["pub"]), form(altcha=solved()), follow=True)
        unknown = client.post(
            reverse("results:comments", args=["pub"]),
            form(altcha=solved(), email="ny@kommun.example.se", shown=shown()),
            follow=True,
        )
    assert len(mail.outbox) == 1

    def alerts(response):
        return [str(m) for m in response.context["messages"]]

    assert alerts(known) == alerts(unknown) and len(alerts(known)) == 2


def test_a_forged_expired_or_foreign_link_publishes_nothing(
    client, published, settings, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(timezone.now(), tick=False)
    known_address(published)
    with django_capture_on_commit_callbacks(execute=True):
        post(client, form(altcha=solved(), body="Väntar."))
    path = the_link().removeprefix(settings.SITE_URL)
    comment = Comment.objects.get(body="Väntar.")
    forged = reverse("results:comment_confirm", args=[path.rstrip("/").rsplit("/", 1)[1][:-2] + "xx"])
    assert client.post(forged).status_code == 404
    other = Comment.objects.create(survey=published, name="Mallory", email="m@example.se", body="Annan")
    eva = signing.TimestampSigner(salt=f"{services.CONFIRM_SALT}:eva@kommun.example.se")
    foreign = reverse("results:comment_confirm", args=[eva.sign(str(other.pk))])
    assert client.post(foreign).status_code == 404
    time_machine.shift(timedelta(hours=settings.COMMENT_CONFIRM_HOURS, minutes=1))
    response = client.post(path)
    assert response.status_code == 404 and "inte giltig" in response.content.decode()
    comment.refresh_from_db()
    other.refresh_from_db()
    assert comment.status == other.status == Comment.Status.WAITING


def test_a_link_cannot_publish_what_a_moderator_rejected(client, published, django_capture_on_commit_callbacks):
    known_address(published)
    with django_capture_on_commit_callbacks(execute=True):
        post(client, form(altcha=solved(), body="Avvisas."))
    comment = Comment.objects.get(body="Avvisas.")
    services.moderate(comments=[comment], status=Comment.Status.REJECTED, user=None)
    response = client.post(the_link().removeprefix(settings.SITE_URL))
    assert "redan hanterat" in response.content.decode()
    comment.refresh_from_db()
    assert comment.status == Comment.Status.REJECTED


def test_one_address_gets_at_most_one_link_an_hour(
    client, published, settings, time_machine, django_capture_on_commit_callbacks
):
    known_address(published)
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            post(client, form(altcha=solved(), body=f"Nummer {n}.", shown=shown()))
    assert len(mail.outbox) == 1 and Comment.objects.waiting().count() == 3


def test_a_dead_mail_server_keeps_the_comment_waiting(
    client, published, monkeypatch, django_capture_on_commit_callbacks
):
    known_address(published)

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("no SMTP")

    monkeypatch.setattr(services, "send_mail", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, form(altcha=solved(), body="Sparas ändå."))
    assert response.status_code == 302
    assert Comment.objects.get(body="Sparas ändå.").status == Comment.Status.WAITING


def test_a_known_address_without_javascript_still_waits(client, published):
    Comment.objects.create(
        survey=published, name="Eva", email="eva@kommun.example.se", body="Förra", status="approved"
    )
    post(client, form(body="Utan skript."))
    assert Comment.objects.get(body="Utan skript.").status == Comment.Status.WAITING


def test_an_unknown_address_with_the_proof_of_work_waits(client, published):
    post(client, form(altcha=solved()))
    comment = Comment.objects.get()
    assert comment.status == Comment.Status.WAITING and comment.proof_of_work


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("name", "Skriv ditt namn"),
        ("email", "Skriv din e-postadress"),
        ("body", "Skriv din kommentar"),
        ("consent", "Kryssa i rutan"),
    ],
)
def test_a_missing_field_gets_a_message_and_keeps_the_rest(client, published, missing, message):
    response = post(client, form(**{missing: None}))
    page = response.content.decode()
    assert response.status_code == 400
    assert message in page
    assert Comment.objects.count() == 0
    if missing != "body":
        assert "Bra att se regionerna jämförda." in page


def test_a_100_kb_comment_is_refused_with_its_length_and_kept(client, published):
    body = "Ett långt inlägg. " * 5700  # about 100 kB
    response = post(client, form(body=body))
    page = response.content.decode()
    assert response.status_code == 400
    assert "Kommentaren är för lång: högst 5000 tecken" in page
    assert body.strip() in page  # what was written is still in the box
    assert Comment.objects.count() == 0


def test_html_and_script_in_every_field_are_text_never_markup(client, published, django_capture_on_commit_callbacks):
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = post(client, form(email=script))
    assert response.status_code == 400 and "är inte en giltig e-postadress" in response.content.decode()
    assert "<script>alert" not in response.content.decode()
    post(client, form(name=script, body=script + " https://example.se/?a=<b>"))
    comment = Comment.objects.get()
    assert comment.name == script and comment.body.startswith(script)  # stored as written, as text
    with django_capture_on_commit_callbacks(execute=True):
        services.moderate(comments=[comment], status=Comment.Status.APPROVED, user=None)
    for page in (national(client), client.get(reverse("results:comments", args=["pub"])).content.decode()):
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
        assert 'rel="nofollow ugc"' in page


def test_the_honeypot_refuses_the_comment(client, published):
    response = post(client, form(website="https://spam.example.com"))
    assert response.status_code == 400
    assert "ska vara tomt" in response.content.decode()
    assert Comment.objects.count() == 0


def test_a_post_straight_after_the_page_loads_is_refused_and_kept(client, published):
    page = client.get(reverse("results:comments", args=["pub"])).content.decode()
    stamp = page.split('name="shown" value="', 1)[1].split('"', 1)[0]
    response = post(client, form(shown=stamp, body="Snabbt."))
    assert response.status_code == 400
    assert "bara ett ögonblick efter" in response.content.decode()
    assert "Snabbt.</textarea>" in response.content.decode()
    assert Comment.objects.count() == 0


def test_a_form_open_too_long_or_forged_time_is_refused(client, published, settings):
    response = post(client, form(shown=shown(seconds_ago=settings.COMMENT_MAX_FORM_SECONDS + 60)))
    assert response.status_code == 400 and "varit öppet länge" in response.content.decode()
    for forged in ("", "abc", shown(slug="another-survey"), shown().replace(":", ";", 1)):
        response = post(client, form(shown=forged))
        assert response.status_code == 400 and "ofullständigt" in response.content.decode()
    assert Comment.objects.count() == 0


def test_a_forged_challenge_is_refused(client, published):
    payload = solved()
    challenge = altcha.Challenge.from_dict(spam.new_challenge())
    unsigned = altcha.Challenge(challenge.parameters, signature="0" * 64)
    forged = altcha.Payload(unsigned, altcha.solve_challenge(unsigned)).to_base64()
    for bad in (forged, "bm90IGpzb24=", "not base64 at all", payload[:-8] + "AAAAAAA=", "x" * 5000):
        response = post(client, form(altcha=bad))
        assert response.status_code == 400, bad
        assert "Den automatiska kontrollen" in response.content.decode()
    assert Comment.objects.count() == 0


def test_a_replayed_challenge_is_refused(client, published):
    payload = solved()
    assert post(client, form(altcha=payload)).status_code == 302
    response = post(client, form(altcha=payload, body="En gång till."))
    assert response.status_code == 400 and "Den automatiska kontrollen" in response.content.decode()
    assert Comment.objects.count() == 1


def test_a_burst_of_posts_from_one_address_is_stopped(client, published, settings):
    settings.COMMENT_POSTS_PER_WINDOW = 3
    codes = [post(client, form(body=f"Inlägg {n}.")).status_code for n in range(5)]
    assert codes == [302, 302, 302, 429, 429]
    response = post(client, form(body="Sista."))
    assert "Vänta 60 minuter" in response.content.decode() and "Sista.</textarea>" in response.content.decode()
    assert Comment.objects.count() == 3


def test_comments_close_by_staff_and_by_time(client, published, time_machine):
    published.comments_open = False
    published.save()
    response = post(client, form())
    assert response.status_code == 302 and Comment.objects.count() == 0
    assert "Kommentarerna är stängda" in client.get(reverse("results:comments", args=["pub"])).content.decode()

    published.comments_open = True
    published.comments_close_after_days = 30
    published.save()
    time_machine.move_to(timezone.now() + timedelta(days=31))
    post(client, form(shown=shown()))
    assert Comment.objects.count() == 0
    assert "Lägg till kommentar</a>" not in national(client)


def test_an_unpublished_survey_has_no_comments_page(client, db):
    make_survey(slug="draft")
    assert client.get(reverse("results:comments", args=["draft"])).status_code == 404
    assert client.post(reverse("results:comments", args=["draft"]), form(slug="draft")).status_code == 404
    assert client.get(reverse("results:comment_challenge", args=["draft"])).status_code == 404


def test_the_challenge_is_fresh_and_never_cached(client, published):
    first = client.get(reverse("results:comment_challenge", args=["pub"]))
    second = client.get(reverse("results:comment_challenge", args=["pub"]))
    assert first.json()["signature"] != second.json()["signature"]
    assert "no-store" in first["Cache-Control"]


def test_staff_get_one_email_when_comments_wait(published, settings, django_user_model, time_machine):
    django_user_model.objects.create_user("moderator", "moderator@example.se", is_staff=True)
    for n in range(3):
        Comment.objects.create(survey=published, name=f"Läsare {n}", email=f"l{n}@example.se", body="Hej")
    assert services.notify_moderators() == 3
    assert services.notify_moderators() == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["moderator@example.se"]
    assert message.subject == "3 kommentarer väntar på godkännande"
    assert "/admin/results/comment/?status__exact=waiting" in message.body
    assert "l0@example.se" not in message.body  # the email says how many, not who
    # A new one within the hour waits for the next email.
    Comment.objects.create(survey=published, name="Sen", email="sen@example.se", body="Hej")
    assert services.notify_moderators() == 0
    time_machine.move_to(timezone.now() + timedelta(minutes=settings.COMMENT_NOTIFY_MINUTES + 1))
    assert services.notify_moderators() == 1
    assert len(mail.outbox) == 2 and "1 kommentar väntar" not in mail.outbox[1].subject
    assert mail.outbox[1].subject == "4 kommentarer väntar på godkännande"


def test_a_failed_email_to_staff_is_tried_again(published, settings, django_user_model, monkeypatch):
    settings.COMMENT_MODERATORS = ["moderator@example.se"]
    Comment.objects.create(survey=published, name="Läsare", email="l@example.se", body="Hej")

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("the mail server is down")

    monkeypatch.setattr(services, "send_mail", refuse)
    with pytest.raises(ConnectionRefusedError):
        services.notify_moderators()
    assert Comment.objects.get().staff_notified_at is None
    monkeypatch.undo()
    assert services.notify_moderators() == 1 and len(mail.outbox) == 1


def test_addresses_are_forgotten_after_the_set_days_or_with_the_survey(published, settings, time_machine):
    old = Comment.objects.create(survey=published, name="Gammal", email="gammal@example.se", body="Hej")
    time_machine.move_to(timezone.now() + timedelta(days=settings.COMMENT_EMAIL_DAYS + 1))
    new = Comment.objects.create(survey=published, name="Ny", email="ny@example.se", body="Hej", status="approved")
    assert services.forget_addresses() == 1
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.email == "" and new.email == "ny@example.se"
    assert services.forget_addresses() == 0
    # The survey's purge takes the rest, and the comments stay.
    published.closes_at = timezone.now() - timedelta(days=1)
    published.opens_at = published.closes_at - timedelta(days=10)
    published.save()
    purge_personal_data(survey=published)
    new.refresh_from_db()
    assert new.email == "" and new.body == "Hej"
    assert services.closed_reason(published, timezone.now() - timedelta(days=1)) == services.Closed.PURGED


def test_the_moderation_list_shows_links_as_plain_text(client, published, django_user_model):
    Comment.objects.create(survey=published, name="Länkare", email="l@example.se", body="Se https://spam.example.com/")
    client.force_login(django_user_model.objects.create_superuser("admin", "admin@example.se", "x"))
    page = client.get(reverse("admin:results_comment_changelist")).content.decode()
    assert "https://spam.example.com/" in page and 'href="https://spam.example.com/' not in page


def test_the_admin_actions_approve_reject_and_remove(client, published, django_user_model):
    comment = Comment.objects.create(survey=published, name="Läsare", email="l@example.se", body="Hej")
    staff = django_user_model.objects.create_superuser("admin", "admin@example.se", "x")
    client.force_login(staff)
    for action, status in (("approve", "approved"), ("reject", "rejected"), ("remove", "removed")):
        response = client.post(
            reverse("admin:results_comment_changelist"),
            {"action": action, "_selected_action": [comment.pk]},
            follow=True,
        )
        comment.refresh_from_db()
        assert comment.status == status and comment.moderated_by == staff
        assert "1 kommentar" in response.content.decode()


PUBLIC_PAGES = [
    ("results:national", ["pub"]),
    ("results:region", ["pub", "norrbotten"]),
    ("results:comments", ["pub"]),
    ("results:versions", ["pub"]),
    ("results:version", ["pub", 1]),
    ("results:csv", ["pub"]),
]


@hypothesis_settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    email=st.emails(domains=st.sampled_from(["kommun.example.se", "example.com"])),
    body=st.text(min_size=1, max_size=200).filter(lambda t: t.strip()),
    approved=st.booleans(),
)
def test_no_commenters_address_appears_in_any_public_page_or_export(
    client, published, settings, email, body, approved, django_capture_on_commit_callbacks
):
    settings.COMMENT_POSTS_PER_WINDOW = 1000
    post(client, form(email=email, body=body, shown=shown()))
    comment = Comment.objects.filter(email__iexact=email).first()
    if comment is not None and approved:
        with django_capture_on_commit_callbacks(execute=True):
            services.moderate(comments=[comment], status=Comment.Status.APPROVED, user=None)
    texts = []
    for name, args in PUBLIC_PAGES:
        got = client.get(reverse(name, args=args))
        assert got.status_code == 200, name
        texts.append(got.content.decode())
    book = load_workbook(io.BytesIO(client.get(reverse("results:xlsx", args=["pub"])).content), read_only=True)
    texts.append(" ".join(str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row))
    if comment is not None and approved:
        assert "Eva Läsare" in texts[0]  # the comment itself is on the page, only its address is not
    for text in texts:
        assert email.lower() not in text.lower()


def test_the_sweep_tells_staff_and_forgets_old_addresses(published, settings, time_machine):
    from results.tasks import comments_sweep

    settings.COMMENT_MODERATORS = ["moderator@example.se"]
    Comment.objects.create(survey=published, name="Läsare", email="l@example.se", body="Hej")
    comments_sweep()
    comments_sweep()
    assert len(mail.outbox) == 1
    time_machine.move_to(timezone.now() + timedelta(days=settings.COMMENT_EMAIL_DAYS + 1))
    comments_sweep()
    assert Comment.objects.get().email == ""
