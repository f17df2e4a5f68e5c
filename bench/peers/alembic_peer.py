"""Alembic: one branch per app (its own base, branch label and version folder), ``depends_on`` across.

Idiom (Alembic's "multiple bases" recipe): ``alembic revision --head=base --branch-label=APP
--version-path=versions/APP`` starts each app's branch, and a revision needing another app's
lists it in ``depends_on``. Revision ids are ``APP_NNNN``. Each revision's ``upgrade()`` and
``downgrade()`` run ``op.execute(SQL)`` (also with ``--python-migrations``: an Alembic revision is
Python anyway).

``env.py`` sets ``transaction_per_migration=True``, so each migration and its
``alembic_version`` update commit together, as with modmig, Django and yoyo (Alembic's default is
one transaction around the whole run). Phases: ``upgrade heads --sql`` (the plan, rendered
offline), ``history --indicate-current`` (status: every revision, the applied ones marked),
``upgrade heads`` (fresh and no-op). Alembic has no squash.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

if __package__:
    from measure import Phase
    from workload import Workload

MISSING = {"squash": "Alembic has no squash command"}

_ENV = '''\
from alembic import context
from sqlalchemy import create_engine

config = context.config
url = config.get_main_option("sqlalchemy.url")

if context.is_offline_mode():
    context.configure(url=url, literal_binds=True, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()
'''


def database(root: Path) -> Path:
    return root / "alembic.db"


def write(workload: "Workload", root: Path, python: bool) -> None:
    del python  # an Alembic revision is always Python
    root.mkdir(parents=True, exist_ok=True)
    locations = " ".join(f"%(here)s/versions/{label}" for label in workload.labels)
    (root / "alembic.ini").write_text(
        "[alembic]\n"
        "script_location = %(here)s\n"
        "path_separator = space\n"
        f"version_locations = {locations}\n"
        f"sqlalchemy.url = sqlite:///%(here)s/{database(root).name}\n",
        encoding="utf-8",
    )
    (root / "env.py").write_text(_ENV, encoding="utf-8")
    (root / "script.py.mako").write_text("", encoding="utf-8")
    for label, history in workload.histories.items():
        folder = root / "versions" / label
        folder.mkdir(parents=True, exist_ok=True)
        for migration in history:
            revision = _revision(label, migration.number)
            down = repr(_revision(label, migration.number - 1)) if migration.number > 1 else "None"
            branch = repr((label,)) if migration.number == 1 else "None"
            depends = [_revision(app, number) for app, number in migration.depends]
            (folder / f"{migration.name}.py").write_text(
                f'"""{label} {migration.name}"""\n'
                "from alembic import op\n\n"
                f"revision = {revision!r}\n"
                f"down_revision = {down}\n"
                f"branch_labels = {branch}\n"
                f"depends_on = {tuple(depends) if depends else None!r}\n\n\n"
                "def upgrade():\n"
                f"    op.execute({migration.sql!r})\n\n\n"
                "def downgrade():\n"
                f"    op.execute({migration.down_sql!r})\n",
                encoding="utf-8",
            )


def _revision(label: str, number: int) -> str:
    return f"{label}_{number:04d}"


def phases(root: Path, python: str, workload: "Workload") -> dict[str, "Phase | None"]:
    db = database(root)
    alembic = [python, "-m", "alembic", "-c", str(root / "alembic.ini")]

    def empty() -> None:
        db.unlink(missing_ok=True)

    return {
        "load_plan": Phase("load_plan", [python, __file__, "loadplan", str(root)], root, reported_key="seconds"),
        "plan": Phase("plan", alembic + ["upgrade", "heads", "--sql"], root, setup=empty),
        "status": Phase("status", alembic + ["history", "--indicate-current"], root, setup=empty),
        "fresh": Phase("fresh", alembic + ["upgrade", "heads"], root, setup=empty),
        "noop": Phase("noop", alembic + ["upgrade", "heads"], root),
        "squash": None,
    }


def load_plan(root: Path) -> dict:
    """Child: Alembic's script directory + revision map + the steps ``upgrade heads`` would run."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    clock = time.perf_counter()
    script = ScriptDirectory.from_config(Config(str(root / "alembic.ini")))
    script.revision_map.heads  # noqa: B018 - builds the revision map (reads every file)
    loaded = time.perf_counter()
    steps = script._upgrade_revs("heads", ())  # what MigrationContext.run_migrations asks for
    done = time.perf_counter()
    return {"seconds": done - clock, "load_s": loaded - clock, "plan_s": done - loaded, "steps": len(steps)}


if __name__ == "__main__":
    print(json.dumps(load_plan(Path(sys.argv[2]))))
