"""The synthetic workload every tool runs: A apps x M migrations, generated from a seed.

This module knows only the *workload* (which apps, which migration does what, what depends on
what) and how to write it as a modmig project. Each peer writes the same workload in its own
idiom (``peers/``); the floor reads the ``workload.json`` written here.

Shape of the workload, per app ``appNNN``:

* migration 1 creates the app's first table; every later one is one small DDL step drawn from the
  app's own random stream: create a table, add a column to one of the app's tables, or create an
  index on one of its columns. One SQL statement per migration, and one to undo it (every file
  has a down section, as most real ones do; squash verification checks it too).
* every 10th migration of app i (i >= 1) depends on app i-1. The issue says "on the latest
  migration of app i-1"; we read that as *the latest one at that point of parallel development*,
  i.e. app i-1's migration with the same number (``app006:0010`` for ``app007:0010``). Reading it
  as app i-1's very last migration would chain the apps end to end (app i could not pass its 9th
  migration before app i-1 is complete): the same number of edges, but a graph no real team
  produces, and one that hides how a planner copes with interleaved branches.

Each app draws from ``Random(f"{seed}:{label}")``, so an app's migrations do not depend on how
many apps the project has: app000 of 10x100 is app000 of 100x100.
"""

from __future__ import annotations

import heapq
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

#: Every DEPENDENCY_EVERY-th migration of app i depends on app i-1.
DEPENDENCY_EVERY = 10
_TYPES = ("INTEGER", "TEXT", "REAL", "VARCHAR(40)")
_KINDS = ("create_table", "add_column", "create_index")
_WEIGHTS = (3, 4, 3)


@dataclass(frozen=True)
class Migration:
    """One migration of the workload: one DDL statement, maybe one cross-app dependency."""

    app: str
    number: int
    slug: str
    sql: str
    #: The statement that undoes ``sql``.
    down_sql: str
    #: (app, number) pairs this migration needs besides its own app's previous migration.
    depends: tuple[tuple[str, int], ...] = ()

    @property
    def name(self) -> str:
        """``0007_add_column``: the file name without its extension."""
        return f"{self.number:04d}_{self.slug}"


@dataclass
class Workload:
    apps: int
    per_app: int
    seed: int
    #: label -> that app's migrations, numbers 1..per_app in order.
    histories: dict[str, list[Migration]] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return list(self.histories)

    @property
    def size(self) -> str:
        return f"{self.apps}x{self.per_app}"

    @property
    def total(self) -> int:
        return self.apps * self.per_app

    def in_order(self) -> list[Migration]:
        """The order modmig applies everything in (docs/graph.md): among the migrations free to
        run, the smallest app label first, then the smallest version.

        The floor runs the same order, so both pay SQLite the same: the cost of a DDL statement
        grows with the schema so far, so a different order is a different workload.
        """
        waiting: dict[tuple[str, int], int] = {}
        unlocks: dict[tuple[str, int], list[tuple[str, int]]] = {}
        for history in self.histories.values():
            for migration in history:
                needs = list(migration.depends) + ([(migration.app, migration.number - 1)] if migration.number > 1 else [])
                waiting[(migration.app, migration.number)] = len(needs)
                for need in needs:
                    unlocks.setdefault(need, []).append((migration.app, migration.number))
        ready = [key for key, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            key = heapq.heappop(ready)
            order.append(self.histories[key[0]][key[1] - 1])
            for follower in unlocks.get(key, ()):
                waiting[follower] -= 1
                if waiting[follower] == 0:
                    heapq.heappush(ready, follower)
        return order

    def squash_app(self) -> str:
        """The app the squash phase squashes: the first one, which other apps depend on but which
        needs none. Verifying a squash of app i first applies every migration it needs (about
        i x M of them), which would time those apps rather than the squash."""
        return self.labels[0]


def app_label(index: int) -> str:
    return f"app{index:03d}"


def generate(apps: int, per_app: int, seed: int) -> Workload:
    """The workload of ``apps`` x ``per_app`` migrations for ``seed`` (always the same)."""
    if apps < 1 or per_app < 1:
        raise ValueError("a workload needs at least one app and one migration per app")
    workload = Workload(apps, per_app, seed)
    for index in range(apps):
        label = app_label(index)
        previous = app_label(index - 1) if index > 0 else None
        workload.histories[label] = _app_history(label, previous, per_app, seed)
    return workload


def _app_history(label: str, previous: str | None, per_app: int, seed: int) -> list[Migration]:
    rng = random.Random(f"{seed}:{label}")
    tables: list[list[str]] = []  # table index -> its column names
    history = []
    for number in range(1, per_app + 1):
        kind = "create_table" if number == 1 else rng.choices(_KINDS, _WEIGHTS)[0]
        if kind == "create_table":
            table = len(tables)
            tables.append(["id", "c0"])
            sql = (
                f"CREATE TABLE {label}_t{table} (id INTEGER PRIMARY KEY, "
                f"c0 {rng.choice(_TYPES)} NOT NULL DEFAULT 0)"
            )
            down = f"DROP TABLE {label}_t{table}"
        elif kind == "add_column":
            table = rng.randrange(len(tables))
            column = f"c{number}"
            tables[table].append(column)
            sql = f"ALTER TABLE {label}_t{table} ADD COLUMN {column} {rng.choice(_TYPES)}"
            down = f"ALTER TABLE {label}_t{table} DROP COLUMN {column}"
        else:
            table = rng.randrange(len(tables))
            column = rng.choice(tables[table][1:])
            sql = f"CREATE INDEX {label}_i{number} ON {label}_t{table} ({column})"
            down = f"DROP INDEX {label}_i{number}"
        depends = ()
        if previous is not None and number % DEPENDENCY_EVERY == 0:
            depends = ((previous, number),)
        history.append(Migration(label, number, kind, sql, down, depends))
    return history


# -- writers ----------------------------------------------------------------------------------------

MODMIG_DATABASE = "bench.db"


def write_modmig_project(workload: Workload, root: Path, python: bool = False, python_every: int = 0) -> Path:
    """Write ``workload`` as a modmig project in ``root``; returns its folder.

    SQL migrations by default; with ``python``, each migration is a ``.py`` file whose
    ``upgrade(ctx)`` executes the same statement; with ``python_every=K``, every K-th one is.
    """
    root.mkdir(parents=True, exist_ok=True)
    config = [f"database: sqlite:///{MODMIG_DATABASE}", "apps:"]
    for label, history in workload.histories.items():
        config.append(f"  {label}: apps/{label}")
        folder = root / "apps" / label / "migrations"
        folder.mkdir(parents=True, exist_ok=True)
        for migration in history:
            if python or (python_every and migration.number % python_every == 0):
                (folder / f"{migration.name}.py").write_text(_modmig_python(migration), encoding="utf-8")
            else:
                (folder / f"{migration.name}.sql").write_text(_modmig_sql(migration), encoding="utf-8")
    (root / "modmig.yaml").write_text("\n".join(config) + "\n", encoding="utf-8")
    return root


def _modmig_sql(migration: Migration) -> str:
    header = ""
    if migration.depends:
        header = "-- modmig: depends " + ", ".join(f"{a}:{n:04d}" for a, n in migration.depends) + "\n"
    return f"{header}{migration.sql};\n-- modmig: down\n{migration.down_sql};\n"


def _modmig_python(migration: Migration) -> str:
    header = ""
    if migration.depends:
        header = "dependencies = [" + ", ".join(f'"{a}:{n:04d}"' for a, n in migration.depends) + "]\n\n\n"
    return (
        f"{header}def upgrade(ctx):\n    ctx.execute({migration.sql!r})\n\n\n"
        f"def downgrade(ctx):\n    ctx.execute({migration.down_sql!r})\n"
    )


def write_workload_json(workload: Workload, path: Path) -> Path:
    """The statements in a valid order, for the floor (which must not pay for generating them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    steps = [[m.app, m.number, m.name, [m.sql]] for m in workload.in_order()]
    path.write_text(json.dumps({"size": workload.size, "steps": steps}), encoding="utf-8")
    return path
