"""Shared by the topology proofs: processes released together, and what "exactly once" means.

Racing processes are started, each imports modmig and says READY, then blocks on its stdin; the
test reads every READY line, then writes "go" to every stdin: they all start their run within
microseconds of each other (a barrier, not a sleep).
"""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import create_engine, text

from ..conftest import _BOOTSTRAP, write_tree

PROCESSES = 8
APPS, STEPS = 3, 4

#: The CLI as a child process that waits at the barrier before running.
_BARRIER = "import sys, modmig.cli\nprint('READY', flush=True)\nsys.stdin.readline()\n"
BARRIER_MODMIG = [sys.executable, "-c", _BARRIER + _BOOTSTRAP]


def logging_project(root, database_url: str, extra: str = ""):
    """log + app0..app2, 4 migrations each, every one appending its name to run_log (no unique key,
    so a migration run twice shows as two rows)."""
    apps = {"log": {"0001_create_log.sql": "CREATE TABLE run_log (migration VARCHAR(40) NOT NULL);\n"}}
    for a in range(APPS):
        apps[f"app{a}"] = {
            f"{v:04d}_step.sql": (
                f"-- modmig: depends log:0001{f', app{a - 1}:{v:04d}' if a else ''}\n"
                f"CREATE TABLE app{a}_t{v} (id INTEGER PRIMARY KEY);\n"
                f"INSERT INTO run_log (migration) VALUES ('app{a}:{v}');\n"
            )
            for v in range(1, STEPS + 1)
        }
    write_tree(root, apps, database_url, extra)
    return root


EXPECTED_LOG = sorted((f"app{a}:{v}", 1) for a in range(APPS) for v in range(1, STEPS + 1))


def race(folder, urls: list[str], *args: str, timeout: float = 300) -> list[subprocess.CompletedProcess]:
    """Run ``modmig upgrade --all ARGS`` in len(urls) processes released together, process i on
    ``urls[i]`` (``--database``); returns them finished, output in ``.stdout`` (stderr merged)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("MODMIG_DATABASE_URL", None)
    processes = [
        subprocess.Popen(
            [*BARRIER_MODMIG, "upgrade", "--all", "--database", url, *args],
            cwd=folder, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for url in urls
    ]
    try:
        for process in processes:
            line = process.stdout.readline()
            assert line.strip() == "READY", f"a racer did not reach the barrier: {line!r}{process.stdout.read()}"
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        finished = []
        for process in processes:
            out, _ = process.communicate(timeout=timeout)
            finished.append(subprocess.CompletedProcess(process.args, process.returncode, out, None))
        return finished
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def rows(database_url: str, query: str) -> list[tuple]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(query)).all()]
    finally:
        engine.dispose()


def assert_each_migration_ran_once(database_url: str, finished: list[subprocess.CompletedProcess]) -> None:
    """Every racer exited 0; every migration's effect and its history `up` row exist exactly once;
    every app at its last version, none dirty."""
    outputs = "\n----\n".join(f"exit {p.returncode}: {p.stdout}" for p in finished)
    assert [p.returncode for p in finished] == [0] * len(finished), outputs
    assert sorted(rows(database_url, "SELECT migration, COUNT(*) FROM run_log GROUP BY migration")) == EXPECTED_LOG, outputs
    history = rows(database_url, "SELECT app, version, COUNT(*) FROM _schema_history WHERE direction = 'up' GROUP BY app, version")
    expected = sorted([("log", 1, 1)] + [(f"app{a}", v, 1) for a in range(APPS) for v in range(1, STEPS + 1)])
    assert sorted(history) == expected, outputs
    versions = rows(database_url, "SELECT app, version, dirty FROM _schema_versions ORDER BY app")
    assert [(app, version, bool(dirty)) for app, version, dirty in versions] == (
        [(f"app{a}", STEPS, False) for a in range(APPS)] + [("log", 1, False)]
    ), outputs
    assert sum("Applying" in p.stdout for p in finished) >= 1
