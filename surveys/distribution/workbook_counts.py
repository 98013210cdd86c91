"""
What an .xlsx holds, counted before anything parses it.

An .xlsx is a zip of XML parts, and a few kilobytes of zip can unpack to
millions of shared strings, rows or cells that openpyxl would build as
Python objects (84 KB with two million shared strings took 13 s and 250 MB;
one row of two million cells 1.3 GB). `count_workbook` streams every part
through the decompressor once, in small pieces, and counts the elements
that cost openpyxl work, so the caller can refuse a workbook before it is
parsed. The counts are of XML start tags with any namespace prefix, so a
renamed part or a prefixed element counts the same.
"""

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

CHUNK = 1 << 20
# A start tag: "<", an optional prefix, a name; never "</", "<?" or "<!".
TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
LONGEST_TAG = 256  # bytes kept from one piece for the next, so that no tag is cut in two


@dataclass
class WorkbookCounts:
    shared_strings: int = 0  # <si> in every part
    elements: int = 0  # every start tag in every part
    rows: int = 0  # <row>, blank ones included, in the part with the most
    cells: int = 0  # <c> in the part with the most
    row_cells: int = 0  # <c> in the longest row of any part


def count_workbook(
    archive: zipfile.ZipFile, *, enough: Callable[[WorkbookCounts], bool] = lambda counts: False
) -> WorkbookCounts:
    """
    The counts over every part of `archive`; each part is read once, at most
    CHUNK bytes at a time. Counting stops early, after the piece in which
    `enough(counts)` became true: the caller has seen what it needed to refuse.
    """
    counts = WorkbookCounts()
    for info in archive.infolist():
        rows = cells = row_cells = 0
        with archive.open(info) as part:
            rest = b""
            while piece := part.read(CHUNK):
                text = rest + piece
                # Tags starting in the last LONGEST_TAG bytes wait for the next piece (unless this is the end).
                cut = max(len(text) - LONGEST_TAG, 0) if len(piece) == CHUNK else len(text)
                end = 0
                for match in TAG.finditer(text):
                    if match.start() >= cut:
                        break
                    end = match.end()
                    counts.elements += 1
                    name = match.group(1)
                    if name == b"c":
                        cells += 1
                        row_cells += 1
                        counts.row_cells = max(counts.row_cells, row_cells)
                    elif name == b"row":
                        rows += 1
                        row_cells = 0
                    elif name == b"si":
                        counts.shared_strings += 1
                rest = text[max(end, cut) :]
                counts.rows = max(counts.rows, rows)
                counts.cells = max(counts.cells, cells)
                if enough(counts):
                    return counts
    return counts
