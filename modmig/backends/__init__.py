"""Choose and create the backend for a database URL (called only by ``modmig.api``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DatabaseUnavailable
from .base import Backend, mask_url_text

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

SUPPORTED = {"sqlite": "sqlite:///path/to/app.db"}


def open_backend(url: str | None, base_dir: Path, engine: "Engine | None" = None, **options) -> Backend:
    """A backend for ``url`` (or for ``engine``); relative SQLite paths resolve against base_dir."""
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
    if kind == "sqlite":
        from .sqlite import SqliteBackend

        return SqliteBackend(parsed, base_dir, engine=engine)
    raise DatabaseUnavailable(
        parsed.render_as_string(hide_password=True),
        f"modmig has no backend for {kind!r}; supported: {', '.join(sorted(SUPPORTED))}",
    )


__all__ = ["Backend", "open_backend"]
