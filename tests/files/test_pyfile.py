"""Python migrations are read with ast, never imported while planning."""

from pathlib import Path

import pytest

from modmig.errors import MigrationFileError
from modmig.files.pyfile import read_python_migration

PATH = Path("apps/users/migrations/0003_seed.py")


def read(text):
    return read_python_migration("users", 3, "0003_seed", PATH, text)


def test_metadata_is_read_without_running_the_module():
    migration = read(
        "raise SystemExit('imported!')\n"
        "dependencies = ['blog:0001']\n"
        "transaction = False\n"
        "def upgrade(ctx):\n    pass\n"
        "def downgrade(ctx):\n    pass\n"
    )
    assert [str(d) for d in migration.dependencies] == ["blog:0001"]
    assert migration.transaction is False
    assert migration.reversible is True
    assert migration.kind == "python"


def test_no_downgrade_means_irreversible():
    assert read("def upgrade(ctx):\n    pass\n").reversible is False


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("def upgrade(ctx)\n    pass\n", 1, "syntax error"),
        ("dependencies = ['a:1']\n", None, "must define 'def upgrade(ctx):'"),
        ("import os\ndependencies = [os.environ['X']]\ndef upgrade(ctx): pass\n", 2, "must be a literal"),
        ("transaction = 'yes'\ndef upgrade(ctx): pass\n", 1, "True or False"),
        ("dependencies = 'users:0001'\ndef upgrade(ctx): pass\n", 1, "list of 'app:NNNN'"),
        ("dependencies = ['users']\ndef upgrade(ctx): pass\n", 1, "app:NNNN"),
    ],
)
def test_bad_python_migrations_name_file_and_line(text, line, words):
    with pytest.raises(MigrationFileError) as caught:
        read(text)
    where = f"0003_seed.py:{line}:" if line else "0003_seed.py:"
    assert where in str(caught.value)
    assert words in str(caught.value)
