"""``modmig lint`` speed: every migration of a 1,000-migration project, and the pending ones of a
10,000-migration project, each a whole process, against a floor measured in the same run.

    python bench/lint.py [--runs 5] [--output bench-lint.json] [--workdir DIR]

The projects are the benchmark's workload (``workload.py``: one DDL statement per migration, a
down section each, cross-app dependencies). The floor is ``modmig status`` on the same project:
it loads the same files and reads the same database, so ``lint / status`` is what linting adds.
For the pending case the database is stamped at the latest version of every app except ten,
which are one migration behind: ten pending migrations, as in a deploy.

Targets (docs/performance.md): ``lint --all`` of 1,000 migrations < 3 s, for PostgreSQL (pglast)
and SQLite (sqlglot, the slower parser); ``lint`` of the pending migrations of 10,000 < 1 s.
Prints a Markdown table and writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import run_child
from warm import read_tree
from workload import generate, write_modmig_project

BEHIND = 10


def median_seconds(argv: list[str], cwd: Path, runs: int) -> tuple[float, float, list[float]]:
    """Median wall-clock and CPU seconds of ``runs`` runs (CPU time is steadier on a busy machine)."""
    times, cpu = [], []
    for _ in range(runs):
        read_tree(cwd)
        sample = run_child(argv, cwd)
        if sample.returncode not in (0, 1):  # 1: findings at error level, still a complete lint
            raise SystemExit(f"{' '.join(argv)} failed ({sample.returncode}):\n{sample.stderr[-2000:]}")
        times.append(sample.seconds)
        cpu.append(sample.cpu_s)
    return statistics.median(times), statistics.median(cpu), times


def stamp_all_but(project: Path, behind: int) -> None:
    """Record every app at its latest version, except ``behind`` apps one migration short."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from modmig.api import Project

    with Project.load(project) as loaded:
        for index, app in enumerate(loaded.apps):
            latest = loaded.graph.histories[app].latest
            # force: an app one short may be what a later app's latest migration depends on; for
            # linting the pending files that inconsistency does not matter, and it keeps ten pending
            loaded.stamp(app, latest - 1 if index < behind else latest, force=True)


def add_cross_app_migration(project: Path) -> None:
    """A pending migration of the last app that reads the first app's first table (and depends on it)."""
    last = sorted(path.name for path in (project / "apps").iterdir())[-1]
    folder = project / "apps" / last / "migrations"
    number = len(list(folder.glob("*.sql"))) + 1
    (folder / f"{number:04d}_report.sql").write_text(
        f"-- modmig: depends app000:0001\nCREATE VIEW {last}_report AS SELECT id FROM app000_t0;\n"
        f"-- modmig: down\nDROP VIEW {last}_report;\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--output", type=Path, default=Path("bench-lint.json"))
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--small", default="10x100", help="apps x migrations of the --all project (default 10x100)")
    parser.add_argument("--large", default="100x100", help="apps x migrations of the pending project (default 100x100)")
    args = parser.parse_args()
    small_size, large_size = (tuple(int(n) for n in size.split("x")) for size in (args.small, args.large))
    python = sys.executable
    work = args.workdir or Path(tempfile.mkdtemp(prefix="modmig-bench-lint-"))
    small = write_modmig_project(generate(*small_size, 1), work / "small")
    large = write_modmig_project(generate(*large_size, 1), work / "large")
    modmig = [python, "-m", "modmig"]
    stamp_all_but(small, 0)
    stamp_all_but(large, BEHIND)

    crossed = write_modmig_project(generate(*large_size, 1), work / "large-cross")
    stamp_all_but(crossed, BEHIND)
    add_cross_app_migration(crossed)
    cold = run_child([*modmig, "lint", "--dialect", "sqlite"], crossed)  # builds and caches the ownership map

    rows = []
    floor_small = median_seconds([*modmig, "status"], small, args.runs)
    floor_large = median_seconds([*modmig, "status"], large, args.runs)
    n_small, n_large = small_size[0] * small_size[1], large_size[0] * large_size[1]
    cases = [
        (f"lint --all, {n_small:,} migrations, PostgreSQL (pglast)", [*modmig, "lint", "--all", "--dialect", "postgresql"], small, floor_small, 3.0),
        (f"lint --all, {n_small:,} migrations, SQLite (sqlglot)", [*modmig, "lint", "--all", "--dialect", "sqlite"], small, floor_small, 3.0),
        (f"lint --all, {n_small:,} migrations, MySQL (sqlglot)", [*modmig, "lint", "--all", "--dialect", "mysql"], small, floor_small, 3.0),
        (f"lint (pending: {BEHIND} of {n_large:,}), PostgreSQL", [*modmig, "lint", "--dialect", "postgresql"], large, floor_large, 1.0),
        (f"lint (pending: {BEHIND} of {n_large:,}), SQLite", [*modmig, "lint", "--dialect", "sqlite"], large, floor_large, 1.0),
        (f"lint (pending: {BEHIND + 1} of {n_large:,}, one reading another app's table: ownership map, cached), SQLite",
         [*modmig, "lint", "--dialect", "sqlite"], crossed, floor_large, 1.0),
    ]
    for name, argv, cwd, floor, target in cases:
        median, cpu, times = median_seconds(argv, cwd, args.runs)
        rows.append({"case": name, "median_s": round(median, 3), "cpu_s": round(cpu, 3), "runs_s": [round(t, 3) for t in times],
                     "floor": "modmig status, same project", "floor_s": round(floor[0], 3), "floor_cpu_s": round(floor[1], 3),
                     "ratio": round(median / floor[0], 2), "target_s": target, "met": median < target})
    print("| case | median (s) | CPU (s) | floor: status (s) | ratio | target | met |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print(f"| {row['case']} | {row['median_s']} | {row['cpu_s']} | {row['floor_s']} | {row['ratio']} | "
              f"< {row['target_s']:g} s | {'yes' if row['met'] else 'NO'} |")
    print(f"\nThe first lint of the cross-app project, which built the ownership map's cache: {cold.seconds:.2f} s.")
    args.output.write_text(json.dumps({"runs": args.runs, "python": sys.version.split()[0], "results": rows,
                                       "cross_app_cold_s": round(cold.seconds, 3)}, indent=2))


if __name__ == "__main__":
    main()
