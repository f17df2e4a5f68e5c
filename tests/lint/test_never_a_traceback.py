"""Whatever a migration holds, the linter reports; it never raises (a traceback is a modmig bug)."""

from __future__ import annotations

import pytest

from modmig.api import Project

from ..conftest import write_tree

ODD = [
    "",
    "-- only a comment\n",
    "SELECT 1;;;\n",
    "ALTER TABLE;\n",
    "ALTER TABLE t ALTER COLUMN;\n",
    "CREATE TABLE t (id int, CONSTRAINT);\n",
    "DROP;\n",
    "UPDATE t SET;\n",
    "INSERT INTO t VALUES ('it''s', E'\\\\n', $$dollar$$);\n",
    "CREATE TABLE \"Ünïcödé\" (\"ä\" text DEFAULT 'ö');\n",
    "ALTER TABLE \"Quoted.Name\" RENAME COLUMN \"A\" TO \"B\";\n",
    "CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN RETURN NEW; END $$ LANGUAGE plpgsql;\n",
    "CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW BEGIN UPDATE t SET a = 1; END;\n",
    "ALTER TABLE t ADD COLUMN a int, ADD COLUMN b int NOT NULL, DROP COLUMN c, ALTER COLUMN d TYPE bigint;\n",
    "ALTER TABLE t MODIFY a ENUM();\n",
    "RENAME TABLE a TO;\n",
    "PRAGMA;\n",
    "SET;\n",
    "VACUUM;\n",
    "GRANT SELECT ON t TO someone;\n",
    "WITH x AS (SELECT 1) UPDATE t SET a = (SELECT * FROM x);\n",
    "CREATE INDEX ON t (a);\n",
    "ALTER TABLE t ADD CONSTRAINT c FOREIGN KEY (a) REFERENCES;\n",
    "x" * 5000 + ";\n",
]


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_odd_statements_give_findings_not_exceptions(tmp_path, dialect):
    files = {"0001_base.sql": "CREATE TABLE t (id int PRIMARY KEY, a int, c int, d int);\n"}
    files.update({f"{n + 2:04d}_odd.sql": text for n, text in enumerate(ODD)})
    with Project.load(write_tree(tmp_path, {"shop": files}, None)) as project:
        report = project.lint(everything=True, dialect=dialect)
    assert len(report.files) == len(files)
    assert {f.rule for f in report.findings} >= {"MM001"}
    assert all(f.line >= 1 and f.message for f in report.findings)
