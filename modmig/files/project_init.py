"""``modmig init``: write a first ``modmig.yaml`` from the ``migrations/`` folders already there.

Every folder (up to a few levels down, skipping hidden folders, virtualenvs and build output) that
contains a ``migrations/`` folder becomes an app named after it. The file is written once: an
existing ``modmig.yaml`` is never overwritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..config import CONFIG_NAME
from ..errors import ConfigError
from .loader import MIGRATIONS_FOLDER
from ..model import APP_LABEL

DEFAULT_DATABASE = "sqlite:///app.db"
MAX_DEPTH = 4
_SKIP = {"node_modules", "__pycache__", "site-packages", "build", "dist", "venv", "htmlcov"}
_USER_VERSION = re.compile(r"PRAGMA\s+user_version\s*=", re.IGNORECASE)


@dataclass(frozen=True)
class FoundApp:
    label: str
    #: The app folder, relative to the project root (``.`` when the root itself has migrations/).
    folder: Path
    #: True when its SQL files set ``PRAGMA user_version`` (the numbered-files pattern).
    user_version_files: bool = False


def find_apps(root: Path) -> list[FoundApp]:
    """Folders under ``root`` that contain a ``migrations/`` folder, labelled uniquely, sorted."""
    folders = sorted(_walk(root, 0))
    found: list[FoundApp] = []
    taken: set[str] = set()
    for folder in folders:
        relative = folder.relative_to(root)
        label = _label(relative.parts or (root.name,), taken)
        taken.add(label)
        found.append(FoundApp(label, relative, _uses_user_version(folder / MIGRATIONS_FOLDER)))
    return sorted(found, key=lambda app: app.label)


def config_text(apps: list[FoundApp], database: str) -> str:
    lines = [
        "# Written by 'modmig init'. Reference: docs/configuration.md",
        f"database: {database}   # a SQLAlchemy URL; --database and $MODMIG_DATABASE_URL override it",
    ]
    if not apps:
        lines += ["apps: {}   # add apps as  label: path/to/folder  (its migrations live in folder/migrations/)"]
    else:
        lines.append("apps:")
        lines += [f"  {app.label}: {app.folder.as_posix()}" for app in apps]
    return "\n".join(lines) + "\n"


def write_config(root: Path, apps: list[FoundApp], database: str) -> Path:
    """Write ``root/modmig.yaml``; a ConfigError if one is there already."""
    path = root / CONFIG_NAME
    if path.exists():
        raise ConfigError(f"{CONFIG_NAME} already exists; 'modmig init' never overwrites it. Edit it, or remove it first.", path)
    path.write_text(config_text(apps, database), encoding="utf-8")
    return path


def _walk(folder: Path, depth: int):
    if (folder / MIGRATIONS_FOLDER).is_dir():
        yield folder
    if depth >= MAX_DEPTH:
        return
    try:
        children = sorted(child for child in folder.iterdir() if child.is_dir())
    except OSError:
        return
    for child in children:
        if child.name.startswith(".") or child.name in _SKIP or child.name == MIGRATIONS_FOLDER:
            continue
        if (child / "pyvenv.cfg").exists():
            continue  # a virtualenv: its packages' migrations are not this project's
        yield from _walk(child, depth + 1)


def _label(parts: tuple[str, ...], taken: set[str]) -> str:
    """The folder's name as an app label; with its parents' names when that one is taken."""
    for size in range(1, len(parts) + 1):
        label = _clean("_".join(parts[-size:]))
        if label not in taken:
            return label
    index = 2
    while f"{label}_{index}" in taken:
        index += 1
    return f"{label}_{index}"


def _clean(name: str) -> str:
    label = re.sub(r"[^a-z0-9_]", "_", name.lower())[:64] or "app"
    return label if APP_LABEL.match(label) else f"_{label}"[:64]


def _uses_user_version(migrations: Path) -> bool:
    for path in sorted(migrations.glob("*.sql"))[:50]:
        try:
            if _USER_VERSION.search(path.read_text(encoding="utf-8", errors="replace")):
                return True
        except OSError:
            continue
    return False
