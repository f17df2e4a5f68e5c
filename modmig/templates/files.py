"""The project's files as one fingerprint, read once per distinct content.

A template stands for "these migration files, moved this way", so its key starts with a digest
of everything that decides what migrating does: ``modmig.yaml`` and every file in every app's
``migrations/`` folder, by name and by bytes. The digest is taken for every test (about 13 ms
for 1,000 files; a test that edits a migration file gets a new fingerprint, so a template is
never used stale). Parsing the files (about 30 ms more) happens once per fingerprint: the
tests' Projects share the parsed histories, which nothing modifies.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from ..config import ProjectConfig, load_config
from ..errors import ModmigError
from ..files.loader import AppHistory, load_apps, migrations_folder


@dataclass(frozen=True)
class ProjectFiles:
    """A project's configuration and migration files, as read at one moment."""

    config: ProjectConfig
    #: Hex digest of the configuration and every migration file.
    fingerprint: str
    #: The parsed files; None when they do not parse (the Project then reports why, when used).
    histories: dict[str, AppHistory] | None


class FileReader:
    """Reads a project's files for each test; parses each distinct content once."""

    def __init__(self) -> None:
        self._parsed: dict[tuple[Path, str], ProjectFiles] = {}

    def read(self, config_path: Path) -> ProjectFiles:
        config = load_config(config_path)
        found = fingerprint(config)
        key = (config.path, found)
        if key not in self._parsed:
            try:
                histories: dict[str, AppHistory] | None = load_apps(config.apps, config.path)
            except ModmigError:
                histories = None
            self._parsed[key] = ProjectFiles(config, found, histories)
        return self._parsed[key]


def fingerprint(config: ProjectConfig) -> str:
    """Digest of ``modmig.yaml`` and of every file in every app's migrations folder."""
    digest = hashlib.sha256(config.path.read_bytes())
    for label in sorted(config.apps):
        digest.update(b"\0app\0" + label.encode())
        try:
            folder = migrations_folder(config.apps[label], config.path)
        except ModmigError:
            continue  # the Project reports the missing folder when it is used
        with os.scandir(folder) as entries:
            files = sorted((entry.name, entry.path) for entry in entries if entry.is_file())
        for name, path in files:
            with open(path, "rb") as handle:
                content = handle.read()
            digest.update(b"\0file\0%s\0%d\0" % (name.encode(), len(content)))
            digest.update(content)
    return digest.hexdigest()
