"""The operations of a ``Project`` that write or judge migration *files* rather than run them:
squash and prune, new files, ownership, makemigrations, drift, the roundtrip check and lint.

A mixin of ``modmig.api.Project`` (kept apart so each module stays one job): it relies on the
project's ``config``, ``graph``, ``histories``, ``require_app``, ``forget_files``, ``dialect``,
``server_url`` and ``connect``. Each method is a thin call into its subsystem, imported on use so
that a command never pays for the others.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from .. import config as config_module
from ..errors import UsageError
from ..model import DatabaseState
from ..run.database import ProjectDatabase

if TYPE_CHECKING:
    from ..files.loader import AppHistory
    from ..plan.graph import MigrationGraph
    from ..lint.report import LintReport
    from ..schema.drift import DriftReport
    from ..schema.makemigrations import AskRename, ConfirmDestructive
    from ..schema.makemigrations_results import MakemigrationsResult
    from ..schema.ownership import OwnershipReport
    from ..schema.roundtrip import RoundtripReport
    from ..squash.collapse import PruneResult, SquashResult


class AuthoringOperations(ProjectDatabase):
    """Project operations over the migration files (see the module docstring)."""

    if TYPE_CHECKING:  # what ``Project`` provides
        @property
        def apps(self) -> list[str]: ...

        @property
        def graph(self) -> MigrationGraph: ...

        @property
        def histories(self) -> dict[str, AppHistory]: ...

        def require_app(self, app: str) -> str: ...

        def forget_files(self) -> None: ...

    def check_roundtrip(self, scratch: str | None = None) -> "RoundtripReport":
        """On a scratch database, check that every migration's down undoes its up (``check --roundtrip``).

        ``scratch`` is the URL of an empty database that may be filled and emptied. Without it, the
        check runs where the project's database is: on a PostgreSQL or MySQL server, in a
        throwaway database modmig creates there (and drops); on SQLite (or with no database
        configured), in a temporary SQLite file. The project's own database is never touched.
        """
        from ..schema.roundtrip import check_roundtrip

        server = None
        if scratch is None and self._engine is None and self.dialect() != "sqlite":
            server, _ = config_module.choose_database_url(self.config, self._database, self._environ)
        return check_roundtrip(self.config, self.graph, scratch, server=server)

    def owners(
        self, app: str | None = None, *, scratch: str | None = None, cache: bool = True, refresh: bool = False
    ) -> "OwnershipReport":
        """Which app's migration created each schema object, and which migrations changed it since.

        Read from the migration files (``modmig.schema.ownership``; docs/ownership.md); the
        project's database is never read. Python migrations are replayed on a scratch database of
        the project's dialect: SQLite in memory, or a throwaway database created (and dropped) on
        the server ``scratch`` names, by default the configured database's server (when that one
        cannot be used, they are left opaque and the report says why; a ``scratch`` that cannot
        be used is an error). The map is
        cached in ``.modmig/`` beside modmig.yaml: ``cache=False`` neither reads nor writes it,
        ``refresh=True`` rebuilds and rewrites it.
        """
        from ..schema.ownership import OwnershipReport, build_ownership, cache_path

        if app is not None:
            self.require_app(app)
        dialect = self.dialect()
        named = scratch is not None
        if not named and dialect != "sqlite":
            scratch = self.server_url()
        owners = build_ownership(
            self.graph, dialect, cache=cache_path(self.config.root, dialect) if cache else None, refresh=refresh,
            replay_url=scratch, replay_optional=not named, base_dir=self.config.root,
        )
        return OwnershipReport(owners, app)

    def makemigrations(
        self,
        apps: "list[str] | None" = None,
        *,
        name: str | None = None,
        dialect: str | None = None,
        scratch: str | None = None,
        python: bool = False,
        dry_run: bool = False,
        check: bool = False,
        allow_destructive: bool = False,
        renames: "list[str] | tuple[str, ...]" = (),
        confirm: "ConfirmDestructive | None" = None,
        ask_rename: "AskRename | None" = None,
    ) -> "MakemigrationsResult":
        """Compare each app's models with the schema its migrations build; write its next migration.

        ``apps``: default every app that names its models in modmig.yaml. The migrations, and the
        new file before it is written, run on a scratch database of ``dialect`` (default: the
        project's): SQLite in memory, or a throwaway database on ``scratch`` (default: the
        configured database's server). ``check=True`` writes nothing (``result.changed`` says
        whether they differ); ``dry_run=True`` generates and verifies without writing. See
        docs/autogenerate.md.
        """
        from ..schema.makemigrations import makemigrations
        from ..schema.ownership import build_ownership, cache_path

        wanted = [self.require_app(app) for app in apps] if apps else [a for a in self.apps if self.config.apps[a].models]
        if not wanted:
            raise UsageError("No app names its models in modmig.yaml: write one as {path: apps/blog, models: blog.models}.")
        if name is not None and len(wanted) > 1:
            raise UsageError("--name names one file: give one app with it.")
        self._ensure_migration_folders(wanted)
        chosen, scratch_url = self._scratch_for(dialect, scratch)
        owners = build_ownership(
            self.graph, chosen, cache=cache_path(self.config.root, chosen), replay_url=scratch_url,
            replay_optional=False, base_dir=self.config.root,
        )
        mode = "check" if check else "dry-run" if dry_run else "write"
        try:
            return makemigrations(
                self.config, self.graph, owners, wanted, scratch_url=scratch_url, base_dir=self.config.root, mode=mode,
                name=name, python=python, allow_destructive=allow_destructive, confirm=confirm, renames=renames,
                ask_rename=ask_rename,
            )
        finally:
            self.forget_files()

    def drift(self, *, scratch: str | None = None) -> "DriftReport":
        """Compare the live database with the schema its recorded versions should produce.

        The expected schema comes from replaying the migrations each app has recorded on a scratch
        database (SQLite in memory, or a throwaway database on ``scratch``, by default the
        configured database's server). Every difference names the app owning the object;
        objects no app owns are listed; ``drift: {ignore: [...]}`` in modmig.yaml leaves tables
        other tools own alone. See docs/autogenerate.md.
        """
        from ..schema.drift import drift

        _, scratch_url = self._scratch_for(None, scratch)
        with self.connect() as connection:
            state = self.read_state(connection)
        owners = self.owners(scratch=scratch_url).map
        return drift(
            self, self.graph, state, owners, scratch_url=scratch_url, base_dir=self.config.root, ignore=self.config.drift_ignore
        )

    def squash(
        self,
        app: str,
        *,
        first: int | None = None,
        last: int | None = None,
        auto: bool = False,
        verify: bool = True,
        verify_url: str | None = None,
    ) -> "SquashResult":
        """Write versions first..last of ``app`` (default: all) as one verified squash file.

        Returns a ``SquashResult``; raises ``SquashCycle`` (exit 2) if the squash would close a
        dependency cycle (``auto=True`` shortens the range instead) and ``SquashNotVerified``
        (exit 1, nothing written) if it does not do exactly what the originals do.
        """
        from ..squash.collapse import squash

        self.require_app(app)
        result = squash(
            self.histories, app, first=first, last=last, auto=auto, verify=verify, verify_url=verify_url,
            dialect=self.dialect(verify_url), scratch_base=self.config.root,
        )
        self.forget_files()
        return result

    def prune(self, app: str) -> "PruneResult":
        """Delete the files ``app``'s squash replaces, unless the database is inside its range."""
        from ..squash.collapse import prune

        self.require_app(app)
        result = prune(self.histories[app], self.state_if_configured)
        self.forget_files()
        return result

    def lint(
        self, apps: "Sequence[str]" = (), *, everything: bool = False, base: str | None = None, dialect: str | None = None
    ) -> "LintReport":
        """Lint ``apps``' migrations (every app's by default): the ones the database has not applied
        yet, or every one (``everything``), or those added or changed since the git ref ``base``.

        ``dialect`` (``postgresql``, ``mysql``, ``sqlite``) overrides ``lint.dialect`` in modmig.yaml
        and the configured database's. Returns a ``LintReport``; ``report.ok`` is False when a
        finding at error level remains. See docs/lint.md.
        """
        from ..lint.project import lint_project

        for app in apps:
            self.require_app(app)
        return lint_project(
            self.config, self.graph, tuple(apps), everything=everything, base=base, dialect=dialect,
            state=self._pending_state, database_dialect=self.dialect,
        )

    def new_migration(self, app: str, slug: str, *, python: bool = False) -> Path:
        from ..files.scaffold import new_migration

        self.require_app(app)
        return new_migration(self.config.apps[app], slug, python=python, config_path=self.config.path)

    def _scratch_for(self, dialect: str | None, scratch: str | None) -> tuple[str, str | None]:
        """The dialect to compare in, and the server for its scratch database (None: SQLite in memory)."""
        chosen = {"mariadb": "mysql"}.get(dialect or "", dialect) or self.dialect()
        if chosen not in ("sqlite", "postgresql", "mysql"):
            raise UsageError(f"--dialect {chosen!r}: choose sqlite, postgresql or mysql.")
        if scratch is not None:
            if self.dialect(scratch) != chosen:
                raise UsageError(f"--scratch {self.dialect(scratch)} server for the {chosen} dialect: give a {chosen} server.")
            return chosen, scratch
        if chosen == "sqlite":
            return chosen, None
        if self.dialect() == chosen:
            return chosen, self.server_url()
        raise UsageError(
            f"--dialect {chosen} needs --scratch URL: a {chosen} server where modmig may create (and drop) a "
            f"throwaway database to replay the migrations on."
        )

    def _ensure_migration_folders(self, apps: list[str]) -> None:
        """An app with models and a folder but no migrations/ yet gets an empty one (its first file is next)."""
        from ..files.loader import MIGRATIONS_FOLDER

        for app in apps:
            folder = self.config.apps[app].folder
            if folder is not None and folder.is_dir() and not (folder / MIGRATIONS_FOLDER).exists():
                (folder / MIGRATIONS_FOLDER).mkdir()
                self.forget_files()

    def _pending_state(self) -> DatabaseState:
        """The state that decides which migrations are pending (for ``lint``); a usage error when
        no database is configured to ask."""
        state = self.state_if_configured()
        if state is None:
            raise UsageError(
                "modmig lint lints the migrations the database has not applied, and no database is "
                "configured: pass --all (every migration), --base GIT_REF (those changed since), or --database URL."
            )
        return state

