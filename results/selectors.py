"""
Read-side aggregation of answers, done in the database.

Nothing here loops over answers in Python. One query sums, per area, the
points, the squares of the points, how many chose it, how many put it first
and the sum of positions, per region, level and area in one pass; the
nation, the regions and the levels are added up from those cells. Another
counts respondents the same way. build_results() turns those sums
into the JSON that a published snapshot freezes and the pages render.
"""

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, Sum
from django.utils import timezone, translation

from surveys.models import Area, Level, Participant, RankedArea, Region, Response, Survey

from .snapshot import AreaRow, LevelBlock, NationalBlock, RegionBlock, Results, WaveBlock
from .stats import Estimate, difference_from_nation, rank_ranges, share_estimate, suppressed_groups

NATION, REGION, LEVEL = "nation", "region", "level"
# A group of respondents: (NATION, None), (REGION, region id) or (LEVEL, level).
Group = tuple[str, Hashable]


# The sums of one area in one group, by name: FIGURES.
Sums = dict[str, int]
FIGURES = ("points", "points_sq", "chosen", "firsts", "position_sum")


def _no_sums() -> Sums:
    return dict.fromkeys(FIGURES, 0)


def _groups_of(region_id: int, level: str) -> tuple[Group, Group, Group]:
    """The groups a (region, level) cell adds to: the nation, its region and its level."""
    return ((NATION, None), (REGION, region_id), (LEVEL, level))


def area_sums(survey: Survey) -> dict[Group, dict[int, Sums]]:
    """
    {(kind, key): {area_id: {points, points_sq, chosen, firsts, position_sum}}},
    key None for the nation. One query sums per (region, level, area), the
    finest cells, with the points under the survey's rule
    (Survey.points_expression); every figure is a sum, so the nation, the
    regions and the levels are added up from those few hundred cells here.
    (A plain GROUP BY runs in parallel on PostgreSQL, where GROUPING SETS
    would not, and took half the time at a million answers.)
    """
    points = survey.points_expression("position")
    cells = (
        RankedArea.objects.filter(response__survey=survey)
        .values_list("response__region_id", "response__level", "area_id")
        .annotate(
            points=Sum(points),
            points_sq=Sum(points * points),
            chosen=Count("pk"),
            firsts=Count("pk", filter=Q(position=1)),
            position_sum=Sum("position"),
        )
        .order_by()
    )
    sums: dict[Group, dict[int, Sums]] = defaultdict(dict)
    for region_id, level, area_id, *figures in cells:
        for group in _groups_of(region_id, level):
            cell = sums[group].setdefault(area_id, _no_sums())
            for name, value in zip(FIGURES, figures, strict=True):
                cell[name] += int(value)
    return sums


def respondent_counts(survey: Survey) -> dict[Group, int]:
    """{(kind, key): respondents}: one query counts per (region, level); the groups are added up from those."""
    counts: dict[Group, int] = defaultdict(int)
    rows = Response.objects.filter(survey=survey).values_list("region_id", "level").annotate(n=Count("pk")).order_by()
    for region_id, level, n in rows:
        for group in _groups_of(region_id, level):
            counts[group] += n
    counts[NATION, None] += 0
    return dict(counts)


@dataclass(frozen=True)
class _Nation:
    """What every group is compared with: the nation's sums, its respondents and its ranks."""

    sums: dict[int, Sums]
    n: int
    ranks: dict[str, int]


def _areas_block(
    areas: Sequence[Area], sums: dict[int, Sums], n: int, per_respondent: int, nation: _Nation | None = None
) -> list[AreaRow]:
    """The per-area figures of one group, most points first, with intervals and rank ranges."""
    rows: list[tuple[AreaRow, Estimate]] = []
    for area in areas:
        s = sums.get(area.pk, _no_sums())
        estimate = share_estimate(n=n, points=s["points"], points_sq=s["points_sq"], per_respondent=per_respondent)
        row: AreaRow = {
            "code": area.code,
            "title_sv": area.title_sv,
            "title_en": area.title_en or area.title_sv,
            "points": s["points"],
            "share": round(estimate.share * 100, 4),
            "low": round(estimate.low * 100, 4),
            "high": round(estimate.high * 100, 4),
            "rank": 0,
            "rank_low": 0,
            "rank_high": 0,
            "chosen_by": s["chosen"],
            "first_by": s["firsts"],
            "mean_position": round(s["position_sum"] / s["chosen"], 2) if s["chosen"] else None,
        }
        if nation is not None:
            whole = nation.sums.get(area.pk, _no_sums())
            difference = difference_from_nation(
                n_group=n,
                group=estimate,
                n_total=nation.n,
                points_total=whole["points"],
                points_sq_total=whole["points_sq"],
                points_group=s["points"],
                points_sq_group=s["points_sq"],
                per_respondent=per_respondent,
            )
            row["diff"] = round(difference.diff * 100, 4)
            row["diff_low"] = round(difference.low * 100, 4)
            row["diff_high"] = round(difference.high * 100, 4)
            row["clear_difference"] = difference.clear
        rows.append((row, estimate))
    rows.sort(key=lambda pair: (-pair[0]["points"], pair[0]["title_sv"]))
    _rank([row for row, _estimate in rows], [estimate for _row, estimate in rows])
    result = [row for row, _estimate in rows]
    if nation is not None:
        for row in result:
            row["national_rank"] = nation.ranks[row["code"]]
            row["rank_shift"] = nation.ranks[row["code"]] - row["rank"]
    return result


def _rank(rows: list[AreaRow], estimates: list[Estimate]) -> None:
    """Places by points (ties share a place), and the range of places the intervals allow."""
    previous, rank = None, 0
    for index, row in enumerate(rows, start=1):
        if row["points"] != previous:
            rank = index
        row["rank"], previous = rank, row["points"]
    for row, (low, high) in zip(rows, rank_ranges(estimates), strict=True):
        row["rank_low"], row["rank_high"] = low, high


@dataclass(frozen=True)
class Inputs:
    """Everything build_results() reads of the answers, read once (and handed on to the comparison)."""

    survey: Survey
    areas: list[Area]
    sums: dict[Group, dict[int, Sums]]
    counts: dict[Group, int]
    per_respondent: int
    threshold: int


def read_inputs(survey: Survey) -> Inputs:
    """The survey's areas and the sums of its answers: the reads that grow with the number of answers."""
    return Inputs(
        survey=survey,
        areas=list(survey.areas.order_by("order", "id")),
        sums=area_sums(survey),
        counts=respondent_counts(survey),
        per_respondent=sum(survey.points_description),
        threshold=survey.suppression_threshold,
    )


def build_results(survey: Survey, *, now: datetime | None = None, inputs: Inputs | None = None) -> Results:
    """
    Every figure the results pages show, as JSON-ready data (results/snapshot.py
    declares its shape), with small groups already suppressed: a suppressed
    group carries no number at all. A fixed number of queries, whatever the
    number of answers. Reads only; running it twice gives the same figures.
    `inputs` are the sums read by read_inputs(), when the caller needs them too.
    """
    now = now or timezone.now()
    inputs = inputs or read_inputs(survey)
    invited = dict(
        Participant.objects.filter(survey=survey).values_list("region_id").annotate(n=Count("pk")).order_by()
    )
    n = inputs.counts[NATION, None]
    national_shown = n >= inputs.threshold
    national_areas = (
        _areas_block(inputs.areas, inputs.sums[NATION, None], n, inputs.per_respondent) if national_shown else None
    )
    nation = _Nation(
        sums=inputs.sums[NATION, None], n=n, ranks={row["code"]: row["rank"] for row in national_areas or []}
    )
    total_invited = sum(invited.values())
    national: NationalBlock = {
        "suppressed": not national_shown,
        "n": n if national_shown else None,
        "invited": total_invited,
        "response_rate": _rate(n, total_invited) if national_shown else None,
        "areas": national_areas,
    }
    return {
        "survey": {
            "slug": survey.slug,
            "title_sv": survey.title_sv,
            "title_en": survey.title_en or survey.title_sv,
            "rank_count": survey.rank_count,
            "area_count": len(inputs.areas),
            "points": survey.points_description,
            "points_per_respondent": inputs.per_respondent,
            "threshold": inputs.threshold,
            "opens_at": survey.opens_at.isoformat(),
            "closes_at": survey.closes_at.isoformat(),
        },
        "computed_at": now.isoformat(),
        "national": national,
        "regions": _region_blocks(inputs, invited, nation, national_shown),
        "levels": _level_blocks(inputs, nation, national_shown),
        "waves": _wave_blocks(survey, inputs.threshold, national_shown),
    }


def _hidden(inputs: Inputs, kind: str, keys: Sequence[Hashable], national_shown: bool) -> set:
    """The groups of one kind to leave without numbers: all when the nation is hidden, else the small ones."""
    counts = {key: inputs.counts.get((kind, key), 0) for key in keys}
    if not national_shown:
        return set(keys)
    return suppressed_groups(counts, inputs.threshold, total_shown=True)


def _figures(inputs: Inputs, kind: str, key: Hashable, nation: _Nation) -> tuple[int, list[AreaRow]]:
    n = inputs.counts.get((kind, key), 0)
    return n, _areas_block(inputs.areas, inputs.sums[kind, key], n, inputs.per_respondent, nation)


def _region_blocks(
    inputs: Inputs, invited: dict[int, int], nation: _Nation, national_shown: bool
) -> list[RegionBlock]:
    # Only regions with someone invited or answering take part.
    regions = [r for r in Region.objects.order_by("name") if invited.get(r.pk) or inputs.counts.get((REGION, r.pk))]
    hidden = _hidden(inputs, REGION, [r.pk for r in regions], national_shown)
    blocks: list[RegionBlock] = []
    for region in regions:
        block: RegionBlock = {
            "code": region.code,
            "name": region.name,
            "node": region.node,
            "invited": invited.get(region.pk, 0),
            "suppressed": region.pk in hidden,
        }
        if region.pk not in hidden:
            block["n"], block["areas"] = _figures(inputs, REGION, region.pk, nation)
            block["response_rate"] = _rate(block["n"], block["invited"])
        blocks.append(block)
    return blocks


def _level_blocks(inputs: Inputs, nation: _Nation, national_shown: bool) -> list[LevelBlock]:
    levels = list(Level)
    hidden = _hidden(inputs, LEVEL, [level.value for level in levels], national_shown)
    blocks: list[LevelBlock] = []
    for level in levels:
        block: LevelBlock = {
            "code": level.value,
            "label_sv": _label(level, "sv"),
            "label_en": _label(level, "en"),
            "suppressed": level.value in hidden,
        }
        if level.value not in hidden:
            block["n"], block["areas"] = _figures(inputs, LEVEL, level.value, nation)
        blocks.append(block)
    return blocks


def _wave_blocks(survey: Survey, threshold: int, national_shown: bool) -> list[WaveBlock]:
    """How many answered after which email, with the same small-group rule."""
    waves: dict[int | None, int] = dict(
        Participant.objects.filter(survey=survey, answered_at__isnull=False)
        .values_list("answered_after_wave")
        .annotate(n=Count("pk"))
        .order_by()
    )
    keys = sorted(waves, key=lambda w: (w is None, w or 0))
    hidden = suppressed_groups({w: waves[w] for w in keys}, threshold, total_shown=national_shown)
    return [
        {"wave": w, "suppressed": True}
        if (not national_shown or w in hidden)
        else {"wave": w, "n": waves[w], "suppressed": False}
        for w in keys
    ]


def _rate(answers: int, invited: int) -> float | None:
    return round(100 * answers / invited, 1) if invited else None


def _label(level: Level, language: str) -> str:
    with translation.override(language):
        return str(level.label)
