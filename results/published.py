"""
What is published of a survey, read in one query: the version to show, the
others and those withdrawn. The pages (views.py) and the downloads
(exports.py) both start here.
"""

from dataclasses import dataclass
from datetime import datetime

from django.http import Http404

from surveys.models import Survey

from .cache import publication_state, remember_latest
from .models import Snapshot


@dataclass
class Publication:
    """What is published of a survey: the version to show, the others, and those withdrawn."""

    survey: Survey
    snapshot: Snapshot | None  # None when every version is withdrawn
    versions: list[tuple[int, datetime]]  # the versions not withdrawn, newest first
    withdrawn: list[Snapshot]  # newest first
    newest: int  # the highest version number, withdrawn or not
    every: list[Snapshot]  # every version, newest first


class Withdrawn(Http404):
    """The version asked for is withdrawn, or every version is: the view shows why (410)."""

    def __init__(self, publication: Publication, asked: Snapshot | None):
        super().__init__("withdrawn")
        self.publication = publication
        self.asked = asked


def publication_of(slug: str, version: int | None = None) -> Publication:
    """
    The survey's versions in one query, and the one asked for (the latest
    not withdrawn by default); 404 if nothing was ever published, Withdrawn
    if what was asked for is withdrawn. The snapshots' numbers are not
    loaded here: frozen_data() reads them when a page needs them.
    """
    snapshots = list(
        Snapshot.objects.filter(survey__slug=slug).select_related("survey").defer("data").order_by("-version")
    )
    if not snapshots:
        raise Http404
    withdrawn = [s for s in snapshots if s.withdrawn_at is not None]
    public = [s for s in snapshots if s.withdrawn_at is None]
    remember_latest(slug, publication_state(snapshots[0].version, len(withdrawn)))
    if version is None:
        snapshot = public[0] if public else None
    else:
        snapshot = next((s for s in snapshots if s.version == version), None)
        if snapshot is None:
            raise Http404
    publication = Publication(
        survey=snapshots[0].survey,
        snapshot=snapshot,
        versions=[(s.version, s.published_at) for s in public],
        withdrawn=withdrawn,
        newest=snapshots[0].version,
        every=snapshots,
    )
    if snapshot is None or snapshot.withdrawn_at is not None:
        raise Withdrawn(publication, snapshot)
    return publication


def snapshot_of(slug: str, version: int | None = None) -> tuple[Survey, Snapshot, list[tuple[int, datetime]]]:
    """The survey, the version to show and the versions not withdrawn (for downloads: a withdrawn one is a 404)."""
    publication = publication_of(slug, version)
    assert publication.snapshot is not None
    return publication.survey, publication.snapshot, publication.versions
