"""Errors from the bookkeeping that mean "this account may not": named, not shown as tracebacks.

A role without CREATE on PostgreSQL's ``public`` schema (the default since PostgreSQL 15), or a
MySQL account with SELECT only, fails the first time modmig creates or writes its bookkeeping
tables. ``bookkeeping_errors`` turns such a database error into ``InsufficientPrivilege`` (exit 2):
which privilege is missing, on which database (password masked), and the GRANT that gives it.
Which error means a missing privilege is each backend's knowledge (``Backend.privilege_hint``).
Other database errors pass through unchanged.

May import: ``modmig.errors``; backends are passed in.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from ..errors import InsufficientPrivilege


@contextmanager
def bookkeeping_errors(backend, doing: str) -> Iterator[None]:
    """Raise InsufficientPrivilege for a privilege error while ``doing`` (e.g. "creating the bookkeeping tables")."""
    from sqlalchemy.exc import DBAPIError

    try:
        yield
    except DBAPIError as error:
        raise privilege_error(backend, error, doing) or error


def privilege_error(backend, error: BaseException, doing: str) -> "InsufficientPrivilege | None":
    """The InsufficientPrivilege ``error`` amounts to, or None when it is about something else."""
    from .backends.base import driver_message

    hint = backend.privilege_hint(error)
    if hint is None:
        return None
    reason = driver_message(getattr(error, "orig", None) or error)
    return InsufficientPrivilege(backend.display_url, doing, reason, hint)
