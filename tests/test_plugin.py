"""The pytest plugin (modmig.testing), run the way a user's suite runs it: through pytester."""

import os
import shutil

import pytest

from modmig.testing import throwaway_database

from .conftest import REPO

SAMPLE_TESTS = '''
from sqlalchemy import text
from modmig.testing import assert_roundtrip


def admins(migrator):
    with migrator.engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM users_user")).scalar()


def test_a_fresh_database_is_migrated_to_the_latest_state(modmig_db):
    assert modmig_db.versions() == {"blog": 4, "comments": 3, "users": 3}
    assert admins(modmig_db) == 1


def test_seed_admin_adds_one_administrator_and_its_down_removes_it(modmig_migrator):
    # the example in docs/tutorial.md and docs/testing.md
    modmig_migrator.migrate_to("users", 2)
    assert modmig_migrator.versions() == {"blog": 0, "comments": 0, "users": 2}
    with modmig_migrator.engine.begin() as connection:
        connection.execute(text("INSERT INTO users_user (email) VALUES ('ann@example.com')"))
    modmig_migrator.migrate_to("users", 3)
    assert admins(modmig_migrator) == 2
    modmig_migrator.migrate_to("users", 2)
    assert admins(modmig_migrator) == 1


def test_blog_0003_round_trips(modmig_config):
    assert_roundtrip(modmig_config, "blog:0003")


def test_every_test_gets_a_database_of_its_own(modmig_db, modmig_database_url, tmp_path):
    assert modmig_database_url == f"sqlite:///{tmp_path / 'modmig-test.db'}"
'''


@pytest.fixture
def user_project(pytester):
    shutil.copytree(REPO / "sample_project", pytester.path, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.db"))
    return pytester


def test_the_fixtures_give_fresh_and_partly_migrated_databases(user_project):
    user_project.makepyfile(test_sample=SAMPLE_TESTS)
    result = user_project.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
    assert not (user_project.path / "var" / "app.db").exists()  # the configured database is never used


def test_a_migration_that_does_not_round_trip_fails_the_test_with_the_reason(user_project):
    listing = user_project.path / "apps" / "blog" / "migrations" / "0003_post_listing_view.sql"
    listing.write_text(listing.read_text().replace("DROP VIEW blog_post_listing;", "SELECT 1;"))
    user_project.makepyfile(test_sample=SAMPLE_TESTS)
    result = user_project.runpytest_subprocess("-p", "no:cacheprovider", "-k", "round_trips")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Round-trip failed at blog:0003_post_listing_view: its down does not undo its up:*", "*view blog_post_listing is left behind*"])


SQUASHED_TESTS = '''
import pytest
from modmig.testing import assert_roundtrip


def test_a_fresh_database_runs_the_squash(modmig_db):
    assert modmig_db.versions() == {"blog": 4, "comments": 3, "users": 3}
    assert modmig_db.project.status().apps[2].current_name == "0001_squashed_0003"


def test_a_version_inside_the_range_is_reached_through_the_originals(modmig_migrator):
    modmig_migrator.migrate_to("users", 2)
    assert modmig_migrator.project.status().apps[2].current_name == "0002_add_display_name"
    modmig_migrator.migrate_to("users", 3)
    modmig_migrator.migrate_to("users", 0)
    assert modmig_migrator.versions()["users"] == 0


def test_every_file_round_trips(modmig_config):
    report = assert_roundtrip(modmig_config)
    assert "users:0001_squashed_0003" in report.checked
'''

PRUNED_TESTS = '''
import pytest
from modmig.errors import UsageError
from modmig.testing import assert_roundtrip


def test_a_fresh_database_runs_the_squash(modmig_db):
    assert modmig_db.versions() == {"blog": 4, "comments": 3, "users": 3}


def test_a_version_inside_the_pruned_range_cannot_be_reached(modmig_migrator):
    with pytest.raises(UsageError, match="inside the squashed range of 0001_squashed_0003"):
        modmig_migrator.migrate_to("users", 2)
    modmig_migrator.migrate_to("users", 3)
    assert modmig_migrator.versions()["users"] == 3


def test_every_file_round_trips(modmig_config):
    assert assert_roundtrip(modmig_config).checked[0] == "users:0001_squashed_0003"
'''


def test_the_fixtures_work_with_a_squash_beside_its_originals_and_after_pruning(user_project):
    from modmig.api import Project

    with Project.load(user_project.path) as project:
        project.squash("users")
    user_project.makepyfile(test_squashed=SQUASHED_TESTS)
    user_project.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=3)
    with Project.load(user_project.path) as project:
        assert len(project.prune("users").deleted) == 3
    (user_project.path / "test_squashed.py").unlink()
    user_project.makepyfile(test_pruned=PRUNED_TESTS)
    user_project.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_the_project_can_be_named_by_option_or_ini(user_project):
    project = user_project.path / "elsewhere"
    project.mkdir()
    for name in ("apps", "modmig.yaml"):
        shutil.move(user_project.path / name, project / name)
    user_project.makepyfile(test_sample="def test_it(modmig_db):\n    assert modmig_db.versions()['users'] == 3\n")
    user_project.runpytest_subprocess("-p", "no:cacheprovider", "--modmig-config", "elsewhere/modmig.yaml").assert_outcomes(passed=1)
    user_project.makeini("[pytest]\nmodmig_config = elsewhere/modmig.yaml\n")
    user_project.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
    missing = user_project.runpytest_subprocess("-p", "no:cacheprovider", "--modmig-config", "nowhere.yaml")
    missing.assert_outcomes(errors=1)
    missing.stdout.fnmatch_lines(["*ConfigError: Config file *nowhere.yaml does not exist.*"])


def test_a_server_url_gets_a_throwaway_database_per_test(tmp_path):
    pytest.importorskip("psycopg")
    from sqlalchemy import create_engine, text

    server = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    engine = create_engine(server)
    listed = "SELECT count(*) FROM pg_database WHERE datname = :name"
    try:
        with throwaway_database(server, tmp_path) as url:
            name = url.rsplit("/", 1)[1]
            assert name.startswith("modmig_test_")
            with engine.connect() as connection:
                assert connection.execute(text(listed), {"name": name}).scalar() == 1
        with engine.connect() as connection:
            assert connection.execute(text(listed), {"name": name}).scalar() == 0
    except Exception as error:  # noqa: BLE001 - only "the server is not running" is tolerated
        if "Connection refused" in str(error) and not os.environ.get("CI"):
            pytest.skip("PostgreSQL is not running")
        raise
    finally:
        engine.dispose()
