"""Adopting databases that other tools migrated: each database here is made by that tool itself.

* the numbered-files + ``PRAGMA user_version`` pattern, applied by the usual ten-line runner;
* Django (``manage.py migrate``, run in a subprocess with real settings);
* Alembic (``alembic upgrade head`` through its command API).
"""

import sqlite3
import subprocess
import sys
import textwrap

from sqlalchemy import create_engine, inspect

from ..conftest import write_tree

USER_VERSION_APP = {
    "0001_initial_schema.sql": "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\nPRAGMA user_version=1;\n",
    "0002_add_tags.sql": "CREATE TABLE tags (note_id INTEGER REFERENCES notes(id), tag TEXT);\nCREATE INDEX tags_by_tag ON tags (tag);\nPRAGMA user_version=2;\n",
    "0003_add_created_at.sql": "ALTER TABLE notes ADD COLUMN created_at TEXT;\nPRAGMA user_version=3;\n",
}


def homegrown_runner(database, folder, up_to):
    """What projects using the pattern run at start-up: every file numbered above user_version."""
    with sqlite3.connect(database) as connection:
        current = connection.execute("PRAGMA user_version").fetchone()[0]
        for path in sorted(folder.glob("*.sql")):
            number = int(path.name.split("_")[0])
            if current < number <= up_to:
                connection.executescript(path.read_text())


def test_a_user_version_folder_works_unchanged_as_a_modmig_app(tmp_path, run_cli):
    write_tree(tmp_path, {"notes": USER_VERSION_APP}, "sqlite:///app.db")
    result = run_cli(tmp_path)("upgrade", "--all")
    assert result.exit_code == 0, result.output
    with sqlite3.connect(tmp_path / "app.db") as connection:
        assert connection.execute("PRAGMA user_version").fetchone() == (3,)
        assert connection.execute("SELECT version FROM _schema_versions WHERE app = 'notes'").fetchone() == (3,)


def test_stamp_from_user_version_adopts_a_database_the_homegrown_runner_migrated(tmp_path, run_cli):
    write_tree(tmp_path, {"notes": USER_VERSION_APP}, "sqlite:///app.db")
    homegrown_runner(tmp_path / "app.db", tmp_path / "apps" / "notes" / "migrations", up_to=2)
    cli = run_cli(tmp_path)
    stamped = cli("stamp", "notes", "--from-user-version")
    assert stamped.exit_code == 0
    assert stamped.stdout.splitlines() == ["The database's PRAGMA user_version is 2.", "Stamped notes at 2 (was 0)."]
    upgraded = cli("upgrade", "--all")
    assert [line.split()[1] for line in upgraded.stdout.splitlines()[:-1]] == ["notes:0003_add_created_at"]
    assert cli("check").exit_code == 0


def test_stamp_needs_exactly_one_of_a_version_and_from_user_version(tmp_path, run_cli):
    write_tree(tmp_path, {"notes": USER_VERSION_APP}, "sqlite:///app.db")
    cli = run_cli(tmp_path)
    assert "Give VERSION or --from-user-version" in cli("stamp", "notes").output
    assert cli("stamp", "notes", "2", "--from-user-version").exit_code == 2


DJANGO_MANAGE = """\
import sys

import django
from django.conf import settings

settings.configure(
    INSTALLED_APPS=["blog"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": sys.argv[1]}},
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
)
django.setup()
from django.core.management import call_command

call_command(*sys.argv[2:])
"""
DJANGO_MIGRATIONS = {
    "0001_initial.py": """\
        from django.db import migrations, models

        class Migration(migrations.Migration):
            initial = True
            dependencies = []
            operations = [
                migrations.CreateModel(
                    name="Post",
                    fields=[("id", models.AutoField(primary_key=True)), ("title", models.CharField(max_length=200))],
                ),
            ]
        """,
    "0002_post_slug.py": """\
        from django.db import migrations, models

        class Migration(migrations.Migration):
            dependencies = [("blog", "0001_initial")]
            operations = [migrations.AddField("post", "slug", models.SlugField(default=""))]
        """,
}


def django_project(folder):
    (folder / "blog" / "migrations").mkdir(parents=True)
    (folder / "blog" / "__init__.py").write_text("")
    (folder / "blog" / "migrations" / "__init__.py").write_text("")
    for name, text in DJANGO_MIGRATIONS.items():
        (folder / "blog" / "migrations" / name).write_text(textwrap.dedent(text))
    (folder / "manage.py").write_text(DJANGO_MANAGE)

    def manage(*args):
        done = subprocess.run([sys.executable, "manage.py", str(folder / "app.db"), *args], cwd=folder, capture_output=True, text=True, check=True)
        return done.stdout

    return manage


def test_adopt_django_stamps_apps_whose_migrations_were_converted_with_sqlmigrate(tmp_path, run_cli):
    manage = django_project(tmp_path)
    manage("migrate", "blog")
    converted = {}
    for name in ("0001_initial", "0002_post_slug"):
        sql = manage("sqlmigrate", "blog", name)
        body = "\n".join(line for line in sql.splitlines() if line.strip() not in ("BEGIN;", "COMMIT;"))
        converted[f"{name}.sql"] = body + "\n"
    converted["0003_post_published.sql"] = 'ALTER TABLE "blog_post" ADD COLUMN "published" bool NOT NULL DEFAULT 0;\n'
    write_tree(tmp_path / "modmig", {"blog": converted}, f"sqlite:///{tmp_path / 'app.db'}")
    cli = run_cli(tmp_path / "modmig")

    proposal = cli("adopt", "django")
    assert proposal.exit_code == 0
    assert proposal.stdout.split("\n")[2].split() == ["blog", "0001_initial", "..", "0002_post_slug", "0", "2", "(0002_post_slug)", "to", "stamp"]
    assert "Run 'modmig adopt django --yes' to record these stamps." in proposal.stdout
    assert cli("status", "--json").stdout.count('"version": 0') == 1  # nothing recorded yet

    recorded = cli("adopt", "django", "--yes")
    assert recorded.exit_code == 0 and "Stamped 1 app(s)." in recorded.stdout
    upgraded = cli("upgrade", "--all")
    assert [line.split()[1] for line in upgraded.stdout.splitlines()[:-1]] == ["blog:0003_post_published"]
    engine = create_engine(f"sqlite:///{tmp_path / 'app.db'}")
    assert {c["name"] for c in inspect(engine).get_columns("blog_post")} == {"id", "title", "slug", "published"}
    engine.dispose()
    again = cli("adopt", "django", "--yes")
    assert "already tracked" in again.stdout and "Nothing to stamp." in again.stdout


def test_adopt_django_stops_at_the_first_migration_django_has_not_applied(tmp_path, run_cli):
    manage = django_project(tmp_path)
    manage("migrate", "blog", "0001")
    files = {"0001_initial.sql": "SELECT 1;\n", "0002_post_slug.sql": "SELECT 1;\n"}
    write_tree(tmp_path / "modmig", {"blog": files}, f"sqlite:///{tmp_path / 'app.db'}")
    result = run_cli(tmp_path / "modmig")("adopt", "django", "--json")
    stamps = [(s["app"], s["version"], s["action"]) for s in __import__("json").loads(result.stdout)["stamps"]]
    assert stamps == [("blog", 1, "stamp")]


ALEMBIC_REVISIONS = {
    "1a2b3c4d5e6f_create_users.py": """\
        import sqlalchemy as sa
        from alembic import op

        revision = "1a2b3c4d5e6f"
        down_revision = None

        def upgrade():
            op.create_table("users_user", sa.Column("id", sa.Integer, primary_key=True))

        def downgrade():
            op.drop_table("users_user")
        """,
    "2b3c4d5e6f7a_add_email.py": """\
        import sqlalchemy as sa
        from alembic import op

        revision = "2b3c4d5e6f7a"
        down_revision = "1a2b3c4d5e6f"

        def upgrade():
            op.add_column("users_user", sa.Column("email", sa.String(100)))

        def downgrade():
            op.drop_column("users_user", "email")
        """,
}


def test_adopt_alembic_stamps_the_app_whose_file_carries_the_head_revision(tmp_path, run_cli):
    from alembic import command
    from alembic.config import Config

    url = f"sqlite:///{tmp_path / 'app.db'}"
    command.init(Config(str(tmp_path / "alembic.ini")), str(tmp_path / "alembic"))
    config = Config(str(tmp_path / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    for name, text in ALEMBIC_REVISIONS.items():
        (tmp_path / "alembic" / "versions" / name).write_text(textwrap.dedent(text))
    command.upgrade(config, "head")

    files = {
        "0001_1a2b3c4d5e6f_create_users.sql": "CREATE TABLE users_user (id INTEGER NOT NULL, PRIMARY KEY (id));\n",
        "0002_2b3c4d5e6f7a_add_email.sql": "ALTER TABLE users_user ADD COLUMN email VARCHAR(100);\n",
        "0003_add_profiles.sql": "CREATE TABLE users_profile (id INTEGER PRIMARY KEY);\n",
    }
    write_tree(tmp_path / "modmig", {"users": files, "blog": {"0001_x.sql": "SELECT 1;\n"}}, url)
    cli = run_cli(tmp_path / "modmig")
    recorded = cli("adopt", "alembic", "--yes")
    assert recorded.exit_code == 0, recorded.output
    assert recorded.stdout.split("\n")[2].split() == ["users", "2b3c4d5e6f7a", "0", "2", "(0002_2b3c4d5e6f7a_add_email)", "recorded"]
    upgraded = cli("upgrade", "users")
    assert [line.split()[1] for line in upgraded.stdout.splitlines()[:-1]] == ["users:0003_add_profiles"]


def test_adopt_names_the_missing_table_when_the_other_tool_never_ran(tmp_path, run_cli):
    write_tree(tmp_path, {"blog": {"0001_x.sql": "SELECT 1;\n"}}, "sqlite:///app.db")
    result = run_cli(tmp_path)("adopt", "alembic")
    assert result.exit_code == 2 and "There is no alembic_version table in sqlite:///" in result.stderr
