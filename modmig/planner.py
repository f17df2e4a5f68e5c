"""Decide what to run: pure functions of the graph and the versions a database is at.

The planner never opens a database and never runs anything. It answers three questions:

* ``verify``: do the database and the files agree (checksums, versions inside the files)?
* ``plan_upgrade``: which pending migrations must run, in which order, to reach a target?
* ``plan_downgrade``: which applied migrations must be undone, in which order?

A migration (app, v) is *applied* exactly when the app's recorded version is >= v: within an app
history is linear, so the version says everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import ChecksumMismatch, DatabaseAhead, DatabaseBehindFiles, Irreversible, UnknownApp, UsageError
from .graph import MigrationGraph
from .model import DatabaseState, Key, Plan, Step


@dataclass
class Verification:
    """Disagreements between the files and a database; empty when all is well."""

    changed: list[tuple[str, int, object]] = field(default_factory=list)  # (app, version, path)
    ahead: list[tuple[str, int, int]] = field(default_factory=list)  # (app, version, latest)
    behind: list[tuple[str, int, int]] = field(default_factory=list)  # (app, version, base)
    #: applied migrations whose prerequisite is not applied: (migration, prerequisite)
    inconsistent: list[tuple[Key, Key]] = field(default_factory=list)

    def raise_first(self) -> None:
        """Raise the error for the most fundamental disagreement, if any."""
        if self.ahead:
            raise DatabaseAhead(*self.ahead[0])
        if self.behind:
            raise DatabaseBehindFiles(*self.behind[0])
        if self.changed:
            raise ChecksumMismatch(self.changed)  # type: ignore[arg-type]


def verify(graph: MigrationGraph, state: DatabaseState, apps: list[str] | None = None) -> Verification:
    """Compare the recorded state of ``apps`` (default: all configured) with the files."""
    result = Verification()
    for app in apps if apps is not None else sorted(graph.histories):
        history = graph.histories[app]
        version = state.version(app)
        if version > history.latest:
            result.ahead.append((app, version, history.latest))
            continue
        if 0 < version < history.base or (version == 0 < history.base):
            result.behind.append((app, version, history.base))
            continue
        for migration in history.migrations:
            if migration.version > version:
                break
            recorded = state.checksums.get(migration.key)
            if recorded is not None and recorded != migration.checksum:
                result.changed.append((app, migration.version, migration.path))
            for prerequisite in graph.dependencies(migration.key):
                if prerequisite[1] > state.version(prerequisite[0]):
                    result.inconsistent.append((migration.key, prerequisite))
    return result


def plan_upgrade(
    graph: MigrationGraph, state: DatabaseState, app: str | None = None, to: int | None = None
) -> Plan:
    """Pending migrations needed for ``app`` (up to ``to``), or for every app when ``app`` is None.

    A migration of another app is included only if a targeted migration transitively needs it.
    """
    if app is None:
        if to is not None:
            raise UsageError("--to needs an app: 'modmig upgrade APP --to N'.")
        targets = [key for key in graph.order if key[1] > state.version(key[0])]
        return Plan([Step(graph.nodes[key], "up") for key in targets], tuple(sorted(graph.histories)))

    history = _history(graph, app)
    target = history.latest if to is None else to
    if to is not None and not history.base <= to <= history.latest:
        raise UsageError(
            f"App {app!r} has no version {to}: its migrations go from {history.base + 1:04d} to "
            f"{history.latest:04d}."
        )
    current = state.version(app)
    targets = [m.key for m in history.migrations if current < m.version <= target]
    pending = {key for key in graph.nodes if key[1] > state.version(key[0])}
    needed = graph.ancestors_within(targets, pending)
    return Plan([Step(graph.nodes[key], "up") for key in graph.in_order(needed)], (app,))


def plan_downgrade(graph: MigrationGraph, state: DatabaseState, app: str, to: int) -> Plan:
    """Applied migrations of ``app`` above ``to``, after every applied migration that needs them."""
    history = _history(graph, app)
    current = state.version(app)
    if to < 0:
        raise UsageError("A downgrade target is a version >= 0.")
    if to > current:
        raise UsageError(
            f"Cannot downgrade {app!r} to {to}: it is at version {current}, below the target. "
            f"Use 'modmig upgrade {app} --to {to}'."
        )
    if to < history.base:
        raise UsageError(
            f"Cannot downgrade {app!r} to {to}: its migration files start after {history.base:04d}, "
            f"so versions below that can no longer be undone."
        )
    starts = [m.key for m in history.migrations if to < m.version <= current]
    applied = {key for key in graph.nodes if key[1] <= state.version(key[0])}
    undo = graph.descendants_within(starts, applied)
    steps = [Step(graph.nodes[key], "down") for key in reversed(graph.in_order(undo))]
    irreversible = [step.label for step in steps if not step.migration.reversible]
    if irreversible:
        raise Irreversible(irreversible)
    return Plan(steps, (app,))


def _history(graph: MigrationGraph, app: str):
    if app not in graph.histories:
        raise UnknownApp(app, list(graph.histories))
    return graph.histories[app]
