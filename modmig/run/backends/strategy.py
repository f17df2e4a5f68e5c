"""Which lock a backend takes: its session lock, or the lease, as its profile says.

Whose job: every backend mixes this in and supplies ``detect_topology()`` (what its server says)
and ``session_lock()`` (its advisory lock, ``GET_LOCK`` or ``flock``). ``lock()`` is the
protocol's: it yields the held lock's ``Fence`` for the executor.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from .profile import LockSettings, Profile, choose_profile

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from .base import WaitCallback
    from .fence import Fence
    from .lease import LeaseLock


class ProfiledLock:
    """Mixin: ``profile()`` (detected once) and ``lock()`` by the profile's strategy."""

    name: str
    lock_settings: LockSettings
    _profile: "Profile | None" = None
    _lease: "LeaseLock | None" = None

    def detect_topology(self) -> tuple[str, str, "str | None"]:
        """(topology, how it was found, server version)."""
        raise NotImplementedError

    def session_lock(self, timeout: float, on_wait: "WaitCallback", connection: "Connection | None" = None):
        """The backend's own lock; PostgreSQL takes it on ``connection`` (the one that migrates)."""
        raise NotImplementedError

    def refuse_step(self, step) -> "str | None":
        return None

    def profile(self) -> Profile:
        """What this database guarantees and which lock modmig takes (asks the server once)."""
        if self._profile is None:
            self._profile = choose_profile(self.name, self.lock_settings, *self.detect_topology())
        return self._profile

    @contextmanager
    def lock(self, timeout: float, on_wait: "WaitCallback", connection: "Connection | None" = None) -> Iterator["Fence"]:
        """Hold the project-wide migration lock; raise LockTimeout after ``timeout`` seconds.

        ``connection``: the one the run migrates on, for a session lock that its own session
        can hold (PostgreSQL's); the others hold theirs on a connection or lease of their own."""
        profile = self.profile()
        if profile.lock != "lease":
            with self.session_lock(timeout, on_wait, connection) as fence:
                yield fence
            return
        if self._lease is None:
            from .lease import LeaseLock

            # the schema (PostgreSQL) or database (a MySQL fleet target) that holds the bookkeeping
            schema = getattr(self, "lease_schema", None) or getattr(self, "schema", None)
            self._lease = LeaseLock(self.engine, self.display_url, self.name, schema, profile.lease_seconds)  # type: ignore[attr-defined]
        with self._lease.hold(timeout, on_wait) as fence:
            yield fence
