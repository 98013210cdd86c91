from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone

from msi_survey.accounts import services as audit
from msi_survey.accounts.models import AuditEvent
from surveys.models import Survey

from .cache import newer_edition_published, publication_changed
from .comparison import compare_editions, earlier_editions
from .contacts import frozen_contacts
from .models import Commentary, Snapshot, localized
from .selectors import build_results, read_inputs
from .snapshot import Results


class AlreadyPublished(Exception):
    """Someone published a newer version since the preview was made; nothing was written."""

    def __init__(self, latest: Snapshot):
        super().__init__(f"version {latest.version} is already published")
        self.latest = latest


def results_as_published(survey: Survey, *, now: datetime | None = None) -> Results:
    """
    What a version published now would hold: the results, the commentary,
    the contacts and the comparison with the previous edition. The preview shows this;
    publishing freezes it.
    """
    inputs = read_inputs(survey)
    data = build_results(survey, now=now, inputs=inputs)
    data["commentary"] = [block.frozen() for block in Commentary.objects.filter(survey=survey)]
    data["contacts"] = frozen_contacts()
    data["comparison"] = compare_editions(survey, data, inputs)
    return data


@transaction.atomic
def publish_snapshot(
    *,
    survey: Survey,
    user: User | None = None,
    based_on: int | None = None,
    now: datetime | None = None,
    request: HttpRequest | None = None,
) -> Snapshot:
    """
    Freeze the survey's results, method and commentary as the next version.

    `based_on` is the latest version the publisher saw (0 for none): if a
    newer one exists, AlreadyPublished is raised and nothing is written, so
    a double click or two staff publishing at once make one version, not two.
    After the commit, the survey's latest version in the cache moves on, so
    visitors' cached pages of the older version are no longer used. The
    audit log records who published it.
    """
    now = now or timezone.now()
    Survey.objects.select_for_update().get(pk=survey.pk)  # one publication at a time per survey
    latest = survey.snapshots.order_by("-version").first()
    if based_on is not None and latest is not None and latest.version > based_on:
        raise AlreadyPublished(latest)
    data = results_as_published(survey, now=now)
    data["published_at"] = now.isoformat()
    version = (survey.snapshots.aggregate(v=Max("version"))["v"] or 0) + 1
    snapshot = Snapshot.objects.create(survey=survey, version=version, published_at=now, published_by=user, data=data)
    # Visitors see the new version at once: the cached pages are kept under the latest version (results/cache.py).
    transaction.on_commit(lambda: publication_changed(survey.slug))
    audit.record(
        AuditEvent.Kind.RESULTS_PUBLISHED,
        user=user,
        request=request,
        detail=f"{survey.slug} v{version}: {data['national'].get('n')} answers",
    )
    earlier = earlier_editions(survey)
    transaction.on_commit(lambda: newer_edition_published(earlier))
    return snapshot


@transaction.atomic
def withdraw_snapshot(
    *, snapshot: Snapshot, user: User | None, reason: str, now: datetime | None = None, request=None
) -> bool:
    """
    Withdraw a published version: it stays stored as it was, visitors see
    the latest version not withdrawn (or that nothing is published) with a
    note that this one was withdrawn, when and why. The audit log records
    who. Returns whether it changed; withdrawing it again changes nothing.
    """
    now = now or timezone.now()
    Survey.objects.select_for_update().get(pk=snapshot.survey_id)
    changed = Snapshot.objects.filter(pk=snapshot.pk, withdrawn_at__isnull=True).update(
        withdrawn_at=now, withdrawn_by=user, withdrawal_reason=reason
    )
    if changed:
        slug = snapshot.survey.slug
        audit.record(
            AuditEvent.Kind.RESULTS_WITHDRAWN,
            user=user,
            request=request,
            detail=f"{slug} v{snapshot.version}: {reason}",
        )
        transaction.on_commit(lambda: publication_changed(slug))
        earlier = earlier_editions(snapshot.survey)
        transaction.on_commit(lambda: newer_edition_published(earlier))
    return bool(changed)


def changes_since(before: Results, after: Results) -> dict:
    """What a new version changes for visitors, from the version they see now: for the confirmation page."""
    old = {row["code"]: row for row in before["national"]["areas"] or []}
    moved = [
        {"area": localized(row, "title"), "before": old[row["code"]]["rank"], "after": row["rank"]}
        for row in after["national"]["areas"] or []
        if row["code"] in old and old[row["code"]]["rank"] != row["rank"]
    ]
    return {
        "answers_before": before["national"]["n"],
        "answers_after": after["national"]["n"],
        "moved": moved,
        "regions_before": sum(1 for r in before["regions"] if not r["suppressed"]),
        "regions_after": sum(1 for r in after["regions"] if not r["suppressed"]),
        "commentary_changed": before.get("commentary", []) != after.get("commentary", []),
        "contacts_changed": before.get("contacts", []) != after.get("contacts", []),
    }
