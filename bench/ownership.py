"""The ownership map's speed: ``modmig owners`` on a 1,000-migration project, cold and from its cache.

    python bench/ownership.py                          # 10 apps x 100 migrations, 5 runs
    python bench/ownership.py --apps 20 --migrations 100 --runs 3 --output /tmp/owners.json

Issue 11's targets: under 5 s cold and under 0.5 s from the cache, whole processes, medians.
The project is ``workload.py``'s (the one ``run.py`` measures); a second copy has every 10th
migration written as a Python file, so the cold figure includes replaying them on SQLite in
memory. Each run times, interleaved so the machine's load weighs on all alike, each phase as a
fresh process with a warm page cache (``warm.py``):

* floors: ``python -c pass`` (the interpreter) and ``modmig --help`` (modmig's start-up);
* ``owners`` cold (the project's ``.modmig/`` cache deleted first, untimed) and cached;
* the same two on the project with Python migrations.

The table gives the median wall-clock and CPU seconds of each phase, and its ratio to the
``--help`` floor of the same run. On a busy machine wall-clock time includes waiting for a CPU;
CPU seconds do not, which is why both are printed. Everything goes to ``--output`` as JSON.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import Phase, PhaseResult, stop_running_child, time_phase  # noqa: E402
from report import phase_targets_table  # noqa: E402
from warm import warmer  # noqa: E402
from workload import generate, write_modmig_project  # noqa: E402

#: phase -> (target in seconds or None, what it measures)
PHASES = {
    "python": (None, "`python -c pass` (floor)"),
    "help": (None, "`modmig --help` (floor)"),
    "cold": (5.0, "`modmig owners`, no cache"),
    "cached": (0.5, "`modmig owners`, from the cache"),
    "cold_python": (5.0, "`modmig owners`, no cache, every 10th migration Python (replayed)"),
    "cached_python": (0.5, "`modmig owners`, from the cache, with those Python migrations"),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python bench/ownership.py", description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=10)
    parser.add_argument("--migrations", type=int, default=100, help="per app (default 100: 1,000 in all)")
    parser.add_argument("--runs", type=int, default=5, help="runs per phase; figures are medians (default 5)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--budget", type=float, default=120.0, help="seconds one run may take (default 120)")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "ownership.json")
    return parser.parse_args(argv)


def phases(work: Path, python: str, apps: int, per_app: int, seed: int) -> dict[str, Phase]:
    workload = generate(apps, per_app, seed)
    sql = write_modmig_project(workload, work / "sql")
    mixed = write_modmig_project(workload, work / "python", python_every=10)
    owners = [python, "-m", "modmig", "owners"]

    def forget(root: Path):
        return lambda: shutil.rmtree(root / ".modmig", ignore_errors=True)

    found = {
        "python": Phase("python", [python, "-c", "pass"], sql),
        "help": Phase("help", [python, "-m", "modmig", "--help"], sql),
        "cold": Phase("cold", owners, sql, setup=forget(sql)),
        "cached": Phase("cached", owners, sql),
        "cold_python": Phase("cold_python", owners, mixed, setup=forget(mixed)),
        "cached_python": Phase("cached_python", owners, mixed),
    }
    for phase in found.values():
        phase.warm = warmer(python, "modmig", [phase.cwd], phase.cwd)
    return found


def render(results: dict) -> str:
    title = f"Ownership map of {results['migrations']:,} migrations ({results['runs']} runs, medians)"
    return phase_targets_table(title, PHASES, results["phases"])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    python = sys.executable
    work = Path(tempfile.mkdtemp(prefix="modmig-owners-bench-"))
    try:
        found = phases(work, python, args.apps, args.migrations, args.seed)
        measured = {name: PhaseResult() for name in found}
        # the cached phases need a cache: build it once, untimed
        for name in ("cold", "cold_python"):
            time_phase(found[name], PhaseResult(), args.budget)
        for _ in range(args.runs):
            for name in ("python", "help", "cold", "cached", "cold_python", "cached_python"):
                time_phase(found[name], measured[name], args.budget)
    finally:
        stop_running_child()
        shutil.rmtree(work, ignore_errors=True)
    results = {
        "migrations": args.apps * args.migrations,
        "runs": args.runs,
        "phases": {name: result.as_dict() for name, result in measured.items()},
        "targets": {name: target for name, (target, _) in PHASES.items() if target is not None},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(render(results))
    print(f"\nresults written to {args.output}", file=sys.stderr)
    failed = [name for name, result in measured.items() if result.status != "ok"]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
