"""Finding each app's models: one MetaData per app, one shared by all, and every way it can fail.

These need no database beyond SQLite: importing models is the same whatever the database.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from modmig.api import Project
from modmig.errors import ModelsError, UsageError
from modmig.schema.models import load_models

from ..conftest import REPO


def project_with(tmp_path, apps: dict[str, str], sources: dict[str, str]) -> Project:
    """modmig.yaml with ``apps`` (label -> YAML spec) and Python files (path -> text) under tmp_path."""
    lines = [f"database: sqlite:///{tmp_path / 'app.db'}", "apps:"]
    for label, spec in apps.items():
        lines.append(f"  {label}: {spec}")
        (tmp_path / "apps" / label / "migrations").mkdir(parents=True, exist_ok=True)
    (tmp_path / "modmig.yaml").write_text("\n".join(lines) + "\n")
    for path, text in sources.items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
    return Project.load(tmp_path)


SHARED_BASE = """
    from sqlalchemy.orm import DeclarativeBase

    class Base(DeclarativeBase):
        pass
"""


def test_one_metadata_shared_by_every_app_is_split_by_declaring_package_and_info(tmp_path):
    """Flask-SQLAlchemy's layout: one base for the whole project, each app's classes in its package."""
    project = project_with(tmp_path, {"users": "{path: apps/users, models: users.models}", "blog": "{path: apps/blog, models: blog.models}"}, {
        "shared/db.py": SHARED_BASE,
        "apps/users/models.py": """
            from sqlalchemy.orm import Mapped, mapped_column
            from shared.db import Base

            class User(Base):
                __tablename__ = "users_user"
                id: Mapped[int] = mapped_column(primary_key=True)
        """,
        "apps/blog/models.py": """
            import sqlalchemy as sa
            from sqlalchemy.orm import Mapped, mapped_column
            from shared.db import Base
            import shared.extra  # declares a table for users, by info

            class Post(Base):
                __tablename__ = "blog_post"
                id: Mapped[int] = mapped_column(primary_key=True)
                author_id: Mapped[int] = mapped_column(sa.ForeignKey("users_user.id"))

            tags = sa.Table("blog_tag", Base.metadata, sa.Column("id", sa.Integer, primary_key=True))
        """,
        "shared/extra.py": """
            import sqlalchemy as sa
            from shared.db import Base

            sa.Table("users_profile", Base.metadata, sa.Column("id", sa.Integer, primary_key=True), info={"app": "users"})
        """,
    })
    with project:
        models = load_models(project.config, ["blog", "users"])
        assert models.tables("users") == ["users_profile", "users_user"]
        assert models.tables("blog") == ["blog_post", "blog_tag"]
        result = project.makemigrations(check=True)
        assert {entry.app: sorted(c.table for c in entry.changes) for entry in result.apps} == {
            "blog": ["blog_post", "blog_tag"], "users": ["users_profile", "users_user"],
        }
        written = project.makemigrations()
        blog = next(m for m in written.migrations if m.app == "blog")
        assert [str(r) for r in blog.requirements] == ["users:0001"]  # users' new table, written in the same run


def test_a_named_attribute_is_used_and_a_wrong_one_is_named(tmp_path):
    project = project_with(tmp_path, {"users": "{path: apps/users, models: 'users.models:Model'}"}, {
        "apps/users/models.py": SHARED_BASE + "\n    Model = Base\n    other = __import__('sqlalchemy').MetaData()\n",
    })
    with project:
        assert load_models(project.config, ["users"]).tables("users") == []
    (tmp_path / "modmig.yaml").write_text((tmp_path / "modmig.yaml").read_text().replace("users.models:Model", "users.models:Mdel"))
    with Project.load(tmp_path) as project, pytest.raises(ModelsError) as caught:
        load_models(project.config, ["users"])
    assert str(caught.value).endswith("app 'users': models 'users.models:Mdel': users.models has no attribute 'Mdel'. Did you mean 'Model'?")


@pytest.mark.parametrize("source, message", [
    ("import sqlalchemy\nraise ValueError('the settings module is missing')\n",
     "importing it raised ValueError: the settings module is missing at {path}:2"),
    ("x = 1\n", "no SQLAlchemy MetaData or declarative base found in users.models; name it: 'users.models:Base' or 'users.models:metadata'"),
    ("import sqlalchemy as sa\none = sa.MetaData()\ntwo = sa.MetaData()\n", "users.models holds several MetaData (one, two); name the one of this app, e.g. 'users.models:one'"),
    ("import sqlalchemy as sa\nm = sa.MetaData()\nsa.Table('t', m, sa.Column('id', sa.Integer), info={'app': 'nobody'})\n",
     "table 't' says info={'app': 'nobody'}, which is not a configured app."),
])
def test_models_that_cannot_be_used_are_an_error_naming_the_module_and_the_reason(tmp_path, source, message):
    project = project_with(tmp_path, {"users": "{path: apps/users, models: users.models}"}, {"apps/users/models.py": source})
    with project, pytest.raises(ModelsError) as caught:
        project.makemigrations(check=True)
    path = tmp_path / "apps" / "users" / "models.py"
    assert "app 'users': models 'users.models': " + message.replace("{path}", str(path)) in str(caught.value)


def test_a_missing_module_and_a_table_two_apps_declare_are_errors(tmp_path):
    project = project_with(tmp_path, {"users": "{path: apps/users, models: userz.models}"}, {})
    with project, pytest.raises(ModelsError, match=r"cannot import it: No module named 'userz' \(searched "):
        load_models(project.config, ["users"])
    table = "import sqlalchemy as sa\nm = sa.MetaData()\nsa.Table('shared_thing', m, sa.Column('id', sa.Integer))\n"
    project = project_with(tmp_path, {"users": "{path: apps/users, models: users.models}", "blog": "{path: apps/blog, models: blog.models}"},
                           {"apps/users/models.py": table, "apps/blog/models.py": table})
    with project, pytest.raises(ModelsError, match="table 'shared_thing' is declared by the models of 'blog' too"):
        load_models(project.config, ["blog", "users"])


def test_an_app_without_models_cannot_be_asked_for_and_a_project_without_any_says_how_to_add_them(tmp_path):
    project = project_with(tmp_path, {"users": "apps/users"}, {})
    with project, pytest.raises(UsageError, match=r"No app names its models in modmig.yaml: write one as \{path: apps/blog, models: blog.models\}"):
        project.makemigrations()
    with project, pytest.raises(ModelsError, match="modmig.yaml names no models for it"):
        project.makemigrations(["users"])


def test_an_import_failure_on_the_command_line_is_one_message_and_exit_2(tmp_path, run_cli):
    project_with(tmp_path, {"users": "{path: apps/users, models: users.models}"}, {"apps/users/models.py": "1 / 0\n"}).close()
    result = run_cli(tmp_path)("makemigrations")
    assert result.exit_code == 2
    assert "app 'users': models 'users.models': importing it raised ZeroDivisionError: division by zero at " in result.stderr
    assert "Traceback" not in result.stderr


IMPORTED = (
    "import sys\n"
    "from modmig.cli import main\n"
    "for args in {commands!r}:\n"
    "    sys.argv = ['modmig', *args]\n"
    "    try:\n"
    "        main()\n"
    "    except SystemExit:\n"
    "        pass\n"
    "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'users', 'blog', 'comments')), file=sys.stderr)\n"
)


def imported_by(commands: list[list[str]], cwd) -> str:
    code = IMPORTED.format(commands=commands)
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    return done.stderr.strip().splitlines()[-1]


def test_commands_that_do_not_need_models_never_import_them_nor_alembic(sample_project):
    assert imported_by([["upgrade", "--all", "-q"], ["status"], ["owners"], ["check"]], sample_project) == "[]"
    assert (sample_project / "var" / "app.db").exists()  # they ran
    found = imported_by([["makemigrations", "--check"]], sample_project)
    assert "'users.models'" in found and "'alembic'" in found
