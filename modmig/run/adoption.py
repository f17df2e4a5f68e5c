"""Adopting a database that another tool migrated: read its bookkeeping, propose modmig stamps.

Three sources, each read-only until the caller asks to record:

* SQLite's ``PRAGMA user_version``, kept by the common "numbered .sql files, each ending in
  ``PRAGMA user_version=N;``" pattern (``modmig stamp APP --from-user-version``);
* Django's ``django_migrations`` (``modmig adopt django``): a modmig app is matched to the Django
  app of the same label, and a Django migration to the modmig file of the same name
  (``0003_add_tags``), which is what converting with ``manage.py sqlmigrate`` naturally gives;
* Alembic's ``alembic_version`` (``modmig adopt alembic``): each head revision is matched to the
  modmig file whose name carries the revision id (``0003_ae1027a6acf_add_tags.sql``).

Stamps are proposed only for apps modmig does not track yet (version 0); an app modmig already
tracks is left alone and reported, so adopting twice is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Mapping

from ..errors import UsageError
from ..events import ignore
from .maintenance import stamp as record_stamp

if TYPE_CHECKING:
    from ..files.loader import AppHistory
    from ..plan.graph import MigrationGraph
    from .database import ProjectDatabase

TOOLS = ("django", "alembic")
_TABLES = {"django": "django_migrations", "alembic": "alembic_version"}


@dataclass
class ProposedStamp:
    app: str
    #: The version to stamp (the last migration the other tool applied, as a modmig version).
    version: int
    #: The modmig migration at that version, e.g. ``0002_add_email``.
    name: str
    #: The app's modmig version now.
    current: int
    #: What the other tool recorded, e.g. ``0001_initial .. 0002_add_email`` or a revision id.
    evidence: str
    #: "stamp" (will be / was recorded), "already" (modmig tracks the app at or past this version),
    #: "conflict" (left alone: modmig tracks it below this version, or the evidence is ambiguous).
    action: str = "stamp"


@dataclass
class AdoptionProposal:
    tool: str
    stamps: list[ProposedStamp] = field(default_factory=list)
    #: What could not be matched, and why (unconverted migrations, apps without a modmig app...).
    notes: list[str] = field(default_factory=list)
    #: True when the stamps marked "stamp" were written.
    recorded: bool = False

    def as_dict(self) -> dict:
        return {
            "tool": self.tool,
            "recorded": self.recorded,
            "stamps": [vars(stamp) for stamp in self.stamps],
            "notes": self.notes,
        }


def read_user_version(database: "ProjectDatabase") -> int:
    """``PRAGMA user_version`` of a SQLite database."""
    backend = database.backend
    if backend.name != "sqlite":
        raise UsageError(
            f"--from-user-version reads SQLite's PRAGMA user_version, but this database is "
            f"{backend.name} ({backend.display_url}). Give the version: 'modmig stamp APP N'."
        )
    with database.connect() as connection:
        value = connection.exec_driver_sql("PRAGMA user_version").scalar()
        connection.rollback()
    return int(value or 0)


def adopt(
    database: "ProjectDatabase", graph: "MigrationGraph", tool: str, *, record: bool, lock_timeout: float | None
) -> AdoptionProposal:
    """Propose stamps from ``tool``'s table; with ``record``, stamp every app marked "stamp"."""
    if tool not in TOOLS:
        raise UsageError(f"modmig can adopt from {' or '.join(TOOLS)}, not {tool!r}.")
    rows = _read_table(database, _TABLES[tool])
    proposal = AdoptionProposal(tool)
    if tool == "django":
        _from_django(graph.histories, [(str(app), str(name)) for app, name in rows], proposal)
    else:
        _from_alembic(graph.histories, [str(row[0]) for row in rows], proposal)
    current = _current_versions(database)
    for stamp in proposal.stamps:
        stamp.current = current.get(stamp.app, 0)
        if stamp.action == "conflict":
            continue
        if stamp.current >= stamp.version:
            stamp.action = "already"  # modmig tracks it, at or past what the other tool recorded
        elif stamp.current != 0:
            stamp.action = "conflict"
            proposal.notes.append(
                f"{stamp.app} is at {stamp.current} in modmig's bookkeeping, below the {stamp.version} "
                f"the other tool recorded: left alone (use 'modmig stamp {stamp.app} N' if you know better)."
            )
    if record:
        for stamp in proposal.stamps:
            if stamp.action == "stamp":
                record_stamp(database, graph, stamp.app, stamp.version, lock_timeout=lock_timeout, on_event=ignore)
        proposal.recorded = True
    return proposal


def _from_django(histories: "Mapping[str, AppHistory]", rows: list[tuple[str, str]], proposal: AdoptionProposal) -> None:
    applied: dict[str, set[str]] = {}
    for app, name in rows:
        applied.setdefault(app, set()).add(name)
    ignored = sorted(app for app in applied if app not in histories)
    if ignored:
        proposal.notes.append(f"Django apps with no modmig app of the same label, ignored: {', '.join(ignored)}.")
    for app in sorted(set(applied) & set(histories)):
        names = applied[app]
        history = histories[app]
        reached = None
        for migration in history.migrations:
            if migration.name not in names:
                break
            reached = migration
        converted = {m.name for m in history.migrations}
        missing = sorted(name for name in names if name not in converted)
        if missing:
            proposal.notes.append(f"{app}: applied by Django but with no modmig file of that name: {', '.join(missing)}.")
        if reached is None:
            first = history.migrations[0].name if history.migrations else "(no files)"
            proposal.notes.append(f"{app}: Django has not applied {first}; nothing to stamp.")
            continue
        later = [m.name for m in history.migrations if m.version > reached.version and m.name in names]
        if later:
            proposal.notes.append(
                f"{app}: Django also applied {', '.join(later)} after a gap; stamped only up to {reached.name}."
            )
        first_name = history.migrations[0].name
        evidence = reached.name if reached.name == first_name else f"{first_name} .. {reached.name}"
        proposal.stamps.append(ProposedStamp(app, reached.version, reached.name, 0, evidence))


def _from_alembic(histories: "Mapping[str, AppHistory]", heads: list[str], proposal: AdoptionProposal) -> None:
    if not heads:
        proposal.notes.append("alembic_version is empty: Alembic has applied nothing; nothing to stamp.")
    found: dict[str, ProposedStamp] = {}
    for revision in heads:
        matches = [m for m in _all_migrations(histories) if f"_{revision}_" in f"_{m.name}_"]
        if not matches:
            proposal.notes.append(
                f"Alembic head {revision} matches no migration file: name the converted file "
                f"NNNN_{revision}_slug so modmig can find it."
            )
            continue
        if len(matches) > 1:
            listed = ", ".join(m.label for m in matches)
            proposal.notes.append(f"Alembic head {revision} matches several migration files ({listed}): not stamped.")
            continue
        migration = matches[0]
        previous = found.get(migration.app)
        if previous is not None:
            proposal.notes.append(
                f"{migration.app}: two Alembic heads ({previous.evidence}, {revision}) fall in one app: not stamped."
            )
            previous.action = "conflict"
            continue
        found[migration.app] = ProposedStamp(migration.app, migration.version, migration.name, 0, revision)
    proposal.stamps.extend(found[app] for app in sorted(found))


def _all_migrations(histories: "Mapping[str, AppHistory]") -> Iterable:
    for app in sorted(histories):
        yield from histories[app].migrations


def _read_table(database: "ProjectDatabase", table: str) -> list[tuple]:
    from sqlalchemy import inspect, text

    with database.connect() as connection:
        if not inspect(connection).has_table(table):
            raise UsageError(
                f"There is no {table} table in {database.backend.display_url}: this database was not "
                f"migrated by {'Django' if table == 'django_migrations' else 'Alembic'} (or not with its default table)."
            )
        columns = "app, name" if table == "django_migrations" else "version_num"
        rows = [tuple(row) for row in connection.execute(text(f"SELECT {columns} FROM {table}"))]
        connection.rollback()
    return rows


def _current_versions(database: "ProjectDatabase") -> dict[str, int]:
    with database.connect() as connection:
        return dict(database.read_state(connection).versions)
