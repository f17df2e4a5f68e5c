"""Planning with squash files: which files run depends on where the database stands.

    users:1 -> users:2 -> users:3 -> users:4        (originals)
    users:0001_squashed_0003 ------> users:4        (the squash, an alternative to 1..3)
    blog:1 needs users:2, so it waits for whichever node brings users through 2.
"""

import pytest

from modmig.errors import DatabaseInsideSquash, DependencyCycle, RenumberedMigration
from modmig.plan.graph import MigrationGraph
from modmig.plan.planner import Irreversible, plan_downgrade, plan_upgrade, verify
from modmig.plan.routes import route_up

from ..builders import histories, migration, squash, state


def labels(plan):
    return [step.label for step in plan.steps]


@pytest.fixture
def graph():
    return MigrationGraph(histories({
        "users": [*(migration("users", v) for v in range(1, 5)), squash("users", 1, 3)],
        "blog": [migration("blog", 1, "users:2")],
    }))


def test_a_fresh_database_runs_the_squash_instead_of_the_originals(graph):
    assert labels(plan_upgrade(graph, state())) == ["users:0001_squashed_0003", "blog:0001_step", "users:0004_step"]


def test_a_database_inside_the_range_runs_the_remaining_originals(graph):
    assert labels(plan_upgrade(graph, state(users=1), "users")) == ["users:0002_step", "users:0003_step", "users:0004_step"]


def test_a_database_at_the_end_of_the_range_runs_nothing_of_it(graph):
    assert labels(plan_upgrade(graph, state(users=3, blog=1))) == ["users:0004_step"]


def test_a_dependency_inside_the_range_waits_for_the_squash(graph):
    assert labels(plan_upgrade(graph, state(), "blog")) == ["users:0001_squashed_0003", "blog:0001_step"]


def test_upgrading_to_a_version_inside_the_range_takes_the_originals(graph):
    assert labels(plan_upgrade(graph, state(), "users", to=2)) == ["users:0001_step", "users:0002_step"]


def test_once_the_originals_are_deleted_a_database_inside_the_range_gets_a_clear_error():
    pruned = MigrationGraph(histories({"users": [squash("users", 1, 3), migration("users", 4)]}))
    assert labels(plan_upgrade(pruned, state())) == ["users:0001_squashed_0003", "users:0004_step"]
    with pytest.raises(DatabaseInsideSquash) as caught:
        verify(pruned, state(users=2)).raise_first()
    message = str(caught.value)
    assert "'users' is at version 2" in message and "0001-0003" in message and "0001_squashed_0003.sql" in message
    assert "previous release" in message
    assert caught.value.exit_code == 1


def test_downgrading_through_the_whole_range_uses_the_squash_down_section(graph):
    plan = plan_downgrade(graph, state(users=4, blog=1), "users", to=0)
    assert labels(plan) == ["users:0004_step", "blog:0001_step", "users:0001_squashed_0003"]


def test_downgrading_into_the_range_undoes_originals_and_dependents(graph):
    plan = plan_downgrade(graph, state(users=4, blog=1), "users", to=1)
    assert labels(plan) == ["users:0004_step", "blog:0001_step", "users:0003_step", "users:0002_step"]


def test_an_irreversible_squash_is_bypassed_when_the_originals_can_be_undone():
    graph = MigrationGraph(histories({"users": [*(migration("users", v) for v in (1, 2)), squash("users", 1, 2, reversible=False)]}))
    assert labels(plan_downgrade(graph, state(users=2), "users", to=0)) == ["users:0002_step", "users:0001_step"]
    pruned = MigrationGraph(histories({"users": [squash("users", 1, 2, reversible=False)]}))
    with pytest.raises(Irreversible, match="users:0001_squashed_0002"):
        plan_downgrade(pruned, state(users=2), "users", to=0)


def test_a_re_squash_is_preferred_and_the_older_squash_serves_databases_it_fits():
    """users:0001_squashed_0003 and users:0001_squashed_0005 (a re-squash) beside originals 4..6."""
    items = [squash("users", 1, 3), *(migration("users", v) for v in (4, 5, 6)), squash("users", 1, 5)]
    graph = MigrationGraph(histories({"users": items}))
    assert labels(plan_upgrade(graph, state())) == ["users:0001_squashed_0005", "users:0006_step"]
    assert labels(plan_upgrade(graph, state(users=3))) == ["users:0004_step", "users:0005_step", "users:0006_step"]
    assert [m.name for m in route_up(graph.histories["users"], 0, 4)] == ["0001_squashed_0003", "0004_step"]


def test_checksums_are_compared_with_the_file_that_recorded_them(graph):
    db = state(users=3)
    db.checksums[("users", 3)] = "sum-users-1-3"
    db.names[("users", 3)] = "0001_squashed_0003"
    assert not verify(graph, db).changed
    db.checksums[("users", 3)] = "sum-users-3"
    db.names[("users", 3)] = "0003_step"
    assert not verify(graph, db).changed
    db.checksums[("users", 3)] = "edited"
    assert [(app, version) for app, version, _ in verify(graph, db).changed] == [("users", 3)]


def test_a_record_of_a_pruned_original_is_not_compared_with_the_squash():
    pruned = MigrationGraph(histories({"users": [squash("users", 1, 3)]}))
    db = state(users=3)
    db.checksums[("users", 3)] = "sum-users-3"
    db.names[("users", 3)] = "0003_step"
    assert not verify(pruned, db).changed


def test_a_migration_renumbered_by_merge_is_recognised_by_its_recorded_name():
    files = [migration("blog", 1), migration("blog", 2)]
    renamed = migration("blog", 3)
    moved = type(renamed)(**{**renamed.__dict__, "name": "0003_add_tags", "checksum": "sum-tags"})
    graph = MigrationGraph(histories({"blog": [*files, moved]}))
    db = state(blog=2)
    db.checksums[("blog", 2)] = "sum-tags"
    db.names[("blog", 2)] = "0002_add_tags"
    with pytest.raises(RenumberedMigration, match="applied 0002_add_tags as version 2.*renumbered it to 0003_add_tags.*modmig repair blog --renumbered"):
        verify(graph, db).raise_first()


def test_a_squash_that_would_close_a_cycle_is_refused_by_the_graph():
    """users:2 needs blog:1 and blog:1 needs users:1: a squash of users 1..2 would need blog:1 and precede it."""
    with pytest.raises(DependencyCycle, match="blog:0001 -> users:0001_squashed_0002"):
        MigrationGraph(histories({
            "users": [migration("users", 1), migration("users", 2, "blog:1"), squash("users", 1, 2, "blog:1")],
            "blog": [migration("blog", 1, "users:1")],
        }))
