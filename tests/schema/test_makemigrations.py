"""makemigrations on every database: models become the app's next migration, verified by replay.

Each test writes a project whose apps have models, edits a model the way a developer would, and
checks what a user sees: the file written (and its ``depends``), that ``upgrade`` applies it,
that ``makemigrations --check`` is then clean, and that ``downgrade`` gives the schema back.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from modmig.errors import DestructiveChanges, MigrationNotVerified, OwnershipViolation, UsageError

from .autogen_projects import USERS_0001, USERS_0002, USERS_MODELS, ModelProject, columns, files, schema


@pytest.fixture
def models(tmp_path, database_url):
    build = ModelProject(tmp_path, database_url)
    yield build
    build.close()


def users_project(models, nickname: str | None = None):
    """users (0001 creates users_user, 0002 adds its nickname) with matching models, migrated;
    with a ``nickname``, one user who has it."""
    project = models({"users": {"0001_create.sql": USERS_0001, "0002_nickname.sql": USERS_0002}}, {"users": USERS_MODELS})
    project.upgrade()
    if nickname is not None:
        with project.connect() as connection:
            connection.execute(text("INSERT INTO users_user (id, email, nickname) VALUES (1, 'ann@example.com', :n)"), {"n": nickname})
            connection.commit()
    return project


def dialect_of(project) -> str:
    return project.dialect()


def assert_clean(project, apps=None):
    result = project.makemigrations(apps, check=True)
    assert not result.changed, [str(change) for app in result.apps for change in app.changes]


TYPES = '''
class Kind(enum.Enum):
    draft = "draft"
    live = "live"


class Item(Base):
    __tablename__ = "shop_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    big: Mapped[int | None] = mapped_column(sa.BigInteger)
    price: Mapped[decimal.Decimal] = mapped_column(sa.Numeric(10, 2), server_default="0")
    name: Mapped[str] = mapped_column(sa.String(80), server_default="")
    notes: Mapped[str | None] = mapped_column(sa.Text)
    active: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true())
    day: Mapped[datetime.date | None] = mapped_column(sa.Date)
    at: Mapped[datetime.time | None] = mapped_column(sa.Time)
    stamp: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    stamp_tz: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created: Mapped[datetime.datetime] = mapped_column(sa.DateTime, server_default=sa.func.current_timestamp())
    data: Mapped[dict | None] = mapped_column(sa.JSON)
    token: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    kind: Mapped[Kind] = mapped_column(sa.Enum(Kind, name="shop_item_kind"), server_default="draft")
'''


def test_an_app_without_migrations_gets_0001_initial_with_every_type_and_its_down_removes_it(models):
    project = models({}, {"shop": TYPES})
    before = schema(project)
    result = project.makemigrations()
    [entry] = result.apps
    assert entry.migration.name == "0001_initial" and entry.migration.written
    assert files(project, "shop") == ["0001_initial.sql"]
    assert [str(change) for change in entry.changes] == ["create table shop_item: 15 column(s)"]
    project.upgrade("shop")
    assert_clean(project)
    with project.connect() as connection:  # the defaults work as the model says
        connection.execute(text("INSERT INTO shop_item (id) VALUES (1)"))
        row = connection.execute(text("SELECT count, name, active, kind FROM shop_item")).one()
        connection.rollback()
    assert (row.count, row.name, bool(row.active), row.kind) == (0, "", True, "draft")
    project.downgrade("shop", to=0)
    assert schema(project) == before
    if dialect_of(project) == "postgresql":  # the enum type went with its table
        with project.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM pg_type WHERE typname = 'shop_item_kind'")).scalar() == 0


def test_nothing_changed_means_nothing_written(models):
    project = models({"users": {"0001_create.sql": USERS_0001, "0002_nickname.sql": USERS_0002}}, {"users": USERS_MODELS})
    result = project.makemigrations()
    assert not result.changed and result.migrations == []
    assert files(project, "users") == ["0001_create.sql", "0002_nickname.sql"]


def test_defaults_nullability_and_a_wider_type_are_altered_and_undone(models):
    project = users_project(models, nickname="ann")
    before = schema(project)
    models.edit("users", '''
        class User(Base):
            __tablename__ = "users_user"
            id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
            email: Mapped[str] = mapped_column(sa.String(200), server_default="nobody@example.com")
            nickname: Mapped[str] = mapped_column(sa.String(40), server_default="anon")
            score: Mapped[int] = mapped_column(server_default="0")
    ''')
    result = project.makemigrations(["users"])
    changes = [str(change) for change in result.apps[0].changes]
    assert "add column users_user.score: INTEGER NOT NULL DEFAULT '0'" in changes
    assert any(c.startswith("alter column users_user.email: type VARCHAR(100) -> VARCHAR(200), default") for c in changes)
    assert any(c.startswith("alter column users_user.nickname: NOT NULL, default 'anon'") for c in changes)
    assert not any(change.destructive for change in result.apps[0].changes)
    project.upgrade("users")
    assert_clean(project)
    found = columns(project, "users_user")
    assert found["nickname"]["nullable"] is False and found["email"]["type"].length == 200
    with project.connect() as connection:  # the row survived, and the new defaults apply
        assert connection.execute(text("SELECT email, nickname, score FROM users_user")).one() == ("ann@example.com", "ann", 0)
        connection.execute(text("INSERT INTO users_user (id) VALUES (2)"))
        assert connection.execute(text("SELECT email, nickname FROM users_user WHERE id = 2")).one() == ("nobody@example.com", "anon")
        connection.rollback()
    project.downgrade("users", to=2)
    assert schema(project) == before


CONSTRAINED = '''
class Item(Base):
    __tablename__ = "shop_item"
    __table_args__ = (
        sa.UniqueConstraint("sku", name="shop_item_sku"),
        sa.CheckConstraint("price >= 0", name="shop_item_price"),
        sa.Index("shop_item_name", "name"),
        {extra}
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(80))
    price: Mapped[int] = mapped_column()
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users_user.id"))
'''
#: Partial and expression indexes, where the database has them (MariaDB has neither).
PARTIAL = {
    "sqlite": 'sa.Index("shop_item_cheap", "price", sqlite_where=sa.text("price < 10")), '
              'sa.Index("shop_item_lower", sa.func.lower(sa.text("name"))),',
    "postgresql": 'sa.Index("shop_item_cheap", "price", postgresql_where=sa.text("price < 10")), '
                  'sa.Index("shop_item_lower", sa.func.lower(sa.text("name"))),',
    "mysql": "",
}


def test_primary_unique_check_and_foreign_keys_and_indexes_are_created_then_dropped(models, database_url):
    dialect = "postgresql" if database_url.startswith("postgresql") else "mysql" if database_url.startswith("mysql") else "sqlite"
    users = {"0001_create.sql": USERS_0001, "0002_nickname.sql": USERS_0002}
    project = models({"users": users, "shop": {}}, {"users": USERS_MODELS, "shop": CONSTRAINED.replace("{extra}", PARTIAL[dialect])})
    result = project.makemigrations(["shop"])
    migration = result.migrations[0]
    assert migration.name == "0001_initial"
    assert [str(r) for r in migration.requirements] == ["users:0001"]
    assert "-- modmig: depends users:0001" in migration.text
    project.upgrade("shop")
    assert_clean(project)
    with project.connect() as connection:
        connection.execute(text("INSERT INTO users_user (id, email) VALUES (1, 'a')"))
        connection.execute(text("INSERT INTO shop_item (id, sku, name, price, owner_id) VALUES (1, 'A', 'x', 5, 1)"))
        for bad in ("INSERT INTO shop_item (id, sku, name, price) VALUES (2, 'A', 'y', 5)",   # unique
                    "INSERT INTO shop_item (id, sku, name, price) VALUES (3, 'B', 'y', -1)"):  # check
            with pytest.raises(Exception):
                with connection.begin_nested():
                    connection.execute(text(bad))
        connection.rollback()
    before = schema(project)
    models.edit("shop", '''
        class Item(Base):
            __tablename__ = "shop_item"
            id: Mapped[int] = mapped_column(primary_key=True)
            sku: Mapped[str] = mapped_column(sa.String(20))
            name: Mapped[str] = mapped_column(sa.String(80))
            price: Mapped[int] = mapped_column()
            owner_id: Mapped[int | None] = mapped_column()
    ''')
    result = project.makemigrations(["shop"])
    actions = sorted({change.action for change in result.apps[0].changes})
    assert actions == ["drop constraint", "drop index"]
    project.upgrade("shop")
    assert_clean(project)
    project.downgrade("shop", to=1)
    assert schema(project) == before


def test_a_foreign_key_to_another_apps_column_depends_on_the_migration_that_created_it(models):
    users = {
        "0001_create.sql": USERS_0001,
        "0002_code.sql": "ALTER TABLE users_user ADD COLUMN code VARCHAR(20);\nCREATE UNIQUE INDEX users_user_code ON users_user (code);\n"
                         "-- modmig: down\nDROP INDEX users_user_code" + ";\n",
    }
    users_models = '''
        class User(Base):
            __tablename__ = "users_user"
            __table_args__ = (sa.Index("users_user_code", "code", unique=True),)
            id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
            email: Mapped[str] = mapped_column(sa.String(100))
            code: Mapped[str | None] = mapped_column(sa.String(20))
    '''
    if "mysql" in models.url:
        users["0002_code.sql"] = users["0002_code.sql"].replace("DROP INDEX users_user_code;", "DROP INDEX users_user_code ON users_user;")
    users["0002_code.sql"] = users["0002_code.sql"].replace(
        "DROP INDEX users_user_code;", "DROP INDEX users_user_code;\nALTER TABLE users_user DROP COLUMN code;"
    )
    blog = '''
        class Post(Base):
            __tablename__ = "blog_post"
            id: Mapped[int] = mapped_column(primary_key=True)
            author_code: Mapped[str] = mapped_column(sa.String(20), sa.ForeignKey("users_user.code"))
            tag_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tags_tag.id"))
    '''
    tags = '''
        class Tag(Base):
            __tablename__ = "tags_tag"
            id: Mapped[int] = mapped_column(primary_key=True)
            label: Mapped[str] = mapped_column(sa.String(30))
    '''
    project = models({"users": users, "blog": {}, "tags": {}}, {"users": users_models, "blog": blog, "tags": tags})
    result = project.makemigrations()  # blog and tags in one run: tags goes first
    written = {m.app: m for m in result.migrations}
    assert sorted(written) == ["blog", "tags"]
    assert [str(r) for r in written["blog"].requirements] == ["tags:0001", "users:0002"]
    assert "-- modmig: depends tags:0001, users:0002" in written["blog"].text
    assert written["blog"].requirements[1].reason == "blog_post.author_code -> users_user(code)"
    plan = [step.label for step in project.plan().steps]
    assert plan.index("users:0002_code") < plan.index("blog:0001_initial") and plan.index("tags:0001_initial") < plan.index("blog:0001_initial")
    project.upgrade()
    assert_clean(project)


def test_a_model_declaring_a_table_another_app_created_is_an_error_naming_both(models):
    blog = USERS_MODELS + '''
class Post(Base):
    __tablename__ = "blog_post"
    id: Mapped[int] = mapped_column(primary_key=True)
'''
    project = models({"users": {"0001_create.sql": USERS_0001, "0002_nickname.sql": USERS_0002}, "blog": {}}, {"blog": blog})
    with pytest.raises(OwnershipViolation) as caught:
        project.makemigrations(["blog"])
    assert "blog's models declare table users_user, which users's migrations created (users:0001_create)" in str(caught.value)
    assert files(project, "blog") == []


RAW_TABLE = '''"""Creates a table behind SQLAlchemy's back (the raw driver cursor): no app's migration shows it."""


def upgrade(ctx):
    ctx.connection.connection.cursor().execute("CREATE TABLE legacy_thing (id INTEGER PRIMARY KEY)")
'''


def test_a_model_of_a_table_no_app_created_and_a_foreign_key_to_one_are_errors_with_a_hint(models):
    thing = '''
        class Thing(Base):
            __tablename__ = "legacy_thing"
            id: Mapped[int] = mapped_column(primary_key=True)
    '''
    project = models({"legacy": {"0001_raw.py": RAW_TABLE}, "shop": {}}, {"shop": thing})
    with pytest.raises(OwnershipViolation) as caught:
        project.makemigrations(["shop"])
    assert "shop's models declare table legacy_thing, which no app's migrations created" in str(caught.value)
    models.edit("shop", '''
        class Item(Base):
            __tablename__ = "shop_item"
            id: Mapped[int] = mapped_column(primary_key=True)
            thing_id: Mapped[int] = mapped_column(sa.ForeignKey("legacy_thing.id"))
    ''')
    with pytest.raises(OwnershipViolation) as caught:
        project.makemigrations(["shop"])
    message = str(caught.value)
    assert "shop_item.thing_id -> legacy_thing(id) refers to a table no app's migrations created" in message
    assert "create that table in a migration of the app that should own it" in message


def test_another_apps_column_on_this_apps_table_is_left_alone_and_changing_it_is_an_error(models):
    blog_sql = "CREATE TABLE blog_post (id INTEGER PRIMARY KEY, title VARCHAR(50));\n"
    users = {"0001_create.sql": USERS_0001, "0002_flag.sql": "-- modmig: depends blog:0001\nALTER TABLE blog_post ADD COLUMN users_flag INTEGER;\n"}
    blog = '''
class Post(Base):
    __tablename__ = "blog_post"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str | None] = mapped_column(sa.String(50))
'''
    users_models = USERS_MODELS.replace('    nickname: Mapped[str | None] = mapped_column(sa.String(40))\n', '')
    project = models({"users": users, "blog": {"0001_posts.sql": blog_sql}}, {"blog": blog, "users": users_models})
    assert_clean(project)  # blog's models need not declare users' column; no drop is proposed
    models.edit("blog", blog + "    users_flag: Mapped[str | None] = mapped_column(sa.String(10))\n")
    with pytest.raises(OwnershipViolation) as caught:
        project.makemigrations(["blog"])
    assert "blog's models change column blog_post.users_flag, but users's migrations created it" in str(caught.value)


def test_a_dropped_column_needs_confirmation_and_a_rename_is_taken_when_named(models):
    project = users_project(models, nickname="annie")
    models.edit("users", USERS_MODELS.replace("nickname", "handle"))
    with pytest.raises(DestructiveChanges) as caught:
        project.makemigrations(["users"])
    assert "users: drop column users_user.nickname: its values are lost" in str(caught.value)
    assert "--rename users_user.nickname:handle" in str(caught.value)
    assert files(project, "users") == ["0001_create.sql", "0002_nickname.sql"]
    asked = []
    result = project.makemigrations(["users"], ask_rename=lambda *question: asked.append(question) or True)
    assert asked == [("users", "users_user", "nickname", "handle")]
    assert [str(c) for c in result.apps[0].changes] == ["rename column users_user.nickname: to handle"]
    assert result.apps[0].renames == ["users_user.nickname:handle"]
    project.upgrade("users")
    assert_clean(project)
    with project.connect() as connection:
        assert connection.execute(text("SELECT handle FROM users_user")).scalar() == "annie"


def test_a_drop_and_a_narrower_type_are_written_only_when_allowed_or_confirmed(models):
    project = users_project(models)
    before = schema(project)
    models.edit("users", '''
        class User(Base):
            __tablename__ = "users_user"
            id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
            email: Mapped[str] = mapped_column(sa.String(50))
    ''')
    refused = []
    with pytest.raises(DestructiveChanges) as caught:
        project.makemigrations(["users"], confirm=lambda app, changes: refused.append([str(c) for c in changes]) or False)
    assert refused == [["alter column users_user.email: type VARCHAR(100) -> VARCHAR(50)", "drop column users_user.nickname: its values are lost"]]
    assert "Re-run with --allow-destructive" in str(caught.value)
    assert files(project, "users") == ["0001_create.sql", "0002_nickname.sql"]
    assert project.makemigrations(["users"], dry_run=True).migrations[0].written is False  # a dry run shows it anyway
    result = project.makemigrations(["users"], allow_destructive=True, name="slim_users")
    assert result.migrations[0].name == "0003_slim_users"
    project.upgrade("users")
    assert_clean(project)
    project.downgrade("users", to=2)
    assert schema(project) == before


def test_a_python_migration_runs_the_same_operations_on_every_database(models):
    project = users_project(models)
    before = schema(project)
    models.edit("users", USERS_MODELS.replace("sa.String(40)", "sa.String(60)") + '''    score: Mapped[int] = mapped_column(server_default="0")\n''')
    result = project.makemigrations(["users"], python=True)
    migration = result.migrations[0]
    assert migration.path.name == "0003_add_users_user_score_alter_users_user_nickname.py"
    assert "from modmig.schema.alembic_ops import operations" in migration.text
    assert "with op.batch_alter_table('users_user'" in migration.text
    project.upgrade("users")
    assert_clean(project)
    project.downgrade("users", to=2)
    assert schema(project) == before


def test_a_file_that_does_not_replay_is_not_written_and_the_failure_is_printed(models):
    seed = "INSERT INTO users_user (id, email, nickname) VALUES (1, 'a', 'same');\nINSERT INTO users_user (id, email, nickname) VALUES (2, 'b', 'same');\n"
    project = models(
        {"users": {"0001_create.sql": USERS_0001, "0002_nickname.sql": USERS_0002, "0003_seed.sql": seed}},
        {"users": USERS_MODELS.replace("sa.String(40))", "sa.String(40), unique=True)")},
    )
    with pytest.raises(MigrationNotVerified) as caught:
        project.makemigrations(["users"])
    assert "users:0004_constrain_users_user failed its replay on a scratch database, so no file was written" in str(caught.value)
    assert "it failed on the scratch database: users:0004_constrain_users_user at 0004_constrain_users_user.sql:" in str(caught.value)
    assert files(project, "users") == ["0001_create.sql", "0002_nickname.sql", "0003_seed.sql"]


def test_the_sample_projects_models_match_its_migrations(sample_project, run_cli, database_url):
    result = run_cli(sample_project)("makemigrations", "--check", "--database", database_url)
    assert result.exit_code == 0, result.output
    assert "No changes: every app's models match its migrations" in result.stdout


def test_check_lists_the_differences_and_exits_1(models, run_cli):
    project = models({"users": {"0001_create.sql": USERS_0001, "0002_nickname.sql": USERS_0002}}, {"users": USERS_MODELS})
    models.edit("users", USERS_MODELS + "    bio: Mapped[str | None] = mapped_column(sa.Text)\n")
    result = run_cli(project.config.root)("makemigrations", "--check")
    assert result.exit_code == 1, result.output
    assert "users: its models and migrations differ:\n  - add column users_user.bio: TEXT" in result.stdout
    assert files(project, "users") == ["0001_create.sql", "0002_nickname.sql"]


def test_an_error_is_a_message_and_exit_2_and_a_dialect_without_a_server_is_refused(models, run_cli):
    project = models({"users": {"0001_create.sql": USERS_0001}}, {"users": USERS_MODELS})
    cli = run_cli(project.config.root)
    bad = cli("makemigrations", "--rename", "nonsense")
    assert bad.exit_code == 2 and "--rename 'nonsense': write it as table.old_column:new_column" in bad.stderr
    if project.dialect() == "sqlite":
        with pytest.raises(UsageError, match="--dialect postgresql needs --scratch URL"):
            project.makemigrations(dialect="postgresql")
