"""The ownership map's cache: what each statement does, and what each Python migration ran.

One JSON file per dialect, ``.modmig/ownership-<dialect>.json`` beside ``modmig.yaml`` (with a
``.gitignore`` so it is never committed). Delete it whenever you like: the next map is built
from the files again and writes it back.

It can never be used stale, because every entry is keyed by content, not by file name:

* ``effects``: the SHA-1 of a statement's dialect and text -> its effects. An edited file has new
  statements, so new keys; a file added or removed changes nothing else's entries.
* ``recordings``: what a Python migration executed when replayed. That depends on the migration
  and on everything replayed before it (the database it ran against), so the key hashes the
  label and checksum of every migration up to and including it, in order: editing, adding or
  removing any earlier file (of any app) invalidates it.
* the header: the cache's format, modmig's and sqlglot's versions and the dialect; if any differs,
  the whole file is ignored.

Only the entries the latest map used are written back, so entries of deleted files disappear.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

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


class OwnershipCache:
    """Effects by statement and recordings by chain; ``path`` None keeps everything in memory."""

    def __init__(self, path: Path | None, dialect: str, *, read: bool = True) -> None:
        self.path, self.dialect = path, dialect
        self._effects: dict[str, list] = {}
        self._recordings: dict[str, Any] = {}
        self._used_effects: dict[str, list] = {}
        self._used_recordings: dict[str, Any] = {}
        #: Statements read this time (not found in the cache) and found in it.
        self.parsed = 0
        self.reused = 0
        #: Python migrations recorded on a scratch database this time, and found recorded.
        self.replayed = 0
        self.recalled = 0
        self._changed = False
        if path is not None and read:
            self._load(path)

    def effects(self, text: str, dialect: str | None = None) -> tuple[Effect, ...]:
        """What ``text`` does (read in ``dialect``, by default the map's), from the cache if there."""
        dialect = dialect or self.dialect
        key = hashlib.sha1(f"{dialect}\0{text}".encode()).hexdigest()
        stored = self._effects.get(key)
        if stored is not None:
            self.reused += 1
            self._used_effects[key] = stored
            return tuple(Effect.from_json(item) for item in stored)
        found = statement_effects(text, dialect)
        self.parsed += 1
        self._used_effects[key] = self._effects[key] = [effect.as_json() for effect in found]
        self._changed = True
        return found

    def recording(self, key: str) -> Any | None:
        found = self._recordings.get(key)
        if found is not None:
            self.recalled += 1
            self._used_recordings[key] = found
        return found

    def store_recording(self, key: str, value: Any) -> None:
        self.replayed += 1
        self._used_recordings[key] = self._recordings[key] = value
        self._changed = True

    def save(self) -> bool:
        """Write the entries this map used; False when nothing was written (unchanged, or not writable)."""
        stale = len(self._used_effects) != len(self._effects) or len(self._used_recordings) != len(self._recordings)
        if self.path is None or not (self._changed or stale):
            return False
        data = {**self._header(), "effects": self._used_effects, "recordings": self._used_recordings}
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
            "statements_parsed": self.parsed,
            "statements_cached": self.reused,
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
        if isinstance(data.get("effects"), dict) and isinstance(data.get("recordings"), dict):
            self._effects, self._recordings = data["effects"], data["recordings"]


def _sqlglot_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sqlglot")
    except PackageNotFoundError:
        return "unknown"
