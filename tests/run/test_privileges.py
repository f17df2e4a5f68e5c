"""An account without the privileges modmig needs: told which privilege, on which database (item 5).

Before, a PostgreSQL role without CREATE on ``public`` (the default since PostgreSQL 15) got an
``InsufficientPrivilege`` traceback, and a MySQL account with SELECT only the same class of
failure. Now: exit 2, the privilege and the database named, the password masked, nothing changed.
"""

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from ..conftest import write_tree
from ..databases import limited_account

APPS = {"app": {"0001_t.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY);\n"}}


@pytest.fixture
def limited_postgres_url(postgres_url):
    with limited_account("postgresql", postgres_url) as url:
        yield url


@pytest.fixture
def limited_mysql_url(mysql_url):
    with limited_account("mysql", mysql_url) as url:
        yield url


def test_postgresql_without_create_on_public_names_the_privilege(tmp_path, run_cli, limited_postgres_url):
    write_tree(tmp_path, APPS, limited_postgres_url)
    result = run_cli(tmp_path)("upgrade", "--all")
    assert result.exit_code == 2, result.output
    role = make_url(limited_postgres_url).username
    database = make_url(limited_postgres_url).database
    assert f"role {role} lacks CREATE on schema public of database {database}" in result.stderr
    assert f"GRANT CREATE ON SCHEMA public TO {role};" in result.stderr
    assert ":***@" in result.stderr and "s3cret" not in result.output and "Traceback" not in result.output


def test_mysql_with_select_only_names_the_privilege(tmp_path, run_cli, limited_mysql_url, mysql_url):
    write_tree(tmp_path, APPS, limited_mysql_url)
    result = run_cli(tmp_path)("upgrade", "--all")
    assert result.exit_code == 2, result.output
    user = make_url(limited_mysql_url).username
    database = make_url(limited_mysql_url).database
    assert f"user '{user}'@" in result.stderr and f"lacks CREATE on database {database}" in result.stderr
    assert f"GRANT CREATE ON `{database}`.*" in result.stderr
    assert ":***@" in result.stderr and "s3cret" not in result.output and "Traceback" not in result.output
    engine = create_engine(mysql_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW TABLES").all() == []
    engine.dispose()
