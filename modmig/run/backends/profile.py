"""What a database, as deployed, guarantees modmig: its capability profile, and the lock chosen from it.

Whose job: the backends detect what the server can tell (PostgreSQL reached through a pooler,
MariaDB's Galera ``@@wsrep_on``, the server version); ``modmig.yaml`` declares what it cannot
(``topology:``, ``lock:``, ``lease:``). ``choose_profile`` puts both together, once per backend,
and refuses a declaration that cannot hold (a session lock on a topology where a session lock is
not one lock: ``lock: advisory`` behind PgBouncer in transaction mode, or on Galera). Everything
above (the lock, the executor's fence, ``status -v``) reads the ``Profile``; nothing else branches
on the topology.

Topologies:

* ``direct``: one server (or a SQLite file); a session lock (advisory lock, ``GET_LOCK``,
  ``flock``) is the lock of the whole database.
* ``pgbouncer-transaction``: PostgreSQL behind a pooler in transaction mode; consecutive
  transactions may run on different server sessions, so nothing session-scoped holds: no
  session lock, no session ``SET``, no server-side prepared statement beyond a transaction.
* ``galera``: a MariaDB Galera cluster; ``GET_LOCK`` holds on one node only, DDL is replicated
  in Total Order Isolation (TOI), every table needs a primary key.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...config import LOCKS, TOPOLOGIES
from ...errors import ConfigError

__all__ = ["LOCKS", "TOPOLOGIES", "DEFAULT_LEASE", "LockSettings", "Profile", "choose_profile"]
#: Seconds a lease lasts when ``lease:`` is not set: a killed holder blocks the next run this long.
DEFAULT_LEASE = 30.0
#: Which backends each topology applies to.
_BACKENDS = {"direct": ("sqlite", "postgresql", "mysql"), "pgbouncer-transaction": ("postgresql",), "galera": ("mysql",)}


@dataclass(frozen=True)
class LockSettings:
    """``topology:``, ``lock:`` and ``lease:`` as modmig.yaml declares them (``auto`` when absent)."""

    topology: str = "auto"
    lock: str = "auto"
    lease: float = DEFAULT_LEASE
    #: Where each key is written (file:line), for refusals: ``{"lock": "modmig.yaml:7"}``.
    where: tuple[tuple[str, str], ...] = ()

    def place(self, key: str) -> str:
        return dict(self.where).get(key, "modmig.yaml")


@dataclass(frozen=True)
class Profile:
    """What modmig may rely on for one database, and how it locks it."""

    backend: str
    topology: str
    #: How the topology was found: "declared in modmig.yaml" or what the server answered.
    evidence: str
    server_version: str | None
    #: DDL can be rolled back: a migration is one transaction.
    transactional_ddl: bool
    #: A session-level lock held by one connection excludes every other client of the database.
    cluster_wide_session_lock: bool
    #: ``SET LOCAL`` (a setting for one transaction only) exists; else settings are per session.
    set_local: bool
    #: Every DDL statement commits by itself: one DDL per transaction, at most.
    one_ddl_per_transaction: bool
    #: Server-side prepared statements may outlive a transaction (False behind a transaction pooler).
    prepared_statements: bool
    #: Session settings (``SET``) persist between transactions.
    session_state: bool
    #: "advisory" (the backend's session lock) or "lease" (a row in ``_schema_lock``).
    lock: str
    #: Why that lock: "auto: ..." or "declared in modmig.yaml".
    lock_reason: str
    lease_seconds: float

    def as_dict(self) -> dict:
        return {
            "backend": self.backend,
            "topology": self.topology,
            "evidence": self.evidence,
            "server_version": self.server_version,
            "lock": self.lock,
            "lock_reason": self.lock_reason,
            "lease_seconds": self.lease_seconds if self.lock == "lease" else None,
            "transactional_ddl": self.transactional_ddl,
            "cluster_wide_session_lock": self.cluster_wide_session_lock,
            "set_local": self.set_local,
            "one_ddl_per_transaction": self.one_ddl_per_transaction,
            "prepared_statements": self.prepared_statements,
            "session_state": self.session_state,
        }


def settings_from(config) -> LockSettings:
    """``topology:``, ``lock:`` and ``lease:`` of a ``ProjectConfig``, with where each is written."""
    from ...config import key_line

    where = tuple(
        (key, f"{config.path}:{key_line(config.path, (key,))}")
        for key, declared in (("topology", config.topology != "auto"), ("lock", config.lock != "auto"))
        if declared and config.path is not None
    )
    return LockSettings(config.topology, config.lock, config.lease or DEFAULT_LEASE, where)


def check_topology(backend: str, settings: LockSettings) -> None:
    """Refuse, before connecting, a declared topology that is not one of this backend's, and a
    declared session lock on a declared topology where it cannot hold."""
    if settings.topology != "auto" and backend not in _BACKENDS[settings.topology]:
        raise ConfigError(
            f"'topology: {settings.topology}' ({settings.place('topology')}) does not apply to a {backend} "
            f"database; it applies to {' and '.join(_BACKENDS[settings.topology])}. Use 'topology: auto' or 'direct'."
        )
    if settings.lock == "advisory" and settings.topology in ("pgbouncer-transaction", "galera"):
        _refuse_advisory(settings, settings.topology)


def _refuse_advisory(settings: LockSettings, topology: str) -> None:
    why = (
        "PgBouncer in transaction mode hands each transaction to any server session, so a session "
        "advisory lock is held by a session the next transaction may not run on, and released when "
        "PgBouncer reuses it"
        if topology == "pgbouncer-transaction"
        else "on a Galera cluster GET_LOCK holds only on the node that granted it: two runs through "
        "two nodes would both hold it and run the same migrations"
    )
    raise ConfigError(
        f"'lock: advisory' ({settings.place('lock')}) cannot hold on topology {topology}: {why}. "
        f"Use 'lock: lease' (or 'lock: auto', which chooses it here)."
    )


def choose_profile(
    backend: str, settings: LockSettings, detected: str, evidence: str, server_version: str | None = None
) -> Profile:
    """The profile of ``backend`` on the topology declared in ``settings`` (or ``detected`` under auto).

    Raises ConfigError (exit 2) for ``lock: advisory`` where a session lock cannot exclude other
    runs, and for a declared topology the server contradicts (Galera says ``wsrep_on = ON``).
    """
    check_topology(backend, settings)
    topology = detected
    if settings.topology != "auto":
        if detected == "galera" and settings.topology != "galera":
            raise ConfigError(
                f"'topology: {settings.topology}' ({settings.place('topology')}) but the server is a Galera "
                f"cluster node ({evidence}): GET_LOCK would hold on this node only. Declare 'topology: galera' "
                f"or 'topology: auto'."
            )
        topology, evidence = settings.topology, f"declared in modmig.yaml ({settings.place('topology')})"
    pooled = topology == "pgbouncer-transaction"
    galera = topology == "galera"
    session_lock_holds = not (pooled or galera)
    if settings.lock == "advisory" and not session_lock_holds:
        _refuse_advisory(settings, topology)
    if settings.lock == "auto":
        lock = "advisory" if session_lock_holds else "lease"
        reason = (
            f"auto: the session lock holds on topology {topology}"
            if session_lock_holds
            else f"auto: no session lock holds cluster-wide on topology {topology}"
        )
    else:
        lock, reason = settings.lock, f"declared in modmig.yaml ({settings.place('lock')})"
    return Profile(
        backend=backend,
        topology=topology,
        evidence=evidence,
        server_version=server_version,
        transactional_ddl=backend != "mysql",
        cluster_wide_session_lock=session_lock_holds,
        set_local=backend == "postgresql",
        one_ddl_per_transaction=backend == "mysql",
        prepared_statements=not pooled,
        session_state=not pooled,
        lock=lock,
        lock_reason=reason,
        lease_seconds=settings.lease,
    )
