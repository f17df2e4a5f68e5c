"""Projects with SQLAlchemy models, for the makemigrations and drift tests.

``ModelProject`` writes a project whose apps have migrations *and* a ``models.py`` each (named in
modmig.yaml as ``{path: apps/APP, models: APP.models}``), loads it, and can rewrite a models file
the way a developer edits one. ``MODELS_HEADER`` is what every models file starts with: each app
has its own declarative base (foreign keys between apps are strings, resolved across apps).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from sqlalchemy import inspect

from modmig.api import Project

from ..conftest import write_tree

MODELS_HEADER = '''\
import datetime
import decimal
import enum
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass

'''

USERS_0001 = "CREATE TABLE users_user (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL);\n-- modmig: down\nDROP TABLE users_user;\n"
USERS_0002 = "ALTER TABLE users_user ADD COLUMN nickname VARCHAR(40);\n-- modmig: down\nALTER TABLE users_user DROP COLUMN nickname;\n"

USERS_MODELS = '''
class User(Base):
    __tablename__ = "users_user"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    email: Mapped[str] = mapped_column(sa.String(100))
    nickname: Mapped[str | None] = mapped_column(sa.String(40))
'''


class ModelProject:
    """``build(apps, models, folder=...)`` writes and loads a project; ``edit(app, text)`` rewrites a models file."""

    def __init__(self, root: Path, url: str) -> None:
        self.root, self.url = root, url
        self.opened: list[Project] = []
        self.folder: Path | None = None

    def __call__(self, apps: dict[str, dict[str, str]], models: dict[str, str], extra: str = "", folder: str = "project") -> Project:
        base = self.root / folder
        write_tree(base, apps, self.url)
        lines = [f"database: {self.url}", "apps:"]
        for app in sorted(set(apps) | set(models)):
            (base / "apps" / app).mkdir(parents=True, exist_ok=True)
            if app in models:
                lines.append(f"  {app}: {{path: apps/{app}, models: {app}.models}}")
                self.write(base, app, models[app])
            else:
                lines.append(f"  {app}: apps/{app}")
        (base / "modmig.yaml").write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
        self.folder = base
        return self.load()

    def load(self) -> Project:
        assert self.folder is not None
        project = Project.load(self.folder)
        self.opened.append(project)
        return project

    def write(self, base: Path, app: str, body: str) -> None:
        (base / "apps" / app / "models.py").write_text(MODELS_HEADER + textwrap.dedent(body), encoding="utf-8")

    def edit(self, app: str, body: str) -> None:
        assert self.folder is not None
        self.write(self.folder, app, body)

    def close(self) -> None:
        for project in self.opened:
            project.close()


def files(project: Project, app: str) -> list[str]:
    """The names of an app's migration files, sorted."""
    folder = project.config.apps[app].folder / "migrations"
    return sorted(path.name for path in folder.iterdir() if path.suffix in (".sql", ".py"))


def schema(project: Project) -> dict:
    """The project database's schema (no rows), as makemigrations' verification compares it."""
    from modmig.schema.compare import snapshot
    from modmig.schema.makemigrations import comparable_schema

    with project.connect() as connection:
        found = snapshot(connection, rows=False)
        connection.rollback()
    return comparable_schema(found, project.dialect())


def columns(project: Project, table: str) -> dict[str, dict]:
    with project.connect() as connection:
        found = {c["name"]: c for c in inspect(connection).get_columns(table)}
        connection.rollback()
    return found
