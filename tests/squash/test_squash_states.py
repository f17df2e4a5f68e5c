"""A squash file beside its originals, on every backend: each database state keeps working."""

import json

import pytest

from modmig.errors import DatabaseInsideSquash

from ..conftest import table_names, versions

ORIGINALS = {
    "0001_create_users.sql": "CREATE TABLE users_user (id INTEGER PRIMARY KEY);\n-- modmig: down\nDROP TABLE users_user;\n",
    "0002_add_email.sql": "ALTER TABLE users_user ADD COLUMN email VARCHAR(100);\n-- modmig: down\nALTER TABLE users_user DROP COLUMN email;\n",
    "0003_profiles.sql": "CREATE TABLE users_profile (id INTEGER PRIMARY KEY);\n-- modmig: down\nDROP TABLE users_profile;\n",
}
SQUASH = {
    "0001_squashed_0003.sql": (
        "-- modmig: replaces 0001-0003\n"
        "CREATE TABLE users_user (id INTEGER PRIMARY KEY, email VARCHAR(100));\n"
        "CREATE TABLE users_profile (id INTEGER PRIMARY KEY);\n"
        "-- modmig: down\nDROP TABLE users_profile;\nDROP TABLE users_user;\n"
    ),
}
LATER = {"0004_tags.sql": "CREATE TABLE users_tag (id INTEGER PRIMARY KEY);\n-- modmig: down\nDROP TABLE users_tag;\n"}
BLOG = {"0001_posts.sql": "-- modmig: depends users:0002\nCREATE TABLE blog_post (id INTEGER PRIMARY KEY);\n-- modmig: down\nDROP TABLE blog_post;\n"}


def applied(result):
    return [step.label for step in result.plan.steps]


def test_a_fresh_database_runs_the_squash_and_the_dependent_waits_for_it(make_project):
    project = make_project({"users": {**ORIGINALS, **SQUASH, **LATER}, "blog": BLOG})
    assert applied(project.upgrade()) == ["users:0001_squashed_0003", "blog:0001_posts", "users:0004_tags"]
    assert table_names(project) == {"users_user", "users_profile", "users_tag", "blog_post"}
    assert project.check().ok


@pytest.mark.parametrize("start, expected", [
    (1, ["users:0002_add_email", "users:0003_profiles", "users:0004_tags"]),
    (3, ["users:0004_tags"]),
])
def test_a_database_that_ran_originals_continues_with_originals(make_project, start, expected):
    before = make_project({"users": ORIGINALS}, folder="before")
    before.upgrade("users", to=start)
    after = make_project({"users": {**ORIGINALS, **SQUASH, **LATER}}, folder="after")
    assert applied(after.upgrade("users")) == expected
    assert versions(after) == {"users": 4}
    assert after.check().ok, after.check().reasons


def test_a_database_that_applied_the_squash_downgrades_through_it(make_project):
    project = make_project({"users": {**ORIGINALS, **SQUASH, **LATER}})
    project.upgrade()
    down = project.downgrade("users", to=0)
    assert applied(down) == ["users:0004_tags", "users:0001_squashed_0003"]
    assert table_names(project) == set()
    assert applied(project.upgrade("users", to=2)) == ["users:0001_create_users", "users:0002_add_email"]


def test_after_pruning_a_database_inside_the_range_is_told_to_upgrade_with_the_previous_release(make_project, run_cli):
    before = make_project({"users": ORIGINALS}, folder="before")
    before.upgrade("users", to=1)
    after = make_project({"users": {**SQUASH, **LATER}}, folder="after")
    with pytest.raises(DatabaseInsideSquash, match="version 1 in the database, inside the range 0001-0003"):
        after.upgrade()
    result = run_cli(after.config.root)("status")
    assert result.exit_code == 1 and "INSIDE SQUASHED RANGE" in result.stdout
    assert "previous release" in result.stderr


def test_after_pruning_a_database_past_the_range_just_continues(make_project):
    before = make_project({"users": ORIGINALS}, folder="before")
    before.upgrade("users")
    after = make_project({"users": {**SQUASH, **LATER}}, folder="after")
    assert applied(after.upgrade()) == ["users:0004_tags"]
    assert after.check().ok


def test_status_and_history_name_the_squash_when_the_database_ran_it(make_project, run_cli):
    project = make_project({"users": {**ORIGINALS, **SQUASH, **LATER}})
    project.upgrade("users", to=3)
    assert project.status().apps[0].current_name == "0001_squashed_0003"
    project.upgrade()
    project.downgrade("users", to=3)
    assert project.status().apps[0].current_name == "0001_squashed_0003"
    with project.connect() as connection:  # the version row says so too
        recorded = connection.exec_driver_sql("SELECT name FROM _schema_versions WHERE app = 'users'").scalar()
    assert recorded == "0001_squashed_0003"
    cli = run_cli(project.config.root)
    document = json.loads(cli("status", "--json").stdout)
    assert document["apps"][0]["current"] == "0001_squashed_0003"
    history = json.loads(cli("history", "--json").stdout)["entries"]
    assert [(e["name"], e["direction"]) for e in history] == [
        ("0001_squashed_0003", "up"), ("0004_tags", "up"), ("0004_tags", "down"),
    ]


def test_status_names_the_original_when_the_database_ran_the_originals(make_project):
    before = make_project({"users": ORIGINALS}, folder="before")
    before.upgrade("users", to=2)
    after = make_project({"users": {**ORIGINALS, **SQUASH, **LATER}}, folder="after")
    assert after.status().apps[0].current_name == "0002_add_email"
    after.upgrade("users", to=3)
    assert after.status().apps[0].current_name == "0003_profiles"
    after.downgrade("users", to=0)  # through the squash's down section: equivalent, and shorter
    after.upgrade("users", to=1)
    assert after.status().apps[0].current_name == "0001_create_users"


def test_a_stamp_through_a_squash_records_the_squash_in_the_version_row_and_the_history(make_project):
    project = make_project({"users": {**ORIGINALS, **SQUASH, **LATER}})
    project.stamp("users", 3)
    assert project.status().apps[0].current_name == "0001_squashed_0003"
    with project.connect() as connection:
        recorded = connection.exec_driver_sql("SELECT name FROM _schema_versions WHERE app = 'users'").scalar()
    assert recorded == "0001_squashed_0003"
    assert [(e.name, e.direction) for e in project.history()] == [("0001_squashed_0003", "stamp")]
    assert project.check().reasons == ["users: 1 pending migration(s): 0004"]
