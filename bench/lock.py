"""What the lease lock costs over the session lock: ``python bench/lock.py [--migrations 100] [--runs 5]``.

Issue 14's budget: the lease (a row in ``_schema_lock``, claimed, renewed by a heartbeat and
verified by the fence before every step's commit) adds < 5 ms per migration and < 50 ms per run
over today's lock (``pg_try_advisory_lock``, ``GET_LOCK``, ``flock``). The floor is that session
lock, measured in the same run on the same database server.

On each backend (SQLite; PostgreSQL and MariaDB when their servers answer), for each lock, the
median of ``--runs`` runs, in-process, after imports, each on a fresh database:

* **fresh**: ``Project.upgrade()`` applying ``--migrations`` one-statement migrations (the fence
  runs once per migration);
* **noop**: ``Project.upgrade()`` with nothing to apply, from a newly loaded project (taking and
  releasing the lock, reading the state: the cost per run).

Per run = noop(lease) - noop(session lock); per migration = (fresh(lease) - fresh(session lock)
- per run) / migrations. It prints a Markdown table and writes every figure to ``--output``
(JSON). See docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError

from modmig.api import Project

SERVERS = {
    "postgresql": os.environ.get("MODMIG_TEST_POSTGRES_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    "mysql": os.environ.get("MODMIG_TEST_MYSQL_URL") or "mysql+pymysql://root@127.0.0.1:3306/",
}
LOCKS = ("advisory", "lease")
PER_MIGRATION_MS, PER_RUN_MS = 5.0, 50.0


class Database:
    """A fresh database on ``backend`` for one run, dropped afterwards."""

    def __init__(self, backend: str, folder: Path) -> None:
        self.backend, self.folder = backend, folder
        self.admin = None if backend == "sqlite" else create_engine(SERVERS[backend], isolation_level="AUTOCOMMIT")

    def __enter__(self) -> str:
        self.name = f"modmig_bench_{uuid.uuid4().hex[:10]}"
        if self.admin is None:
            return f"sqlite:///{self.folder / (self.name + '.db')}"
        quote = '"' if self.backend == "postgresql" else "`"
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {quote}{self.name}{quote}")
        return self.admin.url.set(database=self.name).render_as_string(hide_password=False)

    def __exit__(self, *exc_info) -> None:
        if self.admin is None:
            return
        drop = f'DROP DATABASE "{self.name}" WITH (FORCE)' if self.backend == "postgresql" else f"DROP DATABASE `{self.name}`"
        with self.admin.connect() as connection:
            connection.exec_driver_sql(drop)


def write_project(folder: Path, url: str, lock: str, migrations: int) -> Path:
    app = folder / "apps" / "app" / "migrations"
    app.mkdir(parents=True, exist_ok=True)
    for number in range(1, migrations + 1):
        (app / f"{number:04d}_t{number}.sql").write_text(f"CREATE TABLE t{number} (id INTEGER PRIMARY KEY);\n")
    config = folder / "modmig.yaml"
    config.write_text(f"database: {url}\napps:\n  app: apps/app\nlock: {lock}\n")
    return config


def one_run(backend: str, lock: str, migrations: int, workdir: Path) -> dict[str, float]:
    """(fresh, noop) seconds on a fresh database."""
    folder = Path(tempfile.mkdtemp(dir=workdir))
    with Database(backend, folder) as url:
        config = write_project(folder, url, lock, migrations)
        project = Project.load(config)
        assert project.backend.profile().lock == lock
        started = time.perf_counter()
        done = project.upgrade().steps_done
        fresh = time.perf_counter() - started
        project.close()
        assert done == migrations, done
        project = Project.load(config)
        started = time.perf_counter()
        project.upgrade()
        noop = time.perf_counter() - started
        project.close()
    return {"fresh": fresh, "noop": noop}


def available(backend: str) -> str | None:
    """None when the backend can be measured, else why not."""
    if backend == "sqlite":
        return None
    try:
        engine = create_engine(SERVERS[backend], connect_args={"connect_timeout": 5})
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        engine.dispose()
    except (DBAPIError, ImportError) as error:
        return " ".join(str(getattr(error, "orig", error)).split())[:200]
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/lock.py", description=__doc__.splitlines()[0])
    parser.add_argument("--migrations", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backends", default="sqlite,postgresql,mysql")
    parser.add_argument("--output", type=Path, default=Path("bench-lock.json"))
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="modmig-bench-lock-"))
    results: dict = {"migrations": args.migrations, "runs": args.runs, "backends": {}, "python": sys.version.split()[0]}
    print(f"{args.migrations} migrations, median of {args.runs} runs, in-process (start-up excluded)\n")
    print("| backend | lock | fresh upgrade (ms) | no-op upgrade (ms) | lease: + per run (ms) | lease: + per migration (ms) |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    met = True
    for backend in args.backends.split(","):
        why_not = available(backend)
        if why_not is not None:
            results["backends"][backend] = {"status": "skipped", "reason": why_not}
            print(f"| {backend} | skipped: {why_not} | | | | |")
            continue
        medians = {}
        for lock in LOCKS:
            one_run(backend, lock, 5, workdir)  # warm-up: imports, server caches
            runs = [one_run(backend, lock, args.migrations, workdir) for _ in range(args.runs)]
            medians[lock] = {phase: statistics.median(run[phase] for run in runs) * 1000 for phase in ("fresh", "noop")}
        per_run = medians["lease"]["noop"] - medians["advisory"]["noop"]
        per_migration = (medians["lease"]["fresh"] - medians["advisory"]["fresh"] - per_run) / args.migrations
        ok = per_run < PER_RUN_MS and per_migration < PER_MIGRATION_MS
        met = met and ok
        results["backends"][backend] = {
            "status": "ok", "medians_ms": medians, "lease_per_run_ms": per_run,
            "lease_per_migration_ms": per_migration, "met": ok,
        }
        for lock in LOCKS:
            extra = f"{per_run:+.1f} | {per_migration:+.2f}" if lock == "lease" else "(floor) | (floor)"
            print(f"| {backend} | {lock} | {medians[lock]['fresh']:.1f} | {medians[lock]['noop']:.1f} | {extra} |")
    results["met"] = met
    print(f"\ntarget: lease adds < {PER_MIGRATION_MS:g} ms per migration and < {PER_RUN_MS:g} ms per run: "
          f"{'met' if met else 'NOT met'}")
    args.output.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
