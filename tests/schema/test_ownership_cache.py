"""The ownership map's cache: used when nothing changed, never stale when something did."""

from __future__ import annotations

import json

from modmig.api import Project

from ..conftest import ProjectBuilder
from .ownership_projects import CROSS_APP

BILLING = "apps/billing/migrations"


def rebuilt(builder: ProjectBuilder, folder: str = "project"):
    """The project loaded afresh (a new process would read the files again), and its map."""
    project = Project.load(builder.root / folder, database=builder.url)
    builder.opened.append(project)
    return project.owners()


def test_a_second_build_reads_nothing_and_replays_nothing(tmp_path, database_url):
    builder = ProjectBuilder(tmp_path, database_url)
    try:
        first = builder(CROSS_APP).owners()
        assert first.map.cache["files_parsed"] > 0 and first.map.cache["python_replayed"] == 1
        cache_file = tmp_path / "project" / ".modmig" / f"ownership-{first.map.dialect}.json"
        assert cache_file.is_file() and (tmp_path / "project" / ".modmig" / ".gitignore").read_text().endswith("*\n")

        second = rebuilt(builder)
        assert second.map.cache["files_parsed"] == 0 and second.map.cache["python_replayed"] == 0
        assert second.map.cache["files_cached"] == first.map.cache["files_parsed"]
        assert second.map.cache["python_cached"] == 1
        assert second.as_dict() | {"cache": None} == first.as_dict() | {"cache": None}
    finally:
        builder.close()


def test_an_edited_file_is_read_again_and_what_follows_it_is_replayed_again(tmp_path, database_url):
    builder = ProjectBuilder(tmp_path, database_url)
    try:
        builder(CROSS_APP).owners()
        migrations = tmp_path / "project" / "apps" / "users" / "migrations"
        first = migrations / "0001_create_users.sql"
        first.write_text(first.read_text().replace("email VARCHAR(100) NOT NULL", "login VARCHAR(100) NOT NULL"))
        report = rebuilt(builder)
        assert report.map.owner_of("column", "users_user.login") == "users"
        assert report.map.get("column", "users_user.email") is None
        assert report.map.cache["files_parsed"] == 1
        # audit:0001 (Python) runs after users:0001 changed: what it ran is recorded again
        assert report.map.cache["python_replayed"] == 1 and report.map.cache["python_cached"] == 0
    finally:
        builder.close()


def test_an_edited_python_migration_is_replayed_again(tmp_path, database_url):
    builder = ProjectBuilder(tmp_path, database_url)
    try:
        builder(CROSS_APP).owners()
        audit = tmp_path / "project" / "apps" / "audit" / "migrations" / "0001_audit_log.py"
        audit.write_text(audit.read_text().replace('"CREATE TABLE audit_log (', '"CREATE TABLE audit_entries ('))
        report = rebuilt(builder)
        assert report.map.owner_of("table", "audit_entries") == "audit"
        assert report.map.get("table", "audit_log") is None
        assert report.map.cache["python_replayed"] == 1
    finally:
        builder.close()


def test_a_new_file_is_read_and_a_deleted_one_leaves_the_map_and_the_cache(tmp_path, database_url):
    builder = ProjectBuilder(tmp_path, database_url)
    try:
        first = builder(CROSS_APP).owners()
        cache_file = tmp_path / "project" / ".modmig" / f"ownership-{first.map.dialect}.json"
        entries = len(json.loads(cache_file.read_text())["files"])
        added = tmp_path / "project" / BILLING / "0003_refunds.sql"
        added.write_text("CREATE TABLE billing_refund (id INTEGER PRIMARY KEY, bill_id INTEGER REFERENCES billing_bill (id));\n")

        report = rebuilt(builder)
        assert report.map.owner_of("table", "billing_refund") == "billing"
        assert report.map.cache["files_parsed"] == 1 and report.map.cache["python_replayed"] == 0
        assert len(json.loads(cache_file.read_text())["files"]) == entries + 1

        added.unlink()
        report = rebuilt(builder)
        assert report.map.get("table", "billing_refund") is None
        assert report.map.cache["files_parsed"] == 0
        assert len(json.loads(cache_file.read_text())["files"]) == entries  # the deleted file's entry is gone
    finally:
        builder.close()


def test_a_damaged_or_foreign_cache_file_is_ignored_and_rewritten(tmp_path, database_url):
    builder = ProjectBuilder(tmp_path, database_url)
    try:
        first = builder(CROSS_APP).owners()
        cache_file = tmp_path / "project" / ".modmig" / f"ownership-{first.map.dialect}.json"
        for damage in ("{not json", json.dumps({**json.loads(cache_file.read_text()), "sqlglot": "0.0.1"})):
            cache_file.write_text(damage)
            report = rebuilt(builder)
            assert report.map.cache["files_cached"] == 0
            assert report.as_dict() | {"cache": None} == first.as_dict() | {"cache": None}
        assert json.loads(cache_file.read_text())["sqlglot"] != "0.0.1"
    finally:
        builder.close()


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
