"""The words of ``--fleet`` commands: per-target lines, summaries, the version matrix.

Pure formatting, like ``output.py``: functions take fleet results (``modmig.fleet.outcome``) and
return lines, so the commands in ``cli/fleet.py`` stay short and the wording is tested in one
place. ``FleetProgressPrinter`` shows a run as it goes: one line per target outcome in a log, a
live line (done / failed / remaining, rate, ETA) on a terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable

import click

from .output import Styled, plan_text, table

if TYPE_CHECKING:
    from ..fleet.outcome import FleetCheck, FleetPlan, FleetRunResult, FleetStatus, TargetResult

#: How each outcome is written in text (the JSON uses the keys).
WORDS = {"migrated": "migrated", "up_to_date": "up to date", "failed": "FAILED", "skipped": "skipped", "gone": "gone"}
MATRIX_HEADERS = ("app", "latest", "targets at each version")
#: Names listed at most in one line of a summary ("and 12 more").
LISTED = 10


def target_line(result: "TargetResult") -> str:
    """``tenant_007: migrated 3 step(s) in 0.41 s`` (what a log gets for each target)."""
    if result.status == "migrated":
        return f"{result.target}: migrated {result.steps_done} step(s) in {result.duration_ms / 1000:.2f} s"
    if result.status == "up_to_date":
        return f"{result.target}: up to date" + (" (another run migrated it)" if result.by_other_run else "")
    if result.status == "failed" and result.failure is not None:
        return f"{result.target}: FAILED ({result.failure.kind}): {result.failure.message}"
    return f"{result.target}: {WORDS[result.status]}: {result.reason}"


def run_summary(result: "FleetRunResult") -> list[Styled]:
    if not result.targets:
        return [(f"Fleet {result.fleet}: no target found; nothing to do.", "yellow")]
    counts = result.counts
    by_other = sum(1 for t in result.targets if t.by_other_run)
    what = f"{result.command} {result.app or '--all'}"
    lines: list[Styled] = [(
        f"Fleet {result.fleet}: {what} on {len(result.targets)} target(s) in {result.duration_ms / 1000:.2f} s, "
        f"up to {result.parallel} at a time, {result.distinct_states} distinct state(s) planned.",
        "bold",
    )]
    parts = [f"{WORDS[status].lower()} {counts[status]}" for status in counts]
    if by_other:
        parts[1] += f" ({by_other} by another run)"
    lines.append(("  " + ", ".join(parts), "bold green" if result.ok else "bold red"))
    for url, server in result.servers.items():
        if server["limited_by"]:
            lines.append((f"  {url}: {server['parallel']} target(s) at a time, limited by {server['limited_by']}.", "yellow"))
    failed = result.of("failed")
    if failed:
        lines.append((f"Failed ({len(failed)}):", "bold red"))
        lines += [(line, "red") for line in _failure_lines(failed)]
    skipped = result.of("skipped")
    if skipped:
        lines.append((f"Skipped ({len(skipped)}): {names(t.target for t in skipped)}: {skipped[0].reason}.", "yellow"))
    gone = result.of("gone")
    if gone:
        lines.append((f"Gone ({len(gone)}):", "yellow"))
        lines += [(f"  {t.target}: {t.reason}", "yellow") for t in gone]
    resume = next((t.failure.resume for t in failed if t.failure and t.failure.resume), None)
    if resume:
        lines.append((f"Once the cause is fixed, rerun what failed: {resume}", None))
    return lines


def _failure_lines(failed: list["TargetResult"]) -> list[str]:
    """A line per failed target; targets that failed for the same reason share one (a fleet of a
    thousand all locked, or all refusing one irreversible downgrade, is one reason, not a thousand)."""
    reasons: dict[tuple[str, str], list[str]] = {}
    for target in failed:
        failure = target.failure
        reasons.setdefault((failure.kind, failure.message) if failure else ("error", ""), []).append(target.target)
    lines = []
    for (kind, message), targets in reasons.items():
        if len(targets) == 1:
            lines.append(f"  {targets[0]}: {kind}: {message}")
        else:
            lines.append(f"  {len(targets)} target(s): {kind}: {message}")
            lines.append(f"    {names(targets)}")
    return lines


def matrix_rows(matrix: dict[str, dict]) -> list[list[object]]:
    """One row per app: its latest version and ``4: 38, 3: 2`` (version: how many targets)."""
    return [
        [app, entry["latest"], ", ".join(f"{version}: {count}" for version, count in entry["versions"].items()) or "-"]
        for app, entry in matrix.items()
    ]


def status_lines(status: "FleetStatus") -> tuple[str, list[Styled]]:
    """The heading above the matrix, and the lines under it (behind, problems, gone)."""
    heading = f"Fleet {status.fleet}: {len(status.targets)} target(s), {status.distinct_states} distinct state(s).\n"
    lines: list[Styled] = []
    behind = status.behind
    if behind:
        lines.append((f"\nBehind ({len(behind)}):", "yellow"))
        for target in behind:
            pending = "; ".join(f"{app}: {len(v)} pending ({_versions(v)})" for app, v in target.behind.items())
            lines.append((f"  {target.target}: {pending}", "yellow"))
    troubled = [t for t in status.with_problems if not t.gone]
    if troubled:
        lines.append((f"\nProblems ({len(troubled)}):", "red"))
        lines += [(f"  {t.target}: {'; '.join(t.problems)}", "red") for t in troubled]
    gone = [t for t in status.targets if t.gone]
    if gone:
        lines.append((f"\nGone ({len(gone)}): {names(t.target for t in gone)}", "yellow"))
    if not status.targets:
        lines.append(("No target found.", "yellow"))
    elif not behind and not troubled:
        lines.append(("\nEvery target is up to date.", "green"))
    return heading, lines


def check_lines(check: "FleetCheck") -> list[Styled]:
    total = len(check.status.targets)
    if check.ok:
        return [(f"OK: all {total} target(s) of fleet {check.status.fleet} are at their latest versions; nothing edited or dirty.", "green")]
    lines: list[Styled] = [(f"Check failed for {len(check.reasons)} of {total} target(s) of fleet {check.status.fleet}:", "red")]
    for target, reasons in check.reasons.items():
        lines += [(f"  - {target}: {reason}", "red") for reason in reasons]
    return lines


def plan_lines(plan: "FleetPlan") -> str:
    total = len(plan.up_to_date) + len(plan.errors) + sum(len(g.targets) for g in plan.groups)
    lines = [f"Fleet {plan.fleet}: {total} target(s); {len(plan.up_to_date)} up to date; {len(plan.groups)} distinct plan(s)."]
    for number, group in enumerate(plan.groups, start=1):
        lines.append(f"\nPlan {number}, for {len(group.targets)} target(s): {names(group.targets)}")
        lines.append(plan_text(group.plan))
    if plan.errors:
        lines.append(f"\nCannot be planned ({len(plan.errors)}):")
        lines += [f"  {target}: {' '.join(error.message.split())}" for target, error in plan.errors.items()]
    return "\n".join(lines)


def names(found: Iterable[str]) -> str:
    listed = list(found)
    shown = ", ".join(listed[:LISTED])
    return shown + (f" and {len(listed) - LISTED} more" if len(listed) > LISTED else "")


def _versions(versions: list[int]) -> str:
    return ", ".join(f"{v:04d}" for v in versions[:6]) + (" ..." if len(versions) > 6 else "")


def matrix_text(matrix: dict[str, dict]) -> str:
    return table(MATRIX_HEADERS, matrix_rows(matrix))


_EVENT_CLASSES: tuple = ()


def _event_classes() -> tuple:
    """(TargetEvent, TargetFinished, LockWaiting), imported on first use: a fleet run sends two
    events per migration of every target, and an import statement per event cost 2% of its time."""
    global _EVENT_CLASSES
    if not _EVENT_CLASSES:
        from ..events import LockWaiting
        from ..fleet.progress import TargetEvent, TargetFinished

        _EVENT_CLASSES = (TargetEvent, TargetFinished, LockWaiting)
    return _EVENT_CLASSES


class FleetProgressPrinter:
    """Prints a fleet run in a log: a line per target that did something (all with ``verbose``)."""

    def __init__(self, echo: Callable[..., None], quiet: bool = False, verbose: bool = False) -> None:
        self.echo, self.quiet, self.verbose = echo, quiet, verbose

    def __call__(self, event) -> None:
        TargetEvent, TargetFinished, LockWaiting = _event_classes()
        if isinstance(event, TargetEvent):
            if isinstance(event.event, LockWaiting):
                from .output import lock_waiting_text

                self.echo(f"{event.target}: {lock_waiting_text(event.event)}", err=True)
        elif isinstance(event, TargetFinished) and not self.quiet:
            status = event.result.status
            if status in ("migrated", "failed", "gone") or event.result.by_other_run or self.verbose:
                self.echo(target_line(event.result))


class RichFleetProgress:
    """On a terminal: one live line (bar, done / failed / remaining, rate, ETA), failures above it."""

    def __init__(self, console, quiet: bool = False, verbose: bool = False) -> None:
        self.console, self.quiet, self.verbose = console, quiet, verbose
        self.progress = None
        self.task = None

    def __call__(self, event) -> None:
        from ..fleet.progress import FleetStarted

        TargetEvent, TargetFinished, LockWaiting = _event_classes()
        if isinstance(event, TargetEvent):  # most events: a step of a target started or finished
            if isinstance(event.event, LockWaiting):
                from .output import lock_waiting_text

                click.echo(f"{event.target}: {lock_waiting_text(event.event)}", err=True)
            return
        if self.quiet:
            return
        if isinstance(event, FleetStarted):
            self._start(event)
        elif isinstance(event, TargetFinished):
            result = event.result
            if result.status in ("failed", "gone") or (self.verbose and result.status != "up_to_date"):
                self.console.print(target_line(result), style="red" if result.status == "failed" else None, markup=False)
            if self.progress is not None:
                rate = event.done / event.elapsed if event.elapsed > 0 else 0.0
                self.progress.update(self.task, completed=event.done, failed=event.failed, remaining=event.remaining, rate=rate)

    def _start(self, event) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.progress = Progress(
            TextColumn(f"[bold]{event.fleet}[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("done · [red]{task.fields[failed]} failed[/] · {task.fields[remaining]} remaining · {task.fields[rate]:.1f}/s"),
            TextColumn("· ETA"),
            TimeRemainingColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        self.task = self.progress.add_task("fleet", total=event.total, failed=0, remaining=event.total, rate=0.0)
        self.progress.start()

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
