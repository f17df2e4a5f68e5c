"""``modmig check --drift``: does the live database hold what its recorded versions should produce?

The expected schema is built, not guessed: the migrations each app has recorded in the database
(up to its recorded version, in the graph's order) are replayed on a scratch database of the same
dialect, and that database is reflected. Alembic's ``compare_metadata`` then compares the live
database with it: tables, columns (type, nullability, default), indexes, unique constraints and
foreign keys; views and triggers are compared by their definitions (``compare.snapshot``). Both
sides are read back from a database of the same kind, so what one reflection misses the other
misses too.

Every difference names the app that owns the object (the ownership map: the app whose migration
created it), or says that no app does: a table someone made by hand is drift, and so is a column
a hotfix added. ``drift: {ignore: [...]}`` in modmig.yaml lists tables (fnmatch patterns) that
other tools own; they are left out and listed as ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from ..errors import UsageError

if TYPE_CHECKING:
    from ..model import DatabaseState
    from ..plan.graph import MigrationGraph
    from ..run.database import ProjectDatabase
    from .ownership_map import OwnershipMap

#: What a difference is: expected but absent, present but not expected, or present and different.
PROBLEMS = ("missing", "unexpected", "differs")


@dataclass(frozen=True)
class DriftItem:
    """One difference between the live database and what its migrations should have made."""

    kind: str  # table, column, index, constraint, foreign key, view, trigger
    name: str
    problem: str  # one of PROBLEMS
    #: The app owning the object (whose migration created it); None: no app.
    app: str | None
    detail: str = ""

    def __str__(self) -> str:
        owner = f"{self.app}'s" if self.app else "owned by no app:"
        what = {"missing": "is missing", "unexpected": "is not made by any applied migration", "differs": "differs"}[self.problem]
        return f"{owner} {self.kind} {self.name} {what}" + (f": {self.detail}" if self.detail else "")

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "problem": self.problem, "app": self.app, "detail": self.detail, "text": str(self)}


@dataclass
class DriftReport:
    """What ``Project.drift()`` returns: the differences, and what was compared."""

    database: str
    #: Where the expected schema was built: ``SQLite in memory`` or a masked server URL.
    scratch: str
    #: The recorded version of each app the expected schema was built to.
    versions: dict[str, int] = field(default_factory=dict)
    items: list[DriftItem] = field(default_factory=list)
    #: Live tables no app's migrations created (also among ``items`` unless expected anyway).
    unowned: list[str] = field(default_factory=list)
    #: Objects left out by ``drift: {ignore: [...]}``.
    ignored: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.items

    def by_app(self) -> dict[str | None, list[DriftItem]]:
        grouped: dict[str | None, list[DriftItem]] = {}
        for item in self.items:
            grouped.setdefault(item.app, []).append(item)
        return grouped

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "database": self.database,
            "scratch": self.scratch,
            "versions": dict(self.versions),
            "items": [item.as_dict() for item in self.items],
            "unowned": list(self.unowned),
            "ignored": list(self.ignored),
        }


def drift(
    database: "ProjectDatabase",
    graph: "MigrationGraph",
    state: "DatabaseState",
    owners: "OwnershipMap",
    *,
    scratch_url: str | None,
    base_dir: Path,
    ignore: Sequence[str] = (),
) -> DriftReport:
    """Compare ``database`` with the schema the migrations recorded in ``state`` produce."""
    from .autogenerate import require_alembic
    from .ownership import walk_order
    from .scratch import IN_MEMORY, ReplayFailed, replay, scratch_database

    require_alembic("check --drift")
    applied = [m for m in walk_order(graph) if m.version <= state.version(m.app)]
    with scratch_database(scratch_url, base_dir, option="--scratch") as backend:
        report = DriftReport(
            database.backend.display_url, IN_MEMORY if scratch_url is None else backend.display_url,
            {app: state.version(app) for app in sorted(graph.histories)},
        )
        try:
            replay(backend, applied)
        except ReplayFailed as failure:
            raise UsageError(
                f"The applied migrations must run on an empty database to build the schema they produce, and "
                f"they failed on {report.scratch}: {failure.describe()}"
            ) from None
        with backend.engine.connect() as expected, database.connect() as live:
            _compare(expected, live, owners, ignore, report)
            expected.rollback()
            if live.in_transaction():
                live.rollback()
    return report


def _compare(expected, live, owners: "OwnershipMap", ignore: Sequence[str], report: DriftReport) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import MetaData, inspect

    from ..run.bookkeeping_rows import BOOKKEEPING_TABLES
    from .compare import snapshot

    bookkeeping = BOOKKEEPING_TABLES

    def ignored(name: str) -> bool:
        if any(fnmatchcase(name, pattern) for pattern in ignore):
            if name not in report.ignored:
                report.ignored.append(name)
            return True
        return False

    wanted = [name for name in inspect(expected).get_table_names() if name not in bookkeeping and not ignored(name)]
    metadata = MetaData()
    metadata.reflect(expected, only=wanted)

    def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
        return type_ != "table" or (name not in bookkeeping and not ignored(str(name)))

    context = MigrationContext.configure(live, opts={"include_name": include_name, "compare_type": True, "compare_server_default": True})
    for diff in compare_metadata(context, metadata):
        for entry in diff if isinstance(diff, list) else [diff]:
            item = _item(entry, owners)
            if item is not None:
                report.items.append(item)
    for name in sorted(inspect(live).get_table_names()):
        if name not in bookkeeping and not ignored(name) and owners.owner_of("table", name) is None:
            report.unowned.append(name)
    want, have = snapshot(expected, rows=False), snapshot(live, rows=False)
    for kind, key in (("view", "views"), ("trigger", "triggers")):
        for name in sorted(set(want[key]) | set(have[key])):
            if ignored(name):
                continue
            app = owners.owner_of(kind, name)
            if name not in have[key]:
                report.items.append(DriftItem(kind, name, "missing", app))
            elif name not in want[key]:
                report.items.append(DriftItem(kind, name, "unexpected", app))
            elif want[key][name] != have[key][name]:
                report.items.append(DriftItem(kind, name, "differs", app, "its definition"))
    report.items.sort(key=lambda item: (item.app or "~", item.kind, item.name))


def _item(entry: tuple, owners: "OwnershipMap") -> DriftItem | None:
    """One of Alembic's diff tuples as a DriftItem ("add" = expected, not live; "remove" = live only)."""
    action = entry[0]
    if action in ("add_table", "remove_table"):
        table = entry[1]
        problem = "missing" if action == "add_table" else "unexpected"
        return DriftItem("table", table.name, problem, owners.owner_of("table", table.name))
    if action in ("add_column", "remove_column"):
        table, column = entry[2], entry[3]
        problem = "missing" if action == "add_column" else "unexpected"
        return DriftItem("column", f"{table}.{column.name}", problem, _owner(owners, "column", table, column.name))
    if action.startswith("modify_"):
        table, column, live, expected = entry[2], entry[3], entry[5], entry[6]
        what = action[len("modify_"):]
        return DriftItem("column", f"{table}.{column}", "differs", _owner(owners, "column", table, column),
                         f"{what} {_show(live)} in the database, {_show(expected)} from the migrations")
    if action in ("add_index", "remove_index"):
        index = entry[1]
        problem = "missing" if action == "add_index" else "unexpected"
        return DriftItem("index", f"{index.table.name}.{index.name}", problem, _owner(owners, "index", index.table.name, index.name))
    if action in ("add_constraint", "remove_constraint", "add_fk", "remove_fk"):
        constraint = entry[1]
        table = constraint.table.name
        columns = ", ".join(c.name for c in constraint.columns)
        kind = "foreign key" if action.endswith("fk") else "constraint"
        name = f"{table}.{constraint.name}" if constraint.name else f"{table}.({columns})"
        problem = "missing" if action.startswith("add") else "unexpected"
        return DriftItem(kind, name, problem, _owner(owners, "constraint", table, constraint.name))
    return DriftItem("object", repr(entry[1:])[:200], "differs", None, action)


def _owner(owners: "OwnershipMap", kind: str, table: str, name: str | None) -> str | None:
    found = owners.get(kind, f"{table}.{name}") if name else None
    if found is not None:
        return found.app
    return owners.owner_of("table", table)


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "NULL allowed" if value else "NOT NULL"
    arg = getattr(value, "arg", None)
    if arg is not None:
        return str(getattr(arg, "text", arg))
    return str(value)
