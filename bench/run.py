"""Benchmark modmig against the floor and the peers: ``python bench/run.py [options]``.

For each size (A apps x M migrations) it writes the workload as a modmig project, as the floor's
statement list and as each installed peer's project, in a temporary folder; then, run after run,
it times every tool's phases as fresh child processes, interleaved (floor, modmig, django,
alembic, yoyo within each run), so that the machine's load at a given moment weighs on all of
them alike, each with a warm page cache (``warm.py``). Every figure is the median of the runs;
peak memory is the highest of the runs.
Before the sizes it measures start-up (``--help``, ``status``) and the heavy imports.

Examples::

    python bench/run.py                                 # all four sizes, 3 runs, with peers
    python bench/run.py --sizes 5x20 --runs 1 --no-peers --output /tmp/smoke.json
    python bench/run.py --sizes 100x100 --python-migrations --keep   # keep the projects

The table goes to stdout in Markdown; everything (every run, notes, targets) to ``--output``.
See docs/performance.md for the method.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fixtures  # noqa: E402
import report  # noqa: E402
import schema  # noqa: E402
import startup  # noqa: E402
from measure import RSS_SOURCE, Phase, PhaseResult, bytecode_as_installed, stop_running_child, time_phase  # noqa: E402
from modmig_phases import PHASES, floor_database, floor_phase, modmig_phases, squash_command  # noqa: E402
from warm import warmer  # noqa: E402
from workload import MODMIG_DATABASE, generate, write_modmig_project, write_workload_json  # noqa: E402

DEFAULT_SIZES = "5x20,10x100,100x100,20x1000"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/run.py",
        description="Benchmark modmig against a sqlite3 floor and the peers (Django, Alembic, yoyo).",
    )
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help=f"comma-separated AxM sizes (default {DEFAULT_SIZES})")
    parser.add_argument("--runs", type=int, default=3, help="runs per phase; figures are medians (default 3)")
    parser.add_argument("--seed", type=int, default=1, help="workload seed (default 1)")
    parser.add_argument("--python-migrations", action="store_true", help="write Python migrations instead of SQL")
    parser.add_argument("--no-peers", action="store_true", help="measure modmig and the floor only")
    parser.add_argument("--peers", default="django,alembic,yoyo", help="which peers to run when installed")
    parser.add_argument("--budget", type=float, default=600.0, help="seconds one run of a phase may take (default 600)")
    parser.add_argument(
        "--long", type=float, default=60.0,
        help="a phase whose first run takes longer is measured once (default 60 s)",
    )
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up and import measurements")
    parser.add_argument(
        "--fixture-size", default="10x100",
        help="the test-fixture phase: a fresh migrated database per test, at this size (default 10x100; 'none' skips it)",
    )
    parser.add_argument("--fixture-tests", type=int, default=100, help="tests in the test-fixture phase (default 100)")
    parser.add_argument(
        "--fixture-databases", default="sqlite",
        help="comma-separated: 'sqlite' and/or server URLs (postgresql+psycopg://..., mysql+pymysql://...) for the "
        "test-fixture phase (default sqlite)",
    )
    parser.add_argument(
        "--output", type=Path, default=HERE / "results" / "results.json",
        help="JSON results file (default bench/results/results.json, ignored by git)",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="where to write the projects (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the generated projects (for profiling)")
    args = parser.parse_args(argv)
    try:
        args.sizes = [_parse_size(text) for text in args.sizes.split(",") if text.strip()]
        args.fixture_size = None if args.fixture_size == "none" else _parse_size(args.fixture_size)
    except ValueError as error:
        parser.error(str(error))
    if args.fixture_tests < 2:
        parser.error("--fixture-tests must be at least 2")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def _parse_size(text: str) -> tuple[int, int]:
    apps, sep, per_app = text.strip().lower().partition("x")
    if not sep or not apps.isdigit() or not per_app.isdigit() or int(apps) < 1 or int(per_app) < 1:
        raise ValueError(f"{text!r} is not a size; write APPSxMIGRATIONS, e.g. 10x100")
    return int(apps), int(per_app)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the cleanup below runs
    python = sys.executable
    work = Path(tempfile.mkdtemp(prefix="modmig-bench-", dir=args.workdir))
    peers = [] if args.no_peers else _installed_peers(args.peers.split(","))
    results: dict = {"meta": _meta(args, python, peers), "startup": {}, "fixtures": {}, "sizes": {}}
    results["meta"]["bytecode"] = bytecode_as_installed()
    interrupted = False
    try:
        if not args.no_startup:
            _say("start-up and imports")
            results["startup"] = {
                "commands": startup.measure_startup(work, python, args.runs, args.budget),
                "imports_s": startup.import_costs(python, args.runs, work),
                "imports_by_command": startup.heavy_imports_of_commands(work, python),
            }
        if args.fixture_size is not None:
            apps, per_app = args.fixture_size
            _say(f"test-fixture phase: {args.fixture_tests} tests at {apps}x{per_app}")
            project = write_modmig_project(generate(apps, per_app, args.seed), work / "fixtures")
            results["fixtures"] = {
                "size": f"{apps}x{per_app}",
                "databases": fixtures.measure_fixtures(
                    project, [d.strip() for d in args.fixture_databases.split(",") if d.strip()],
                    args.fixture_tests, python, args.budget,
                ),
            }
        squash_extra = squash_command(python, work)
        results["meta"]["modmig_squash"] = "absent" if squash_extra is None else " ".join(["squash APP", *squash_extra])
        for apps, per_app in args.sizes:
            results["sizes"][f"{apps}x{per_app}"] = measure_size(apps, per_app, args, work, python, peers, squash_extra)
            if not args.keep:
                shutil.rmtree(work / f"{apps}x{per_app}", ignore_errors=True)
    except (KeyboardInterrupt, SystemExit):
        # Stopped (Ctrl-C, SIGTERM): what was measured so far is still written and printed.
        interrupted = True
        results["meta"]["interrupted"] = True
    finally:
        stop_running_child()
        results["meta"]["loadavg_end"] = _loadavg()
        results["meta"]["finished"] = _now()
        if args.keep:
            results["meta"]["workdir"] = str(work)
            _say(f"projects kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    peer_names = [peer.name for peer in peers]
    results["targets"] = report.evaluate_targets(results["sizes"], peer_names)
    results["targets"] += report.startup_targets(results["startup"].get("commands", {}))
    if results["fixtures"]:
        results["targets"] += [
            {"target": target, "measured": measured or "not measured", "met": met}
            for target, measured, met in fixtures.fixture_targets(results["fixtures"]["databases"])
        ]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(render(results, peer_names))
    _say(f"results written to {args.output}")
    return 130 if interrupted else 0


def measure_size(apps: int, per_app: int, args, work: Path, python: str, peers: list, squash_extra) -> dict:
    """Write every tool's project for one size, then time every phase ``args.runs`` times."""
    name = f"{apps}x{per_app}"
    root = work / name
    clock = time.perf_counter()
    workload = generate(apps, per_app, args.seed)
    modmig_root = write_modmig_project(workload, root / "modmig", python=args.python_migrations)
    workload_json = write_workload_json(workload, root / "workload.json")
    tools: dict[str, dict[str, Phase | None]] = {
        "floor": {"fresh": floor_phase(root, python, workload_json)},
        "modmig": modmig_phases(modmig_root, python, workload, squash_extra),
    }
    databases = {"floor": floor_database(root), "modmig": modmig_root / MODMIG_DATABASE}
    missing: dict[str, dict[str, str]] = {"modmig": {} if squash_extra is not None else {"squash": "this modmig has no squash command"}}
    for peer in peers:
        peer_root = root / peer.name
        peer.write(workload, peer_root, args.python_migrations)
        tools[peer.name] = peer.phases(peer_root, python, workload)
        databases[peer.name] = peer.database(peer_root)
        missing[peer.name] = peer.missing
    for tool, phases in tools.items():
        for phase in phases.values():
            if phase is not None:
                roots = [workload_json] if tool == "floor" else [phase.cwd]
                phase.warm = warmer(python, tool, roots, phase.cwd)
    _say(f"{name}: {workload.total:,} migrations written in {time.perf_counter() - clock:.1f} s")

    measured = {tool: {phase: PhaseResult() for phase, p in phases.items() if p} for tool, phases in tools.items()}
    schemas: dict[str, dict] = {}
    for run in range(args.runs):
        for tool, phases in tools.items():
            for phase_name in PHASES:
                phase = phases.get(phase_name)
                if phase is None:
                    continue
                result = measured[tool][phase_name]
                if phase_name == "noop":
                    phase.setup = _restore_after_fresh(databases[tool])
                    if not _snapshot_path(databases[tool]).exists():
                        result.status, result.note = "n/a", "the fresh upgrade did not complete"
                        continue
                before = len(result.samples)
                time_phase(phase, result, args.budget, args.long)
                if len(result.samples) > before:
                    _say(f"  {name} run {run + 1}/{args.runs} {tool:8} {phase_name:9} {_cell(result)}")
                if phase_name == "fresh" and result.status == "ok" and len(result.samples) > before:
                    shutil.copyfile(databases[tool], _snapshot_path(databases[tool]))
                    if tool not in schemas:
                        schemas[tool] = schema.snapshot(databases[tool])

    size: dict = {"apps": apps, "per_app": per_app, "migrations": workload.total, "tools": {}, "schema_check": {}}
    for tool, phases in measured.items():
        size["tools"][tool] = {phase: result.as_dict() for phase, result in phases.items()}
        for phase, why in missing.get(tool, {}).items():
            size["tools"][tool].setdefault(phase, {"status": "n/a", "median_s": None, "runs_s": [], "note": why})
    reference = schemas.get("floor")
    for tool, shape in schemas.items():
        if tool == "floor":
            size["schema_check"][tool] = {"reference": True, "schema": schema.summary(shape)}
            continue
        problems = schema.differences(reference, shape) if reference else ["no reference: the floor failed"]
        size["schema_check"][tool] = {"same_as_floor": not problems, "schema": schema.summary(shape), "problems": problems}
    return size


def _snapshot_path(database: Path) -> Path:
    return database.with_name(database.name + ".after-fresh")


def _restore_after_fresh(database: Path):
    """The no-op upgrade starts from the database a fresh upgrade left (plan/status emptied it)."""

    def restore() -> None:
        shutil.copyfile(_snapshot_path(database), database)

    return restore


def _cell(result: PhaseResult) -> str:
    sample = result.samples[-1]
    if result.status != "ok":
        return f"{result.status}: {result.note}"
    figure = sample.reported.get(result.figure_key) if result.figure_key else sample.seconds
    return f"{figure:.3f} s, {sample.rss_mb:.0f} MB"


def render(results: dict, peers: list[str]) -> str:
    meta = results["meta"]
    lines = [
        f"# modmig benchmark ({meta['finished']}, {meta['runs']} run(s), seed {meta['seed']}, "
        f"{'Python' if meta['python_migrations'] else 'SQL'} migrations)",
        "",
        f"Machine: {meta['cpus']} CPU(s), load average {meta['loadavg_start']} at start, "
        f"{meta['loadavg_end']} at end; Python {meta['python']}, SQLite {meta['sqlite']}.",
        f"Peers: {', '.join(f'{k} {v}' for k, v in meta['peers'].items()) or 'none'}. "
        f"modmig {meta['modmig']} ({meta['modmig_commit']}), squash: {meta.get('modmig_squash')}.",
        "Medians in seconds; ratios are modmig / other (below 1: modmig is faster). "
        "¹ measured once (first run longer than --long).",
        f"Peak RSS: {meta['peak_rss_source']}.",
    ]
    if results["startup"]:
        lines += ["", "## Start-up", "", report.startup_table(
            results["startup"]["commands"], results["startup"]["imports_s"], results["startup"]["imports_by_command"]
        )]
    if results["fixtures"]:
        found = results["fixtures"]
        lines += ["", f"## A fresh migrated database per test ({found['size']}, pytest plugin)", "",
                  fixtures.fixture_table(found["databases"])]
    for name, size in results["sizes"].items():
        lines += ["", f"## {name} ({size['migrations']:,} migrations)", "", report.size_table(size, peers)]
        notes = []
        for tool, phases in size["tools"].items():
            for phase, cell in phases.items():
                if cell.get("note") and cell["status"] in ("failed", "n/a") and tool != "floor":
                    notes.append(f"- {tool} {phase}: {cell['status']}: {cell['note']}")
        for tool, check in size["schema_check"].items():
            if not check.get("reference") and not check["same_as_floor"]:
                notes.append(f"- {tool}: schema differs from the floor's: {'; '.join(check['problems'])}")
        peaks = []
        for tool, phases in size["tools"].items():
            values = [cell["peak_rss_mb"] for cell in phases.values() if cell.get("peak_rss_mb")]
            if values:
                peaks.append(f"{tool} {max(values):.0f}")
        if peaks:
            notes.append(f"- peak RSS in MB, highest phase: {', '.join(peaks)}")
        checked = [tool for tool, check in size["schema_check"].items() if check.get("same_as_floor")]
        if checked:
            reference = size["schema_check"].get("floor", {}).get("schema", "?")
            notes.append(f"- same schema as the floor ({reference}): {', '.join(checked)}")
        lines += [""] + notes if notes else []
    lines += ["", "## Targets (issues 5 and 15)", "", report.targets_table(results["targets"])]
    return "\n".join(lines)


# -- context ----------------------------------------------------------------------------------------


def _installed_peers(names: list[str]) -> list:
    from peers import PEERS

    chosen = []
    for peer in PEERS:
        if peer.name not in [n.strip() for n in names]:
            continue
        if peer.version() is None:
            _say(f"{peer.name}: not installed, skipped (pip install -r bench/requirements-peers.txt)")
            continue
        chosen.append(peer)
    return chosen


def _meta(args, python: str, peers: list) -> dict:
    import importlib.metadata

    return {
        "started": _now(),
        "sizes": [f"{a}x{m}" for a, m in args.sizes],
        "runs": args.runs,
        "seed": args.seed,
        "python_migrations": args.python_migrations,
        "budget_s": args.budget,
        "long_s": args.long,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "loadavg_start": _loadavg(),
        "peak_rss_source": RSS_SOURCE,
        "sqlite": sqlite3.sqlite_version,
        "modmig": importlib.metadata.version("modmig"),
        "modmig_commit": _git_commit(),
        "peers": {peer.name: peer.version() for peer in peers},
    }


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "../modmig"], cwd=HERE, capture_output=True, text=True)
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def _now() -> str:
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
