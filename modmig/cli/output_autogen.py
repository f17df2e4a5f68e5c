"""The text of ``modmig makemigrations`` and ``modmig check --drift``, and the questions they ask.

Pure formatting over the results (``MakemigrationsResult``, ``DriftReport``), like ``output.py``;
the two prompts are here too, so the wording of everything these commands say is in one place.
"""

from __future__ import annotations

import click

from ..errors import show_path
from .output import Styled


def makemigrations_lines(result) -> list[Styled]:
    """Per app: what differs and the file written for it (with --dry-run, the file itself)."""
    lines: list[Styled] = []
    where = f"{result.dialect}, migrations replayed on {result.scratch}"
    if not result.changed:
        return [(f"No changes: every app's models match its migrations ({where}).", "green")]
    for entry in result.apps:
        if not entry.changes:
            lines.append((f"{entry.app}: no changes", None))
            continue
        migration = entry.migration
        if migration is None:
            lines.append((f"{entry.app}: its models and migrations differ:", "bold yellow"))
        elif migration.written:
            lines.append((f"{entry.app}: wrote {show_path(migration.path)}", "bold green"))
        else:
            lines.append((f"{entry.app}: would write {show_path(migration.path)}", "bold cyan"))
        lines.extend((f"  - {change}", "red" if change.destructive else None) for change in entry.changes)
        if migration is not None and migration.requirements:
            needs = ", ".join(f"{r} ({r.reason})" for r in migration.requirements)
            lines.append((f"  depends on {needs}", None))
        if migration is not None and not migration.written:
            lines.append(("", None))
            lines.extend((f"    {line}", "dim") for line in migration.text.rstrip().splitlines())
            lines.append(("", None))
    if result.mode == "check":
        lines.append(("Models and migrations differ: run 'modmig makemigrations' to write the migrations.", "red"))
    elif result.mode == "dry-run":
        lines.append((f"Verified on a scratch database ({where}); nothing was written.", "green"))
    else:
        apps = " ".join(migration.app for migration in result.migrations)
        lines.append((f"Verified on a scratch database ({where}). Next: 'modmig upgrade {apps}'" if len(result.migrations) == 1
                      else f"Verified on a scratch database ({where}). Next: 'modmig upgrade --all'", "green"))
    return lines


def confirm_destructive(app: str, changes) -> bool:
    """On a terminal: may these changes, which lose data, be written? No is Declined (exit 1)."""
    from ..errors import Declined

    click.echo(f"{app}: these changes lose data:")
    for change in changes:
        click.echo(f"  - {change}")
    if not click.confirm("Write them?", default=False):
        raise Declined("You declined changes that lose data; nothing was written.")
    return True


def rename_question(app: str, table: str, old: str, new: str) -> bool:
    """On a terminal: is a dropped column and an added one of the same type a rename?"""
    return click.confirm(f"{app}: was {table}.{old} renamed to {table}.{new}? (no: drop {old}, add {new})", default=False)


def drift_lines(report) -> list[Styled]:
    """The differences grouped by owning app, then objects no app owns, then what was ignored."""
    versions = ", ".join(f"{app} {version}" for app, version in report.versions.items())
    lines: list[Styled] = [(f"Database: {report.database}", None), (f"Expected: the applied migrations ({versions}) replayed on {report.scratch}", None)]
    if report.ok:
        lines.append(("No drift: the database holds what its applied migrations make.", "green"))
    for app, items in sorted(report.by_app().items(), key=lambda pair: (pair[0] is None, pair[0] or "")):
        lines.append(("", None))
        lines.append((f"{app}: {len(items)} difference(s)" if app else f"Owned by no app: {len(items)} difference(s)", "bold yellow"))
        lines.extend((f"  - {item.kind} {item.name}: {_problem(item)}", None) for item in items)
    if report.unowned:
        lines.append(("", None))
        lines.append((f"Tables no app's migrations created: {', '.join(report.unowned)}", "yellow"))
    if report.ignored:
        lines.append((f"Ignored (drift: ignore in modmig.yaml): {', '.join(report.ignored)}", "dim"))
    if not report.ok:
        lines.append(("", None))
        lines.append(("Drift: the database differs from what its applied migrations make.", "red"))
    return lines


def _problem(item) -> str:
    text = {"missing": "missing", "unexpected": "not made by any applied migration", "differs": "differs"}[item.problem]
    return text + (f" ({item.detail})" if item.detail else "")
