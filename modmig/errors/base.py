"""The base of every modmig error and the helpers messages share (paths, "did you mean", listings)."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Iterable, Sequence


class ModmigError(Exception):
    """Base of every error modmig reports to a user."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def show_path(path: Path | str) -> str:
    """A path as a user should read it: relative to the current folder when inside it."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice most like ``word``, for "did you mean ...?" hints."""
    found = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.5)
    return found[0] if found else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    guess = closest(word, choices)
    return f" Did you mean {guess!r}?" if guess else ""



def listing(lines: Sequence[str], limit: int = 40) -> str:
    """``lines`` as an indented list under a message, the first ``limit`` of them."""
    listing = "".join(f"\n  - {line}" for line in lines[:limit])
    if len(lines) > limit:
        listing += f"\n  ... and {len(lines) - limit} more"
    return listing


def shorten(statement: str, limit: int = 400) -> str:
    flat = " ".join(statement.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
