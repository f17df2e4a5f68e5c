"""status, check, checksums and history: read-only views that catch drift between files and database."""

import json

import pytest

from modmig.api import Project
from modmig.errors import ChecksumMismatch, DatabaseAhead

from .test_upgrade import BLOG, USERS

#: Core scenarios: they run on the PgBouncer and Galera topologies too (tests/conftest.py).
pytestmark = pytest.mark.conformance


def test_status_lists_version_latest_and_pending_per_app(make_project):
    project = make_project({"users": USERS, "blog": BLOG})
    project.upgrade("users", to=1)
    apps = {s.app: s for s in project.status().apps}
    assert (apps["users"].version, apps["users"].latest, apps["users"].pending) == (1, 3, [2, 3])
    assert (apps["blog"].version, apps["blog"].pending) == (0, [1, 2])
    assert apps["users"].current_name == "0001_create_users"


def test_apps_no_longer_configured_are_orphans_not_errors(make_project, database_url):
    project = make_project({"users": USERS, "blog": BLOG})
    project.upgrade()
    reduced = make_project({"users": USERS}, folder="reduced")
    report = reduced.status()
    assert report.orphans == [("blog", 2)]
    assert reduced.check().ok


def test_check_passes_only_when_everything_is_applied(make_project):
    project = make_project({"users": USERS, "blog": BLOG})
    assert project.check().reasons == [
        "blog: 2 pending migration(s): 0001, 0002",
        "users: 3 pending migration(s): 0001, 0002, 0003",
    ]
    project.upgrade()
    assert project.check().ok


def test_an_edited_applied_file_blocks_upgrade_and_is_named(make_project):
    project = make_project({"users": USERS, "blog": BLOG})
    project.upgrade("users", to=2)
    path = project.histories["users"].migrations[1].path
    path.write_text(path.read_text().replace("VARCHAR(100)", "VARCHAR(200)"))
    edited = Project.load(project.config.path)
    with pytest.raises(ChecksumMismatch, match="users:0002 \\(.*0002_add_email.sql\\).*modmig repair users"):
        edited.upgrade()
    assert edited.status().apps[1].changed and not edited.check().ok
    edited.repair("users")
    assert edited.upgrade().steps_done == 3
    edited.close()


def test_line_endings_and_trailing_spaces_are_not_edits(make_project):
    project = make_project({"users": USERS})
    project.upgrade()
    for migration in project.histories["users"].migrations:
        migration.path.write_bytes(migration.source.replace("\n", "   \r\n").encode())
    resaved = Project.load(project.config.path)
    assert resaved.check().ok
    resaved.close()


def test_a_database_ahead_of_the_files_names_the_app(make_project):
    project = make_project({"users": USERS})
    project.upgrade()
    project.histories["users"].migrations[2].path.unlink()
    behind = Project.load(project.config.path)
    with pytest.raises(DatabaseAhead, match="'users' is at version 3 .* only go up to 2"):
        behind.upgrade()
    behind.close()


def test_status_and_check_from_the_cli(scenario, run_cli):
    cli = run_cli(scenario("failing_migration"))
    assert cli("check").exit_code == 1
    assert cli("upgrade", "users").exit_code == 0
    status = cli("status")
    rows = {line.split()[0]: line.split()[1:] for line in status.stdout.splitlines()[4:]}
    assert status.exit_code == 0
    assert rows == {"blog": ["0", "3", "0001,", "0002,", "0003", "3", "pending"], "users": ["1", "1", "-", "up", "to", "date"]}
    document = json.loads(cli("status", "--json").stdout)
    assert document["schema_version"] == 1
    assert {a["app"]: a["pending"] for a in document["apps"]} == {"blog": [1, 2, 3], "users": []}
    failed = cli("check")
    assert failed.exit_code == 1 and "blog: 3 pending migration(s)" in failed.stdout


def test_history_shows_every_step_with_its_direction(scenario, run_cli):
    cli = run_cli(scenario("failing_migration"))
    cli("upgrade", "blog", "--to", "1")
    cli("downgrade", "blog", "--to", "0")
    lines = cli("history").stdout.splitlines()
    assert [line.split()[3:5] for line in lines[2:]] == [
        ["users:0001_create_users", "up"],
        ["blog:0001_create_posts", "up"],
        ["blog:0001_create_posts", "down"],
    ]
