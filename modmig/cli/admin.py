"""Commands that shape the project or its bookkeeping: ``new``, ``init``, ``stamp``, ``repair``, ``adopt``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .common import cli, complete_app, get_project, json_option, lock_option, project_options


@cli.command()
@click.argument("app", shell_complete=complete_app)
@click.argument("slug")
@click.option("--python", is_flag=True, help="Write a Python migration instead of SQL.")
@project_options
@click.pass_context
def new(ctx, app, slug, python):
    """Write APP's next numbered migration file, named NNNN_SLUG."""
    from ..errors import show_path

    click.echo(f"Created {show_path(get_project(ctx).new_migration(app, slug, python=python))}")


@cli.command()
@click.argument("app", shell_complete=complete_app)
@click.argument("version", type=click.IntRange(min=0), required=False)
@click.option(
    "--from-user-version", is_flag=True,
    help="SQLite: take VERSION from the database's PRAGMA user_version (a database migrated by numbered .sql files).",
)
@click.option(
    "--force", is_flag=True,
    help="Record it even if the result is inconsistent (a dependency not applied) or, with --from-user-version, lower than recorded.",
)
@lock_option
@project_options
@click.pass_context
def stamp(ctx, app, version, from_user_version, force, lock_timeout):
    """Record APP at VERSION without running anything (to adopt an existing database)."""
    if (version is None) == (not from_user_version):
        raise click.UsageError("Give VERSION or --from-user-version (one of them).")
    project = get_project(ctx)
    if from_user_version:
        version = project.user_version()
        click.echo(f"The database's PRAGMA user_version is {version}.")
    result = project.stamp(app, version, lock_timeout=lock_timeout, force=force, from_user_version=from_user_version)
    click.echo(f"Stamped {result.app} at {result.version} (was {result.previous}).")


@cli.command()
@click.argument("app", shell_complete=complete_app)
@click.option("--applied/--not-applied", default=None, help="Resolve a dirty migration: its effect is / is not in the database.")
@click.option(
    "--statements-done", type=click.IntRange(min=0), metavar="N",
    help="Resolve a dirty migration: exactly its first N statements took effect; the next run resumes after them.",
)
@click.option("--renumbered", is_flag=True, help="Catch up after 'modmig merge' renumbered a migration this database applied.")
@lock_option
@project_options
@click.pass_context
def repair(ctx, app, applied, statements_done, renumbered, lock_timeout):
    """Re-record checksums of APP's edited migrations and resolve its dirty mark."""
    result = get_project(ctx).repair(
        app, applied=applied, statements_done=statements_done, renumbered=renumbered, lock_timeout=lock_timeout
    )
    if renumbered:
        for line in result.rechecksummed:
            click.echo(f"Renumbered record: {line}" if "->" in line else f"Ran {line}")
        click.echo(f"{app} is at {result.version}.")
        return
    if result.resolved and result.resolved[0].isdigit():
        click.echo(f"Recorded the progress of the dirty migration of {app}: {result.resolved}.")
    elif result.resolved:
        click.echo(f"Resolved the dirty migration of {app} as {result.resolved}; {app} is at {result.version}.")
    for label in result.rechecksummed:
        click.echo(f"Re-recorded the checksum of {label}.")
    if not result.resolved and not result.rechecksummed:
        click.echo(f"Nothing to repair in {app}.")


@cli.command(short_help="Write modmig.yaml from the migrations/ folders found here.")
@click.argument("folder", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path), default=".")
@project_options
@click.pass_context
def init(ctx, folder):
    """Write FOLDER/modmig.yaml (default: here) listing every folder that has a migrations/ folder.

    On a terminal it asks for the database URL (unless --database is given); otherwise it asks
    nothing. It never overwrites an existing modmig.yaml.
    """
    from ..errors import show_path
    from ..files.project_init import DEFAULT_DATABASE, find_apps, write_config

    root = folder.resolve()
    apps = find_apps(root)
    database = ctx.meta.get("modmig.database")
    if database is None:
        interactive = sys.stdin.isatty() and sys.stdout.isatty()
        database = click.prompt("Database URL", default=DEFAULT_DATABASE) if interactive else DEFAULT_DATABASE
    path = write_config(root, apps, database)
    click.echo(f"Wrote {show_path(path)} with {len(apps)} app(s)" + (":" if apps else "."))
    for app in apps:
        click.echo(f"  {app.label}: {app.folder.as_posix()}")
    for app in apps:
        if app.user_version_files:
            click.echo(
                f"{app.label}'s files set PRAGMA user_version: adopt a database migrated by them with "
                f"'modmig stamp {app.label} --from-user-version'."
            )
    click.echo("Next: 'modmig status' shows each app's version; 'modmig upgrade --all' applies what is pending.")


@cli.command(short_help="Stamp apps whose Django or Alembic migrations were converted.")
@click.argument("tool", type=click.Choice(["django", "alembic"]))
@click.option("--yes", "-y", is_flag=True, help="Record the proposed stamps (without it, only show them).")
@json_option
@lock_option
@project_options
@click.pass_context
def adopt(ctx, tool, yes, as_json, lock_timeout):
    """Propose (or, with --yes, record) stamps from Django's django_migrations or Alembic's alembic_version.

    For apps whose migrations were converted to modmig files: a Django migration matches the modmig
    file of the same app and name (0002_add_email); an Alembic revision matches the file whose name
    carries its id (0002_ae1027a6acf_add_email.sql). Apps modmig already tracks are left alone.
    """
    from .output import adoption_rows, json_document

    proposal = get_project(ctx).adopt(tool, record=yes, lock_timeout=lock_timeout)
    if as_json:
        click.echo(json_document("adopt", proposal.as_dict()))
        return
    from .console import Console

    console = Console()
    rows = adoption_rows(proposal)
    if rows:
        console.table(("app", tool, "modmig now", "stamp at", "action"), rows, styled=("action",))
    for note in proposal.notes:
        console.line(f"Note: {note}", style="yellow")
    to_stamp = [s for s in proposal.stamps if s.action == "stamp"]
    if not to_stamp:
        console.line("Nothing to stamp.")
    elif proposal.recorded:
        console.line(f"Stamped {len(to_stamp)} app(s). 'modmig status' shows where each stands.", style="green")
    else:
        console.line(f"Nothing recorded yet. Run 'modmig adopt {tool} --yes' to record these stamps.", style="yellow")
