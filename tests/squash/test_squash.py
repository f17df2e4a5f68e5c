"""``modmig squash``: one verified file per app, from the sample project and a 33-migration history.

The squash_library fixture is written for SQLite; ``library()`` swaps in the PostgreSQL and MySQL
spelling of its trigger and index drops, so the tests taking ``database_url`` run on every backend.
"""

import json
import shutil

import pytest

from modmig.api import Project
from modmig.squash.folding import Folder
from modmig.schema.compare import snapshot

from ..conftest import FIXTURES, write_tree
from ..databases import admin_engine


def scratch_server(database_url: str) -> str:
    """The admin URL of the server ``database_url`` is on: where verification may create databases."""
    backend = "postgresql" if database_url.startswith("postgresql") else "mysql"
    return admin_engine(backend).url.render_as_string(hide_password=False)


#: The fixture is written for SQLite; these files say the same for the other databases.
TRIGGER = {
    "postgresql": (
        "CREATE FUNCTION library_loan_event() RETURNS trigger AS $$\nBEGIN\n"
        "    INSERT INTO library_event (kind) VALUES ('loan');\n    RETURN NEW;\nEND\n$$ LANGUAGE plpgsql;\n"
        "CREATE TRIGGER library_loan_event AFTER INSERT ON library_loan\n"
        "FOR EACH ROW EXECUTE FUNCTION library_loan_event();\n"
        "-- modmig: down\nDROP TRIGGER library_loan_event ON library_loan;\nDROP FUNCTION library_loan_event();\n"
    ),
    "mysql": (
        "CREATE TRIGGER library_loan_event AFTER INSERT ON library_loan FOR EACH ROW\nBEGIN\n"
        "    INSERT INTO library_event (kind) VALUES ('loan');\nEND;\n"
        "-- modmig: down\nDROP TRIGGER library_loan_event;\n"
    ),
}
#: MySQL drops an index of a table: DROP INDEX name ON table.
INDEX_TABLES = {"library_book_isbn": "library_book", "library_import_source": "library_import",
                "library_bookcase_label": "library_bookcase", "library_loan_due": "library_loan",
                "library_book_published": "library_book"}


def library(tmp_path, database=None):
    """A copy of the squash_library fixture (accounts, library 0001-0033, reports), optionally on ``database``."""
    target = tmp_path / "squash_library"
    shutil.copytree(FIXTURES / "squash_library", target)
    if database is not None:
        config = target / "modmig.yaml"
        config.write_text(config.read_text().replace("sqlite:///app.db", database))
    dialect = next((d for d in ("postgresql", "mysql") if database and database.startswith(d)), "sqlite")
    migrations = target / "apps/library/migrations"
    if dialect in TRIGGER:
        (migrations / "0030_loan_event_trigger.sql").write_text(TRIGGER[dialect])
    if dialect == "mysql":
        for path in migrations.glob("*.sql"):
            text = path.read_text()
            for index, table in INDEX_TABLES.items():
                text = text.replace(f"DROP INDEX {index};", f"DROP INDEX {index} ON {table};")
            path.write_text(text)
    return target


def schema_of(project):
    with project.connect() as connection:
        found = snapshot(connection)
    project.close()
    return found


def test_every_sample_app_squashes_into_a_verified_file_that_a_fresh_database_uses(sample_project, run_cli, database_url):
    """On SQLite (verified in memory), PostgreSQL and MariaDB (verified on throwaway databases)."""
    config = sample_project / "modmig.yaml"
    config.write_text(config.read_text().replace("sqlite:///var/app.db", database_url))
    verify = [] if database_url.startswith("sqlite") else ["--verify-url", scratch_server(database_url)]
    cli = run_cli(sample_project)
    for app in ("users", "blog", "comments"):
        result = cli("squash", app, *verify)
        assert result.exit_code == 0, result.output
        assert "the squash gives the same schema and rows as the" in result.stdout and "and its downgrade restores" in result.stdout
    for app, name in (("users", "0001_squashed_0003"), ("blog", "0001_squashed_0004"), ("comments", "0001_squashed_0003")):
        assert (sample_project / f"apps/{app}/migrations/{name}.py").exists()  # each carries a Python step
    upgrade = cli("upgrade", "--all")
    assert [line.split()[1] for line in upgrade.stdout.splitlines() if line.startswith("Applying")] == [
        "users:0001_squashed_0003", "blog:0001_squashed_0004", "comments:0001_squashed_0003",
    ]
    assert cli("check").exit_code == 0


def test_the_long_history_folds_into_its_net_effect(tmp_path, run_cli):
    folder = library(tmp_path)
    result = run_cli(folder)("squash", "library", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["kind"] == "squash" and report["format"] == "python" and report["carried"] == ["0021_fill_birth_years"]
    assert report["dependencies"] == ["accounts:0002"] and report["reversible"]
    assert report["verification"]["downgrade_checked"]
    up = (folder / "apps/library/migrations/0001_squashed_0033.py").read_text().split("DOWNGRADE")[0]
    assert "library_import" not in up  # created, altered and dropped: gone
    assert "library_loan_due" not in up  # created then dropped index
    assert "library_shelf" not in up and "CREATE TABLE library_bookcase (" in up  # rename followed
    assert "capacity INTEGER NOT NULL DEFAULT 10" in up  # ... with its later column
    assert "full_name VARCHAR(100) NOT NULL" in up and "RENAME" not in up
    assert "isbn VARCHAR(13)\n)" in up and "returned_at TEXT\n)" in up  # altered tables as one CREATE
    data = [up.index(s) for s in ("INSERT INTO library_author", "INSERT INTO library_genre", "UPDATE library_genre")]
    assert data == sorted(data)  # data changes kept, in their order
    assert report["statements"] < 33


def verify_url(database_url: str):
    return None if database_url.startswith("sqlite") else scratch_server(database_url)


def test_a_fresh_database_built_from_the_squash_equals_one_built_from_the_originals(tmp_path, database_url):
    """The 33-migration fixture squashes, verifies and builds the same database on every backend."""
    originals = library(tmp_path / "a", database_url)
    project = Project.load(originals)
    project.upgrade()
    expected = schema_of(project)
    project.downgrade("reports", to=0)
    project.downgrade("library", to=0)
    project.downgrade("accounts", to=0)
    squashed = Project.load(originals)
    result = squashed.squash("library", verify_url=verify_url(database_url))
    assert result.verification.downgrade_checked
    steps = [step.label for step in squashed.upgrade().plan.steps]
    assert steps == ["accounts:0001_create_users", "accounts:0002_add_email", "library:0001_squashed_0033", "reports:0001_overdue_loans"]
    assert schema_of(squashed) == expected


@pytest.mark.parametrize("start, first_step", [(0, "library:0001_squashed_0033"), (10, "library:0011_bookcase_capacity"), (33, None)])
def test_databases_at_every_point_of_the_range_keep_working_after_the_squash(tmp_path, database_url, start, first_step):
    folder = library(tmp_path, database_url)
    before = Project.load(folder)
    if start:
        before.upgrade("library", to=start)
    before.close()
    after = Project.load(folder)
    after.squash("library", verify_url=verify_url(database_url))
    ran = [step.label for step in after.upgrade().plan.steps if step.migration.app == "library"]
    assert (ran[0] if ran else None) == first_step
    assert after.check().ok
    after.close()


def test_a_squash_that_would_close_a_cycle_is_refused_with_the_cycle_and_the_largest_safe_end(tmp_path, run_cli):
    """users:0003 needs blog:0001, which needs users:0001: a squash of users 1-3 would wait for itself."""
    write_tree(tmp_path, {
        "users": {f"{v:04d}_u{v}.sql": ("-- modmig: depends blog:0001\n" if v == 3 else "") + f"CREATE TABLE u{v} (id INTEGER);\n" for v in (1, 2, 3)},
        "blog": {"0001_posts.sql": "-- modmig: depends users:0001\nCREATE TABLE posts (id INTEGER);\n"},
    }, "sqlite:///app.db")
    cli = run_cli(tmp_path)
    refused = cli("squash", "users")
    assert refused.exit_code == 2
    assert "would create a dependency cycle: blog:0001 -> users:0001_squashed_0003 -> blog:0001" in refused.stderr
    assert "The largest safe end is 0002" in refused.stderr and "--auto" in refused.stderr
    assert not list((tmp_path / "apps/users/migrations").glob("*squashed*"))
    auto = cli("squash", "users", "--auto")
    assert auto.exit_code == 0, auto.output
    assert "Stopped at 0002 instead of 0003" in auto.stdout
    assert (tmp_path / "apps/users/migrations/0001_squashed_0002.sql").exists()


def test_a_squash_that_fails_verification_writes_no_file_and_prints_the_difference(tmp_path, run_cli, monkeypatch):
    folder = library(tmp_path)
    original_add = Folder.add

    def loses_a_column(self, statement):  # a folder bug: the ADD COLUMN of 0016 goes missing
        if "ADD COLUMN returned_at" not in statement:
            original_add(self, statement)

    monkeypatch.setattr(Folder, "add", loses_a_column)
    result = run_cli(folder)("squash", "library")
    assert result.exit_code == 1
    assert "failed verification, so no file was written" in result.stderr
    assert "tables / library_loan / columns: returned_at only in the originals" in result.stderr
    assert not list((folder / "apps/library/migrations").glob("*squashed*"))


def test_a_migration_whose_effect_cannot_be_reproduced_fails_verification(tmp_path, run_cli):
    write_tree(tmp_path, {"app": {
        "0001_t.sql": "CREATE TABLE t (v INTEGER);\n",
        "0002_random.sql": "INSERT INTO t (v) VALUES (random());\n",
    }}, None)
    result = run_cli(tmp_path)("squash", "app")
    assert result.exit_code == 1
    assert "rows / t: 1 row(s)" in result.stderr
    assert not (tmp_path / "apps/app/migrations/0001_squashed_0002.sql").exists()


def test_an_elidable_python_step_is_dropped_and_the_squash_stays_sql(tmp_path, run_cli):
    write_tree(tmp_path, {"app": {
        "0001_t.sql": "CREATE TABLE t (v INTEGER);\n-- modmig: down\nDROP TABLE t;\n",
        "0002_backfill.py": "elidable = True\n\ndef upgrade(ctx):\n    ctx.execute('UPDATE t SET v = 1')\n",
        "0003_u.sql": "ALTER TABLE t ADD COLUMN w INTEGER;\n-- modmig: down\nALTER TABLE t DROP COLUMN w;\n",
    }}, None)
    result = run_cli(tmp_path)("squash", "app")
    assert result.exit_code == 0, result.output
    assert "Dropped (elidable): 0002_backfill" in result.stdout
    text = (tmp_path / "apps/app/migrations/0001_squashed_0003.sql").read_text()
    assert "CREATE TABLE t (\n    v INTEGER,\n    w INTEGER\n);" in text


def test_a_range_that_begins_with_an_earlier_squash_can_be_squashed_again(tmp_path, run_cli):
    folder = library(tmp_path)
    cli = run_cli(folder)
    assert cli("squash", "library", "--to", "12").exit_code == 0
    again = cli("squash", "library", "--from", "1", "--to", "20")
    assert again.exit_code == 0, again.output
    text = (folder / "apps/library/migrations/0001_squashed_0020.sql").read_text()
    assert "-- modmig: replaces 0001-0020" in text and "It replaces 9 file(s): 0001_squashed_0012, 0013_create_loans" in text
    assert cli("upgrade", "--all").exit_code == 0
    assert "library:0001_squashed_0020" in cli("history").stdout


def test_prune_waits_until_the_database_is_past_the_range_then_deletes_the_originals(tmp_path, run_cli):
    folder = library(tmp_path)
    cli = run_cli(folder)
    assert cli("upgrade", "library", "--to", "5").exit_code == 0
    assert cli("squash", "library").exit_code == 0
    refused = cli("squash", "library", "--prune")
    assert refused.exit_code == 2 and "library is at version 5 in the database, inside the range 0001-0033" in refused.stderr
    assert (folder / "apps/library/migrations/0001_create_authors.sql").exists()
    assert cli("upgrade", "--all").exit_code == 0
    pruned = cli("squash", "library", "--prune")
    assert pruned.exit_code == 0 and "Pruned 33 file(s) replaced by library:0001_squashed_0033." in pruned.stdout
    assert sorted(p.name for p in (folder / "apps/library/migrations").iterdir()) == ["0001_squashed_0033.py"]
    assert cli("check").exit_code == 0


def test_migrations_for_a_server_database_are_not_verified_on_sqlite_without_being_asked(tmp_path, run_cli):
    folder = library(tmp_path, "postgresql+psycopg://nobody@127.0.0.1:1/nowhere")
    result = run_cli(folder)("squash", "library")
    assert result.exit_code == 2
    assert "written for postgresql, so they can only be verified on a postgresql scratch database" in result.stderr
    assert "--verify-url" in result.stderr and not list((folder / "apps/library/migrations").glob("*squashed*"))


def test_a_sqlite_file_is_refused_as_a_scratch_database(tmp_path, run_cli):
    result = run_cli(library(tmp_path))("squash", "library", "--verify-url", f"sqlite:///{tmp_path / 'x.db'}")
    assert result.exit_code == 2 and "a SQLite scratch database is always in memory" in result.stderr
