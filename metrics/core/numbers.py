"""Numbers as people write them in a return or a published file: ``1,234``, ``12.5%`` and
blanks are read; anything else that is not blank becomes null, for validation to report
with its row and column.
"""

from __future__ import annotations

import polars as pl

_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)$"


def parse_numbers(column: str) -> pl.Expr:
    """Text to a float: thousands separators (``1,234``), a trailing ``%`` and spaces are
    accepted; anything else that is not blank becomes null (and is reported by validation).
    """
    text = pl.col(column).str.strip_chars().str.replace_all(r"[\s\u00a0]", "")
    grouped = text.str.contains(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?%?$")
    text = pl.when(grouped).then(text.str.replace_all(",", "")).otherwise(text)
    text = text.str.strip_suffix("%")
    return pl.when(text.str.contains(_NUMBER)).then(text.cast(pl.Float64, strict=False))


NUMBER_PATTERN = r"^\s*[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?\s*%?\s*$"
"""Text that :func:`parse_numbers` turns into a number (or a blank)."""
