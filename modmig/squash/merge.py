"""``modmig merge APP``: renumber the migrations two branches each added under one version.

Two branches that each added ``blog/0004_*`` leave two files claiming version 4; every command
refuses to run until they are renumbered. For each conflicted version, in order:

* one file keeps the number: the one the configured database applied, else the one added first
  in git history, else the first by name (git is only consulted for this, and only if the project
  is a git checkout with ``git`` installed);
* the others follow it (``0005_*``, ``0006_*``), and every later file of the app moves up as well;
* every dependency in other apps on a renumbered version is rewritten: one on the conflicted
  version points at the highest version of the merged group (depending on a later version is
  always safe), one on a later version follows that file to its new number.

Merge only renames and edits files; it never writes to a database. A database elsewhere that
applied a migration merge renumbered is recognised by ``verify`` (RenumberedMigration) and fixed
with ``modmig repair APP --renumbered``.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..errors import UsageError, show_path
from ..files.loader import migrations_folder
from ..files.naming import MIGRATION_FILE
from ..files.sqlfile import _DIRECTIVE
from ..model import DatabaseState, Migration

if TYPE_CHECKING:
    from ..config import ProjectConfig

#: Reads the configured database's state; None when there is none or it cannot be read (merge
#: only uses it to decide better, never to refuse).
StateReader = Callable[[], "DatabaseState | None"]


@dataclass
class MergeResult:
    app: str
    #: (old path, new path) of every renamed file, in version order.
    renamed: list[tuple[Path, Path]] = field(default_factory=list)
    #: (file, old dependency, new dependency) for every rewritten dependency in other apps.
    rewritten: list[tuple[Path, str, str]] = field(default_factory=list)
    #: Why each conflicted version's keeper kept its number: (version, file, reason).
    kept: list[tuple[int, Path, str]] = field(default_factory=list)
    #: Rewritten files whose migration the configured database has applied: their checksum changed.
    applied_rewritten: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "app": self.app,
            "kept": [{"version": v, "path": show_path(p), "reason": r} for v, p, r in self.kept],
            "renamed": [{"from": show_path(a), "to": show_path(b)} for a, b in self.renamed],
            "rewritten": [{"path": show_path(p), "from": a, "to": b} for p, a, b in self.rewritten],
            "applied_rewritten": self.applied_rewritten,
        }


def merge(config: "ProjectConfig", app: str, read_state: StateReader) -> MergeResult:
    """Renumber ``app``'s conflicting migrations and rewrite dependencies on them.

    The caller re-reads the files afterwards (they were renamed and edited).
    """
    from ..files.loader import _read_folder, load_app

    source = config.apps[app]
    folder = migrations_folder(source, config.path)
    found = [m for m in _read_folder(app, folder) if not m.is_squash]
    by_version: dict[int, list[Migration]] = {}
    for migration in found:
        by_version.setdefault(migration.version, []).append(migration)
    conflicts = sorted(v for v, files in by_version.items() if len(files) > 1)
    if not conflicts:
        raise UsageError(f"App {app!r} has no two migrations with one version: nothing to merge.")
    squashes = [m for m in _read_folder(app, folder) if m.is_squash and m.version >= conflicts[0]]
    if squashes:
        raise UsageError(
            f"Cannot merge {app!r}: {show_path(squashes[0].path)} squashes versions at or after the conflict at "
            f"{conflicts[0]:04d}. Renumber by hand, or delete the squash and squash again after merging."
        )
    applied = _applied_names(read_state, app)
    result = MergeResult(app)
    new_version: dict[Path, int] = {}
    group_top: dict[int, int] = {}  # old version -> the version a dependency on it now means
    shift = 0
    for version in sorted(by_version):
        files = by_version[version]
        ordered, reason = _keeper_first(files, applied.get(version), folder)
        if len(files) > 1:
            result.kept.append((version, ordered[0].path, reason))
        for offset, migration in enumerate(ordered):
            new_version[migration.path] = version + shift + offset
        group_top[version] = version + shift + len(files) - 1
        shift += len(files) - 1

    moves = [(path, path.with_name(_renumbered(path.name, number))) for path, number in sorted(new_version.items(), key=lambda i: i[1])]
    moves = [(a, b) for a, b in moves if a != b]
    for old, new in moves:  # through temporary names, so no rename overwrites a file not moved yet
        shutil.move(str(old), str(old.with_name(f".merge-{new.name}")))
    for old, new in moves:
        shutil.move(str(old.with_name(f".merge-{new.name}")), str(new))
    result.renamed = moves

    changed = {old: new for old, new in group_top.items() if new != old}
    if changed:
        _rewrite_dependencies(config, read_state, app, changed, result)
    load_app(source, config.path)  # the app must now load cleanly
    return result


def _keeper_first(files: list[Migration], applied_name: str | None, folder: Path) -> tuple[list[Migration], str]:
    """The group ordered with the file that keeps its number first, and why it keeps it."""
    if len(files) == 1:
        return files, ""
    times = _git_times(files, folder)
    ordered = sorted(files, key=lambda m: (times.get(m.path, float("inf")), m.name))
    keeper = next((m for m in files if m.name == applied_name), None) if applied_name else None
    if keeper is not None:
        return [keeper, *(m for m in ordered if m is not keeper)], "applied to the configured database"
    if times:
        return ordered, "added first in git history"
    return ordered, "first by name: the files have no git history"


def _git_times(files: list[Migration], folder: Path) -> dict[Path, float]:
    """When each file was first committed, from ``git log``; empty without git or a repository."""
    times = {}
    for migration in files:
        try:
            done = subprocess.run(
                ["git", "log", "--diff-filter=A", "--format=%ct", "--", migration.path.name],
                cwd=folder, capture_output=True, text=True, timeout=30,
            )
        except (OSError, subprocess.TimeoutExpired):
            return {}
        if done.returncode != 0:
            return {}
        stamps = [int(line) for line in done.stdout.split() if line.isdigit()]
        if stamps:
            times[migration.path] = min(stamps)
    return times


def _applied_names(read_state: StateReader, app: str) -> dict[int, str]:
    """Version -> name of the file the configured database applied for it (empty without one)."""
    state = read_state()
    if state is None:
        return {}
    current = state.version(app)
    return {version: name for (name_app, version), name in state.names.items() if name_app == app and version <= current}


def _renumbered(name: str, number: int) -> str:
    match = MIGRATION_FILE.match(name)
    return f"{number:04d}_{match.group('slug')}.{match.group('ext')}"


def _rewrite_dependencies(
    config: "ProjectConfig", read_state: StateReader, app: str, changed: dict[int, int], result: MergeResult
) -> None:
    from ..files.loader import _read_folder

    pattern = re.compile(rf"\b{re.escape(app)}\s*:\s*(\d+)\b")
    state = read_state()
    applied: dict[str, int] = dict(state.versions) if state is not None else {}
    for other in sorted(config.apps):
        if other == app:
            continue
        folder = migrations_folder(config.apps[other], config.path)
        for migration in _read_folder(other, folder):
            if not any(d.app == app and d.version in changed for d in migration.dependencies):
                continue
            lines = migration.source.splitlines(keepends=True)
            targets = _dependency_lines(migration, lines)
            for index in targets:
                def replace(match: re.Match) -> str:
                    old = int(match.group(1))
                    if old not in changed:
                        return match.group(0)
                    new = f"{app}:{changed[old]:04d}"
                    result.rewritten.append((migration.path, f"{app}:{old:04d}", new))
                    return new
                lines[index] = pattern.sub(replace, lines[index])
            migration.path.write_text("".join(lines), encoding="utf-8")
            if migration.version <= applied.get(other, 0):
                result.applied_rewritten.append(migration.label)


def _dependency_lines(migration: Migration, lines: list[str]) -> list[int]:
    """Indexes of the lines that declare the migration's dependencies."""
    if migration.kind == "sql":
        return [i for i, line in enumerate(lines) if (m := _DIRECTIVE.match(line)) and m.group("body").lower().startswith("depends")]
    tree = ast.parse(migration.source)
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if any(isinstance(t, ast.Name) and t.id == "dependencies" for t in targets):
            return list(range(node.lineno - 1, node.end_lineno))
    return []
