"""SQLite cannot alter a column in place: makemigrations rebuilds the table and loses nothing.

The sample project on SQLite, with rows: a wider ``blog_post.title`` (an index, a view over it)
and a ``comments_comment.created_at`` without its default (a trigger on the table) become table
rebuilds that keep every row, the indexes, the trigger (it still counts) and the view.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from modmig.api import Project
from modmig.errors import MigrationNotVerified


def edit(path: Path, old: str, new: str) -> None:
    source = path.read_text()
    assert old in source
    path.write_text(source.replace(old, new))


def test_a_rebuild_keeps_rows_indexes_triggers_and_views(sample_project, run_cli):
    cli = run_cli(sample_project)
    assert cli("upgrade", "--all").exit_code == 0
    engine = create_engine(f"sqlite:///{sample_project / 'var' / 'app.db'}")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO blog_post (id, author_id, title, slug) VALUES (1, 1, 'Hello', 'hello')"))
        connection.execute(text("INSERT INTO comments_comment (id, post_id, author_id, body) VALUES (1, 1, 1, 'First')"))
    apps = sample_project / "apps"
    edit(apps / "blog" / "models.py", "mapped_column(String(200))\n    body", "mapped_column(String(300))\n    body")
    edit(apps / "comments" / "models.py", 'created_at: Mapped[datetime] = mapped_column(TIMESTAMP, server_default=func.current_timestamp())',
         "created_at: Mapped[datetime] = mapped_column(TIMESTAMP)")

    result = cli("makemigrations")
    assert result.exit_code == 0, result.output
    blog_file = apps / "blog" / "migrations" / "0005_alter_blog_post_title.sql"
    comments_file = apps / "comments" / "migrations" / "0004_alter_comments_comment_created_at.sql"
    assert "ALTER TABLE _alembic_tmp_blog_post RENAME TO blog_post" in blog_file.read_text()
    assert "CREATE TRIGGER comments_count_insert" in comments_file.read_text()  # re-created after the rebuild
    assert cli("upgrade", "--all").exit_code == 0

    with engine.begin() as connection:
        assert connection.execute(text("SELECT id, title, slug FROM blog_post")).all() == [(1, "Hello", "hello")]
        assert connection.execute(text("SELECT id, body FROM comments_comment")).all() == [(1, "First")]
        assert connection.execute(text("SELECT author FROM blog_post_listing")).scalar() == "Administrator"  # the view still works
        connection.execute(text("INSERT INTO comments_comment (id, post_id, author_id, body, created_at) VALUES (2, 1, 1, 'Again', '2024-01-01')"))
        assert connection.execute(text("SELECT comment_count FROM comments_post_stats")).scalar() == 2  # the trigger still counts
        inspector = inspect(connection)
        assert [i["name"] for i in inspector.get_indexes("blog_post")] == ["blog_post_published"]
        assert [c["type"].length for c in inspector.get_columns("blog_post") if c["name"] == "title"] == [300]
        assert inspector.get_foreign_keys("comments_comment") and inspector.get_foreign_keys("blog_post")
    with Project.load(sample_project) as project:
        assert not project.makemigrations(check=True).changed
    down = cli("downgrade", "blog", "--to", "4", "--yes")
    assert down.exit_code == 0, down.output
    with engine.begin() as connection:
        assert connection.execute(text("SELECT title FROM blog_post")).scalar() == "Hello"
        assert [c["type"].length for c in inspect(connection).get_columns("blog_post") if c["name"] == "title"] == [200]
    engine.dispose()


def test_a_column_unique_on_its_own_line_survives_a_rebuild(tmp_path, run_cli):
    """SQLAlchemy does not reflect ``email VARCHAR(254) NOT NULL UNIQUE``; the rebuild keeps it anyway."""
    from .autogen_projects import ModelProject

    build = ModelProject(tmp_path, f"sqlite:///{tmp_path / 'app.db'}")
    users = "CREATE TABLE users_user (id INTEGER PRIMARY KEY AUTOINCREMENT, email VARCHAR(254) NOT NULL UNIQUE, name VARCHAR(10));\n"
    model = '''
        class User(Base):
            __tablename__ = "users_user"
            __table_args__ = {"sqlite_autoincrement": True}
            id: Mapped[int] = mapped_column(primary_key=True)
            email: Mapped[str] = mapped_column(sa.String(254), unique=True)
            name: Mapped[str | None] = mapped_column(sa.String(10))
    '''
    project = build({"users": {"0001_create.sql": users}}, {"users": model})
    try:
        assert not project.makemigrations(check=True).changed  # the inline UNIQUE is seen through its index
        build.edit("users", model.replace("sa.String(10)", "sa.String(20)"))
        project.makemigrations()
        project.upgrade()
        with project.connect() as connection:
            sql = connection.execute(text("SELECT sql FROM sqlite_master WHERE name = 'users_user'")).scalar()
        assert "AUTOINCREMENT" in sql and "UNIQUE (email)" in sql
        assert not project.makemigrations(check=True).changed
    finally:
        build.close()


def test_on_a_terminal_a_likely_rename_and_a_drop_are_asked(sample_project):
    """The real CLI in a pseudo-terminal: 'y' to the rename question, then 'n' and 'y' to the drop."""
    from ..terminal import run_in_terminal

    models = sample_project / "apps" / "users" / "models.py"
    edit(models, "created_at: Mapped[datetime]", "joined_at: Mapped[datetime]")
    code, output = run_in_terminal(["makemigrations", "users"], sample_project, env={"NO_COLOR": "1"}, stdin_text="y\n")
    assert code == 0, output
    assert "users: was users_user.created_at renamed to users_user.joined_at? (no: drop created_at, add joined_at) [y/N]" in output
    written = sample_project / "apps" / "users" / "migrations" / "0004_rename_users_user_created_at.sql"
    assert "-- users:0004_rename_users_user_created_at" in written.read_text()

    edit(models, "    joined_at: Mapped[datetime] = mapped_column(TIMESTAMP, server_default=func.current_timestamp())\n", "")
    code, output = run_in_terminal(["makemigrations", "users"], sample_project, env={"NO_COLOR": "1"}, stdin_text="n\n")
    assert code == 1 and "users: these changes lose data:\r\n  - drop column users_user.joined_at: its values are lost" in output
    assert "Write them? [y/N]" in output and "You declined changes that lose data; nothing was written." in output
    assert not (written.parent / "0005_drop_users_user_joined_at.sql").exists()
    code, output = run_in_terminal(["makemigrations", "users"], sample_project, env={"NO_COLOR": "1"}, stdin_text="y\n")
    assert code == 0 and (written.parent / "0005_drop_users_user_joined_at.sql").exists(), output


def test_a_rename_that_breaks_a_view_is_not_written(sample_project):
    """blog's view reads users_user.display_name: renaming it would leave the view unreadable."""
    edit(sample_project / "apps" / "users" / "models.py", "display_name: Mapped[str]", "shown_name: Mapped[str]")
    with Project.load(sample_project) as project, pytest.raises(MigrationNotVerified) as caught:
        project.makemigrations(["users"], renames=["users_user.display_name:shown_name"])
    assert "after it ran, view blog_post_listing cannot be read any more (change the view first)" in str(caught.value)
    assert not list((sample_project / "apps" / "users" / "migrations").glob("0004_*"))
