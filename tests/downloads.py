"""Reading the product's downloads back, as a spreadsheet program does."""

import csv
import io


def csv_rows(response) -> list[list[str]]:
    """The cells of a CSV download: UTF-8 with a byte-order mark, semicolons between cells."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8")
    assert text.startswith("\ufeff"), "Swedish Excel needs the byte-order mark"
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def csv_dicts(response) -> list[dict[str, str]]:
    header, *rows = csv_rows(response)
    return [dict(zip(header, row, strict=False)) for row in rows]


def number(cell: str) -> float:
    """A number as the CSV writes it, with a decimal comma."""
    return float(cell.replace(",", "."))
