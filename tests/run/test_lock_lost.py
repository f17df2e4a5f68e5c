"""A session lock lost while its holder migrates (issue 10, item 12): the holder notices and stops.

MariaDB's ``GET_LOCK`` lives on a connection of its own. When the server ends that session
(``KILL``, or its idle timeout) a waiting run takes the lock and migrates. The holder must find out
before it commits its next step: its fence asks, from the migrating connection, whether the lock
session still holds the lock. The holder exits 1 saying it lost the lock, the waiter completes,
every migration is applied exactly once, the version table is truthful.

PostgreSQL's advisory lock is held by the session that migrates (``SessionFence``): ending that
session ends the step's transaction with the lock, so the holder reports its connection broke
and the lock went with it, and a session idle inside its slow step is never ended by
``idle_session_timeout`` (the lock cannot idle away under it).

PostgreSQL's slow step is a Python migration waiting for a file (an atomic step: the holder's
step rolls back); MariaDB's is SQL with a sleeping statement (per statement: the waiter resumes
at the dirty mark once the holder's statement ended).
"""

import subprocess

import pytest
from sqlalchemy.engine import make_url

from modmig.api import Project

from .test_lease import LEASE, assert_each_migration_once, project, start_holder, start_waiter
from .test_processes import rows, wait_for
from ..conftest import modmig_process
from ..databases import admin_engine

ADVISORY = "lock: advisory\n"


def advisory_project(folder, url, go):
    project(folder, url, go, write_first=True)
    config = folder / "modmig.yaml"
    config.write_text(config.read_text().replace(LEASE, ADVISORY))
    return folder


def pg_lock_sessions(url):
    database = make_url(url).database
    return [row[0] for row in rows(url, (
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
        f"AND database = (SELECT oid FROM pg_database WHERE datname = '{database}')"
    ))]


def mysql_lock_session(url, folder):
    with Project.load(folder) as loaded:
        name = loaded.backend.lock_name
    return rows(url, f"SELECT IS_USED_LOCK('{name}')")[0][0]


def kill_lock_session(backend, url, folder):
    with admin_engine(backend).connect() as admin:
        if backend == "postgresql":
            [pid] = pg_lock_sessions(url)
            admin.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
        else:
            admin.exec_driver_sql(f"KILL {int(mysql_lock_session(url, folder))}")


def with_idle_timeout(backend, url):
    """``url`` whose sessions the server ends after one idle second (for the holder only)."""
    if backend == "postgresql":
        return url + "?options=-c%20idle_session_timeout%3D1000"
    return url + "?init_command=SET%20SESSION%20wait_timeout%3D1"


def run_and_lose_the_lock(tmp_path, url, backend, how):
    go = tmp_path / "go"
    folder = advisory_project(tmp_path / "project", url, go)
    holder_url = with_idle_timeout(backend, url) if how == "idle" else None
    if holder_url:
        config = folder / "modmig.yaml"
        config.write_text(config.read_text().replace(f"database: {url}", f"database: {holder_url}"))
    holder = start_holder(folder, url)
    if holder_url:  # the waiter's sessions must not time out while they wait
        config.write_text(config.read_text().replace(f"database: {holder_url}", f"database: {url}"))
    if how == "kill":
        kill_lock_session(backend, url, folder)
    elif backend == "postgresql":
        wait_for(lambda: pg_lock_sessions(url) == [], "the idle lock session was never ended", timeout=30)
    else:
        wait_for(lambda: mysql_lock_session(url, folder) is None, "the idle lock session was never ended", timeout=30)
    waiter = start_waiter(folder)
    out, err = waiter.communicate(timeout=120)
    assert waiter.returncode == 0, err
    go.touch()
    _, holder_err = holder.communicate(timeout=60)
    assert holder.returncode == 1, holder_err
    assert "This run lost the migration lock after 1 completed step(s)" in holder_err
    killed = "pg_terminate_backend" if backend == "postgresql" else "killed on the server (KILL)"
    assert killed in holder_err and "Traceback" not in holder_err
    assert_each_migration_once(url, lease=False)


def test_a_postgresql_holder_whose_session_was_terminated_rolls_its_step_back_and_says_the_lock_went_with_it(tmp_path, postgres_url):
    go = tmp_path / "go"
    folder = advisory_project(tmp_path / "project", postgres_url, go)
    holder = start_holder(folder, postgres_url)
    try:
        kill_lock_session("postgresql", postgres_url, folder)
        waiter = start_waiter(folder)
        _, err = waiter.communicate(timeout=120)
        assert waiter.returncode == 0, err
    finally:
        go.touch()  # a failed assertion must not leave the holder waiting for ever
    _, holder_err = holder.communicate(timeout=60)
    assert holder.returncode == 1, holder_err
    assert "broke during the run, after 1 completed step(s)" in holder_err
    assert "held the migration lock (server pid" in holder_err and "pg_terminate_backend" in holder_err
    assert "the migration lock went with it" in holder_err
    assert "Traceback" not in holder_err
    assert_each_migration_once(postgres_url, lease=False)


def test_a_postgresql_holder_idle_inside_its_slow_step_keeps_the_lock_despite_idle_session_timeout(tmp_path, postgres_url):
    go = tmp_path / "go"
    folder = advisory_project(tmp_path / "project", postgres_url, go)
    config = folder / "modmig.yaml"
    holder_url = with_idle_timeout("postgresql", postgres_url)
    config.write_text(config.read_text().replace(f"database: {postgres_url}", f"database: {holder_url}"))
    holder = start_holder(folder, postgres_url)
    config.write_text(config.read_text().replace(f"database: {holder_url}", f"database: {postgres_url}"))
    try:
        [holding] = pg_lock_sessions(postgres_url)
        waiter = modmig_process(["upgrade", "--all", "--lock-timeout", "3"], folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _, waiter_err = waiter.communicate(timeout=60)
        assert waiter.returncode == 1 and "Gave up waiting for the migration lock after 3 s" in waiter_err, waiter_err  # past the 1 s idle timeout
        assert pg_lock_sessions(postgres_url) == [holding]
    finally:
        go.touch()  # a failed assertion must not leave the holder waiting for ever
    _, holder_err = holder.communicate(timeout=60)
    assert holder.returncode == 0, holder_err
    assert_each_migration_once(postgres_url, lease=False)


@pytest.mark.parametrize("how", ["kill", "idle"])
def test_a_mariadb_holder_whose_lock_session_ended_stops_before_committing(tmp_path, mysql_url, how):
    run_and_lose_the_lock(tmp_path, mysql_url, "mysql", how)
