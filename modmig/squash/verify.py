"""Prove a squash right before it is written: originals and squash on two scratch databases.

1. Scratch database A gets everything the range needs (other apps' migrations, the app's own
   earlier versions), then the original range. Scratch database B gets the same prerequisites,
   then the squash.
2. Their snapshots (``schema_compare``) must be equal: tables, columns, keys, constraints,
   indexes, views, triggers, and the rows the migrations inserted.
3. If the squash has a down section, B is downgraded through it and must be back to what it held
   before the squash ran (with no prerequisites: empty).

The scratch databases are SQLite in memory by default. With a server URL (``--verify-url
postgresql://...`` or ``mysql://...``) modmig creates two throwaway databases there and drops them
afterwards; all it needs from the server's backend is the ordinary ``Backend`` protocol.
"""

from __future__ import annotations

import secrets
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..run.backends.base import mask_url_text
from ..errors import DatabaseUnavailable, SquashNotVerified, UsageError
from ..model import Migration, Step

#: What the CLI shows for the default scratch database.
IN_MEMORY = "SQLite in memory"


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
    """Run ``migrations`` on a scratch database: their statements and Python steps, nothing else.

    No bookkeeping is written and everything runs in one transaction (a migration marked
    ``transaction off`` runs in autocommit, as it would for real): the scratch database only has
    to end up with what the migrations produce, and this keeps verifying 1,000 migrations fast.
    """
    from ..run.executor import MigrationContext, step_statements
    from ..files.pyfile import load_module

    with backend.engine.connect() as connection:
        for migration in migrations:
            step = Step(migration, direction)
            statement = None
            try:
                with _transaction(connection, migration.transaction):
                    if migration.kind == "python":
                        module = load_module(migration)
                        function = getattr(module, "upgrade" if direction == "up" else "downgrade")
                        function(MigrationContext(connection, backend.name, migration))
                    else:
                        for statement in step_statements(backend, step):
                            connection.exec_driver_sql(statement.text, execution_options={"no_parameters": True})
            except Exception as error:  # the migration's own code or SQL: any exception is its failure
                raise SquashNotVerified(squash.app, squash.name, _failure(what, migration, statement, error, backend)) from None
        if connection.in_transaction():
            connection.commit()


@contextmanager
def _transaction(connection, transactional: bool):
    if transactional:
        if not connection.in_transaction():
            connection.begin()
        yield
        return
    if connection.in_transaction():
        connection.commit()
    yield
    if connection.in_transaction():
        connection.commit()


def _failure(what: str, migration: Migration, statement, error: BaseException, backend) -> str:
    from sqlalchemy.exc import DBAPIError

    message = " ".join(str(error.orig if isinstance(error, DBAPIError) and error.orig is not None else error).split())
    where = f"{migration.path.name}:{statement.line}" if statement is not None else migration.path.name
    hint = ""
    if what != "the squash":
        hint = " (they must run on a fresh database for a squash of them to be verified)"
    text = f"{what} failed on the scratch database{hint}: {migration.label} at {where}: {message}"
    if statement is not None:
        text += f"\n  statement: {' '.join(statement.text.split())[:300]}"
    return text


@contextmanager
def scratch_database(url: str | None, base_dir: Path) -> Iterator:
    """A backend on an empty throwaway database, dropped afterwards."""
    from ..run.backends import open_backend

    if url is None:
        backend = open_backend("sqlite://", base_dir)
        try:
            yield backend
        finally:
            backend.dispose()
        return
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        server = make_url(url)
    except ArgumentError:
        raise DatabaseUnavailable(mask_url_text(url), "not a valid SQLAlchemy URL") from None
    kind = server.get_backend_name()
    if kind == "sqlite":
        if server.database not in (None, "", ":memory:"):
            raise UsageError("--verify-url: a SQLite scratch database is always in memory; pass 'sqlite://' or leave it out.")
        with scratch_database(None, base_dir) as backend:
            yield backend
        return
    if kind not in ("postgresql", "mysql", "mariadb"):
        raise UsageError(f"--verify-url: modmig cannot create a scratch database on {kind!r}; use PostgreSQL or MySQL/MariaDB.")
    from ..run.backends.throwaway import open_throwaway

    databases = open_throwaway(url, base_dir)
    name = f"modmig_verify_{secrets.token_hex(6)}"
    backend = None
    try:
        databases.create(name)
        try:
            backend = open_backend(databases.url(name), base_dir)
            yield backend
        finally:
            if backend is not None:
                backend.dispose()
            databases.drop(name)
    finally:
        databases.close()


def _lap(clock: float) -> float:
    return time.perf_counter() - clock
