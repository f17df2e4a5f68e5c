"""Time one child process: wall-clock seconds, its own peak memory, and a time budget.

Every figure of the benchmark is a whole process started fresh, so start-up and imports count
the way a user feels them. CPU time comes from ``os.wait4`` on that child (not
``RUSAGE_CHILDREN``, which accumulates every child so far).

Peak memory needs care: Linux carries a process's peak RSS across ``fork`` and ``exec``, so a
child spawned by the benchmark runner starts with the *runner's* RSS as its peak (a 21 MB
floor process read 56 MB once the runner held a 10,000-table schema). The child is therefore
started by GNU ``time``, a small process whose own child's peak is genuinely its own, and
``%M`` is what we report. Without GNU time the ``wait4`` figure is kept, as an upper bound.

A child that runs past its budget is killed with its process group and reported as over budget
instead of hanging the benchmark.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

#: ``ru_maxrss`` is in kilobytes on Linux and in bytes on macOS.
_RSS_UNIT = 1 if sys.platform == "darwin" else 1024
_GNU_TIME = "/usr/bin/time"
#: The child being measured right now, so an interrupted benchmark can stop it.
_running: subprocess.Popen | None = None


def gnu_time_available() -> bool:
    try:
        found = subprocess.run([_GNU_TIME, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return "GNU" in found.stdout + found.stderr


_USE_GNU_TIME = gnu_time_available()
RSS_SOURCE = (
    "GNU time %M (the child's own peak)" if _USE_GNU_TIME
    else "os.wait4 ru_maxrss (upper bound: includes the runner's RSS when the child was spawned)"
)


def bytecode_as_installed() -> str:
    """Let the measured processes load compiled bytecode, as on a user's machine; returns what was done.

    ``pip install modmig`` compiles the package's ``.pyc`` files at install time, and a developer's
    Python caches the bytecode of what it imports. An editable install run with
    ``PYTHONDONTWRITEBYTECODE=1`` (set in some shells and containers) has neither: every child
    compiled modmig's ~200 modules from source, about 0.1 s a process that no installed copy pays,
    and a peer's migration files were compiled again on every run. So modmig's package is compiled
    once here, and the variable is dropped for the children (their first, warm-up run writes the
    peers' caches). The benchmark's meta records it.
    """
    import compileall

    import modmig

    compileall.compile_dir(str(Path(modmig.__file__).parent), quiet=1)
    dropped = os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is not None
    return "modmig compiled; PYTHONDONTWRITEBYTECODE dropped for the children" if dropped else "modmig compiled"


def stop_running_child() -> None:
    """Kill the child being measured, if any (the benchmark was interrupted)."""
    if _running is not None and _running.returncode is None:
        try:
            os.killpg(_running.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@dataclass
class Sample:
    """One run of one child process."""

    seconds: float
    rss_mb: float
    returncode: int
    #: User + system CPU seconds of the child: less sensitive than wall time to a busy machine
    #: (but blind to time spent waiting for the disk, such as fsync).
    cpu_s: float = 0.0
    over_budget: bool = False
    stdout: str = ""
    stderr: str = ""
    #: What the child reported about itself (the last stdout line, when it is a JSON object).
    reported: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.over_budget


class ChildFailed(RuntimeError):
    def __init__(self, argv: Sequence[str], sample: Sample) -> None:
        self.sample = sample
        tail = (sample.stderr or sample.stdout).strip().splitlines()[-15:]
        super().__init__(f"{' '.join(argv)} exited {sample.returncode}:\n" + "\n".join(tail))


def run_child(
    argv: Sequence[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    budget: float | None = None,
) -> Sample:
    """Run ``argv`` to completion (or until ``budget`` seconds) and measure it."""
    global _running
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err, \
            tempfile.NamedTemporaryFile("w+", suffix=".rss") as rss:
        command = list(argv)
        if _USE_GNU_TIME:
            command = [_GNU_TIME, "-f", "%M", "-o", rss.name, *command]
        clock = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        _running = process
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(budget, kill) if budget else None
        if timer:
            timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            if timer:
                timer.cancel()
        seconds = time.perf_counter() - clock
        process.returncode = os.waitstatus_to_exitcode(status)
        _running = None
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
        rss_kb = _gnu_time_rss_kb(rss.name) if _USE_GNU_TIME else None
    if rss_kb is None:
        rss_kb = usage.ru_maxrss * _RSS_UNIT / 1024
    return Sample(
        seconds=seconds,
        rss_mb=rss_kb / 1024,
        returncode=process.returncode,
        cpu_s=usage.ru_utime + usage.ru_stime,
        over_budget=killed.is_set(),
        stdout=stdout,
        stderr=stderr,
        reported=_last_json_line(stdout),
    )


def _gnu_time_rss_kb(path: str) -> int | None:
    """The ``%M`` line GNU time wrote (after any "Command exited with..." line), in kilobytes."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        lines = [line.strip() for line in handle if line.strip()]
    return int(lines[-1]) if lines and lines[-1].isdigit() else None


def _last_json_line(stdout: str) -> dict:
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                return {}
            return value if isinstance(value, dict) else {}
    return {}


@dataclass
class Phase:
    """A command to time, and what must happen (untimed) before each run of it."""

    name: str
    argv: list[str]
    cwd: Path
    env: dict[str, str] | None = None
    setup: Callable[[], None] | None = None
    #: When set, the figure is this key of what the child reports (an in-process timing),
    #: not the child's wall-clock time.
    reported_key: str | None = None
    #: Untimed, after ``setup``: bring the files the run will read into the page cache.
    warm: Callable[[], None] | None = None


@dataclass
class PhaseResult:
    """Every run of one phase of one tool at one size."""

    samples: list[Sample] = field(default_factory=list)
    #: "ok", "over budget", "failed", "n/a" or "skipped".
    status: str = "ok"
    note: str | None = None
    figure_key: str | None = None
    #: Set when the first run took so long that further runs were skipped (noise is small then).
    single: bool = False

    def add(self, sample: Sample, budget: float | None) -> None:
        self.samples.append(sample)
        if sample.over_budget:
            self.status = "over budget"
            self.note = f"> {budget:g} s budget"
        elif sample.returncode != 0:
            self.status = "failed"
            tail = (sample.stderr or sample.stdout).strip().splitlines()[-6:]
            self.note = f"exit {sample.returncode}: " + " | ".join(tail)

    @property
    def done(self) -> bool:
        """True once a run failed, ran out of budget or was long enough to stand alone."""
        return self.status != "ok" or self.single

    def figures(self) -> list[float]:
        if self.figure_key:
            return [s.reported[self.figure_key] for s in self.samples if s.ok and self.figure_key in s.reported]
        return [s.seconds for s in self.samples if s.ok]

    @property
    def median(self) -> float | None:
        figures = self.figures()
        return statistics.median(figures) if figures and self.status == "ok" else None

    @property
    def cpu_median(self) -> float | None:
        figures = [s.cpu_s for s in self.samples if s.ok]
        return statistics.median(figures) if figures and self.status == "ok" else None

    @property
    def peak_rss_mb(self) -> float | None:
        values = [s.rss_mb for s in self.samples if s.ok]
        return max(values) if values and self.status == "ok" else None

    def as_dict(self) -> dict:
        figures = self.figures()
        data = {
            "status": self.status,
            "median_s": _round(self.median),
            "runs_s": [_round(f) for f in figures],
            "wall_runs_s": [_round(s.seconds) for s in self.samples],
            "cpu_median_s": _round(self.cpu_median),
            "cpu_runs_s": [_round(s.cpu_s) for s in self.samples],
            "peak_rss_mb": _round(self.peak_rss_mb, 1),
        }
        if self.figure_key:
            data["figure"] = f"in-process '{self.figure_key}' reported by the child"
            extras = {}
            for sample in self.samples:
                for key, value in sample.reported.items():
                    if isinstance(value, (int, float)) and key != self.figure_key:
                        extras.setdefault(key, []).append(value)
            data["reported_medians_s"] = {k: _round(statistics.median(v)) for k, v in sorted(extras.items())}
        if self.single:
            data["single_run_note"] = "measured once: the first run was longer than --long"
        if self.note:
            data["note"] = self.note
        return data


def time_phase(phase: Phase, result: PhaseResult, budget: float | None, long: float | None = None) -> None:
    """One more run of ``phase`` into ``result``.

    Nothing happens once an earlier run failed, ran out of ``budget``, or took more than ``long``
    seconds (a phase that long is measured once: the machine's noise is small against it).
    """
    if result.done:
        return
    result.figure_key = phase.reported_key
    if phase.setup is not None:
        phase.setup()
    if phase.warm is not None:
        phase.warm()
    # Flush what earlier phases (and the setup) wrote: the child's own fdatasync calls must not
    # wait for someone else's dirty pages to reach the disk.
    os.sync()
    sample = run_child(phase.argv, phase.cwd, phase.env, budget)
    result.add(sample, budget)
    if long is not None and sample.ok and sample.seconds > long:
        result.single = True


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)
