"""Proofs for PostgreSQL behind PgBouncer in transaction pooling mode (scripts/pgbouncer.sh).

The control shows why modmig cannot use a session advisory lock there: two client sessions both
"hold" the same lock, because both ran on the same pooled server connection. The race shows that
modmig, which detects the pooler and takes the lease lock instead, still applies each migration
exactly once when 8 deploys start together.
"""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.engine import make_url

from ..databases import provision
from .racing import PROCESSES, assert_each_migration_ran_once, logging_project, race


@pytest.fixture
def pgbouncer_url(tmp_path):
    with provision("pgbouncer", tmp_path) as url:
        yield url


def libpq(url: str) -> str:
    parsed = make_url(url)
    return f"host={parsed.host} port={parsed.port} user={parsed.username} dbname={parsed.database}"


def try_lock_in_two_sessions(conninfo: str) -> tuple[bool, bool]:
    """pg_try_advisory_lock(14) in one session, then (the first still open, still "holding" it) in another."""
    with psycopg.connect(conninfo, autocommit=True) as first, psycopg.connect(conninfo, autocommit=True) as second:
        return (
            first.execute("SELECT pg_try_advisory_lock(14)").fetchone()[0],
            second.execute("SELECT pg_try_advisory_lock(14)").fetchone()[0],
        )


def test_control_two_sessions_through_pgbouncer_both_hold_the_same_advisory_lock(pgbouncer_url):
    direct = make_url(pgbouncer_url).set(port=5432)  # the same database, not through the pooler
    assert try_lock_in_two_sessions(libpq(direct.render_as_string(hide_password=False))) == (True, False)
    assert try_lock_in_two_sessions(libpq(pgbouncer_url)) == (True, True)


def test_eight_racing_upgrades_through_pgbouncer_apply_each_migration_exactly_once(tmp_path, pgbouncer_url):
    folder = logging_project(tmp_path / "project", pgbouncer_url)
    finished = race(folder, [pgbouncer_url] * PROCESSES, "--lock-timeout", "120")
    assert_each_migration_ran_once(pgbouncer_url, finished)
