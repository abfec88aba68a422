"""CSV downloads with the standard library, safe to open in a spreadsheet."""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from starlette.responses import Response

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection):
# such cells are prefixed with an apostrophe, as OWASP advises.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class CsvResponse(Response):
    """A download whose only media type is text/csv (Starlette adds the charset)."""

    media_type = "text/csv"
    charset = "utf-8"


def csv_download(description: str) -> dict[int | str, dict[str, Any]]:
    """The spec's 200 for a CSV operation: text/csv and nothing else, so a generated client reads text."""
    return {200: {"description": description, "content": {"text/csv": {"schema": {"type": "string"}}}}}


def attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value.isoformat() if isinstance(value, date | datetime) else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def render(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The rows as CSV text with a header line."""
    return render_rows([header, *rows])


def render_rows(rows: Iterable[Sequence[Any]]) -> str:
    """The rows as CSV text, each line ended; the same text render() gives them after its header."""
    return render_groups([rows])[0]


def render_groups(groups: Iterable[Iterable[Sequence[Any]]]) -> list[str]:
    """Each group of rows as CSV text of its own, to join in any order after a header line."""
    # One writer for every group: a writer and a buffer per group cost more than the rows.
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    texts = []
    for rows in groups:
        writer.writerows([_cell(value) for value in row] for row in rows)
        texts.append(buffer.getvalue())
        buffer.seek(0)
        buffer.truncate()
    return texts


def response(header: Sequence[str], rows: Iterable[Sequence[Any]], filename: str) -> Response:
    """A CSV download (text/csv; charset=utf-8) named `filename`."""
    return CsvResponse(render(header, rows), headers=attachment(filename))
