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
