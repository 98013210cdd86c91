"""
An edition compared with the one before it in its series, frozen in the
snapshot with the rest of the results (data["comparison"]).

Areas are matched by code. For each area, nationally and in each region
shown in both editions: the share now and then, the change in percentage
points with its 95 % interval, and the rank now and then. The two editions
are independent samples of respondents, so the interval of the change is
Welch's: each share is the mean of Y = (the points a respondent gave the
area) / (the points each respondent gives in all), its variance comes from
the sums of the points and of their squares per group, which the database
adds up (selectors.area_sums), and the degrees of freedom are
Welch–Satterthwaite's. A change is marked only where its interval leaves
out zero.

The earlier edition is taken as it was published, never from its answers
as they are now: answers that came in after its publication would otherwise
show up as a difference between its published figures and the ones here,
and a few late answers could be worked out by subtracting one from the
other. So each snapshot freezes the sums behind its shown groups
(`basis`), and the next edition reads them from there. A group hidden in
either edition is hidden in the comparison too: every number the comparison
shows is one of the two editions' own published figures or their
difference. An earlier edition known only from its published table
(PublishedFigure) gives the change without an interval, nationally only.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict

from django.db.models import Q
from django.utils import timezone

from surveys.models import STOCKHOLM, Region, Survey

from .models import Snapshot
from .selectors import NATION, REGION, Inputs
from .snapshot import AreaRow, Results
from .stats import t_quantile

ANSWERS, TABLE = "answers", "published table"


class ChangeRow(TypedDict):
    code: str
    title_sv: str
    title_en: str
    status: str  # "both", "new" (only now) or "dropped" (only then)
    reworded: bool
    then_title_sv: str | None
    then_title_en: str | None
    share_now: float | None  # percent
    share_then: float | None
    change: float | None  # percentage points
    change_low: float | None  # its 95 % interval; None without one
    change_high: float | None
    clear: bool  # the interval leaves out zero
    rank_now: int | None
    rank_then: int | None
    published_then: NotRequired[float | None]  # the earlier edition's published table, beside its answers


class GroupComparison(TypedDict):
    code: str  # "" for the nation
    name: str
    suppressed: bool
    n_now: NotRequired[int]
    n_then: NotRequired[int]
    with_interval: NotRequired[bool]
    areas: NotRequired[list[ChangeRow]]


class EditionTable(TypedDict):
    """One edition's national table, for the chart of ranks and the export across editions."""

    slug: str
    title_sv: str
    title_en: str
    year: int
    source: str  # ANSWERS or TABLE
    n: int | None
    invited: int | None
    areas: list[dict[str, Any]]  # code, title_sv, title_en, points, share, low, high, rank


class Comparison(TypedDict):
    basis: dict[str, Any]
    previous: dict[str, Any] | None
    national: GroupComparison | None
    regions: list[GroupComparison]
    editions: list[EditionTable]


# -- The figures of one edition, per group -------------------------------------------------------


@dataclass
class Group:
    """One group (the nation or a region) of one edition, as published."""

    n: int
    shares: dict[str, float]  # percent, by area code
    ranks: dict[str, int]
    sums: dict[str, tuple[int, int]] | None = None  # (points, points²) by area code; None: no interval possible


@dataclass
class Side:
    """One edition as published: its groups, its areas' wording and the points each respondent gives."""

    survey: Survey
    source: str
    per_respondent: int
    titles: dict[str, tuple[str, str]]  # code -> (Swedish, English)
    nation: Group | None
    regions: dict[str, Group] = field(default_factory=dict)
    published: dict[str, float] = field(default_factory=dict)  # its published table, if it has one


def _group(rows: Sequence[AreaRow], n: int) -> Group:
    return Group(n=n, shares={r["code"]: r["share"] for r in rows}, ranks={r["code"]: r["rank"] for r in rows})


def _titles(rows: Sequence[Mapping[str, Any]]) -> dict[str, tuple[str, str]]:
    return {r["code"]: (r["title_sv"], r["title_en"] or r["title_sv"]) for r in rows}


def _rank_by_share(shares: Mapping[str, float]) -> dict[str, int]:
    """Places by share, most first; equal shares share a place."""
    ranks, previous, rank = {}, None, 0
    for index, (code, share) in enumerate(sorted(shares.items(), key=lambda item: -item[1]), start=1):
        if share != previous:
            rank = index
        ranks[code], previous = rank, share
    return ranks


def _side_of_results(survey: Survey, data: Results, basis: Mapping[str, Any] | None) -> Side:
    """An edition from its results and the sums frozen beside them (none: no intervals)."""
    national = data["national"]
    side = Side(
        survey=survey,
        source=ANSWERS,
        per_respondent=data["survey"]["points_per_respondent"],
        titles=_titles(national["areas"] or []),
        nation=None,
    )
    groups = (basis or {}).get("groups", {})
    if not national["suppressed"] and national["n"] is not None:
        side.nation = _group(national["areas"] or [], national["n"])
        side.nation.sums = _sums_of(groups.get(""), national["n"])
    for block in data["regions"]:
        if block["suppressed"] or "areas" not in block:
            continue
        group = _group(block["areas"], block["n"])
        group.sums = _sums_of(groups.get(block["code"]), block["n"])
        side.regions[block["code"]] = group
    return side


def _sums_of(frozen: Mapping[str, Any] | None, n: int) -> dict[str, tuple[int, int]] | None:
    if not frozen or frozen.get("n") != n:
        return None
    return {code: (int(points), int(squares)) for code, (points, squares) in frozen["areas"].items()}


def _basis(survey: Survey, data: Results, inputs: Inputs) -> dict[str, Any]:
    """
    The sums behind the groups this edition shows, frozen for the next
    edition's comparison: the same reads the results were built from. A
    group whose sums do not add up to the shown points gets none.
    """
    sums, counts = inputs.sums, inputs.counts
    codes = dict(survey.areas.values_list("pk", "code"))
    region_ids = dict(Region.objects.values_list("code", "pk"))
    groups: dict[str, Any] = {}

    def freeze(key: str, group: tuple, rows: Sequence[AreaRow], n: int) -> None:
        cells = sums.get(group, {})
        frozen = {codes[area_id]: [cell["points"], cell["points_sq"]] for area_id, cell in cells.items()}
        shown = {row["code"]: row["points"] for row in rows}
        if counts.get(group, 0) != n or any(frozen.get(code, [0])[0] != points for code, points in shown.items()):
            return
        groups[key] = {"n": n, "areas": {code: frozen.get(code, [0, 0]) for code in shown}}

    national = data["national"]
    if not national["suppressed"] and national["n"] is not None:
        freeze("", (NATION, None), national["areas"] or [], national["n"])
    for block in data["regions"]:
        if not block["suppressed"] and "areas" in block:
            freeze(block["code"], (REGION, region_ids[block["code"]]), block["areas"], block["n"])
    return {"per_respondent": data["survey"]["points_per_respondent"], "groups": groups}


def _published_side(survey: Survey) -> Side | None:
    """An edition known from its published table only: national shares, no sums."""
    figures = list(survey.published_figures.all())
    if not figures:
        return None
    shares = {f.code: float(f.share) for f in figures}
    nation = Group(n=max(f.answers for f in figures), shares=shares, ranks=_rank_by_share(shares))
    return Side(
        survey=survey,
        source=TABLE,
        per_respondent=sum(survey.points_description),
        titles={f.code: (f.title_sv, f.title_en or f.title_sv) for f in figures},
        nation=nation,
        published=shares,
    )


def _latest_snapshot(survey: Survey) -> Snapshot | None:
    return Snapshot.objects.public().filter(survey=survey).order_by("-version").first()


def _previous_side(previous: Survey) -> tuple[Side | None, Snapshot | None]:
    """The earlier edition as published: its latest snapshot, else its published table."""
    table = _published_side(previous)
    snapshot = _latest_snapshot(previous)
    if snapshot is None:
        return table, None
    data: Results = snapshot.data
    side = _side_of_results(previous, data, data.get("comparison", {}).get("basis"))
    if table is not None:
        side.published = table.published
    return side, snapshot


def previous_edition(survey: Survey) -> Survey | None:
    """The latest edition of the series before this one that published anything."""
    if survey.series_id is None:
        return None
    return (
        Survey.objects.filter(series_id=survey.series_id, opens_at__lt=survey.opens_at)
        .filter(Q(snapshots__withdrawn_at__isnull=True, snapshots__isnull=False) | Q(published_figures__isnull=False))
        .distinct()
        .order_by("-opens_at")
        .first()
    )


def latest_edition(survey: Survey) -> Survey | None:
    """The latest edition of the series after this one with published results, for a page that points to it."""
    if survey.series_id is None:
        return None
    return (
        Survey.objects.filter(
            series_id=survey.series_id,
            opens_at__gt=survey.opens_at,
            snapshots__isnull=False,
            snapshots__withdrawn_at__isnull=True,
        )
        .distinct()
        .order_by("-opens_at")
        .first()
    )


def earlier_editions(survey: Survey) -> list[str]:
    """The address names of the editions of the series before this one."""
    if survey.series_id is None:
        return []
    return list(
        Survey.objects.filter(series_id=survey.series_id, opens_at__lt=survey.opens_at).values_list("slug", flat=True)
    )


# -- The change of one area ------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    change: float  # share now minus share then, as fractions
    low: float | None
    high: float | None

    @property
    def clear(self) -> bool:
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)


def _mean_and_variance(n: int, points: int, squares: int, per_respondent: int) -> tuple[float, float]:
    mean = points / per_respondent / n
    mean_sq = squares / per_respondent**2 / n
    return mean, max(mean_sq - mean * mean, 0.0) * n / (n - 1)


def welch_change(*, now: tuple[int, int, int], then: tuple[int, int, int], per_now: int, per_then: int) -> Change:
    """
    The change in an area's share between two independent samples, with
    Welch's 95 % interval. `now` and `then` are (respondents, sum of the
    points, sum of the squares of the points) of the area in each sample.
    """
    (n1, points1, squares1), (n2, points2, squares2) = now, then
    if n1 < 2 or n2 < 2:
        share1 = points1 / per_now / n1 if n1 else 0.0
        share2 = points2 / per_then / n2 if n2 else 0.0
        return Change(share1 - share2, None, None)
    mean1, var1 = _mean_and_variance(n1, points1, squares1, per_now)
    mean2, var2 = _mean_and_variance(n2, points2, squares2, per_then)
    a, b = var1 / n1, var2 / n2
    diff = mean1 - mean2
    if a + b == 0:
        return Change(diff, diff, diff)
    df = (a + b) ** 2 / (a * a / (n1 - 1) + b * b / (n2 - 1))
    margin = t_quantile(int(df)) * math.sqrt(a + b)
    return Change(diff, diff - margin, diff + margin)


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 4)


def _compare_group(now: Side, then: Side, g_now: Group, g_then: Group, code: str, name: str) -> GroupComparison:
    with_interval = g_now.sums is not None and g_then.sums is not None
    rows: list[ChangeRow] = []
    for area in list(g_now.shares) + [c for c in g_then.shares if c not in g_now.shares]:
        in_now, in_then = area in g_now.shares, area in g_then.shares
        title_sv, title_en = now.titles.get(area) or then.titles[area]
        then_titles = then.titles.get(area)
        change: Change | None = None
        if in_now and in_then:
            if with_interval:
                assert g_now.sums is not None and g_then.sums is not None
                p1, s1 = g_now.sums.get(area, (0, 0))
                p2, s2 = g_then.sums.get(area, (0, 0))
                change = welch_change(
                    now=(g_now.n, p1, s1),
                    then=(g_then.n, p2, s2),
                    per_now=now.per_respondent,
                    per_then=then.per_respondent,
                )
            else:
                change = Change((g_now.shares[area] - g_then.shares[area]) / 100, None, None)
        row: ChangeRow = {
            "code": area,
            "title_sv": title_sv,
            "title_en": title_en,
            "status": "both" if in_now and in_then else "new" if in_now else "dropped",
            "reworded": bool(in_now and in_then and then_titles and then_titles[0] != title_sv),
            "then_title_sv": then_titles[0] if then_titles else None,
            "then_title_en": then_titles[1] if then_titles else None,
            "share_now": g_now.shares.get(area),
            "share_then": g_then.shares.get(area),
            "change": _percent(change.change) if change else None,
            "change_low": _percent(change.low) if change else None,
            "change_high": _percent(change.high) if change else None,
            "clear": bool(change and change.clear),
            "rank_now": g_now.ranks.get(area),
            "rank_then": g_then.ranks.get(area),
        }
        if not code and then.published and then.source == ANSWERS:
            row["published_then"] = then.published.get(area)
        rows.append(row)
    rows.sort(key=lambda r: (r["rank_now"] is None, r["rank_now"] or 0, r["rank_then"] or 0, r["title_sv"]))
    return {
        "code": code,
        "name": name,
        "suppressed": False,
        "n_now": g_now.n,
        "n_then": g_then.n,
        "with_interval": with_interval,
        "areas": rows,
    }


# -- The editions' national tables, for the chart of ranks and the export ------------------------


def _year(survey: Survey) -> int:
    return timezone.localtime(survey.opens_at, STOCKHOLM).year


def _table_of_results(survey: Survey, data: Results) -> EditionTable | None:
    national = data["national"]
    if national["suppressed"]:
        return None
    return {
        "slug": survey.slug,
        "title_sv": survey.title_sv,
        "title_en": survey.title_en or survey.title_sv,
        "year": _year(survey),
        "source": ANSWERS,
        "n": national["n"],
        "invited": national["invited"],
        "areas": [
            {key: row[key] for key in ("code", "title_sv", "title_en", "points", "share", "low", "high", "rank")}
            for row in national["areas"] or []
        ],
    }


def _table_of_figures(survey: Survey) -> EditionTable | None:
    figures = list(survey.published_figures.all())
    if not figures:
        return None
    ranks = _rank_by_share({f.code: float(f.share) for f in figures})
    invited = [f.invited for f in figures if f.invited is not None]
    return {
        "slug": survey.slug,
        "title_sv": survey.title_sv,
        "title_en": survey.title_en or survey.title_sv,
        "year": _year(survey),
        "source": TABLE,
        "n": max(f.answers for f in figures),
        "invited": max(invited) if invited else None,
        "areas": [
            {
                "code": f.code,
                "title_sv": f.title_sv,
                "title_en": f.title_en or f.title_sv,
                "points": None,
                "share": float(f.share),
                "low": None,
                "high": None,
                "rank": ranks[f.code],
            }
            for f in sorted(figures, key=lambda f: (ranks[f.code], f.title_sv))
        ],
    }


def _edition_tables(survey: Survey, data: Results) -> list[EditionTable]:
    """Every edition of the series up to this one, oldest first: from its latest snapshot and its published table."""
    tables: list[EditionTable] = []
    if survey.series_id is not None:
        earlier = Survey.objects.filter(series_id=survey.series_id, opens_at__lt=survey.opens_at).order_by("opens_at")
        for edition in earlier:
            snapshot = _latest_snapshot(edition)
            for table in (_table_of_figures(edition), _table_of_results(edition, snapshot.data) if snapshot else None):
                if table is not None:
                    tables.append(table)
    own = _table_of_results(survey, data)
    if own is not None:
        tables.append(own)
    return tables


# -- The comparison frozen in the snapshot ---------------------------------------------------------


def compare_editions(survey: Survey, data: Results, inputs: Inputs) -> Comparison:
    """
    The comparison of `survey` (whose results are `data`, built from
    `inputs` and about to be frozen) with the edition before it, the national
    tables of every edition so far, and this edition's own sums for the next one.
    """
    comparison: Comparison = {
        "basis": _basis(survey, data, inputs),
        "previous": None,
        "national": None,
        "regions": [],
        "editions": _edition_tables(survey, data),
    }
    earlier = previous_edition(survey)
    if earlier is None:
        return comparison
    then, snapshot = _previous_side(earlier)
    if then is None:
        return comparison
    now = _side_of_results(survey, data, comparison["basis"])
    threshold = data["survey"]["threshold"]
    comparison["previous"] = {
        "slug": earlier.slug,
        "title_sv": earlier.title_sv,
        "title_en": earlier.title_en or earlier.title_sv,
        "year": _year(earlier),
        "source": then.source,
        "version": snapshot.version if snapshot else None,
        "has_published_table": bool(then.published),
    }

    def shown(group: Group | None) -> bool:
        return group is not None and group.n >= threshold

    national: GroupComparison = {"code": "", "name": "", "suppressed": True}
    if shown(now.nation) and shown(then.nation):
        assert now.nation is not None and then.nation is not None
        national = _compare_group(now, then, now.nation, then.nation, "", "")
    comparison["national"] = national
    for block in data["regions"]:
        g_now, g_then = now.regions.get(block["code"]), then.regions.get(block["code"])
        if national["suppressed"] or not (shown(g_now) and shown(g_then)):
            if then.source == ANSWERS:
                comparison["regions"].append({"code": block["code"], "name": block["name"], "suppressed": True})
            continue
        assert g_now is not None and g_then is not None
        comparison["regions"].append(_compare_group(now, then, g_now, g_then, block["code"], block["name"]))
    return comparison
