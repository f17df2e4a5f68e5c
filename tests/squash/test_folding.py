"""Folding statements into their net effect, without a database."""

from modmig.squash.dead_changes import without_dead_changes
from modmig.squash.folding import Folder, Sql, fold


def test_a_table_created_then_altered_is_one_create_with_its_final_columns_as_written():
    assert fold([
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR(40))",
        "ALTER TABLE t ADD COLUMN born DATE NOT NULL DEFAULT '1970-01-01'",
        "ALTER TABLE t ADD CONSTRAINT t_name UNIQUE (name)",
        "ALTER TABLE t DROP COLUMN born",
    ]) == ["CREATE TABLE t (\n    id INTEGER PRIMARY KEY,\n    name VARCHAR(40),\n    CONSTRAINT t_name UNIQUE (name)\n)"]


def test_an_object_created_then_dropped_disappears_with_its_indexes():
    assert fold([
        "CREATE TABLE tmp (id INTEGER, v TEXT)",
        "CREATE INDEX tmp_v ON tmp (v)",
        "CREATE INDEX other ON kept (x)",
        "DROP TABLE tmp",
        "DROP INDEX other",
    ]) == []


def test_renames_are_followed_into_final_names_on_sqlite():
    assert fold([
        "CREATE TABLE a (id INTEGER PRIMARY KEY, nm TEXT CHECK (nm <> ''))",
        "CREATE TABLE child (id INTEGER, a_id INTEGER REFERENCES a(id))",
        "CREATE INDEX a_nm ON a (nm) WHERE nm IS NOT NULL",
        "ALTER TABLE a RENAME COLUMN nm TO name",
        "ALTER TABLE a RENAME COLUMN id TO pk",
        "ALTER TABLE a RENAME TO author",
    ]) == [
        "CREATE TABLE author (\n    pk INTEGER PRIMARY KEY,\n    name TEXT CHECK (name <> '')\n)",
        "CREATE TABLE child (\n    id INTEGER,\n    a_id INTEGER REFERENCES author(pk)\n)",
        "CREATE INDEX a_nm ON author (name) WHERE name IS NOT NULL",
    ]


def test_renames_are_kept_on_postgresql_whose_implicit_names_remember_the_old_ones():
    assert fold(["CREATE TABLE a (id INTEGER PRIMARY KEY)", "ALTER TABLE a RENAME TO b", "ALTER TABLE b ADD COLUMN c INT"], "postgresql") == [
        "CREATE TABLE a (\n    id INTEGER PRIMARY KEY\n)",
        "ALTER TABLE a RENAME TO b",
        "ALTER TABLE b ADD COLUMN c INT",
    ]


def test_a_barrier_pins_what_it_uses_and_later_changes_stay_after_it():
    assert fold([
        "CREATE TABLE t (id INTEGER)",
        "CREATE TABLE u (id INTEGER)",
        "INSERT INTO t (id) VALUES (1)",
        "ALTER TABLE t ADD COLUMN v INTEGER DEFAULT 2",
        "ALTER TABLE u ADD COLUMN w INTEGER",
    ]) == [
        "CREATE TABLE t (\n    id INTEGER\n)",
        "INSERT INTO t (id) VALUES (1)",
        "ALTER TABLE t ADD COLUMN v INTEGER DEFAULT 2",
        "CREATE TABLE u (\n    id INTEGER,\n    w INTEGER\n)",
    ]


def test_statements_it_does_not_understand_stay_in_order_and_tables_from_before_are_untouched():
    statements = [
        "ALTER TABLE existing ADD COLUMN x INTEGER",
        "CREATE VIEW v AS SELECT x FROM existing",
        "PRAGMA user_version = 3",
        "this is not sql at all",
    ]
    assert fold(statements) == statements


def test_a_referenced_table_is_created_before_the_table_that_references_it():
    assert fold([
        "CREATE TABLE book (id INTEGER)",
        "CREATE TABLE author (id INTEGER PRIMARY KEY)",
        "ALTER TABLE book ADD COLUMN author_id INTEGER REFERENCES author(id)",
    ]) == [
        "CREATE TABLE author (\n    id INTEGER PRIMARY KEY\n)",
        "CREATE TABLE book (\n    id INTEGER,\n    author_id INTEGER REFERENCES author(id)\n)",
    ]


def test_a_python_step_is_a_barrier_that_uses_everything():
    folder = Folder("sqlite")
    folder.add("CREATE TABLE t (id INTEGER)")
    folder.add_barrier("python step")
    folder.add("ALTER TABLE t ADD COLUMN v INTEGER")
    assert [item.text if isinstance(item, Sql) else item.item for item in folder.result()] == [
        "CREATE TABLE t (\n    id INTEGER\n)", "python step", "ALTER TABLE t ADD COLUMN v INTEGER",
    ]


def test_changes_to_a_table_dropped_later_are_dead_unless_something_uses_it_between():
    items = [Sql(s) for s in [
        "ALTER TABLE t DROP COLUMN a",
        "DROP INDEX t_b",
        "DELETE FROM t WHERE id = 1",
        "ALTER TABLE t DROP COLUMN c",
        "DROP TABLE t",
    ]]
    kept = without_dead_changes(items, "sqlite", {"t_b": "t"})
    assert [item.text for item in kept] == [
        "ALTER TABLE t DROP COLUMN a", "DROP INDEX t_b", "DELETE FROM t WHERE id = 1", "DROP TABLE t",
    ]


def test_a_table_that_refers_to_one_a_barrier_renames_is_written_before_the_rename():
    assert fold([
        "CREATE TABLE p (id INTEGER PRIMARY KEY)",
        "INSERT INTO p (id) VALUES (1)",
        "CREATE TABLE c (p_id INTEGER REFERENCES p(id))",
        "ALTER TABLE p RENAME TO parent",
    ]) == [
        "CREATE TABLE p (\n    id INTEGER PRIMARY KEY\n)",
        "INSERT INTO p (id) VALUES (1)",
        "CREATE TABLE c (\n    p_id INTEGER REFERENCES p(id)\n)",
        "ALTER TABLE p RENAME TO parent",
    ]
