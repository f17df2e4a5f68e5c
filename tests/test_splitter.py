"""Statement splitting: semicolons that do not end statements, and line numbers."""

from modmig.splitter import split_statements


def texts(script):
    return [s.text for s in split_statements(script)]


def test_semicolons_inside_strings_and_comments_do_not_split():
    script = "INSERT INTO t VALUES ('a;b', 'it''s;');\n-- a comment; with a semicolon\n/* block; */ SELECT 1;"
    assert texts(script) == [
        "INSERT INTO t VALUES ('a;b', 'it''s;')",
        "-- a comment; with a semicolon\n/* block; */ SELECT 1",
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
