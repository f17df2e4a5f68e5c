"""modmig's phases: the real CLI as whole processes (``python -m modmig ...``), plus load + plan
in-process (``bench/inprocess.py``) and the floor for the fresh upgrade (``bench/floor.py``).

``squash`` is timed only when the installed modmig has the command: ``modmig squash --help`` is
asked once, and its options decide the command line (``--verify`` when verification is opt-in,
``--yes`` when it would otherwise ask). Without the command the phase is "n/a".
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from measure import Phase, run_child
from workload import MODMIG_DATABASE, Workload

HERE = Path(__file__).resolve().parent
#: Phases in the order each run performs them (fresh must precede noop).
PHASES = ("load_plan", "plan", "status", "fresh", "noop", "squash")


def squash_command(python: str, cwd: Path) -> list[str] | None:
    """The extra arguments ``squash APP`` needs in this modmig, or None if it has no squash."""
    sample = run_child([python, "-m", "modmig", "squash", "--help"], cwd)
    if sample.returncode != 0:
        return None
    options = set(re.findall(r"--[a-z][a-z-]*", sample.stdout))
    extra = []
    if "--verify" in options and "--no-verify" not in options:
        extra.append("--verify")
    if "--yes" in options:
        extra.append("--yes")
    return extra


def modmig_phases(root: Path, python: str, workload: Workload, squash_extra: list[str] | None) -> dict[str, Phase | None]:
    """The phases of the modmig project written in ``root``."""
    database = root / MODMIG_DATABASE
    modmig = [python, "-m", "modmig"]

    def empty() -> None:
        for path in (database, Path(f"{database}.modmig-lock")):
            path.unlink(missing_ok=True)

    phases: dict[str, Phase | None] = {
        "load_plan": Phase("load_plan", [python, str(HERE / "inprocess.py"), str(root)], root, reported_key="seconds"),
        "plan": Phase("plan", modmig + ["plan", "--all"], root, setup=empty),
        "status": Phase("status", modmig + ["status"], root, setup=empty),
        "fresh": Phase("fresh", modmig + ["upgrade", "--all"], root, setup=empty),
        "noop": Phase("noop", modmig + ["upgrade", "--all"], root),
        "squash": None,
    }
    if squash_extra is not None:
        copy = root.parent / "modmig-squash"

        def fresh_copy() -> None:
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(root, copy, ignore=shutil.ignore_patterns(f"{MODMIG_DATABASE}*", "__pycache__"))

        phases["squash"] = Phase("squash", modmig + ["squash", workload.squash_app(), *squash_extra], copy, setup=fresh_copy)
    return phases


def floor_phase(root: Path, python: str, workload_json: Path) -> Phase:
    database = root / "floor.db"
    return Phase(
        "fresh",
        [python, str(HERE / "floor.py"), str(workload_json), str(database)],
        root,
        setup=lambda: database.unlink(missing_ok=True),
    )


def floor_database(root: Path) -> Path:
    return root / "floor.db"
