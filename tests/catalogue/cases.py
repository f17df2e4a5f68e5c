"""The catalogue of bad inputs and faults: one row per case, each naming its class.

A case breaks the base project (``projects.base_files``) in one place, runs one command, and says
what a user must see: the exit code and words naming the culprit (file, line, app, version,
object or target). ``test_catalogue.py`` runs every row and also checks that no traceback was
printed and that the database is what its version table says. Cases that need no server run on
SQLite; the few about PostgreSQL or MariaDB run on the server they concern.

Classes (docs/cli.md lists them with an example each): configuration, file names, directives, SQL
content, Python migrations, bookkeeping, privileges, connections, signals, concurrency, squash
and merge, commands.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .projects import migration

CLASSES = (
    "configuration", "file names", "directives", "SQL content", "Python migrations", "bookkeeping",
    "privileges", "connections", "signals", "concurrency", "squash and merge", "commands",
)


@dataclass(frozen=True)
class Case:
    name: str
    kind: str
    command: tuple
    code: int
    says: tuple
    files: dict = field(default_factory=dict)
    config: str | None = None
    before: tuple = ()
    setup: Callable[[Path], None] | None = None
    env: dict | None = None
    backend: str = "sqlite"
    #: False only where the case itself made the record lie (``stamp --force``), to see it reported.
    truthful: bool = True

    def __str__(self) -> str:
        return self.name


def sql(folder: Path, statement: str) -> None:
    with sqlite3.connect(folder / "app.db") as connection:
        connection.execute(statement)


def edit(where: str, old: str, new: str) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        path = folder / "apps" / where
        path.write_text(path.read_text().replace(old, new))
    return change


def remove(where: str) -> Callable[[Path], None]:
    return lambda folder: (folder / "apps" / where).unlink()


UP = ("upgrade", "--all")
ALL_UP = (UP,)
PY_BASE = "def upgrade(ctx):\n    ctx.execute('CREATE TABLE blog_0003 (id INTEGER PRIMARY KEY)')\n"


def py(body: str, head: str = "") -> dict:
    """blog:0003 as a Python migration: ``head`` at module level, ``body`` after its CREATE TABLE."""
    return {"blog/0003_data.py": head + PY_BASE + "".join(f"    {line}\n" for line in body.splitlines())}


CONFIGURATION = [
    Case("no config file", "configuration", ("status",), 2, ("No modmig.yaml found in", "modmig init"),
         config=None, setup=lambda f: (f / "modmig.yaml").unlink()),
    Case("YAML syntax error", "configuration", ("status",), 2, ("modmig.yaml", "YAML syntax error at line 3"),
         config="database: {url}\napps: [unclosed\n"),
    Case("top level is a list", "configuration", ("status",), 2, ("modmig.yaml", "the top level must be a mapping"),
         config="- {url}\n"),
    Case("no apps key", "configuration", ("status",), 2, ("modmig.yaml", "missing 'apps:'"), config="database: {url}\n"),
    Case("apps is a list", "configuration", ("status",), 2, ("modmig.yaml:2", "'apps' must be a mapping"),
         config="database: {url}\napps:\n  - users\n"),
    Case("unknown top-level key", "configuration", ("status",), 2, ("modmig.yaml:1", "unknown key 'databse'", "Did you mean 'database'"),
         config="databse: {url}\napps:\n{apps}"),
    Case("unknown app key", "configuration", ("status",), 2, ("modmig.yaml:3", "unknown key 'apps.users.pth'", "Did you mean 'path'"),
         config="database: {url}\napps:\n  users: {{pth: apps/users}}\n"),
    Case("invalid app label", "configuration", ("status",), 2, ("modmig.yaml:3", "invalid app label 'Users-App'"),
         config="database: {url}\napps:\n  Users-App: apps/users\n"),
    Case("app is a number", "configuration", ("status",), 2, ("modmig.yaml:3", "app 'users' must be a folder"),
         config="database: {url}\napps:\n  users: 5\n"),
    Case("app folder missing", "configuration", UP, 2, ("app 'ghost'", "apps/ghost does not exist"),
         config="database: {url}\napps:\n{apps}  ghost: apps/ghost\n"),
    Case("migrations folder missing", "configuration", UP, 2, ("app 'empty'", "no migrations/ folder"),
         config="database: {url}\napps:\n{apps}  empty: apps\n"),
    Case("duplicate app key", "configuration", ("status",), 2, ("modmig.yaml:5", "key 'users' appears twice", "first at line 3"),
         config="database: {url}\napps:\n  users: apps/users\n  blog: apps/blog\n  users: apps/blog\n"),
    Case("duplicate top-level key", "configuration", ("status",), 2, ("modmig.yaml:2", "key 'database' appears twice"),
         config="database: {url}\ndatabase: sqlite:///other.db\napps:\n{apps}"),
    Case("two apps share a folder", "configuration", ("status",), 2, ("modmig.yaml:4", "apps 'users' (line 3) and 'people' both use folder"),
         config="database: {url}\napps:\n  users: apps/users\n  people: apps/users\n"),
    Case("negative lock_timeout", "configuration", ("status",), 2, ("modmig.yaml:1", "'lock_timeout' must be a number of seconds, 0 or more", "-5"),
         config="lock_timeout: -5\ndatabase: {url}\napps:\n{apps}"),
    Case("lock_timeout text", "configuration", ("status",), 2, ("modmig.yaml:1", "'lock_timeout'", "'soon'"),
         config="lock_timeout: soon\ndatabase: {url}\napps:\n{apps}"),
    Case("lock_timeout boolean", "configuration", ("status",), 2, ("modmig.yaml:1", "'lock_timeout'", "True"),
         config="lock_timeout: true\ndatabase: {url}\napps:\n{apps}"),
    Case("timeouts not a mapping", "configuration", ("status",), 2, ("modmig.yaml:1", "'timeouts' must be a mapping"),
         config="timeouts: 5\ndatabase: {url}\napps:\n{apps}"),
    Case("unknown timeout", "configuration", ("status",), 2, ("modmig.yaml:2", "unknown key 'timeouts.lock_timout'", "Did you mean 'lock_timeout'"),
         config="timeouts:\n  lock_timout: 5s\ndatabase: {url}\napps:\n{apps}"),
    Case("bad duration", "configuration", ("status",), 2, ("modmig.yaml:2", "'timeouts.statement_timeout' must be a positive duration", "'5 parsecs'"),
         config="timeouts:\n  statement_timeout: 5 parsecs\ndatabase: {url}\napps:\n{apps}"),
    Case("database is a number", "configuration", ("status",), 2, ("modmig.yaml:1", "'database' must be a URL string"),
         config="database: 5\napps:\n{apps}"),
    Case("schema on SQLite", "configuration", UP, 2, ("'schema: tenant' is a PostgreSQL option",),
         config="schema: tenant\ndatabase: {url}\napps:\n{apps}"),
    Case("schema not a name", "configuration", ("status",), 2, ("modmig.yaml:1", "'schema' must be a name"),
         config="schema: [a, b]\ndatabase: {url}\napps:\n{apps}"),
    Case("unset environment variable", "configuration", ("status",), 2, ("modmig.yaml:1", "environment variable MODMIG_NO_SUCH_VAR is not set"),
         config="database: ${{MODMIG_NO_SUCH_VAR}}\napps:\n{apps}"),
    Case("malformed variable reference", "configuration", ("status",), 2, ("modmig.yaml:1", "'${1DB}' is not a variable reference"),
         config="database: ${{1DB}}\napps:\n{apps}"),
    Case("package not importable", "configuration", UP, 2, ("app 'billing'", "package 'no_such_pkg_xyz' is not importable"),
         config="database: {url}\napps:\n{apps}  billing: {{package: no_such_pkg_xyz}}\n"),
    Case("config not UTF-8", "configuration", ("status",), 2, ("modmig.yaml", "not UTF-8 text"),
         setup=lambda f: (f / "modmig.yaml").write_bytes(b"database: \xff\xfe\napps: {}\n")),
    Case("--config to a missing file", "configuration", ("status", "--config", "nowhere.yaml"), 2, ("Config file nowhere.yaml does not exist",)),
    Case("MODMIG_CONFIG to a missing file", "configuration", ("status",), 2, ("Config file /no/such/modmig.yaml does not exist",),
         env={"MODMIG_CONFIG": "/no/such/modmig.yaml"}),
]

CONNECTIONS = [
    Case("malformed URL, password hidden", "connections", ("status", "--database", "postgresql://admin:s3cret@[bad"), 2,
         ("Cannot use database postgresql+psycopg://admin:***@[bad",)),
    Case("unsupported database", "connections", ("status", "--database", "oracle://scott:tiger@db/orcl"), 2,
         ("no backend for 'oracle'", "postgresql+psycopg://")),
    Case("driver not installed", "connections", ("status", "--database", "postgresql+pg8000://app:s3cret@db/prod"), 2,
         ("its driver is not installed", "pip install 'modmig[postgres]'")),
    Case("SQLite folder missing", "connections", ("status", "--database", "sqlite:////proc/no/such/folder/app.db"), 2,
         ("Cannot use database sqlite:////proc/no/such/folder/app.db", "does not exist")),
    Case("PostgreSQL not answering", "connections", ("status", "--database", "postgresql://admin:s3cret@127.0.0.1:1/app"), 2,
         ("Cannot use database postgresql+psycopg://admin:***@127.0.0.1:1/app",)),
    Case("MariaDB not answering", "connections", ("upgrade", "--all", "--database", "mysql+pymysql://admin:s3cret@127.0.0.1:1/app"), 2,
         ("Cannot use database mysql+pymysql://admin:***@127.0.0.1:1/app",)),
    Case("environment URL malformed", "connections", ("status",), 2, ("Cannot use database", "not a valid SQLAlchemy URL"),
         env={"MODMIG_DATABASE_URL": "not a url"}),
]

FILE_NAMES = [
    Case("number without a name", "file names", ("check",), 1, ("apps/blog/migrations/0003.sql", "it has no name after the number"),
         files={"blog/0003.sql": migration("blog", 3)}, before=ALL_UP),
    Case("letter after the number", "file names", ("check",), 1, ("0003a_x.sql", "the number must be followed by '_'"),
         files={"blog/0003a_x.sql": migration("blog", 3)}, before=ALL_UP),
    Case("upper-case extension", "file names", ("check",), 1, ("0003_x.SQL", "the extension must be lowercase .sql"),
         files={"blog/0003_x.SQL": migration("blog", 3)}, before=ALL_UP),
    Case("space in the name", "file names", ("check",), 1, ("0003_with space.sql", "letters, digits, '_' and '-'"),
         files={"blog/0003_with space.sql": migration("blog", 3)}, before=ALL_UP),
    Case("dash after the number", "file names", ("check",), 1, ("0003-x.sql", "the number must be followed by '_'"),
         files={"blog/0003-x.sql": migration("blog", 3)}, before=ALL_UP),
    Case("dangling symbolic link", "file names", ("check",), 1, ("0003_link.sql", "symbolic link to nowhere.sql, which does not exist"),
         before=ALL_UP, setup=lambda f: os.symlink("nowhere.sql", f / "apps/blog/migrations/0003_link.sql")),
    Case("folder named like a migration", "file names", ("check",), 1, ("0003_dir.sql", "it is not a regular file"),
         before=ALL_UP, setup=lambda f: (f / "apps/blog/migrations/0003_dir.sql").mkdir()),
    Case("misnamed file named by upgrade", "file names", UP, 0, ("Warning: apps/blog/migrations/0003.sql looks like a migration",),
         files={"blog/0003.sql": migration("blog", 3)}),
    Case("misnamed file named by status", "file names", ("status",), 0, ("Warning: apps/users/migrations/0003_x.SQL",),
         files={"users/0003_x.SQL": migration("users", 3)}),
    Case("two files for one version", "file names", UP, 2, ("App 'blog' has two migrations with version 2", "0002_other.sql", "modmig merge blog"),
         files={"blog/0002_other.sql": migration("blog", 2)}),
    Case("SQL and Python twins", "file names", UP, 2, ("App 'blog' has the same migration twice, in two formats", "0002_tags.py and", "0002_tags.sql"),
         files={"blog/0002_tags.py": PY_BASE}),
    Case("version gap", "file names", UP, 2, ("App 'blog' has no migration 0003", "0004_later.sql"),
         files={"blog/0004_later.sql": migration("blog", 4)}),
    Case("version zero", "file names", UP, 2, ("0000_zero.sql", "migration numbers start at 1"),
         files={"blog/0000_zero.sql": migration("blog", 0)}),
    Case("not UTF-8", "file names", UP, 2, ("0003_latin.sql", "not UTF-8 text"),
         setup=lambda f: (f / "apps/blog/migrations/0003_latin.sql").write_bytes(b"INSERT INTO x VALUES ('\xe9');\n")),
    Case("squash with the wrong number", "file names", UP, 2, ("0002_squashed_0003.sql", "must be named 0001_squashed_0003"),
         files={"blog/0002_squashed_0003.sql": "-- modmig: replaces 0001-0003\nSELECT 1;\n"}),
]

DIRECTIVES = [
    Case("unknown directive", "directives", UP, 2, ("0003_x.sql:1", "unknown directive 'depend'", "Did you mean 'depends'"),
         files={"blog/0003_x.sql": "-- modmig: depend users:0001\n" + migration("blog", 3)}),
    Case("directive after SQL", "directives", UP, 2, ("0003_x.sql:2", "must be in the leading comment block"),
         files={"blog/0003_x.sql": "CREATE TABLE blog_0003 (id INTEGER);\n-- modmig: depends users:0001\n"}),
    Case("two down lines", "directives", UP, 2, ("0003_x.sql:4", "second '-- modmig: down' line (the first is line 2)"),
         files={"blog/0003_x.sql": migration("blog", 3) + "-- modmig: down\nSELECT 1;\n"}),
    Case("depends without argument", "directives", UP, 2, ("0003_x.sql:1", "'depends' needs at least one app:NNNN"),
         files={"blog/0003_x.sql": "-- modmig: depends\n" + migration("blog", 3)}),
    Case("malformed dependency", "directives", UP, 2, ("0003_x.sql:1", "'users-0001' is not a dependency", "app:NNNN"),
         files={"blog/0003_x.sql": "-- modmig: depends users-0001\n" + migration("blog", 3)}),
    Case("dependency on version 0", "directives", UP, 2, ("0003_x.sql:1", "versions start at 1"),
         files={"blog/0003_x.sql": "-- modmig: depends users:0000\n" + migration("blog", 3)}),
    Case("transaction maybe", "directives", UP, 2, ("0003_x.sql:1", "'transaction' takes on or off, not 'maybe'"),
         files={"blog/0003_x.sql": "-- modmig: transaction maybe\n" + migration("blog", 3)}),
    Case("malformed replaces", "directives", UP, 2, ("0001_squashed_0002.sql:1", "'replaces' takes a range M-N"),
         files={"blog/0001_squashed_0002.sql": "-- modmig: replaces 2-1\nSELECT 1;\n"}),
    Case("depends without colon", "directives", UP, 2, ("0003_x.sql:1", "has no colon", "-- modmig: depends users:0002"),
         files={"blog/0003_x.sql": "-- modmig depends users:0002\n" + migration("blog", 3)}),
    Case("down without colon", "directives", UP, 2, ("0003_x.sql:2", "'-- modmig down' looks like a directive but has no colon"),
         files={"blog/0003_x.sql": "CREATE TABLE blog_0003 (id INTEGER PRIMARY KEY);\n-- modmig down\nDROP TABLE blog_0003;\n"}),
    Case("semicolon for colon", "directives", UP, 2, ("0003_x.sql:1", "'-- modmig; transaction off'", "has no colon"),
         files={"blog/0003_x.sql": "-- modmig; transaction off\n" + migration("blog", 3)}),
    Case("dependency on an unknown app", "directives", UP, 2, ("0003_x.sql:1", "'user:0001'", "Did you mean 'users'"),
         files={"blog/0003_x.sql": "-- modmig: depends user:0001\n" + migration("blog", 3)}),
    Case("dependency on an unknown version", "directives", UP, 2, ("0003_x.sql:1", "'users:0009' does not exist", "users only goes up to 0002"),
         files={"blog/0003_x.sql": "-- modmig: depends users:0009\n" + migration("blog", 3)}),
    Case("dependency cycle", "directives", UP, 2, ("Dependency cycle:", "users:0003", "blog:0003"),
         files={"blog/0003_x.sql": migration("blog", 3, "users:0003"), "users/0003_x.sql": migration("users", 3, "blog:0003")}),
    Case("Python dependency typo", "directives", UP, 2, ("0003_data.py:1", "'dependancies' is not a migration setting", "did you mean 'dependencies'"),
         files=py("", head="dependancies = ['users:0001']\n")),
    Case("Python transaction typo", "directives", UP, 2, ("0003_data.py:1", "'transactional' is not a migration setting"),
         files=py("", head="transactional = False\n")),
]

SQL_CONTENT = [
    Case("syntax error", "SQL content", UP, 1, ("Migration blog:0003 failed at apps/blog/migrations/0003_x.sql:2", "CREAT TABLE", "It was rolled back; blog stays at version 2"),
         files={"blog/0003_x.sql": "-- a comment\nCREAT TABLE blog_0003 (id INTEGER);\n"}),
    Case("missing table", "SQL content", UP, 1, ("0003_x.sql:2", "no such table: nowhere", "blog stays at version 2"),
         files={"blog/0003_x.sql": "CREATE TABLE blog_0003 (id INTEGER PRIMARY KEY);\nINSERT INTO nowhere VALUES (1);\n"}),
    Case("empty file", "SQL content", UP, 2, ("0003_x.sql", "has no SQL statement to run"),
         files={"blog/0003_x.sql": ""}),
    Case("comment-only file", "SQL content", UP, 2, ("0003_x.sql", "has no SQL statement to run", "only comments"),
         files={"blog/0003_x.sql": "-- TODO: write this\n/* later */\n"}),
    Case("untouched SQL template", "SQL content", UP, 2, ("0003_todo.sql", "as 'modmig new' wrote it"),
         before=(("new", "blog", "todo"),)),
    Case("untouched Python template", "SQL content", UP, 2, ("0003_todo.py", "is the template 'modmig new' wrote, untouched"),
         before=(("new", "blog", "todo", "--python"),)),
    Case("second statement fails", "SQL content", UP, 1, ("0003_x.sql:3", "UNIQUE constraint failed", "blog stays at version 2"),
         files={"blog/0003_x.sql": "CREATE TABLE blog_0003 (id INTEGER PRIMARY KEY);\nINSERT INTO blog_0003 VALUES (1);\nINSERT INTO blog_0003 VALUES (1);\n"}),
    Case("down section fails", "SQL content", ("downgrade", "blog", "--to", "1"), 1, ("Downgrade of blog:0002 failed at apps/blog/migrations/0002_tags.sql:3", "no such table: blog_9999", "blog stays at version 2"),
         files={"blog/0002_tags.sql": migration("blog", 2, down=False) + "-- modmig: down\nDROP TABLE blog_9999;\n"}, before=ALL_UP),
    Case("irreversible downgrade", "SQL content", ("downgrade", "blog", "--to", "1"), 2, ("Cannot downgrade: blog:0002_tags has no down section",),
         files={"blog/0002_tags.sql": migration("blog", 2, down=False)}, before=ALL_UP),
    Case("unterminated string", "SQL content", UP, 1, ("0003_x.sql:1", "unrecognized token", "blog stays at version 2"),
         files={"blog/0003_x.sql": "INSERT INTO blog_0001 VALUES ('never closed);\n"}),
    Case("statement after the last semicolon fails", "SQL content", UP, 1, ("0003_x.sql:2", "no such table: t9"),
         files={"blog/0003_x.sql": "CREATE TABLE blog_0003 (id INTEGER PRIMARY KEY);\nDROP TABLE t9"}),
    Case("header comments not part of the statement", "SQL content", UP, 1, ("statement: INSERT INTO nowhere VALUES (1)",),
         files={"blog/0003_x.sql": "-- modmig: depends users:0002\n-- Why: a header comment\nINSERT INTO nowhere VALUES (1);\n"}),
]

PYTHON = [
    Case("syntax error", "Python migrations", UP, 2, ("0003_data.py:2", "syntax error"),
         files={"blog/0003_data.py": "def upgrade(ctx):\nreturn\n"}),
    Case("no upgrade function", "Python migrations", UP, 2, ("0003_data.py", "must define 'def upgrade(ctx):'"),
         files={"blog/0003_data.py": "def downgrade(ctx):\n    pass\n"}),
    Case("async upgrade", "Python migrations", UP, 2, ("0003_data.py:1", "upgrade() must be a plain function, not async"),
         files={"blog/0003_data.py": "async def upgrade(ctx):\n    pass\n"}),
    Case("dependencies not a literal", "Python migrations", UP, 2, ("0003_data.py:1", "'dependencies' must be a literal"),
         files=py("", head="dependencies = list(['users:0001'])\n")),
    Case("dependencies of the wrong type", "Python migrations", UP, 2, ("0003_data.py:1", "'dependencies' must be a list of 'app:NNNN' strings"),
         files=py("", head="dependencies = 'users:0001'\n")),
    Case("transaction not a boolean", "Python migrations", UP, 2, ("0003_data.py:1", "'transaction' must be True or False, not 'no'"),
         files=py("", head="transaction = 'no'\n")),
    Case("replaces of the wrong shape", "Python migrations", UP, 2, ("0001_squashed_0002.py:1", "'replaces' must be a pair (M, N)"),
         files={"blog/0001_squashed_0002.py": "replaces = (1,)\n" + PY_BASE}),
    Case("raises an exception", "Python migrations", UP, 1, ("Migration blog:0003 failed at apps/blog/migrations/0003_data.py:3", "ValueError: bad data", "blog stays at version 2"),
         files=py("raise ValueError('bad data')")),
    Case("commits ctx.connection", "Python migrations", UP, 1, ("0003_data.py:3", "ctx.connection.commit()", "Nothing was committed"),
         files=py("ctx.connection.commit()")),
    Case("rolls ctx.connection back", "Python migrations", UP, 1, ("0003_data.py:3", "ctx.connection.rollback()"),
         files=py("ctx.connection.rollback()")),
    Case("closes ctx.connection", "Python migrations", UP, 1, ("0003_data.py:3", "ctx.connection.close()"),
         files=py("ctx.connection.close()")),
    Case("begins a transaction", "Python migrations", UP, 1, ("0003_data.py:3", "ctx.connection.begin()"),
         files=py("ctx.connection.begin()")),
    Case("sys.exit", "Python migrations", UP, 1, ("0003_data.py:4", "the migration called sys.exit(3)", "blog stays at version 2"),
         files=py("import sys\nsys.exit(3)")),
    Case("imports a missing module", "Python migrations", UP, 1, ("0003_data.py:3", "ModuleNotFoundError", "no_such_module_here"),
         files=py("import no_such_module_here")),
    Case("wrong SQL through ctx.execute", "Python migrations", UP, 1, ("0003_data.py:3", "no such table: ghost"),
         files=py("ctx.execute('DELETE FROM ghost')")),
    Case("downgrade missing", "Python migrations", ("downgrade", "blog", "--to", "2"), 2, ("blog:0003_data has no down section",),
         files=py(""), before=ALL_UP),
]

BOOKKEEPING = [
    Case("text version", "bookkeeping", ("status",), 1, ("App 'blog'", "holds version 'two'", "modmig stamp blog N"),
         before=ALL_UP, setup=lambda f: sql(f, "UPDATE _schema_versions SET version = 'two' WHERE app = 'blog'")),
    Case("text version on upgrade", "bookkeeping", UP, 1, ("App 'blog'", "holds version 'two'"),
         before=ALL_UP, setup=lambda f: sql(f, "UPDATE _schema_versions SET version = 'two' WHERE app = 'blog'")),
    Case("negative version", "bookkeeping", ("status",), 1, ("App 'users'", "holds version -1", "modmig stamp users N"),
         before=ALL_UP, setup=lambda f: sql(f, "UPDATE _schema_versions SET version = -1 WHERE app = 'users'")),
    Case("dirty mark with a bad direction", "bookkeeping", ("status",), 1, ("App 'blog'", "dirty mark on version 2 ('sideways')"),
         before=ALL_UP, setup=lambda f: sql(f, "UPDATE _schema_versions SET dirty = 1, dirty_version = 2, dirty_direction = 'sideways' WHERE app = 'blog'")),
    Case("database ahead of the files", "bookkeeping", UP, 1, ("App 'blog' is at version 2 in the database", "only go up to 1"),
         before=ALL_UP, setup=lambda f: ((f / "apps/blog/migrations/0002_tags.sql").unlink())),
    Case("edited applied file", "bookkeeping", UP, 1, ("Applied migrations were edited after they ran", "blog:0002", "modmig repair blog"),
         before=ALL_UP, setup=edit("blog/migrations/0002_tags.sql", "PRIMARY KEY", "PRIMARY KEY, note TEXT")),
    Case("database behind the files", "bookkeeping", UP, 1, ("App 'users' is at version 0 in the database", "start after 0001"),
         before=(("stamp", "users", "0"),), setup=remove("users/migrations/0001_users.sql")),
    Case("stopped downgrade blocks an upgrade", "bookkeeping", ("upgrade", "blog"), 1, ("App 'blog' is dirty", "'modmig downgrade blog --to 1' resumes it"),
         files={"blog/0002_tags.sql": "-- modmig: transaction off\nCREATE TABLE blog_0002 (id INTEGER PRIMARY KEY);\n-- modmig: down\nDROP TABLE blog_0002;\nDROP TABLE ghost;\n"},
         before=(UP, ("!", "downgrade", "blog", "--to", "1"))),
    Case("stopped upgrade blocks a downgrade", "bookkeeping", ("downgrade", "blog", "--to", "1"), 1, ("App 'blog' is dirty", "'modmig upgrade blog --to 3' resumes it"),
         files={"blog/0003_x.sql": "-- modmig: transaction off\nCREATE TABLE blog_0003 (id INTEGER PRIMARY KEY);\nINSERT INTO ghost VALUES (1);\n"},
         before=(("!", "upgrade", "blog"),)),
    Case("dirty app in check", "bookkeeping", ("check",), 1, ("blog: dirty: up of blog:0003_x stopped after 1 statement(s)",),
         files={"blog/0003_x.sql": "-- modmig: transaction off\nCREATE TABLE blog_0003 (id INTEGER PRIMARY KEY);\nINSERT INTO ghost VALUES (1);\n"},
         before=(("!", "upgrade", "--all"),)),
    Case("inconsistent record", "bookkeeping", ("check",), 1, ("blog:0001 is applied but its dependency users:0001 is not",),
         before=(("stamp", "blog", "1", "--force"),), truthful=False),
]

SIGNALS = [
    Case("Ctrl-C inside a migration", "signals", UP, 130, ("Interrupted by SIGINT during blog:0003", "0003_data.py:3", "blog stays at version 2"),
         files=py("raise KeyboardInterrupt")),
    Case("SIGTERM inside a migration", "signals", UP, 143, ("Interrupted by SIGTERM during blog:0003", "blog stays at version 2"),
         files=py("from modmig.errors import Interrupted\nraise Interrupted(15)")),
    Case("Ctrl-C in a downgrade", "signals", ("downgrade", "blog", "--to", "2"), 130, ("Interrupted by SIGINT during the downgrade of blog:0003", "blog stays at version 3"),
         files={"blog/0003_data.py": PY_BASE + "def downgrade(ctx):\n    raise KeyboardInterrupt\n"}, before=ALL_UP),
]

CONCURRENCY = [
    Case("lock held by another run", "concurrency", ("upgrade", "--all", "--lock-timeout", "0"), 1, ("Gave up waiting for the migration lock after 0 s", "held by"),
         setup=lambda f: _hold_lock(f)),
    Case("lock held, stamp", "concurrency", ("stamp", "users", "1", "--lock-timeout", "0"), 1, ("Gave up waiting for the migration lock",),
         setup=lambda f: _hold_lock(f)),
    Case("lock held, repair", "concurrency", ("repair", "users", "--lock-timeout", "0"), 1, ("Gave up waiting for the migration lock",),
         setup=lambda f: _hold_lock(f)),
]

_held: list = []


def _hold_lock(folder: Path) -> None:
    """Hold the project's lock file the way another modmig process would, until the case ends."""
    import fcntl

    handle = open(folder / "app.db.modmig-lock", "a+")  # noqa: SIM115 - released by release_locks()
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    handle.write("deploy@ci (pid 4242)")
    handle.flush()
    _held.append(handle)


def release_locks() -> None:
    while _held:
        _held.pop().close()


SQUASH_AND_MERGE = [
    Case("squash range reversed", "squash and merge", ("squash", "blog", "--from", "2", "--to", "1"), 2, ("--from must not be after --to", "--from 1 --to 2")),
    Case("squash of one version", "squash and merge", ("squash", "blog", "--from", "2", "--to", "2"), 2, ("Cannot squash blog 0002-0002: a squash needs at least two versions",)),
    Case("squash past the last file", "squash and merge", ("squash", "blog", "--to", "9"), 2, ("Cannot squash blog 0001-0009", "its migrations go from 0001 to 0002")),
    Case("prune without a squash", "squash and merge", ("squash", "blog", "--prune"), 2, ("App 'blog' has no squash file: nothing to prune",)),
    Case("prune with other options", "squash and merge", ("squash", "blog", "--prune", "--to", "2"), 2, ("--prune takes no other option",)),
    Case("squash that does not verify", "squash and merge", ("squash", "blog"), 1, ("The squash blog:0001_squashed_0002 failed verification", "downgrading the squash does not undo it"),
         files={"blog/0002_tags.sql": migration("blog", 2, down=False) + "-- modmig: down\nSELECT 1;\n"}),
    Case("squash of an unknown app", "squash and merge", ("squash", "blgo"), 2, ("Unknown app 'blgo'", "Did you mean 'blog'")),
    Case("merge with nothing to merge", "squash and merge", ("merge", "blog"), 2, ("blog",)),
    Case("squash already written", "squash and merge", ("squash", "blog", "--no-verify"), 2, ("0001_squashed_0002.sql already exists",),
         before=(("squash", "blog", "--no-verify"),)),
]

COMMANDS = [
    Case("upgrade without an app", "commands", ("upgrade",), 2, ("Name one app or pass --all",)),
    Case("unknown app", "commands", ("upgrade", "blgo"), 2, ("Unknown app 'blgo'. Did you mean 'blog'?",)),
    Case("downgrade above the current version", "commands", ("downgrade", "blog", "--to", "2"), 2, ("Cannot downgrade 'blog' to 2: it is at version 0, below the target", "modmig upgrade blog --to 2")),
    Case("downgrade to a version that does not exist", "commands", ("downgrade", "blog", "--to", "5"), 2, ("there is no version 5",)),
    Case("downgrade without a target", "commands", ("downgrade", "blog"), 2, ("--to N", "--steps K")),
    Case("downgrade with --to and --steps", "commands", ("downgrade", "blog", "--to", "1", "--steps", "1"), 2, ("--steps K",)),
    Case("--to that is not a number", "commands", ("downgrade", "blog", "--to", "one"), 2, ("--to 'one' is not a version",)),
    Case("--to +K on a downgrade", "commands", ("downgrade", "blog", "--to", "+1"), 2, ("goes up, but this is an downgrade", "modmig upgrade blog --to +1"), before=ALL_UP),
    Case("--to -K on an upgrade", "commands", ("upgrade", "blog", "--to", "-1"), 2, ("goes down, but this is an upgrade",)),
    Case("--to -K below zero", "commands", ("downgrade", "blog", "--to", "-3"), 2, ("Cannot go 3 version(s) down from 'blog': it is at version 2",), before=ALL_UP),
    Case("--steps past the pending", "commands", ("upgrade", "blog", "--steps", "3"), 2, ("Cannot apply 3 migration(s) of 'blog'", "only 2 are pending")),
    Case("--steps past the applied", "commands", ("downgrade", "blog", "--steps", "3"), 2, ("Cannot undo 3 migration(s) of 'blog'",), before=ALL_UP),
    Case("plan --to without an app", "commands", ("plan", "--to", "1"), 2, ("need an app",)),
    Case("upgrade to a version past the files", "commands", ("upgrade", "blog", "--to", "7"), 2, ("App 'blog' has no version 7", "from 0001 to 0002")),
    Case("stamp a version that does not exist", "commands", ("stamp", "blog", "9"), 2, ("Cannot stamp 'blog' at 9", "from 0001 to 0002")),
    Case("stamp without a version", "commands", ("stamp", "blog"), 2, ("Give VERSION or --from-user-version",)),
    Case("stamp an inconsistent record", "commands", ("stamp", "blog", "1"), 2, ("blog:0001 would be applied but its dependency users:0001 not", "'modmig stamp users 1'")),
    Case("stamp lowering from user_version", "commands", ("stamp", "users", "--from-user-version"), 2, ("PRAGMA user_version is 0, below the version modmig records for 'users' (2)",),
         before=ALL_UP),
    Case("stamp lowering under a dependent", "commands", ("stamp", "users", "0"), 2, ("would record an inconsistent database", "blog:0001 would be applied but its dependency users:0001 not"),
         before=ALL_UP),
    Case("repair --applied when not dirty", "commands", ("repair", "blog", "--applied"), 2, ("App 'blog' is not dirty",), before=ALL_UP),
    Case("repair a dirty app without a choice", "commands", ("repair", "blog"), 2, ("App 'blog' is dirty", "--applied", "--not-applied", "records blog at"),
         files={"blog/0003_x.sql": "-- modmig: transaction off\nCREATE TABLE blog_0003 (id INTEGER PRIMARY KEY);\nINSERT INTO ghost VALUES (1);\n"},
         before=(("!", "upgrade", "blog"),)),
    Case("repair --statements-done out of range", "commands", ("repair", "blog", "--statements-done", "7"), 2, ("--statements-done 7", "has 2 statement(s)"),
         files={"blog/0003_x.sql": "-- modmig: transaction off\nCREATE TABLE blog_0003 (id INTEGER PRIMARY KEY);\nINSERT INTO ghost VALUES (1);\n"},
         before=(("!", "upgrade", "blog"),)),
    Case("repair --applied and --statements-done", "commands", ("repair", "blog", "--applied", "--statements-done", "1"), 2, ("not both",)),
    Case("repair --not-applied the catalog refutes", "commands", ("repair", "blog", "--not-applied"), 2, ("statement 1 of the upgrade of blog:0003_x", "table blog_0003"),
         files={"blog/0003_x.sql": "-- modmig: transaction off\nCREATE TABLE blog_0003 (id INTEGER PRIMARY KEY);\nINSERT INTO ghost VALUES (1);\n"},
         before=(("!", "upgrade", "blog"),)),
    Case("downgrade into other apps without a terminal", "commands", ("downgrade", "users", "--to", "0"), 2, ("also undoes migrations of blog", "Confirm it with --yes (there is no terminal to ask on)"),
         before=ALL_UP),
    Case("--scratch without --roundtrip", "commands", ("check", "--scratch", "sqlite://"), 2, ("--scratch goes with --roundtrip",)),
    Case("--full without --sql", "commands", ("plan", "--full"), 2, ("--full goes with --sql",)),
    Case("new with a bad slug", "commands", ("new", "blog", "Add Tags"), 2, ("Invalid slug 'Add Tags'",)),
    Case("history of an unknown app", "commands", ("history", "blgo"), 2, ("Unknown app 'blgo'",)),
    Case("negative --lock-timeout", "commands", ("upgrade", "--all", "--lock-timeout", "-1"), 2, ("--lock-timeout",)),
    Case("round trip on a scratch that is not empty", "commands", ("check", "--roundtrip", "--scratch", "sqlite:///app.db"), 2, ("is not empty",),
         before=ALL_UP),
    Case("--renumbered with --applied", "commands", ("repair", "blog", "--renumbered", "--applied"), 2, ("--renumbered cannot be combined",)),
]

SQLITE_CASES = (
    CONFIGURATION + CONNECTIONS + FILE_NAMES + DIRECTIVES + SQL_CONTENT + PYTHON + BOOKKEEPING + SIGNALS
    + CONCURRENCY + SQUASH_AND_MERGE + COMMANDS
)
