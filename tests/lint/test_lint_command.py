"""``modmig lint``: which migrations, exit codes, the four output formats, ``check --lint``."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

import jsonschema
import pytest

from ..conftest import REPO, write_tree

SAFE = "CREATE TABLE orders (id INTEGER PRIMARY KEY, sku TEXT NOT NULL);\n-- modmig: down\nDROP TABLE orders;\n"
DANGEROUS = (
    "-- A comment first, so the statement's line is not the file's first.\n"
    "\n"
    "ALTER TABLE orders ADD COLUMN stock INTEGER NOT NULL;\n"
    "-- modmig: down\n"
    "ALTER TABLE orders DROP COLUMN stock;\n"
)


def schema(name: str) -> dict:
    return json.loads(resources.files("modmig").joinpath(f"schemas/{name}.schema.json").read_text())


@pytest.fixture
def project(tmp_path):
    """A SQLite project: 0001 applied-to-be and safe, 0002 adds a NOT NULL column without default."""
    write_tree(tmp_path, {"shop": {"0001_orders.sql": SAFE, "0002_stock.sql": DANGEROUS}}, "sqlite:///app.db")
    return tmp_path


def test_lint_reports_the_pending_migrations_with_file_line_and_exits_1_on_an_error(project, run_cli):
    result = run_cli(project)("lint")
    assert result.exit_code == 1, result.output
    assert "apps/shop/migrations/0002_stock.sql:3: SQ101 error: SQLite refuses ADD COLUMN orders.stock NOT NULL" in result.output
    assert "Linted 2 migrations (pending, sqlite): 1 error(s), 0 warning(s)." in result.output


def test_lint_looks_only_at_what_the_database_has_not_applied(project, run_cli):
    assert run_cli(project)("upgrade", "shop", "--to", "1").exit_code == 0
    result = run_cli(project)("lint", "--json")
    document = json.loads(result.output)
    assert document["files"] == ["shop:0002_stock"]
    assert run_cli(project)("upgrade", "--all").exit_code == 0  # the table is empty: SQLite lets it pass
    after = run_cli(project)("lint", "--json")
    assert after.exit_code == 0 and json.loads(after.output)["files"] == []


def test_an_app_with_nothing_pending_lints_clean_and_exits_0(tmp_path, run_cli):
    write_tree(tmp_path, {"shop": {"0001_orders.sql": SAFE}}, "sqlite:///app.db")
    result = run_cli(tmp_path)("lint")
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)" in result.output


def test_lint_without_a_database_asks_for_all_or_base(tmp_path, run_cli):
    write_tree(tmp_path, {"shop": {"0001_orders.sql": SAFE}}, None)
    result = run_cli(tmp_path)("lint")
    assert result.exit_code == 2
    assert "no database is configured: pass --all" in result.output
    assert run_cli(tmp_path)("lint", "--all").exit_code == 0


def test_all_and_base_together_are_a_usage_error(project, run_cli):
    result = run_cli(project)("lint", "--all", "--base", "main")
    assert result.exit_code == 2
    assert "--all and --base" in result.output


def test_an_unknown_app_is_named(project, run_cli):
    result = run_cli(project)("lint", "shopp")
    assert result.exit_code == 2
    assert "Unknown app 'shopp'. Did you mean 'shop'?" in result.output


def test_the_json_document_matches_its_schema(project, run_cli):
    result = run_cli(project)("lint", "--all", "--json")
    document = json.loads(result.output)
    jsonschema.validate(document, schema("lint"))
    assert document["kind"] == "lint" and document["ok"] is False
    [finding] = document["findings"]
    assert (finding["rule"], finding["line"], finding["object"]) == ("SQ101", 3, "orders.stock")
    assert any(rule["id"] == "SQ101" and rule["docs"] == "lint/rules/SQ101.md" for rule in document["rules"])


def test_sarif_output_names_each_rule_and_points_at_the_line(project, run_cli):
    result = run_cli(project)("lint", "--all", "--format", "sarif")
    assert result.exit_code == 1
    log = json.loads(result.output)
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    [found] = run["results"]
    assert found["ruleId"] == "SQ101" and found["level"] == "error"
    assert found["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "apps/shop/migrations/0002_stock.sql"
    assert found["locations"][0]["physicalLocation"]["region"]["startLine"] == 3
    assert run["tool"]["driver"]["rules"][found["ruleIndex"]]["id"] == "SQ101"


def test_github_output_is_one_workflow_command_per_finding(project, run_cli):
    result = run_cli(project)("lint", "--all", "--format", "github")
    lines = result.output.splitlines()
    assert lines[0].startswith("::error file=apps/shop/migrations/0002_stock.sql,line=3,title=SQ101 add-column-not-null-fails::")
    assert lines[-1].startswith("Linted 2 migrations")


def test_list_rules_prints_every_rule_with_its_level_and_databases(project, run_cli):
    result = run_cli(project)("lint", "--list-rules")
    assert result.exit_code == 0
    assert "PG101  error    postgresql" in result.output
    rows = json.loads(run_cli(project)("lint", "--list-rules", "--json").output)
    assert len(rows) >= 45 and len({row["id"] for row in rows}) == len(rows)


def test_check_lint_fails_on_a_lint_error_even_when_everything_is_applied_and_says_why(tmp_path, run_cli):
    write_tree(tmp_path, {"shop": {"0001_orders.sql": SAFE}}, "sqlite:///app.db")
    assert run_cli(tmp_path)("upgrade", "--all").exit_code == 0
    assert run_cli(tmp_path)("check", "--lint").exit_code == 0
    (tmp_path / "apps/shop/migrations/0002_stock.sql").write_text(DANGEROUS)
    result = run_cli(tmp_path)("check", "--lint", "--json")
    assert result.exit_code == 1
    document = json.loads(result.output)
    jsonschema.validate(document, schema("check"))
    assert document["lint"]["counts"]["error"] == 1
    text = run_cli(tmp_path)("check", "--lint").output
    assert "1 pending migration(s)" in text and "SQ101 error" in text


def test_postgresql_lint_without_pglast_says_what_to_install(project, run_cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "pglast", None)
    monkeypatch.setitem(sys.modules, "pglast.parser", None)
    result = run_cli(project)("lint", "--all", "--dialect", "postgresql")
    assert result.exit_code == 2
    assert "Linting PostgreSQL migrations needs pglast, which is not installed: pip install 'modmig[lint]'" in result.output
    assert "Traceback" not in result.output


def test_commands_other_than_lint_import_neither_the_linter_nor_pglast(sample_project):
    code = (
        "import sys\n"
        "from modmig.cli import main\n"
        "for argv in (['modmig', '--help'], ['modmig', 'status'], ['modmig', 'plan']):\n"
        "    sys.argv = argv\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted(m for m in sys.modules if m == 'pglast' or m.startswith('modmig.lint')), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=sample_project, capture_output=True, text=True, check=True)
    assert done.stderr.strip().splitlines()[-1] == "[]"
    linted = subprocess.run([sys.executable, "-c", code.replace("['modmig', 'plan']", "['modmig', 'lint', '--all', '--dialect', 'postgresql']")],
                            cwd=sample_project, capture_output=True, text=True, check=True)
    assert "'pglast'" in linted.stderr and "'modmig.lint.engine'" in linted.stderr


def test_the_sample_project_lints_without_errors(sample_project, run_cli):
    result = run_cli(sample_project)("lint", "--all")
    assert result.exit_code == 0, result.output


def test_the_repository_documents_every_option_of_lint():
    page = (REPO / "docs" / "cli.md").read_text()
    for option in ("--all", "--base", "--dialect", "--format", "--json", "--list-rules"):
        assert option in page, option


def test_sarif_and_github_paths_are_relative_to_the_repository_root(tmp_path, run_cli):
    """Code scanning and annotations place findings by repository path, wherever modmig runs."""
    project = tmp_path / "db"
    write_tree(project, {"shop": {"0001_orders.sql": SAFE, "0002_stock.sql": DANGEROUS}}, None)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    sarif = json.loads(run_cli(project)("lint", "--all", "--format", "sarif").output)
    uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "db/apps/shop/migrations/0002_stock.sql"
    github = run_cli(project)("lint", "--all", "--format", "github").output
    assert github.startswith("::error file=db/apps/shop/migrations/0002_stock.sql,line=3,")
