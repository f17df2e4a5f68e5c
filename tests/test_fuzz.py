"""Generated configurations and migration headers: whatever the input, a message, never a traceback.

hypothesis writes ``modmig.yaml`` files (known and unknown keys, duplicated keys, every kind of
value, ``${VAR}`` references, broken YAML) and migration files (SQL directive headers and Python
module-level settings, well and badly formed), then reads them as modmig does: the result is a
project, or a ``ModmigError`` saying what is wrong. Anything else escaping is a bug. The example
counts are modest so that this runs in seconds; failures hypothesis found are kept in
``@example`` rows.
"""

from __future__ import annotations

import string
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from modmig.config import load_config
from modmig.errors import ModmigError
from modmig.files.pyfile import read_python_migration
from modmig.files.sqlfile import read_sql_migration
from modmig.plan.graph import MigrationGraph

from .builders import histories

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

KEYS = ["database", "apps", "schema", "lock_timeout", "timeouts", "lock_timout", "path", "package", "users", "blog",
        "Blog", "statement_timeout", "", "1", "${X}"]
SCALARS = st.one_of(
    st.sampled_from(["sqlite:///app.db", "apps/users", "5s", "-5", "2min", "true", "null", "~", "${HOME}", "${NOPE_X}",
                     "${NOPE_X:-3}", "$${x}", "${}", "${1A}", "[", "{", "'", '"', ": ", "- a", "&a", "*a", "!!python/object:os.system",
                     "0x10", "1e400", ".inf", "-.inf", "postgresql://u:p@[x", "\t", "é", "\x00"]),
    st.integers(min_value=-10**6, max_value=10**6).map(str),
    st.text(alphabet=string.printable, max_size=12),
)


@st.composite
def yaml_documents(draw, depth=0):
    """A YAML-looking document: mappings of known/unknown keys, any values, sometimes broken."""
    lines = []
    for _ in range(draw(st.integers(min_value=0, max_value=5))):
        key = draw(st.sampled_from(KEYS))
        indent = "  " * depth
        if depth < 2 and draw(st.booleans()):
            lines.append(f"{indent}{key}:")
            lines.append(draw(yaml_documents(depth + 1)))
        elif draw(st.booleans()):
            lines.append(f"{indent}{key}: {draw(SCALARS)}")
        else:
            items = ", ".join(draw(st.lists(SCALARS, max_size=3)))
            lines.append(f"{indent}{key}: [{items}]" if draw(st.booleans()) else f"{indent}{key}: {{{items}}}")
    return "\n".join(lines)


def read_config(folder: Path, text: str) -> None:
    path = folder / "modmig.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        config = load_config(path, environ={"HOME": "/home/x"})
    except ModmigError:
        return
    assert config.path == path


@SETTINGS
@given(text=yaml_documents())
@example(text="apps:\n  users: apps/users\n  users: apps/blog")
@example(text="lock_timeout: ${NOPE_X:-3}\napps: {}")
@example(text="database: !!python/object:os.system x\napps: {}")
@example(text="apps:\n  ? [a, b]\n  : x")
def test_any_config_file_is_a_project_or_a_message(tmp_path, text):
    read_config(tmp_path, text)


@SETTINGS
@given(text=st.text(max_size=200))
def test_any_text_as_a_config_file_is_a_project_or_a_message(tmp_path, text):
    read_config(tmp_path, text)


DIRECTIVE_WORDS = st.sampled_from(["depends", "depend", "transaction", "down", "replaces", "DEPENDS", "", "modmig", "up"])
ARGUMENTS = st.one_of(
    st.sampled_from(["users:0001", "users:0002, blog:0001", "users:0", "users-0001", "users:", ":1", "on", "off", "maybe",
                     "0001-0003", "3-1", "1-1", "a-b", "users:99999999999999999999", "Users:0001", ",", "users:0001,,"]),
    st.text(alphabet=string.ascii_letters + string.digits + ":-, ", max_size=15),
)


@st.composite
def sql_files(draw):
    lines = []
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        prefix = draw(st.sampled_from(["-- modmig: ", "--modmig:", "-- modmig ", "-- MODMIG : ", "-- modmig; ", "-- mod-mig: ", "-- "]))
        lines.append(f"{prefix}{draw(DIRECTIVE_WORDS)} {draw(ARGUMENTS)}".rstrip())
    lines.append(draw(st.sampled_from(["CREATE TABLE t (id INTEGER);", "", "SELECT 1;", "-- modmig: down", "INSERT INTO t VALUES ('a;b');"])))
    if draw(st.booleans()):
        lines.append("-- modmig: down")
        lines.append(draw(st.sampled_from(["DROP TABLE t;", "", "-- modmig: depends users:0001"])))
    return "\n".join(lines) + "\n"


@st.composite
def python_files(draw):
    names = st.sampled_from(["dependencies", "dependancies", "depends", "transaction", "transactional", "elidable", "replaces",
                             "replace", "atomic", "upgrade", "downgrade", "x"])
    values = st.sampled_from(["['users:0001']", "'users:0001'", "[1, 2]", "True", "False", "'no'", "(1, 3)", "(3, 1)", "(1,)",
                              "list()", "None", "[", "{'a': 1}", "1e400", "-1", "[['users:0001']]", "lambda ctx: None"])
    lines = [f"{draw(names)} = {draw(values)}" for _ in range(draw(st.integers(min_value=0, max_value=4)))]
    lines.append(draw(st.sampled_from(["def upgrade(ctx):\n    pass", "async def upgrade(ctx):\n    pass", "def downgrade(ctx):\n    pass",
                                       "def upgrade(ctx)\n    pass", "", "upgrade = 1"])))
    return "\n".join(lines) + "\n"


def build(migration_text: str, reader, name: str) -> None:
    try:
        migration = reader("blog", 1, name, Path(f"apps/blog/migrations/{name}"), migration_text)
    except ModmigError:
        return
    try:  # a file that reads fine joins a graph: dependencies must be checked there, not crash it
        MigrationGraph(histories({"users": 2, "blog": [migration]}))
    except ModmigError:
        return


@SETTINGS
@given(text=sql_files())
@example(text="-- modmig: depends users:99999999999999999999\nSELECT 1;\n")
@example(text="-- modmig: replaces 0001-0003\nSELECT 1;\n")
def test_any_sql_header_is_a_migration_or_a_message(text):
    build(text, read_sql_migration, "0001_x")


@SETTINGS
@given(text=python_files())
def test_any_python_header_is_a_migration_or_a_message(text):
    build(text, read_python_migration, "0001_x")


@SETTINGS
@given(text=st.text(max_size=120))
def test_any_text_as_a_migration_is_a_migration_or_a_message(text):
    build(text, read_sql_migration, "0001_x")
    build(text, read_python_migration, "0001_x")
