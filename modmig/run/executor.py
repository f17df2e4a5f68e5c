"""Run a plan, one step at a time, so the version table never lies about the database.

How a step runs depends on what the database can undo:

* *atomic* (a transactional migration on a database with transactional DDL): the whole script,
  the version bump and the history row in one transaction. A failure rolls all of it back.
* *per statement* (a database whose DDL commits implicitly, e.g. MySQL): each statement runs with
  a progress counter in ``_schema_versions``; the app is *dirty* until the last one succeeds.
* *autocommit* (``transaction off``): each statement on its own, the progress counter after it.

A dirty migration is resumed from the first statement that did not succeed, provided the
statements that did are unchanged (their checksum was recorded). The executor runs what the
planner decided; it never chooses steps and never takes the lock (the api does both), but it
asks the lock's fence (``backends/fence.py``) before every commit whether the lock still holds:
inside the step's transaction where it is atomic (a fenced step rolls back), before each
statement and each bookkeeping write where it is not. A lost lock ends the run (``LockLost``).
"""

from __future__ import annotations

import time
import traceback
from contextlib import contextmanager
from typing import Iterator, Mapping

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from .backends.base import driver_message
from .backends.fence import Fence
from ..files.checksum import checksum_of_statements, part_checksums
from ..errors import Interrupted, LockLost, MigrationFailed, MigrationFileError, RunInterrupted
from ..events import EventCallback, StepFailed, StepFinished, StepStarted
from ..plan.graph import MigrationGraph
from ..model import DatabaseState, DirtyMark, Key, Migration, Plan, Step
from . import direct, dirty, preflight
from .interrupts import SignalGuard
from .python_steps import MigrationContext, call_python
from .recorder import Recorder, utcnow
from ..plan.routes import applied_route
from ..files.splitter import ScriptError, Statement

_RAW = {"no_parameters": True}
#: A step with more statements than this runs them on the driver's cursor (``direct``). Every
#: step does: a 1,000-migration upgrade is 1,000 steps of one statement (issue 15).
_DIRECT_FROM = 0
__all__ = ["Executor", "MigrationContext", "step_statements"]


def step_statements(backend, step: Step) -> list[Statement]:
    """The statements of a SQL step, split the way ``backend``'s database needs.

    Raises MigrationFileError (file:line) when the script cannot be split for this database.
    """
    migration = step.migration
    try:
        if step.direction == "up":
            return backend.split(migration.sql_up, migration.up_line)
        return backend.split(migration.sql_down or "", migration.down_line)
    except ScriptError as error:
        raise MigrationFileError(migration.path, error.message, error.line) from None


class _StatementFailed(Exception):
    """A step stopped: ``error`` is what stopped it (the database's, the migration's, a signal)."""

    def __init__(self, statement: Statement | None, error: BaseException) -> None:
        self.statement, self.error = statement, error
        #: How many statements of the step succeeded before it (per-statement runs only).
        self.done = 0


class Executor:
    def __init__(
        self,
        backend,
        recorder: Recorder,
        connection: Connection,
        graph: MigrationGraph,
        executed_by: str,
        on_event: EventCallback,
        recorded_names: Mapping[Key, str] | None = None,
        fence: Fence | None = None,
    ) -> None:
        self.backend, self.recorder, self.connection = backend, recorder, connection
        #: The held lock's fence: verified before each commit (a no-op ``Fence`` without a lock).
        self.fence = fence or Fence()
        self.graph, self.executed_by, self.on_event = graph, executed_by, on_event
        #: What the history table says ran for each version (``DatabaseState.names``): after a
        #: down step, the version row names the file that really left the app there (a squash or
        #: its original).
        self.recorded_names: Mapping[Key, str] = recorded_names or {}
        #: Steps completed so far by ``run`` (still meaningful after it raised).
        self.steps_done = 0
        self._split: dict[tuple[str, str], list[Statement]] = {}
        self.signals = SignalGuard()
        self._last_session: str | None = None

    # -- before running ------------------------------------------------------------------------

    def resume_points(self, plan: Plan, state: DatabaseState, requested: tuple[str, ...] = (), direction: str = "up") -> dict[str, int]:
        """For each dirty app in ``plan`` (or requested), where its interrupted step resumes;
        DirtyState when this run cannot resume it (``dirty.resume_points``)."""
        return dirty.resume_points(plan, state, self.statements, requested, direction)

    def statements(self, step: Step) -> list[Statement]:
        key = (step.label, step.direction)
        if key not in self._split:
            self._split[key] = step_statements(self.backend, step)
        return self._split[key]

    # -- running -------------------------------------------------------------------------------

    def run(self, plan: Plan, resume: dict[str, int]) -> int:
        """Run every step of ``plan``; returns how many ran. Raises MigrationFailed on the first failure.

        A signal (SIGINT, SIGTERM) ends the current step the safe way (``interrupts``): the step
        fails with ``MigrationFailed.interrupted`` set. One that arrives between steps stops the run
        before the next step (``RunInterrupted``).
        """
        preflight.check_plan(plan, self.statements, resume, self.backend.refuse_step)
        total = len(plan.steps)
        with self.signals:
            try:
                for index, step in enumerate(plan.steps, start=1):
                    self.signals.check()
                    self.fence.check()
                    self._run_one(step, index, total, resume.pop(step.migration.app, 0))
            except KeyboardInterrupt as error:  # between steps: every finished step is recorded
                interrupt = error if isinstance(error, Interrupted) else Interrupted(2)
                raise RunInterrupted(interrupt, self.steps_done, total) from None
            except LockLost as lost:
                raise LockLost(lost.reason, self.steps_done, plan.steps[self.steps_done].label) from None
        return self.steps_done

    def _run_one(self, step: Step, index: int, total: int, skip: int) -> None:
        self.on_event(StepStarted(step, index, total, skip))
        started, clock = utcnow(), time.perf_counter()
        try:
            self._run_step(step, started, clock, skip)
        except (_StatementFailed, KeyboardInterrupt) as stopped:
            failure = stopped if isinstance(stopped, _StatementFailed) else _StatementFailed(None, stopped)
            lost = self.fence.gone()
            if lost is not None and not isinstance(failure.error, KeyboardInterrupt):  # the lock's session ended
                if isinstance(failure.error, DBAPIError):  # run_plan reports the broken connection
                    raise failure.error from None
                raise LockLost(lost) from None
            elapsed = _ms(clock)
            self.on_event(StepFailed(step, index, total, elapsed, self._message(failure.error)))
            with self.signals.deferred("recording the failure"):
                # an interrupt that cut off the lock's own session: no history row without the lock
                error = self._failed(step, failure, started, elapsed, record=lost is None)
            self.signals.pending = None  # the run stops here anyway
            raise error from None
        self.steps_done += 1
        self.on_event(StepFinished(step, index, total, _ms(clock)))

    def _run_step(self, step: Step, started, clock: float, skip: int) -> None:
        migration = step.migration
        atomic = migration.transaction and self.backend.transactional_ddl
        if atomic:  # a signal may stop it anywhere: the transaction rolls back
            with self.connection.begin():
                self.backend.prepare_transaction(self.connection)
                self._run_body(step, self.connection)
                self._record_success(step, started, clock)
            return
        if migration.kind == "python":  # no progress to keep: a signal stops it at once
            self._mark(step, None, [])  # verifies the fence too (_write_mark)
            self._run_python_unprotected(step)
            with self.connection.begin():
                self._record_success(step, started, clock)
            return
        # statement by statement: a signal waits for the running statement and its progress counter
        with self.signals.deferred(f"the running statement of {step.label}"):
            self._run_statements_tracked(step, skip, per_statement_transaction=migration.transaction)
            with self.connection.begin():
                self._record_success(step, started, clock)

    def _run_body(self, step: Step, connection: Connection) -> None:
        if step.migration.kind == "python":
            self._call_python(step, connection)
            return
        statements = self.statements(step)
        execute = direct.runner(connection) if len(statements) > _DIRECT_FROM else None
        if execute is None:
            for statement in statements:
                self._execute(connection, statement)
            return
        for statement in statements:  # the driver's cursor: the same transaction, less overhead
            try:
                execute(statement.text)
            except BaseException as error:
                raise _StatementFailed(statement, error) from error

    def _run_statements_tracked(self, step: Step, skip: int, per_statement_transaction: bool) -> None:
        statements = self.statements(step)
        self._mark(step, skip, statements)
        for done in range(skip, len(statements)):
            statement = statements[done]
            try:
                self.signals.check()  # a signal during the previous statement: stop before this one
            except Interrupted as interrupt:
                failure = _StatementFailed(None, interrupt)
                failure.done = done
                self._mark(step, done, statements, failure)
                raise failure from None
            try:
                if per_statement_transaction:
                    with self.connection.begin():  # alone: no lease row lock held while the statement runs
                        self.fence.verify(self.connection, alone=True)
                    with self.connection.begin():
                        self.backend.prepare_transaction(self.connection)
                        self._execute(self.connection, statement)
                        self._write_mark(step, done + 1, statements)
                    continue
                with self._autocommit() as connection:
                    self.backend.prepare_transaction(connection)
                    self.fence.verify(connection, alone=True)
                    self._execute(connection, statement)
            except _StatementFailed as failure:
                failure.done = done
                self._mark(step, done, statements, failure)
                raise
            self._mark(step, done + 1, statements)

    def _run_python_unprotected(self, step: Step) -> None:
        """A Python migration without an atomic transaction: dirty (progress unknown) while it runs."""
        try:
            if step.migration.transaction:
                with self.connection.begin():
                    self.backend.prepare_transaction(self.connection)
                    self._call_python(step, self.connection)
            else:
                with self._autocommit() as connection:
                    self.backend.prepare_transaction(connection)
                    self._call_python(step, connection)
        except _StatementFailed as failure:
            self._mark(step, None, [], failure)
            raise

    def _call_python(self, step: Step, connection: Connection) -> None:
        try:
            call_python(step, connection, self.backend.name)
        except BaseException as error:  # the migration's own code: anything it raises is its failure
            raise _StatementFailed(None, error) from error

    def _execute(self, connection: Connection, statement: Statement) -> None:
        try:
            connection.exec_driver_sql(statement.text, execution_options=_RAW)
        except BaseException as error:  # the database's error, or a signal while it ran
            raise _StatementFailed(statement, error) from error

    # -- bookkeeping ---------------------------------------------------------------------------

    def _record_success(self, step: Step, started, clock: float) -> None:
        self.fence.verify(self.connection)  # in the step's transaction: a lost lock rolls it back
        migration = step.migration
        if step.direction == "up":
            version, name, checksum = migration.version, migration.name, migration.checksum
        else:
            version = migration.first_version - 1
            ran = applied_route(self.graph.histories[migration.app], version, self.recorded_names)
            below = ran[-1] if ran else None
            name, checksum = (below.name, below.checksum) if below else (None, None)
        self.recorder.set_version(self.connection, migration.app, version, name, checksum)
        self._history(step, started, _ms(clock), success=True)

    def _history(self, step: Step, started, elapsed: int, success: bool, error: str | None = None) -> None:
        migration = step.migration
        self.recorder.add_history(
            self.connection,
            app=migration.app,
            version=migration.version,
            name=migration.name,
            checksum=migration.checksum,
            direction=step.direction,
            started_at=started,
            duration_ms=elapsed,
            success=success,
            executed_by=self.executed_by,
            error=error,
            part_checksums=part_checksums(migration),
        )

    def _mark(self, step: Step, done: int | None, statements: list[Statement], failure: _StatementFailed | None = None) -> None:
        if failure is not None:
            self._reset_connection()
        with self.connection.begin():
            self._write_mark(step, done, statements, failure)

    def _write_mark(self, step: Step, done: int | None, statements: list[Statement], failure: _StatementFailed | None = None) -> None:
        self.fence.verify(self.connection)
        migration = step.migration
        current = migration.first_version - 1 if step.direction == "up" else migration.version
        mark = DirtyMark(
            app=migration.app,
            version=migration.version,
            name=migration.name,
            direction=step.direction,
            statements_done=done,
            prefix_checksum=None if done is None else checksum_of_statements([s.text for s in statements[:done]]),
            failed_statement=failure.statement.text if failure and failure.statement else None,
            error=self._message(failure.error) if failure else None,
            session=self._session_of(failure),
        )
        self.recorder.mark_dirty(self.connection, mark, current)

    def _session_of(self, failure: _StatementFailed | None) -> str | None:
        """The session that runs the step's statements: after a failure, the one that ran the
        failed statement (the connection may have been replaced since)."""
        if failure is None:
            self._last_session = self.backend.session_id(self.connection)
        return self._last_session

    def _reset_connection(self) -> None:
        """After a failure: end the failed transaction; a connection a signal cut off reconnects."""
        if self.connection.in_transaction() or self.connection.invalidated:
            self.connection.rollback()

    def _message(self, error: BaseException) -> str:
        """The database's message, with the backend's explanation (e.g. which timeout ran out)."""
        message = _describe(error)
        hint = self.backend.explain_failure(error) or self.backend.privilege_hint(error)
        return f"{message} ({hint})" if hint else message

    @contextmanager
    def _autocommit(self) -> Iterator[Connection]:
        """The run's connection switched to autocommit for the duration of a ``with`` block."""
        connection = self.connection
        if connection.in_transaction():
            connection.commit()
        try:
            yield connection.execution_options(isolation_level="AUTOCOMMIT")
        finally:
            if connection.in_transaction():
                connection.commit()
            connection.execution_options(isolation_level=connection.default_isolation_level)

    def _failed(self, step: Step, failure: _StatementFailed, started, elapsed: int, record: bool = True) -> MigrationFailed:
        message = self._message(failure.error)
        if record:
            self._reset_connection()
            with self.connection.begin():
                self.fence.verify(self.connection)  # a run that lost its lock records nothing more
                self._history(step, started, elapsed, success=False, error=message)
        migration = step.migration
        statement = failure.statement
        line = statement.line if statement else _python_line(failure.error, migration)
        atomic = migration.transaction and self.backend.transactional_ddl
        if atomic:
            why = None
        elif not migration.transaction:
            why = "it runs with 'transaction off'"
        else:
            why = f"{self.backend.name} commits DDL implicitly"
        return MigrationFailed(
            migration.app,
            migration.version,
            migration.path,
            message,
            statement=statement.text if statement else None,
            line=line,
            rolled_back=atomic,
            direction=step.direction,
            stays_at=migration.first_version - 1 if step.direction == "up" else migration.version,
            not_rolled_back_because=why,
            statements_done=failure.done if migration.kind == "sql" else None,
            interrupted=failure.error if isinstance(failure.error, Interrupted) else _as_interrupt(failure.error),
            first_version=migration.first_version,
        )


def _describe(error: BaseException) -> str:
    if isinstance(error, DBAPIError) and error.orig is not None:
        return driver_message(error.orig, keep_lines=True)
    if isinstance(error, KeyboardInterrupt):
        interrupt = error if isinstance(error, Interrupted) else Interrupted(2)
        return f"interrupted by {interrupt.signal_name}"
    if isinstance(error, SystemExit):
        return f"the migration called sys.exit({error.code!r}); a migration ends by returning or raising, not by exiting"
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _as_interrupt(error: BaseException) -> Interrupted | None:
    """A plain KeyboardInterrupt (Python's own Ctrl-C handler) is SIGINT."""
    return Interrupted(2) if isinstance(error, KeyboardInterrupt) else None


def _python_line(error: BaseException, migration: Migration) -> int | None:
    """The line of the migration file where a Python migration raised (innermost frame)."""
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == str(migration.path):
            line = frame.lineno
    return line


def _ms(clock: float) -> int:
    return int(round((time.perf_counter() - clock) * 1000))
