"""Prove a squash right before it is written: originals and squash on two scratch databases.

1. Scratch database A gets everything the range needs (other apps' migrations, the app's own
   earlier versions), then the original range. Scratch database B gets the same prerequisites,
   then the squash.
2. Their snapshots (``schema_compare``) must be equal: tables, columns, keys, constraints,
   indexes, views, triggers, and the rows the migrations inserted.
3. If the squash has a down section, B is downgraded through it and must be back to what it held
   before the squash ran (with no prerequisites: empty).

The scratch databases (``schema/scratch.py``) are SQLite in memory by default. With a server URL
(``--verify-url postgresql://...`` or ``mysql://...``) modmig creates two throwaway databases
there and drops them afterwards.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SquashNotVerified
from ..model import Migration
from ..run.backends.base import mask_url_text
from ..schema.scratch import IN_MEMORY, ReplayFailed, replay, scratch_database


@dataclass
class VerificationReport:
    """What verification compared and how long each part took."""

    database: str
    #: Steps applied before the range on both scratch databases (other apps, earlier versions).
    prerequisites: int = 0
    originals: int = 0
    downgrade_checked: bool = False
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "database": self.database,
            "prerequisites": self.prerequisites,
            "originals": self.originals,
            "downgrade_checked": self.downgrade_checked,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }


def verify_squash(
    app: str,
    prerequisites: list[Migration],
    originals: list[Migration],
    squash: Migration,
    graph_before,
    graph_after,
    verify_url: str | None,
    base_dir: Path,
) -> VerificationReport:
    """Raise SquashNotVerified unless ``squash`` does exactly what ``originals`` do."""
    from ..schema.compare import differences, snapshot

    report = VerificationReport(
        database=IN_MEMORY if verify_url is None else mask_url_text(verify_url),
        prerequisites=len(prerequisites),
        originals=len(originals),
    )
    clock = time.perf_counter()
    with scratch_database(verify_url, base_dir) as before_backend:
        _apply(before_backend, graph_before, prerequisites + originals, squash, "the original migrations")
        report.seconds["apply originals"] = _lap(clock)
        clock = time.perf_counter()
        with before_backend.engine.connect() as connection:
            expected = snapshot(connection)
    with scratch_database(verify_url, base_dir) as after_backend:
        _apply(after_backend, graph_after, prerequisites, squash, "the prerequisites")
        with after_backend.engine.connect() as connection:
            start = snapshot(connection)
        report.seconds["snapshots"] = _lap(clock)
        clock = time.perf_counter()
        _apply(after_backend, graph_after, [squash], squash, "the squash")
        report.seconds["apply squash"] = _lap(clock)
        clock = time.perf_counter()
        with after_backend.engine.connect() as connection:
            actual = snapshot(connection)
        found = differences(expected, actual, ("the originals", "the squash"))
        report.seconds["compare"] = _lap(clock)
        if found:
            raise SquashNotVerified(app, squash.name, "the squash does not produce what the originals produce:", found)
        if squash.reversible:
            clock = time.perf_counter()
            _apply(after_backend, graph_after, [squash], squash, "the squash's down section", direction="down")
            with after_backend.engine.connect() as connection:
                back = snapshot(connection)
            found = differences(start, back, ("before the squash", "after its downgrade"))
            if found:
                raise SquashNotVerified(app, squash.name, "downgrading the squash does not undo it:", found)
            report.downgrade_checked = True
            report.seconds["downgrade"] = _lap(clock)
    return report


def _apply(backend, graph, migrations: list[Migration], squash: Migration, what: str, direction: str = "up") -> None:
    """Run ``migrations`` on a scratch database (``schema.scratch.replay``); a failure fails the squash."""
    try:
        replay(backend, migrations, direction)
    except ReplayFailed as failure:
        raise SquashNotVerified(squash.app, squash.name, _failure(what, failure)) from None


def _failure(what: str, failure: ReplayFailed) -> str:
    hint = ""
    if what != "the squash":
        hint = " (they must run on a fresh database for a squash of them to be verified)"
    return f"{what} failed on the scratch database{hint}: {failure.describe()}"


def _lap(clock: float) -> float:
    return time.perf_counter() - clock
