"""The ownership map's cache: what each statement does, and what each Python migration ran.

One JSON file per dialect, ``.modmig/ownership-<dialect>.json`` beside ``modmig.yaml`` (with a
``.gitignore`` so it is never committed). Delete it whenever you like: the next map is built
from the files again and writes it back.

It can never be used stale, because every entry is keyed by content, not by file name:

* ``files``: a SQL file's dialect and checksum -> each statement's line and effects. An edited
  file has a new checksum, so a new key; a file added or removed changes nothing else's entries.
* ``recordings``: what a Python migration executed when replayed, and its effects. That depends
  on the migration and on everything replayed before it (the database it ran against), so the
  key hashes the label and checksum of every migration up to and including it, in order: editing,
  adding or removing any earlier file (of any app) invalidates it.
* the header: the cache's format, modmig's and sqlglot's versions and the dialect; if any differs,
  the whole file is ignored.

Only the entries the latest map used are written back, so entries of deleted files disappear.
A hit costs no splitting, no parsing and no sqlglot import: that is what makes a cached map of
1,000 migrations cheap.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Callable, Iterable

from ..version import __version__
from .sql_effects import Effect, statement_effects

FOLDER = ".modmig"
FORMAT = 1


def cache_path(root: Path, dialect: str) -> Path:
    """Where the map of a project whose ``modmig.yaml`` is in ``root`` is cached."""
    return root / FOLDER / f"ownership-{dialect}.json"


def recording_key(dialect: str, chain: list[tuple[str, str]]) -> str:
    """The key of a Python migration's recording: ``chain`` is (label, checksum) of every migration
    replayed before it and of itself, in order."""
    digest = hashlib.sha256(dialect.encode())
    for label, checksum in chain:
        digest.update(f"\n{label}\0{checksum}".encode())
    return digest.hexdigest()


#: One statement as the fold reads it: its line, its effects, and its text when the map shows it
#: (a statement with an unknown effect is listed with its text).
Read = tuple["int | None", tuple[Effect, ...], "str | None"]


class OwnershipCache:
    """Statements read, by file and by recording; ``path`` None keeps everything in memory."""

    def __init__(self, path: Path | None, dialect: str, *, read: bool = True) -> None:
        self.path, self.dialect = path, dialect
        self._files: dict[str, list] = {}
        self._recordings: dict[str, Any] = {}
        self._used_files: dict[str, list] = {}
        self._used_recordings: dict[str, Any] = {}
        #: SQL files read this time (not found in the cache) and found in it.
        self.parsed = 0
        self.reused = 0
        #: Python migrations recorded on a scratch database this time, and found recorded.
        self.replayed = 0
        self.recalled = 0
        self._changed = False
        if path is not None and read:
            self._load(path)

    def file(self, checksum: str, statements: Callable[[], Iterable[tuple[int | None, str]]]) -> list[Read]:
        """The statements of the SQL file with ``checksum``; on a miss, ``statements()`` gives them."""
        key = hashlib.sha1(f"{self.dialect}\0{checksum}".encode()).hexdigest()
        stored = self._files.get(key)
        if stored is None:
            self.parsed += 1
            stored = self._files[key] = read_statements(statements(), self.dialect)
            self._changed = True
        else:
            self.reused += 1
        self._used_files[key] = stored
        return _reads(stored)

    def recording(self, key: str) -> tuple[str, list[Read]] | None:
        """Where the recording ``key`` was made and its statements, or None when not recorded."""
        found = self._recordings.get(key)
        if found is None:
            return None
        self.recalled += 1
        self._used_recordings[key] = found
        return found["on"], _reads(found["statements"])

    def store_recording(self, key: str, on: str, dialect: str, statements: Iterable[tuple[int | None, str]]) -> tuple[str, list[Read]]:
        """Keep what a Python migration executed (read in ``dialect``) when replayed ``on`` somewhere."""
        self.replayed += 1
        stored = read_statements(statements, dialect)
        self._used_recordings[key] = self._recordings[key] = {"on": on, "statements": stored}
        self._changed = True
        return on, _reads(stored)

    def save(self) -> bool:
        """Write the entries this map used; False when nothing was written (unchanged, or not writable)."""
        stale = len(self._used_files) != len(self._files) or len(self._used_recordings) != len(self._recordings)
        if self.path is None or not (self._changed or stale):
            return False
        data = {**self._header(), "files": self._used_files, "recordings": self._used_recordings}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            ignore = self.path.parent / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# modmig's cache: safe to delete\n*\n", encoding="utf-8")
            temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            temporary.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError:
            return False  # a read-only checkout: the map is still right, just not cached
        return True

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path) if self.path is not None else None,
            "files_parsed": self.parsed,
            "files_cached": self.reused,
            "python_replayed": self.replayed,
            "python_cached": self.recalled,
        }

    def _header(self) -> dict[str, Any]:
        return {"format": FORMAT, "modmig": __version__, "sqlglot": _sqlglot_version(), "dialect": self.dialect}

    def _load(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # absent or damaged: built again, written again
        if not isinstance(data, dict) or any(data.get(key) != value for key, value in self._header().items()):
            return
        if isinstance(data.get("files"), dict) and isinstance(data.get("recordings"), dict):
            self._files, self._recordings = data["files"], data["recordings"]


def read_statements(statements: Iterable[tuple[int | None, str]], dialect: str) -> list:
    """``[line, [effect...], text or None]`` for each statement: what the cache stores."""
    stored = []
    for line, text in statements:
        effects = statement_effects(text, dialect)
        shown = text if any(effect.action == "unknown" for effect in effects) else None
        stored.append([line, [effect.as_json() for effect in effects], shown])
    return stored


def _reads(stored: list) -> list[Read]:
    return [(line, tuple(Effect.from_json(item) for item in effects), text) for line, effects, text in stored]


def _sqlglot_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sqlglot")
    except PackageNotFoundError:
        return "unknown"
