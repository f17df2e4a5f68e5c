"""The ownership map's cache: used when nothing changed, never stale when something did."""

from __future__ import annotations

import json

import pytest

from modmig.api import Project

from ..conftest import ProjectBuilder
from .ownership_projects import CROSS_APP

BILLING = "apps/billing/migrations"


class Built:
    """The cross-app project built once on the test's database, with its cache; ``rebuilt()``
    loads it afresh (as a new process would: the files read again) and builds the map again."""

    def __init__(self, tmp_path, database_url) -> None:
        self.builder = ProjectBuilder(tmp_path, database_url)
        self.root = tmp_path / "project"
        self.first = self.builder(CROSS_APP).owners()
        self.cache_file = self.root / ".modmig" / f"ownership-{self.first.map.dialect}.json"

    def rebuilt(self):
        project = Project.load(self.root, database=self.builder.url)
        self.builder.opened.append(project)
        return project.owners()

    def cached(self) -> dict:
        return json.loads(self.cache_file.read_text())


@pytest.fixture
def built(tmp_path, database_url):
    built = Built(tmp_path, database_url)
    yield built
    built.builder.close()


def test_a_second_build_reads_nothing_and_replays_nothing(built):
    first = built.first
    assert first.map.cache["files_parsed"] > 0 and first.map.cache["python_replayed"] == 1
    assert built.cache_file.is_file() and (built.root / ".modmig" / ".gitignore").read_text().endswith("*\n")

    second = built.rebuilt()
    assert second.map.cache["files_parsed"] == 0 and second.map.cache["python_replayed"] == 0
    assert second.map.cache["files_cached"] == first.map.cache["files_parsed"]
    assert second.map.cache["python_cached"] == 1
    assert second.as_dict() | {"cache": None} == first.as_dict() | {"cache": None}


def test_an_edited_file_is_read_again_and_what_follows_it_is_replayed_again(built):
    first = built.root / "apps" / "users" / "migrations" / "0001_create_users.sql"
    first.write_text(first.read_text().replace("email VARCHAR(100) NOT NULL", "login VARCHAR(100) NOT NULL"))
    report = built.rebuilt()
    assert report.map.owner_of("column", "users_user.login") == "users"
    assert report.map.get("column", "users_user.email") is None
    assert report.map.cache["files_parsed"] == 1
    # audit:0001 (Python) runs after users:0001 changed: what it ran is recorded again
    assert report.map.cache["python_replayed"] == 1 and report.map.cache["python_cached"] == 0


def test_an_edited_python_migration_is_replayed_again(built):
    audit = built.root / "apps" / "audit" / "migrations" / "0001_audit_log.py"
    audit.write_text(audit.read_text().replace('"CREATE TABLE audit_log (', '"CREATE TABLE audit_entries ('))
    report = built.rebuilt()
    assert report.map.owner_of("table", "audit_entries") == "audit"
    assert report.map.get("table", "audit_log") is None
    assert report.map.cache["python_replayed"] == 1


def test_a_new_file_is_read_and_a_deleted_one_leaves_the_map_and_the_cache(built):
    entries = len(built.cached()["files"])
    added = built.root / BILLING / "0003_refunds.sql"
    added.write_text("CREATE TABLE billing_refund (id INTEGER PRIMARY KEY, bill_id INTEGER REFERENCES billing_bill (id));\n")

    report = built.rebuilt()
    assert report.map.owner_of("table", "billing_refund") == "billing"
    assert report.map.cache["files_parsed"] == 1 and report.map.cache["python_replayed"] == 0
    assert len(built.cached()["files"]) == entries + 1

    added.unlink()
    report = built.rebuilt()
    assert report.map.get("table", "billing_refund") is None
    assert report.map.cache["files_parsed"] == 0
    assert len(built.cached()["files"]) == entries  # the deleted file's entry is gone


def test_a_damaged_or_foreign_cache_file_is_ignored_and_rewritten(built):
    for damage in ("{not json", json.dumps({**built.cached(), "sqlglot": "0.0.1"})):
        built.cache_file.write_text(damage)
        report = built.rebuilt()
        assert report.map.cache["files_cached"] == 0
        assert report.as_dict() | {"cache": None} == built.first.as_dict() | {"cache": None}
    assert built.cached()["sqlglot"] != "0.0.1"


def test_rebuild_ignores_the_cache_and_no_cache_writes_none(tmp_path, database_url):
    builder = ProjectBuilder(tmp_path, database_url)
    try:
        project = builder(CROSS_APP)
        assert project.owners(cache=False).map.cache["path"] is None
        assert not (tmp_path / "project" / ".modmig").exists()
        project.owners()
        again = project.owners(refresh=True)
        assert again.map.cache["files_cached"] == 0 and again.map.cache["python_replayed"] == 1
    finally:
        builder.close()
