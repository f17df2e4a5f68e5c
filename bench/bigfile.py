"""Big migration files: does splitting dominate? ``python bench/bigfile.py [--mb 5] [--runs 5]``.

The workload is one migration of INSERTs (``--mb`` megabytes, 50,000 rows for 5 MB, strings with
doubled quotes in every row, as a data dump has), after one that creates the table. Timed
in-process, after every import (start-up excluded), the median of ``--runs`` runs each:

* the floor: ``sqlite3``'s ``executescript`` of the same text, in one transaction, on a database
  that has the table: the least any tool can do with the file;
* each dialect's splitter alone (``split_statements``, its cache cleared between runs);
* ``Project.upgrade()`` on a fresh SQLite database, with the file split by each dialect's
  splitter in turn (SQLite executes what the PostgreSQL and MySQL splitters produce, which is
  the same SQL here): reading the file, its checksum, splitting, executing every statement, the
  bookkeeping. The target is upgrade <= 3 x the floor.

It prints a Markdown table and writes every figure to ``--output`` (JSON). See
docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from modmig.api import Project
from modmig.files import splitter
from modmig.run.backends.sqlite import SqliteBackend

DIALECTS = ("sqlite", "postgresql", "mysql")
TARGET_RATIO = 3.0
TABLE = "CREATE TABLE big (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL, note TEXT);\n"


def data_file(megabytes: float, seed: int) -> str:
    """INSERTs until the text is ``megabytes`` long: a number, a name, a note with a quote in it."""
    rng = random.Random(seed)
    rows, size, number = [], 0, 0
    while size < megabytes * 1_000_000:
        row = (
            f"INSERT INTO big (id, name, note) VALUES ({number}, 'user {number}', "
            f"'it''s note {rng.randrange(10**9)}; kept');\n"
        )
        rows.append(row)
        size += len(row)
        number += 1
    return "".join(rows)


class Clock:
    """Wall and CPU seconds of a block: the machine may be shared, so both are kept."""

    def __enter__(self) -> "Clock":
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def floor(text: str, folder: Path) -> Clock:
    database = folder / f"floor-{time.monotonic_ns()}.db"
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute(TABLE)
    script = "BEGIN;\n" + text + "COMMIT;\n"  # one transaction, as modmig runs the migration
    with Clock() as clock:
        connection.executescript(script)
    connection.close()
    return clock


def split_only(text: str, dialect: str) -> Clock:
    splitter._split.cache_clear()
    with Clock() as clock:
        splitter.split_statements(text, 1, dialect)
    return clock


def upgrade(text: str, folder: Path, dialect: str) -> Clock:
    project_dir = folder / f"project-{time.monotonic_ns()}"
    migrations = project_dir / "apps" / "data" / "migrations"
    migrations.mkdir(parents=True)
    (migrations / "0001_table.sql").write_text(TABLE, encoding="utf-8")
    (migrations / "0002_rows.sql").write_text(text, encoding="utf-8")
    (project_dir / "modmig.yaml").write_text("database: sqlite:///app.db\napps:\n  data: apps/data\n", encoding="utf-8")
    splitter._split.cache_clear()
    original = SqliteBackend.split
    SqliteBackend.split = lambda self, script, first_line=1: splitter.split_statements(script, first_line, dialect)
    try:
        with Clock() as clock, Project.load(project_dir) as project:
            project.upgrade()
        return clock
    finally:
        SqliteBackend.split = original


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/bigfile.py", description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=5.0, help="size of the data file in MB (default 5)")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure; medians are reported (default 5)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", type=Path, default=Path(__file__).resolve().parent / "results" / "bigfile.json")
    args = parser.parse_args(argv)
    text = data_file(args.mb, args.seed)
    rows = ["floor", *(f"split {d}" for d in DIALECTS), *(f"upgrade {d}" for d in DIALECTS)]
    runs: dict = {row: {"wall_s": [], "cpu_s": []} for row in rows}
    with tempfile.TemporaryDirectory(prefix="modmig-bigfile-") as folder:
        for _ in range(args.runs):  # interleaved, so a busy moment weighs on every figure alike
            measured = {"floor": floor(text, Path(folder))}
            for dialect in DIALECTS:
                measured[f"split {dialect}"] = split_only(text, dialect)
                measured[f"upgrade {dialect}"] = upgrade(text, Path(folder), dialect)
            for row, clock in measured.items():
                runs[row]["wall_s"].append(clock.wall)
                runs[row]["cpu_s"].append(clock.cpu)
    medians = {row: {kind: statistics.median(values) for kind, values in runs[row].items()} for row in rows}
    ratios = {row: {kind: medians[row][kind] / medians["floor"][kind] for kind in ("wall_s", "cpu_s")} for row in rows}
    met = all(ratios[f"upgrade {d}"]["wall_s"] <= TARGET_RATIO for d in DIALECTS)
    results = {
        "bytes": len(text), "statements": text.count("\n"), "runs": args.runs, "target_ratio": TARGET_RATIO,
        "runs_s": runs, "medians": medians, "ratios": ratios, "met": met,
    }
    print(f"{len(text) / 1e6:.1f} MB, {text.count(chr(10)):,} INSERTs, median of {args.runs} runs (start-up excluded)\n")
    print("| what | wall (s) | x floor | CPU (s) | x floor |")
    print("| --- | ---: | ---: | ---: | ---: |")
    names = {"floor": "floor: sqlite3 executescript", **{f"split {d}": f"split only, {d} splitter" for d in DIALECTS},
             **{f"upgrade {d}": f"modmig upgrade, {d} splitter" for d in DIALECTS}}
    for row in rows:
        print(f"| {names[row]} | {medians[row]['wall_s']:.3f} | {ratios[row]['wall_s']:.2f} | "
              f"{medians[row]['cpu_s']:.3f} | {ratios[row]['cpu_s']:.2f} |")
    print(f"\ntarget: upgrade <= {TARGET_RATIO:g} x floor (wall) with every splitter: {'met' if met else 'NOT met'}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
