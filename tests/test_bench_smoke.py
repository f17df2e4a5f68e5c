"""The benchmark keeps working: ``bench/run.py`` at the smallest size, one run, no peers.

This is a smoke test, not a performance test: it checks that every phase ran and produced a
number, never how large the number is (CI machines are too noisy for timing assertions).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PHASES = ("load_plan", "plan", "status", "fresh", "noop")


def test_the_benchmark_runs_at_the_smallest_size_and_reports_every_phase(tmp_path):
    output = tmp_path / "results.json"
    finished = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--sizes", "5x20", "--runs", "1", "--no-peers",
         "--output", str(output), "--workdir", str(tmp_path), "--fixture-size", "2x5", "--fixture-tests", "3"],
        capture_output=True, text=True, timeout=300,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    results = json.loads(output.read_text())

    size = results["sizes"]["5x20"]
    assert size["migrations"] == 100
    modmig = size["tools"]["modmig"]
    for phase in PHASES:
        assert modmig[phase]["status"] == "ok", (phase, modmig[phase])
        assert modmig[phase]["median_s"] > 0, phase
        assert modmig[phase]["peak_rss_mb"] > 0, phase
    if results["meta"]["modmig_squash"] == "absent":
        assert modmig["squash"]["status"] == "n/a"
    else:
        assert modmig["squash"]["median_s"] > 0
    assert size["tools"]["floor"]["fresh"]["median_s"] > 0
    assert size["schema_check"]["modmig"]["same_as_floor"], size["schema_check"]["modmig"]

    commands = results["startup"]["commands"]
    for command in ("python", "help", "status"):
        assert commands[command]["median_s"] > 0, command
    assert all(cost > 0 for cost in results["startup"]["imports_s"].values()), results["startup"]["imports_s"]
    assert "click" in results["startup"]["imports_by_command"]["help"]["heavy_modules"]

    sqlite = results["fixtures"]["databases"]["sqlite"]
    assert sqlite["status"] == "ok", sqlite
    assert sqlite["tests"] == 3 and sqlite["per_test_s"] > 0 and sqlite["first_s"] > 0
    assert sqlite["floor"]["median_s"] > 0
    assert "| sqlite |" in finished.stdout

    fresh_target = [t for t in results["targets"] if t["target"].startswith("fresh upgrade at 5x20")]
    assert fresh_target and fresh_target[0]["met"] in (True, False)
    assert "| fresh `upgrade --all` |" in finished.stdout


def test_the_benchmark_rejects_a_malformed_size_with_a_usage_message(tmp_path):
    finished = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--sizes", "5by20", "--output", str(tmp_path / "r.json")],
        capture_output=True, text=True, timeout=60,
    )
    assert finished.returncode == 2
    assert "'5by20' is not a size; write APPSxMIGRATIONS" in finished.stderr


def test_the_big_file_benchmark_runs_on_a_small_file_and_reports_every_figure(tmp_path):
    output = tmp_path / "bigfile.json"
    finished = subprocess.run(
        [sys.executable, str(REPO / "bench" / "bigfile.py"), "--mb", "0.05", "--runs", "1", "--output", str(output)],
        capture_output=True, text=True, timeout=300,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    results = json.loads(output.read_text())
    for row in ("floor", "split sqlite", "split postgresql", "split mysql", "upgrade sqlite", "upgrade postgresql", "upgrade mysql"):
        assert results["medians"][row]["wall_s"] > 0, row
    assert results["met"] in (True, False)
    assert "| modmig upgrade, mysql splitter |" in finished.stdout


def test_the_makemigrations_benchmark_runs_small_and_reports_every_phase(tmp_path):
    output = tmp_path / "mm.json"
    finished = subprocess.run(
        [sys.executable, str(REPO / "bench" / "makemigrations.py"), "--apps", "2", "--tables", "4", "--runs", "1", "--output", str(output)],
        capture_output=True, text=True, timeout=300,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    phases = json.loads(output.read_text())["phases"]
    for name in ("python", "help", "sample_cold", "sample_cached", "big_check", "big_dry_run"):
        assert phases[name]["status"] == "ok" and phases[name]["median_s"] > 0, (name, phases[name])
    assert "| sample project: `makemigrations --check`, no ownership cache |" in finished.stdout


def test_the_lint_benchmark_runs_small_and_reports_every_case(tmp_path):
    """bench/lint.py once broke silently (its stamps became refused as inconsistent); keep it running."""
    output = tmp_path / "lint.json"
    finished = subprocess.run(
        [sys.executable, str(REPO / "bench" / "lint.py"), "--runs", "1", "--small", "2x5", "--large", "12x3",
         "--output", str(output), "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    rows = json.loads(output.read_text())["results"]
    assert len(rows) == 6 and all(row["median_s"] > 0 and row["floor_s"] > 0 for row in rows)
    assert "lint (pending: 10 of 36), PostgreSQL" in finished.stdout


def test_the_lock_benchmark_runs_and_reports_both_locks_on_every_backend(tmp_path):
    output = tmp_path / "lock.json"
    finished = subprocess.run(
        [sys.executable, str(REPO / "bench" / "lock.py"), "--migrations", "3", "--runs", "1",
         "--output", str(output), "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    results = json.loads(output.read_text())
    sqlite = results["backends"]["sqlite"]
    assert sqlite["status"] == "ok"
    for backend in results["backends"].values():
        if backend["status"] == "ok":
            for lock in ("advisory", "lease"):
                assert backend["medians_ms"][lock]["fresh"] > 0 and backend["medians_ms"][lock]["noop"] > 0
            assert backend["met"] in (True, False)
    assert results["met"] in (True, False)
    assert "| sqlite | lease |" in finished.stdout


def test_the_bound_without_sqlalchemy_runs_small_and_every_child_makes_the_same_database(tmp_path):
    output = tmp_path / "bound.json"
    finished = subprocess.run(
        [sys.executable, str(REPO / "bench" / "bound_without_sqlalchemy.py"), "--apps", "2", "--migrations", "3",
         "--rounds", "1", "--output", str(output)],
        capture_output=True, text=True, timeout=300,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    results = json.loads(output.read_text())
    made = results["made"]
    assert made["bound"] == made["bound_sa"] == made["modmig"] == made["floor"]
    assert made["modmig"]["history_rows"] == 2 * 3 and made["modmig"]["schema_objects"] > 2
    for child in ("modmig", "bound", "bound_sa"):
        assert results["medians"][child]["wall_ratio"] > 0, child
    assert "Every child made the same database" in finished.stdout
    assert "| bound: modmig's front half + the floor's loop |" in finished.stdout
