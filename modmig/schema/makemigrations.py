"""``modmig makemigrations``: each app's models become that app's next migration, proven by replay.

Diff, plan, render, verify, write: five steps kept apart, as Alembic's autogenerate keeps them.

1. **Replay** every migration, in the graph's order, on a scratch database of the chosen dialect
   (SQLite in memory, or a throwaway database on a server): the schema the migrations build,
   never the live database.
2. **Diff** (``autogenerate.compare``): each app's models against it, within what the app owns.
   ``--check`` stops here: the differences, and exit 1 if there are any.
3. **Plan** (``changes``), per app: the renames the user confirmed, the order, the dependencies
   on other apps, and the destructive changes, which must be confirmed (``confirm``) or allowed.
4. **Render** (``render``) the file, SQL in the dialect or Python, and run its up on the scratch
   database, so the next app's file (and this file's down) is rendered from the state it leaves.
5. **Verify**: once every new file ran, the models must match the scratch database exactly; then
   each file's down, newest first, must give back the schema from before it. Any difference: no
   file is written (``MigrationNotVerified``, exit 1). Otherwise the files are written
   (not with ``--dry-run``).

Apps whose new tables other apps' new foreign keys point at go first, and those other apps'
files depend on them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..errors import MigrationNotVerified, UsageError
from .changes import Change
from .makemigrations_results import AppChanges, GeneratedMigration, MakemigrationsResult

if TYPE_CHECKING:
    from ..config import ProjectConfig
    from ..plan.graph import MigrationGraph
    from .ownership_map import OwnershipMap

#: ``confirm(app, changes)``: may these destructive changes of ``app`` be written?
ConfirmDestructive = Callable[[str, list[Change]], bool]
#: ``ask_rename(app, table, old, new)``: was ``table.old`` renamed to ``new``?
AskRename = Callable[[str, str, str, str], bool]
_RENAME = re.compile(r"\s*([A-Za-z_][\w$]*)\.([A-Za-z_][\w$]*)\s*:\s*([A-Za-z_][\w$]*)\s*\Z")


def parse_renames(texts: Sequence[str]) -> dict[tuple[str, str], str]:
    """``["blog_post.title:headline"]`` -> ``{("blog_post", "title"): "headline"}``."""
    found = {}
    for text in texts:
        match = _RENAME.match(text)
        if not match:
            raise UsageError(f"--rename {text!r}: write it as table.old_column:new_column, e.g. blog_post.title:headline.")
        found[(match.group(1), match.group(2))] = match.group(3)
    return found


def makemigrations(
    config: "ProjectConfig",
    graph: "MigrationGraph",
    owners: "OwnershipMap",
    apps: list[str],
    *,
    scratch_url: str | None,
    base_dir: Path,
    mode: str = "write",
    name: str | None = None,
    python: bool = False,
    allow_destructive: bool = False,
    confirm: ConfirmDestructive | None = None,
    renames: Sequence[str] = (),
    ask_rename: AskRename | None = None,
) -> MakemigrationsResult:
    """Compare the models of ``apps`` with their migrations; write (or check, or show) what differs.

    ``scratch_url`` is a server where a throwaway database may be created (None: SQLite in memory);
    the migrations and the new files run there only. Raises OwnershipViolation (2),
    DestructiveChanges (2), MigrationNotVerified (1), ModelsError (2).
    """
    from .autogenerate import compare, require_alembic
    from .models import load_models
    from .ownership import walk_order
    from .scratch import IN_MEMORY, ReplayFailed, replay, scratch_database

    require_alembic("makemigrations")
    chosen = parse_renames(renames)
    models = load_models(config, apps)
    with scratch_database(scratch_url, base_dir, option="--scratch") as backend:
        where = IN_MEMORY if scratch_url is None else backend.display_url
        result = MakemigrationsResult(mode, backend.name, where)
        try:
            replay(backend, walk_order(graph))
        except ReplayFailed as failure:
            raise UsageError(
                f"The migrations must run on an empty {backend.name} database for makemigrations to compare "
                f"the models with them, and they failed on {where}: {failure.describe()}"
            ) from None
        with backend.engine.connect() as connection:
            diffs = compare(connection, models, apps, owners)
            connection.rollback()
        dialect = _dialect(backend)
        if mode == "check":
            for app in apps:
                result.apps.append(AppChanges(app, _describe(diffs[app].ops, dialect)))
            return result
        run = _Run(backend, config, graph, owners, models, dialect, python, name)
        for app in _app_order(apps, diffs):
            ops = diffs[app].ops
            entry = AppChanges(app)
            result.apps.append(entry)
            if not ops:
                continue
            ops, entry.renames = _renamed(app, ops, chosen, ask_rename, dialect)
            ops = run.ordered(ops)
            entry.changes = _describe(ops, dialect)
            _confirm_destructive(app, entry.changes, mode, allow_destructive, confirm, ops, dialect)
            entry.migration = run.generate(app, ops, entry.changes)
        result.apps.sort(key=lambda entry: apps.index(entry.app))
        run.verify(apps)
    if mode == "write":
        from ..files.scaffold import write_migration

        for migration in result.migrations:
            migration.path = write_migration(migration.path.parent, migration.name, migration.path.suffix[1:], migration.text)
            migration.written = True
    return result


class _Run:
    """The scratch database and what has been generated on it so far."""

    def __init__(self, backend, config, graph, owners, models, dialect, python: bool, name: str | None) -> None:
        self.backend, self.config, self.graph, self.owners, self.models = backend, config, graph, owners, models
        self.dialect, self.python, self.name = dialect, python, name
        #: Tables the files generated so far create: table -> (app, version).
        self.pending: dict[str, tuple[str, int]] = {}
        #: (app, generated migration as a Migration, schema before it, its operations), in order.
        self.done: list[tuple[str, Any, dict, list]] = []

    def ordered(self, ops: list[Any]) -> list[Any]:
        from .changes import ordered

        return ordered(ops, self.backend.name)

    def generate(self, app: str, ops: list[Any], changes: list[Change]) -> GeneratedMigration:
        from ..files.scaffold import next_migration
        from .change_dependencies import created_tables, dependencies
        from .compare import snapshot
        from .render import migration_text, reverse

        requirements = dependencies(app, ops, self.owners, self.pending)
        folder, version = next_migration(self.config.apps[app], self.config.path, create=False)
        name = f"{version:04d}_{self.name or _slug(changes, version)}"
        path = folder / f"{name}.{'py' if self.python else 'sql'}"
        spec = self.models.specs.get(app, "")
        may_drop = self._may_drop_type(app)
        with self.backend.engine.connect() as connection:
            before = snapshot(connection, rows=False)
            up, imports = self._render(ops, connection, may_drop)
            connection.rollback()
        parts = dict(app=app, name=name, models=spec, changes=changes, requirements=requirements, python=self.python)
        first = self._read(app, version, name, path, migration_text(**parts, up=up, down=self._empty(), imports=imports))
        self._apply(first, "up", "it failed")
        with self.backend.engine.connect() as connection:  # the down is rendered from what the up left
            down, more = self._render(reverse(ops), connection, may_drop)
            connection.rollback()
        text = migration_text(**parts, up=up, down=down, imports=imports | more)
        migration = self._read(app, version, name, path, text)
        for table in created_tables(ops):
            self.pending[table] = (app, version)
        self.done.append((app, migration, before, ops))
        return GeneratedMigration(app, name, path, "python" if self.python else "sql", text, requirements)

    def verify(self, apps: list[str]) -> None:
        """The models match the scratch database exactly; each down restores the schema before it."""
        from .autogenerate import compare
        from .compare import differences, snapshot

        if not self.done:
            return
        self._views_still_work()
        generated = [app for app, *_ in self.done]
        with self.backend.engine.connect() as connection:
            left = compare(connection, self.models, generated, self.owners, {t: a for t, (a, _) in self.pending.items()})
            connection.rollback()
        for app, migration, _, _ in self.done:
            if left[app].ops:
                lines = [str(change) for change in _describe(left[app].ops, self.dialect)]
                raise MigrationNotVerified(app, migration.name, "after it ran, the models and the database still differ:", lines)
        for app, migration, before, _ in reversed(self.done):
            self._apply(migration, "down", "its down failed")
            with self.backend.engine.connect() as connection:
                back = snapshot(connection, rows=False)
                connection.rollback()
            found = differences(comparable_schema(before, self.backend.name), comparable_schema(back, self.backend.name), ("before it", "after its down"))
            if found:
                raise MigrationNotVerified(app, migration.name, "its down does not give back the schema from before it:", found)

    def _views_still_work(self) -> None:
        """Every view can still be read: a renamed or dropped column a view uses breaks it silently
        (SQLite and MySQL keep the view and fail only when it is read)."""
        from sqlalchemy import inspect
        from sqlalchemy.exc import DBAPIError

        app, migration = self.done[-1][0], self.done[-1][1]
        with self.backend.engine.connect() as connection:
            quote = connection.dialect.identifier_preparer.quote
            for view in sorted(inspect(connection).get_view_names()):
                try:
                    connection.exec_driver_sql(f"SELECT * FROM {quote(view)} WHERE 1 = 0").all()
                except DBAPIError as error:
                    connection.rollback()
                    if len(self.done) > 1:
                        app, migration = next(((a, m) for a, m, *_ in self.done if view in m.source), (app, migration))
                    raise MigrationNotVerified(
                        app, migration.name, f"after it ran, view {view} cannot be read any more (change the view first): "
                        f"{' '.join(str(error.orig).split())}",
                    ) from None
            connection.rollback()

    def _render(self, ops: list[Any], connection, may_drop) -> tuple[str, set[str]]:
        from .render import render_python_body, render_sql

        if self.python:
            return render_python_body(ops, connection, self.backend.name, may_drop)
        return render_sql(ops, self.backend.name, connection, may_drop), set()

    def _empty(self) -> str:
        return "    pass" if self.python else ""

    def _read(self, app: str, version: int, name: str, path: Path, text: str):
        from ..files.pyfile import read_python_migration
        from ..files.sqlfile import read_sql_migration

        reader = read_python_migration if self.python else read_sql_migration
        return reader(app, version, name, path, text)

    def _apply(self, migration, direction: str, what: str) -> None:
        from .scratch import ReplayFailed, replay

        try:
            replay(self.backend, [migration], direction)
        except ReplayFailed as failure:
            raise MigrationNotVerified(migration.app, migration.name, f"{what} on the scratch database: {failure.describe()}") from None

    def _may_drop_type(self, app: str) -> Callable[[str], bool]:
        """A PostgreSQL type may be dropped when ``app`` owns it, or a file of this run created it."""
        def may(name: str) -> bool:
            obj = self.owners.get("type", name)
            return obj is None or obj.app == app
        return may


def comparable_schema(found: dict, dialect: str) -> dict:
    """A snapshot as a down is held to it: what no down can give back exactly is left out.

    Column order (a dropped column added back comes last, on PostgreSQL and SQLite alike), and
    the names of MySQL's implicit foreign key indexes (``owner_id`` when the key was created
    with its table, ``shop_item_ibfk_1`` when added later: the same index).
    """
    tables = {}
    for name, table in found["tables"].items():
        table = {**table, "columns": sorted(table["columns"], key=lambda column: column["name"])}
        if dialect == "mysql":
            keys = [fk["columns"] for fk in table["foreign keys"]]
            implicit = [i for i in table["indexes"] if not i["unique"] and i["columns"] in keys]
            table["indexes"] = [i for i in table["indexes"] if i not in implicit] + [{**i, "name": "(foreign key)"} for i in implicit]
        tables[name] = table
    return {**found, "tables": tables}


def _dialect(backend) -> Any:
    return backend.engine.dialect


def _describe(ops: list[Any], dialect: Any) -> list[Change]:
    from .changes import describe

    return describe(ops, dialect)


def _renamed(app: str, ops: list[Any], chosen: dict[tuple[str, str], str], ask: AskRename | None, dialect: Any) -> tuple[list[Any], list[str]]:
    from .changes import apply_renames, rename_candidates

    tables = {op.table_name for op in ops if hasattr(op, "table_name")}
    wanted = {key: new for key, new in chosen.items() if key[0] in tables}
    if ask is not None:
        taken_old = {key for key in wanted}
        taken_new = {(table, new) for (table, _), new in wanted.items()}
        for table, old, new in rename_candidates(ops, dialect):
            if (table, old) in taken_old or (table, new) in taken_new:
                continue
            if ask(app, table, old, new):
                wanted[(table, old)] = new
                taken_old.add((table, old))
                taken_new.add((table, new))
    if not wanted:
        return ops, []
    return apply_renames(ops, wanted, dialect), [f"{table}.{old}:{new}" for (table, old), new in sorted(wanted.items())]


def _confirm_destructive(app, changes, mode, allow, confirm, ops, dialect) -> None:
    from ..errors import DestructiveChanges
    from .changes import rename_candidates

    losing = [change for change in changes if change.destructive]
    if not losing or allow or mode == "dry-run":
        return
    if confirm is not None and confirm(app, losing):
        return
    raise DestructiveChanges([f"{app}: {change}" for change in losing], [f"{t}.{o}:{n}" for t, o, n in rename_candidates(ops, dialect)])


def _app_order(apps: list[str], diffs: dict) -> list[str]:
    """Apps whose new tables other apps' new foreign keys refer to first; otherwise as given."""
    from .change_dependencies import created_tables, foreign_keys

    creates = {app: set(created_tables(diffs[app].ops)) for app in apps}
    needs = {app: {other for other in apps if other != app and any(fk[2] in creates[other] for fk in foreign_keys(diffs[app].ops))} for app in apps}
    order: list[str] = []

    def visit(app: str, path: tuple[str, ...]) -> None:
        if app in order or app in path:
            return
        for other in sorted(needs[app]):
            visit(other, (*path, app))
        order.append(app)

    for app in apps:
        visit(app, ())
    return order


def _slug(changes: list[Change], version: int) -> str:
    """``initial`` for an app's first file; else from the changes (``add_blog_post_tags``)."""
    if version == 1:
        return "initial"
    verbs = {"create table": "create", "drop table": "drop", "add column": "add", "drop column": "drop",
             "alter column": "alter", "rename column": "rename", "create index": "index", "drop index": "drop",
             "add constraint": "constrain", "drop constraint": "drop"}
    parts = []
    for change in changes:
        words = [verbs.get(change.action, "change"), change.table]
        if change.name and "column" in change.action:
            words.append(change.name)
        elif change.name and change.action in ("create index", "drop index"):
            words = [verbs[change.action], change.name]
        piece = "_".join(words)
        if piece not in parts:
            parts.append(piece)
    slug = parts[0] if len(parts) == 1 else "_".join(parts)
    if len(slug) > 50:
        slug = parts[0][:40] + "_and_more"
    slug = re.sub(r"[^a-z0-9_]+", "_", slug.lower()).strip("_")
    return slug or "auto"
