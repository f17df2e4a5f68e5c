"""``check --drift`` on every database: the live schema against what its applied migrations make."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
from sqlalchemy import create_engine

from modmig.api import Project

DROP_INDEX = {
    "sqlite": "DROP INDEX blog_post_published",
    "postgresql": "DROP INDEX blog_post_published",
    "mysql": "DROP INDEX blog_post_published ON blog_post",
}


def execute(url: str, *statements: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


def test_a_database_as_its_migrations_left_it_has_no_drift_even_when_behind(sample_project, run_cli, database_url):
    cli = run_cli(sample_project)
    assert cli("upgrade", "blog", "--database", database_url).exit_code == 0  # comments not yet, users at 2
    result = cli("check", "--drift", "--database", database_url)
    assert result.exit_code == 0, result.output
    assert "No drift: the database holds what its applied migrations make." in result.stdout
    assert "(blog 4, comments 0, users 2)" in result.stdout


def test_changes_made_by_hand_are_drift_each_named_with_its_owning_app(sample_project, run_cli, database_url):
    cli = run_cli(sample_project)
    assert cli("upgrade", "--all", "--database", database_url).exit_code == 0
    dialect = Project.load(sample_project, database=database_url).dialect()
    execute(
        database_url,
        "CREATE TABLE hand_made (x INTEGER)",
        "ALTER TABLE blog_post ADD COLUMN hotfix INTEGER",
        DROP_INDEX[dialect],
        "DROP VIEW blog_post_listing",
    )
    result = cli("check", "--drift", "--json", "--database", database_url)
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    jsonschema.validate(document, json.loads(resources.files("modmig").joinpath("schemas/drift.schema.json").read_text()))
    found = {(item["app"], item["kind"], item["name"], item["problem"]) for item in document["items"]}
    assert found == {
        ("blog", "column", "blog_post.hotfix", "unexpected"),
        ("blog", "index", "blog_post.blog_post_published", "missing"),
        ("blog", "view", "blog_post_listing", "missing"),
        (None, "table", "hand_made", "unexpected"),
    }
    assert document["unowned"] == ["hand_made"]
    text = cli("check", "--drift", "--database", database_url).stdout
    assert "blog: 3 difference(s)\n  - column blog_post.hotfix: not made by any applied migration" in text
    assert "Owned by no app: 1 difference(s)\n  - table hand_made: not made by any applied migration" in text

    config = sample_project / "modmig.yaml"
    config.write_text(config.read_text() + "drift: {ignore: [hand_*]}\n")
    with Project.load(sample_project, database=database_url) as project:
        report = project.drift()
    assert report.ignored == ["hand_made"] and report.unowned == []
    assert {item.name for item in report.items} == {"blog_post.hotfix", "blog_post.blog_post_published", "blog_post_listing"}
