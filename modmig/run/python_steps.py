"""Run a Python migration's ``upgrade(ctx)`` / ``downgrade(ctx)`` and hold it to its contract.

The contract (docs/file-formats.md): the function runs inside the transaction modmig opened for
it, and modmig commits it together with the version bump and the history row. A migration that
commits, rolls back or closes ``ctx.connection`` itself would break that: a commit makes its
work permanent while the version table still says it did not run. So while the function runs,
those methods of ``ctx.connection`` raise ``ContractBroken`` instead of acting, and the migration
fails like any other (rolled back, a ``failed`` history row, exit 1).

Whose job: this module calls user code; the executor decides what a failure means. Anything the
function raises, ``BaseException`` included (``sys.exit()``, Ctrl-C), reaches the executor
unchanged.

May import: ``modmig.files``, ``modmig.model``. Must not import the executor.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..files.pyfile import load_module
from ..model import Migration, Step

_RAW = {"no_parameters": True}

#: What a migration in a transaction must not call on ``ctx.connection``, and why.
_IN_TRANSACTION = {
    "commit": "modmig commits each migration itself, together with its version bump and history row",
    "rollback": "raise an exception instead: modmig then rolls the migration back and records it failed",
    "begin": "the migration already runs inside modmig's transaction (begin_nested() gives a savepoint)",
    "close": "the connection belongs to modmig, which goes on to record the migration",
}
# (invalidate() is not guarded: SQLAlchemy calls it itself when the connection breaks.)
#: With ``transaction = False`` the migration may commit (the connection is in autocommit).
_WITHOUT_TRANSACTION = {name: why for name, why in _IN_TRANSACTION.items() if name == "close"}


class ContractBroken(Exception):
    """A Python migration called something on ``ctx.connection`` that would break the bookkeeping."""


class MigrationContext:
    """What a Python migration's ``upgrade(ctx)`` / ``downgrade(ctx)`` receives."""

    def __init__(self, connection: Connection, dialect: str, migration: Migration) -> None:
        #: The SQLAlchemy Connection, inside the migration's transaction (do not commit it).
        self.connection = connection
        #: "sqlite", "postgresql" or "mysql".
        self.dialect = dialect
        self.app = migration.app
        self.version = migration.version

    def execute(self, sql: str, params: Any = None):
        """Run one statement. With ``params``, ``:name`` placeholders are bound (SQLAlchemy text)."""
        if params is None:
            return self.connection.exec_driver_sql(sql, execution_options=_RAW)
        return self.connection.execute(text(sql), params)


def call_python(step: Step, connection: Connection, dialect: str) -> None:
    """Import the migration's file and call its function for ``step``'s direction, guarded."""
    migration = step.migration
    module = load_module(migration)
    function = getattr(module, "upgrade" if step.direction == "up" else "downgrade")
    with guarded(connection, migration.transaction):
        function(MigrationContext(connection, dialect, migration))


@contextmanager
def guarded(connection: Connection, in_transaction: bool) -> Iterator[None]:
    """Make the forbidden methods of ``connection`` raise ``ContractBroken`` while the block runs.

    The methods are shadowed on this one Connection object (instance attributes), so
    ``ctx.connection`` stays a real SQLAlchemy Connection for libraries that check its type.
    """
    forbidden = _IN_TRANSACTION if in_transaction else _WITHOUT_TRANSACTION
    for name, why in forbidden.items():
        setattr(connection, name, _refusal(name, why))
    try:
        yield
    finally:
        for name in forbidden:
            connection.__dict__.pop(name, None)


def _refusal(name: str, why: str):
    def refuse(*args: object, **kwargs: object) -> None:
        raise ContractBroken(
            f"the migration called ctx.connection.{name}(), which a migration must not do: {why}. "
            f"Nothing was {'committed' if name == 'commit' else 'changed by that call'}."
        )

    return refuse
