"""The fence: how a run proves, before it commits each step, that it still holds the migration lock.

A lock held by the very session that migrates (PostgreSQL's advisory lock, ``SessionFence``)
cannot be lost while that session commits: if the server ends the session, the lock and the
step's transaction end together, and the fence only has to notice that the run's connection is no
longer that session. A lock held by another connection than the one that migrates can be lost
while the run goes on: a lease runs out while the holder is paused, the server kills the session
holding ``GET_LOCK`` (``KILL``, ``wait_timeout``). Whoever waits then takes the lock and runs the
same migrations. So every lock hands the executor a ``Fence``:

* ``check()`` costs nothing: it raises ``LockLost`` if the lock's heartbeat thread already saw
  the lock go (the executor calls it before each step);
* ``verify(connection)`` asks the database, on the migrating connection and inside the step's
  own transaction where DDL is transactional (so a fenced step rolls back), or just before each
  statement and each bookkeeping commit where it is not (MySQL).

``Heartbeat`` is the thread that keeps a lock alive (renews a lease, keeps a lock session from
idling) and notices when it cannot. Whose job: the backends build fences; the executor calls them.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Callable

from ...errors import LockLost

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


class Fence:
    """A lock that cannot be lost without the process dying with it (``flock``, in-memory SQLite)."""

    #: Why the lock is gone, once something saw it go (set by the heartbeat thread).
    lost: str | None = None

    def check(self) -> None:
        if self.lost is not None:
            raise LockLost(self.lost)

    def verify(self, connection: "Connection", alone: bool = False) -> None:
        """``alone``: in a transaction of its own, right before a statement (MySQL), rather than
        inside the transaction that commits a step or its bookkeeping."""
        self.check()

    def gone(self) -> str | None:
        """Why the lock is gone, if this process can tell without asking the database (a step
        that failed because the lock's session ended is then reported as a lost lock)."""
        return self.lost


class SessionFence(Fence):
    """The lock is held by the session of the connection that migrates (PostgreSQL).

    Nothing to ask the database before a commit: the commit runs on the session holding the lock,
    so if the server ended it, the commit fails and the step rolls back with the lock. What can
    still happen is that the run's connection reconnects (SQLAlchemy opens a new session after a
    broken one): that session holds no lock, so nothing more may be written through it.
    """

    def __init__(self, dbapi_connection, describe_loss: Callable[[], str]) -> None:
        #: The DB-API connection whose session took the lock.
        self.dbapi_connection = dbapi_connection
        self.describe_loss = describe_loss

    def verify(self, connection: "Connection", alone: bool = False) -> None:
        self.check()
        try:
            same = connection.connection.dbapi_connection is self.dbapi_connection
        except Exception:  # noqa: BLE001 - an invalidated connection that cannot even say: not ours
            same = False
        if not same or self.gone() is not None:
            self.lost = self.lost or self.describe_loss()
            raise LockLost(self.lost)

    def gone(self) -> str | None:
        if self.lost is None and getattr(self.dbapi_connection, "closed", False):
            self.lost = self.describe_loss()  # psycopg: closed, or broken by the server
        return self.lost


class QueryFence(Fence):
    """A fence that asks the database: ``probe(connection, alone)`` returns None while the lock
    holds, else why it does not."""

    def __init__(self, probe: Callable[["Connection", bool], "str | None"]) -> None:
        self.probe = probe

    def verify(self, connection: "Connection", alone: bool = False) -> None:
        self.check()
        reason = self.probe(connection, alone)
        if reason is not None:
            self.lost = reason
            raise LockLost(reason)


class Heartbeat:
    """A daemon thread calling ``beat()`` every ``every`` seconds until stopped.

    ``beat()`` returns None while the lock holds, or why it is gone (then the fence is told and the
    thread ends). An exception from ``beat`` is one missed beat, not a lost lock: the fence's own
    query decides that before anything commits.
    """

    def __init__(self, fence: Fence, beat: Callable[[], "str | None"], every: float) -> None:
        self.fence, self.beat, self.every = fence, beat, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="modmig-lock-heartbeat", daemon=True)

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                reason = self.beat()
            except Exception:  # noqa: BLE001 - a missed beat; the fence's query is the judge
                continue
            if reason is not None:
                self.fence.lost = reason
                return
