"""modmig inside another program: its own Engine or Connection, and callbacks around runs and steps."""

import pytest
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.pool import StaticPool

from modmig import Project
from modmig.errors import ConnectionInTransaction
from modmig.run.backends.sqlite import _driver_autocommit, _emit_begin
from modmig.errors import MigrationFailed
from modmig.events import Listener, RunFinished, RunStarted, StepFailed, StepFinished, StepStarted

from .conftest import write_tree
from .run.test_upgrade import BLOG, USERS

BROKEN = {
    "0001_create_users.sql": USERS["0001_create_users.sql"],
    "0002_broken.sql": "CREATE TABLE users_half (id INTEGER);\nINSERT INTO no_such_table VALUES (1);\n",
}


def load(tmp_path, apps, **kwargs) -> Project:
    return Project.load(write_tree(tmp_path / "project", apps, database=None), **kwargs)


def test_a_callers_engine_is_used_and_left_exactly_as_it_was(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'app.db'}")
    with load(tmp_path, {"users": USERS, "blog": BLOG}, engine=engine) as project:
        assert project.upgrade().steps_done == 5
    assert {"users_user", "blog_post"} <= set(inspect(engine).get_table_names())
    assert not event.contains(engine, "begin", _emit_begin) and not event.contains(engine, "connect", _driver_autocommit)
    with engine.connect() as connection:  # the pooled connection is back in pysqlite's own mode
        assert connection.connection.driver_connection.isolation_level == ""
    engine.dispose()  # modmig did not dispose it: the caller still owns it


def test_a_failed_migration_on_a_callers_engine_still_rolls_back_its_ddl(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'app.db'}")
    with load(tmp_path, {"users": BROKEN}, engine=engine) as project:
        with pytest.raises(MigrationFailed):
            project.upgrade()
        assert project.status().apps[0].version == 1
    assert "users_half" not in inspect(engine).get_table_names()


def test_an_in_memory_database_is_migrated_through_the_callers_connection(tmp_path):
    engine = create_engine("sqlite://", poolclass=StaticPool)
    with engine.connect() as connection:
        project = load(tmp_path, {"users": BROKEN}, connection=connection)
        with pytest.raises(MigrationFailed):
            project.upgrade()
        assert not connection.in_transaction()
        assert set(inspect(connection).get_table_names()) >= {"users_user", "_schema_versions"}
        assert "users_half" not in inspect(connection).get_table_names()
        connection.rollback()
        assert connection.connection.driver_connection.isolation_level == ""
        project.close()
        assert not connection.closed  # modmig never closes what it was given


def test_a_connection_inside_a_transaction_is_refused_with_the_way_out(tmp_path):
    engine = create_engine("sqlite://", poolclass=StaticPool)
    with engine.connect() as connection:
        connection.execute(text("CREATE TABLE mine (id INTEGER)"))
        project = load(tmp_path, {"users": USERS}, connection=connection)
        with pytest.raises(ConnectionInTransaction, match="connection.commit\\(\\) or connection.rollback\\(\\)"):
            project.upgrade()
        connection.commit()
        assert project.upgrade().steps_done == 3


class Recorder(Listener):
    def __init__(self):
        self.seen = []

    def run_started(self, event: RunStarted) -> None:
        self.seen.append(("run started", len(event.plan)))

    def step_started(self, event: StepStarted) -> None:
        self.seen.append(("before", event.step.label))

    def step_finished(self, event: StepFinished) -> None:
        self.seen.append(("after", event.step.label))

    def step_failed(self, event: StepFailed) -> None:
        self.seen.append(("failed", event.step.label))

    def run_finished(self, event: RunFinished) -> None:
        self.seen.append(("run finished", event.success, event.steps_done))


def test_callbacks_hear_before_and_after_each_run_and_step(tmp_path):
    listener, calls = Recorder(), []
    project = load(tmp_path, {"users": BROKEN}, database=f"sqlite:///{tmp_path / 'app.db'}", on_event=listener)
    with pytest.raises(MigrationFailed):
        project.upgrade(on_event=calls.append)
    assert listener.seen == [
        ("run started", 2),
        ("before", "users:0001_create_users"),
        ("after", "users:0001_create_users"),
        ("before", "users:0002_broken"),
        ("failed", "users:0002_broken"),
        ("run finished", False, 1),
    ]
    assert [type(event).__name__ for event in calls] == [
        "RunStarted", "StepStarted", "StepFinished", "StepStarted", "StepFailed", "RunFinished",
    ]
    project.close()


def test_a_callback_that_raises_stops_the_run_after_the_committed_steps(tmp_path):
    def stop_after_first(event):
        if isinstance(event, StepFinished):
            raise RuntimeError("metrics server down")

    project = load(tmp_path, {"users": USERS}, database=f"sqlite:///{tmp_path / 'app.db'}")
    with pytest.raises(RuntimeError, match="metrics server down"):
        project.upgrade(on_event=stop_after_first)
    assert project.status().apps[0].version == 1
    assert project.upgrade().steps_done == 2
    project.close()
