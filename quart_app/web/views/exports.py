"""Files an owner downloads: CSV made safe to open in a spreadsheet, and JSON.

Recipients' names and user agents are text that others chose. A spreadsheet would run a
cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some of
them skip first) as a formula, so each such value gets a leading ``'``, which makes it text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from quart import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: object) -> object:
    """A cell as a spreadsheet will show it, never run it."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([neutralised(value) for value in row] for row in rows)
    return out.getvalue()


def download(body: str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
