"""Benchmark fleets: ``python bench/fleet.py [options]``.

For each kind of fleet it creates the targets (1,000 PostgreSQL schemas in one database, 200
MariaDB databases, 500 SQLite files by default), writes a project of 3 apps x 10 migrations with
a fleet over them, and then, run after run, times as fresh child processes, interleaved so the
machine's load weighs on all alike:

* ``floor``: ``bench/fleet_floor.py``, a bare driver loop with the same parallelism running the
  same DDL, version rows and history rows (the targets are emptied first);
* ``fresh``: ``modmig upgrade --all --fleet bench --parallel N`` on the same empty targets;
* ``noop``: the same command again, every target up to date.

Every figure is the median of the runs, the ratio is fresh / floor measured in the same run, and
peak memory is the highest of the runs (GNU time's ``%M`` of the modmig process). The issue's
targets: no-op under 5 s at 1,000 PostgreSQL schemas, fresh at most 1.3x the floor, peak memory
under 300 MB. Everything the benchmark creates is dropped at the end, also when interrupted.

Examples::

    python bench/fleet.py                                   # all three kinds, 3 runs
    python bench/fleet.py --kinds schemas --targets schemas=200 --runs 1 --output /tmp/fleet.json

The servers are the test suite's (``MODMIG_TEST_POSTGRES_URL``, ``MODMIG_TEST_MYSQL_URL``, else the
local defaults).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import RSS_SOURCE, Phase, PhaseResult, bytecode_as_installed, stop_running_child, time_phase  # noqa: E402

DEFAULT_TARGETS = {"schemas": 1000, "databases": 200, "files": 500}
APPS, PER_APP = ("alpha", "beta", "gamma"), 10
SERVERS = {
    "schemas": ("MODMIG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    "databases": ("MODMIG_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/"),
}
GOALS = {"noop_s": 5.0, "fresh_ratio": 1.3, "peak_rss_mb": 300.0}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python bench/fleet.py", description="Benchmark modmig fleets against a bare driver loop.")
    parser.add_argument("--kinds", default="schemas,databases,files", help="which fleets (default: schemas,databases,files)")
    parser.add_argument("--targets", default="", help="targets per kind, e.g. schemas=1000,files=500 (defaults: 1000, 200, 500)")
    parser.add_argument("--parallel", type=int, default=8, help="targets at once, for modmig and the floor (default 8)")
    parser.add_argument("--runs", type=int, default=3, help="runs per phase; figures are medians (default 3)")
    parser.add_argument("--budget", type=float, default=1800.0, help="seconds one run of a phase may take (default 1800)")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "fleet.json", help="JSON results (default bench/results/fleet.json)")
    args = parser.parse_args(argv)
    args.kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    unknown = [k for k in args.kinds if k not in DEFAULT_TARGETS]
    if unknown:
        parser.error(f"unknown kind(s) {', '.join(unknown)}; choose from {', '.join(DEFAULT_TARGETS)}")
    counts = dict(DEFAULT_TARGETS)
    for item in filter(None, (part.strip() for part in args.targets.split(","))):
        kind, _, number = item.partition("=")
        if kind not in counts or not number.isdigit() or int(number) < 1:
            parser.error(f"{item!r} is not KIND=NUMBER (kinds: {', '.join(DEFAULT_TARGETS)})")
        counts[kind] = int(number)
    args.counts = counts
    if args.runs < 1 or args.parallel < 1:
        parser.error("--runs and --parallel must be at least 1")
    return args


def steps() -> list[list]:
    """The workload in the order modmig applies it: [app, number, name, [statements]]."""
    found = []
    for app in APPS:
        for number in range(1, PER_APP + 1):
            if number % 2:
                sql = f"CREATE TABLE {app}_t{number} (id INTEGER PRIMARY KEY, v VARCHAR(40))"
                slug = f"create_t{number}"
            else:
                sql = f"CREATE INDEX {app}_i{number} ON {app}_t{number - 1} (v)"
                slug = f"index_t{number - 1}"
            found.append([app, number, f"{number:04d}_{slug}", [sql]])
    return found


def write_project(root: Path, fleet: str) -> None:
    for index, app in enumerate(APPS):
        folder = root / "apps" / app / "migrations"
        folder.mkdir(parents=True)
        for step_app, number, name, statements in steps():
            if step_app != app:
                continue
            depends = f"-- modmig: depends {APPS[index - 1]}:{number:04d}\n" if index and number == 5 else ""
            (folder / f"{name}.sql").write_text(depends + ";\n".join(statements) + ";\n", encoding="utf-8")
    apps = "".join(f"  {app}: apps/{app}\n" for app in APPS)
    (root / "modmig.yaml").write_text(f"apps:\n{apps}fleets:\n  bench:\n{fleet}", encoding="utf-8")


class Targets:
    """The targets of one kind: created, emptied between runs, dropped at the end."""

    def __init__(self, kind: str, count: int, work: Path) -> None:
        self.kind, self.count, self.work = kind, count, work
        self.names = [f"tenant_{n:04d}" for n in range(count)]
        self.engine = None
        tag = f"{os.getpid()}"
        if kind == "schemas":
            self.database = f"modmig_bench_fleet_{tag}"
            self.url = self._server().url.set(database=self.database)
        elif kind == "databases":
            self.names = [f"mmbench{tag}_{n:04d}" for n in range(count)]
            self.url = self._server().url
        else:
            self.folder = work / "tenants"

    def fleet_yaml(self) -> str:
        if self.kind == "schemas":
            return f'    schemas: "tenant_*"\n    database: {self.url.render_as_string(hide_password=False)}\n'
        if self.kind == "databases":
            return f'    databases: "mmbench{os.getpid()}_*"\n    server: {self.url.render_as_string(hide_password=False)}\n'
        return '    files: "tenants/*.db"\n'

    def floor_spec(self) -> dict:
        if self.kind == "schemas":
            url = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
            return {"kind": "postgresql", "url": url, "targets": self.names}
        if self.kind == "databases":
            kwargs = {"host": self.url.host or "127.0.0.1", "port": self.url.port or 3306, "user": self.url.username or "root",
                      "password": self.url.password or ""}
            return {"kind": "mysql", "url": json.dumps(kwargs), "targets": self.names}
        return {"kind": "sqlite", "url": "", "targets": [str(self.folder / f"{name}.db") for name in self.names]}

    def reset(self) -> None:
        """Empty targets, as a fresh fleet has them (the journal goes too); on PostgreSQL, checkpointed."""
        shutil.rmtree(self.work / ".modmig", ignore_errors=True)
        if self.kind == "schemas":
            with self._server().connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
                connection.exec_driver_sql(f'CREATE DATABASE "{self.database}"')
            from sqlalchemy import create_engine

            engine = create_engine(self.url)
            with engine.begin() as connection:
                connection.exec_driver_sql("".join(f'CREATE SCHEMA "{name}";' for name in self.names))
            engine.dispose()
            with self._server().connect() as connection:
                # Every timed run starts right after a checkpoint: otherwise one run pays for the
                # checkpoint that the WAL of the runs before it (and of CREATE DATABASE) triggered.
                connection.exec_driver_sql("CHECKPOINT")
        elif self.kind == "databases":
            with self._server().connect() as connection:
                for name in self.names:
                    connection.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
                    connection.exec_driver_sql(f"CREATE DATABASE `{name}`")
        else:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.mkdir(parents=True)
            for name in self.names:
                (self.folder / f"{name}.db").touch()

    def drop(self) -> None:
        if self.kind == "schemas":
            with self._server().connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        elif self.kind == "databases":
            with self._server().connect() as connection:
                for name in self.names:
                    connection.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        if self.engine is not None:
            self.engine.dispose()

    def _server(self):
        if self.engine is None:
            from sqlalchemy import create_engine

            variable, default = SERVERS[self.kind]
            self.engine = create_engine(os.environ.get(variable) or default, isolation_level="AUTOCOMMIT")
        return self.engine


def measure_kind(kind: str, args, root: Path) -> dict:
    work = root / kind
    work.mkdir()
    targets = Targets(kind, args.counts[kind], work)
    python = sys.executable
    try:
        write_project(work, targets.fleet_yaml())
        spec = {**targets.floor_spec(), "steps": steps(), "parallel": args.parallel}
        (work / "floor.json").write_text(json.dumps(spec), encoding="utf-8")
        command = [python, "-m", "modmig", "upgrade", "--all", "--fleet", "bench", "--parallel", str(args.parallel), "-q"]
        phases = {
            "floor": Phase("floor", [python, str(HERE / "fleet_floor.py"), str(work / "floor.json")], work, setup=targets.reset),
            "fresh": Phase("fresh", command, work, setup=targets.reset),
            "noop": Phase("noop", command, work),
        }
        results = {name: PhaseResult() for name in phases}
        for run in range(args.runs):
            for name, phase in phases.items():
                _say(f"{kind} x {targets.count}: {name}, run {run + 1}/{args.runs}")
                time_phase(phase, results[name], args.budget)
        return _summary(kind, targets.count, args.parallel, results)
    finally:
        targets.drop()


def _summary(kind: str, count: int, parallel: int, results: dict[str, PhaseResult]) -> dict:
    data = {"targets": count, "parallel": parallel, "phases": {name: r.as_dict() for name, r in results.items()}}
    floor, fresh, noop = (results[name] for name in ("floor", "fresh", "noop"))
    ratios = [f.seconds / b.seconds for f, b in zip(fresh.samples, floor.samples) if f.ok and b.ok]
    data["fresh_over_floor"] = round(statistics.median(ratios), 3) if ratios else None
    data["fresh_over_floor_runs"] = [round(r, 3) for r in ratios]
    data["peak_rss_mb"] = max(filter(None, (fresh.peak_rss_mb, noop.peak_rss_mb)), default=None)
    return data


def render(results: dict) -> str:
    lines = [
        "| fleet | targets | parallel | floor (s) | fresh (s) | fresh / floor | no-op (s) | peak RSS (MB) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind, data in results["kinds"].items():
        phases = data["phases"]
        lines.append(
            f"| {kind} | {data['targets']} | {data['parallel']} | {_cell(phases['floor'])} | {_cell(phases['fresh'])} | "
            f"{data['fresh_over_floor'] or '-'} | {_cell(phases['noop'])} | {data['peak_rss_mb'] or '-'} |"
        )
    return "\n".join(lines)


def _cell(phase: dict) -> str:
    return f"{phase['median_s']:.2f}" if phase["median_s"] is not None else phase["status"]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the targets are dropped
    root = Path(tempfile.mkdtemp(prefix="modmig-fleet-bench-"))
    results: dict = {
        "meta": {"started": _now(), "python": sys.version.split()[0], "cpus": os.cpu_count(), "rss_source": RSS_SOURCE,
                 "runs": args.runs, "goals": GOALS, "loadavg_start": os.getloadavg(),
                 "bytecode": bytecode_as_installed()},
        "kinds": {},
    }
    try:
        for kind in args.kinds:
            results["kinds"][kind] = measure_kind(kind, args, root)
    finally:
        stop_running_child()
        shutil.rmtree(root, ignore_errors=True)
        results["meta"]["finished"] = _now()
        results["meta"]["loadavg_end"] = os.getloadavg()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(render(results))
    _say(f"results written to {args.output}")
    return 0


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _say(text: str) -> None:
    print(f"[fleet bench] {text}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
