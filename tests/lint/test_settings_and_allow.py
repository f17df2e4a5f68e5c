"""The ``lint:`` section of modmig.yaml, and ``-- modmig: allow RULE because ...``."""

from __future__ import annotations

import pytest

from modmig.api import Project
from modmig.errors import ConfigError

from ..conftest import write_tree

ORDERS = "CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT);\n-- modmig: down\nDROP TABLE orders;\n"


def lint(tmp_path, apps: dict[str, dict[str, str]], extra: str = "", dialect: str = "sqlite"):
    with Project.load(write_tree(tmp_path, apps, None, extra)) as project:
        return project.lint(everything=True, dialect=dialect)


def rules(found) -> list[tuple[str, str, int]]:
    return [(f.rule, f.level, f.line) for f in found]


def test_disable_levels_and_per_app_settings_apply(tmp_path):
    migration = "DELETE FROM orders;\nALTER TABLE orders DROP COLUMN note;\n"
    apps = {"shop": {"0001_a.sql": ORDERS, "0002_b.sql": migration + "-- modmig: down\nSELECT 1;\n"},
            "legacy": {"0001_a.sql": ORDERS.replace("orders", "old"), "0002_b.sql": migration.replace("orders", "old") + "-- modmig: down\nSELECT 1;\n"}}
    plain = lint(tmp_path / "plain", apps)
    assert {(f.app, f.rule, f.level) for f in plain.findings} == {
        ("shop", "DM102", "error"), ("shop", "DS102", "error"), ("legacy", "DM102", "error"), ("legacy", "DS102", "error")}
    configured = lint(tmp_path / "configured", apps, extra=(
        "lint:\n"
        "  disable: [delete-without-where]\n"
        "  levels: {DS102: warning}\n"
        "  apps:\n"
        "    legacy:\n"
        "      levels: {DS102: off, DM102: error}\n"
    ))
    assert {(f.app, f.rule, f.level) for f in configured.findings} == {("shop", "DS102", "warning"), ("legacy", "DM102", "error")}


@pytest.mark.parametrize("section, message", [
    ("lint:\n  levels: {create-index-concurrent: warning}\n",
     "unknown lint rule 'create-index-concurrent'. Did you mean 'create-index-concurrently'?"),
    ("lint:\n  levels: {PG101: fatal}\n", "'lint.levels.PG101' must be error, warning or off, not 'fatal'"),
    ("lint:\n  disabled: [PG101]\n", "unknown key 'lint.disabled'. Did you mean 'disable'?"),
    ("lint:\n  apps:\n    shopp: {disable: [PG101]}\n", "'lint.apps.shopp': no such app. Did you mean 'shop'?"),
    ("lint:\n  dialect: oracle\n", "'lint.dialect' must be one of postgresql, mysql, sqlite, not 'oracle'"),
])
def test_mistakes_in_the_lint_section_name_the_file_line_and_key(tmp_path, section, message):
    with pytest.raises(ConfigError) as caught:
        lint(tmp_path, {"shop": {"0001_a.sql": ORDERS}}, extra=section)
    assert message in str(caught.value)
    assert "modmig.yaml:" in str(caught.value) and str(caught.value).split("modmig.yaml:")[1].split(":")[0].isdigit()


def test_lint_dialect_in_modmig_yaml_chooses_the_parser(tmp_path):
    found = lint(tmp_path, {"shop": {"0001_a.sql": "CREATE TABLE t (id serial PRIMARY KEY);\n-- modmig: down\nDROP TABLE t;\n"}},
                 extra="lint:\n  dialect: postgresql\n", dialect=None)
    assert "PG131" in {f.rule for f in found.findings}


def test_an_allow_with_a_reason_suppresses_its_statement_only_and_is_reported_as_suppressed(tmp_path):
    migration = (
        "-- modmig: allow DS102 because release 41 stopped reading it\n"
        "ALTER TABLE orders DROP COLUMN note;\n"
        "ALTER TABLE orders DROP COLUMN id;\n"
        "-- modmig: down\nSELECT 1;\n"
    )
    report = lint(tmp_path, {"shop": {"0001_a.sql": ORDERS, "0002_b.sql": migration}})
    assert rules(report.findings) == [("DS102", "error", 3), ("SQ105", "error", 3)]
    [quiet] = report.suppressed
    assert (quiet.rule, quiet.line, quiet.suppressed) == ("DS102", 2, "release 41 stopped reading it")


def test_an_allow_after_the_statement_on_its_line_and_by_slug(tmp_path):
    migration = "ALTER TABLE orders DROP COLUMN note; -- modmig: allow drop-column because unused since 2023\n-- modmig: down\nSELECT 1;\n"
    report = lint(tmp_path, {"shop": {"0001_a.sql": ORDERS, "0002_b.sql": migration}})
    assert report.findings == [] and [f.rule for f in report.suppressed] == ["DS102"]


def test_an_allow_without_a_reason_suppresses_nothing_and_is_an_error_itself(tmp_path):
    migration = "-- modmig: allow DS102\nALTER TABLE orders DROP COLUMN note;\n-- modmig: down\nSELECT 1;\n"
    report = lint(tmp_path, {"shop": {"0001_a.sql": ORDERS, "0002_b.sql": migration}})
    assert rules(report.findings) == [("MM002", "error", 1), ("DS102", "error", 2)]
    assert "write '-- modmig: allow DS102 because ...'" in report.findings[0].message


def test_unknown_and_unused_allows_are_reported(tmp_path):
    migration = (
        "-- modmig: allow DS1O2 because typo\n"
        "ALTER TABLE orders DROP COLUMN note;\n"
        "-- modmig: allow DM101 because nothing to update here\n"
        "CREATE INDEX orders_note ON orders (id);\n"
        "-- modmig: down\nSELECT 1;\n"
    )
    report = lint(tmp_path, {"shop": {"0001_a.sql": ORDERS, "0002_b.sql": migration}})
    assert rules(report.findings) == [("MM003", "error", 1), ("DS102", "error", 2), ("MM004", "warning", 3)]


def test_an_allow_in_the_leading_comments_covers_findings_about_the_whole_file(tmp_path):
    migration = "-- modmig: allow DM103 because it deletes data and cannot be undone\nDELETE FROM orders WHERE id < 0;\n"
    report = lint(tmp_path, {"shop": {"0001_a.sql": ORDERS, "0002_b.sql": migration}})
    assert report.findings == [] and [f.rule for f in report.suppressed] == ["DM103"]


def test_files_with_allow_directives_still_run(tmp_path, run_cli):
    migration = "-- modmig: allow DS102 because unused\nALTER TABLE orders DROP COLUMN note;\n-- modmig: down\nSELECT 1;\n"
    write_tree(tmp_path, {"shop": {"0001_a.sql": ORDERS, "0002_b.sql": migration}}, "sqlite:///app.db")
    assert run_cli(tmp_path)("upgrade", "--all").exit_code == 0


def test_a_statement_no_parser_reads_is_a_warning_with_its_line_not_a_traceback(tmp_path):
    migration = "CREATE TABLE ok (id INTEGER PRIMARY KEY);\n\nCREATE TABL broken (id INTEGER);\n-- modmig: down\nDROP TABLE ok;\n"
    for dialect in ("sqlite", "mysql", "postgresql"):
        report = lint(tmp_path / dialect, {"shop": {"0001_a.sql": migration}}, dialect=dialect)
        [found] = [f for f in report.findings if f.rule == "MM001"]
        assert (found.level, found.line) == ("warning", 3), dialect
        assert "could not be parsed" in found.message


def test_a_mysql_delimiter_line_is_reported_not_raised(tmp_path):
    migration = "DELIMITER //\nCREATE TABLE t (id INT PRIMARY KEY)//\n-- modmig: down\nDROP TABLE t;\n"
    report = lint(tmp_path, {"shop": {"0001_a.sql": migration}}, dialect="mysql")
    [found] = report.findings
    assert (found.rule, found.line) == ("MM001", 1) and "DELIMITER" in found.message


def test_a_python_migration_without_downgrade_is_reported(tmp_path):
    python = "def upgrade(ctx):\n    ctx.execute('CREATE TABLE t (id INTEGER PRIMARY KEY)')\n"
    report = lint(tmp_path, {"shop": {"0001_a.py": python}})
    assert rules(report.findings) == [("DM103", "warning", 1)]
