"""Read a database's bookkeeping through its DB-API driver alone, for the commands that only look.

``status``, ``plan``, ``lint`` and a no-op ``upgrade`` need two small tables and nothing else, yet
importing SQLAlchemy (0.14-0.2 s) and building an engine was most of their run time on a small
project (issue 15: ``status`` under 0.2 s, a no-op upgrade at 1,000 migrations faster than yoyo).
Here ``sqlite3``, psycopg or PyMySQL reads ``_schema_versions`` and the recording rows of
``_schema_history`` directly, and ``bookkeeping_rows.state_from_rows`` turns them into the same
``DatabaseState`` ``Recorder.read_state`` builds (a conformance test compares the two on every
backend, dirty marks and tables of an earlier release included).

This reader reports nothing of its own but a timeout. Whatever it does not handle the plain way
returns None and the caller takes the SQLAlchemy path, which reports errors as always: a URL with
query options, another driver, characters it would have to quote, an embedding program's engine, a
SQLite file in a folder that does not exist, a driver that is not installed, any driver error. A
connection that timed out is the exception: it is reported here (as the SQLAlchemy path words it),
because asking again would make the user wait twice. A SQLite file that does not exist yet is a
database nothing migrated: read here as such, so a look no longer creates an empty file (the first
``upgrade`` does).
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from ..model import DatabaseState
from .backends.base import CONNECT_TIMEOUT
from .bookkeeping_rows import HISTORY_TABLE, RECORDING_DIRECTIONS, VERSIONS_TABLE, state_from_rows

_URL = re.compile(r"(?P<scheme>[a-z]+)(?:\+(?P<driver>[a-z0-9_]+))?://(?P<rest>.*)\Z", re.DOTALL)
_SERVER = re.compile(
    r"(?:(?P<user>[^:/@]*)(?::(?P<password>[^@]*))?@)?(?P<host>[A-Za-z0-9_.-]*)(?::(?P<port>[0-9]+))?/(?P<database>[A-Za-z0-9_.$-]+)\Z"
)
#: What a name or path may hold to be shown exactly as SQLAlchemy shows it (nothing to quote).
_PLAIN = re.compile(r"[A-Za-z0-9_./-]*\Z")
#: Drivers read here, per URL scheme (no driver named: the one modmig installs).
_DRIVERS = {"sqlite": ("pysqlite",), "postgresql": ("psycopg",), "mysql": ("pymysql",), "mariadb": ("pymysql",)}


@dataclass(frozen=True)
class PlainUrl:
    """A database URL this reader can open without SQLAlchemy, and how SQLAlchemy would show it."""

    kind: str  # "sqlite", "postgresql" or "mysql"
    display_url: str
    path: Path | None = None  # SQLite
    user: str | None = None
    password: str | None = None
    host: str | None = None
    port: int | None = None
    database: str | None = None


def parse_plain_url(url: str, base_dir: Path) -> PlainUrl | None:
    """``url`` understood without SQLAlchemy, or None when it needs SQLAlchemy's full parser.

    The display URL is what the backends show (``URL.render_as_string(hide_password=True)``, the
    driver filled in, a relative SQLite path made absolute): tests compare the two.
    """
    found = _URL.match(url.strip())
    if found is None or "?" in url:
        return None
    scheme, driver, rest = found.group("scheme"), found.group("driver"), found.group("rest")
    if scheme not in _DRIVERS or (driver is not None and driver not in _DRIVERS[scheme]):
        return None
    if scheme == "sqlite":
        database = rest[1:] if rest.startswith("/") else None
        if not database or database == ":memory:" or not _PLAIN.match(database):
            return None
        path = Path(database)
        path = path if path.is_absolute() else (base_dir / path).resolve()
        if not _PLAIN.match(str(path)):
            return None
        return PlainUrl("sqlite", f"{scheme}{'+' + driver if driver else ''}:///{path}", path=path)
    server = _SERVER.match(rest)
    if server is None:
        return None
    user, password = server.group("user"), server.group("password")
    if user is not None and not _PLAIN.match(user):
        return None
    host, port = server.group("host") or None, server.group("port")
    credentials = "" if user is None else user + (":***" if password is not None else "") + "@"
    where = (host or "") + (f":{port}" if port else "")
    display = f"{scheme}+{driver or _DRIVERS[scheme][0]}://{credentials}{where}/{server.group('database')}"
    return PlainUrl(
        "mysql" if scheme == "mariadb" else scheme, display, user=user,
        password=unquote(password) if password is not None else None, host=host,
        port=int(port) if port else None, database=server.group("database"),
    )


def read_state_directly(location: PlainUrl, schema: str | None = None) -> DatabaseState | None:
    """The bookkeeping state of ``location``, or None when the SQLAlchemy path must read it."""
    if location.kind == "sqlite" and location.path is not None and not location.path.exists():
        # Nothing migrated it yet. A look creates no file (the first upgrade does); a missing
        # folder is reported on the SQLAlchemy path.
        return DatabaseState(initialised=False) if location.path.parent.is_dir() else None
    if location.kind != "postgresql" and schema:
        return None  # refused with its reason on the SQLAlchemy path
    started = time.monotonic()
    try:
        connection = _connect(location)
    except Exception as error:  # not installed, refused, no such database: the SQLAlchemy path says which
        if time.monotonic() - started >= CONNECT_TIMEOUT * 0.9:
            # It timed out (a host that drops packets): asking again would make the user wait twice.
            from ..errors import DatabaseUnavailable
            from .backends.base import driver_message, scrub

            raise DatabaseUnavailable(location.display_url, scrub(driver_message(error), location.password)) from None
        return None
    try:
        return _read(connection, location.kind, schema)
    except Exception:  # any driver error: the SQLAlchemy path reads again and reports it
        return None
    finally:
        connection.close()


def _connect(location: PlainUrl):
    if location.kind == "sqlite":
        import sqlite3

        # read-only: a look never writes, and never creates a file
        return sqlite3.connect(f"file:{location.path}?mode=ro", uri=True, isolation_level=None)
    given = {key: value for key, value in (("user", location.user), ("password", location.password),
                                            ("host", location.host), ("port", location.port)) if value is not None}
    if location.kind == "postgresql":
        import psycopg

        return psycopg.connect(
            dbname=location.database, autocommit=True, prepare_threshold=None, connect_timeout=CONNECT_TIMEOUT,
            application_name=f"modmig (pid {os.getpid()}) reading state", **given,
        )
    import pymysql

    given.setdefault("host", "localhost")
    # PyMySQL's connect_timeout ends at the TCP handshake; read_timeout also bounds the server's
    # greeting (and these few reads), so a port that accepts and never answers cannot hang a look.
    return pymysql.connect(
        database=location.database, autocommit=True, connect_timeout=CONNECT_TIMEOUT, read_timeout=CONNECT_TIMEOUT,
        charset="utf8mb4", **given,
    )


def _read(connection, kind: str, schema: str | None) -> DatabaseState | None:
    cursor = connection.cursor()
    try:
        versions, history = (_qualified(kind, schema, table) for table in (VERSIONS_TABLE, HISTORY_TABLE))
        if not _has_table(cursor, kind, schema):
            return DatabaseState(initialised=False)
        cursor.execute(f"SELECT * FROM {versions}")
        names = [column[0].lower() for column in cursor.description]
        version_rows = [dict(zip(names, row)) for row in cursor.fetchall()]
        cursor.execute(f"SELECT * FROM {history} WHERE 1 = 0")
        parts = "up_checksum" in {column[0].lower() for column in cursor.description}
        cursor.fetchall()
        succeeded = "success" if kind == "postgresql" else "success = 1"
        directions = ", ".join(f"'{direction}'" for direction in RECORDING_DIRECTIONS)
        cursor.execute(
            f"SELECT app, version, checksum, name{', up_checksum, down_checksum' if parts else ''} FROM {history} "
            f"WHERE {succeeded} AND direction IN ({directions}) AND checksum IS NOT NULL ORDER BY id"
        )
        return state_from_rows(version_rows, cursor.fetchall())
    finally:
        cursor.close()


def _has_table(cursor, kind: str, schema: str | None) -> bool:
    if kind == "sqlite":
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (VERSIONS_TABLE,))
    elif kind == "postgresql":
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (_qualified(kind, schema, VERSIONS_TABLE),))
        return bool(cursor.fetchone()[0])
    else:
        cursor.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = %s", (VERSIONS_TABLE,)
        )
    return cursor.fetchone() is not None


def _qualified(kind: str, schema: str | None, table: str) -> str:
    quote = "`" if kind == "mysql" else '"'
    name = f"{quote}{table}{quote}"
    return f'"{schema.replace(chr(34), chr(34) * 2)}".{name}' if schema else name
