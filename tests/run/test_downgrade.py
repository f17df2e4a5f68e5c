"""Downgrades: reverse order, dependents in other apps first, confirmation, irreversible refusal."""

import pytest

from modmig.errors import ConfirmationRequired
from modmig.errors import Irreversible

from ..conftest import table_names, versions
from .test_upgrade import BLOG, USERS

#: Core scenarios: they run on the PgBouncer and Galera topologies too (tests/conftest.py).
pytestmark = pytest.mark.conformance


def test_downgrade_of_one_app_undoes_only_that_app_when_nothing_depends_on_it(make_project):
    project = make_project({"users": USERS, "blog": BLOG})
    project.upgrade()
    result = project.downgrade("users", to=2)
    assert [s.label for s in result.plan.steps] == ["users:0003_profiles"]
    assert versions(project) == {"blog": 2, "users": 2}


def test_downgrade_undoes_dependent_apps_first_after_confirmation(make_project):
    project = make_project({"users": USERS, "blog": BLOG})
    project.upgrade()
    asked = []
    result = project.downgrade("users", to=1, confirm=lambda plan: asked.append(plan.other_apps) or True)
    assert asked == [["blog"]]
    assert [s.label for s in result.plan.steps] == [
        "users:0003_profiles",
        "blog:0002_add_author_email",
        "users:0002_add_email",
    ]
    assert versions(project) == {"blog": 1, "users": 1}
    assert table_names(project) == {"users_user", "blog_post"}


def test_downgrade_affecting_other_apps_without_confirmation_changes_nothing(make_project):
    project = make_project({"users": USERS, "blog": BLOG})
    project.upgrade()
    with pytest.raises(ConfirmationRequired, match="also undoes migrations of blog"):
        project.downgrade("users", to=0)
    assert versions(project) == {"blog": 2, "users": 3}


def test_downgrade_to_zero_then_upgrade_again_round_trips(make_project):
    project = make_project({"users": USERS, "blog": BLOG})
    project.upgrade()
    project.downgrade("users", to=0, confirm=lambda plan: True)
    assert table_names(project) == set() and versions(project) == {"blog": 0, "users": 0}
    project.upgrade()
    assert versions(project) == {"blog": 2, "users": 3}


def test_an_irreversible_step_anywhere_in_the_plan_refuses_before_doing_anything(make_project):
    users = dict(USERS, **{"0004_irreversible.sql": "CREATE TABLE users_forever (id INTEGER PRIMARY KEY);\n"})
    project = make_project({"users": users})
    project.upgrade()
    with pytest.raises(Irreversible, match="users:0004_irreversible"):
        project.downgrade("users", to=2)
    assert versions(project) == {"users": 4}


def test_the_cli_refuses_without_a_terminal_or_yes_and_proceeds_with_yes(scenario, run_cli):
    cli = run_cli(scenario("failing_migration"))
    assert cli("upgrade", "blog", "--to", "1").exit_code == 0
    refused = cli("downgrade", "users", "--to", "0")
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    done = cli("downgrade", "users", "--to", "0", "--yes")
    assert done.exit_code == 0
    assert "Unapplying blog:0001_create_posts ... OK" in done.stdout
    assert done.stdout.index("blog:0001") < done.stdout.index("users:0001")
