"""What a migration file's name says: its number, its slug, and for a squash the range it replaces.

These are rules of the file format (docs/file-formats.md), so they live with the readers of
files, not in the shared data model.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import MigrationFileError

#: ``NNNN_slug.sql`` / ``NNNN_slug.py``; anything else in the folder is ignored.
MIGRATION_FILE = re.compile(r"^(?P<number>\d+)_(?P<slug>\w[\w-]*)\.(?P<ext>sql|py)$")


def squash_version(number: int, replaces: tuple[int, int] | None, path: Path) -> int:
    """The version a file leaves its app at: its number, or N for ``MMMM_squashed_NNNN``.

    A squash file's number must be the first version it replaces, so files sort in history order.
    """
    if replaces is None:
        return number
    first, last = replaces
    if first != number:
        raise MigrationFileError(
            path,
            f"a squash replacing {first:04d}-{last:04d} must be named {first:04d}_squashed_{last:04d}"
            f" (its number must be the first version it replaces)",
        )
    return last
