"""makemigrations' speed: ``--check`` on the sample project, and on 10 apps x 50 tables with one changed.

    python bench/makemigrations.py                        # 5 runs
    python bench/makemigrations.py --apps 10 --tables 50 --runs 3 --output /tmp/mm.json

Issue 11's targets, whole processes, medians: ``makemigrations --check`` on the sample project
under 2 s; on 10 apps x 50 tables with one app's models changed under 5 s. Each run times, as
fresh processes interleaved so the machine's load weighs on all alike (warm page cache, as
``warm.py`` explains):

* floors: ``python -c pass`` and ``modmig --help``;
* ``makemigrations --check`` on a copy of the sample project, without the ownership cache
  (``.modmig/`` deleted first, untimed: a CI checkout has none) and with it;
* on the synthetic project (each app five migrations of ten tables, with foreign keys and
  indexes, and a ``models.py`` declaring the same tables; one app's models add a column):
  ``makemigrations --check`` (exit 1: it differs) and ``makemigrations APP --dry-run``, which
  also renders the file and replays it, up and down, before it would write it; both without the
  cache.

The table gives the median wall-clock and CPU seconds of each phase and its ratio to the
``--help`` floor of the same run; ``--output`` gets everything as JSON.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from measure import Phase, PhaseResult, run_child, stop_running_child, time_phase  # noqa: E402
from report import phase_targets_table  # noqa: E402
from warm import read_tree  # noqa: E402

#: phase -> (target in seconds or None, what it measures)
PHASES = {
    "python": (None, "`python -c pass` (floor)"),
    "help": (None, "`modmig --help` (floor)"),
    "sample_cold": (2.0, "sample project: `makemigrations --check`, no ownership cache"),
    "sample_cached": (2.0, "sample project: `makemigrations --check`, ownership cached"),
    "big_check": (5.0, "{apps} apps x {tables} tables, one changed: `makemigrations --check`"),
    "big_dry_run": (5.0, "{apps} apps x {tables} tables, one changed: `makemigrations APP --dry-run` (render + verify)"),
}
#: What the timed processes import, read beforehand so the figures are warm-cache figures.
IMPORTS = ["modmig.cli", "modmig.api", "modmig.schema.makemigrations", "modmig.schema.ownership", "alembic.autogenerate",
           "alembic.operations", "sqlalchemy.orm", "sqlalchemy.dialects.sqlite", "sqlglot", "sqlparse", "yaml"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python bench/makemigrations.py", description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=10)
    parser.add_argument("--tables", type=int, default=50, help="per app (default 50)")
    parser.add_argument("--runs", type=int, default=5, help="runs per phase; figures are medians (default 5)")
    parser.add_argument("--budget", type=float, default=120.0, help="seconds one run may take (default 120)")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "makemigrations.json")
    return parser.parse_args(argv)


MODELS = '''import sqlalchemy as sa

metadata = sa.MetaData()
CHANGED = {changed}  # the app whose models gain a column

for t in range({tables}):
    sa.Table(
        f"{app}_t{{t}}", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("value", sa.Integer, server_default="0"),
        sa.Column("created", sa.TIMESTAMP),
        *([sa.Column("ref_id", sa.Integer, sa.ForeignKey(f"{app}_t{{t - 1}}.id"))] if t else []),
        *([sa.Column("extra", sa.String(20))] if CHANGED and t == 0 else []),
        sa.Index(f"{app}_t{{t}}_name", "name"),
    )
'''


def write_project(root: Path, apps: int, tables: int, per_file: int = 10) -> str:
    """Apps ``a0``.. with ``tables`` tables each (``per_file`` per migration) and matching models;
    returns the app whose models gain a column."""
    lines = ["database: sqlite:///app.db", "apps:"]
    for a in range(apps):
        app = f"a{a}"
        folder = root / "apps" / app / "migrations"
        folder.mkdir(parents=True)
        lines.append(f"  {app}: {{path: apps/{app}, models: {app}.models}}")
        for number, start in enumerate(range(0, tables, per_file), 1):
            statements = []
            for t in range(start, min(start + per_file, tables)):
                ref = f",\n    ref_id INTEGER REFERENCES {app}_t{t - 1} (id)" if t else ""
                statements.append(
                    f"CREATE TABLE {app}_t{t} (\n    id INTEGER PRIMARY KEY,\n    name VARCHAR(50) NOT NULL,\n"
                    f"    value INTEGER DEFAULT 0,\n    created TIMESTAMP{ref}\n);\n"
                    f"CREATE INDEX {app}_t{t}_name ON {app}_t{t} (name);\n"
                )
            down = "".join(f"DROP TABLE {app}_t{t};\n" for t in reversed(range(start, min(start + per_file, tables))))
            (folder / f"{number:04d}_tables_{start}.sql").write_text("".join(statements) + "-- modmig: down\n" + down)
        changed = app == f"a{apps // 2}"
        (root / "apps" / app / "models.py").write_text(MODELS.format(app=app, tables=tables, changed=changed))
    (root / "modmig.yaml").write_text("\n".join(lines) + "\n")
    return f"a{apps // 2}"


def phases(work: Path, python: str, apps: int, tables: int) -> dict[str, Phase]:
    sample = work / "sample"
    shutil.copytree(REPO / "sample_project", sample, ignore=shutil.ignore_patterns("*.db", "*.db-*", ".modmig"))
    big = work / "big"
    changed = write_project(big, apps, tables)
    command = [python, "-m", "modmig", "makemigrations"]
    code = "import importlib\nfor m in %r:\n    importlib.import_module(m)\n" % IMPORTS

    def forget(root: Path):
        return lambda: shutil.rmtree(root / ".modmig", ignore_errors=True)

    def warm(root: Path):
        def run() -> None:
            read_tree(root)
            run_child([python, "-c", code], root)
        return run

    found = {
        "python": Phase("python", [python, "-c", "pass"], sample),
        "help": Phase("help", [python, "-m", "modmig", "--help"], sample),
        "sample_cold": Phase("sample_cold", [*command, "--check"], sample, setup=forget(sample)),
        "sample_cached": Phase("sample_cached", [*command, "--check"], sample),
        # --check exits 1 here (the models differ, as they should): /bin/sh turns that answer into 0
        "big_check": Phase("big_check", ["/bin/sh", "-c", '"$@"; [ $? -eq 1 ]', "sh", *command, "--check"], big, setup=forget(big)),
        "big_dry_run": Phase("big_dry_run", [*command, changed, "--dry-run"], big, setup=forget(big)),
    }
    for phase in found.values():
        phase.warm = warm(phase.cwd)
    return found


def render(results: dict) -> str:
    title = f"makemigrations ({results['runs']} runs, medians; the big project: {results['apps']} apps x {results['tables']} tables)"
    phases = {name: (target, what.format(apps=results["apps"], tables=results["tables"])) for name, (target, what) in PHASES.items()}
    return phase_targets_table(title, phases, results["phases"])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    python = sys.executable
    work = Path(tempfile.mkdtemp(prefix="modmig-makemigrations-bench-"))
    try:
        found = phases(work, python, args.apps, args.tables)
        measured = {name: PhaseResult() for name in found}
        time_phase(found["sample_cold"], PhaseResult(), args.budget)  # the cached phase needs a cache
        for _ in range(args.runs):
            for name in PHASES:
                time_phase(found[name], measured[name], args.budget)
    finally:
        stop_running_child()
        shutil.rmtree(work, ignore_errors=True)
    results = {
        "apps": args.apps,
        "tables": args.tables,
        "runs": args.runs,
        "phases": {name: result.as_dict() for name, result in measured.items()},
        "targets": {name: target for name, (target, _) in PHASES.items() if target is not None},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(render(results))
    print(f"\nresults written to {args.output}", file=sys.stderr)
    failed = [name for name, result in measured.items() if result.status != "ok"]
    for name in failed:
        print(f"{name}: {measured[name].status} ({measured[name].note})", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
