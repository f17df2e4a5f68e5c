"""Decide what to run: pure functions of the graph and the versions a database is at.

The planner never opens a database and never runs anything. It answers three questions:

* ``verify``: do the database and the files agree (checksums, versions inside the files)?
* ``plan_upgrade``: which pending migrations must run, in which order, to reach a target?
* ``plan_downgrade``: which applied migrations must be undone, in which order?

A migration (app, v) is *applied* exactly when the app's recorded version is >= v: within an app
history is linear, so the version says everything. When squash files stand beside the originals
they replace, ``routes.py`` picks per app which of them a database takes from where it stands;
the graph's one order, restricted to those choices, is the plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import (
    ChecksumMismatch,
    CorruptBookkeeping,
    DatabaseAhead,
    DatabaseBehindFiles,
    DatabaseInsideSquash,
    Irreversible,
    RenumberedMigration,
    UnknownApp,
    UsageError,
)
from .graph import MigrationGraph
from ..files.checksum import part_checksums
from ..files.loader import AppHistory
from ..model import DatabaseState, Key, Migration, Plan, Step
from .routes import NoRoute, blocking_squash, route_down, route_up


@dataclass
class Verification:
    """Disagreements between the files and a database; empty when all is well."""

    changed: list[tuple[str, int, object]] = field(default_factory=list)  # (app, version, path)
    ahead: list[tuple[str, int, int]] = field(default_factory=list)  # (app, version, latest)
    behind: list[tuple[str, int, int]] = field(default_factory=list)  # (app, version, base)
    #: databases inside a squashed range whose originals are gone: (app, version, squash)
    inside_squash: list[tuple[str, int, Migration]] = field(default_factory=list)
    #: applied migrations that 'modmig merge' renumbered: (app, version, recorded name, file now)
    renumbered: list[tuple[str, int, str, Migration]] = field(default_factory=list)
    #: applied migrations whose prerequisite is not applied: (migration, prerequisite)
    inconsistent: list[tuple[Key, Key]] = field(default_factory=list)
    #: bookkeeping rows modmig did not write (a text or negative version): (app, what was found)
    corrupt: list[tuple[str, str]] = field(default_factory=list)

    def raise_first(self) -> None:
        """Raise the error for the most fundamental disagreement, if any."""
        if self.corrupt:
            raise CorruptBookkeeping(*self.corrupt[0])
        if self.ahead:
            raise DatabaseAhead(*self.ahead[0])
        if self.behind:
            raise DatabaseBehindFiles(*self.behind[0])
        if self.inside_squash:
            raise DatabaseInsideSquash(*self.inside_squash[0])
        if self.renumbered:
            raise RenumberedMigration(*self.renumbered[0])
        if self.changed:
            raise ChecksumMismatch(self.changed)  # type: ignore[arg-type]


def verify(graph: MigrationGraph, state: DatabaseState, apps: list[str] | None = None) -> Verification:
    """Compare the recorded state of ``apps`` (default: all configured) with the files."""
    result = Verification()
    for app in apps if apps is not None else sorted(graph.histories):
        history = graph.histories[app]
        if app in state.corrupt:
            result.corrupt.append((app, state.corrupt[app]))
            continue
        version = state.version(app)
        if version > history.latest:
            result.ahead.append((app, version, history.latest))
            continue
        if 0 < version < history.base or (version == 0 < history.base):
            result.behind.append((app, version, history.base))
            continue
        try:
            route_up(history, version, history.latest)
        except NoRoute as error:
            result.inside_squash.append((app, version, error.squash or blocking_squash(history, version)))
            continue
        _verify_checksums(history, state, version, result)
        for migration in history.migrations:
            if migration.version > version:
                break
            for dependency in migration.dependencies:
                if dependency.app != app and dependency.version > state.version(dependency.app):
                    result.inconsistent.append((migration.key, (dependency.app, dependency.version)))
    return result


def _verify_checksums(history: AppHistory, state: DatabaseState, version: int, result: Verification) -> None:
    """Compare each applied version's recorded checksum with the file that recorded it.

    A version may have been reached by its original or by a squash ending there, so the recorded
    file name picks which file to compare. A record naming a file that is gone (an original pruned
    after a squash) has nothing left to compare; one naming a file that merge renumbered is
    reported as such.
    """
    app = history.app
    by_name: dict[str, Migration] | None = None
    for position in range(max(history.base + 1, 1), version + 1):
        recorded = state.checksums.get((app, position))
        if recorded is None:
            continue
        name = state.names.get((app, position))
        candidates = [m for m in history.covering(position) if m.version == position]
        match = next((m for m in candidates if m.name == name), None)
        if match is None and name is not None:
            if by_name is None:
                by_name = {_slug(m.name): m for m in history.migrations}
            moved = by_name.get(_slug(name))
            if moved is not None and moved.version != position and moved.checksum == recorded:
                result.renumbered.append((app, position, name, moved))
                continue
        if match is None:
            match = history.get(position)  # the original, renamed but not renumbered
        if match is not None and recorded != match.checksum and not _down_being_fixed(state, match):
            result.changed.append((app, match.version, match.path))


def _down_being_fixed(state: DatabaseState, migration: Migration) -> bool:
    """True when only the down section of a migration whose downgrade stopped part-way changed.

    Fixing the failed down statement is how a stopped downgrade is finished, so that edit is not
    an edited migration: the up part must be as recorded (the record keeps the parts' checksums
    apart), and the down statements that already ran are checked when it resumes.
    """
    mark = state.dirty.get(migration.app)
    if mark is None or mark.direction != "down" or mark.version != migration.version:
        return False
    recorded = state.part_checksums.get((migration.app, migration.version))
    return recorded is not None and recorded[0] == part_checksums(migration)[0]


def _slug(name: str) -> str:
    return name.split("_", 1)[1] if "_" in name else name


def plan_upgrade(
    graph: MigrationGraph, state: DatabaseState, app: str | None = None, to: int | None = None
) -> Plan:
    """Pending migrations needed for ``app`` (up to ``to``), or for every app when ``app`` is None.

    A migration of another app is included only if a targeted migration transitively needs it.
    """
    if app is None:
        if to is not None:
            raise UsageError("--to needs an app: 'modmig upgrade APP --to N'.")
        chosen = {m.key for name in graph.histories for m in pending_route(graph, state, name)}
        return Plan([Step(graph.nodes[key], "up") for key in graph.in_order(chosen)], tuple(sorted(graph.histories)))

    history = _history(graph, app)
    target = history.latest if to is None else to
    if to is not None and not history.base <= to <= history.latest:
        raise UsageError(
            f"App {app!r} has no version {to}: its migrations go from {history.base + 1:04d} to "
            f"{history.latest:04d}."
        )
    current = state.version(app)
    try:
        targets = [m.key for m in route_up(history, current, target)]
    except NoRoute as error:
        raise UsageError(
            f"Cannot upgrade {app!r} to {target}: that version is inside the squashed range of "
            f"{error.squash.name if error.squash else 'a squash'} and the original migrations of that range "
            f"were deleted. Upgrade to {error.squash.version if error.squash else history.latest} instead."
        ) from None
    allowed = set(targets)
    for name in graph.histories:
        if name != app:
            allowed.update(m.key for m in pending_route(graph, state, name))
    needed = graph.ancestors_within(targets, allowed)
    return Plan([Step(graph.nodes[key], "up") for key in graph.in_order(needed)], (app,))


def pending_route(graph: MigrationGraph, state: DatabaseState, app: str) -> list[Migration]:
    """The files an app would run to reach its latest version from where the database is."""
    history = graph.histories[app]
    try:
        return route_up(history, state.version(app), history.latest)
    except NoRoute as error:
        raise DatabaseInsideSquash(app, state.version(app), error.squash) from None


def plan_downgrade(graph: MigrationGraph, state: DatabaseState, app: str, to: int) -> Plan:
    """Applied migrations of ``app`` above ``to``, after every applied migration that needs them."""
    history = _history(graph, app)
    current = state.version(app)
    if to < 0:
        raise UsageError("A downgrade target is a version >= 0.")
    if to > current:
        if to > history.latest:
            raise UsageError(
                f"Cannot downgrade {app!r} to {to}: it is at version {current}, and its migrations "
                f"only go up to {history.latest:04d} (there is no version {to})."
            )
        raise UsageError(
            f"Cannot downgrade {app!r} to {to}: it is at version {current}, below the target. "
            f"Use 'modmig upgrade {app} --to {to}'."
        )
    if to < history.base:
        raise UsageError(
            f"Cannot downgrade {app!r} to {to}: its migration files start after {history.base:04d}, "
            f"so versions below that can no longer be undone."
        )
    targets = _downgrade_targets(graph, state, app, to)
    undo: list[Key] = []
    for name in sorted(targets):
        try:
            undo.extend(m.key for m in route_down(graph.histories[name], state.version(name), targets[name]))
        except NoRoute as error:
            squash = error.squash
            raise UsageError(
                f"Cannot downgrade {name!r} to {targets[name]}: that version is inside the squashed range "
                f"{squash.first_version:04d}-{squash.version:04d} of {squash.name}, whose original migrations "
                f"were deleted. Downgrade to {squash.first_version - 1} or stay at {squash.version}."
                if squash else f"Cannot downgrade {name!r} to {targets[name]}: no migration files lead there."
            ) from None
    steps = [Step(graph.nodes[key], "down") for key in reversed(graph.in_order(undo))]
    irreversible = [step.label for step in steps if not step.migration.reversible]
    if irreversible:
        raise Irreversible(irreversible)
    return Plan(steps, (app,))


def _downgrade_targets(graph: MigrationGraph, state: DatabaseState, app: str, to: int) -> dict[str, int]:
    """How far each app must go down so that nothing applied needs what ``app`` undoes.

    Starting from ``app`` going to ``to``, every applied migration of another app that depends on
    an undone version pulls its own app below it, and so on until nothing changes. A squash whose
    originals are present does not decide anything: the originals say more precisely who needs what.
    """
    targets = {app: to}
    done = {app: state.version(app)}  # versions above this were already scanned, per app
    queue = [app]
    while queue:
        name = queue.pop()
        history = graph.histories[name]
        low, high = targets[name], done[name]
        done[name] = low
        for version in range(low + 1, high + 1):
            for node in history.covering(version):
                for dependent in graph.dependents(node.key):
                    other = dependent[0]
                    if other == name or dependent[1] > state.version(other):
                        continue
                    migration = graph.nodes[dependent]
                    if migration.is_squash and _originals_present(graph.histories[other], migration):
                        continue
                    floor = migration.first_version - 1
                    if floor < targets.get(other, state.version(other)):
                        targets[other] = floor
                        done.setdefault(other, state.version(other))
                        queue.append(other)
    return {name: target for name, target in targets.items() if target < state.version(name)}


def _originals_present(history: AppHistory, squash: Migration) -> bool:
    return all(history.get(v) is not None for v in range(squash.first_version, squash.version + 1))


def _history(graph: MigrationGraph, app: str):
    if app not in graph.histories:
        raise UnknownApp(app, list(graph.histories))
    return graph.histories[app]
