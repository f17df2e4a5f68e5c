"""Choose and create the backend for a database URL (called by ``ProjectDatabase`` and scratch databases)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import ConfigError, DatabaseUnavailable
from .base import Backend, mask_url_text

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from .profile import LockSettings

#: URL schemes modmig has a backend for, with an example of each.
SUPPORTED = {
    "sqlite": "sqlite:///path/to/app.db",
    "postgresql": "postgresql+psycopg://user:password@host:5432/dbname",
    "mysql": "mysql+pymysql://user:password@host:3306/dbname",
    "mariadb": "mariadb+pymysql://user:password@host:3306/dbname",
}


def open_backend(
    url: str | None,
    base_dir: Path,
    engine: "Engine | None" = None,
    *,
    schema: str | None = None,
    timeouts: dict[str, float] | None = None,
    lock_settings: "LockSettings | None" = None,
) -> Backend:
    """A backend for ``url`` (or for ``engine``); relative SQLite paths resolve against base_dir.

    ``schema``, ``timeouts`` and ``lock_settings`` (topology, lock, lease) come from modmig.yaml; a
    backend refuses options it cannot honour.
    """
    from .profile import LockSettings, check_topology

    lock_settings = lock_settings or LockSettings()
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if engine is not None:
        parsed = engine.url
    else:
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise DatabaseUnavailable(
                mask_url_text(str(url)),
                "not a valid SQLAlchemy URL (expected e.g. sqlite:///app.db or "
                "postgresql+psycopg://user@host/db)",
            ) from None
    kind = parsed.get_backend_name()
    check_topology({"mariadb": "mysql"}.get(kind, kind), lock_settings)
    if kind == "postgresql":
        from .postgresql import PostgresBackend

        return PostgresBackend(parsed, engine=engine, schema=schema, timeouts=timeouts, lock_settings=lock_settings)
    if kind in ("mysql", "mariadb"):
        from .mysql import MysqlBackend

        return MysqlBackend(parsed, engine=engine, schema=schema, timeouts=timeouts, lock_settings=lock_settings)
    if kind == "sqlite":
        from .sqlite import SqliteBackend

        if schema:
            raise ConfigError(
                f"'schema: {schema}' is a PostgreSQL option; SQLite has one schema per database file."
            )
        return SqliteBackend(parsed, base_dir, engine=engine, lock_settings=lock_settings)
    raise DatabaseUnavailable(
        parsed.render_as_string(hide_password=True),
        f"modmig has no backend for {kind!r}; supported: "
        + ", ".join(f"{name} ({example})" for name, example in SUPPORTED.items()),
    )


__all__ = ["Backend", "open_backend"]
