"""A downgrade that waited for the lock re-plans with what the database holds by then (item 13).

Before, ``downgrade APP --to K --yes`` that got the lock after another run had done the work exited
2 ("the database changed while the downgrade was being confirmed"). Now nothing left to undo is
"nothing to do" (exit 0); steps of other apps that were never shown are still refused.
"""

import subprocess

import pytest

from modmig.api import Project
from modmig.events import ignore
from modmig.plan.planner import plan_downgrade
from modmig.run.migrate import run_plan, verified_state

from ..conftest import modmig_process, write_tree

#: Core scenarios: they run on the PgBouncer and Galera topologies too (tests/conftest.py).
pytestmark = pytest.mark.conformance

APPS = {
    "users": {
        "0001_users.sql": "CREATE TABLE users_t (id INTEGER PRIMARY KEY);\n-- modmig: down\nDROP TABLE users_t;\n",
        "0002_more.sql": "CREATE TABLE users_more (id INTEGER PRIMARY KEY);\n-- modmig: down\nDROP TABLE users_more;\n",
    },
    "blog": {
        "0001_posts.sql": "-- modmig: depends users:0002\nCREATE TABLE blog_t (id INTEGER PRIMARY KEY);\n-- modmig: down\nDROP TABLE blog_t;\n",
    },
}


def downgrade_while_the_lock_is_held(folder, args, work):
    """Start ``modmig downgrade ARGS`` while this test holds the lock; do ``work`` under it; release."""
    holder = Project.load(folder)
    try:
        with holder.locked(10, ignore) as connection:
            waiter = modmig_process(["downgrade", *args, "--lock-timeout", "60"], folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            assert "Waiting for the migration lock" in waiter.stderr.readline()
            work(holder, connection)
        out, err = waiter.communicate(timeout=120)
    finally:
        holder.close()
    return waiter.returncode, out, err


def undo(app, to):
    def work(project, connection):
        state = verified_state(project, project.graph, connection)
        run_plan(project, project.graph, "down", plan_downgrade(project.graph, state, app, to), state, connection, ignore)
    return work


def test_a_downgrade_whose_work_another_run_did_has_nothing_to_do(tmp_path, database_url):
    folder = tmp_path / "project"
    write_tree(folder, APPS, database_url)
    with Project.load(folder) as project:
        project.upgrade()
    code, out, err = downgrade_while_the_lock_is_held(folder, ["users", "--to", "1", "--yes"], undo("users", 1))
    assert code == 0, err
    assert "Nothing to undo" in out and "database changed" not in err
    with Project.load(folder) as project:
        assert {s.app: s.version for s in project.status().apps} == {"blog": 0, "users": 1}


def test_steps_of_another_app_that_were_never_shown_are_refused(tmp_path, database_url):
    folder = tmp_path / "project"
    write_tree(folder, APPS, database_url)
    with Project.load(folder) as project:
        project.upgrade("users")

    def blog_arrives(project, connection):
        state = verified_state(project, project.graph, connection)
        from modmig.plan.planner import plan_upgrade

        run_plan(project, project.graph, "up", plan_upgrade(project.graph, state, "blog"), state, connection, ignore)

    code, _, err = downgrade_while_the_lock_is_held(folder, ["users", "--to", "1"], blog_arrives)
    assert code == 2, err
    assert "it now also undoes blog:0001_posts, which was not shown when it was confirmed" in err
    with Project.load(folder) as project:
        assert {s.app: s.version for s in project.status().apps} == {"blog": 1, "users": 2}
