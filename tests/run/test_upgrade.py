"""Upgrades on every backend: what runs, in which order, and what a failure leaves behind."""

import pytest

from modmig.errors import MigrationFailed

from ..conftest import table_names, versions

#: Core scenarios: they run on the PgBouncer and Galera topologies too (tests/conftest.py).
pytestmark = pytest.mark.conformance

USERS = {
    "0001_create_users.sql": "CREATE TABLE users_user (id INTEGER PRIMARY KEY);\n-- modmig: down\nDROP TABLE users_user;\n",
    "0002_add_email.sql": "ALTER TABLE users_user ADD email VARCHAR(100);\n-- modmig: down\nALTER TABLE users_user DROP COLUMN email;\n",
    "0003_profiles.sql": "CREATE TABLE users_profile (id INTEGER PRIMARY KEY);\n-- modmig: down\nDROP TABLE users_profile;\n",
}
BLOG = {
    "0001_create_posts.sql": "-- modmig: depends users:0001\nCREATE TABLE blog_post (id INTEGER PRIMARY KEY);\n-- modmig: down\nDROP TABLE blog_post;\n",
    "0002_add_author_email.sql": "-- modmig: depends users:0002\nCREATE TABLE blog_author (id INTEGER PRIMARY KEY);\n-- modmig: down\nDROP TABLE blog_author;\n",
}
SHOP = {"0001_create_orders.sql": "CREATE TABLE shop_order (id INTEGER PRIMARY KEY);\n-- modmig: down\nDROP TABLE shop_order;\n"}


def test_upgrading_one_app_applies_it_and_only_what_it_needs(make_project):
    project = make_project({"users": USERS, "blog": BLOG, "shop": SHOP})
    result = project.upgrade("blog")
    assert [s.label for s in result.plan.steps] == [
        "users:0001_create_users",
        "blog:0001_create_posts",
        "users:0002_add_email",
        "blog:0002_add_author_email",
    ]
    assert versions(project) == {"blog": 2, "shop": 0, "users": 2}
    assert "shop_order" not in table_names(project)


def test_upgrade_to_a_version_stops_there(make_project):
    project = make_project({"users": USERS, "blog": BLOG})
    project.upgrade("blog", to=1)
    assert versions(project) == {"blog": 1, "users": 1}


def test_upgrade_all_applies_everything_and_a_second_run_does_nothing(make_project):
    project = make_project({"users": USERS, "blog": BLOG, "shop": SHOP})
    assert project.upgrade().steps_done == 6
    assert table_names(project) == {"users_user", "users_profile", "blog_post", "blog_author", "shop_order"}
    assert project.upgrade().steps_done == 0


def test_the_history_records_the_steps_in_plan_order_with_who_and_checksum(make_project):
    project = make_project({"users": USERS, "blog": BLOG})
    plan = project.plan()
    project.upgrade()
    rows = project.history()
    assert [(r.app, r.version) for r in rows] == [(s.migration.app, s.migration.version) for s in plan.steps]
    assert all(r.success and r.direction == "up" and "@" in r.executed_by for r in rows)
    assert rows[0].checksum == plan.steps[0].migration.checksum


FAILING = {
    "0001_ok.sql": "CREATE TABLE t_ok (id INTEGER PRIMARY KEY);\n",
    "0002_fails.sql": (
        "-- the second statement fails\n"
        "CREATE TABLE t_partial (id INTEGER PRIMARY KEY);\n"
        "\n"
        "INSERT INTO t_missing (id) VALUES (1);\n"
    ),
    "0003_after.sql": "CREATE TABLE t_after (id INTEGER PRIMARY KEY);\n",
}


def test_a_failing_migration_rolls_back_and_stops_the_run(make_project):
    project = make_project({"app": FAILING})
    with pytest.raises(MigrationFailed) as caught:
        project.upgrade("app")
    error = caught.value
    assert (error.app, error.version, error.line) == ("app", 2, 4)
    assert "INSERT INTO t_missing" in error.statement
    last = project.history()[-1]
    assert (last.version, last.success) == (2, False) and last.error
    assert versions(project) == {"app": 1}
    if project.backend.name == "mysql":
        # MySQL committed the CREATE TABLE before the INSERT failed: the app is dirty, not rolled back.
        assert "mysql commits DDL implicitly" in str(error) and "after 1 statement(s) succeeded" in str(error)
        assert table_names(project) == {"t_ok", "t_partial"}
        assert project.status().apps[0].dirty.statements_done == 1
        return
    assert "0002_fails.sql:4" in str(error) and "stays at version 1" in str(error)
    assert table_names(project) == {"t_ok"}
    assert project.status().apps[0].dirty is None


def test_a_failing_python_migration_rolls_back_and_names_its_line(make_project):
    project = make_project({"app": {
        "0001_data.py": (
            "def upgrade(ctx):\n"
            "    ctx.execute('CREATE TABLE t_py (id INTEGER PRIMARY KEY)')\n"
            "    raise ValueError('bad data')\n"
        ),
    }})
    with pytest.raises(MigrationFailed) as caught:
        project.upgrade("app")
    assert caught.value.line == 3 and "ValueError: bad data" in str(caught.value)
    if project.backend.name == "mysql":
        # The CREATE TABLE committed implicitly; how far a Python migration got is unknowable.
        assert "cannot resume part-way" in str(caught.value) and "modmig repair app" in str(caught.value)
        assert project.status().apps[0].dirty.statements_done is None
    else:
        assert table_names(project) == set()


def test_python_migrations_get_a_context_and_bound_parameters(make_project):
    project = make_project({"app": {
        "0001_table.sql": "CREATE TABLE t_seed (id INTEGER PRIMARY KEY, name VARCHAR(20));\n",
        "0002_seed.py": (
            "def upgrade(ctx):\n"
            "    assert ctx.app == 'app' and ctx.version == 2 and ctx.dialect\n"
            "    ctx.execute('INSERT INTO t_seed (id, name) VALUES (:id, :name)', {'id': 1, 'name': \"it's: ok\"})\n"
        ),
    }})
    project.upgrade("app")
    with project.connect() as connection:
        assert connection.exec_driver_sql("SELECT name FROM t_seed").scalar() == "it's: ok"


def test_planning_status_and_check_never_import_python_migrations(make_project, tmp_path):
    marker = tmp_path / "imported"
    project = make_project({"app": {
        "0001_side_effect.py": f"open({str(marker)!r}, 'w').close()\ndef upgrade(ctx):\n    pass\n",
    }})
    project.plan()
    project.status()
    project.check()
    assert not marker.exists()
    project.upgrade("app")
    assert marker.exists()


def test_semicolons_in_strings_and_comments_do_not_split_statements(make_project):
    project = make_project({"app": {"0001_semicolons.sql": (
        "CREATE TABLE t_notes (id INTEGER PRIMARY KEY, body VARCHAR(40)); -- one; two\n"
        "/* a block comment;\n   over two lines; */\n"
        "INSERT INTO t_notes (id, body) VALUES (1, 'a;b'), (2, 'it''s; quoted');\n"
    )}})
    project.upgrade("app")
    with project.connect() as connection:
        assert connection.exec_driver_sql("SELECT body FROM t_notes ORDER BY id").scalars().all() == ["a;b", "it's; quoted"]
