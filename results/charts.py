"""
Charts drawn on the server as SVG geometry: no JavaScript, printable, fast.
Each function returns plain numbers for a template to draw; every chart is
shown next to a table with the same numbers, which is what screen readers
read (the SVG itself is marked as an image with a short description).

Each chart comes in two layouts, both drawn and one shown by CSS: a wide
one, names beside the bars, for screens where it is shown at about its own
size, and a narrow one, names above the bars, that fills a phone's width.
Both are drawn in units that are screen pixels at those sizes, so their
text (FONT units) is as large as the page's small print, not shrunk with
the picture (static/results/results.css sets the widths).
"""

import textwrap
from collections.abc import Sequence
from typing import Any

from .models import localized
from .numbers import MINUS, one_decimal, signed
from .snapshot import AreaRow, RegionBlock

FONT = 15  # the charts' text size, in units; ≥ the page's smallest text (14 px) where each layout is shown
LINE = 19  # one line of text
NARROW_WIDTH = 360  # a 390-px phone's content width, near enough: 1 unit = 1 px
NARROW_CHARS = 40  # characters of an area name per line in the narrow layout
WIDE_CHARS = 44  # per line beside the bars in the wide layout
WIDE_LEFT = 440  # room for the area names in the wide layout


def _coordinate(value: float) -> str:
    """A number for an SVG attribute: always a decimal point, whatever the language of the page."""
    return f"{value:.1f}"


def _lines(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_on_hyphens=False) or [""]


def _nice_max(value: float) -> float:
    for step in (10, 20, 25, 30, 40, 50, 60, 80, 100):
        if value <= step:
            return step
    return 100


def _ticks(top: float, left: float, scale: float) -> list[dict[str, str]]:
    step = 5 if top <= 30 else 10
    if left == 0 and top > 20:
        step = 10  # fewer labels where the axis is short
    return [{"x": _coordinate(left + value * scale), "label": f"{value} %"} for value in range(0, int(top) + 1, step)]


def bar_chart(areas: Sequence[AreaRow], *, narrow: bool = False) -> dict[str, Any]:
    """Horizontal bars of each area's share, with its 95 % interval as a whisker."""
    top = _nice_max(max((a["high"] for a in areas), default=10))
    if narrow:
        left, bar_width, width = 0, NARROW_WIDTH - 70, NARROW_WIDTH
    else:
        left, bar_width = WIDE_LEFT, 400
        width = left + bar_width + 75
    scale = bar_width / top
    rows = []
    y = 28
    for area in areas:
        label = localized(area, "title")
        lines = _lines(label, NARROW_CHARS if narrow else WIDE_CHARS)
        if narrow:
            label_y, bar_y = y + FONT, y + len(lines) * LINE + 2
            y = bar_y + 20 + 14
        else:
            bar_y = y + max(0, (len(lines) - 1) * LINE // 2)
            label_y = bar_y + 15 - (len(lines) - 1) * LINE // 2
            y += max(32, len(lines) * LINE + 6)
        rows.append(
            {
                "label": label,
                "lines": [{"text": text, "dy": 0 if i == 0 else LINE} for i, text in enumerate(lines)],
                "label_x": left - 8 if not narrow else 0,
                "label_y": label_y,
                "y": bar_y,
                "text_y": bar_y + 15,
                "mid_y": bar_y + 10,
                "width": _coordinate(area["share"] * scale),
                "low_x": _coordinate(left + area["low"] * scale),
                "high_x": _coordinate(left + area["high"] * scale),
                "value_x": _coordinate(left + area["high"] * scale + 6),
                "value": one_decimal(area["share"]) + " %",
            }
        )
    height = y + 6
    return {
        "rows": rows,
        "ticks": _ticks(top, left, scale),
        "left": left,
        "narrow": narrow,
        "label_anchor": "start" if narrow else "end",
        "width": width,
        "height": height,
        "axis_bottom": height - 6,
    }


def _diff_colour(diff: float) -> str:
    """A light blue (more than the nation) or orange (less) fill; dark text stays readable on all of them."""
    strength = min(abs(diff) / 6, 1)
    if diff >= 0:
        start, end = (240, 245, 251), (120, 170, 220)
    else:
        start, end = (252, 242, 234), (232, 160, 100)
    r, g, b = (round(s + (e - s) * strength) for s, e in zip(start, end, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def heat_map(national: Sequence[AreaRow], regions: Sequence[RegionBlock], *, narrow: bool = False) -> dict[str, Any]:
    """Rows: areas in the national order. Columns: regions. Cells: the region's share minus the nation's."""
    if narrow:
        cell, left, header = NARROW_WIDTH // max(len(regions), 1), 0, 110
    else:
        cell, left, header = 92, WIDE_LEFT, 40
    columns = []
    for index, region in enumerate(regions):
        x = left + index * cell
        columns.append(
            {
                "name": region["name"],
                "x": x,
                "suppressed": region["suppressed"],
                # Narrow: the names stand at a slant above their columns.
                "label_x": x + cell // 2 - 4 if narrow else x + cell // 2,
                "label_y": header - 8 if narrow else 28,
            }
        )
    by_region = {
        region["code"]: {a["code"]: a for a in region.get("areas") or []}
        for region in regions
        if not region["suppressed"]
    }
    rows = []
    y = header
    for area in national:
        label = localized(area, "title")
        lines = _lines(label, NARROW_CHARS if narrow else WIDE_CHARS)
        if narrow:
            label_y, cells_y = y + FONT, y + len(lines) * LINE + 2
            y = cells_y + 30 + 10
        else:
            cells_y = y + max(0, (len(lines) - 1) * LINE // 2)
            label_y = cells_y + 19 - (len(lines) - 1) * LINE // 2
            y += max(30, len(lines) * LINE + 4)
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
                    "text": signed(figures["diff"]),
                    "clear": figures["clear_difference"],
                }
            )
        rows.append(
            {
                "label": label,
                "lines": [{"text": text, "dy": 0 if i == 0 else LINE} for i, text in enumerate(lines)],
                "label_x": 0 if narrow else left - 8,
                "label_y": label_y,
                "y": cells_y,
                "text_y": cells_y + 19,
                "cells": cells,
            }
        )
    return {
        "columns": columns,
        "rows": rows,
        "cell": cell,
        "row": 30,
        "left": left,
        "narrow": narrow,
        "label_anchor": "start" if narrow else "end",
        # Narrow: room on the right for the slanted name of the last column.
        "width": NARROW_WIDTH + 24 if narrow else left + len(columns) * cell + 10,
        "height": y + 10,
        "text_dx": cell // 2 - 1,
    }


def difference_chart(areas: Sequence[AreaRow], *, narrow: bool = False) -> dict[str, Any]:
    """
    A region against the nation, per area in the region's order: the
    difference of the region's share from the nation's, in percentage
    points, as a dot on a line through zero, with its 95 % interval as a
    whisker and the figure beside it.
    """
    reach = max((max(abs(a["diff_low"]), abs(a["diff_high"])) for a in areas), default=1)
    reach = next((step for step in (2, 4, 5, 10, 15, 20, 30, 50, 100) if reach <= step), 100)
    if narrow:
        left, plot, width = 0, NARROW_WIDTH - 80, NARROW_WIDTH
    else:
        left, plot = WIDE_LEFT, 360
        width = left + plot + 90
    zero = left + plot / 2
    scale = plot / 2 / reach
    rows = []
    y = 34
    for area in areas:
        label = localized(area, "title")
        lines = _lines(label, NARROW_CHARS if narrow else WIDE_CHARS)
        if narrow:
            label_y, mark_y = y + FONT, y + len(lines) * LINE + 2
            y = mark_y + 20 + 12
        else:
            mark_y = y + max(0, (len(lines) - 1) * LINE // 2)
            label_y = mark_y + 15 - (len(lines) - 1) * LINE // 2
            y += max(32, len(lines) * LINE + 6)
        rows.append(
            {
                "label": label,
                "lines": [{"text": text, "dy": 0 if i == 0 else LINE} for i, text in enumerate(lines)],
                "label_x": 0 if narrow else left - 8,
                "label_y": label_y,
                "y": mark_y,
                "mid_y": mark_y + 10,
                "text_y": mark_y + 15,
                "x": _coordinate(zero + area["diff"] * scale),
                "low_x": _coordinate(zero + area["diff_low"] * scale),
                "high_x": _coordinate(zero + area["diff_high"] * scale),
                "value_x": _coordinate(left + plot + 8),
                "value": signed(area["diff"]) + ("*" if area["clear_difference"] else ""),
                "clear": area["clear_difference"],
            }
        )
    return {
        "rows": rows,
        "ticks": [
            {
                "x": _coordinate(zero + value * scale),
                "label": ("+" if value > 0 else MINUS if value < 0 else "") + str(abs(value)),
            }
            for value in (-reach, 0, reach)
        ],
        "zero": _coordinate(zero),
        "narrow": narrow,
        "label_anchor": "start" if narrow else "end",
        "width": width,
        "height": y + 6,
        "axis_bottom": y,
    }
