"""The migration lock: a second run waits, says who holds the lock, and gives up cleanly (with
either strategy: the backend's session lock, and the lease)."""

import os
import re
import subprocess

import pytest

from modmig.api import Project
from modmig.errors import ConfigError

from ..conftest import MODMIG, versions, write_tree
from ..databases import topology_of
from .test_upgrade import USERS

#: Core scenarios: they run on the PgBouncer and Galera topologies too (tests/conftest.py).
pytestmark = pytest.mark.conformance


@pytest.mark.parametrize("strategy", ["advisory", "lease"])
def test_a_run_gives_up_after_the_lock_timeout_naming_the_holder_and_changing_nothing(tmp_path, database_url, strategy):
    config = write_tree(tmp_path / "project", {"users": USERS}, database_url, f"lock: {strategy}\n")
    if strategy == "advisory" and topology_of(database_url):  # PgBouncer, Galera: a session lock cannot hold
        with pytest.raises(ConfigError, match=r"'lock: advisory' \(.*\) cannot hold on topology (pgbouncer-transaction|galera)"):
            with Project.load(config) as refused:
                refused.backend.profile()
        return
    holder = Project.load(config)
    assert holder.backend.profile().lock == strategy
    with holder.backend.lock(5, lambda *_: None):
        waiting = subprocess.run(
            [*MODMIG, "upgrade", "--all", "--lock-timeout", "1"],
            cwd=config.parent, capture_output=True, text=True, timeout=60,
        )
    assert waiting.returncode == 1
    assert "Waiting for the migration lock held by" in waiting.stderr
    if holder.backend.name == "mysql" and strategy == "advisory":  # GET_LOCK tells a session and address, not a pid
        assert re.search(r"held by connection \d+ of \w+ from [\w.:-]+", waiting.stderr)
    else:
        assert f"pid {os.getpid()}" in waiting.stderr
    if strategy == "lease":
        assert re.search(r"lease expires in \d+\.\d s", waiting.stderr)
    assert "Gave up waiting for the migration lock after 1 s" in waiting.stderr
    assert versions(holder) == {"users": 0}
    assert holder.upgrade(lock_timeout=1).steps_done == 3
    holder.close()


def test_an_existing_engine_can_be_passed_in(tmp_path):
    from sqlalchemy import create_engine

    config = write_tree(tmp_path / "project", {"users": USERS}, None)
    engine = create_engine(f"sqlite:///{tmp_path / 'embedded.db'}")
    project = Project.load(config, engine=engine)
    assert project.upgrade().steps_done == 3
    project.close()
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT version FROM _schema_versions").scalar() == 3
    engine.dispose()
