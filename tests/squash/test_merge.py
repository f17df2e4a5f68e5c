"""``modmig merge``: two branches each added blog/0004; one keeps the number, the rest move up."""

import json
import os
import subprocess

import pytest

from modmig.api import Project

from ..conftest import write_tree

USERS = {"0001_users.sql": "CREATE TABLE users (id INTEGER PRIMARY KEY);\n-- modmig: down\nDROP TABLE users;\n"}


def blog(*extra: str) -> dict:
    files = {
        "0001_posts.sql": "CREATE TABLE posts (id INTEGER PRIMARY KEY);\n-- modmig: down\nDROP TABLE posts;\n",
        "0002_add_tags.sql": "CREATE TABLE tags (id INTEGER PRIMARY KEY);\n-- modmig: down\nDROP TABLE tags;\n",
        "0002_add_title.sql": "ALTER TABLE posts ADD COLUMN title TEXT;\n-- modmig: down\nALTER TABLE posts DROP COLUMN title;\n",
        "0003_add_slug.sql": "ALTER TABLE posts ADD COLUMN slug TEXT;\n-- modmig: down\nALTER TABLE posts DROP COLUMN slug;\n",
    }
    return {name: text for name, text in files.items() if name not in extra}


COMMENTS = {
    "0001_comments.sql": "-- modmig: depends blog:0002, users:0001\nCREATE TABLE comments (id INTEGER PRIMARY KEY);\n-- modmig: down\nDROP TABLE comments;\n",
    "0002_notify.py": "dependencies = ['blog:0003']\n\ndef upgrade(ctx):\n    pass\n",
}


def names(folder):
    return sorted(p.name for p in (folder / "apps/blog/migrations").glob("*.sql"))


@pytest.mark.parametrize("command", [["check"], ["status"], ["upgrade", "--all"]])
def test_two_files_with_one_version_are_a_conflict_naming_both_and_the_fix(tmp_path, run_cli, command):
    write_tree(tmp_path, {"blog": blog()}, "sqlite:///app.db")
    result = run_cli(tmp_path)(*command)
    assert result.exit_code == 2
    assert "0002_add_tags.sql and" in result.stderr and "0002_add_title.sql" in result.stderr
    assert "'modmig merge blog'" in result.stderr


def test_three_files_with_one_version_are_all_named_and_merge_renumbers_two(tmp_path, run_cli):
    third = {"0002_add_body.sql": "ALTER TABLE posts ADD COLUMN body TEXT;\n-- modmig: down\nALTER TABLE posts DROP COLUMN body;\n"}
    write_tree(tmp_path, {"users": USERS, "blog": {**blog(), **third}, "comments": COMMENTS}, "sqlite:///app.db")
    cli = run_cli(tmp_path)
    refused = cli("status")
    assert refused.exit_code == 2
    assert ("App 'blog' has 3 migrations with version 2: apps/blog/migrations/0002_add_body.sql, "
            "apps/blog/migrations/0002_add_tags.sql and apps/blog/migrations/0002_add_title.sql.") in refused.stderr
    assert "'modmig merge blog'" in refused.stderr
    document = json.loads(cli("check", "--json").stdout)
    assert document["error"]["paths"] == [f"apps/blog/migrations/0002_add_{slug}.sql" for slug in ("body", "tags", "title")]
    merged = cli("merge", "blog")
    assert merged.exit_code == 0, merged.output
    assert names(tmp_path) == ["0001_posts.sql", "0002_add_body.sql", "0003_add_tags.sql", "0004_add_title.sql", "0005_add_slug.sql"]
    assert "-- modmig: depends blog:0004, users:0001" in (tmp_path / "apps/comments/migrations/0001_comments.sql").read_text()
    assert cli("upgrade", "--all").exit_code == 0 and cli("check").exit_code == 0


def test_merge_without_history_keeps_the_first_by_name_and_rewrites_dependencies(tmp_path, run_cli):
    write_tree(tmp_path, {"users": USERS, "blog": blog(), "comments": COMMENTS}, "sqlite:///app.db")
    cli = run_cli(tmp_path)
    result = cli("merge", "blog")
    assert result.exit_code == 0, result.output
    assert "Kept apps/blog/migrations/0002_add_tags.sql as 0002 (first by name" in result.stdout
    assert names(tmp_path) == ["0001_posts.sql", "0002_add_tags.sql", "0003_add_title.sql", "0004_add_slug.sql"]
    comments = tmp_path / "apps/comments/migrations"
    assert "-- modmig: depends blog:0003, users:0001" in (comments / "0001_comments.sql").read_text()
    assert "dependencies = ['blog:0004']" in (comments / "0002_notify.py").read_text()
    assert "depends blog:0002 -> blog:0003" in result.stdout
    assert cli("upgrade", "--all").exit_code == 0 and cli("check").exit_code == 0


def test_merge_keeps_the_number_of_the_file_the_database_applied(tmp_path, run_cli):
    write_tree(tmp_path / "before", {"blog": blog("0002_add_tags.sql", "0003_add_slug.sql")}, f"sqlite:///{tmp_path / 'app.db'}")
    assert run_cli(tmp_path / "before")("upgrade", "--all").exit_code == 0  # applied 0002_add_title
    write_tree(tmp_path / "after", {"blog": blog()}, f"sqlite:///{tmp_path / 'app.db'}")
    cli = run_cli(tmp_path / "after")
    result = cli("merge", "blog")
    assert "Kept apps/blog/migrations/0002_add_title.sql as 0002 (applied to the configured database)" in result.stdout
    assert names(tmp_path / "after") == ["0001_posts.sql", "0002_add_title.sql", "0003_add_tags.sql", "0004_add_slug.sql"]
    assert [line.split()[1] for line in cli("upgrade", "--all").stdout.splitlines() if line.startswith("Applying")] == [
        "blog:0003_add_tags", "blog:0004_add_slug",
    ]


def test_merge_in_a_git_checkout_keeps_the_file_committed_first(tmp_path, run_cli):
    write_tree(tmp_path, {"blog": blog("0002_add_tags.sql")}, "sqlite:///app.db")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "add", "-A"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "title", "--date", "2001-01-01T00:00:00"], cwd=tmp_path, check=True,
                   env={**os.environ, "GIT_COMMITTER_DATE": "2001-01-01T00:00:00"})
    (tmp_path / "apps/blog/migrations/0002_add_tags.sql").write_text(blog()["0002_add_tags.sql"])
    subprocess.run([*git, "add", "-A"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "tags"], cwd=tmp_path, check=True)
    result = run_cli(tmp_path)("merge", "blog")
    assert "Kept apps/blog/migrations/0002_add_title.sql as 0002 (added first in git history)" in result.stdout


def test_a_database_that_applied_a_renumbered_migration_is_told_how_to_fix_it_and_the_fix_works(tmp_path, run_cli):
    db = f"sqlite:///{tmp_path / 'staging.db'}"
    write_tree(tmp_path / "branch", {"blog": blog("0002_add_title.sql", "0003_add_slug.sql")}, db)
    assert run_cli(tmp_path / "branch")("upgrade", "--all").exit_code == 0  # staging applied 0002_add_tags
    write_tree(tmp_path / "merged", {"blog": {
        **blog("0002_add_tags.sql", "0003_add_slug.sql"),
        "0003_add_tags.sql": blog()["0002_add_tags.sql"],
    }}, db)
    cli = run_cli(tmp_path / "merged")
    refused = cli("upgrade", "--all")
    assert refused.exit_code == 1
    assert "applied 0002_add_tags as version 2, but 'modmig merge' renumbered it to 0003_add_tags" in refused.stderr
    assert "'modmig repair blog --renumbered'" in refused.stderr
    fixed = cli("repair", "blog", "--renumbered")
    assert fixed.exit_code == 0, fixed.output
    assert "Ran blog:0002_add_title (applied)" in fixed.stdout and "blog is at 3" in fixed.stdout
    assert cli("check").exit_code == 0
    project = Project.load(tmp_path / "merged")
    with project.connect() as connection:
        columns = [row[1] for row in connection.exec_driver_sql("PRAGMA table_info(posts)")]
    project.close()
    assert "title" in columns


def test_merge_with_nothing_conflicting_says_so(tmp_path, run_cli):
    write_tree(tmp_path, {"users": USERS}, None)
    result = run_cli(tmp_path)("merge", "users")
    assert result.exit_code == 2 and "nothing to merge" in result.stderr



def test_a_database_that_applied_a_whole_renumbered_branch_runs_only_what_it_lacks(tmp_path, run_cli):
    """Branch B added 0002_add_title and 0003_add_slug; merge kept main's 0002_add_tags at 2."""
    db = f"sqlite:///{tmp_path / 'staging.db'}"
    write_tree(tmp_path / "branch", {"blog": blog("0002_add_tags.sql")}, db)
    assert run_cli(tmp_path / "branch")("upgrade", "--all").exit_code == 0  # at 3: title, slug
    write_tree(tmp_path / "merged", {"blog": blog()}, None)
    assert run_cli(tmp_path / "merged")("merge", "blog").exit_code == 0  # tags 2, title 3, slug 4
    (tmp_path / "merged" / "modmig.yaml").write_text(f"database: {db}\napps:\n  blog: apps/blog\n")
    cli = run_cli(tmp_path / "merged")
    fixed = cli("repair", "blog", "--renumbered")
    assert fixed.exit_code == 0, fixed.output
    assert "Ran blog:0002_add_tags (applied)" in fixed.stdout and "blog is at 4" in fixed.stdout
    assert cli("check").exit_code == 0
