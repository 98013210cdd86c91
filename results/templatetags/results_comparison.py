"""What the comparison partials (templates/results/_comparison*.html) show, from the frozen snapshot."""

from collections.abc import Mapping
from typing import Any

from django import template
from django.utils.functional import SimpleLazyObject

from results.bump_chart import _one_per_year, bump_chart
from results.models import localized

register = template.Library()


@register.simple_tag
def comparison_of(data: Mapping[str, Any], region_code: str = "") -> dict[str, Any] | None:
    """
    The comparison with the previous edition, nationally (no region code) or
    for one region, and the chart of ranks; None when there is nothing to
    compare with.
    """
    comparison = data.get("comparison")
    if not comparison or not comparison.get("previous"):
        return None
    previous = comparison["previous"]
    if region_code:
        group = next((g for g in comparison["regions"] if g["code"] == region_code), None)
    else:
        group = comparison["national"]
    if group is None:
        group = {"code": region_code, "suppressed": True, "no_figures": True}
    editions = _one_per_year(comparison["editions"])
    result: dict[str, Any] = {
        "previous": {**previous, "title": localized(previous, "title")},
        "group": group,
        "figures_only": previous["source"] != "answers",
        "year_now": editions[-1]["year"] if editions else None,
    }
    if not region_code and len(editions) > 1:
        national = comparison["national"] or {}
        clear = [row["code"] for row in national.get("areas", []) if row["clear"]]
        codes: dict[str, str] = {}
        for edition in reversed(editions):
            for area in edition["areas"]:
                codes.setdefault(area["code"], localized(area, "title"))
        result["bump"] = SimpleLazyObject(lambda: bump_chart(editions, clear=clear))
        result["bump_narrow"] = SimpleLazyObject(lambda: bump_chart(editions, clear=clear, narrow=True))
        result["years"] = [edition["year"] for edition in editions]
        result["rank_rows"] = [
            {
                "name": name,
                "ranks": [
                    next((a["rank"] for a in edition["areas"] if a["code"] == code), None) for edition in editions
                ],
            }
            for code, name in codes.items()
        ]
    return result
