"""Template databases in the pytest plugin, seen the way a user's suite sees them (pytester).

Each scenario runs on SQLite files and on the PostgreSQL and MariaDB servers. The project's one
Python migration writes a line to a file each time it runs, so a test can count how often the
migrations ran, which is what templates save.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest

from modmig.run.backends.throwaway import open_throwaway
from modmig.templates.store import TemplateStore

from ..conftest import write_tree
from ..databases import BACKENDS, SERVERS, admin_engine

# Imported before pytester snapshots sys.modules: a driver first imported inside a pytester test
# is removed from sys.modules afterwards, and SQLAlchemy would then hold a stale copy of it.
pytest.importorskip("psycopg")
pytest.importorskip("pymysql")

SHOP = {
    "shop": {
        "0001_items.sql": "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL);\n"
        "-- modmig: down\nDROP TABLE items;\n",
        "0002_price.py": (
            "import os\n\n"
            "def upgrade(ctx):\n"
            "    with open(os.environ['SHOP_RUNS'], 'a') as runs:\n"
            "        runs.write('0002 up\\n')\n"
            "    ctx.execute('ALTER TABLE items ADD COLUMN price INTEGER NOT NULL DEFAULT 0')\n\n"
            "def downgrade(ctx):\n"
            "    ctx.execute('ALTER TABLE items DROP COLUMN price')\n"
        ),
        "0003_cents.sql": "UPDATE items SET price = price * 100;\n-- modmig: down\nUPDATE items SET price = price / 100;\n",
    }
}

TESTS = '''
import os
from sqlalchemy import text


def rows(migrator):
    with migrator.engine.connect() as connection:
        return connection.execute(text("SELECT id, name, price FROM items ORDER BY id")).all()


def test_record_the_run(_modmig_templates):
    with open(os.environ["SHOP_RUN_IDS"], "a") as ids:
        ids.write(_modmig_templates.run + "\\n")


def test_the_latest_state(modmig_db):
    assert modmig_db.versions() == {"shop": 3}
    with modmig_db.engine.begin() as connection:
        connection.execute(text("INSERT INTO items (id, name, price) VALUES (1, 'kept to this test', 5)"))
    assert len(rows(modmig_db)) == 1


def test_the_latest_state_again_in_a_database_of_its_own(modmig_db):
    assert modmig_db.versions() == {"shop": 3}
    assert rows(modmig_db) == []


def test_and_once_more(modmig_db, modmig_database_url):
    assert modmig_database_url == modmig_db.url
    assert rows(modmig_db) == []


def test_a_data_migration_carries_the_rows_a_test_inserted(modmig_migrator):
    modmig_migrator.migrate_to("shop", 2)
    with modmig_migrator.engine.begin() as connection:
        connection.execute(text("INSERT INTO items (id, name, price) VALUES (1, 'pen', 3)"))
    modmig_migrator.migrate_to("shop", 3)
    assert rows(modmig_migrator) == [(1, "pen", 300)]
    modmig_migrator.migrate_to("shop", 2)
    assert rows(modmig_migrator) == [(1, "pen", 3)]


def test_the_same_walk_again(modmig_migrator):
    modmig_migrator.migrate_to("shop", 2)
    assert modmig_migrator.versions() == {"shop": 2}
    modmig_migrator.migrate_to("shop", 1)
    assert modmig_migrator.versions() == {"shop": 1}
    modmig_migrator.migrate_to("shop", 2)
    assert modmig_migrator.versions() == {"shop": 2}
'''


def server_option(backend: str) -> list[str]:
    if backend == "sqlite":
        return []
    admin_engine(backend)  # skips (or fails under CI=true) when the server is down
    return ["--modmig-database", os.environ.get(SERVERS[backend][0]) or SERVERS[backend][1]]


def leftovers(backend: str, run_ids: list[str]) -> list[str]:
    """Databases on the server that belong to the given runs."""
    if backend == "sqlite":
        return []
    databases = open_throwaway(server_option(backend)[1], None)  # type: ignore[arg-type]
    try:
        return [name for name in databases.names("modmig_") if any(f"_{run}_" in name for run in run_ids)]
    finally:
        databases.close()


@pytest.fixture
def shop(pytester, monkeypatch):
    write_tree(pytester.path, SHOP, database=None)
    monkeypatch.setenv("SHOP_RUNS", str(pytester.path / "runs.txt"))
    monkeypatch.setenv("SHOP_RUN_IDS", str(pytester.path / "run_ids.txt"))
    return pytester


def migrations_run(pytester) -> int:
    runs = pytester.path / "runs.txt"
    return runs.read_text().count("0002 up") if runs.exists() else 0


def run_ids(pytester) -> list[str]:
    return (pytester.path / "run_ids.txt").read_text().split()


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_state_is_migrated_once_and_every_test_gets_its_own_copy(shop, backend):
    shop.makepyfile(test_shop=TESTS)
    result = shop.runpytest_subprocess("-p", "no:cacheprovider", *server_option(backend))
    result.assert_outcomes(passed=6)
    # Without templates 0002's up would run 6 times (3 fresh latest states, 1 walk to 2, 2 in
    # the walk 2, 1, 2); with them, once per distinct state: latest, "to 2", "to 2, 1, 2".
    assert migrations_run(shop) == 3
    assert leftovers(backend, run_ids(shop)) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_edited_migration_file_makes_a_new_template(shop, backend):
    shop.makepyfile(test_shop='''
from pathlib import Path
from sqlalchemy import inspect


def test_before(modmig_db):
    assert "note" not in [c["name"] for c in inspect(modmig_db.engine).get_columns("items")]


def test_edit():
    first = Path("apps/shop/migrations/0001_items.sql")
    first.write_text(first.read_text().replace("NOT NULL);", "NOT NULL, note VARCHAR(20));"))


def test_after(modmig_db):
    assert "note" in [c["name"] for c in inspect(modmig_db.engine).get_columns("items")]
''')
    shop.runpytest_subprocess("-p", "no:cacheprovider", *server_option(backend)).assert_outcomes(passed=3)
    assert migrations_run(shop) == 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_parallel_workers_each_get_their_own_copies(shop, backend):
    pytest.importorskip("xdist")
    shop.makepyfile(test_shop=TESTS + '''

def test_record_the_run_on_the_other_worker_too(_modmig_templates):
    with open(os.environ["SHOP_RUN_IDS"], "a") as ids:
        ids.write(_modmig_templates.run + "\\n")
''')
    result = shop.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", *server_option(backend))
    result.assert_outcomes(passed=7)
    assert 3 <= migrations_run(shop) <= 6  # once per state, per worker
    assert leftovers(backend, run_ids(shop)) == []


def test_a_killed_run_leaves_databases_that_the_next_run_drops(shop, tmp_path):
    option = server_option("postgresql")
    shop.makepyfile(test_shop='''
import os, sys


def test_killed_while_running(_modmig_templates, modmig_db):
    with open(os.environ["SHOP_RUN_IDS"], "a") as ids:
        ids.write(_modmig_templates.run + "\\n")
    print("READY", flush=True)
    sys.stdin.read()  # until the outer test kills this process
''')
    child = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-s", "-p", "no:cacheprovider", *option],
        cwd=shop.path, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        for line in child.stdout:  # type: ignore[union-attr]
            if "READY" in line:
                break
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait()
        child.stdin.close()  # type: ignore[union-attr]
        child.stdout.close()  # type: ignore[union-attr]
    killed = run_ids(shop)
    names = leftovers("postgresql", killed)
    assert len(names) >= 2  # the test's database and the template
    _end_sessions_of(killed[0])

    store = TemplateStore(open_throwaway(option[1], tmp_path), tmp_path)  # a later run
    store.close()
    assert leftovers("postgresql", killed) == []


def _end_sessions_of(run: str) -> None:
    """Wait for the server to end the killed process's sessions (it notices the closed sockets)."""
    engine = admin_engine("postgresql")
    with engine.connect() as connection:
        connection.exec_driver_sql(
            "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE application_name = %(name)s",
            {"name": f"modmig-run {run}"},
        )


@pytest.mark.parametrize("backend", ["postgresql", "mysql"])
def test_a_run_drops_what_dead_runs_left_and_nothing_of_live_ones(backend, tmp_path):
    server = server_option(backend)[1]
    alive = TemplateStore(open_throwaway(server, tmp_path), tmp_path)
    dead_run = "0123456789"
    creator = open_throwaway(server, tmp_path)
    try:
        for name in (f"modmig_test_{dead_run}_1", f"modmig_tpl_{dead_run}_2"):
            creator.create(name)
        live = alive.create()
        later = TemplateStore(open_throwaway(server, tmp_path), tmp_path)
        later.close()
        assert leftovers(backend, [dead_run]) == []
        assert leftovers(backend, [alive.run]) == [live]
    finally:
        for name in (f"modmig_test_{dead_run}_1", f"modmig_tpl_{dead_run}_2"):
            creator.drop(name)
        creator.close()
        alive.close()
    assert leftovers(backend, [alive.run]) == []
    assert re.fullmatch(r"modmig_test_[0-9a-f]{10}_[0-9]+", live)
