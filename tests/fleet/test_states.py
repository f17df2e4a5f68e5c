"""Reading a fleet's states: the same state a single-database read gives, in a few round trips;
and one plan per distinct state."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine

from modmig.api import Project
from modmig.errors import UsageError
from modmig.fleet.decisions import Decisions
from modmig.fleet.discovery import discover
from modmig.fleet.servers import Servers
from modmig.fleet.states import read_states
from modmig.model import DatabaseState, DirtyMark, Plan

from ..conftest import Cli
from .conftest import SIZE


def test_the_bulk_read_gives_each_target_the_state_a_single_read_gives_in_a_few_queries(fleet):
    fleet.sql(4, "CREATE TABLE conflict (id INTEGER)")
    Cli(fleet.root)("upgrade", "--all", "--fleet", "tenants", "--canary", "10", "--on-error", "continue")  # t04 fails: the rest stay fresh
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    with Project.load(fleet.root) as project:
        api = project.fleet("tenants")
        servers = Servers(project.config, 4)
        try:
            discovery = discover(api.spec, servers, {})
            event.listen(Engine, "before_cursor_execute", count)
            try:
                bulk = read_states(discovery, servers, 4)
            finally:
                event.remove(Engine, "before_cursor_execute", count)
            for target in discovery.targets:
                database = servers.database(target)
                with database.connect() as connection:
                    assert bulk[target.name] == database.read_state(connection), target.name
                servers.release(target, database)
        finally:
            servers.close()
    states = [bulk[fleet.target(n)] for n in range(SIZE)]
    assert [s.version("blog") for s in states[:10]] == [2, 2, 2, 2, 1, 2, 2, 2, 2, 2]
    assert not any(s.initialised for s in states[10:])
    if fleet.kind == "databases":
        assert set(states[4].dirty) == {"blog"}
    if fleet.kind != "files":  # one query for all the schemas (or databases): not one per target
        assert len(statements) == 1, statements


def test_a_plan_is_made_once_per_distinct_state():
    planned = []

    def decide(state: DatabaseState) -> Plan:
        planned.append(state)
        if state.version("blog") == 9:
            raise UsageError("no version 9")
        return Plan()

    decisions = Decisions(decide)
    fresh, done, ahead = DatabaseState(initialised=False), DatabaseState(versions={"blog": 2}), DatabaseState(versions={"blog": 9})
    dirty = DatabaseState(versions={"blog": 1}, dirty={"blog": DirtyMark("blog", 2, "0002_x", "up", 1, "abc")})
    for _ in range(250):
        for state in (fresh, done, DatabaseState(versions={"blog": 2}), ahead, dirty):
            decisions(state)
    assert len(planned) == 4 and decisions.distinct == 4
    assert isinstance(decisions(ahead).error, UsageError) and decisions(done).plan == Plan()


def test_every_field_of_a_state_is_part_of_its_fingerprint():
    """Two states that differ in any field may plan differently: they must not share a plan."""
    import dataclasses

    from modmig.fleet.decisions import fingerprint

    samples = {
        "versions": {"blog": 1},
        "checksums": {("blog", 1): "c"},
        "names": {("blog", 1): "0001_x"},
        "dirty": {"blog": DirtyMark("blog", 2, "0002_x", "up", 1, "abc")},
        "part_checksums": {("blog", 1): ("u", "d")},
        "corrupt": {"blog": "version 'x'"},
        "initialised": False,
    }
    for field in dataclasses.fields(DatabaseState):
        changed = DatabaseState(**{field.name: samples[field.name]})
        assert fingerprint(changed) != fingerprint(DatabaseState()), field.name
