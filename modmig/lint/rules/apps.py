"""Across apps (XA): what only a linter that knows which app owns which table can see.

An app's tables are its own: other apps may read them (after depending on the migration that
created them) but should not change them behind its back. These rules read the ownership map
through ``lint/apps.py``: each migration's touches (created, altered, dropped, renamed, wrote,
referred), the owner of each object at that moment, and the graph's dependencies. They say
nothing when the map is not available (``LintReport.notes`` says so).
"""

from __future__ import annotations

from ..rule import ALL, ERROR, WARNING, Hit, rule

USERS = ("users", "CREATE TABLE users_user (id bigint PRIMARY KEY, email text NOT NULL);\n")
BLOG = ("blog", "-- modmig: depends users:0001\nCREATE TABLE blog_post (id bigint PRIMARY KEY, author_id bigint);\n")
#: A touch is "about" an object another migration must have created for it to work.
_USES = ("referred", "wrote", "altered", "dropped", "renamed")


def _foreign(ctx, actions: tuple[str, ...]):
    """(touch, owner) for this migration's touches of objects another app owned at that moment."""
    if ctx.apps is None:
        return
    app = ctx.migration.app
    for touch in ctx.apps.touches(ctx.migration):
        if touch.action in actions and not touch.implied and touch.owner not in (None, app):
            yield touch, touch.owner


def _hit(ctx, touch, message):
    return Hit(touch.line or ctx.migration.up_line, touch.name, message)


@rule(
    "XA101", "alters-other-apps-object", ERROR, ALL,
    title="Altering a table (or other object) another app owns",
    why="""
        The app that created a table owns its shape: its code, its migrations and its tests
        assume it. A column added, a type changed or a constraint dropped by another app's
        migration is a change the owning team did not review, that its next migration may
        contradict, and that its squash and round-trip checks do not know about.
    """,
    fix="""
        Ask the owning app to make the change in its own migration, and depend on that migration;
        or keep your data in a table of your own that refers to theirs.
    """,
    setup=(USERS, BLOG),
    app="blog",
    bad="-- modmig: depends users:0001\nALTER TABLE users_user ADD COLUMN bio text;\n",
    safe=("-- modmig: depends users:0001\n"
          "CREATE TABLE blog_author (user_id bigint PRIMARY KEY REFERENCES users_user (id), bio text);\n"),
)
def alters_other_apps_object(ctx):
    for touch, owner in _foreign(ctx, ("altered", "renamed")):
        verb = "renames" if touch.action == "renamed" else "alters"
        yield _hit(ctx, touch, f"{ctx.migration.label} {verb} {touch.kind} {touch.name}, which app {owner} owns: "
                   f"change it in a migration of {owner}")


@rule(
    "XA102", "drops-other-apps-object", ERROR, ALL,
    title="Dropping a table (or other object) another app owns",
    why="""
        Dropping another app's table, column or index deletes what that app's code reads and
        writes, from a migration its team never sees.
    """,
    fix="Leave the drop to the owning app's migrations; stop using the object from yours.",
    setup=(USERS, BLOG),
    app="blog",
    bad="-- modmig: depends users:0001\nDROP TABLE users_user;\n",
    safe="-- modmig: depends users:0001\nDROP TABLE blog_post;\n",
)
def drops_other_apps_object(ctx):
    for touch, owner in _foreign(ctx, ("dropped",)):
        yield _hit(ctx, touch, f"{ctx.migration.label} drops {touch.kind} {touch.name}, which app {owner} owns")


@rule(
    "XA103", "writes-other-apps-table", WARNING, ALL,
    title="Writing rows into a table another app owns",
    why="""
        An app's code keeps invariants over its rows (derived columns, caches, audit trails,
        rows that must exist together). An `INSERT`, `UPDATE` or `DELETE` from another app's
        migration bypasses them, and the owning team cannot find it in its own history.
    """,
    fix="Let the owning app backfill its data (its migration, or its code); depend on it.",
    setup=(USERS, BLOG),
    app="blog",
    bad="-- modmig: depends users:0001\nUPDATE users_user SET email = lower(email) WHERE id > 0;\n",
    safe="-- modmig: depends users:0001\nUPDATE blog_post SET author_id = NULL WHERE author_id = 0;\n",
)
def writes_other_apps_table(ctx):
    for touch, owner in _foreign(ctx, ("wrote",)):
        yield _hit(ctx, touch, f"{ctx.migration.label} writes rows of {touch.name}, which app {owner} owns")


@rule(
    "XA104", "missing-dependency", ERROR, ALL,
    title="Using another app's table without depending on the migration that creates it",
    why="""
        Migrations of different apps run in the graph's order, and only a `depends` line puts one
        after another. Without it, the migration works where the other app happens to have
        migrated first (your machine, production) and fails on a fresh database (CI, a new
        developer, a new tenant), or on the day the order changes. Found from the SQL, so it
        fails here before it fails there.
    """,
    fix="Add `-- modmig: depends APP:NNNN` naming the migration that creates what you use.",
    setup=(USERS, ("blog", "CREATE TABLE blog_post (id bigint PRIMARY KEY, author_id bigint);\n")),
    app="blog",
    bad="CREATE VIEW blog_author_email AS SELECT p.id, u.email FROM blog_post p JOIN users_user u ON u.id = p.author_id;\n",
    safe=("-- modmig: depends users:0001\n"
          "CREATE VIEW blog_author_email AS SELECT p.id, u.email FROM blog_post p JOIN users_user u ON u.id = p.author_id;\n"),
)
def missing_dependency(ctx):
    if ctx.apps is None:
        return
    key, app, seen = ctx.migration.key, ctx.migration.app, set()
    for touch in ctx.apps.touches(ctx.migration):
        if touch.action not in _USES or (touch.kind, touch.name) in seen:
            continue
        seen.add((touch.kind, touch.name))
        creators = ctx.apps.creators(touch.kind, touch.name)
        refs = [ref for ref in creators if ref.app != app]
        if refs and len(refs) == len(creators) and not any(ctx.apps.depends(key, ref.key) for ref in refs):
            creator = refs[-1]
            yield _hit(ctx, touch, f"{touch.kind} {touch.name} is created by {creator.label}, but {ctx.migration.label} does "
                       f"not depend on it: add '-- modmig: depends {creator.app}:{creator.version:04d}'")


@rule(
    "XA105", "drop-still-referenced", ERROR, ALL,
    title="Dropping or renaming what other apps still use",
    why="""
        Other apps' views and foreign keys name your table; their later migrations and their code
        query it. Dropping it breaks them (PostgreSQL refuses the drop while a view depends on it;
        SQLite and MySQL leave the view broken), and a rename breaks everything that uses the
        name. Each app's tests pass on their own; the project does not.
    """,
    fix="Move the other apps off the object first (their migrations, their code), then drop it in a later release.",
    setup=(USERS, ("blog", "-- modmig: depends users:0001\nCREATE VIEW blog_author AS SELECT id, email FROM users_user;\n")),
    app="users",
    bad="DROP TABLE users_user;\n",
    safe="ALTER TABLE users_user ADD COLUMN bio text;\n",
)
def drop_still_referenced(ctx):
    if ctx.apps is None:
        return
    app = ctx.migration.app
    for touch in ctx.apps.touches(ctx.migration):
        if touch.action not in ("dropped", "renamed") or touch.implied:
            continue
        users = ctx.apps.referrers(touch.kind, touch.name, app) + ctx.apps.later_uses(touch.kind, touch.name, ctx.migration.key, app)
        if users:
            yield _hit(ctx, touch, f"{touch.kind} {touch.name} is {touch.action} but other apps still use it: {'; '.join(users[:5])}"
                       + (f" and {len(users) - 5} more" if len(users) > 5 else ""))


@rule(
    "XA106", "dependency-inside-pruned-squash", WARNING, ALL,
    title="A dependency on a version inside a pruned squash",
    why="""
        Once an app's history is squashed and the originals pruned, a version inside the squash's
        range no longer exists as a file: a dependency on it waits for the whole squash, which may
        be more (or, once renumbered, other) than the author meant, and nobody reading the line
        can tell which file it means.
    """,
    fix="Depend on the squash's last version (the version it leaves the app at), or on a later one.",
    setup=(("users", "-- modmig: replaces 0001-0003\nCREATE TABLE users_user (id bigint PRIMARY KEY, email text);\n"),
           ("users", "ALTER TABLE users_user ADD COLUMN bio text;\n")),
    app="blog",
    bad="-- modmig: depends users:0002\nCREATE TABLE blog_post (id bigint PRIMARY KEY, author_id bigint);\n",
    safe="-- modmig: depends users:0003\nCREATE TABLE blog_post (id bigint PRIMARY KEY, author_id bigint);\n",
)
def dependency_inside_pruned_squash(ctx):
    histories = ctx.graph.histories if ctx.graph is not None else {}
    for dependency in ctx.migration.dependencies:
        history = histories.get(dependency.app)
        if history is None or history.get(dependency.version) is not None:
            continue
        for squash in history.squashes:
            if squash.first_version <= dependency.version < squash.version:
                yield Hit(dependency.line or 1, str(dependency), f"{ctx.migration.label} depends on {dependency}, inside "
                          f"{squash.label} whose originals were pruned: depend on {dependency.app}:{squash.version:04d}")
