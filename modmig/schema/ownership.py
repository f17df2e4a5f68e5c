"""Ownership: which app's migration created each schema object, and which migrations touched it since.

    from modmig.schema.ownership import build_ownership
    owners = build_ownership(project.graph, "postgresql", cache=cache_path(root, "postgresql"))
    owners.owner_of("table", "users_user")            # "users"
    owners.get("column", "blog_post.slug").changed_by  # [MigrationRef(...), ...]
    owners.migration("blog:0004_add_slug").created     # [Touch("created", "column", ...)]

The map is derived from the migrations themselves, walked in the graph's one order (each app from
its first file to its latest: the originals where they exist, a squash only where its originals
were pruned). Two sources, each used where it is exact (docs/ownership.md says why):

* **SQL files are read, not run**: every statement of the up section is parsed with sqlglot in
  the project's dialect (``sql_effects``). Fast, no database, and it says *which statement*
  created, altered, dropped, wrote or referred to what, which the linter needs.
* **Python migrations are replayed**: a parser cannot see what code does, so the migrations are
  run, in order, on a scratch database of the project's dialect (SQLite in memory, or a
  throwaway database on a server), recording every statement each Python migration sends; those
  statements are then read like a SQL file's. If no scratch database can be had, or the replay
  fails, the Python migrations not recorded are *opaque*: listed as such, and anything they may
  have created is marked unknown rather than attributed to someone.

Both are cached by content (``ownership_cache``), so a map is built once per change of the files.
Down sections are not read: the map describes the schema the migrations build going up.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DatabaseUnavailable, MigrationFileError
from ..model import Migration
from .ownership_cache import OwnershipCache, cache_path, recording_key
from .ownership_fold import Fold
from .ownership_map import MigrationRecord, MigrationRef, OwnershipMap, SchemaObject, Touch, UnknownStatement

if TYPE_CHECKING:
    from ..plan.graph import MigrationGraph

__all__ = [
    "MigrationRecord", "MigrationRef", "OwnershipMap", "OwnershipReport", "SchemaObject", "Touch", "UnknownStatement",
    "build_ownership", "cache_path", "walk_order",
]


def build_ownership(
    graph: "MigrationGraph",
    dialect: str,
    *,
    cache: Path | None = None,
    refresh: bool = False,
    replay: bool = True,
    replay_url: str | None = None,
    replay_optional: bool = True,
    base_dir: Path | None = None,
) -> OwnershipMap:
    """The ownership map of every migration in ``graph``, read in ``dialect`` (``"sqlite"``,
    ``"postgresql"`` or ``"mysql"``).

    ``cache`` is the cache file (``cache_path(project_root, dialect)``; None: no cache);
    ``refresh`` ignores what it holds and writes it anew. Python migrations are replayed on a
    scratch database: SQLite in memory when ``replay_url`` is None, else a throwaway database
    created on the server ``replay_url`` names and dropped afterwards; ``replay=False`` leaves
    them opaque, and so does a scratch database that cannot be created, unless
    ``replay_optional`` is False (then DatabaseUnavailable is raised: the caller named the server).
    Raises MigrationFileError for a SQL file that cannot be split into statements.
    """
    route = walk_order(graph)
    store = OwnershipCache(cache, dialect, read=not refresh)
    recordings, replayed_on, failure = _recordings(route, store, replay, replay_url, replay_optional, base_dir or Path.cwd())
    fold = Fold(dialect)
    for migration in route:
        ref = MigrationRef(migration.app, migration.version, migration.name, migration.replaces_from)
        if migration.kind == "sql":
            fold.start(MigrationRecord(ref, "sql", "parsed"))
            reads = store.file(migration.checksum, lambda: _statements(migration, dialect))
        elif migration.key in recordings:
            fold.start(MigrationRecord(ref, "python", "replayed"))
            reads = recordings[migration.key][1]
        else:
            fold.start(MigrationRecord(ref, "python", "opaque", note=failure))
            reads = []
        for line, effects, text in reads:
            fold.statement(effects, line, text)
        fold.finish()
    owners = OwnershipMap(dialect, fold.objects, fold.records)
    owners.replayed_on = replayed_on
    store.save()
    owners.cache = store.as_dict()
    return owners


def walk_order(graph: "MigrationGraph") -> list[Migration]:
    """The files the map walks: each app from its first file to its latest version, originals where
    they exist (a squash only where its originals were pruned), in the graph's order."""
    chosen = []
    for history in graph.histories.values():
        position, latest = history.base, history.latest  # each is a scan of the app's files
        while position < latest:
            step = history.get(position + 1)
            if step is None:
                step = max((s for s in history.squashes if s.first_version == position + 1), key=lambda s: s.version, default=None)
            if step is None:
                break  # a gap the loader would have refused; nothing further can be walked
            chosen.append(step.key)
            position = step.version
    return [graph.nodes[key] for key in graph.in_order(chosen)]


@dataclass
class OwnershipReport:
    """What ``Project.owners(app)`` returns: the map, and the app it was asked about (None: all)."""

    map: OwnershipMap
    app: str | None = None

    @property
    def objects(self) -> list[SchemaObject]:
        """The objects ``app`` owns (every object when ``app`` is None), as ``OwnershipMap.objects``."""
        return self.map.objects(self.app)

    @property
    def migrations(self) -> list[MigrationRecord]:
        return self.map.migrations(self.app)

    def as_dict(self) -> dict[str, Any]:
        return {**self.map.as_dict(self.app), "cache": self.map.cache}


def _statements(migration: Migration, dialect: str):
    from ..files.splitter import ScriptError, split_statements

    try:
        return [(statement.line, statement.text) for statement in split_statements(migration.sql_up, migration.up_line, dialect)]
    except ScriptError as error:
        raise MigrationFileError(migration.path, error.message, error.line) from None


def _recordings(
    route: list[Migration], store: OwnershipCache, replay: bool, replay_url: str | None, optional: bool, base_dir: Path
) -> tuple[dict[tuple, Any], str | None, str | None]:
    """Each Python migration's recorded statements (cached, or replayed now), where they were
    replayed, and why the ones missing are missing."""
    keys: dict[tuple, str] = {}
    chain: list[tuple[str, str]] = []
    target = replay_url or "sqlite://"
    for migration in route:
        chain.append((migration.label, migration.checksum))
        if migration.kind == "python":
            keys[migration.key] = recording_key(target.split(":", 1)[0], chain)
    found = {key: store.recording(cache_key) for key, cache_key in keys.items()}
    recordings = {key: value for key, value in found.items() if value is not None}
    missing = [key for key, value in found.items() if value is None]
    if not missing:
        return recordings, _places(recordings), None
    if not replay:
        return recordings, None, "not replayed (replay was turned off), so what it did is unknown"
    from .scratch import IN_MEMORY, ReplayFailed, scratch_database
    from .scratch import replay as run_replay

    last = max(index for index, migration in enumerate(route) if migration.key in missing)
    try:
        with scratch_database(replay_url, base_dir, option="--scratch") as backend:
            where = IN_MEMORY if backend.name == "sqlite" else f"a throwaway database on {_server(replay_url or '')}"
            try:
                recorded = run_replay(backend, route[: last + 1], record=missing)
                failure = None
            except ReplayFailed as error:
                recorded = {key: value for key, value in error.recorded.items() if key != error.migration.key}
                failure = f"not replayed: the replay on {where} failed at {error.describe()}"
            dialect = backend.name
    except DatabaseUnavailable as error:
        if not optional:
            raise
        return recordings, None, f"not replayed: {error.message}. Pass --scratch URL (a server where a throwaway database may be created) to replay it"
    for key, statements in recorded.items():
        recordings[key] = store.store_recording(keys[key], where, dialect, [(s.line, s.text) for s in statements])
    return recordings, _places(recordings), failure


def _server(url: str) -> str:
    """The server part of a URL, password masked (the throwaway database's name is random)."""
    from sqlalchemy.engine import make_url

    return make_url(url)._replace(database=None).render_as_string(hide_password=True)


def _places(recordings: dict[tuple, Any]) -> str | None:
    """Where the recordings were made ("SQLite in memory", a masked server URL), for the report."""
    return ", ".join(sorted({on for on, _ in recordings.values()})) or None
