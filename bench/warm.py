"""Warm the page cache before each timed run, so every figure is a warm-cache figure.

Some machines reclaim idle page cache aggressively (this one runs DAMON reclaim, which evicts
files nobody touched for a few seconds): the 10,000 migration files written a minute earlier,
or SQLAlchemy's bytecode last read before a 50-second upgrade, come back from disk, and a
0.22 s load becomes 0.8 s. Before each timed run the benchmark therefore reads the tool's
project folder (files and database) and imports, in a throwaway process, the modules the tool
is about to import. What remains is the tool's own work, the same way for every tool.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Sequence

from measure import run_child

#: Modules each tool's commands import (their files are read into the page cache beforehand).
IMPORTS = {
    "modmig": ["modmig.cli", "modmig.api", "modmig.run.executor", "modmig.run.status", "modmig.cli.output",
               "modmig.run.backends.sqlite", "sqlalchemy.dialects.sqlite", "sqlparse", "yaml"],
    "floor": ["sqlite3", "json", "hashlib", "getpass", "socket"],
    "django": ["django.core.management", "django.db.migrations.executor", "django.db.backends.sqlite3.base",
               "django.core.management.commands.migrate", "django.core.management.commands.squashmigrations"],
    "alembic": ["alembic.config", "alembic.command", "alembic.script", "sqlalchemy.dialects.sqlite", "mako.template"],
    "yoyo": ["yoyo.scripts.main", "yoyo.backends", "yoyo.migrations", "sqlparse", "tabulate"],
}


def read_tree(root: Path) -> None:
    """Read every file under ``root`` (or ``root`` itself), discarding the bytes."""
    if root.is_file():
        with open(root, "rb") as handle:
            while handle.read(1 << 20):
                pass
        return
    for folder, _, files in os.walk(root):
        for name in files:
            with open(os.path.join(folder, name), "rb") as handle:
                while handle.read(1 << 20):
                    pass


def warmer(python: str, tool: str, roots: Sequence[Path], cwd: Path) -> Callable[[], None]:
    """What to run (untimed) before each timed run of ``tool``."""
    modules = [m for m in IMPORTS.get(tool, []) if m]
    code = "import importlib\nfor m in %r:\n    try:\n        importlib.import_module(m)\n    except ImportError:\n        pass\n" % modules

    def warm() -> None:
        for root in roots:
            if root.exists():
                read_tree(root)
        if modules:
            run_child([python, "-c", code], cwd)

    return warm
