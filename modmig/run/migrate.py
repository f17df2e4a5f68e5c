"""Upgrade and downgrade: plan under the lock, run the plan, report what ran.

These are the two operations that change a database's schema. Each takes the target database
(``ProjectDatabase``) and the migration graph, nothing more, so the api, the round-trip check
and any other caller run migrations the same way. Whose job is what:

* the planner (``modmig.plan``) decides *what* runs, from the graph and the database's state;
* the ``Executor`` runs each step with its bookkeeping;
* this module takes the lock, re-reads the state under it (a concurrent deploy may have done the
  work meanwhile), and frames the run with its events.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Callable

from ..errors import ConfirmationRequired, UnknownApp, UsageError
from ..events import EventCallback, RunFinished, RunStarted, ignore
from ..model import DatabaseState, Plan
from ..results import RunResult

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from ..plan.graph import MigrationGraph
    from .database import ProjectDatabase


def current_state(database: "ProjectDatabase", graph: "MigrationGraph") -> DatabaseState:
    """The database's state, checked against the files, read without the lock (for previews)."""
    from ..plan.planner import verify

    state = database.read_state_unlocked()
    verify(graph, state).raise_first()
    return state


def verified_state(database: "ProjectDatabase", graph: "MigrationGraph", connection: "Connection") -> DatabaseState:
    """The state on ``connection``; raises the first disagreement with the files (edited, ahead...)."""
    from ..plan.planner import verify

    state = database.read_state(connection)
    verify(graph, state).raise_first()
    return state


def upgrade(
    database: "ProjectDatabase",
    graph: "MigrationGraph",
    app: str | None = None,
    *,
    to: int | None = None,
    by: int | None = None,
    steps: int | None = None,
    lock_timeout: float | None = None,
    on_event: EventCallback = ignore,
) -> RunResult:
    """Apply the pending migrations of ``app`` (and what they need), or of every app if None.

    ``by`` (+K versions) and ``steps`` (K files) are relative to where the app stands once the
    lock is held (``plan.targets``).
    """
    from ..plan.planner import plan_upgrade

    nothing_to_do = _nothing_to_do(database, graph, app, to, by, steps)
    if nothing_to_do is not None:
        return RunResult("up", nothing_to_do, 0, 0)
    with database.locked(lock_timeout, on_event) as connection:
        state = verified_state(database, graph, connection)
        plan = plan_upgrade(graph, state, app, absolute_target(graph, state, app, to, by, steps, "up"))
        return run_plan(database, graph, "up", plan, state, connection, on_event)


def _nothing_to_do(
    database: "ProjectDatabase", graph: "MigrationGraph", app: str | None, to: int | None, by: int | None, steps: int | None
) -> Plan | None:
    """The empty plan of an upgrade that has nothing to do, seen without the lock; else None.

    A no-op upgrade is the commonest deploy, and it needs no lock and no SQLAlchemy: when the
    state read through the driver (``ProjectDatabase.quick_state``) is clean, agrees with the
    files and leaves nothing to apply, that is the answer. The run is then ordered before any run
    holding the lock (whose changes were not committed when the state was read). Anything else
    (a dirty mark, an error, work to do) returns None and the upgrade goes the usual way, under
    the lock, where the state is read again and errors are reported as always.
    """
    from ..errors import ModmigError
    from ..plan.planner import plan_upgrade, verify

    state = database.quick_state()
    if state is None or state.dirty or state.corrupt:
        return None
    try:
        verify(graph, state).raise_first()
        plan = plan_upgrade(graph, state, app, absolute_target(graph, state, app, to, by, steps, "up"))
    except ModmigError:
        return None
    return None if plan else plan


def downgrade(
    database: "ProjectDatabase",
    graph: "MigrationGraph",
    app: str,
    *,
    to: int | None = None,
    by: int | None = None,
    steps: int | None = None,
    confirm: Callable[[Plan], bool] | None = None,
    lock_timeout: float | None = None,
    on_event: EventCallback = ignore,
) -> RunResult:
    """Undo ``app``'s migrations above ``to``, after the applied migrations that depend on them.

    The plan is previewed without the lock; when it reaches into other apps, ``confirm(plan)``
    must return True (else ``ConfirmationRequired``). Under the lock the plan is made again, from
    what the database holds by then (``replan_under_lock``).
    """
    from ..plan.planner import plan_downgrade

    state = current_state(database, graph)
    to = absolute_target(graph, state, app, to, by, steps, "down")  # relative to where the app stands now
    if to is None:
        raise UsageError("A downgrade needs a target: --to N (0 undoes everything), --to -K, or --steps K.")
    preview = plan_downgrade(graph, state, app, to)
    if preview.other_apps and not (confirm is not None and confirm(preview)):
        raise ConfirmationRequired(preview)
    with database.locked(lock_timeout, on_event) as connection:
        state = verified_state(database, graph, connection)
        plan = replan_under_lock(graph, state, app, to, preview, confirm)
        return run_plan(database, graph, "down", plan, state, connection, on_event)


def absolute_target(
    graph: "MigrationGraph", state: DatabaseState, app: str | None, to: int | None, by: int | None,
    steps: int | None, direction: str,
) -> int | None:
    """The version ``to`` / ``by`` / ``steps`` (relative: ``by=-1``, ``steps=1``) mean now."""
    from ..plan.targets import resolve_target

    if app is None:
        if to is not None or by is not None or steps is not None:
            raise UsageError("--to and --steps need an app: 'modmig upgrade APP --to N'.")
        return None
    if app not in graph.histories:
        raise UnknownApp(app, list(graph.histories))
    return resolve_target(graph.histories[app], state, to, by, steps, direction)


def replan_under_lock(
    graph: "MigrationGraph", state: DatabaseState, app: str, to: int, preview: Plan, confirm: Callable[[Plan], bool] | None
) -> Plan:
    """The downgrade to run now that the lock is held: another run may have changed the database.

    Nothing left to undo (another run did it, or went further down) is an empty plan: "nothing to
    do". Steps of ``app`` itself need no confirmation (the user asked for ``app`` at ``to``); steps
    of other apps that were not in the confirmed preview must be confirmed again, else nothing runs.
    """
    from ..plan.planner import plan_downgrade

    if to > state.version(app) and preview:
        return Plan([], (app,))  # already below the target: the work was done, and more
    plan = plan_downgrade(graph, state, app, to)
    shown = {step.label for step in preview.steps}
    unconfirmed = [step for step in plan.steps if step.migration.app != app and step.label not in shown]
    if unconfirmed and not _confirmed_again(confirm, plan):
        raise UsageError(
            "The database changed while the downgrade waited for the lock: it now also undoes "
            + ", ".join(step.label for step in unconfirmed)
            + ", which was not shown when it was confirmed. Nothing was done; run it again to see the new plan."
        )
    return plan


def _waiting(on_event: EventCallback) -> Callable[[str, float], None]:
    """Tell listeners, every few seconds, what a resume is waiting for."""
    from ..events import StatementWaiting

    last = [-1.0]

    def report(statement: str, waited: float) -> None:
        if waited - last[0] >= 3 or last[0] < 0:
            last[0] = waited
            on_event(StatementWaiting(statement, waited))

    return report


def _confirmed_again(confirm: Callable[[Plan], bool] | None, plan: Plan) -> bool:
    try:
        return confirm is not None and confirm(plan)
    except ConfirmationRequired:  # nobody to ask: refused below, saying why the plan changed
        return False


def run_plan(
    database: "ProjectDatabase",
    graph: "MigrationGraph",
    direction: str,
    plan: Plan,
    state: DatabaseState,
    connection: "Connection",
    on_event: EventCallback,
) -> RunResult:
    """Run ``plan`` on ``connection`` (the caller holds the lock), framed by RunStarted/RunFinished."""
    from sqlalchemy.exc import DBAPIError

    from ..errors import ConnectionLost
    from .backends.base import driver_message, executed_by, scrub
    from .ddl_effects import settle_resume
    from .executor import Executor
    from .privileges import bookkeeping_errors, privilege_error

    backend = database.backend
    executor = Executor(backend, database.recorder, connection, graph, executed_by(), on_event, state.names, database.fence)
    resume = executor.resume_points(plan, state, plan.requested, direction)  # a dirty app refuses even an empty plan
    if not plan:
        return RunResult(direction, plan, 0, 0)
    resume = settle_resume(connection, backend, state, plan, resume, executor.statements, _waiting(on_event))
    with bookkeeping_errors(backend, "creating or upgrading the bookkeeping tables"), connection.begin():
        backend.ensure_bookkeeping(connection, database.recorder)
    on_event(RunStarted(plan))
    clock = time.perf_counter()
    success = False
    try:
        executor.run(plan, resume)
        success = True
    except DBAPIError as error:  # the bookkeeping itself failed: no privilege, or the connection is gone
        denied = privilege_error(backend, error, "recording a migration")
        if denied is not None:
            raise denied from None
        reason = scrub(driver_message(error.orig or error), backend.engine.url.password)
        lost = database.fence.gone() if database.fence is not None else None
        if lost is not None:  # the lock's session went too (on PostgreSQL, the very same session)
            reason += f" ({lost})"
        raise ConnectionLost(backend.display_url, reason, executor.steps_done) from None
    finally:
        elapsed = int(round((time.perf_counter() - clock) * 1000))
        on_event(RunFinished(plan, executor.steps_done, elapsed, success))
    return RunResult(direction, plan, executor.steps_done, elapsed)
