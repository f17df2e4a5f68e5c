"""What one statement does to which objects, read from its text in each dialect (no database)."""

from __future__ import annotations

import pytest

from modmig.schema.sql_effects import Effect, statement_effects


def brief(effects) -> list[tuple]:
    """(action, kind, name) plus whatever else an effect says, for compact expectations."""
    out = []
    for effect in effects:
        row = [effect.action, effect.kind, effect.name]
        if effect.table:
            row.append(f"on {effect.table}")
        if effect.new_name:
            row.append(f"to {effect.new_name}")
        if effect.detail:
            row.append(effect.detail)
        if effect.refs and effect.action != "unknown":
            row.append(sorted(name for _, name in effect.refs))
        out.append(tuple(row))
    return out


CASES = [
    ("sqlite", "CREATE TABLE t (id INTEGER PRIMARY KEY, u INTEGER REFERENCES users (id))", [
        ("create", "table", "t"), ("create", "column", "t.id", "on t"), ("create", "constraint", "", "on t", "primary key"),
        ("create", "column", "t.u", "on t"), ("create", "constraint", "", "on t", "foreign key", ["users", "users.id"]),
    ]),
    ("postgresql", 'CREATE TABLE "Mixed" (Id SERIAL, CONSTRAINT ck CHECK (Id > 0))', [
        ("create", "table", "Mixed"), ("create", "sequence", "Mixed_id_seq", "on Mixed"), ("create", "column", "Mixed.id", "on Mixed"),
        ("create", "constraint", "ck", "on Mixed", "check"),
    ]),
    ("mysql", "CREATE TABLE `T` (a INT, KEY ix (a), UNIQUE KEY uq (a))", [
        ("create", "table", "t"), ("create", "column", "t.a", "on t"), ("create", "index", "ix", "on t"),
        ("create", "constraint", "uq", "on t", "unique"),
    ]),
    ("sqlite", "ALTER TABLE t ADD COLUMN c TEXT", [("create", "column", "t.c", "on t")]),
    ("postgresql", "ALTER TABLE t ALTER COLUMN c TYPE mood USING c::mood", [("alter", "column", "t.c", "on t", ["mood"])]),
    ("mysql", "ALTER TABLE t CHANGE a b BIGINT", [("rename", "column", "t.a", "on t", "to t.b"), ("alter", "column", "t.b", "on t")]),
    ("mysql", "ALTER TABLE t DROP FOREIGN KEY fk, DROP INDEX ix", [("drop", "constraint", "fk", "on t"), ("drop", "index", "ix", "on t")]),
    ("sqlite", "ALTER TABLE t RENAME TO u", [("rename", "table", "t", "to u")]),
    # COLUMN is optional in PostgreSQL (and SQLite); Alembic writes a column rename this way
    ("postgresql", "ALTER TABLE t RENAME a TO b", [("rename", "column", "t.a", "on t", "to t.b")]),
    ("mysql", "RENAME TABLE a TO b, c TO d", [("rename", "table", "a", "to b"), ("rename", "table", "c", "to d")]),
    ("postgresql", "ALTER TABLE t RENAME CONSTRAINT a TO b", [("rename", "constraint", "a", "on t", "to b")]),
    ("postgresql", "ALTER INDEX a RENAME TO b", [("rename", "index", "a", "to b")]),
    ("postgresql", "CREATE INDEX ON t (a)", [("create", "index", "", "on t")]),
    ("mysql", "DROP INDEX i ON t", [("drop", "index", "i", "on t")]),
    ("postgresql", "DROP TABLE a, b CASCADE", [("drop", "table", "a"), ("drop", "table", "b")]),
    ("sqlite", "CREATE VIEW v AS WITH x AS (SELECT * FROM a) SELECT * FROM x JOIN b ON 1 = 1", [("create", "view", "v", ["a", "b"])]),
    ("postgresql", "CREATE TYPE mood AS ENUM ('sad', 'ok')", [("create", "type", "mood")]),
    ("postgresql", "ALTER TYPE mood ADD VALUE 'happy'", [("alter", "type", "mood")]),
    ("postgresql", "CREATE SEQUENCE s START 10", [("create", "sequence", "s")]),
    ("postgresql", "ALTER SEQUENCE s RENAME TO s2", [("rename", "sequence", "s", "to s2")]),
    ("sqlite", "CREATE TRIGGER tr AFTER UPDATE OF a ON t BEGIN UPDATE log SET n = n + 1; END", [("create", "trigger", "tr", "on t", ["log"])]),
    ("postgresql", "CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN INSERT INTO log VALUES (1); RETURN NEW; END $$ LANGUAGE plpgsql",
     [("create", "function", "f", ["log"])]),
    ("postgresql", "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()", [("create", "trigger", "tr", "on t", ["f"])]),
    ("sqlite", "INSERT INTO t (a) SELECT b FROM o", [("write", "table", "t"), ("refer", "table", "o")]),
    ("mysql", "REPLACE INTO t (a) SELECT b FROM o", [("write", "table", "t"), ("refer", "table", "o")]),
    ("postgresql", "UPDATE t SET a = 1 FROM o WHERE o.id = t.id", [("write", "table", "t"), ("refer", "table", "o")]),
    ("postgresql", "DELETE FROM t WHERE a IN (SELECT b FROM o)", [("write", "table", "t"), ("refer", "table", "o")]),
    ("postgresql", "COMMENT ON COLUMN t.a IS 'x'", [("alter", "column", "t.a", "on t")]),
    ("postgresql", "GRANT SELECT ON t TO reader", []),
    ("sqlite", "PRAGMA foreign_keys = ON", []),
]


@pytest.mark.parametrize("dialect, statement, expected", CASES, ids=[f"{d}: {s[:40]}" for d, s, _ in CASES])
def test_each_statement_says_what_it_does_to_which_object(dialect, statement, expected):
    assert brief(statement_effects(statement, dialect)) == expected


def test_a_statement_nobody_can_read_is_unknown_with_every_name_it_mentions_even_inside_a_body():
    [effect] = statement_effects("DO $$ BEGIN CREATE TABLE made_here (a int); END $$", "postgresql")
    assert effect.action == "unknown" and ("?", "made_here") in effect.refs


def test_an_alter_table_form_not_understood_alters_the_table_and_is_unknown_too():
    assert [e.action for e in statement_effects("ALTER TABLE t ATTACH PARTITION p FOR VALUES IN (1)", "postgresql")] == ["alter", "unknown"]


def test_effects_survive_the_cache_as_json():
    for effect in statement_effects("CREATE TABLE t (a INT REFERENCES o (id), UNIQUE (a))", "sqlite"):
        assert Effect.from_json(effect.as_json()) == effect
