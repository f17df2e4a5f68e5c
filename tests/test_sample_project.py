"""The sample project, driven exactly as README.md tells a newcomer to."""

import json

from sqlalchemy import create_engine, text


def test_the_sample_project_migrates_in_dependency_order(sample_project, run_cli):
    cli = run_cli(sample_project)
    result = cli("upgrade", "--all")
    assert result.exit_code == 0, result.output
    applied = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("Applying")]
    assert len(applied) == 10
    position = {label.split("_")[0]: i for i, label in enumerate(applied)}
    assert position["users:0001"] < position["blog:0001"] < position["comments:0001"]
    assert position["users:0002"] < position["blog:0003"]
    assert position["blog:0004"] < position["comments:0003"]

    status = json.loads(cli("status", "--json").stdout)
    assert {a["app"]: a["version"] for a in status["apps"]} == {"blog": 4, "comments": 3, "users": 3}
    assert cli("check").exit_code == 0


def test_the_sample_project_runs_unchanged_on_every_backend_given_database(sample_project, run_cli, database_url):
    cli = run_cli(sample_project)
    up = cli("upgrade", "--all", "--database", database_url)
    assert up.exit_code == 0, up.output
    assert cli("check", "--database", database_url).exit_code == 0

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:  # the trigger, the view and the seeded admin; rolled back
            connection.execute(text("INSERT INTO blog_post (id, author_id, title) VALUES (1, 1, 'Hello')"))
            for id, body in [(1, "a; b"), (2, "c")]:
                connection.execute(text("INSERT INTO comments_comment (id, post_id, author_id, body) VALUES (:id, 1, 1, :body)"), {"id": id, "body": body})
            assert connection.execute(text("SELECT comment_count FROM comments_post_stats")).scalar() == 2
            assert connection.execute(text("SELECT author FROM blog_post_listing")).scalar() == "Administrator"
            connection.rollback()
    finally:
        engine.dispose()

    down = cli("downgrade", "users", "--to", "0", "--yes", "--database", database_url)
    assert down.exit_code == 0, down.output
    assert down.stdout.count("Unapplying") == 10
    status = json.loads(cli("status", "--json", "--database", database_url).stdout)
    assert {a["app"]: a["version"] for a in status["apps"]} == {"blog": 0, "comments": 0, "users": 0}
    assert cli("upgrade", "--all", "--database", database_url).exit_code == 0


def test_the_readme_tour_downgrade_plan_and_graph(sample_project, run_cli):
    cli = run_cli(sample_project)
    assert cli("upgrade", "blog").exit_code == 0
    assert "comments" not in cli("history").stdout
    down = cli("downgrade", "users", "--to", "1", "--yes")
    assert down.exit_code == 0 and "Unapplying blog:0003_post_listing_view" in down.stdout
    plan = cli("plan", "--sql")
    assert "CREATE VIEW blog_post_listing" in plan.stdout and "(Python migration: 0003_seed_admin.py)" in plan.stdout
    graph = cli("graph", "--format", "dot")
    assert 'subgraph "cluster_blog"' in graph.stdout and "users_0002 -> blog_0003" in graph.stdout
    assert cli("upgrade", "--all").exit_code == 0 and cli("check").exit_code == 0


def test_the_tutorials_makemigrations_step_writes_the_file_it_shows(sample_project, run_cli):
    from .conftest import REPO

    cli = run_cli(sample_project)
    assert cli("upgrade", "--all").exit_code == 0
    models = sample_project / "apps" / "blog" / "models.py"
    models.write_text(models.read_text().replace(
        "    slug: Mapped[str | None] = mapped_column(String(200))\n",
        "    slug: Mapped[str | None] = mapped_column(String(200))\n    subtitle: Mapped[str | None] = mapped_column(String(200))\n",
    ))
    assert cli("makemigrations", "--check").exit_code == 1
    written = cli("makemigrations", "blog")
    assert written.exit_code == 0 and "blog: wrote apps/blog/migrations/0005_add_blog_post_subtitle.sql" in written.stdout
    text = (sample_project / "apps" / "blog" / "migrations" / "0005_add_blog_post_subtitle.sql").read_text()
    tutorial = (REPO / "docs" / "tutorial.md").read_text()
    assert f"```sql\n{text}```" in tutorial
    assert text in (REPO / "docs" / "autogenerate.md").read_text()
    assert cli("upgrade", "blog").exit_code == 0
    assert cli("makemigrations", "--check").exit_code == 0
