"""The one small protocol every database backend implements, and what backends share.

A backend owns everything that differs between databases: how an engine is made, whether DDL is
transactional, how the cross-process migration lock is taken, how a script is split into
statements and how the bookkeeping tables are created. Nothing above this package branches on the
database's name. Backends are created only by ``modmig.api`` (through ``open_backend``).
"""

from __future__ import annotations

import functools
import os
import re
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Callable, Protocol

from ...errors import DatabaseUnavailable

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from ..recorder import Recorder
    from ...files.splitter import Statement
    from ...model import Step
    from .fence import Fence
    from .profile import Profile

#: Called while waiting for the lock: (who holds it, if the database can tell; seconds waited).
WaitCallback = Callable[["str | None", float], None]

#: Seconds to wait for a server to answer before saying it cannot be reached.
CONNECT_TIMEOUT = 10


class Backend(Protocol):
    #: "sqlite", "postgresql", "mysql": for messages and for ``ctx.dialect``.
    name: str
    #: The URL with its password masked; the only form of it ever printed.
    display_url: str
    engine: "Engine"
    #: True when DDL can be rolled back, so a whole migration is one transaction.
    transactional_ddl: bool

    def lock(self, timeout: float, on_wait: WaitCallback, connection: "Connection | None" = None) -> AbstractContextManager["Fence"]:
        """Hold the project-wide migration lock; raise LockTimeout after ``timeout`` seconds.

        ``connection`` is the one the run will migrate on: PostgreSQL's advisory lock is held by
        its session; the other locks live on a connection (or lease) of their own.
        Yields the lock's fence: the executor asks it, before committing each step, whether the
        lock still holds (``fence.py``). Session lock or lease, as ``profile()`` says."""

    def profile(self) -> "Profile":
        """What this database, as deployed, guarantees, and which lock is taken (``profile.py``)."""

    def refuse_step(self, step: "Step") -> "str | None":
        """Why ``step`` cannot run on this database's topology (before anything runs), or None."""

    def split(self, script: str, first_line: int = 1) -> "list[Statement]":
        """The statements of ``script`` as this database's client would split them."""

    def ensure_bookkeeping(self, connection: "Connection", recorder: "Recorder") -> None:
        """Create the bookkeeping tables (and schema) if missing, in the caller's transaction."""

    def prepare_transaction(self, connection: "Connection") -> None:
        """Per-migration session settings (timeouts...): run first in each migration's transaction,
        or before each statement of a ``transaction off`` migration."""

    def explain_failure(self, error: BaseException) -> "str | None":
        """A hint to add to a failed statement's message (e.g. which configured timeout ran out)."""

    def privilege_hint(self, error: BaseException) -> "str | None":
        """For an error saying the account lacks a privilege: which one, on which database, and the
        GRANT that gives it; None for any other error."""

    def borrow(self, connection: "Connection") -> AbstractContextManager[None]:
        """Adjust a caller's connection for modmig while modmig uses it, and undo it afterwards
        (embedding: modmig never changes a caller's engine for good)."""

    def dispose(self) -> None:
        """Close every connection this backend opened."""

    def session_id(self, connection: "Connection") -> "str | None":
        """The server's id of the session behind ``connection``, where a statement can outlive its
        client (MySQL: the connection id); None where it cannot."""


def open_connection(engine: "Engine", display_url: str) -> "Connection":
    """A connection from ``engine``; DatabaseUnavailable (password masked) if the server refuses."""
    from sqlalchemy.exc import DBAPIError

    try:
        return engine.connect()
    except DBAPIError as error:
        raise DatabaseUnavailable(display_url, scrub(driver_message(error.orig), engine.url.password)) from None


def driver_message(error: BaseException, keep_lines: bool = False) -> str:
    """A driver exception as one readable line: PyMySQL's ``(1146, "Table ...")`` becomes
    ``Table ... (error 1146)``; others as they print.

    With ``keep_lines``, a message of several lines keeps them (PostgreSQL's ``LINE 1: ...`` and
    the caret under the culprit only make sense line by line); each line loses trailing blanks.
    """
    args = getattr(error, "args", ())
    if len(args) == 2 and isinstance(args[0], int) and isinstance(args[1], str):
        return f"{' '.join(args[1].split())} (error {args[0]})"
    if keep_lines:
        lines = [line.rstrip() for line in str(error).strip("\n").splitlines()]
        text = "\n".join(line for line in lines if line.strip())
        return text or type(error).__name__
    return " ".join(str(error).split()) or type(error).__name__


def scrub(message: str, password: "str | None") -> str:
    """A driver's message on one line with the password removed, should the driver echo it."""
    text = " ".join(message.split())
    return text.replace(str(password), "***") if password else text


def who_am_i() -> str:
    """``user@host (pid N)``: recorded in history and shown to processes waiting for the lock."""
    return f"{executed_by()} (pid {os.getpid()})"


@functools.cache
def executed_by() -> str:
    """``user@host`` for the history rows. Asked once per process: without ``$USER`` set (CI
    containers) the user comes from the password database, a file read per call, which a fleet
    made once per target. ``socket`` and ``getpass`` load here: the commands that only look
    (``status``, a no-op ``upgrade``) import this module but never ask."""
    import socket

    return f"{_user()}@{socket.gethostname()}"


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


_PASSWORD_IN_URL = re.compile(r"(://[^:/@]*:)([^@]*)(@)")


def mask_url_text(url: str) -> str:
    """Hide the password in a URL that may not even parse."""
    return _PASSWORD_IN_URL.sub(r"\1***\3", url)
