"""The catalogue's cases about PostgreSQL and MariaDB, run on the server they concern."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from ..databases import limited_account
from .cases import Case
from .projects import migration
from .test_catalogue import run_case

UP = ("upgrade", "--all")

SERVER_CASES = [
    Case("PostgreSQL role without CREATE on public", "privileges", UP, 2, ("lacks CREATE on schema public", "GRANT CREATE ON SCHEMA public TO"),
         backend="postgresql-limited"),
    Case("MariaDB account with SELECT only", "privileges", UP, 2, ("lacks CREATE on database", "GRANT CREATE ON"),
         backend="mysql-limited"),
    Case("PostgreSQL syntax error keeps its caret", "SQL content", UP, 1, ("LINE 1: CREAT TABLE", "^", "blog stays at version 2"),
         files={"blog/0003_x.sql": "CREAT TABLE blog_0003 (id INTEGER);\n"}, backend="postgresql"),
    Case("MariaDB DELIMITER line", "directives", UP, 2, ("0003_x.sql:1", "'DELIMITER $$' is a command of the mysql command-line client"),
         files={"blog/0003_x.sql": "DELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; END$$\n"}, backend="mysql"),
    Case("MariaDB failure half-way leaves an exact mark", "SQL content", UP, 1, ("marked dirty at 0003 after 1 statement(s) succeeded", "'modmig upgrade blog' resumes it at statement 2"),
         files={"blog/0003_x.sql": "CREATE TABLE blog_0003 (id INTEGER PRIMARY KEY);\nINSERT INTO ghost VALUES (1);\n"}, backend="mysql"),
    Case("MariaDB failed downgrade says how to resume it", "bookkeeping", ("downgrade", "blog", "--to", "1"), 1, ("'modmig downgrade blog --to 1' resumes it at statement 2",),
         files={"blog/0002_tags.sql": migration("blog", 2, down=False) + "-- modmig: down\nDROP TABLE blog_0002;\nDROP TABLE ghost;\n"},
         before=(UP,), backend="mysql"),
    Case("MariaDB upgrade -v says statement by statement", "commands", ("upgrade", "users", "-v"), 0, ("statement by statement", "commits DDL implicitly"),
         backend="mysql"),
    Case("wrong MariaDB password", "connections", ("status",), 2, (":***@", "Access denied"), backend="mysql-wrong-password"),
    Case("missing PostgreSQL database", "connections", ("status",), 2, ('database "no_such_db_here" does not exist', ":***@"),
         backend="postgresql-missing-db"),
    Case("PostgreSQL negative version", "bookkeeping", ("status",), 1, ("App 'users'", "holds version -1"),
         before=(UP,), backend="postgresql-negative"),
]


@pytest.fixture
def server_url(request, tmp_path):
    from ..databases import provision

    kind = request.param
    server = kind.split("-")[0]
    with provision(server, tmp_path) as url:
        extra = kind[len(server) + 1:]
        if not extra or extra == "negative":
            yield url
        elif extra == "limited":
            with limited_account(server, url) as limited:
                yield limited
        elif extra == "wrong-password":
            yield make_url(url).set(password="s3cret-wrong").render_as_string(hide_password=False)
        elif extra == "missing-db":
            yield make_url(url).set(password="s3cret", database="no_such_db_here").render_as_string(hide_password=False)


@pytest.mark.parametrize("case, server_url", [(case, case.backend) for case in SERVER_CASES], ids=[c.name for c in SERVER_CASES], indirect=["server_url"])
def test_catalogue_on_its_server(case, server_url, tmp_path, monkeypatch):
    if case.name == "PostgreSQL negative version":
        case = Case(**{**case.__dict__, "setup": lambda folder: _negative(server_url)})
    run_case(case, tmp_path / "project", server_url, monkeypatch)


def _negative(url):
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE _schema_versions SET version = -1 WHERE app = 'users'")
    engine.dispose()
