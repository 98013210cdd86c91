from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from surveys.models import Survey

from .cache import newer_edition_published, version_published
from .comparison import compare_editions, earlier_editions
from .contacts import frozen_contacts
from .models import Commentary, Snapshot
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
    *, survey: Survey, user: User | None = None, based_on: int | None = None, now: datetime | None = None
) -> Snapshot:
    """
    Freeze the survey's results, method and commentary as the next version.

    `based_on` is the latest version the publisher saw (0 for none): if a
    newer one exists, AlreadyPublished is raised and nothing is written, so
    a double click or two staff publishing at once make one version, not two.
    After the commit, the survey's latest version in the cache moves on, so
    visitors' cached pages of the older version are no longer used.
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
    transaction.on_commit(lambda: version_published(survey.slug, version))
    earlier = earlier_editions(survey)
    transaction.on_commit(lambda: newer_edition_published(earlier))
    return snapshot
