"""Sessions end when idle, after a working day, on signing out and when a role goes; all in the audit log."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from msi_survey.accounts.models import AccountPolicy, AuditEvent

from .conftest import make_region
from .signin import PASSWORD, log_in, make_user

START = datetime(2026, 11, 2, 7, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def north(db):
    return make_region("north", "North")


@pytest.fixture
def alice(north):
    return make_user("alice", region=north)


def signed_in(username="alice") -> Client:
    client = Client()
    assert log_in(client, username).status_code == 302
    assert client.get(reverse("lead:dashboard")).status_code == 200
    return client


def is_signed_in(client) -> bool:
    return client.get(reverse("lead:dashboard")).status_code == 200


def test_a_session_ends_after_a_while_without_activity(alice, clock, settings):
    settings.SESSION_IDLE_SECONDS = 30 * 60
    client = signed_in()
    clock.shift(timedelta(minutes=29))
    assert is_signed_in(client)
    clock.shift(timedelta(minutes=29))
    assert is_signed_in(client)
    clock.shift(timedelta(minutes=31))
    response = client.get(reverse("lead:dashboard"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(user=alice, kind="session_expired", detail="idle").exists()


def test_a_session_ends_after_a_working_day_however_busy(alice, clock, settings):
    settings.SESSION_IDLE_SECONDS = 30 * 60
    settings.SESSION_MAX_SECONDS = 10 * 60 * 60
    client = signed_in()
    for _ in range(10 * 3):  # every 20 minutes for ten hours
        clock.shift(timedelta(minutes=20))
        assert is_signed_in(client)
    clock.shift(timedelta(minutes=20))
    assert not is_signed_in(client)
    assert AuditEvent.objects.filter(user=alice, kind="session_expired", detail="too long").exists()


def test_signing_out_ends_every_session_of_the_person(alice, clock):
    laptop, phone = signed_in(), signed_in()
    bob = make_user("bob", region=make_region("south", "South"))
    bobs = signed_in("bob")
    clock.shift(timedelta(seconds=5))
    laptop.post(reverse("logout"))
    assert not is_signed_in(laptop)
    assert not is_signed_in(phone)
    assert is_signed_in(bobs), "someone else's session is left alone"
    # Signing in again afterwards works.
    clock.shift(timedelta(seconds=5))
    assert is_signed_in(signed_in())
    assert AuditEvent.objects.filter(user=alice, kind="signed_out").count() == 1
    assert not AuditEvent.objects.filter(user=bob, kind="signed_out").exists()


def test_changing_the_password_ends_the_other_sessions_but_not_this_one(alice, clock):
    here, elsewhere = signed_in(), signed_in()
    response = here.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "another-good-password-77", "password2": "another-good-password-77"},
    )
    assert response.status_code == 302
    assert is_signed_in(here)
    assert not is_signed_in(elsewhere)
    assert AuditEvent.objects.filter(user=alice, kind="password_changed").exists()


def test_losing_the_lead_role_ends_the_persons_sessions(alice, north, clock):
    client = signed_in()
    clock.shift(timedelta(seconds=5))
    north.leads.remove(alice)
    assert not is_signed_in(client)
    event = AuditEvent.objects.get(user=alice, kind="lead_removed")
    assert event.detail == "north"


def test_role_changes_are_in_the_audit_log(alice, north):
    south = make_region("south", "South")
    alice.lead_regions.add(south)
    alice.lead_regions.clear()
    staff = make_user("staffer", staff=True)
    staff.is_staff = False
    staff.save()
    kinds = list(AuditEvent.objects.order_by("pk").values_list("kind", "detail", "username"))
    assert ("lead_added", "south", "alice") in kinds
    assert ("lead_removed", "north", "alice") in kinds and ("lead_removed", "south", "alice") in kinds
    assert ("staff_removed", "", "staffer") in kinds
    assert AccountPolicy.objects.get(user=staff).sessions_ended_at is not None


def test_sign_ins_and_failed_sign_ins_are_in_the_audit_log(alice, client):
    log_in(client, "alice", "wrong-password")
    log_in(client, "nobody-by-that-name", "wrong-password")
    log_in(client, "alice")
    failed = AuditEvent.objects.filter(kind="sign_in_failed").order_by("pk")
    assert [event.username for event in failed] == ["alice", "nobody-by-that-name"]
    assert all(event.address == "127.0.0.1" for event in failed)
    assert AuditEvent.objects.filter(user=alice, kind="signed_in", detail="password").count() == 1


def test_an_account_limited_to_single_sign_on_cannot_use_its_password(alice, client):
    AccountPolicy.objects.create(user=alice, sso_only=True)
    response = log_in(client, "alice")
    assert response.status_code == 200
    assert "via din organisations inloggningstjänst" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(user=alice, kind="sign_in_failed", detail="sso only").exists()


def test_staff_read_the_audit_log_but_cannot_change_it(client, alice):
    log_in(Client(), "alice")
    staff = User.objects.create_superuser("boss", "boss@example.se", PASSWORD)
    client.force_login(staff)
    listing = client.get(reverse("admin:accounts_auditevent_changelist"))
    assert listing.status_code == 200 and "alice" in listing.content.decode()
    event = AuditEvent.objects.filter(user=alice).first()
    assert client.post(reverse("admin:accounts_auditevent_change", args=[event.pk]), {"kind": "x"}).status_code == 403
    assert client.get(reverse("admin:accounts_auditevent_add")).status_code == 403
    assert client.get(reverse("admin:accounts_auditevent_delete", args=[event.pk])).status_code == 403


def test_staff_limit_an_account_to_single_sign_on_in_the_admin(client, alice):
    staff = User.objects.create_superuser("boss", "boss@example.se", PASSWORD)
    client.force_login(staff)
    assert client.get(reverse("admin:accounts_accountpolicy_add")).status_code == 200
    response = client.post(reverse("admin:accounts_accountpolicy_add"), {"user": alice.pk, "sso_only": "on"})
    assert response.status_code == 302
    assert AccountPolicy.objects.get(user=alice).sso_only
