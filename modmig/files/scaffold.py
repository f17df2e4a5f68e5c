"""Write an app's next numbered migration file: from a template (``modmig new``) or generated text."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import ConfigError, UsageError
from .checksum import checksum
from .loader import MIGRATIONS_FOLDER, load_app, migrations_folder
from ..model import AppSource, Migration

SLUG = re.compile(r"[a-z0-9][a-z0-9_]*\Z")

SQL_TEMPLATE = """\
-- {app}:{name}
-- Directives go in this leading comment block, for example a line reading
-- "-- modmig: depends users:0002" or "-- modmig: transaction off".

-- Write the upgrade here.

-- modmig: down
-- Write what undoes it here (delete the down section if it cannot be undone).
"""

PYTHON_TEMPLATE = '''\
"""{app}:{name}"""

dependencies = []  # e.g. ["users:0002"]: versions of other apps this needs first
transaction = True


def upgrade(ctx):
    # ctx.execute(sql, params=None), ctx.connection, ctx.dialect, ctx.app, ctx.version
    pass


def downgrade(ctx):
    # Delete this function if the migration cannot be undone.
    pass
'''


def new_migration(source: AppSource, slug: str, *, python: bool, config_path: Path | None) -> Path:
    """Create ``<app>/migrations/NNNN_<slug>.sql|.py`` numbered after the app's latest."""
    _checked(slug)
    folder, number = next_migration(source, config_path)
    name = f"{number:04d}_{slug}"
    path = folder / f"{name}.{'py' if python else 'sql'}"
    template = PYTHON_TEMPLATE if python else SQL_TEMPLATE
    path.write_text(template.format(app=source.label, name=name), encoding="utf-8")
    return path


def next_migration(source: AppSource, config_path: Path | None, *, create: bool = True) -> tuple[Path, int]:
    """The app's migrations folder and the number its next file gets (1 in a new folder).

    An app folder without ``migrations/`` gets one (unless ``create`` is False: then the folder
    it would be is returned all the same).
    """
    try:
        return migrations_folder(source, config_path), load_app(source, config_path).latest + 1
    except ConfigError:
        if source.folder is None or not source.folder.is_dir():
            raise
        folder = source.folder / MIGRATIONS_FOLDER
        if create:
            folder.mkdir()
        return folder, 1


def write_migration(folder: Path, name: str, extension: str, text: str) -> Path:
    """Write a migration file ``makemigrations`` generated; never over an existing one."""
    _checked(name.split("_", 1)[1] if "_" in name else name)
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.{extension}"
    with open(path, "x", encoding="utf-8") as handle:
        handle.write(text)
    return path


def _checked(slug: str) -> str:
    if not SLUG.match(slug):
        raise UsageError(
            f"Invalid slug {slug!r}: use lowercase letters, digits and _ (e.g. add_tags)."
        )
    return slug


def is_untouched_template(migration: Migration) -> bool:
    """True when the file is still exactly what ``modmig new`` wrote for it."""
    template = PYTHON_TEMPLATE if migration.kind == "python" else SQL_TEMPLATE
    return migration.checksum == checksum(template.format(app=migration.app, name=migration.name))
