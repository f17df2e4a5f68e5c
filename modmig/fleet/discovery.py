"""Which targets a fleet has right now: found at run time, so new tenants join the next run.

A pattern fleet asks its server once (``schemas``: the PostgreSQL catalog; ``databases``: MySQL's
``information_schema``) for every name *and* whether it already has the bookkeeping tables, so
the state reader knows which targets to read without asking each one. ``files`` globs the disk;
``urls`` and ``url_file`` are taken as listed (a listed database that does not exist is reported
as gone when it is read, not here). Targets are sorted by name, so every run, on every runner
machine, walks them in the same order.
"""

from __future__ import annotations

import fnmatch
import glob
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from ..errors import ConfigError, DatabaseUnavailable
from ..run.backends.base import mask_url_text
from ..run.bookkeeping_rows import ADDED_COLUMNS, HISTORY_TABLE, VERSIONS_TABLE
from .spec import FleetSpec, read_url_file

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, URL

    from .servers import Servers

#: Schemas and databases that are never tenants.
_SYSTEM = {
    "postgresql": ("pg_*", "information_schema"),
    "mysql": ("mysql", "information_schema", "performance_schema", "sys"),
}
_ADDED = ", ".join(f"'{column}'" for columns in ADDED_COLUMNS.values() for column in columns)
#: Files beside a SQLite database that a glob may also match.
_SQLITE_COMPANIONS = (".modmig-lock", "-journal", "-wal", "-shm")

#: Every schema; then each bookkeeping table, with the columns later releases added that it has.
_PG_CATALOG = """
SELECT n.nspname, NULL, NULL FROM pg_namespace AS n
UNION ALL
SELECT n.nspname, c.relname, a.attname FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attname IN (%(added)s) AND NOT a.attisdropped
WHERE c.relname IN (%(versions)s, %(history)s) AND c.relkind IN ('r', 'p')
"""
_MYSQL_CATALOG = """
SELECT SCHEMA_NAME, NULL, NULL FROM information_schema.SCHEMATA
UNION ALL
SELECT TABLE_SCHEMA, TABLE_NAME, CASE WHEN COLUMN_NAME = 'app' THEN NULL ELSE COLUMN_NAME END
FROM information_schema.COLUMNS WHERE TABLE_NAME IN (%(versions)s, %(history)s) AND COLUMN_NAME IN ('app', %(added)s)
"""


@dataclass(frozen=True)
class Target:
    """One database (or PostgreSQL schema) of a fleet, with its own bookkeeping and lock."""

    #: How reports name it: the schema, the database, the file (relative to modmig.yaml) or the
    #: URL with its password masked.
    name: str
    #: "postgresql", "mysql" or "sqlite".
    kind: str
    #: The URL to connect with. It may hold a password: never print it, print ``display_url``.
    url: str = field(repr=False)
    display_url: str
    #: The PostgreSQL schema of a ``schemas`` fleet's target.
    schema: str | None = None
    #: The database of a MySQL target (a ``databases`` fleet's, or a listed URL's).
    database: str | None = None
    #: True for a target of a ``schemas`` / ``databases`` / ``files`` fleet (found by pattern).
    by_pattern: bool = False


@dataclass(frozen=True)
class Bookkeeping:
    """What a target's bookkeeping tables are like, as the catalog says."""

    #: Both tables exist.
    ready: bool
    #: The columns later releases added (``bookkeeping_rows.ADDED_COLUMNS``) that the tables have.
    columns: frozenset = frozenset()


@dataclass
class Discovery:
    targets: list[Target]
    #: Per target name, its bookkeeping tables, where discovery already knows.
    bookkeeping: dict[str, Bookkeeping] = field(default_factory=dict)


def discover(spec: FleetSpec, servers: "Servers", environ: Mapping[str, str]) -> Discovery:
    """The fleet's targets now, sorted by name, without the excluded ones."""
    if spec.kind == "schemas":
        found = _schemas(spec, servers)
    elif spec.kind == "databases":
        found = _databases(spec, servers)
    elif spec.kind == "files":
        found = _files(spec)
    else:
        found = _listed(spec, environ)
    found.targets = sorted(
        (t for t in found.targets if not any(fnmatch.fnmatchcase(t.name, p) for p in spec.exclude)),
        key=lambda t: t.name,
    )
    return found


def catalog(connection: "Connection", kind: str) -> dict[str, Bookkeeping]:
    """Every schema (PostgreSQL) or database (MySQL) of the server, and its bookkeeping tables.

    One query: the names, the bookkeeping tables and their added columns together.
    """
    sql = (_PG_CATALOG if kind == "postgresql" else _MYSQL_CATALOG) % {
        "versions": f"'{VERSIONS_TABLE}'", "history": f"'{HISTORY_TABLE}'", "added": _ADDED,
    }
    names: dict[str, tuple[set, set]] = {}
    for name, table, column in connection.exec_driver_sql(sql):
        tables, columns = names.setdefault(name, (set(), set()))
        if table is not None:
            tables.add(table)
        if column is not None:
            columns.add(column)
    system = _SYSTEM[kind]
    return {
        name: Bookkeeping({VERSIONS_TABLE, HISTORY_TABLE} <= tables, frozenset(columns))
        for name, (tables, columns) in names.items()
        if not any(fnmatch.fnmatchcase(name, pattern) for pattern in system)
    }


def _schemas(spec: FleetSpec, servers: "Servers") -> Discovery:
    url = _parse(spec.url or "", spec)
    if url.get_backend_name() != "postgresql":
        raise ConfigError(
            f"fleet {spec.name!r}: 'schemas:' needs a PostgreSQL database, not {url.get_backend_name()} "
            f"({_masked(url)}); for MySQL/MariaDB use 'databases:'.", spec.config_path,
        )
    shown = _masked(url)
    probe = Target(name=shown, kind="postgresql", url=spec.url or "", display_url=shown)
    with servers.connection(probe) as connection:
        schemas = catalog(connection, "postgresql")
    chosen = {name: found for name, found in schemas.items() if fnmatch.fnmatchcase(name, spec.pattern or "")}
    targets = [
        Target(name=name, kind="postgresql", url=spec.url or "", display_url=f"{shown} (schema {name})", schema=name, by_pattern=True)
        for name in chosen
    ]
    return Discovery(targets, chosen)


def _databases(spec: FleetSpec, servers: "Servers") -> Discovery:
    url = _parse(spec.url or "", spec)
    if url.get_backend_name() not in ("mysql", "mariadb"):
        raise ConfigError(
            f"fleet {spec.name!r}: 'databases:' is for MySQL/MariaDB servers, not {url.get_backend_name()} "
            f"({_masked(url)}); for PostgreSQL use 'schemas:' or list the database URLs under 'urls:'.",
            spec.config_path,
        )
    server_url = url._replace(database=None)
    probe = Target(name=_masked(server_url), kind="mysql", url=server_url.render_as_string(hide_password=False), display_url=_masked(server_url))
    with servers.connection(probe) as connection:
        databases = catalog(connection, "mysql")
    chosen = {name: found for name, found in databases.items() if fnmatch.fnmatchcase(name, spec.pattern or "")}
    targets = [_mysql_target(server_url.set(database=name), name, by_pattern=True) for name in chosen]
    return Discovery(targets, chosen)


def _files(spec: FleetSpec) -> Discovery:
    targets = []
    for found in sorted(glob.glob(str(spec.root / (spec.pattern or "")))):
        path = Path(found).resolve()
        if not path.is_file() or found.endswith(_SQLITE_COMPANIONS):
            continue
        try:
            name = path.relative_to(spec.root.resolve()).as_posix()
        except ValueError:
            name = str(path)
        url = f"sqlite:///{path}"
        targets.append(Target(name=name, kind="sqlite", url=url, display_url=url, by_pattern=True))
    return Discovery(targets)


def _listed(spec: FleetSpec, environ: Mapping[str, str]) -> Discovery:
    if spec.kind == "urls":
        listed = [(None, url) for url in spec.urls]
        where = spec.config_path
    else:
        where = spec.url_file or spec.root
        listed = read_url_file(where, environ)
    targets: dict[str, Target] = {}
    for line, text in listed:
        target = _listed_target(text, spec, where, line)
        if target.name in targets:
            raise ConfigError(f"fleet {spec.name!r} lists {target.name} twice", where, line)
        targets[target.name] = target
    return Discovery(list(targets.values()))


def _listed_target(text: str, spec: FleetSpec, where: Path | None, line: int | None) -> Target:
    try:
        url = _parse(text, spec)
    except DatabaseUnavailable as error:
        raise ConfigError(f"fleet {spec.name!r}: {error.message}", where, line) from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:"):
            raise ConfigError(f"fleet {spec.name!r}: an in-memory SQLite database cannot be a fleet target", where, line)
        path = Path(database)
        path = (path if path.is_absolute() else spec.root / path).resolve()
        shown = f"sqlite:///{path}"
        return Target(name=shown, kind="sqlite", url=shown, display_url=shown)
    if backend in ("mysql", "mariadb"):
        if not url.database:
            raise ConfigError(f"fleet {spec.name!r}: {_masked(url)} names no database", where, line)
        return _mysql_target(url, url.database)
    if backend == "postgresql":
        shown = _masked(url)
        return Target(name=shown, kind="postgresql", url=text, display_url=shown)
    raise ConfigError(f"fleet {spec.name!r}: modmig has no backend for {backend!r} ({_masked(url)})", where, line)


def _mysql_target(url: "URL", database: str, by_pattern: bool = False) -> Target:
    shown = _masked(url)
    return Target(
        name=database if by_pattern else shown, kind="mysql", url=url.render_as_string(hide_password=False),
        display_url=shown, database=database, by_pattern=by_pattern,
    )


def _parse(text: str, spec: FleetSpec) -> "URL":
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(text)
    except ArgumentError:
        raise DatabaseUnavailable(mask_url_text(text), "not a valid SQLAlchemy URL") from None


def _masked(url: "URL") -> str:
    return url.render_as_string(hide_password=True)
