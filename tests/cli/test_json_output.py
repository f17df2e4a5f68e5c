"""Every --json document, validated against the schema shipped in modmig/schemas/ (docs/json.md)."""

import json
from importlib import resources

import jsonschema
import pytest

from ..conftest import MODMIG, write_tree


def schema(name: str) -> dict:
    return json.loads(resources.files("modmig").joinpath(f"schemas/{name}.schema.json").read_text())


def document(result, name: str) -> dict:
    found = json.loads(result.stdout)
    jsonschema.validate(found, schema(name))
    return found


@pytest.mark.parametrize(
    "name", ["status", "check", "plan", "history", "run", "roundtrip", "adopt", "squash", "prune", "merge", "error", "makemigrations", "drift"]
)
def test_every_shipped_schema_is_a_valid_json_schema(name):
    jsonschema.Draft202012Validator.check_schema(schema(name))


def test_status_check_plan_and_history_documents_match_their_schemas(sample_project, run_cli):
    cli = run_cli(sample_project)
    plan = document(cli("plan", "--json", "--sql"), "plan")
    assert plan["kind"] == "plan" and len(plan["steps"]) == 10
    assert plan["steps"][-1]["sql"] is None  # users:0003_seed_admin is a Python migration
    cli("upgrade", "blog")
    status = document(cli("status", "--json"), "status")
    assert {a["app"]: a["version"] for a in status["apps"]} == {"blog": 4, "comments": 0, "users": 2}
    check = document(cli("check", "--json"), "check")
    assert check["ok"] is False and check["status"]["apps"][1]["pending"] == [1, 2, 3]
    history = document(cli("history", "--json", "--limit", "2"), "history")
    assert [(e["app"], e["version"], e["direction"]) for e in history["entries"]] == [("blog", 3, "up"), ("blog", 4, "up")]
    assert history["entries"][0]["started_at"].endswith("Z")


def test_upgrade_and_downgrade_print_one_run_document(sample_project, run_cli):
    cli = run_cli(sample_project)
    result = cli("upgrade", "users", "--to", "2", "--json")
    run = document(result, "run")
    assert result.exit_code == 0 and run["kind"] == "upgrade" and run["success"] is True
    assert [(s["app"], s["version"], s["status"]) for s in run["steps"]] == [("users", 1, "done"), ("users", 2, "done")]
    down = document(cli("downgrade", "users", "--to", "1", "--json"), "run")
    assert down["direction"] == "down" and down["steps_done"] == 1 and down["apps"] == ["users"]
    nothing = document(cli("upgrade", "users", "--to", "1", "--json"), "run")
    assert nothing["steps"] == [] and nothing["success"] is True


def test_a_failed_upgrade_documents_done_failed_and_unrun_steps(scenario, run_cli):
    cli = run_cli(scenario("failing_migration"))
    result = cli("upgrade", "--all", "--json")
    run = document(result, "run")
    assert result.exit_code == 1 and run["success"] is False
    assert [(s["app"], s["version"], s["status"]) for s in run["steps"]] == [
        ("users", 1, "done"), ("blog", 1, "done"), ("blog", 2, "failed"), ("blog", 3, "not run"),
    ]
    assert "blog_tag_typo" in run["steps"][2]["error"]
    assert run["error"]["type"] == "MigrationFailed" and run["error"]["app"] == "blog" and run["error"]["line"] == 5
    assert "Migration blog:0002 failed" in result.stderr


def test_a_downgrade_needing_confirmation_fails_as_a_document_without_asking(sample_project, run_cli):
    cli = run_cli(sample_project)
    cli("upgrade", "--all")
    result = cli("downgrade", "users", "--to", "1", "--json")
    run = document(result, "run")
    assert result.exit_code == 2 and run["error"]["type"] == "ConfirmationRequired"


def test_a_json_command_that_fails_early_prints_an_error_document(sample_project, run_cli):
    cli = run_cli(sample_project)
    result = cli("status", "--json", "--database", "postgresql://app:s3cret@db.invalid/prod")
    error = document(result, "error")
    assert result.exit_code == 2 and error["kind"] == "error"
    assert error["error"]["type"] == "DatabaseUnavailable" and "s3cret" not in result.stdout + result.stderr
    unknown = document(cli("history", "nope", "--json"), "error")
    assert unknown["error"]["type"] == "UnknownApp" and unknown["error"]["app"] == "nope"


def test_roundtrip_and_adopt_documents_match_their_schemas(sample_project, run_cli):
    cli = run_cli(sample_project)
    roundtrip = document(cli("check", "--roundtrip", "--json"), "roundtrip")
    assert roundtrip["ok"] is True and roundtrip["checked"][0] == "users:0001_create_users"
    result = cli("adopt", "django", "--json")
    assert result.exit_code == 2
    document(result, "error")


def test_waiting_for_the_lock_is_told_on_stderr_and_a_timeout_is_a_run_document(sample_project):
    import subprocess

    from modmig.api import Project

    holder = Project.load(sample_project)
    with holder.backend.lock(5, lambda *_: None):
        waiting = subprocess.run(
            [*MODMIG, "upgrade", "--all", "--json", "--lock-timeout", "1"],
            cwd=sample_project, capture_output=True, text=True, timeout=60,
        )
    holder.close()
    run = json.loads(waiting.stdout)
    jsonschema.validate(run, schema("run"))
    assert waiting.returncode == 1 and run["error"]["type"] == "LockTimeout" and run["steps"] == []
    assert "Waiting for the migration lock held by" in waiting.stderr


def test_squash_and_prune_documents_match_their_schemas(sample_project, run_cli):
    cli = run_cli(sample_project)
    result = cli("squash", "users", "--json")
    squash = document(result, "squash")
    assert result.exit_code == 0 and result.stderr == ""
    assert squash["path"] == "apps/users/migrations/0001_squashed_0003.py" and squash["format"] == "python"
    assert squash["replaced"] == ["0001_create_users", "0002_add_display_name", "0003_seed_admin"]
    assert squash["verification"]["database"] == "SQLite in memory" and squash["verification"]["downgrade_checked"]
    cli("upgrade", "--all")
    prune = document(cli("squash", "users", "--prune", "--json"), "prune")
    assert prune["squashes"] == ["0001_squashed_0003"] and len(prune["deleted"]) == 3
    assert sorted(p.name for p in (sample_project / "apps/users/migrations").iterdir()) == ["0001_squashed_0003.py"]


def test_a_squash_that_fails_verification_prints_an_error_document_and_writes_nothing(tmp_path, run_cli):
    write_tree(tmp_path, {"app": {
        "0001_t.sql": "CREATE TABLE t (v INTEGER);\n",
        "0002_random.sql": "INSERT INTO t (v) VALUES (random());\n",
    }}, None)
    result = run_cli(tmp_path)("squash", "app", "--json")
    error = document(result, "error")["error"]
    assert result.exit_code == 1 and error["type"] == "SquashNotVerified" and error["exit_code"] == 1
    assert error["app"] == "app" and any(line.startswith("rows / t: 1 row(s)") for line in error["differences"])
    assert "failed verification, so no file was written" in result.stderr
    assert sorted(p.name for p in (tmp_path / "apps/app/migrations").iterdir()) == ["0001_t.sql", "0002_random.sql"]


def test_options_that_do_not_go_together_still_give_an_error_document(sample_project, run_cli):
    result = run_cli(sample_project)("squash", "users", "--prune", "--to", "2", "--json")
    error = document(result, "error")["error"]
    assert result.exit_code == 2 and error["type"] == "UsageError" and "--prune takes no other option" in error["message"]


def test_merge_documents_match_their_schema(sample_project, run_cli):
    parallel = sample_project / "apps/blog/migrations/0004_add_tags.sql"
    parallel.write_text("CREATE TABLE blog_tag (id INTEGER PRIMARY KEY);\n-- modmig: down\nDROP TABLE blog_tag;\n")
    cli = run_cli(sample_project)
    conflict = document(cli("status", "--json"), "error")["error"]
    assert conflict["type"] == "DuplicateVersion" and conflict["version"] == 4 and len(conflict["paths"]) == 2
    merge = document(cli("merge", "blog", "--json"), "merge")
    assert merge["kept"] == [{"version": 4, "path": "apps/blog/migrations/0004_add_slug.sql", "reason": merge["kept"][0]["reason"]}]
    assert merge["renamed"] == [{"from": "apps/blog/migrations/0004_add_tags.sql", "to": "apps/blog/migrations/0005_add_tags.sql"}]
    assert merge["rewritten"] == [{"path": "apps/comments/migrations/0003_add_edited_at.sql", "from": "blog:0004", "to": "blog:0005"}]
    nothing = document(cli("merge", "blog", "--json"), "error")
    assert nothing["error"]["type"] == "UsageError" and "nothing to merge" in nothing["error"]["message"]


def test_makemigrations_documents_match_their_schema_in_each_mode(sample_project, run_cli):
    cli = run_cli(sample_project)
    clean = document(cli("makemigrations", "--check", "--json"), "makemigrations")
    assert (clean["mode"], clean["changed"], [a["app"] for a in clean["apps"]]) == ("check", False, ["blog", "comments", "users"])
    models = sample_project / "apps" / "users" / "models.py"
    models.write_text(models.read_text() + "    bio: Mapped[str | None] = mapped_column(String(500))\n")
    shown = document(cli("makemigrations", "users", "--dry-run", "--json"), "makemigrations")
    [users] = shown["apps"]
    assert users["migration"]["written"] is False and users["migration"]["name"] == "0004_add_users_user_bio"
    assert users["changes"][0]["text"] == "add column users_user.bio: VARCHAR(500)"
    error = document(cli("makemigrations", "nobody", "--json"), "error")
    assert "Unknown app 'nobody'" in error["error"]["message"]
