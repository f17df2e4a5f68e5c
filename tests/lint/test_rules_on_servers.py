"""The claims behind some rules, proved on the real databases rather than taken on trust.

* SQLite refuses the ALTERs its rules call failures; the safe rewrites run.
* PostgreSQL refuses CONCURRENTLY in a transaction, a NOT NULL column without a default on a
  table with rows, and a new enum value used in its own transaction; the "rewrite" rules' bad
  examples give the table a new file (``pg_relation_filenode``) and their safe ones do not.
* MariaDB: the algorithm each MySQL rule names is the cheapest the server accepts, statement by
  statement (``mysql_algorithms.needs`` against ``ALGORITHM=`` clauses), and the bad examples of
  the copying rules are refused with ``ALGORITHM=INPLACE, LOCK=NONE``.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from modmig.errors import MigrationFailed
from modmig.lint import facts as F
from modmig.lint.engine import RULES
from modmig.lint.parse_glot import GlotParser
from modmig.lint.rules.mysql_algorithms import ALGORITHMS, needs

from ..databases import provision
from .examples import example_project

SQLITE_FAILURES = ["SQ101", "SQ102", "SQ103", "SQ104", "SQ105"]


def _upgrade(project):
    with project:
        project.upgrade()


def _upgrade_with_a_row(project, rule, row: str):
    """Run the setup migrations, insert ``row``, then the example (the failures need data)."""
    with project:
        project.upgrade(rule.app, to=len(rule.setup))
        with project.connect() as connection:
            connection.execute(text(row))
            connection.commit()
        project.upgrade()


@pytest.mark.parametrize("rule_id", SQLITE_FAILURES)
def test_sqlite_refuses_the_bad_example_on_a_table_with_rows_and_runs_the_safe_one(tmp_path, rule_id):
    rule = RULES[rule_id]
    row = "INSERT INTO items (sku, price) VALUES ('a-1', 5)"
    bad, _ = example_project(tmp_path / "bad", rule, rule.bad, f"sqlite:///{tmp_path / 'bad.db'}")
    with pytest.raises(MigrationFailed):
        _upgrade_with_a_row(bad, rule, row)
    safe, _ = example_project(tmp_path / "safe", rule, rule.safe, f"sqlite:///{tmp_path / 'safe.db'}")
    _upgrade_with_a_row(safe, rule, row)


@pytest.mark.parametrize("rule_id", ["PG103", "PG126"])
def test_postgresql_refuses_the_bad_example_and_runs_the_safe_one(tmp_path, postgres_url, rule_id):
    rule = RULES[rule_id]
    bad, _ = example_project(tmp_path / "bad", rule, rule.bad, postgres_url)
    with pytest.raises(MigrationFailed):
        _upgrade(bad)


def test_postgresql_refuses_a_not_null_column_without_default_once_the_table_has_rows(tmp_path, postgres_url):
    rule = RULES["PG121"]
    project, _ = example_project(tmp_path, rule, rule.bad, postgres_url)
    with pytest.raises(MigrationFailed, match="contains null values"):
        _upgrade_with_a_row(project, rule, "INSERT INTO orders (customer_id) VALUES (1)")


@pytest.mark.parametrize("rule_id", ["PG122", "PG123", "PG124"])
def test_postgresql_rewrites_the_table_for_the_bad_example_only(tmp_path, rule_id):
    rule = RULES[rule_id]
    assert _rewrites(tmp_path / "bad", rule, rule.bad)
    assert not _rewrites(tmp_path / "safe", rule, rule.safe)


def _rewrites(root, rule, example) -> bool:
    """Whether running ``example`` after the setup (and one row) gave ``orders`` a new data file."""
    with provision("postgresql", root) as url:
        project, _ = example_project(root, rule, example, url)
        with project:
            project.upgrade(rule.app, to=len(rule.setup))
            with project.connect() as connection:
                connection.execute(text("INSERT INTO orders (customer_id) VALUES (1)"))
                connection.commit()
                before = connection.execute(text("SELECT pg_relation_filenode('orders')")).scalar()
            project.upgrade()
            with project.connect() as connection:
                after = connection.execute(text("SELECT pg_relation_filenode('orders')")).scalar()
    return before != after


# -- MariaDB: the algorithm model against the server ---------------------------------------------

MY_TABLE = (
    "CREATE TABLE t (id BIGINT PRIMARY KEY, a INT NOT NULL DEFAULT 0, v VARCHAR(20), e ENUM('a','b','c'), "
    "body TEXT, c CHAR(3)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
)
MY_STATEMENTS = [
    "MODIFY a BIGINT NOT NULL DEFAULT 0", "MODIFY a INT NULL DEFAULT 0", "MODIFY v VARCHAR(64)", "MODIFY v VARCHAR(10)",
    "MODIFY e ENUM('a','b','c','d')", "MODIFY e ENUM('b','a','c')", "MODIFY v VARCHAR(20) NOT NULL",
    "MODIFY a INT NOT NULL DEFAULT 5", "MODIFY v TEXT", "MODIFY c CHAR(10)", "ADD COLUMN x INT",
    "ADD COLUMN x INT AS (a+1) STORED", "ADD COLUMN x INT AS (a+1) VIRTUAL", "ADD COLUMN x BIGINT AUTO_INCREMENT UNIQUE",
    "DROP COLUMN body", "RENAME COLUMN v TO w", "ADD INDEX i (a)", "ADD UNIQUE INDEX ui (a)",
    "ADD FULLTEXT INDEX f (body)", "ADD CONSTRAINT fk FOREIGN KEY (id) REFERENCES u (id)", "DROP PRIMARY KEY",
    "DROP PRIMARY KEY, ADD PRIMARY KEY (id, a)", "FORCE", "CONVERT TO CHARACTER SET latin1",
    "ALTER COLUMN a SET DEFAULT 9", "ADD CONSTRAINT ck CHECK (a >= 0)",
]


@pytest.fixture
def mysql_connection(mysql_url):
    engine = create_engine(mysql_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def _model(statement: str):
    """The catalog of MY_TABLE, then what ``needs`` says the ALTER requires (the strongest action)."""
    from modmig.lint.catalog import Catalog
    from modmig.lint.engine import annotate

    parser = GlotParser("mysql")
    setup = parser.parse(MY_TABLE, 1)
    alter = parser.parse(f"ALTER TABLE t {statement}", 2)
    catalog = Catalog()
    annotate([setup], catalog)
    annotate([alter], catalog)
    found = [needs(a, alter, False) for a in alter.actions if a.kind != F.SET]
    return max((n for n in found if n is not None), key=lambda n: ALGORITHMS.index(n.algorithm))


@pytest.mark.parametrize("statement", MY_STATEMENTS)
def test_the_algorithm_the_linter_names_is_the_cheapest_the_server_accepts(mysql_connection, statement):
    need = _model(statement)
    accepted = []
    for algorithm in ALGORITHMS:
        mysql_connection.exec_driver_sql("DROP TABLE IF EXISTS t")
        mysql_connection.exec_driver_sql("DROP TABLE IF EXISTS u")
        mysql_connection.exec_driver_sql("CREATE TABLE u (id BIGINT PRIMARY KEY) ENGINE=InnoDB")
        mysql_connection.exec_driver_sql(MY_TABLE)
        try:
            mysql_connection.exec_driver_sql(f"ALTER TABLE t {statement}, ALGORITHM={algorithm}, LOCK={need.lock}")
            accepted.append(algorithm)
        except Exception:  # noqa: BLE001 - the server refusing is the answer
            pass
    assert accepted and accepted[0] == need.algorithm, (statement, need, accepted)


@pytest.mark.parametrize("rule_id", ["MY101", "MY102", "MY103", "MY104", "MY105", "MY106", "MY108"])
def test_mariadb_refuses_the_bad_example_online(tmp_path, mysql_url, rule_id):
    rule = RULES[rule_id]
    bad = rule.bad.rstrip().rstrip(";") + ", ALGORITHM=INPLACE, LOCK=NONE;\n"
    project, _ = example_project(tmp_path, rule, bad, mysql_url)
    with pytest.raises(MigrationFailed, match="(?i)not supported|lock=none|algorithm"):
        _upgrade(project)
