"""Django migrations: one Django app per workload app, each migration a ``RunSQL`` operation.

Idiom: every app is a package with ``migrations/NNNN_slug.py``; a migration lists its app's
previous migration and, every 10th, the other app's migration in ``dependencies`` (what
``makemigrations`` writes). The operation is ``RunSQL(sql, reverse_sql=...)``; with
``--python-migrations`` it is ``RunPython(forwards, backwards)`` calling
``schema_editor.execute``. Phases: ``migrate --plan`` (plan), ``showmigrations`` (status),
``migrate`` (fresh and no-op) and ``squashmigrations APP NNNN`` (which does not verify).
Django applies each migration atomically with its ``django_migrations`` row, like modmig.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

if __package__:
    from measure import Phase
    from workload import Migration, Workload

SETTINGS_MODULE = "benchsettings"
MISSING: dict[str, str] = {}


def database(root: Path) -> Path:
    return root / "django.db"


def write(workload: "Workload", root: Path, python: bool) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "manage.py").write_text(
        "import os, sys\n"
        f"os.environ.setdefault('DJANGO_SETTINGS_MODULE', {SETTINGS_MODULE!r})\n"
        "from django.core.management import execute_from_command_line\n"
        "execute_from_command_line(sys.argv)\n",
        encoding="utf-8",
    )
    (root / f"{SETTINGS_MODULE}.py").write_text(
        "from pathlib import Path\n"
        "SECRET_KEY = 'benchmark'\n"
        "USE_TZ = True\n"
        f"INSTALLED_APPS = {workload.labels!r}\n"
        "DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3',"
        f" 'NAME': str(Path(__file__).resolve().parent / {database(root).name!r})}}}}\n",
        encoding="utf-8",
    )
    for label, history in workload.histories.items():
        folder = root / label / "migrations"
        folder.mkdir(parents=True, exist_ok=True)
        (root / label / "__init__.py").write_text("", encoding="utf-8")
        (folder / "__init__.py").write_text("", encoding="utf-8")
        for migration in history:
            previous = history[migration.number - 2] if migration.number > 1 else None
            text = _migration_file(workload, migration, previous, python)
            (folder / f"{migration.name}.py").write_text(text, encoding="utf-8")


def _migration_file(workload: "Workload", migration: "Migration", previous: "Migration | None", python: bool) -> str:
    dependencies = []
    if previous is not None:
        dependencies.append((migration.app, previous.name))
    for app, number in migration.depends:
        dependencies.append((app, workload.histories[app][number - 1].name))
    lines = ["from django.db import migrations", ""]
    if python:
        lines += [
            "", "def forwards(apps, schema_editor):", f"    schema_editor.execute({migration.sql!r})", "", "",
            "def backwards(apps, schema_editor):", f"    schema_editor.execute({migration.down_sql!r})", "",
        ]
        operation = "migrations.RunPython(forwards, backwards)"
    else:
        operation = f"migrations.RunSQL({migration.sql!r}, reverse_sql={migration.down_sql!r})"
    lines += [
        "",
        "class Migration(migrations.Migration):",
        f"    dependencies = {dependencies!r}",
        f"    operations = [{operation}]",
        "",
    ]
    return "\n".join(lines)


def phases(root: Path, python: str, workload: "Workload") -> dict[str, "Phase | None"]:
    db = database(root)
    manage = [python, "manage.py"]

    def empty() -> None:
        db.unlink(missing_ok=True)

    app = workload.squash_app()
    squash_root = root.parent / "django-squash"

    def fresh_copy() -> None:
        shutil.rmtree(squash_root, ignore_errors=True)
        shutil.copytree(root, squash_root, ignore=shutil.ignore_patterns("*.db", "__pycache__"))

    last = workload.histories[app][-1].name.split("_")[0]
    return {
        "load_plan": Phase("load_plan", [python, __file__, "loadplan", str(root)], root, reported_key="seconds"),
        "plan": Phase("plan", manage + ["migrate", "--plan"], root, setup=empty),
        "status": Phase("status", manage + ["showmigrations"], root, setup=empty),
        "fresh": Phase("fresh", manage + ["migrate"], root, setup=empty),
        "noop": Phase("noop", manage + ["migrate"], root),
        "squash": Phase("squash", manage + ["squashmigrations", app, last, "--noinput"], squash_root, setup=fresh_copy),
    }


def load_plan(root: Path) -> dict:
    """Child: Django's loader + graph + plan for every leaf, after ``django.setup()``."""
    sys.path.insert(0, str(root))
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    import django

    django.setup()
    from django.db.migrations.executor import MigrationExecutor

    clock = time.perf_counter()
    executor = MigrationExecutor(None)  # no connection: nothing applied, no database read
    loaded = time.perf_counter()
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    done = time.perf_counter()
    return {"seconds": done - clock, "load_s": loaded - clock, "plan_s": done - loaded, "steps": len(plan)}


if __name__ == "__main__":
    print(json.dumps(load_plan(Path(sys.argv[2]))))
