"""Relative targets, as Alembic users type them: ``--to -1``, ``--to +2``, ``--steps 1``.

``parse_target`` reads what the user typed after ``--to`` (``3``, ``-1``, ``+2``) as an absolute
version or a signed offset; ``resolve_target`` turns it into the absolute version an upgrade or
downgrade goes to, from where the app stands now (the Python API takes the same as ``to=``,
``by=`` and ``steps=``):

* ``to=N``: version N;
* ``by=-K``: K versions below the current one (downgrade only); ``by=+K``: K above (upgrade only);
* ``steps=K``: K migration files back (downgrade: the last K the database ran, as its history
  records them) or forward (upgrade: the next K on the route to the latest). With a squash file
  a step can span several versions; without one, ``--steps K`` and ``--to -K`` agree.

Pure: it reads the files and the recorded state, never a database. The result is an ordinary
version, so everything after it (the plan, the confirmation, the re-plan under the lock) works
on absolute versions only.
"""

from __future__ import annotations

import re

from ..errors import UsageError
from ..files.loader import AppHistory
from ..model import DatabaseState
from .routes import NoRoute, applied_route, route_up

_TARGET = re.compile(r"\s*([+-]?)(\d+)\s*\Z")


def parse_target(text: str) -> tuple[int | None, int | None]:
    """``"3"`` -> (3, None); ``"-1"`` -> (None, -1); ``"+2"`` -> (None, 2): (to, by)."""
    match = _TARGET.match(text)
    if match is None:
        raise UsageError(
            f"--to {text!r} is not a version: give N (a version), -K (K versions down) or +K (K up), "
            f"e.g. --to 3, --to -1, --to +2."
        )
    number = int(match.group(2))
    if not match.group(1):
        return number, None
    return None, -number if match.group(1) == "-" else number


def resolve_target(
    history: AppHistory, state: DatabaseState, to: int | None, by: int | None, steps: int | None, direction: str
) -> int | None:
    """The absolute version ``to`` / ``by`` / ``steps`` mean for ``history.app`` now (None: no target)."""
    app, current = history.app, state.version(history.app)
    if sum(value is not None for value in (to, by, steps)) > 1:
        raise UsageError("Give one target: a version, a relative version (-K / +K) or a number of steps.")
    if steps is not None:
        return _by_steps(history, state, steps, direction)
    if by is None:
        if to is not None and to < 0:
            raise UsageError(f"Version {to} does not exist: versions start at 0 (nothing applied); '-K' is relative.")
        return to
    sign, number = ("-" if by < 0 else "+"), abs(by)
    if (sign == "-") != (direction == "down"):
        verb = "upgrade" if direction == "up" else "downgrade"
        hint = f"'modmig downgrade {app} --to -{number}'" if sign == "-" else f"'modmig upgrade {app} --to +{number}'"
        raise UsageError(f"--to {sign}{number} goes {'down' if sign == '-' else 'up'}, but this is an {verb}: use {hint}.")
    target = current - number if sign == "-" else current + number
    if target < 0:
        raise UsageError(f"Cannot go {number} version(s) down from {app!r}: it is at version {current}.")
    if target > history.latest:
        raise UsageError(
            f"Cannot go {number} version(s) up from {app!r}: it is at version {current} and its "
            f"migrations only go up to {history.latest:04d}."
        )
    return target


def _by_steps(history: AppHistory, state: DatabaseState, steps: int, direction: str) -> int:
    app, current = history.app, state.version(history.app)
    if steps < 1:
        raise UsageError("--steps counts migrations: 1 or more.")
    if direction == "down":
        ran = applied_route(history, current, state.names)
        if steps > len(ran):
            raise UsageError(
                f"Cannot undo {steps} migration(s) of {app!r}: it is at version {current} and "
                f"{len(ran)} of its migration files can be undone from there."
            )
        return ran[-steps].first_version - 1
    try:
        pending = route_up(history, current, history.latest)
    except NoRoute:
        pending = []
    if steps > len(pending):
        raise UsageError(
            f"Cannot apply {steps} migration(s) of {app!r}: it is at version {current} and only "
            f"{len(pending)} are pending."
        )
    return pending[steps - 1].version
