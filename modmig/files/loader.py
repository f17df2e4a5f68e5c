"""Find every app's migration files and check that each app's history is linear.

The loader turns folders into ``AppHistory`` objects. It reads files (they are needed for their
checksums anyway) but never imports a Python migration and never opens a database. Checking
dependencies *between* apps is the graph's job, not the loader's.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from ..errors import ConfigError, DuplicateVersion, MigrationFileError, SameMigrationTwice, VersionGap
from ..model import AppSource, Migration
from .naming import MIGRATION_FILE, why_not_a_migration
from .pyfile import read_python_migration
from .sqlfile import read_sql_migration

MIGRATIONS_FOLDER = "migrations"
_READERS = {"sql": read_sql_migration, "py": read_python_migration}


@dataclass
class AppHistory:
    """One app's migrations, in version order.

    ``migrations`` holds the ordinary files; ``squashes`` the squash files, each standing for a
    range of versions (see docs/squash.md). ``base`` is the version just below the first file:
    0 normally, higher when old files were pruned.
    """

    app: str
    folder: Path
    migrations: list[Migration] = field(default_factory=list)
    squashes: list[Migration] = field(default_factory=list)
    #: Files that look like migrations but are not read as one, with the reason: status, upgrade
    #: and check name them, so a misnamed file is never silently skipped.
    ignored: list[tuple[Path, str]] = field(default_factory=list)

    # base and latest are asked once per migration while planning: the ordinary files are in
    # version order, so only their ends and the (few) squashes need looking at, not every file.

    @property
    def base(self) -> int:
        firsts = [s.first_version for s in self.squashes]
        if self.migrations:
            firsts.append(self.migrations[0].first_version)
        return min(firsts) - 1 if firsts else 0

    @property
    def latest(self) -> int:
        lasts = [s.version for s in self.squashes]
        if self.migrations:
            lasts.append(self.migrations[-1].version)
        return max(lasts) if lasts else 0

    def covering(self, version: int) -> list[Migration]:
        """Every file whose range contains ``version``: its original and the squashes over it."""
        found = [squash for squash in self.squashes if squash.first_version <= version <= squash.version]
        original = self.get(version)
        return ([original] if original is not None else []) + found

    def ending_at(self, version: int) -> Migration | None:
        """The file that leaves the app at ``version``: the original, else a squash ending there."""
        original = self.get(version)
        if original is not None:
            return original
        return next((squash for squash in reversed(self.squashes) if squash.version == version), None)

    def get(self, version: int) -> Migration | None:
        """The ordinary migration for ``version`` (None if pruned or out of range)."""
        index = version - (self.migrations[0].version if self.migrations else 0)
        if self.migrations and 0 <= index < len(self.migrations):
            return self.migrations[index]
        return None


def migrations_folder(source: AppSource, config_path: Path | None = None) -> Path:
    """Where ``source``'s migrations live; a ConfigError says what is missing."""
    if source.package is not None:
        folder = _package_folder(source.package, source.label)
    else:
        folder = source.folder  # type: ignore[assignment]
        if not folder.is_dir():
            raise ConfigError(f"app {source.label!r}: folder {folder} does not exist", config_path)
    migrations = folder / MIGRATIONS_FOLDER
    if not migrations.is_dir():
        raise ConfigError(
            f"app {source.label!r}: no {MIGRATIONS_FOLDER}/ folder in {folder} (create it, or add a "
            f"first migration with 'modmig new {source.label} initial')",
            config_path,
        )
    return migrations


def load_app(source: AppSource, config_path: Path | None = None) -> AppHistory:
    folder = migrations_folder(source, config_path)
    ignored: list[tuple[Path, str]] = []
    history = build_history(source.label, folder, _read_folder(source.label, folder, ignored))
    history.ignored = ignored
    return history


def load_apps(apps: Mapping[str, AppSource], config_path: Path | None = None) -> dict[str, AppHistory]:
    """Every configured app's history, keyed by label in sorted order."""
    return {label: load_app(apps[label], config_path) for label in sorted(apps)}


def build_history(app: str, folder: Path, found: Iterable[Migration]) -> AppHistory:
    """Sort ``found`` into an AppHistory, rejecting duplicate versions and gaps."""
    history = AppHistory(app, folder)
    by_version: dict[int, list[Migration]] = {}
    for migration in sorted(found, key=lambda m: (m.version, m.name)):
        if migration.replaces_from is not None:
            history.squashes.append(migration)
            continue
        by_version.setdefault(migration.version, []).append(migration)
    conflicts = {v: [m.path for m in files] for v, files in sorted(by_version.items()) if len(files) > 1}
    for version, paths in conflicts.items():
        stems = [path.stem for path in paths]
        twice = next((stem for stem in stems if stems.count(stem) > 1), None)
        if twice is not None:
            raise SameMigrationTwice(app, [path for path in paths if path.stem == twice])
    if conflicts:
        version, paths = next(iter(conflicts.items()))
        raise DuplicateVersion(app, version, paths, others=sorted(conflicts)[1:])
    history.migrations = [by_version[v][0] for v in sorted(by_version)]
    history.squashes.sort(key=lambda m: (m.first_version, m.version))
    _check_contiguous(history)
    return history


def _check_contiguous(history: AppHistory) -> None:
    """Every version from the first file to the last is covered by a file or a squash."""
    spans = sorted(
        [(m.version, m.version, m) for m in history.migrations]
        + [(m.first_version, m.version, m) for m in history.squashes],
        key=lambda span: (span[0], span[1]),
    )
    if not spans:
        return
    covered = spans[0][0] - 1
    for first, last, migration in spans:
        if first > covered + 1:
            raise VersionGap(history.app, covered + 1, migration.path)
        covered = max(covered, last)


def _read_folder(app: str, folder: Path, ignored: list[tuple[Path, str]] | None = None) -> list[Migration]:
    # os.scandir and sorting names (not Path objects) matter at 10,000 files: Path comparisons
    # and a stat per file were a third of the load time. DirEntry.is_file follows symlinks like
    # Path.is_file, but needs no stat when the directory entry already says what it is.
    candidates = []
    ignored = [] if ignored is None else ignored
    with os.scandir(folder) as entries:
        for entry in entries:
            if MIGRATION_FILE.match(entry.name):
                candidates.append((entry.name, entry))
                continue
            reason = why_not_a_migration(entry.name)
            if reason is not None:
                ignored.append((folder / entry.name, reason))
    candidates.sort()
    ignored.sort()
    found = []
    for name, entry in candidates:
        if not entry.is_file():
            if entry.is_symlink() and not os.path.exists(entry.path):
                ignored.append((folder / name, f"it is a symbolic link to {os.readlink(entry.path)}, which does not exist"))
            else:
                ignored.append((folder / name, "it is not a regular file"))
            continue
        match = MIGRATION_FILE.match(name)
        path = folder / name
        number = int(match.group("number"))
        if number < 1:
            raise MigrationFileError(path, "migration numbers start at 1 (0001_...)")
        with open(entry.path, "rb") as handle:
            data = handle.read()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise MigrationFileError(path, f"not UTF-8 text ({error.reason} at byte {error.start})") from None
        reader = _READERS[match.group("ext")]
        found.append(reader(app, number, name.rsplit(".", 1)[0], path, text))
    return found


def _package_folder(package: str, label: str) -> Path:
    """The folder of an importable package, found without running its ``__init__``."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError) as error:
        raise ConfigError(f"app {label!r}: cannot find package {package!r} ({error})") from None
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            f"app {label!r}: package {package!r} is not importable here (is it installed in this "
            f"environment?)"
        )
    return Path(list(spec.submodule_search_locations)[0])
