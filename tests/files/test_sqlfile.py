"""The SQL migration format: directives, the down section, and errors naming file:line."""

from pathlib import Path

import pytest

from modmig.errors import MigrationFileError
from modmig.model import Dependency
from modmig.files.sqlfile import read_sql_migration

PATH = Path("apps/blog/migrations/0003_x.sql")


def read(text):
    return read_sql_migration("blog", 3, "0003_x", PATH, text)


def test_directives_in_the_leading_comment_block_are_read():
    migration = read(
        "-- modmig: depends users:0002, billing:1\n"
        "-- modmig: transaction off\n"
        "-- some prose\n"
        "CREATE TABLE t (x int);\n"
    )
    assert migration.dependencies == (Dependency("users", 2, 1), Dependency("billing", 1, 1))
    assert migration.transaction is False
    assert migration.reversible is False
    assert migration.version == 3


def test_the_down_line_splits_upgrade_from_downgrade_and_keeps_line_numbers():
    migration = read("CREATE TABLE t (x int);\n-- modmig: down\n\nDROP TABLE t;\n")
    assert migration.reversible
    assert migration.sql_up.strip() == "CREATE TABLE t (x int);"
    assert migration.sql_down.strip() == "DROP TABLE t;"
    assert migration.down_line == 3


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("-- modmig: depnds users:0001\nSELECT 1;", 1, "Did you mean 'depends'"),
        ("-- modmig: depends users\nSELECT 1;", 1, "app:NNNN"),
        ("-- modmig: depends users:0\nSELECT 1;", 1, "versions start at 1"),
        ("-- modmig: transaction maybe\nSELECT 1;", 1, "on or off"),
        ("SELECT 1;\n-- modmig: depends users:0001\n", 2, "leading comment block"),
        ("SELECT 1;\n-- modmig: down\nSELECT 2;\n-- modmig: down\n", 4, "second"),
    ],
)
def test_malformed_directives_name_file_and_line(text, line, words):
    with pytest.raises(MigrationFileError) as caught:
        read(text)
    assert f"0003_x.sql:{line}:" in str(caught.value)
    assert words in str(caught.value)
