"""How close could modmig come to the floor without SQLAlchemy? ``python bench/bound_without_sqlalchemy.py``.

Issue 15 asks a fresh ``upgrade --all`` of 1,000 migrations to take at most 1.3x the floor
(``bench/floor.py``), with modmig's own statements going through SQLAlchemy's connection. Importing
SQLAlchemy alone costs a fifth of the floor on the two-core machine, so whether the target can be
met at all turns on what an upgrade would cost without it. This measures a bound on that.

The bound is a child process that runs modmig's real front half (it imports the ``modmig``
command package, reads ``modmig.yaml``, loads and checksums every file, builds the graph, verifies
and plans, as ``upgrade --all`` does before its first statement) and then the floor's own loop
(``floor.apply_on``): the same statements and bookkeeping rows through ``sqlite3``. An
upgrade without SQLAlchemy would do at least this much, and more besides (the lock, dirty marks,
events, error handling, the checks before each step, a line of output per step), so its ratio
to the floor is a lower bound for any such design.

The floor, ``python -m modmig upgrade --all`` and the bound run in turn on a fresh database, the
order reversed every round so that neither the page cache nor a busy moment favours one. It prints
medians (wall and CPU) with their ratios to the floor of the same run, and writes them to
``--output`` (JSON). See docs/performance.md.
"""

from __future__ import annotations

import sys


def bound(project: str, through_sqlalchemy: bool) -> None:
    """The child: modmig's front half, then the floor's loop, in the project folder ``project``.

    ``through_sqlalchemy``: the loop runs on the DB-API connection under an SQLAlchemy connection
    (SQLAlchemy imported, an engine made, one connection checked out), the least a design that
    keeps SQLAlchemy's connection for modmig's statements pays on top of the bound."""
    import sqlite3
    from pathlib import Path

    import modmig.cli  # noqa: F401  (click and the command modules: what ``modmig`` imports first)
    from floor import apply_on
    from modmig.config import load_config
    from modmig.files.loader import load_apps
    from modmig.files.splitter import split_statements
    from modmig.model import DatabaseState
    from modmig.plan.graph import MigrationGraph
    from modmig.plan.planner import plan_upgrade, verify

    root = Path(project)
    config = load_config(root / "modmig.yaml")
    graph = MigrationGraph(load_apps(config.apps, config.path))
    state = DatabaseState(initialised=False)
    verify(graph, state).raise_first()
    migrations = [step.migration for step in plan_upgrade(graph, state).steps]
    steps = [
        (migration.app, migration.version, migration.name,
         [statement.text for statement in split_statements(migration.sql_up, migration.up_line)])
        for migration in migrations
    ]
    if through_sqlalchemy:
        import sqlalchemy

        engine = sqlalchemy.create_engine(f"sqlite:///{root / 'bench.db'}")
        connection = engine.connect().connection.driver_connection
        connection.isolation_level = None  # the floor's loop issues BEGIN and COMMIT itself
    else:
        connection = sqlite3.connect(root / "bench.db", isolation_level=None)
    apply_on(connection, steps)
    connection.close()


def what_was_made(database) -> dict[str, int]:
    """Schema objects and history rows a child left: every child must leave the same."""
    import sqlite3

    with sqlite3.connect(database) as connection:
        objects = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        history = connection.execute("SELECT count(*) FROM _schema_history").fetchone()[0]
    connection.close()
    return {"schema_objects": objects, "history_rows": history}


def main() -> None:
    import argparse
    import json
    import shutil
    import statistics
    import tempfile
    from pathlib import Path

    from measure import ChildFailed, bytecode_as_installed, run_child
    from workload import generate, write_modmig_project, write_workload_json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=10)
    parser.add_argument("--migrations", type=int, default=100, help="per app")
    parser.add_argument("--rounds", type=int, default=7, help="runs of each child; figures are medians")
    parser.add_argument("--seed", type=int, default=1)
    default_output = Path(__file__).parent / "results" / "bound_without_sqlalchemy.json"
    parser.add_argument("--output", type=Path, default=default_output, help="JSON results (default %(default)s)")
    options = parser.parse_args()
    if options.rounds < 1 or options.apps < 1 or options.migrations < 1:
        parser.error("--apps, --migrations and --rounds must be at least 1")

    bytecode = bytecode_as_installed()
    here = Path(__file__).resolve().parent
    workdir = Path(tempfile.mkdtemp(prefix="modmig-bound-"))
    try:
        workload = generate(options.apps, options.migrations, options.seed)
        project = write_modmig_project(workload, workdir / "project")
        steps = write_workload_json(workload, workdir / "workload.json")
        children = {
            "floor": [sys.executable, str(here / "floor.py"), str(steps), "bench.db"],
            "modmig": [sys.executable, "-m", "modmig", "upgrade", "--all"],
            "bound": [sys.executable, str(Path(__file__).resolve()), "--child", str(project)],
            "bound_sa": [sys.executable, str(Path(__file__).resolve()), "--child-sqlalchemy", str(project)],
        }
        samples: dict[str, list] = {name: [] for name in children}
        made: dict[str, dict[str, int]] = {}
        for round_number in range(options.rounds):
            order = list(children) if round_number % 2 == 0 else list(reversed(children))
            for name in order:
                (project / "bench.db").unlink(missing_ok=True)
                sample = run_child(children[name], project)
                if not sample.ok:
                    raise ChildFailed(children[name], sample)
                samples[name].append(sample)
                made[name] = what_was_made(project / "bench.db")
                if made[name] != made[order[0]]:
                    sys.exit(f"bound_without_sqlalchemy: the children made different databases: {made}")
                print(f"round {round_number + 1}/{options.rounds} {name:8s} {sample.seconds:.3f} s", flush=True)
    except ChildFailed as failed:
        sys.exit(f"bound_without_sqlalchemy: {failed}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    medians = {
        name: {
            "wall_s": statistics.median(sample.seconds for sample in runs),
            "cpu_s": statistics.median(sample.cpu_s for sample in runs),
            "wall_runs_s": [round(sample.seconds, 4) for sample in runs],
        }
        for name, runs in samples.items()
    }
    floor = medians["floor"]
    for name in ("modmig", "bound", "bound_sa"):
        medians[name]["wall_ratio"] = medians[name]["wall_s"] / floor["wall_s"]
        medians[name]["cpu_ratio"] = medians[name]["cpu_s"] / floor["cpu_s"]
    size = f"{options.apps}x{options.migrations}"
    rounds = options.rounds
    print(f"\nFresh upgrade of {workload.total:,} migrations ({size}), medians of {rounds} rounds ({bytecode}):\n")
    print("| child | wall s | CPU s | wall / floor | CPU / floor |\n| --- | --- | --- | --- | --- |")
    labels = {"floor": "floor (`bench/floor.py`)", "modmig": "`modmig upgrade --all`",
              "bound": "bound: modmig's front half + the floor's loop",
              "bound_sa": "the bound, its loop on a DB-API connection under SQLAlchemy's"}
    for name, label in labels.items():
        figures = medians[name]
        ratios = (f"{figures['wall_ratio']:.2f} | {figures['cpu_ratio']:.2f}" if name != "floor" else "- | -")
        print(f"| {label} | {figures['wall_s']:.3f} | {figures['cpu_s']:.3f} | {ratios} |")
    options.output.parent.mkdir(parents=True, exist_ok=True)
    print(f"\nEvery child made the same database: {made['floor']['schema_objects']} schema objects, "
          f"{made['floor']['history_rows']} history rows.")
    document = {"size": size, "rounds": options.rounds, "made": made, "medians": medians}
    options.output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nresults written to {options.output}")


if __name__ == "__main__":
    if sys.argv[1:2] in (["--child"], ["--child-sqlalchemy"]):
        bound(sys.argv[2], through_sqlalchemy=sys.argv[1] == "--child-sqlalchemy")
    else:
        main()
