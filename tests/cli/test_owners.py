"""``modmig owners``: the text a person reads, the JSON a pipeline reads, and what it costs other commands."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

import jsonschema

from ..conftest import REPO, write_tree


def owners_schema() -> dict:
    return json.loads(resources.files("modmig").joinpath("schemas/owners.schema.json").read_text())


def test_owners_lists_each_apps_objects_with_who_created_and_changed_them(sample_project, run_cli):
    result = run_cli(sample_project)("owners")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Schema objects the migrations create (sqlite; Python migrations replayed on SQLite in memory)"
    assert [line for line in lines if line and not line.startswith(" ")][1:] == [
        "blog: 11 object(s)", "comments: 15 object(s)", "users: 7 object(s)",
    ]
    rows = {line.split()[0]: line.split(None, 3)[1:] for line in lines if line.startswith("  ") and not line.startswith("  -")}
    assert rows["users_user"] == ["table", "users:0001_create_users", "users:0002_add_display_name"]
    assert rows["blog_post.blog_post_published"] == ["index", "blog:0002_index_posts_by_date", "-"]
    assert rows["comments_comment.comments_count_insert"] == ["trigger", "comments:0002_comment_counts", "-"]
    assert "Not fully read" not in result.stdout and "No owner" not in result.stdout
    assert (sample_project / ".modmig" / "ownership-sqlite.json").is_file()


def test_owners_of_one_app_and_as_json_match_the_schema(sample_project, run_cli):
    cli = run_cli(sample_project)
    text = cli("owners", "blog")
    assert text.exit_code == 0 and "blog: 11 object(s)" in text.stdout and "users:" not in text.stdout
    document = json.loads(cli("owners", "blog", "--json").stdout)
    jsonschema.validate(document, owners_schema())
    assert document["kind"] == "owners" and document["app"] == "blog"
    assert {obj["app"] for obj in document["objects"]} == {"blog"}
    slug = next(obj for obj in document["objects"] if obj["name"] == "blog_post.slug")
    assert slug["created_by"] == {"label": "blog:0004_add_slug", "app": "blog", "version": 4}
    listing = next(m for m in document["migrations"] if m["migration"] == "blog:0003_post_listing_view")
    assert {"action": "referred", "kind": "table", "name": "users_user", "table": None, "owner": "users", "line": 3} in listing["touches"]
    rebuilt = json.loads(cli("owners", "--json", "--rebuild").stdout)
    jsonschema.validate(rebuilt, owners_schema())
    assert rebuilt["cache"]["files_cached"] == 0 and rebuilt["cache"]["files_parsed"] > 0


def test_owners_says_what_it_could_not_read_and_what_no_app_owns(tmp_path, run_cli):
    write_tree(tmp_path, {
        "legacy": {"0001_import.py": "def upgrade(ctx):\n    raise RuntimeError('needs the production secrets')\n"},
        "shop": {"0001_orders.sql": "-- modmig: depends legacy:0001\nCREATE VIEW shop_orders AS SELECT * FROM legacy_customers;\n"},
    }, "sqlite:///app.db")
    result = run_cli(tmp_path)("owners")
    assert result.exit_code == 0, result.output
    assert "No owner: 1 object(s) used by migrations but created by none" in result.stdout
    assert "  table legacy_customers (unknown: perhaps made by legacy:0001_import)" in result.stdout
    assert "Not fully read" in result.stdout
    assert "legacy:0001_import: not replayed: the replay on SQLite in memory failed at legacy:0001_import at 0001_import.py: needs the production secrets" in result.stdout
    jsonschema.validate(json.loads(run_cli(tmp_path)("owners", "--json").stdout), owners_schema())


def test_an_unknown_app_is_a_usage_error(sample_project, run_cli):
    result = run_cli(sample_project)("owners", "blgo")
    assert result.exit_code == 2 and "Unknown app 'blgo'. Did you mean 'blog'?" in result.stderr


def test_commands_that_do_not_need_the_map_never_import_it(sample_project):
    def imported(*args: str) -> str:
        done = subprocess.run([sys.executable, "-X", "importtime", "-m", "modmig", *args], cwd=sample_project, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stderr

    for command in (["status"], ["plan", "--sql"], ["upgrade", "--all", "-q"]):
        modules = imported(*command)
        assert "modmig.schema.ownership" not in modules and "sqlglot" not in modules, command
    assert "modmig.schema.ownership" in imported("owners")


def test_the_ownership_page_shows_what_modmig_prints_for_the_sample_projects_users(sample_project, run_cli):
    page = (REPO / "docs" / "ownership.md").read_text()
    printed = run_cli(sample_project)("owners", "users").stdout
    assert "```text\n" + printed + "```" in page


def test_a_server_that_cannot_give_a_scratch_database_leaves_python_migrations_opaque_with_the_reason(tmp_path, run_cli):
    write_tree(tmp_path, {"legacy": {"0001_import.py": "def upgrade(ctx):\n    ctx.execute('CREATE TABLE legacy_t (id INTEGER)')\n"}},
               "postgresql+psycopg://modmig:secret@127.0.0.1:1/app")
    result = run_cli(tmp_path)("owners")
    assert result.exit_code == 0, result.output
    assert "legacy:0001_import: not replayed: Cannot use database postgresql+psycopg://modmig:***@127.0.0.1:1" in result.stdout
    assert "Pass --scratch URL" in result.stdout and "secret" not in result.stdout


def test_a_scratch_url_that_cannot_be_used_is_an_error(sample_project, run_cli):
    result = run_cli(sample_project)("owners", "--scratch", "oracle://scott@db/orcl")
    assert result.exit_code == 2
    assert "--scratch: modmig cannot create a scratch database on 'oracle'" in result.stderr
