"""Start-up: what a command costs before it does any work, and what each heavy import costs.

* ``python -c pass`` (the interpreter alone), ``modmig --help``, ``modmig status`` and a no-op
  ``modmig upgrade --all`` on a one-migration project, each a whole process, median of the runs
  (issue 15's target for the last two: under 0.2 s where the interpreter and the driver allow);
* ``python -X importtime -c "import X"`` for each heavy dependency, in a fresh interpreter each
  (so shared dependencies count in every module that pulls them in): the cumulative time of X;
* which of those heavy modules ``--help``, ``status`` and a no-op ``upgrade --all`` actually
  import (from ``-X importtime`` of the real command), with their total import time.
"""

from __future__ import annotations

import importlib.util
import shutil
import statistics
from pathlib import Path

from measure import Phase, PhaseResult, run_child, time_phase
from warm import warmer
from workload import MODMIG_DATABASE, generate, write_modmig_project

#: The dependencies worth watching; rich and sqlglot only when installed.
HEAVY = ("sqlalchemy", "networkx", "sqlparse", "yaml", "click", "rich", "sqlglot")


def installed_heavy() -> list[str]:
    return [name for name in HEAVY if importlib.util.find_spec(name) is not None]


def startup_phases(root: Path, python: str) -> dict[str, Phase]:
    """Phases on a tiny project (1 app x 1 migration) in ``root``."""
    project = write_modmig_project(generate(1, 1, 0), root / "tiny")
    database = project / MODMIG_DATABASE
    modmig = [python, "-m", "modmig"]
    copy = project.parent / "tiny-noop"

    def migrated_copy() -> None:
        if not (copy / MODMIG_DATABASE).exists():
            shutil.copytree(project, copy, dirs_exist_ok=True)
            run_child(modmig + ["upgrade", "--all", "-q"], copy)

    return {
        "python": Phase("python", [python, "-c", "pass"], project),
        "help": Phase("help", modmig + ["--help"], project),
        "status": Phase("status", modmig + ["status"], project, setup=lambda: database.unlink(missing_ok=True)),
        "upgrade_noop": Phase("upgrade_noop", modmig + ["upgrade", "--all"], copy, setup=migrated_copy),
    }


def measure_startup(root: Path, python: str, runs: int, budget: float) -> dict:
    phases = startup_phases(root, python)
    for phase in phases.values():
        phase.warm = warmer(python, "modmig", [phase.cwd], phase.cwd)
    results = {name: PhaseResult() for name in phases}
    for _ in range(runs):
        for name, phase in phases.items():
            time_phase(phase, results[name], budget)
    return {name: result.as_dict() for name, result in results.items()}


def import_costs(python: str, runs: int, cwd: Path) -> dict[str, float | None]:
    """Median cumulative import time (seconds) of each installed heavy module, fresh each time."""
    costs = {}
    for name in installed_heavy():
        figures = []
        for _ in range(runs):
            run_child([python, "-c", f"import {name}"], cwd)  # warm its files (see warm.py)
            sample = run_child([python, "-X", "importtime", "-c", f"import {name}"], cwd)
            found = _parse_importtime(sample.stderr).get(name)
            if found is not None:
                figures.append(found)
        costs[name] = round(statistics.median(figures), 4) if figures else None
    return costs


def heavy_imports_of_commands(root: Path, python: str) -> dict[str, dict]:
    """For --help, status and a no-op upgrade: which heavy modules load, and all imports' total."""
    project = root / "tiny"
    database = project / MODMIG_DATABASE
    database.unlink(missing_ok=True)
    modmig = [python, "-X", "importtime", "-m", "modmig"]
    commands = {"help": ["--help"], "status": ["status"], "upgrade_noop": ["upgrade", "--all", "-q"]}
    run_child([python, "-m", "modmig", "upgrade", "--all", "-q"], project)  # so the upgrade is a no-op
    found = {}
    for name, args in commands.items():
        stderr = run_child(modmig + args, project).stderr
        times = _parse_importtime(stderr)
        found[name] = {
            "heavy_modules": sorted(module for module in installed_heavy() if module in times),
            "all_imports_s": round(sum(_parse_importtime(stderr, top_level_only=True).values()), 4),
        }
    return found


def _parse_importtime(stderr: str, top_level_only: bool = False) -> dict[str, float]:
    """``-X importtime`` output -> module -> cumulative seconds.

    Lines look like ``import time:  self |  cumulative | <2 spaces per nesting level>name``;
    ``top_level_only`` keeps the modules imported directly by the program (level 0).
    """
    times = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        parts = line[len("import time:"):].split("|")
        if len(parts) != 3:
            continue
        raw = parts[2][1:]  # one space follows the bar
        if top_level_only and raw.startswith(" "):
            continue
        times[raw.strip()] = int(parts[1]) / 1e6
    return times
