"""Which files take one app from version A to version B, when squash files offer shortcuts.

With a squash ``0001_squashed_0010`` beside the originals it replaces, there are two ways through
versions 1..10: the squash, or the ten originals. Which one a database takes depends only on where
it stands (see docs/squash.md):

* at or past 10, nothing in the range runs;
* at 0 (just below the range), the squash runs: one step instead of ten;
* inside the range (at 4, say), only the remaining originals 5..10 can run.

A *route* is the list of files, in order, that moves the app from ``start`` to exactly ``stop``.
Upgrades take the route with the fewest steps (so squashes win, the longest first); downgrades
prefer reversible steps, then the fewest. Routes are computed per app over its files alone:
pure, linear in the number of versions, and deterministic. When there is no route (the database is
inside a squashed range whose originals were deleted) ``NoRoute`` says which squash is in the way;
the planner turns that into a user-facing error.
"""

from __future__ import annotations

from typing import Mapping

from ..files.loader import AppHistory
from ..model import Migration

#: Cost of one irreversible step on a downgrade route: any reversible route beats it.
_IRREVERSIBLE = 1_000_000


class NoRoute(Exception):
    """No files lead from ``start`` to ``stop``; ``squash`` is the squash whose range blocks it."""

    def __init__(self, app: str, start: int, stop: int, squash: Migration | None) -> None:
        super().__init__(f"{app}: no route from {start} to {stop}")
        self.app, self.start, self.stop, self.squash = app, start, stop, squash


def route_up(history: AppHistory, start: int, stop: int) -> list[Migration]:
    """The files to run, in order, to go from ``start`` to ``stop`` (empty if ``stop <= start``)."""
    return _route(history, start, stop, lambda migration: 1)


def route_down(history: AppHistory, start: int, stop: int) -> list[Migration]:
    """The files to undo, newest first, to go down from ``start`` to ``stop``."""
    steps = _route(history, stop, start, lambda m: 1 if m.reversible else _IRREVERSIBLE)
    return steps[::-1]


def applied_route(history: AppHistory, version: int, names: Mapping[tuple[str, int], str]) -> list[Migration]:
    """The files that took the app to ``version``, oldest first, as the database recorded them.

    ``names`` is what the history table says ran last for each version (``DatabaseState.names``).
    Walking down from ``version``, each step is the file ending there under the recorded name (the
    squash when the database ran the squash), else the original (a stamp, a downgrade into a
    range), else a squash ending there. The walk stops where no remaining file ends (pruned).
    """
    route = []
    position = version
    while position > history.base:
        original = history.get(position)
        ending = [m for m in ([original] if original is not None else []) + history.squashes if m.version == position]
        if not ending:
            break
        recorded = names.get((history.app, position))
        chosen = next((m for m in ending if m.name == recorded), ending[0])
        route.append(chosen)
        position = chosen.first_version - 1
    return route[::-1]


def is_position(history: AppHistory, version: int) -> bool:
    """True when some route can stop at ``version`` (it is the base or a file ends there)."""
    try:
        _route(history, history.base, version, lambda migration: 1)
    except NoRoute:
        return False
    return True


def blocking_squash(history: AppHistory, version: int) -> Migration | None:
    """The squash whose range has ``version`` strictly inside it (the one blocking a route)."""
    for squash in history.squashes:
        if squash.first_version <= version < squash.version:
            return squash
    return None


def _route(history: AppHistory, start: int, stop: int, cost) -> list[Migration]:
    """Cheapest chain of files from ``start`` up to ``stop``; ties go to the longer first step."""
    if stop <= start:
        return []
    squashes_from: dict[int, list[Migration]] = {}
    for squash in history.squashes:
        squashes_from.setdefault(squash.first_version, []).append(squash)
    # best[p] = (cost of the cheapest route from p to stop, first step of that route)
    best: dict[int, tuple[int, Migration]] = {}
    for position in range(stop - 1, start - 1, -1):
        choice: tuple[int, int, Migration] | None = None
        candidates = list(squashes_from.get(position + 1, ()))
        original = history.get(position + 1)
        if original is not None:
            candidates.append(original)
        for step in candidates:
            if step.version > stop:
                continue
            rest = 0 if step.version == stop else best.get(step.version, (None,))[0]
            if rest is None:
                continue
            total = cost(step) + rest
            # fewer cost first, then the longer jump, so the choice never depends on file order
            rank = (total, -step.version)
            if choice is None or rank < choice[:2]:
                choice = (total, -step.version, step)
        if choice is not None:
            best[position] = (choice[0], choice[2])
    if start not in best:
        blocker = blocking_squash(history, start) or blocking_squash(history, stop)
        raise NoRoute(history.app, start, stop, blocker)
    route = []
    position = start
    while position != stop:
        step = best[position][1]
        route.append(step)
        position = step.version
    return route
