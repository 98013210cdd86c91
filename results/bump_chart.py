"""
The chart of ranks over the editions of a series (a bump chart), drawn on the
server like the other charts (results/charts.py): a column per edition,
oldest first, a row per place, and a line per area through its place in
each edition. The names stand beside the places, the current order on the
right and, in the wide layout, the first edition's on the left; the table
next to the chart has the same numbers for screen readers.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from .charts import LINE, NARROW_WIDTH, _coordinate, _lines
from .models import localized

WIDE_NAME = 300  # room for the names on each side in the wide layout
WIDE_NAME_CHARS = 34
NARROW_NAME_CHARS = 26
COLUMN = 110  # between two editions, at least
WIDE_WIDTH = 1000  # the wide layout is shown at about this size (static/results/results.css)
TOP = 44  # room for the years


def _one_per_year(editions: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """An edition known both from its answers and from its published table is drawn from its answers."""
    chosen: dict[str, Mapping[str, Any]] = {}
    for edition in editions:
        if edition["slug"] not in chosen or edition["source"] == "answers":
            chosen[edition["slug"]] = edition
    return sorted(chosen.values(), key=lambda e: e["year"])


def bump_chart(
    editions: Sequence[Mapping[str, Any]], *, clear: Sequence[str] = (), narrow: bool = False
) -> dict[str, Any]:
    """
    `editions`: the national tables frozen in the comparison (oldest first);
    `clear`: the codes of areas whose latest change is larger than the noise,
    drawn stronger.
    """
    columns = _one_per_year(editions)
    last = columns[-1]
    rows_count = max(len(edition["areas"]) for edition in columns)
    chars = NARROW_NAME_CHARS if narrow else WIDE_NAME_CHARS
    names = {area["code"]: localized(area, "title") for edition in columns for area in edition["areas"]}
    most_lines = max(len(_lines(f"{rows_count}. {name}", chars)) for name in names.values())
    step = max(34, most_lines * LINE + 6)
    left = 28 if narrow else WIDE_NAME + 24
    gap = NARROW_WIDTH - 28 - 24 - NARROW_NAME_CHARS * 8 - 10
    if not narrow:
        gap = WIDE_WIDTH - 2 * left
    spacing = max(gap // max(len(columns) - 1, 1), 46 if narrow else COLUMN)
    xs = [left + index * spacing for index in range(len(columns))]
    right = xs[-1] + 24

    def y_of(rank: int) -> int:
        return TOP + (rank - 1) * step + 12

    lines = []
    for code in names:
        points = [
            {"x": x, "y": y_of(area["rank"]), "rank": area["rank"], "year": edition["year"]}
            for x, edition in zip(xs, columns, strict=True)
            for area in edition["areas"]
            if area["code"] == code
        ]
        lines.append(
            {
                "code": code,
                "name": names[code],
                "points": points,
                "path": " ".join(f"{'M' if i == 0 else 'L'}{p['x']} {p['y']}" for i, p in enumerate(points)),
                "clear": code in clear,
                "dropped": points[-1]["year"] != last["year"],
            }
        )
    labels = []
    for area in last["areas"]:
        text = f"{area['rank']}. {names[area['code']]}"
        labels.append(_label(text, right, y_of(area["rank"]), chars, "start"))
    if not narrow:
        for area in columns[0]["areas"]:
            text = f"{names[area['code']]} {area['rank']}."
            labels.append(_label(text, left - 24, y_of(area["rank"]), chars, "end"))
    height = y_of(rows_count) + step
    return {
        "columns": [{"x": x, "year": edition["year"]} for x, edition in zip(xs, columns, strict=True)],
        "lines": lines,
        "labels": labels,
        "narrow": narrow,
        "width": NARROW_WIDTH if narrow else right + WIDE_NAME,
        "height": height,
        "axis_top": TOP - 10,
        "axis_bottom": height - step + 24,
    }


def _label(text: str, x: int, y: int, chars: int, anchor: str) -> dict[str, Any]:
    wrapped = _lines(text, chars)
    first_y = y + 5 - (len(wrapped) - 1) * LINE // 2
    return {
        "x": _coordinate(x),
        "y": first_y,
        "anchor": anchor,
        "lines": [{"text": line, "dy": 0 if i == 0 else LINE} for i, line in enumerate(wrapped)],
    }
