"""``modmig init``: a first modmig.yaml from the migrations/ folders already in a project."""

import yaml

from modmig.api import Project

from ..terminal import run_in_terminal


def make_folders(root, *paths):
    for path in paths:
        (root / path).mkdir(parents=True)


def test_init_lists_every_folder_with_a_migrations_folder_and_asks_nothing_without_a_terminal(tmp_path, run_cli):
    make_folders(
        tmp_path,
        "apps/users/migrations", "apps/Blog-Posts/migrations", "services/billing/core/migrations",
        ".git/hooks/migrations", "node_modules/x/migrations", "docs",
    )
    result = run_cli(tmp_path)("init")
    assert result.exit_code == 0, result.output
    config = yaml.safe_load((tmp_path / "modmig.yaml").read_text())
    assert config == {
        "database": "sqlite:///app.db",
        "apps": {"blog_posts": "apps/Blog-Posts", "core": "services/billing/core", "users": "apps/users"},
    }
    assert result.stdout.splitlines()[0] == "Wrote modmig.yaml with 3 app(s):"
    assert Project.load(tmp_path).apps == ["blog_posts", "core", "users"]


def test_init_gives_clashing_folder_names_their_parents_name(tmp_path, run_cli):
    make_folders(tmp_path, "shop/orders/migrations", "admin/orders/migrations")
    run_cli(tmp_path)("init", "--database", "postgresql+psycopg://app@db/app")
    config = yaml.safe_load((tmp_path / "modmig.yaml").read_text())
    assert config["apps"] == {"orders": "admin/orders", "shop_orders": "shop/orders"}
    assert config["database"] == "postgresql+psycopg://app@db/app"


def test_init_never_overwrites_an_existing_config(tmp_path, run_cli):
    (tmp_path / "modmig.yaml").write_text("apps: {}\n")
    result = run_cli(tmp_path)("init")
    assert result.exit_code == 2 and "modmig.yaml already exists" in result.stderr
    assert (tmp_path / "modmig.yaml").read_text() == "apps: {}\n"


def test_init_in_the_sample_project_recreates_its_apps_and_points_at_user_version_files(sample_project, tmp_path, run_cli):
    (sample_project / "modmig.yaml").unlink()
    (sample_project / "apps" / "users" / "migrations" / "0004_version.sql").write_text("PRAGMA user_version=4;\n")
    result = run_cli(sample_project)("init")
    assert yaml.safe_load((sample_project / "modmig.yaml").read_text())["apps"] == {
        "blog": "apps/blog", "comments": "apps/comments", "users": "apps/users",
    }
    assert "modmig stamp users --from-user-version" in result.stdout


def test_init_on_a_terminal_asks_for_the_database_url(tmp_path):
    (tmp_path / "p" / "apps" / "a" / "migrations").mkdir(parents=True)
    code, output = run_in_terminal(["init"], tmp_path / "p", stdin_text="sqlite:///var/x.db\n")
    assert code == 0 and "Database URL [sqlite:///app.db]:" in output
    assert yaml.safe_load((tmp_path / "p" / "modmig.yaml").read_text())["database"] == "sqlite:///var/x.db"
