"""An account without the privileges modmig needs: told which privilege, on which database (item 5).

Before, a PostgreSQL role without CREATE on ``public`` (the default since PostgreSQL 15) got an
``InsufficientPrivilege`` traceback, and a MySQL account with SELECT only the same class of
failure. Now: exit 2, the privilege and the database named, the password masked, nothing changed.
"""

import uuid

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from ..conftest import write_tree
from ..databases import admin_engine

APPS = {"app": {"0001_t.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY);\n"}}


@pytest.fixture
def limited_postgres_url(postgres_url):
    """A role that may connect to the test database but not create tables in public."""
    role = f"modmig_limited_{uuid.uuid4().hex[:8]}"
    admin = admin_engine("postgresql")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD 's3cret'")
    try:
        yield make_url(postgres_url).set(username=role, password="s3cret").render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")


@pytest.fixture
def limited_mysql_url(mysql_url):
    """An account that may only SELECT in the test database."""
    user = f"modmig_ltd_{uuid.uuid4().hex[:8]}"
    database = make_url(mysql_url).database
    admin = admin_engine("mysql")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE USER '{user}'@'%%' IDENTIFIED BY 's3cret'")
        connection.exec_driver_sql(f"GRANT SELECT ON `{database}`.* TO '{user}'@'%%'")
    try:
        yield make_url(mysql_url).set(username=user, password="s3cret").render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP USER IF EXISTS '{user}'@'%%'")


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
