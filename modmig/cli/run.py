"""``upgrade`` and ``downgrade``: the commands that run migrations, and how a run is shown."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import click

from ..errors import ModmigError
from .common import (
    cli,
    complete_app,
    downgrade_confirmation,
    get_project,
    json_option,
    lock_option,
    project_options,
    target_options,
    verbosity_options,
)
from .fleet import fleet_options


@cli.command()
@click.argument("app", required=False, shell_complete=complete_app)
@click.option("--all", "all_apps", is_flag=True, help="Apply every pending migration of every app.")
@click.option("--to", metavar="N|+K", help="Stop at version N of APP, or K versions above where it is (+K).")
@click.option("--steps", type=click.IntRange(min=1), metavar="K", help="Apply APP's next K migrations only.")
@verbosity_options
@json_option
@lock_option
@project_options
@fleet_options("upgrade")
@click.pass_context
def upgrade(ctx, app, all_apps, to, steps, quiet, verbose, as_json, lock_timeout):
    """Apply APP's pending migrations (and those they need), or --all."""
    if bool(app) == all_apps:
        raise click.UsageError("Name one app or pass --all.")
    project = get_project(ctx)
    warn_ignored_files(project)
    with run_output(ctx, project, "upgrade", quiet, verbose, as_json) as listener:
        result = project.upgrade(app, **target_options(to, steps), lock_timeout=lock_timeout, on_event=listener)
    if not result.steps_done and not (quiet or as_json):
        click.echo("Nothing to apply: " + (f"{app} is up to date." if app else "every app is up to date."))


@cli.command()
@click.argument("app", shell_complete=complete_app)
@click.option("--to", metavar="N|-K", help="Version to go down to (0 = nothing applied), or K versions below where APP is (-K).")
@click.option("--steps", type=click.IntRange(min=1), metavar="K", help="Undo APP's last K migrations.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before undoing migrations of other apps.")
@verbosity_options
@json_option
@lock_option
@project_options
@fleet_options("downgrade")
@click.pass_context
def downgrade(ctx, app, to, steps, yes, quiet, verbose, as_json, lock_timeout):
    """Unapply APP's migrations above N, after the migrations of other apps that depend on them."""
    if (to is None) == (steps is None):
        raise click.UsageError("Give --to N (0 undoes everything), --to -K (K versions down) or --steps K.")
    confirm = downgrade_confirmation(yes, as_json, "This also undoes migrations of {apps}. Continue?")
    project = get_project(ctx)
    with run_output(ctx, project, "downgrade", quiet, verbose, as_json) as listener:
        result = project.downgrade(app, **target_options(to, steps), confirm=confirm, lock_timeout=lock_timeout, on_event=listener)
    if not result.steps_done and not (quiet or as_json):
        click.echo(f"Nothing to undo: {app} is already at or below the target.")


def warn_ignored_files(project) -> None:
    """Name, on stderr, every file that looks like a migration but is not read as one."""
    from .output import ignored_text

    for path, reason in project.ignored_files():
        click.echo(ignored_text(path, reason), err=True)


@contextmanager
def run_output(ctx: click.Context, project, command: str, quiet: bool, verbose: bool, as_json: bool) -> Iterator:
    """The listener that shows an upgrade / downgrade: step lines, or one JSON document at the end."""
    if not as_json:
        from .console import Console

        console = Console(quiet=quiet, verbose=verbose)
        if verbose and not quiet:
            console.line(f"Database: {project.display_url}")
        yield console.run_listener(project.transactional_ddl)
        return
    from .console import lock_notice
    from ..events import fan_out
    from .output import json_document
    from ..results import RunRecording

    recording = RunRecording("up" if command == "upgrade" else "down")
    ctx.meta["modmig.json_error"] = False  # from here on, the run document reports the failure
    try:
        yield fan_out([recording, lock_notice])
    except ModmigError as error:
        click.echo(json_document(command, recording.as_dict(error)))
        raise
    click.echo(json_document(command, recording.as_dict()))
