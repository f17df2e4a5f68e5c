"""``stamp`` and ``repair``: change the bookkeeping without running migrations.

Both are operator tools for adopting a database or recovering from an incident, so both take the
lock, re-read the state under it, and leave a history row explaining what they did.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .backends.base import executed_by
from ..advice import resume_hint
from ..errors import UsageError
from ..events import EventCallback
from ..plan.planner import Verification, _verify_checksums
from .privileges import bookkeeping_errors
from .recorder import utcnow
from ..results import RepairResult, StampResult

if TYPE_CHECKING:
    from ..plan.graph import MigrationGraph
    from .database import ProjectDatabase


def stamp(
    database: "ProjectDatabase", graph: "MigrationGraph", app: str, version: int, *,
    lock_timeout: float | None, on_event: EventCallback, force: bool = False, lower_needs_force: bool = False,
) -> StampResult:
    """Record ``app`` at ``version`` without running anything (adopting an existing database).

    Refused without ``force`` when the record would be inconsistent (an applied migration whose
    dependency is not applied, which ``status`` would then report), and, with
    ``lower_needs_force`` (a version read from the database, not typed), when it would lower
    the version modmig records.
    """
    history = graph.histories[app]
    from ..plan.routes import applied_route, is_position

    if not (version == 0 or history.base < version <= history.latest) or not is_position(history, version):
        raise UsageError(
            f"Cannot stamp {app!r} at {version}: its migrations go from {history.base + 1:04d} to "
            f"{history.latest:04d} (0 means none applied)."
        )
    recorder = database.recorder
    with database.locked(lock_timeout, on_event) as connection:
        state = database.read_state(connection)
        previous = state.version(app)
        if not force:
            _refuse_surprising_stamp(graph, state, app, version, lower_needs_force)
        with bookkeeping_errors(database.backend, "stamping"), connection.begin():
            database.backend.ensure_bookkeeping(connection, recorder)
            stamped = _stamped_route(history, previous, version)
            # The version row names the file the history rows below say the app stands on.
            below = applied_route(history, version, state.names)
            target = stamped[-1] if stamped else (below[-1] if below else None)
            recorder.set_version(connection, app, version, target.name if target else None, target.checksum if target else None)
            for migration in stamped:
                _history_row(database, connection, app, migration.version, migration.name, migration.checksum, "stamp", migration)
            if not stamped:
                _history_row(database, connection, app, version, target.name if target else None, None, "stamp")
    return StampResult(app, previous, version)


def repair(
    database: "ProjectDatabase", graph: "MigrationGraph", app: str, *,
    applied: bool | None, lock_timeout: float | None, on_event: EventCallback, statements_done: int | None = None,
) -> RepairResult:
    """Re-record edited checksums of ``app`` and resolve its dirty mark as the operator says.

    A dirty mark needs a decision (``applied=True``: the interrupted migration's effect is in the
    database; ``False``: it is not; ``statements_done=N``: exactly its first N statements took
    effect, and the next run resumes after them). modmig cannot know which is true, so it refuses
    to guess, and it refuses an answer the catalog shows to be false (``resolve``).
    """
    from .resolve import check_answer, progress_mark, statements_of

    history = graph.histories[app]
    recorder = database.recorder
    result = RepairResult(app)
    with database.locked(lock_timeout, on_event) as connection:
        state = database.read_state(connection)
        mark = state.dirty.get(app)
        if mark is not None and applied is None and statements_done is None:
            raise UsageError(f"App {app!r} is dirty: {mark.describe()} {_capital(resume_hint(mark))}")
        if mark is None and (applied is not None or statements_done is not None):
            raise UsageError(f"App {app!r} is not dirty; --applied, --not-applied and --statements-done have nothing to resolve.")
        migration = None
        if mark is not None:
            migration = history.get(mark.version) or next(m for m in history.squashes if m.version == mark.version)
            check_answer(connection, database.backend, mark, migration, applied, statements_done)
            if connection.in_transaction():
                connection.commit()
        version = state.version(app)
        with bookkeeping_errors(database.backend, "repairing"), connection.begin():
            database.backend.ensure_bookkeeping(connection, recorder)
            if mark is not None and statements_done is not None:
                statements = statements_of(database.backend, migration, mark.direction)
                recorder.mark_dirty(connection, progress_mark(mark, statements, statements_done), version)
                result.resolved = f"{statements_done} of {len(statements)} statement(s) done; the next run resumes after them"
                _history_row(database, connection, app, migration.version, migration.name, None, "repair")
            elif mark is not None:
                before, after = migration.first_version - 1, migration.version
                if mark.direction == "up":
                    version = after if applied else before
                else:
                    version = before if applied else after
                current = history.ending_at(version)
                recorder.set_version(connection, app, version, current.name if current else None, current.checksum if current else None)
                result.resolved = "applied" if applied else "not applied"
                recorded = migration if version == after else None
                _history_row(database, connection, app, migration.version, migration.name, migration.checksum if recorded else None, "repair", recorded)
            found = Verification()
            _verify_checksums(history, state, version, found)
            for _, changed_version, _ in found.changed:
                migration = history.ending_at(changed_version)
                recorded_name = state.names.get((app, changed_version))
                migration = next((m for m in history.covering(changed_version) if m.name == recorded_name and m.version == changed_version), migration)
                _history_row(database, connection, app, migration.version, migration.name, migration.checksum, "repair", migration)
                result.rechecksummed.append(migration.label)
    result.version = version
    return result


def repair_renumbered(
    database: "ProjectDatabase", graph: "MigrationGraph", app: str, *, lock_timeout: float | None, on_event: EventCallback
) -> RepairResult:
    """Bring a database whose applied migration 'modmig merge' renumbered back in line with the files.

    The database applied file X as version v; merge moved X (and what followed it on its branch)
    up, and gave v to a file of the other branch, which this database never ran. Every file up to
    the highest one it applied that it has not run is run now, in version order (the branches were
    parallel, so their order does not matter); then the app is recorded at that highest version,
    with a ``repair`` history row for each renumbered file under its new name.
    """
    from .executor import Executor
    from ..model import Plan, Step
    from ..plan.planner import verify

    history = graph.histories[app]
    result = RepairResult(app)
    with database.locked(lock_timeout, on_event) as connection:
        state = database.read_state(connection)
        found = verify(graph, state, [app]).renumbered
        if not found:
            raise UsageError(f"App {app!r} has no applied migration that 'modmig merge' renumbered: nothing to fix.")
        applied = _applied_after_merge(history, state)
        top = history.get(max(applied))
        missing = [history.get(v) for v in range(history.base + 1, top.version + 1) if v not in applied]
        executor = Executor(database.backend, database.recorder, connection, graph, executed_by(), on_event)
        executor.run(Plan([Step(m, "up") for m in missing if m is not None], (app,)), {})
        with connection.begin():
            database.recorder.set_version(connection, app, top.version, top.name, top.checksum)
            for _, version, recorded, moved in found:
                _history_row(database, connection, app, moved.version, moved.name, moved.checksum, "repair", moved)
        result.rechecksummed = [
            *(f"{app}:{recorded} -> {moved.label}" for _, _, recorded, moved in found),
            *(m.label + " (applied)" for m in missing if m),
        ]
        result.version = top.version
    return result


def _applied_after_merge(history, state) -> set[int]:
    """The versions (new numbering) of the files a database applied, read from its records."""
    by_name = {m.name: m for m in history.migrations}
    by_slug = {m.name.split("_", 1)[-1]: m for m in history.migrations}
    applied = set()
    for position in range(history.base + 1, state.version(history.app) + 1):
        name = state.names.get((history.app, position))
        recorded = state.checksums.get((history.app, position))
        found = by_name.get(name) if name else None
        if found is None and name:
            moved = by_slug.get(name.split("_", 1)[-1])
            found = moved if moved is not None and moved.checksum == recorded else None
        applied.add(found.version if found is not None else position)
    return applied


def _stamped_route(history, previous: int, version: int) -> list:
    """The files a stamp from ``previous`` up to ``version`` stands for (none going down)."""
    from ..plan.routes import NoRoute, route_up

    try:
        return route_up(history, previous, version)
    except NoRoute:
        return []


def _refuse_surprising_stamp(graph: "MigrationGraph", state, app: str, version: int, lower_needs_force: bool) -> None:
    """UsageError when stamping ``app`` at ``version`` records what nobody asked for."""
    from ..model import DatabaseState
    from ..plan.planner import verify

    previous = state.version(app)
    if lower_needs_force and version < previous:
        raise UsageError(
            f"The database's PRAGMA user_version is {version}, below the version modmig records for "
            f"{app!r} ({previous}): stamping it would forget that {app} {version + 1:04d}-{previous:04d} ran. "
            f"Nothing was changed. If the database really is at {version}, say so: 'modmig stamp {app} "
            f"{version}' (or add --force)."
        )
    after = DatabaseState(versions={**state.versions, app: version}, checksums=state.checksums, names=state.names)
    broken = [(m, r) for m, r in verify(graph, after).inconsistent if app in (m[0], r[0])]
    if broken:
        listed = "; ".join(
            f"{m[0]}:{m[1]:04d} would be applied but its dependency {r[0]}:{r[1]:04d} not "
            f"({r[0]} at {after.version(r[0])})"
            for m, r in broken[:5]
        )
        first_needed = broken[0][1]
        fix = (
            f"stamp {first_needed[0]} first ('modmig stamp {first_needed[0]} {first_needed[1]}')"
            if first_needed[0] != app
            else f"lower {broken[0][0][0]} first"
        )
        raise UsageError(
            f"Stamping {app!r} at {version} would record an inconsistent database: {listed}. 'modmig status' "
            f"would report it, and upgrades would skip what the dependency needs. Nothing was changed: "
            f"{fix}, or add --force if the database really is like that."
        )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _history_row(
    database: "ProjectDatabase", connection, app: str, version: int, name, checksum, direction: str, migration=None
) -> None:
    from ..files.checksum import part_checksums

    database.recorder.add_history(
        connection,
        app=app,
        version=version,
        name=name,
        checksum=checksum,
        direction=direction,
        started_at=utcnow(),
        duration_ms=0,
        success=True,
        executed_by=executed_by(),
        part_checksums=part_checksums(migration) if migration is not None else (None, None),
    )
