"""The graph: dependencies resolved, cycles and unknown dependencies refused, one fixed order."""

import subprocess
import sys

import pytest

from modmig.errors import DependencyCycle, UnknownDependency
from modmig.plan.graph import MigrationGraph

from ..builders import histories, migration
from ..conftest import REPO


def test_order_is_topological_with_app_then_version_tie_break():
    """
    users:1 -> users:2
       |          \\
       v           v
    blog:1 ----> blog:2
    """
    graph = MigrationGraph(histories({
        "users": 2,
        "blog": [migration("blog", 1, "users:1"), migration("blog", 2, "users:2")],
    }))
    assert graph.order == [("users", 1), ("blog", 1), ("users", 2), ("blog", 2)]


def test_the_order_does_not_depend_on_the_order_apps_are_given():
    spec = {"zeta": 2, "alpha": 2, "mid": [migration("mid", 1, "zeta:2")]}
    reordered = dict(reversed(list(spec.items())))
    assert MigrationGraph(histories(spec)).order == MigrationGraph(histories(reordered)).order


def test_cross_app_cycle_is_printed_whole():
    with pytest.raises(DependencyCycle) as caught:
        MigrationGraph(histories({
            "blog": [migration("blog", 1), migration("blog", 2, "users:3")],
            "users": [migration("users", 1), migration("users", 2), migration("users", 3, "blog:2")],
        }))
    assert "blog:0002 -> users:0003 -> blog:0002" in str(caught.value)


def test_dependency_on_an_unknown_app_names_the_file_and_suggests():
    with pytest.raises(UnknownDependency) as caught:
        MigrationGraph(histories({"users": 1, "blog": [migration("blog", 1, "user:1")]}))
    message = str(caught.value)
    assert "blog/migrations/0001_step.sql" in message and "'user'" in message and "Did you mean 'users'" in message


def test_dependency_on_a_version_that_does_not_exist_is_refused():
    with pytest.raises(UnknownDependency) as caught:
        MigrationGraph(histories({"users": 2, "blog": [migration("blog", 1, "users:5")]}))
    assert "users only goes up to 0002" in str(caught.value)


def test_ancestors_and_descendants_stay_within_the_allowed_set():
    graph = MigrationGraph(histories({"users": 3, "blog": [migration("blog", 1, "users:2")]}))
    pending = {("users", 2), ("users", 3), ("blog", 1)}
    assert graph.ancestors_within([("blog", 1)], pending) == {("blog", 1), ("users", 2)}
    applied = {("users", 1), ("users", 2), ("blog", 1)}
    assert graph.descendants_within([("users", 2)], applied) == {("users", 2), ("blog", 1)}


def _tangled_histories():
    """Six apps of 25 migrations; every 4th depends on a pseudo-random earlier-app migration."""
    spec = {}
    for index, app in enumerate(["app_a", "app_b", "app_c", "app_d", "app_e", "app_f"]):
        steps = []
        for version in range(1, 26):
            depends = []
            if index and version % 4 == 0:
                other = ["app_a", "app_b", "app_c", "app_d", "app_e"][(version * 7) % index]
                depends.append(f"{other}:{(version * 13) % 25 + 1}")
            steps.append(migration(app, version, *depends))
        spec[app] = steps
    return histories(spec)


def test_the_order_is_the_lexicographic_topological_order_networkx_computes():
    import networkx as nx

    graph = MigrationGraph(_tangled_histories())
    reference = nx.DiGraph(list(graph.edges()))
    reference.add_nodes_from(graph.nodes)
    assert graph.order == list(nx.lexicographical_topological_sort(reference, key=lambda key: key))


def test_edges_and_neighbours_are_reported_once_and_sorted():
    graph = MigrationGraph(histories({"users": 2, "blog": [migration("blog", 1, "users:2", "users:2")]}))
    assert list(graph.edges()) == [(("users", 1), ("users", 2)), (("users", 2), ("blog", 1))]
    assert graph.dependencies(("blog", 1)) == [("users", 2)]
    assert graph.dependents(("users", 2)) == [("blog", 1)]


def test_planning_does_not_import_networkx():
    """networkx costs 0.1-0.2 s to import: status, plan and a no-op upgrade must not pay it."""
    code = (
        "import sys\n"
        "from tests.plan.test_graph import _tangled_histories\n"
        "from modmig.plan.graph import MigrationGraph\n"
        "from modmig.plan.planner import plan_upgrade\n"
        "from tests.builders import state\n"
        "plan_upgrade(MigrationGraph(_tangled_histories()), state())\n"
        "print('networkx' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
