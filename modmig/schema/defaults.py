"""Server defaults as comparable text, so a default is not reported changed for how it is spelt.

Each database writes a default back its own way (``('')``, ``'0'::numeric``, ``now()``,
``CURRENT_TIMESTAMP``); autogenerate and drift compare them after normalising. What normalising
cannot settle is left to Alembic.
"""

from __future__ import annotations

import re
from decimal import Decimal

_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_CAST = re.compile(r"::[a-z_ ]+(\(\d+(,\s*\d+)?\))?(\[\])?", re.IGNORECASE)
_SYNONYMS = {"now()": "current_timestamp", "current_timestamp()": "current_timestamp", "true": "1", "false": "0"}


def normal_default(text: str | None) -> str | None:
    """A server default as comparable text: no casts, outer parentheses or quotes around numbers."""
    if text is None:
        return None
    value = " ".join(str(text).split())
    value = _CAST.sub("", value)
    while value.startswith("(") and value.endswith(")") and _balanced(value[1:-1]):
        value = value[1:-1].strip()
    value = value.lower()
    if len(value) >= 2 and value[0] == value[-1] == "'" and _NUMBER.fullmatch(value[1:-1]):
        value = value[1:-1]
    if _NUMBER.fullmatch(value):  # 0, '0', 0.00 and '0'::numeric are one default
        value = str(Decimal(value).normalize()) if Decimal(value) != 0 else "0"
    return _SYNONYMS.get(value, value)


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if depth < 0:
            return False
    return depth == 0


def compare_server_default(context, inspected_column, metadata_column, inspected_default, metadata_default, rendered_metadata_default) -> bool | None:
    """False when both defaults normalise to the same text; otherwise Alembic decides.

    Alembic passes a string default as the bare string; the database gives it back quoted.
    """
    if inspected_default is None and rendered_metadata_default is None:
        return False
    declared = rendered_metadata_default
    if isinstance(getattr(metadata_default, "arg", None), str):
        declared = "'" + metadata_default.arg.replace("'", "''") + "'"
    if normal_default(inspected_default) == normal_default(declared):
        return False
    return None
