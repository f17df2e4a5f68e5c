"""The ownership map as data: schema objects, who created and changed them, what each migration did.

``OwnershipMap`` is what ``build_ownership`` (``ownership.py``) returns and what the linter, the
fleet runner and ``modmig owners`` read. It holds two views of one walk through the migrations:

* per object (``objects``, ``get``, ``owner_of``): the migration that created it (its owner is
  that migration's app), the migrations that changed its definition since, in graph order, the
  ones that wrote rows into it, and whether it still exists after the last migration;
* per migration (``migration``, ``migrations``): every object it created, altered, dropped,
  renamed, wrote or referred to, statement by statement, with the file line and the app that
  owned the object at that moment.

Names: a table, view, sequence, type or function by its name; a column, index, constraint or
trigger as ``"table.name"`` (``owner_of("index", "name")`` finds it by its own name too, when
one table has it). A constraint the database names itself gets the name the database gives it
(PostgreSQL ``t_pkey``, ``t_a_fkey``; MySQL ``PRIMARY``, ``t_ibfk_1``); SQLite's unnamed ones
are described (``"t.foreign key (a)"``).

Where the map cannot know, it says so: an object first met when a migration alters, writes or
refers to it has no creator (``created_by`` None). Its ``origin`` is ``"unknown"`` when an earlier
step could have created it unseen (a Python migration that could not be replayed, a statement
nobody could read; listed in ``possible_creators``), else ``"external"`` (it predates the
migrations, or another tool made it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from .sql_effects import KINDS

#: Kinds named ``"table.name"``.
TABLE_BOUND = ("column", "index", "constraint", "trigger")
#: What a migration can do to an object (``Touch.action``).
TOUCHES = ("created", "altered", "dropped", "renamed", "wrote", "referred", "mentioned")


@dataclass(frozen=True, order=True)
class MigrationRef:
    """A migration as the map names it (the map is cached, so it holds no ``Migration`` objects)."""

    app: str
    version: int
    #: The file name without extension, e.g. ``0003_add_tags``.
    name: str
    #: For a squash file, the first version it replaces.
    first_version: int | None = None

    @property
    def label(self) -> str:
        """``blog:0003_add_tags``, as the CLI names a migration."""
        return f"{self.app}:{self.name}"

    @property
    def key(self) -> tuple:
        """The migration's key in the ``MigrationGraph`` (``graph.migration(ref.key)``)."""
        return (self.app, self.version) if self.first_version is None else (self.app, self.version, self.first_version)

    def __str__(self) -> str:
        return self.label

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "app": self.app, "version": self.version}


@dataclass
class SchemaObject:
    """One lifetime of one schema object: from its creation (or first sighting) to its drop."""

    kind: str
    name: str
    #: The table a column, index, constraint or trigger belongs to (a serial's sequence too).
    table: str | None = None
    created_by: MigrationRef | None = None
    #: Migrations (of any app) that changed its definition since it was created, in graph order.
    changed_by: list[MigrationRef] = field(default_factory=list)
    #: Migrations that inserted, updated or deleted its rows, in graph order.
    written_by: list[MigrationRef] = field(default_factory=list)
    dropped_by: MigrationRef | None = None
    exists: bool = True
    #: ``(kind, name)`` of what it refers to: a foreign key's table and columns, a view's tables,
    #: the tables a trigger or function body uses, a column's enum type or sequence.
    references: list[tuple[str, str]] = field(default_factory=list)
    #: Columns of an index or constraint.
    columns: list[str] = field(default_factory=list)
    #: ``primary key``, ``foreign key``, ``unique`` or ``check`` for a constraint; ``unique`` for an index.
    detail: str | None = None
    renamed_from: list[str] = field(default_factory=list)
    #: ``"migration"`` (created_by is known), ``"unknown"`` or ``"external"`` (see the module docstring).
    origin: str = "migration"
    possible_creators: list[MigrationRef] = field(default_factory=list)
    #: Created TEMPORARY: gone when its migration's session ends.
    temporary: bool = False

    @property
    def app(self) -> str | None:
        """The owning app: the app of the migration that created it (None when none did)."""
        return self.created_by.app if self.created_by is not None else None

    @property
    def identity(self) -> tuple[str, str]:
        return (self.kind, self.name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "table": self.table,
            "app": self.app,
            "origin": self.origin,
            "created_by": self.created_by.as_dict() if self.created_by is not None else None,
            "changed_by": [ref.label for ref in self.changed_by],
            "written_by": [ref.label for ref in self.written_by],
            "dropped_by": self.dropped_by.label if self.dropped_by is not None else None,
            "exists": self.exists,
            "references": [{"kind": kind, "name": name} for kind, name in self.references],
            "columns": list(self.columns),
            "detail": self.detail,
            "renamed_from": list(self.renamed_from),
            "possible_creators": [ref.label for ref in self.possible_creators],
        }


@dataclass(frozen=True)
class Touch:
    """What one statement of a migration did to one object."""

    action: str  # one of TOUCHES
    kind: str
    name: str
    table: str | None
    #: The app that owned the object when the statement ran (None: no app, or not known).
    owner: str | None
    #: The migration file's line of the statement (for a Python migration, of the call that ran it).
    line: int | None
    new_name: str | None = None
    #: True when it followed from another touch: columns dropped with their table, a view with
    #: ``DROP TABLE ... CASCADE``, an index renamed with its table.
    implied: bool = False
    #: For ``dropped`` and ``renamed``: the objects that referred to it at that moment (foreign
    #: keys, views, triggers, functions, columns of its type), as ``(kind, name, owning app)``.
    referred_by: tuple[tuple[str, str, str | None], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"action": self.action, "kind": self.kind, "name": self.name, "table": self.table, "owner": self.owner, "line": self.line}
        if self.new_name is not None:
            data["new_name"] = self.new_name
        if self.implied:
            data["implied"] = True
        if self.referred_by:
            data["referred_by"] = [{"kind": kind, "name": name, "app": app} for kind, name, app in self.referred_by]
        return data


@dataclass(frozen=True)
class UnknownStatement:
    """A statement whose effects nobody could read: it may have done anything to what it mentions."""

    line: int | None
    text: str


@dataclass
class MigrationRecord:
    """Everything one migration did, statement by statement, in order."""

    migration: MigrationRef
    #: ``"sql"`` or ``"python"``.
    source: str
    #: ``"parsed"`` (a SQL file), ``"replayed"`` (a Python migration whose statements were
    #: recorded on a scratch database) or ``"opaque"`` (a Python migration that could not be
    #: replayed: ``note`` says why, and what it did is unknown).
    analysis: str
    touches: list[Touch] = field(default_factory=list)
    unknown_statements: list[UnknownStatement] = field(default_factory=list)
    note: str | None = None

    @property
    def complete(self) -> bool:
        """True when every statement it ran was read (nothing it did is unknown)."""
        return self.analysis != "opaque" and not self.unknown_statements

    def touched(self, action: str, *, implied: bool = True) -> list[Touch]:
        return [touch for touch in self.touches if touch.action == action and (implied or not touch.implied)]

    @property
    def created(self) -> list[Touch]:
        return self.touched("created")

    @property
    def altered(self) -> list[Touch]:
        return self.touched("altered")

    @property
    def dropped(self) -> list[Touch]:
        return self.touched("dropped")

    @property
    def renamed(self) -> list[Touch]:
        return self.touched("renamed")

    @property
    def wrote(self) -> list[Touch]:
        return self.touched("wrote")

    @property
    def referred(self) -> list[Touch]:
        return self.touched("referred")

    def as_dict(self) -> dict[str, Any]:
        return {
            "migration": self.migration.label,
            "app": self.migration.app,
            "version": self.migration.version,
            "source": self.source,
            "analysis": self.analysis,
            "note": self.note,
            "touches": [touch.as_dict() for touch in self.touches],
            "unknown_statements": [{"line": s.line, "text": s.text} for s in self.unknown_statements],
        }


class OwnershipMap:
    """Every schema object the migrations make, who owns it, and what each migration did to what."""

    def __init__(self, dialect: str, objects: Iterable[SchemaObject], records: Iterable[MigrationRecord]) -> None:
        #: The SQL dialect the migrations were read in.
        self.dialect = dialect
        self._all = list(objects)
        self._records = {record.migration.label: record for record in records}
        self._live = {obj.identity: obj for obj in self._all if obj.exists}
        self._by_own_name: dict[tuple[str, str], list[SchemaObject]] = {}
        for obj in self._live.values():
            if obj.kind in TABLE_BOUND and obj.table is not None:
                self._by_own_name.setdefault((obj.kind, obj.name[len(obj.table) + 1 :]), []).append(obj)
        #: How Python migrations were replayed (``"SQLite in memory"``, a masked server URL), or
        #: None when there was nothing to replay or it was not possible (see ``incomplete``).
        self.replayed_on: str | None = None
        #: What the build read from its cache and what it had to read or replay afresh.
        self.cache: dict[str, Any] | None = None

    # -- objects ---------------------------------------------------------------------------------

    def get(self, kind: str, name: str) -> SchemaObject | None:
        """The object as it exists after the last migration (``"table.column"`` for a column)."""
        found = self._live.get((kind, name))
        if found is None and kind in TABLE_BOUND:
            candidates = self._by_own_name.get((kind, name), [])
            found = candidates[0] if len(candidates) == 1 else None
        return found

    def owner_of(self, kind: str, name: str) -> str | None:
        """The app whose migration created the object; None when no migration did (or it does not exist)."""
        found = self.get(kind, name)
        return found.app if found is not None else None

    def objects(self, app: str | None = None, *, include_dropped: bool = False) -> list[SchemaObject]:
        """Objects owned by ``app`` (every object when None), sorted by kind (``KINDS`` order), then name."""
        chosen = self._all if include_dropped else self._live.values()
        found = [obj for obj in chosen if app is None or obj.app == app]
        return sorted(found, key=_object_order)

    def history(self, kind: str, name: str) -> list[SchemaObject]:
        """Every lifetime of the name, oldest first (an object dropped and created again has two)."""
        return [obj for obj in self._all if obj.identity == (kind, name) or (kind, name) in [(obj.kind, old) for old in obj.renamed_from]]

    def referrers(self, kind: str, name: str) -> list[SchemaObject]:
        """Existing objects that refer to the object: foreign keys, views, triggers, functions, columns."""
        return sorted((obj for obj in self._live.values() if (kind, name) in obj.references), key=_object_order)

    # -- migrations ------------------------------------------------------------------------------

    def migration(self, label: str) -> MigrationRecord:
        """The record of one migration, by label (``"blog:0003_add_tags"``); KeyError if not walked."""
        return self._records[label]

    def migrations(self, app: str | None = None) -> list[MigrationRecord]:
        """The records of ``app``'s migrations (every app's when None), in graph order."""
        return [record for record in self._records.values() if app is None or record.migration.app == app]

    @property
    def incomplete(self) -> list[MigrationRecord]:
        """Migrations with effects the map could not read (opaque, or with unknown statements)."""
        return [record for record in self._records.values() if not record.complete]

    def as_dict(self, app: str | None = None) -> dict[str, Any]:
        return {
            "dialect": self.dialect,
            "app": app,
            "replayed_on": self.replayed_on,
            "objects": [obj.as_dict() for obj in self.objects(app)],
            "migrations": [record.as_dict() for record in self.migrations(app)],
            "incomplete": [record.migration.label for record in self.incomplete if app is None or record.migration.app == app],
        }


def _object_order(obj: SchemaObject) -> tuple[int, str]:
    return (KINDS.index(obj.kind) if obj.kind in KINDS else len(KINDS), obj.name)
