"""Checksums that survive a Windows checkout or an editor re-save.

The checksum of a migration ignores line endings (CRLF = LF = CR) and trailing whitespace on each
line and at the end of the file, so only a change that could alter what runs is flagged.
"""

from __future__ import annotations

import hashlib

_DIGEST_LENGTH = 64


def normalise(text: str) -> str:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).rstrip()


def checksum(text: str) -> str:
    """Hex SHA-256 of the normalised text."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def checksum_of_statements(statements: list[str]) -> str:
    """Checksum of an executed prefix of statements (used to resume a half-run migration)."""
    return checksum("\n;\n".join(normalise(s) for s in statements))


def part_checksums(migration) -> tuple[str | None, str | None]:
    """Checksums of a SQL migration's up and down parts apart (None, None for Python files).

    Recorded beside the whole file's checksum, so that a failed down section can be fixed from
    the failed statement on without the up part, which is what the database holds, counting as
    edited.
    """
    if migration.kind != "sql":
        return None, None
    if migration.sql_down is None:  # the up part is the whole file
        return migration.checksum, None
    return checksum(migration.sql_up), checksum(migration.sql_down)
