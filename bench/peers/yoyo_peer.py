"""yoyo-migrations: one source folder per app, dependencies declared in each migration.

Idiom: yoyo migration ids are file names and must be unique across sources, so files are named
``APP_NNNN_slug``. Like ``yoyo new``, each migration depends on its app's previous one, plus, every
10th, on the other app's. SQL migrations spell that ``-- depends: ID ...`` (which yoyo turns into
``__depends__``), with the undo in ``ID.rollback.sql``; with ``--python-migrations`` they are
``.py`` files with ``__depends__`` and ``steps = [step(SQL, UNDO_SQL)]``. yoyo applies each
migration in its own transaction. Phases: ``list`` (status), ``apply --batch`` (fresh and no-op).
yoyo has no plan command and no squash.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

if __package__:
    from measure import Phase
    from workload import Migration, Workload

MISSING = {"plan": "yoyo has no plan command ('list' is its status)", "squash": "yoyo has no squash command"}


def database(root: Path) -> Path:
    return root / "yoyo.db"


def _sources(root: Path, labels: list[str]) -> list[str]:
    return [str(root / "migrations" / label) for label in labels]


def write(workload: "Workload", root: Path, python: bool) -> None:
    root.mkdir(parents=True, exist_ok=True)
    sources = _sources(root, workload.labels)
    (root / "yoyo.ini").write_text(
        "[DEFAULT]\n"
        f"sources = {' '.join(sources)}\n"
        f"database = sqlite:///{database(root)}\n"
        "batch_mode = on\n"
        "verbosity = 0\n",
        encoding="utf-8",
    )
    for label, history in workload.histories.items():
        folder = root / "migrations" / label
        folder.mkdir(parents=True, exist_ok=True)
        for migration in history:
            depends = [_id(workload, migration.app, migration.number - 1)] if migration.number > 1 else []
            depends += [_id(workload, app, number) for app, number in migration.depends]
            name = _id(workload, label, migration.number)
            if python:
                (folder / f"{name}.py").write_text(
                    "from yoyo import step\n\n"
                    f"__depends__ = {set(depends) if depends else set()!r}\n\n"
                    f"steps = [step({migration.sql!r}, {migration.down_sql!r})]\n",
                    encoding="utf-8",
                )
            else:
                header = f"-- depends: {' '.join(depends)}\n" if depends else ""
                (folder / f"{name}.sql").write_text(f"{header}{migration.sql};\n", encoding="utf-8")
                (folder / f"{name}.rollback.sql").write_text(f"{migration.down_sql};\n", encoding="utf-8")


def _id(workload: "Workload", app: str, number: int) -> str:
    migration: Migration = workload.histories[app][number - 1]
    return f"{app}_{migration.name}"


def phases(root: Path, python: str, workload: "Workload") -> dict[str, "Phase | None"]:
    db = database(root)
    yoyo = [python, "-m", "yoyo"]
    config = ["--config", str(root / "yoyo.ini")]

    def empty() -> None:
        db.unlink(missing_ok=True)

    return {
        "load_plan": Phase("load_plan", [python, __file__, "loadplan", str(root)], root, reported_key="seconds"),
        "plan": None,
        "status": Phase("status", yoyo + ["list"] + config, root, setup=empty),
        "fresh": Phase("fresh", yoyo + ["apply", "--batch"] + config, root, setup=empty),
        "noop": Phase("noop", yoyo + ["apply", "--batch"] + config, root),
        "squash": None,
    }


def load_plan(root: Path) -> dict:
    """Child: yoyo reads every source and sorts what ``apply`` would run on an empty database."""
    from yoyo import get_backend, read_migrations

    labels = sorted(p.name for p in (root / "migrations").iterdir())
    backend = get_backend("sqlite://")  # in memory: nothing applied
    clock = time.perf_counter()
    migrations = read_migrations(*_sources(root, labels))
    for migration in migrations:
        migration.load()  # reads the file and its depends (yoyo does this lazily while sorting)
    loaded = time.perf_counter()
    plan = backend.to_apply(migrations)
    done = time.perf_counter()
    return {"seconds": done - clock, "load_s": loaded - clock, "plan_s": done - loaded, "steps": len(plan)}


if __name__ == "__main__":
    print(json.dumps(load_plan(Path(sys.argv[2]))))
