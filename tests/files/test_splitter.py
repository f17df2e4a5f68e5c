"""Statement splitting: semicolons that do not end statements, and line numbers."""

import pytest

from modmig.files.splitter import ScriptError, split_statements


def texts(script):
    return [s.text for s in split_statements(script)]


def test_semicolons_inside_strings_and_comments_do_not_split():
    script = "INSERT INTO t VALUES ('a;b', 'it''s;');\n-- a comment; with a semicolon\n/* block; */ SELECT 1;"
    assert texts(script) == [
        "INSERT INTO t VALUES ('a;b', 'it''s;')",
        "SELECT 1",  # the comments before a statement are not part of it (they are never printed as it)
    ]


def test_sqlite_trigger_body_is_one_statement():
    script = (
        "CREATE TABLE t (x INTEGER);\n"
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n"
        "  INSERT INTO log VALUES (NEW.x);\n"
        "  UPDATE t SET x = x + 1;\n"
        "END;\n"
        "DROP TABLE old;"
    )
    result = texts(script)
    assert len(result) == 3
    assert result[1].startswith("CREATE TRIGGER") and result[1].endswith("END")


def test_postgres_dollar_quoted_bodies_are_one_statement():
    script = (
        "CREATE FUNCTION f() RETURNS trigger AS $body$ BEGIN NEW.x := 'a;'; RETURN NEW; END; $body$ LANGUAGE plpgsql;\n"
        "CREATE FUNCTION g() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n"
    )
    assert len(texts(script)) == 2


def test_mysql_procedure_with_nested_blocks_is_one_statement():
    script = "CREATE PROCEDURE p() BEGIN IF 1 THEN SELECT 1; END IF; WHILE 0 DO SELECT 2; END WHILE; END;\nSELECT 3;"
    assert len(texts(script)) == 2


def test_each_statement_knows_the_file_line_it_starts_on():
    script = "-- header\n\nCREATE TABLE a (x int);\n\nCREATE TABLE b (\n  y int\n);\n"
    statements = split_statements(script, first_line=10)
    assert [s.line for s in statements] == [12, 14]


def test_comment_only_and_empty_scripts_have_no_statements():
    assert texts("-- nothing here\n\n") == []
    assert texts("   ") == []
    assert texts(";;") == []


def test_last_statement_without_semicolon_is_kept():
    assert texts("SELECT 1;\nSELECT 2") == ["SELECT 1", "SELECT 2"]


# -- dialects: where the databases read the same text differently --------------------------------


def dialect_texts(script, dialect):
    return [s.text for s in split_statements(script, dialect=dialect)]


def test_a_backslash_is_an_ordinary_character_in_postgresql_and_sqlite_strings():
    script = "INSERT INTO t VALUES ('C:\\'); INSERT INTO t VALUES (';');"
    for dialect in ("postgresql", "sqlite"):
        assert dialect_texts(script, dialect) == ["INSERT INTO t VALUES ('C:\\')", "INSERT INTO t VALUES (';')"]


def test_a_backslash_escapes_a_quote_in_mysql_strings_and_postgresql_e_strings():
    assert dialect_texts("SELECT 'it\\'s; one'; SELECT 2;", "mysql") == ["SELECT 'it\\'s; one'", "SELECT 2"]
    assert dialect_texts("SELECT E'it\\'s; one'; SELECT 2;", "postgresql") == ["SELECT E'it\\'s; one'", "SELECT 2"]


def test_postgresql_nested_dollar_quotes_and_sql_standard_bodies():
    script = (
        "CREATE FUNCTION f() RETURNS text AS $outer$ SELECT $$a;b$$; $outer$ LANGUAGE sql;\n"
        "CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\n"
        "DO $$ BEGIN RAISE NOTICE 'x;'; END $$;\n"
    )
    result = dialect_texts(script, "postgresql")
    assert len(result) == 3 and result[1].endswith("END") and result[2].startswith("DO $$")


def test_mysql_hash_comments_and_backtick_names_hide_semicolons():
    script = "# setup; part one\nCREATE TABLE `a;b` (x INT); SELECT 1;"
    assert dialect_texts(script, "mysql") == ["CREATE TABLE `a;b` (x INT)", "SELECT 1"]


def test_mysql_repeat_loop_and_case_blocks_stay_inside_their_procedure():
    script = (
        "CREATE PROCEDURE p() BEGIN\n"
        "  l1: LOOP LEAVE l1; END LOOP l1;\n"
        "  REPEAT SELECT 1; UNTIL 1 END REPEAT;\n"
        "  WHILE 0 DO SELECT 2; END WHILE;\n"
        "  CASE WHEN 1 THEN SELECT 3; ELSE SELECT 4; END CASE;\n"
        "END;\n"
        "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN IF NEW.x < 0 THEN SET NEW.x = 0; END IF; END;\n"
        "SELECT 5;"
    )
    result = dialect_texts(script, "mysql")
    assert len(result) == 3 and result[0].endswith("END") and result[1].startswith("CREATE TRIGGER")


def test_a_mysql_delimiter_line_is_refused_with_its_line():
    script = "SELECT 1;\n\ndelimiter $$\nCREATE PROCEDURE p() BEGIN SELECT 1; END$$\n"
    with pytest.raises(ScriptError, match="'delimiter \\$\\$' is a command of the mysql command-line client") as caught:
        split_statements(script, first_line=5, dialect="mysql")
    assert caught.value.line == 7


# -- the shortcut for plain scripts ----------------------------------------------------------------

PLAIN_SCRIPTS = [
    "CREATE INDEX blog_i3 ON blog_post (author_id);\n",
    "ALTER TABLE t ADD COLUMN c INTEGER",
    "\n\n  CREATE TABLE a (id INTEGER PRIMARY KEY, n NUMERIC(10, 2) NOT NULL DEFAULT 0);\n\nCREATE TABLE b (\n  x int\n)  ;  \n",
    "SELECT 1;;SELECT 2;\n;\n",
    "CREATE VIEW v AS SELECT a.id, count(*) AS n FROM a JOIN b ON b.a_id = a.id GROUP BY a.id;\nDROP TABLE old",
    "\tUPDATE t SET x = x + 1 WHERE y IN (1, 2, (3));\r\nDELETE FROM t WHERE x > 10;\r\n",
]


def test_plain_scripts_split_exactly_as_the_tokenizer_splits_them_in_every_dialect():
    """Scripts without quotes, comments or blocks take a shortcut; it must agree with sqlparse."""
    from modmig.files.splitter import DIALECTS
    from modmig.files.sql_tokenized import split_tokenized

    for script in PLAIN_SCRIPTS:
        for dialect in DIALECTS:
            for first_line in (1, 7):
                expected = list(split_tokenized(script, first_line, dialect))
                assert split_statements(script, first_line, dialect) == expected, (script, dialect)


def test_unbalanced_parentheses_are_left_to_the_tokenizer():
    from modmig.files.sql_tokenized import split_tokenized

    script = "CREATE TABLE t (a int;\nb int);\nSELECT 1;"
    assert split_statements(script) == list(split_tokenized(script, 1, "sqlite"))
    assert len(texts(script)) == 2


def test_keywords_inside_identifiers_do_not_defeat_the_shortcut_or_the_split():
    script = "ALTER TABLE orders ADD COLUMN end_date DATE;\nCREATE INDEX if_ends ON orders (end_date);"
    assert texts(script) == ["ALTER TABLE orders ADD COLUMN end_date DATE", "CREATE INDEX if_ends ON orders (end_date)"]


def test_header_and_directive_comments_are_not_part_of_the_first_statement():
    script = "-- modmig: depends users:0002\n-- why this migration exists\n\nINSERT INTO t VALUES ('x');\nSELECT 2;"
    for dialect in ("sqlite", "postgresql", "mysql"):
        statements = split_statements(script, dialect=dialect)
        assert [(s.text, s.line) for s in statements] == [("INSERT INTO t VALUES ('x')", 4), ("SELECT 2", 5)]


PARITY = [
    "INSERT INTO t VALUES ('a;b', 'it''s;');\n-- c; d\n/* e; */ SELECT 1;",
    "INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y');\nUPDATE t SET b = 'z;' WHERE a = (SELECT max(a) FROM t);",
    "CREATE TABLE \"we;ird\" (id INTEGER);\nINSERT INTO \"we;ird\" VALUES (1); -- trailing; comment\n",
    "INSERT INTO t VALUES (E'it\\'s;', 'plain\\');\nSELECT 1;",
    "CREATE FUNCTION f() RETURNS int AS $fn$ SELECT 1; $fn$ LANGUAGE sql;\nSELECT f();",
    "INSERT INTO t VALUES ('a\\';b');\n# note; here\nSELECT `x;y` FROM t;",
    "SELECT [a;b] FROM t;\nSELECT 1;",
    "\n\n  -- only a comment;\n",
]


@pytest.mark.parametrize("script", PARITY)
@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_the_fast_scanner_splits_like_the_tokenizer(script, dialect):
    """Scripts without block bodies take the regular-expression path; it must agree with sqlparse."""
    from modmig.files.sql_tokenized import split_tokenized
    from modmig.files.sql_scan import scan

    fast = scan(script, 1, dialect)
    slow = split_tokenized(script, 1, dialect)
    if fast is None:
        pytest.skip(f"the scanner hands this one to the tokenizer on {dialect}")
    assert list(fast) == [(text.split("; --")[0], line) for text, line in slow]


def test_scripts_with_block_bodies_go_to_the_tokenizer():
    from modmig.files.sql_scan import scan

    assert scan("CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;", 1, "sqlite") is None
    assert scan("SELECT 'never closed;", 1, "postgresql") is None
    assert scan("SELECT (1;", 1, "mysql") is None
