"""
Charts drawn on the server as SVG geometry: no JavaScript, printable, fast.
Each function returns plain numbers for a template to draw; every chart is
shown next to a table with the same numbers, which is what screen readers
read (the SVG itself is marked as an image with a short description).
"""

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.formats import number_format

from .models import localized
from .snapshot import AreaRow, RegionBlock

BAR_LEFT = 400  # room for the area names
BAR_WIDTH = 420
ROW_HEIGHT = 30


def one_decimal(value: float) -> str:
    """The value with one decimal, rounded half up as the templates' floatformat does, in the page's language."""
    return number_format(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP), 1)


def _coordinate(value: float) -> str:
    """A number for an SVG attribute: always a decimal point, whatever the language of the page."""
    return f"{value:.1f}"


def _nice_max(value: float) -> float:
    for step in (10, 20, 25, 30, 40, 50, 60, 80, 100):
        if value <= step:
            return step
    return 100


def bar_chart(areas: Sequence[AreaRow]) -> dict[str, Any]:
    """Horizontal bars of each area's share, with its 95 % interval as a whisker."""
    top = _nice_max(max((a["high"] for a in areas), default=10))
    scale = BAR_WIDTH / top
    rows = []
    for index, area in enumerate(areas):
        y = 28 + index * ROW_HEIGHT
        rows.append(
            {
                "label": localized(area, "title"),
                "y": y,
                "text_y": y + 15,
                "mid_y": y + 10,
                "width": _coordinate(area["share"] * scale),
                "low_x": _coordinate(BAR_LEFT + area["low"] * scale),
                "high_x": _coordinate(BAR_LEFT + area["high"] * scale),
                "value_x": _coordinate(BAR_LEFT + area["high"] * scale + 6),
                "value": one_decimal(area["share"]) + " %",
            }
        )
    ticks = [
        {"x": _coordinate(BAR_LEFT + value * scale), "label": f"{value} %"}
        for value in range(0, int(top) + 1, 5 if top <= 30 else 10)
    ]
    height = 28 + len(areas) * ROW_HEIGHT + 10
    return {
        "rows": rows,
        "ticks": ticks,
        "left": BAR_LEFT,
        "width": BAR_LEFT + BAR_WIDTH + 70,
        "height": height,
        "axis_bottom": height - 6,
    }


HEAT_LEFT = 400
HEAT_CELL = 88
HEAT_ROW = 30


def _diff_colour(diff: float) -> str:
    """A light blue (more than the nation) or orange (less) fill; dark text stays readable on all of them."""
    strength = min(abs(diff) / 6, 1)
    if diff >= 0:
        start, end = (240, 245, 251), (120, 170, 220)
    else:
        start, end = (252, 242, 234), (232, 160, 100)
    r, g, b = (round(s + (e - s) * strength) for s, e in zip(start, end, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def _signed(value: float) -> str:
    """+1,5 / −2,0 / 0,0: a sign only where the rounded value is not zero."""
    text = one_decimal(abs(value))
    if text == one_decimal(0):
        return text
    return ("+" if value > 0 else "−") + text


def heat_map(national: Sequence[AreaRow], regions: Sequence[RegionBlock]) -> dict[str, Any]:
    """Rows: areas in the national order. Columns: regions. Cells: the region's share minus the nation's."""
    columns = []
    for index, region in enumerate(regions):
        columns.append(
            {"name": region["name"], "x": HEAT_LEFT + index * HEAT_CELL, "suppressed": region["suppressed"]}
        )
    by_region = {
        region["code"]: {a["code"]: a for a in region.get("areas") or []}
        for region in regions
        if not region["suppressed"]
    }
    rows = []
    for row_index, area in enumerate(national):
        y = 40 + row_index * HEAT_ROW
        cells = []
        for column, region in zip(columns, regions, strict=True):
            if region["suppressed"]:
                cells.append({"x": column["x"], "suppressed": True})
                continue
            figures = by_region[region["code"]][area["code"]]
            cells.append(
                {
                    "x": column["x"],
                    "suppressed": False,
                    "fill": _diff_colour(figures["diff"]),
                    "text": _signed(figures["diff"]),
                    "clear": figures["clear_difference"],
                }
            )
        rows.append({"label": localized(area, "title"), "y": y, "text_y": y + 19, "cells": cells})
    return {
        "columns": columns,
        "rows": rows,
        "cell": HEAT_CELL,
        "row": HEAT_ROW,
        "left": HEAT_LEFT,
        "width": HEAT_LEFT + len(columns) * HEAT_CELL + 10,
        "height": 40 + len(national) * HEAT_ROW + 10,
        "text_dx": HEAT_CELL // 2,
    }
