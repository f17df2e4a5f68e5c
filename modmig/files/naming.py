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
#: A name a person probably meant as a migration: a number first and a .sql / .py ending in any
#: case. Those that are not MIGRATION_FILE are reported, never silently skipped.
LOOKS_LIKE_MIGRATION = re.compile(r"^\d+.*\.(sql|py)$", re.IGNORECASE)


def why_not_a_migration(name: str) -> str | None:
    """Why a file whose name looks like a migration's is not read as one (None: it is one)."""
    if MIGRATION_FILE.match(name) or not LOOKS_LIKE_MIGRATION.match(name):
        return None
    stem, _, extension = name.rpartition(".")
    if extension not in ("sql", "py"):
        return f"the extension must be lowercase .{extension.lower()}"
    number = re.match(r"\d+", stem).group()  # type: ignore[union-attr]
    rest = stem[len(number):]
    if not rest:
        return f"it has no name after the number (write {number}_what_it_does.{extension})"
    if not rest.startswith("_"):
        return f"the number must be followed by '_' (write {number}_{rest.lstrip('-. ') or 'name'}.{extension})"
    return "the name after the number may only hold letters, digits, '_' and '-' (no spaces or dots)"


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
