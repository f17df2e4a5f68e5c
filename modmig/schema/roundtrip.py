"""``modmig check --roundtrip``: prove, on a scratch database, that every down undoes its up.

Walking the graph's order from an empty database, each migration is applied, then undone, then
applied again; the schema is compared after each move. A down that leaves a column behind, drops
the wrong index or fails outright is reported as the first migration whose down does not undo its
up, with what differs. Irreversible migrations are applied and skipped (they have no down to
check). The project's own database is never touched: the check runs on a temporary SQLite file,
or on an *empty* database the caller names.

The schema is compared as SQLAlchemy's inspector sees it (tables, columns and their types,
primary and foreign keys, indexes, unique and check constraints, views) plus, on SQLite, triggers.
Data is not compared: a data migration's down may rightly leave rows changed.
"""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator

from ..errors import Irreversible, MigrationFailed, UnknownApp, UsageError
from ..run import migrate
from ..run.database import ProjectDatabase
from ..run.bookkeeping_rows import BOOKKEEPING_TABLES

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from ..config import ProjectConfig
    from ..model import Migration
    from ..plan.graph import MigrationGraph

Snapshot = dict[str, Any]
_BOOKKEEPING = BOOKKEEPING_TABLES


@dataclass
class RoundtripFailure:
    """The first migration whose down did not undo its up."""

    migration: str
    #: "down" (the down failed or left the schema different), "up again" (re-applying failed or
    #: differed), or, for a squash checked after its originals, "up" (it failed, or its schema is
    #: not the originals').
    stage: str
    #: What differs, one line per object ("table blog_post: column 'slug' is left behind"), or the error.
    differences: list[str]


@dataclass
class RoundtripReport:
    database: str
    #: Migrations whose down undid their up, in the order they were checked.
    checked: list[str] = field(default_factory=list)
    #: Irreversible migrations (no down section): applied, not checked.
    irreversible: list[str] = field(default_factory=list)
    failure: RoundtripFailure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    def describe(self) -> str:
        """The report as a person reads it: OK, or the first migration whose down does not undo its up.

        The CLI prints it and the pytest plugin fails a test with it, so both say the same.
        """
        skipped = f" ({len(self.irreversible)} irreversible, not checked: {', '.join(self.irreversible)})" if self.irreversible else ""
        failure = self.failure
        if failure is None:
            return f"OK on {self.database}: the down of each of {len(self.checked)} migration(s) undoes its up{skipped}."
        what = {
            "down": "its down does not undo its up",
            "up again": "it cannot be applied again after its down",
            "up": "applied in place of the originals it replaces, it does not do what they do",
        }[failure.stage]
        lines = [f"Round-trip failed at {failure.migration}: {what}:"]
        lines.extend(f"  - {line}" for line in failure.differences)
        lines.append(f"({len(self.checked)} migration(s) before it round-trip correctly{skipped}.)")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        failure = self.failure
        return {
            "ok": self.ok,
            "database": self.database,
            "checked": self.checked,
            "irreversible": self.irreversible,
            "failure": None
            if failure is None
            else {"migration": failure.migration, "stage": failure.stage, "differences": failure.differences},
        }


def check_roundtrip(
    config: "ProjectConfig", graph: "MigrationGraph", scratch: str | None = None, only: str | None = None,
    server: str | None = None,
) -> RoundtripReport:
    """Up, down, up again for every migration (or just ``only``, e.g. ``"blog:0003"``) in graph order.

    ``config`` and ``graph`` are the project's (its files were read once already); the moves run on
    the scratch database only: ``scratch`` (an empty database), else a throwaway database created
    on ``server`` (the project's database server, so the check runs on the SQL dialect it is
    about), else a temporary SQLite file.
    """
    wanted = _resolve(graph, only) if only is not None else None
    with _scratch_url(scratch, server, config.root) as url:
        trial = _Trial(ProjectDatabase(config, database=url, environ={}), graph)
        try:
            _require_empty(trial, url)
            report = RoundtripReport(database=_where(trial.backend.display_url, scratch, server))
            for key in graph.order:
                migration = graph.nodes[key]
                app, version = migration.app, migration.version
                if wanted is not None and key != wanted:
                    trial.upgrade(app, to=version)
                    continue
                if _version(trial, app) >= version:
                    # A squash whose originals just ran: its check starts by undoing them.
                    failure = _check_squash(trial, migration, report)
                else:
                    failure = _check_file(trial, migration, report)
                if failure is not None:
                    report.failure = failure
                    return report
                if wanted is not None:
                    break
            return report
        finally:
            trial.database.close()


class _Trial:
    """The scratch database and the project's graph: the moves a round-trip check makes."""

    def __init__(self, database: ProjectDatabase, graph: "MigrationGraph") -> None:
        self.database = database
        self.graph = graph

    @property
    def backend(self):
        return self.database.backend

    def upgrade(self, app: str, *, to: int) -> None:
        migrate.upgrade(self.database, self.graph, app, to=to)

    def downgrade(self, app: str, *, to: int) -> None:
        migrate.downgrade(self.database, self.graph, app, to=to)

    def connect(self):
        return self.database.connect()

    def read_state(self, connection: "Connection"):
        return self.database.read_state(connection)


def _check_file(trial: _Trial, migration: "Migration", report: RoundtripReport) -> RoundtripFailure | None:
    """Up, down, up again: the files before it in the graph's order are applied, it is not."""
    app, version = migration.app, migration.version
    before = _snapshot(trial)
    trial.upgrade(app, to=version)
    after = _snapshot(trial)
    if not migration.reversible:
        report.irreversible.append(migration.label)
        return None
    failure = _down_and_up(trial, migration.label, app, migration.first_version - 1, version, before, after)
    if failure is None:
        report.checked.append(migration.label)
    return failure


def _check_squash(trial: _Trial, squash: "Migration", report: RoundtripReport) -> RoundtripFailure | None:
    """A squash beside its originals, which the graph's order has just applied.

    The originals are undone one version at a time (so their own downs run, not the squash's),
    then the squash is applied: it must give the schema the originals gave. Then down and up
    again through the squash, like any file. An irreversible squash is listed, not checked.
    """
    app, below, version = squash.app, squash.first_version - 1, squash.version
    if not squash.reversible:
        report.irreversible.append(squash.label)
        return None
    by_originals = _snapshot(trial)
    try:
        _undo_one_by_one(trial, app, version, below)
    except MigrationFailed as error:
        return RoundtripFailure(squash.label, "down", [f"undoing the originals it replaces failed: {error.error}"])
    before = _snapshot(trial)
    try:
        trial.upgrade(app, to=version)
    except MigrationFailed as error:
        return RoundtripFailure(squash.label, "up", [f"it failed: {error.error}"])
    after = _snapshot(trial)
    differences = compare(by_originals, after)
    if differences:
        return RoundtripFailure(squash.label, "up", [f"not what the originals it replaces give: {line}" for line in differences])
    failure = _down_and_up(trial, squash.label, app, below, version, before, after)
    if failure is None:
        report.checked.append(squash.label)
    return failure


def _undo_one_by_one(trial: _Trial, app: str, start: int, below: int) -> None:
    """Down from ``start`` to ``below`` through the originals (one version per step forces them).

    If an original has no down, the only way below is the squash's own down section.
    """
    try:
        for target in range(start - 1, below - 1, -1):
            trial.downgrade(app, to=target)
    except Irreversible:
        trial.downgrade(app, to=below)


def _down_and_up(trial: _Trial, label: str, app: str, below: int, version: int, before: Snapshot, after: Snapshot) -> RoundtripFailure | None:
    try:
        trial.downgrade(app, to=below)
    except MigrationFailed as error:
        return RoundtripFailure(label, "down", [f"the down failed: {error.error}"])
    differences = compare(before, _snapshot(trial))
    if differences:
        return RoundtripFailure(label, "down", differences)
    try:
        trial.upgrade(app, to=version)
    except MigrationFailed as error:
        return RoundtripFailure(label, "up again", [f"applying it again after its down failed: {error.error}"])
    differences = compare(after, _snapshot(trial))
    if differences:
        return RoundtripFailure(label, "up again", differences)
    return None


def _version(trial: _Trial, app: str) -> int:
    with trial.connect() as connection:
        return trial.read_state(connection).version(app)


def _resolve(graph: "MigrationGraph", label: str) -> tuple:
    """The graph key of ``blog:0003``, ``blog:0003_add_tags`` or ``blog:0001_squashed_0004``."""
    app, _, number = label.partition(":")
    if app not in graph.histories:
        raise UnknownApp(app, sorted(graph.histories))
    history = graph.histories[app]
    named = [m for m in (*history.migrations, *history.squashes) if m.name == number]
    if named:
        return named[0].key
    try:
        version = int(number.split("_", 1)[0])
    except ValueError:
        raise UsageError(f"{label!r} is not a migration: write it as app:NNNN, e.g. blog:0003.") from None
    if (app, version) not in graph:
        raise UsageError(f"{app} has no migration {version:04d}.")
    return app, version


def _where(display_url: str, scratch: str | None, server: str | None) -> str:
    """Where the check ran, as the report names it."""
    if scratch is not None:
        return display_url
    if server is not None:
        return f"{display_url} (a scratch database modmig created on the configured server, and dropped)"
    return "a temporary SQLite file"


@contextmanager
def _scratch_url(scratch: str | None, server: str | None, base_dir) -> Iterator[str]:
    if scratch is not None:
        yield scratch
        return
    if server is not None:
        from .scratch import scratch_database

        with scratch_database(server, base_dir, option="check --roundtrip") as backend:
            yield backend.engine.url.render_as_string(hide_password=False)
        return
    with tempfile.TemporaryDirectory(prefix="modmig-roundtrip-") as folder:
        yield f"sqlite:///{folder}/scratch.db"


def _require_empty(trial: _Trial, url: str) -> None:
    with trial.connect() as connection:
        found = _user_objects(connection)
    if found:
        listed = ", ".join(sorted(found)[:8]) + (" ..." if len(found) > 8 else "")
        raise UsageError(
            f"The scratch database {trial.backend.display_url} is not empty ({listed}). The round-trip "
            f"check applies and undoes every migration in it, so give it an empty database."
        )


def _user_objects(connection: "Connection") -> list[str]:
    from sqlalchemy import inspect

    inspector = inspect(connection)
    return [n for n in inspector.get_table_names() + inspector.get_view_names() if n not in _BOOKKEEPING]


def _snapshot(trial: _Trial) -> Snapshot:
    with trial.connect() as connection:
        return snapshot(connection)


def snapshot(connection: "Connection") -> Snapshot:
    """The schema of the database as comparable data (bookkeeping tables left out)."""
    from sqlalchemy import inspect, text

    inspector = inspect(connection)
    found: Snapshot = {}
    for table in sorted(inspector.get_table_names()):
        if table in _BOOKKEEPING:
            continue
        found[f"table {table}"] = {
            "columns": [
                (c["name"], str(c["type"]), bool(c["nullable"]), None if c.get("default") is None else str(c["default"]))
                for c in inspector.get_columns(table)
            ],
            "primary key": list(inspector.get_pk_constraint(table).get("constrained_columns") or []),
            "foreign keys": sorted(
                (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
                for fk in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (ix["name"] or "", tuple(str(c) for c in ix["column_names"]), bool(ix["unique"]))
                for ix in inspector.get_indexes(table)
            ),
            "unique constraints": sorted(tuple(uc["column_names"]) for uc in inspector.get_unique_constraints(table)),
            "check constraints": sorted(_flat(ck["sqltext"]) for ck in _checks(inspector, table)),
        }
    for view in sorted(inspector.get_view_names()):
        found[f"view {view}"] = {"definition": _flat(inspector.get_view_definition(view) or "")}
    if connection.dialect.name == "sqlite":
        rows = connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"))
        for name, sql in rows:
            found[f"trigger {name}"] = {"definition": _flat(sql or "")}
    if connection.in_transaction():
        connection.rollback()
    return found


def compare(expected: Snapshot, actual: Snapshot) -> list[str]:
    """What differs between two snapshots, one readable line per difference."""
    differences = []
    for name in sorted(set(expected) | set(actual)):
        if name not in actual:
            differences.append(f"{name} is missing")
        elif name not in expected:
            differences.append(f"{name} is left behind")
        else:
            for aspect in expected[name]:
                if expected[name][aspect] != actual[name].get(aspect):
                    differences.append(f"{name}: {aspect} differ: expected {expected[name][aspect]}, found {actual[name].get(aspect)}")
    return differences


def _checks(inspector: Any, table: str) -> list[dict]:
    try:
        return list(inspector.get_check_constraints(table))
    except NotImplementedError:
        return []


def _flat(sql: str) -> str:
    return " ".join(str(sql).split())
