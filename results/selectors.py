"""
Read-side aggregation of answers, done in the database.

Nothing here loops over responses in Python: every figure is one SQL
aggregate over RankedArea rows.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, IntegerField, Sum
from django.db.models.functions import Coalesce

from surveys.models import Area, Response, Survey


@dataclass(frozen=True)
class AreaResult:
    code: str
    title: str
    title_sv: str
    points: int
    share: Decimal  # percent of all points, unrounded to 4 decimals
    chosen_by: int
    first_by: int
    rank: int

    @property
    def share_percent(self) -> Decimal:
        return self.share.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def area_results(survey: Survey) -> list[AreaResult]:
    """
    Each area's points under the survey's rule and its share of all points,
    most points first. Ties share a rank (1, 2, 2, 4). Areas nobody chose
    get 0 points. One query.
    """
    rows = (
        Area.objects.filter(survey=survey)
        .annotate(
            points=Coalesce(Sum(survey.points_expression("rankings__position"), output_field=IntegerField()), 0),
            chosen_by=Count("rankings"),
            first_by=Count("rankings", filter=_first_place()),
        )
        .order_by("-points", "order", "id")
    )
    rows = list(rows)
    total = sum(row.points for row in rows)
    results = []
    previous_points, previous_rank = None, 0
    for index, row in enumerate(rows, start=1):
        rank = previous_rank if row.points == previous_points else index
        share = (Decimal(row.points) * 100 / total).quantize(Decimal("0.0001")) if total else Decimal(0)
        results.append(
            AreaResult(
                code=row.code,
                title=row.title,
                title_sv=row.title_sv,
                points=row.points,
                share=share,
                chosen_by=row.chosen_by,
                first_by=row.first_by,
                rank=rank,
            )
        )
        previous_points, previous_rank = row.points, rank
    return results


def response_count(survey: Survey) -> int:
    return Response.objects.filter(survey=survey).count()


def _first_place():
    from django.db.models import Q

    return Q(rankings__position=1)
