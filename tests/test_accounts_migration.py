"""
The sign-in models moved from the surveys app to the accounts app without
losing a row: a database that holds audit events and sign-in policies is
migrated across the move, and back.
"""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("surveys", "0010_audit_results"), ("accounts", None)]


def migrate(targets):
    """Migrate to `targets`; the models as they were there (an app at None is left out)."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_the_audit_log_and_policies_keep_every_row_across_the_move():
    old = migrate(BEFORE)
    User = old.get_model("auth", "User")
    user = User.objects.create(username="lena", email="lena@example.se")
    OldEvent = old.get_model("surveys", "AuditEvent")
    OldEvent.objects.create(kind="signed_in", user=user, username="lena", address="10.0.0.1", at=timezone.now())
    OldEvent.objects.create(kind="sign_in_failed", username="okänd", detail="password", at=timezone.now())
    old.get_model("surveys", "AccountPolicy").objects.create(user=user, sso_only=True)

    new = migrate(latest())
    events = new.get_model("accounts", "AuditEvent").objects.order_by("pk")
    assert [(e.kind, e.username, e.user_id, e.address) for e in events] == [
        ("signed_in", "lena", user.pk, "10.0.0.1"),
        ("sign_in_failed", "okänd", None, None),
    ]
    assert new.get_model("accounts", "AccountPolicy").objects.get().sso_only
    ContentType = new.get_model("contenttypes", "ContentType")
    assert set(ContentType.objects.filter(model="auditevent").values_list("app_label", flat=True)) == {"accounts"}

    back = migrate(BEFORE)  # and back again, rows still there
    assert back.get_model("surveys", "AuditEvent").objects.count() == 2
    migrate(latest())
