"""Which migrations ``--base GIT_REF`` lints, how "existing" is decided, and the pytest assertion."""

from __future__ import annotations

import subprocess
import sys

import pytest

from modmig.api import Project
from modmig.errors import UsageError
from modmig.testing import assert_lint_clean

from ..conftest import write_tree

ORDERS = "CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT);\n-- modmig: down\nDROP TABLE orders;\n"
DROP = "ALTER TABLE orders DROP COLUMN note;\n-- modmig: down\nALTER TABLE orders ADD COLUMN note TEXT;\n"


def git(cwd, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd, check=True, capture_output=True)


def test_base_lints_the_files_added_or_changed_since_the_branch_point(tmp_path):
    config = write_tree(tmp_path, {"shop": {"0001_a.sql": ORDERS}}, None)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    git(tmp_path, "checkout", "-q", "-b", "feature")
    (tmp_path / "apps/shop/migrations/0002_b.sql").write_text(DROP)  # untracked, as in a working copy
    with Project.load(config) as project:
        report = project.lint(base="main")
    assert report.files == ["shop:0002_b"] and report.selection == "changed since main"
    assert [f.rule for f in report.findings] == ["DS102"]
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "feature")
    with Project.load(config) as project:
        assert project.lint(base="main").files == ["shop:0002_b"]
        assert project.lint(base="feature").files == []


def test_base_names_a_ref_git_does_not_know_and_a_folder_outside_git(tmp_path):
    config = write_tree(tmp_path, {"shop": {"0001_a.sql": ORDERS}}, None)
    with Project.load(config) as project, pytest.raises(UsageError, match="not in one"):
        project.lint(base="main")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    with Project.load(config) as project, pytest.raises(UsageError, match="--base no-such-branch: git cannot resolve it"):
        project.lint(base="no-such-branch")


def test_a_table_created_earlier_in_the_same_file_is_new_and_one_from_an_earlier_migration_is_not(tmp_path):
    same_file = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);\nALTER TABLE t DROP COLUMN a;\n-- modmig: down\nDROP TABLE t;\n"
    config = write_tree(tmp_path, {"shop": {"0001_a.sql": same_file, "0002_b.sql": "ALTER TABLE t DROP COLUMN id;\n-- modmig: down\nSELECT 1;\n"}}, None)
    with Project.load(config) as project:
        report = project.lint(everything=True)
    assert [(f.migration, f.rule) for f in report.findings if f.rule == "DS102"] == [("shop:0002_b", "DS102")]


def test_the_old_type_comes_from_earlier_migrations_of_other_apps_too(tmp_path):
    config = write_tree(tmp_path, {
        "billing": {"0001_a.sql": "CREATE TABLE invoices (id bigint PRIMARY KEY, ref varchar(20));\n"},
        "shop": {"0001_a.sql": "-- modmig: depends billing:0001\nALTER TABLE invoices ALTER COLUMN ref TYPE varchar(40);\n"
                               "ALTER TABLE invoices ALTER COLUMN id TYPE text;\n"},
    }, None)
    with Project.load(config) as project:
        report = project.lint(["shop"], everything=True, dialect="postgresql")
    assert [(f.rule, f.line) for f in report.findings if f.rule == "PG124"] == [("PG124", 3)]
    assert "bigint -> text rewrites every row" in next(f.message for f in report.findings if f.rule == "PG124")


def test_assert_lint_clean_passes_quietly_and_fails_with_every_finding(tmp_path):
    clean = write_tree(tmp_path / "clean", {"shop": {"0001_a.sql": ORDERS}}, None)
    assert assert_lint_clean(clean).ok
    dirty = write_tree(tmp_path / "dirty", {"shop": {"0001_a.sql": ORDERS, "0002_b.sql": DROP}}, None)
    with pytest.raises(AssertionError, match=r"0002_b.sql:1: DS102 error: dropping orders.note"):
        assert_lint_clean(dirty)
    warned = write_tree(tmp_path / "warned", {"shop": {"0001_a.sql": ORDERS.split("-- modmig: down")[0]}}, None)
    assert_lint_clean(warned)
    with pytest.raises(AssertionError, match="DM103 warning"):
        assert_lint_clean(warned, strict=True)


def test_pending_follows_each_database(make_project):
    """The conformance suite: on SQLite, PostgreSQL and MariaDB, lint reads which files are pending
    from the database it is pointed at, and parses them as that database's SQL."""
    project = make_project({"shop": {
        "0001_a.sql": "CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT);\n-- modmig: down\nDROP TABLE orders;\n",
        "0002_b.sql": "DELETE FROM orders;\n-- modmig: down\nSELECT 1;\n",
    }})
    before = project.lint()
    assert before.files == ["shop:0001_a", "shop:0002_b"] and before.dialect == project.dialect()
    project.upgrade("shop", to=1)
    after = project.lint()
    assert after.files == ["shop:0002_b"] and [f.rule for f in after.findings] == ["DM102"]


def test_cross_app_rules_run_when_another_app_mentions_what_a_migration_touches(tmp_path, monkeypatch):
    config = write_tree(tmp_path, {
        "users": {"0001_a.sql": "CREATE TABLE users_user (id INTEGER PRIMARY KEY);\n-- modmig: down\nDROP TABLE users_user;\n"},
        "blog": {"0001_a.sql": "CREATE VIEW blog_users AS SELECT id FROM users_user;\n-- modmig: down\nDROP VIEW blog_users;\n"},
    }, None)
    with Project.load(config) as project:
        report = project.lint(everything=True)
    assert report.notes == [] and [(f.migration, f.rule) for f in report.findings] == [("blog:0001_a", "XA104")]
    assert (tmp_path / ".modmig" / "lint-ownership-sqlite.json").is_file()  # the map's cache, beside modmig owners's
    import modmig.schema

    monkeypatch.setitem(sys.modules, "modmig.schema.ownership", None)  # a modmig without the map
    monkeypatch.delattr(modmig.schema, "ownership", raising=False)
    with Project.load(config) as project:
        report = project.lint(everything=True)
    assert report.findings == [] and "ownership map" in report.notes[0]
    assert "Note: the cross-app rules (XA) need the ownership map" in report.describe()


def test_no_ownership_map_is_built_when_no_other_app_mentions_what_is_linted(tmp_path):
    config = write_tree(tmp_path, {
        "users": {"0001_a.sql": "CREATE TABLE users_user (id INTEGER PRIMARY KEY);\n-- modmig: down\nDROP TABLE users_user;\n"},
        "blog": {"0001_a.sql": "CREATE TABLE blog_post (id INTEGER PRIMARY KEY);\n-- modmig: down\nDROP TABLE blog_post;\n"},
    }, None)
    with Project.load(config) as project:
        assert project.lint(everything=True).findings == []
    assert not (tmp_path / ".modmig").exists()


def test_creating_a_table_is_not_altering_an_existing_one(tmp_path):
    """A CREATE TABLE needs no lock timeout: the table it creates is new (MY111 once fired on it)."""
    config = write_tree(tmp_path, {"shop": {"0001_a.sql": "CREATE TABLE t (id BIGINT PRIMARY KEY);\n-- modmig: down\nDROP TABLE t;\n",
                                            "0002_b.sql": "ALTER TABLE t ADD COLUMN a INT NULL;\n-- modmig: down\nSELECT 1;\n"}}, None)
    with Project.load(config) as project:
        report = project.lint(everything=True, dialect="mysql")
    assert [(f.migration, f.rule) for f in report.findings] == [("shop:0002_b", "MY111")]
