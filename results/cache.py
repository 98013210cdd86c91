"""
What the published results pages keep in the cache, under which key, and
what moves it on. The one home of every cache of the results side.

Only published versions are cached: a version never changes once published.
The staff preview (live numbers) is never cached. Three layers:

1. Whole pages for visitors who are not logged in and have no message
   waiting (whole_page_for_visitors), under
   results-page:<slug>:<latest version>:<comments>:<language>:<path>. The
   path only: a query string changes nothing on these pages, so
   ?utm=1, ?utm=2… are one entry, not one each. They live in the "pages"
   cache, each process's own memory with at most PAGE_CACHE_ENTRIES
   entries of at most MAX_PAGE_BYTES, never in the shared cache whose rate
   counters and throttles they could push out.
2. Fragments of the same pages for everyone else: the {% cache %} blocks in
   templates/results/*.html, kept fragment_seconds() and keyed by survey,
   version, latest version and language.
3. Each process's decoded numbers of the last few snapshots (frozen_data),
   by snapshot id and time of publication.

Layer 1 is also keyed by what the pages show outside the {% cache %}
fragments of layer 2: the readers' comments, which comments_changed() moves
on when a comment is approved or removed, and the pointer to a newer
edition, which newer_edition_published() moves on.

Layers 1 and 2 are keyed by the survey's publication state (its newest
version, and how many versions are withdrawn: publication_state()), kept
under latest_version_key(slug). publish_snapshot() and withdraw_snapshot()
move it on with publication_changed() once their transaction commits, so a
new or withdrawn version shows at once; the older entries are never read
again and expire after PUBLISHED_PAGE_SECONDS. Where the cache has lost the
state (a restart, an eviction), the pages say it again with
remember_latest().
"""

import time
from collections.abc import Callable
from functools import lru_cache, wraps

from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache, caches
from django.db.models import Count, Max, Q
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from .models import Snapshot
from .snapshot import Results

PUBLISHED_PAGE_SECONDS = 24 * 60 * 60
MAX_PAGE_BYTES = 512 * 1024


def latest_version_key(slug: str) -> str:
    return f"results-latest:{slug}"


def publication_state(newest: int, withdrawn: int) -> str:
    """
    What the survey's pages depend on of its versions, as a key: "3" for
    three versions, "3w1" when one of them is withdrawn. Versions and
    withdrawals only ever grow, so a state never comes back.
    """
    return f"{newest}w{withdrawn}" if withdrawn else str(newest)


def publication_changed(slug: str) -> None:
    """Move the survey's pages on after a version was published or withdrawn (call after the commit)."""
    counts = Snapshot.objects.filter(survey__slug=slug).aggregate(
        newest=Max("version"), withdrawn=Count("pk", filter=Q(withdrawn_at__isnull=False))
    )
    cache.set(
        latest_version_key(slug),
        publication_state(counts["newest"] or 0, counts["withdrawn"]),
        PUBLISHED_PAGE_SECONDS,
    )


def remember_latest(slug: str, state: str) -> None:
    """Say the publication state again where the cache has lost it; never moves it back."""
    cache.add(latest_version_key(slug), state, PUBLISHED_PAGE_SECONDS)


def comments_key(slug: str) -> str:
    return f"results-comments:{slug}"


def comments_changed(slug: str) -> None:
    """
    A comment was approved or taken down: the survey's cached pages are no
    longer used, so visitors see the change at once. Call after the commit.
    """
    cache.set(comments_key(slug), time.time_ns(), PUBLISHED_PAGE_SECONDS)


def newer_edition_published(slugs: list[str]) -> None:
    """A newer edition of these surveys was published: their cached pages point to it at once."""
    for slug in slugs:
        comments_changed(slug)


def _comments_generation(slug: str, known: object) -> object:
    # Where the cache has lost it, start a new one: an older page must never come back.
    if known is None:
        cache.add(comments_key(slug), time.time_ns(), PUBLISHED_PAGE_SECONDS)
        known = cache.get(comments_key(slug))
    return known


def fragment_seconds(*, preview: bool) -> int:
    """How long the templates keep a fragment: published versions a day, live previews never."""
    return 0 if preview else PUBLISHED_PAGE_SECONDS


def whole_page_for_visitors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """
    Keep a published page whole in the cache for visitors who are not logged
    in (staff see more) and have no message waiting, per language and path
    (not the query string), under the survey's latest version. The pages
    hold nothing per visitor (no form, no token) and read no query
    parameter: a view that starts to must not be wrapped by this.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args: object, **kwargs: object) -> HttpResponse:
        if request.user.is_authenticated or CookieStorage.cookie_name in request.COOKIES:
            return view(request, slug, *args, **kwargs)
        known = cache.get_many([latest_version_key(slug), comments_key(slug)])
        latest = known.get(latest_version_key(slug))
        comments = _comments_generation(slug, known.get(comments_key(slug)))
        key = f"results-page:{slug}:{latest}:{comments}:{translation.get_language()}:{request.path}"
        pages = caches["pages"]
        if latest is not None:
            page = pages.get(key)
            if page is not None:
                content, policy = page
                response = HttpResponse(content)
                if policy:  # a page with a video player allows its host
                    response["Content-Security-Policy"] = policy
                return response
        response = view(request, slug, *args, **kwargs)
        if latest is not None and response.status_code == 200 and len(response.content) <= MAX_PAGE_BYTES:
            page = (response.content, response.headers.get("Content-Security-Policy"))
            pages.set(key, page, PUBLISHED_PAGE_SECONDS)
        return response

    return wrapper


@lru_cache(maxsize=32)
def _frozen_data(snapshot_pk: int, published_at: str) -> Results:
    return Snapshot.objects.values_list("data", flat=True).get(pk=snapshot_pk)


def frozen_data(snapshot: Snapshot) -> Results:
    """
    A published snapshot's numbers. A snapshot never changes once published,
    so each process keeps the last few it has read instead of reading and
    decoding them again for every page. Callers must not change the dict.
    """
    return _frozen_data(snapshot.pk, snapshot.published_at.isoformat())
