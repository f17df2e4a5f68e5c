"""Planning: exactly what is needed, in the graph's order, from any database state."""

import pytest

from modmig.errors import ChecksumMismatch, DatabaseAhead, Irreversible, UnknownApp, UsageError
from modmig.plan.graph import MigrationGraph
from modmig.plan.planner import plan_downgrade, plan_upgrade, verify

from ..builders import histories, migration, state


@pytest.fixture
def graph():
    """users 1-3; blog 1 needs users:1, blog 2 needs users:2; comments 1 needs blog:1."""
    return MigrationGraph(histories({
        "users": 3,
        "blog": [migration("blog", 1, "users:1"), migration("blog", 2, "users:2")],
        "comments": [migration("comments", 1, "blog:1"), migration("comments", 2)],
    }))


def labels(plan):
    return [f"{s.migration.app}:{s.migration.version}" for s in plan.steps]


def test_upgrading_one_app_brings_only_what_it_transitively_needs(graph):
    plan = plan_upgrade(graph, state(), "comments", to=1)
    assert labels(plan) == ["users:1", "blog:1", "comments:1"]
    assert plan.other_apps == ["blog", "users"]


def test_upgrade_all_applies_every_pending_migration_in_order(graph):
    plan = plan_upgrade(graph, state(users=1, blog=1))
    assert labels(plan) == ["comments:1", "comments:2", "users:2", "blog:2", "users:3"]


def test_upgrade_to_a_version_already_passed_plans_nothing(graph):
    assert not plan_upgrade(graph, state(users=3), "users", to=2)


def test_upgrade_to_a_version_that_does_not_exist_is_a_usage_error(graph):
    with pytest.raises(UsageError, match="no version 9"):
        plan_upgrade(graph, state(), "users", to=9)


def test_unknown_app_suggests_the_closest(graph):
    with pytest.raises(UnknownApp, match="Did you mean 'comments'"):
        plan_upgrade(graph, state(), "coments")


def test_downgrade_first_undoes_dependents_in_other_apps_in_reverse_order(graph):
    plan = plan_downgrade(graph, state(users=3, blog=2, comments=2), "users", to=1)
    assert labels(plan) == ["users:3", "blog:2", "users:2"]
    assert all(step.direction == "down" for step in plan.steps)


def test_downgrade_to_zero_is_the_exact_reverse_of_upgrading_from_zero(graph):
    down = plan_downgrade(graph, state(users=3, blog=2, comments=2), "users", to=0)
    up = plan_upgrade(graph, state())
    assert labels(down) == labels(up)[::-1]


def test_downgrade_target_above_current_version_is_refused(graph):
    with pytest.raises(UsageError, match="at version 1, below the target"):
        plan_downgrade(graph, state(users=1), "users", to=2)


def test_downgrade_through_an_irreversible_migration_is_refused_naming_it():
    graph = MigrationGraph(histories({"users": [migration("users", 1), migration("users", 2, reversible=False)]}))
    with pytest.raises(Irreversible, match="users:0002_step"):
        plan_downgrade(graph, state(users=2), "users", to=0)


def test_verify_reports_edited_files_and_a_database_ahead_of_the_files(graph):
    db = state(users=3, blog=1)
    db.checksums[("users", 2)] = "something else"
    found = verify(graph, db)
    assert [(app, version) for app, version, _ in found.changed] == [("users", 2)]
    with pytest.raises(ChecksumMismatch, match="users:0002"):
        found.raise_first()
    with pytest.raises(DatabaseAhead, match="version 7.*only go up to 3"):
        verify(graph, state(users=7)).raise_first()


def test_verify_reports_an_applied_migration_whose_dependency_is_not_applied(graph):
    assert verify(graph, state(users=1, blog=2)).inconsistent == [(("blog", 2), ("users", 2))]


def test_plans_for_ten_thousand_migrations_are_built_from_one_graph():
    many = MigrationGraph(histories({f"app{i:02d}": 100 for i in range(100)}))
    plan = plan_upgrade(many, state())
    assert len(plan) == 10_000 and labels(plan)[:2] == ["app00:1", "app00:2"]
