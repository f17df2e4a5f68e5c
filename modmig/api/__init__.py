"""The public Python API: ``Project`` and its operations. The CLI is a thin layer over this.

    from modmig import Project
    project = Project.load("path/to/project")          # finds modmig.yaml upwards
    project.upgrade()                                  # every app -> RunResult
    for app in project.status().apps: print(app.app, app.version, app.pending)

A Project reads the files once (lazily) and opens its database only for operations that need it.
Every operation that writes takes the migration lock first and re-reads the database under it, so
concurrent deploys apply each migration once.

Embedding (docs/embedding.md): pass your own SQLAlchemy ``engine=`` or ``connection=`` instead of a
URL, and ``on_event=`` callbacks that hear about every run and step (``modmig.events``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping

from .. import config as config_module
from ..errors import ModmigError, UnknownApp, UsageError
from ..events import EventCallback, fan_out, ignore
from ..files.loader import AppHistory, load_apps
from ..model import DatabaseState, Plan, Step
from ..results import RunResult, StampResult
from ..run import migrate
from .authoring import AuthoringOperations

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from ..fleet import Fleet
    from ..run.adoption import AdoptionProposal
    from ..plan.graph import MigrationGraph
    from ..run.recorder import HistoryEntry
    from ..results import CheckReport, RepairResult, StatusReport
    from ..squash.merge import MergeResult


class Project(AuthoringOperations):
    """A configured project: its apps, their migration files, and one target database.

    The database is, in order of precedence: ``connection`` (an open SQLAlchemy Connection, used
    for everything and never closed by modmig), ``engine`` (an Engine whose pool modmig borrows
    connections from, never disposed by modmig), ``database`` (a URL), ``$MODMIG_DATABASE_URL``,
    or ``database:`` in modmig.yaml. Callbacks given as ``on_event`` hear every run of this
    project, in addition to the ``on_event`` of each call.
    """

    def __init__(
        self,
        config: config_module.ProjectConfig,
        *,
        database: str | None = None,
        engine: "Engine | None" = None,
        connection: "Connection | None" = None,
        environ: Mapping[str, str] | None = None,
        on_event: EventCallback | None = None,
        histories: dict[str, AppHistory] | None = None,
    ) -> None:
        super().__init__(config, database=database, engine=engine, connection=connection, environ=environ)
        #: Callbacks told about every run of this project (see ``modmig.events``).
        self.listeners: list[EventCallback] = [on_event] if on_event is not None else []
        #: ``histories``: the files already read, when the caller has them (the pytest plugin
        #: reads a project once for all its tests); otherwise read when first needed.
        self._histories: dict[str, AppHistory] | None = histories
        self._graph: MigrationGraph | None = None

    @classmethod
    def load(
        cls,
        path: "str | os.PathLike[str] | None" = None,
        *,
        database: str | None = None,
        engine: "Engine | None" = None,
        connection: "Connection | None" = None,
        on_event: EventCallback | None = None,
    ) -> "Project":
        """Load ``path`` (a modmig.yaml, or a folder to search upwards from; default: cwd)."""
        explicit = None
        start = None
        if path is not None:
            candidate = Path(path)
            if candidate.is_dir():
                start = candidate
            else:
                explicit = candidate
        config_path = config_module.find_config(start=start, explicit=explicit)
        return cls(
            config_module.load_config(config_path),
            database=database,
            engine=engine,
            connection=connection,
            on_event=on_event,
        )

    # -- files ---------------------------------------------------------------------------------

    @property
    def apps(self) -> list[str]:
        return sorted(self.config.apps)

    @property
    def histories(self) -> dict[str, AppHistory]:
        if self._histories is None:
            self._histories = load_apps(self.config.apps, self.config.path)
        return self._histories

    @property
    def graph(self) -> "MigrationGraph":
        if self._graph is None:
            from ..plan.graph import MigrationGraph

            self._graph = MigrationGraph(self.histories)
        return self._graph

    def forget_files(self) -> None:
        """Re-read the migration files next time (after squash, prune or merge changed them)."""
        self._histories = None
        self._graph = None

    def ignored_files(self) -> list[tuple[str, str]]:
        """Files in the apps' migrations folders that look like migrations but are not read as
        one, with why: ``[("apps/blog/migrations/0003.sql", "it has no name after the number ...")]``."""
        from ..errors import show_path

        return [(show_path(path), reason) for label in self.apps for path, reason in self.histories[label].ignored]

    def require_app(self, app: str) -> str:
        if app not in self.config.apps:
            raise UnknownApp(app, self.apps)
        return app

    def __enter__(self) -> "Project":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- operations ----------------------------------------------------------------------------

    def plan(
        self, app: str | None = None, *, to: int | None = None, by: int | None = None, steps: int | None = None
    ) -> Plan:
        """What ``upgrade`` would run now, in order. Reads the database, writes nothing."""
        from ..plan.planner import plan_upgrade

        if app is not None:
            self.require_app(app)
        state = migrate.current_state(self, self.graph)
        return plan_upgrade(self.graph, state, app, migrate.absolute_target(self.graph, state, app, to, by, steps, "up"))

    def plan_downgrade(self, app: str, *, to: int | None = None, by: int | None = None, steps: int | None = None) -> Plan:
        from ..plan.planner import plan_downgrade

        self.require_app(app)
        state = migrate.current_state(self, self.graph)
        target = migrate.absolute_target(self.graph, state, app, to, by, steps, "down")
        if target is None:
            raise UsageError("A downgrade needs a target: to=N, by=-K or steps=K.")
        return plan_downgrade(self.graph, state, app, target)

    def upgrade(
        self,
        app: str | None = None,
        *,
        to: int | None = None,
        by: int | None = None,
        steps: int | None = None,
        lock_timeout: float | None = None,
        on_event: EventCallback = ignore,
    ) -> RunResult:
        """Apply pending migrations of ``app`` (and what they need), or of every app if None.

        ``to`` is a version; ``by=K`` goes K versions above the app's current one; ``steps=K``
        applies the app's next K migration files (docs/cli.md, relative targets).
        """
        if app is not None:
            self.require_app(app)
        graph = self.graph
        on_event = fan_out([*self.listeners, on_event])
        return migrate.upgrade(self, graph, app, to=to, by=by, steps=steps, lock_timeout=lock_timeout, on_event=on_event)

    def downgrade(
        self,
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

        ``to`` is a version (0: everything); ``by=-K`` goes K versions below the app's current one;
        ``steps=K`` undoes the app's last K migration files. When other apps are affected, ``confirm(plan)``
        must return True (else ConfirmationRequired).
        """
        self.require_app(app)
        graph = self.graph
        on_event = fan_out([*self.listeners, on_event])
        return migrate.downgrade(
            self, graph, app, to=to, by=by, steps=steps, confirm=confirm, lock_timeout=lock_timeout, on_event=on_event
        )

    def stamp(
        self, app: str, version: int, *, lock_timeout: float | None = None, on_event: EventCallback = ignore,
        force: bool = False, from_user_version: bool = False,
    ) -> StampResult:
        """Record ``app`` at ``version`` without running anything.

        Refused (UsageError, nothing changed) unless ``force`` when the record would be
        inconsistent (an applied migration whose dependency is not), or, with
        ``from_user_version`` (the version was read from the database), lower than recorded.
        """
        from ..run.maintenance import stamp

        self.require_app(app)
        return stamp(
            self, self.graph, app, version, lock_timeout=lock_timeout, on_event=on_event,
            force=force, lower_needs_force=from_user_version,
        )

    def repair(
        self,
        app: str,
        *,
        applied: bool | None = None,
        renumbered: bool = False,
        statements_done: int | None = None,
        lock_timeout: float | None = None,
        on_event: EventCallback = ignore,
    ) -> "RepairResult":
        """Re-record edited checksums, resolve a dirty mark, or (``renumbered``) catch up after merge.

        A dirty mark is resolved by ``applied`` (all of the stopped migration took effect, or none)
        or ``statements_done=N`` (exactly its first N statements did: the next run resumes after them).
        """
        from ..run.maintenance import repair, repair_renumbered

        self.require_app(app)
        if applied is not None and statements_done is not None:
            raise UsageError("Give --applied / --not-applied or --statements-done N, not both.")
        if renumbered:
            if applied is not None or statements_done is not None:
                raise UsageError("--renumbered cannot be combined with --applied / --not-applied / --statements-done.")
            return repair_renumbered(self, self.graph, app, lock_timeout=lock_timeout, on_event=on_event)
        return repair(
            self, self.graph, app, applied=applied, statements_done=statements_done, lock_timeout=lock_timeout, on_event=on_event
        )

    def merge(self, app: str) -> "MergeResult":
        """Renumber ``app``'s migrations that share a version (parallel branches); see merge.py."""
        from ..squash.merge import merge

        self.require_app(app)
        try:
            return merge(self.config, app, self._state_or_none)
        finally:
            self.forget_files()

    def status(self, app: str | None = None, *, profile: bool = False) -> "StatusReport":
        """Where each app stands; with ``profile``, also the database's capability profile and the
        lock strategy a run takes there (``status -v``)."""
        from ..run.status import status

        if app is not None:
            self.require_app(app)
        return status(self, self.graph, app, profile)

    def check(self) -> "CheckReport":
        from ..run.status import check

        return check(self, self.graph)

    def fleet(self, name: str) -> "Fleet":
        """The fleet ``name`` of modmig.yaml: these migrations over many databases (docs/fleet.md).

        ``project.fleet("tenants").upgrade(parallel=8)`` returns a ``FleetRunResult`` with every
        target's outcome; ``status()``, ``check()``, ``plan()`` and ``downgrade()`` likewise.
        """
        from ..fleet import Fleet

        return Fleet(self.config, self.graph, name, environ=self._environ)

    def user_version(self) -> int:
        """SQLite's ``PRAGMA user_version`` of the database (for ``stamp --from-user-version``)."""
        from ..run.adoption import read_user_version

        return read_user_version(self)

    def adopt(self, tool: str, *, record: bool = False, lock_timeout: float | None = None) -> "AdoptionProposal":
        """Propose (or, with ``record=True``, record) stamps from Django's or Alembic's bookkeeping."""
        from ..run.adoption import adopt

        return adopt(self, self.graph, tool, record=record, lock_timeout=lock_timeout)

    def history(self, app: str | None = None, limit: int | None = None) -> "list[HistoryEntry]":
        with self.connect() as connection:
            return self.recorder.read_history(connection, app, limit)

    def step_sql(self, step: "Step") -> list[str] | None:
        """The statements a step would execute (None for a Python migration)."""
        if step.migration.kind != "sql":
            return None
        from ..run.executor import step_statements

        return [s.text for s in step_statements(self.backend, step)]

    def _state_or_none(self) -> DatabaseState | None:
        """The configured database's state, or None when there is none or it cannot be read.

        For file operations (merge) that only use the state to decide better, never to refuse.
        """
        try:
            return self.state_if_configured()
        except ModmigError:
            return None


def lint_rules() -> list[dict]:
    """Every lint rule's metadata (id, slug, level, databases, title, docs page), by id."""
    from ..lint.engine import RULES

    return [RULES[rule_id].info() for rule_id in sorted(RULES)]
