"""What ``makemigrations`` returns: per app, the changes its models ask for and the file written.

Plain data with ``as_dict()`` for ``--json`` (schema ``modmig/schemas/makemigrations.schema.json``);
the work itself is ``makemigrations.py``'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .changes import Change, Requirement


@dataclass
class GeneratedMigration:
    """A migration file makemigrations wrote (or, with --dry-run, would write)."""

    app: str
    name: str
    path: Path
    kind: str  # "sql" or "python"
    text: str
    requirements: list[Requirement] = field(default_factory=list)
    written: bool = False

    @property
    def label(self) -> str:
        return f"{self.app}:{self.name}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "name": self.name,
            "path": str(self.path),
            "kind": self.kind,
            "written": self.written,
            "depends": [{"app": r.app, "version": r.version, "reason": r.reason} for r in self.requirements],
            "text": self.text,
        }


@dataclass
class AppChanges:
    """What one app's models ask for, and the migration written for it (None when nothing changed)."""

    app: str
    changes: list[Change] = field(default_factory=list)
    migration: GeneratedMigration | None = None
    #: ``table.old:new`` renames applied instead of a drop and an add.
    renames: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "app": self.app,
            "changed": bool(self.changes),
            "changes": [change.as_dict() for change in self.changes],
            "renames": list(self.renames),
            "migration": self.migration.as_dict() if self.migration is not None else None,
        }


@dataclass
class MakemigrationsResult:
    """What ``Project.makemigrations`` returns."""

    #: ``"write"``, ``"dry-run"`` or ``"check"``.
    mode: str
    dialect: str
    #: Where the migrations were replayed: ``SQLite in memory`` or a masked server URL.
    scratch: str
    apps: list[AppChanges] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when some app's models and migrations differ."""
        return any(app.changes for app in self.apps)

    @property
    def migrations(self) -> list[GeneratedMigration]:
        return [app.migration for app in self.apps if app.migration is not None]

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "dialect": self.dialect,
            "scratch": self.scratch,
            "changed": self.changed,
            "apps": [app.as_dict() for app in self.apps],
        }
