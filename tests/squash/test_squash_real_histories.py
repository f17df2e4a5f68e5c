"""Squash on histories as real projects write them (issue 10, item 9).

Converting a 227-migration Django project found: a partial index crashed verification with
"TypeError: Boolean value of this clause is not defined"; on PostgreSQL a foreign key added to an
existing table (Django's ``ADD COLUMN ... DEFERRABLE INITIALLY DEFERRED; SET CONSTRAINTS ...
IMMEDIATE``) was folded with the SET CONSTRAINTS moved above the CREATE TABLEs; and the failing
statement printed included the file's header comments.
"""

import pytest

from modmig.api import Project
from modmig.errors import SquashNotVerified

from ..conftest import write_tree
from .test_squash import scratch_server

PARTIAL_INDEX = {
    "0001_t.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, y INTEGER);\n-- modmig: down\nDROP TABLE t;\n",
    "0002_idx.sql": "CREATE UNIQUE INDEX t_y ON t (y) WHERE y IS NOT NULL;\n-- modmig: down\nDROP INDEX t_y;\n",
}

# What Django's sqlmigrate prints for a ForeignKey added to an existing model, on PostgreSQL.
DJANGO_FK = {
    "0001_initial.sql": (
        "--\n-- Create model Parent\n--\n"
        "CREATE TABLE shop_parent (id integer NOT NULL PRIMARY KEY);\n"
        "--\n-- Create model Child\n--\n"
        "CREATE TABLE shop_child (id integer NOT NULL PRIMARY KEY);\n"
        "-- modmig: down\nDROP TABLE shop_child;\nDROP TABLE shop_parent;\n"
    ),
    "0002_child_parent.sql": (
        "--\n-- Add field parent to child\n--\n"
        "ALTER TABLE shop_child ADD COLUMN parent_id integer NULL "
        "CONSTRAINT shop_child_parent_id_fk REFERENCES shop_parent(id) DEFERRABLE INITIALLY DEFERRED;\n"
        "SET CONSTRAINTS shop_child_parent_id_fk IMMEDIATE;\n"
        "CREATE INDEX shop_child_parent_id ON shop_child (parent_id);\n"
        "COMMENT ON COLUMN shop_child.parent_id IS 'the parent';\n"
        "-- modmig: down\nALTER TABLE shop_child DROP COLUMN parent_id;\n"
    ),
}


def test_a_partial_index_is_verified_not_a_crash(tmp_path, database_url):
    if database_url.startswith("mysql"):
        pytest.skip("MySQL has no partial indexes")
    write_tree(tmp_path, {"app": PARTIAL_INDEX}, database_url)
    with Project.load(tmp_path) as project:
        server = None if database_url.startswith("sqlite") else scratch_server(database_url)
        result = project.squash("app", verify_url=server)
        assert result.verification is not None and result.verification.downgrade_checked
        assert "WHERE y IS NOT NULL" in result.path.read_text()


def test_a_django_foreign_key_on_postgresql_folds_with_set_constraints_after_its_table(tmp_path, postgres_url):
    write_tree(tmp_path, {"shop": DJANGO_FK}, postgres_url)
    with Project.load(tmp_path) as project:
        result = project.squash("shop", verify_url=scratch_server(postgres_url))
        text = result.path.read_text()
    assert result.verification is not None
    create_child = text.index("CREATE TABLE shop_child")
    assert text.index("SET CONSTRAINTS shop_child_parent_id_fk IMMEDIATE") > create_child
    assert text.index("COMMENT ON COLUMN shop_child.parent_id") > create_child


def test_the_failing_statement_of_a_squash_is_shown_without_the_files_header(tmp_path):
    files = {
        "0001_t.sql": "-- modmig: transaction on\n-- Creates t, the table of things\nCREATE TABLE t (id INTEGER PRIMARY KEY);\n",
        "0002_bad.sql": "-- A header comment that is not SQL\n-- and a second line\nINSERT INTO missing_table VALUES (1);\n",
    }
    write_tree(tmp_path, {"app": files}, None)
    with Project.load(tmp_path) as project, pytest.raises(SquashNotVerified) as caught:
        project.squash("app")
    text = str(caught.value)
    assert "0002_bad.sql:3" in text and "statement: INSERT INTO missing_table VALUES (1)" in text
    assert "header comment" not in text
