"""The ``modmig`` command line: a few lines per command over ``modmig.api``.

This is the one place where a ``ModmigError`` becomes a message on stderr and an exit code
(0 ok, 1 a migration or check failed, 2 usage / config / graph error). Any other exception is a
bug in modmig and keeps its traceback.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import click

from . import __version__
from .errors import ModmigError

EXIT_FAILED = 1


class ModmigGroup(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ModmigError as error:
            from .console import Console

            if ctx.meta.get("modmig.json_error"):
                from .output import error_json

                click.echo(error_json(error))
            Console().error(str(error))
            ctx.exit(error.exit_code)
        except click.UsageError as error:  # options that do not go together: still a document for --json
            if ctx.meta.get("modmig.json_error"):
                from .errors import UsageError
                from .output import error_json

                click.echo(error_json(UsageError(error.format_message())))
            raise


def _remember(ctx: click.Context, param: click.Parameter, value):
    if value is not None:
        ctx.meta[f"modmig.{param.name}"] = value
    return value


def project_options(function):
    """``--config`` and ``--database``, accepted before or after the command name."""
    function = click.option(
        "--database", metavar="URL", expose_value=False, callback=_remember,
        help="Database URL (overrides MODMIG_DATABASE_URL and modmig.yaml).",
    )(function)
    return click.option(
        "--config", "config", metavar="PATH", expose_value=False, callback=_remember,
        help="Path to modmig.yaml (default: search upwards; or MODMIG_CONFIG).",
    )(function)


def lock_option(function):
    return click.option(
        "--lock-timeout", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
        help="Give up waiting for another run's lock after this long (default 60).",
    )(function)


def json_option(function):
    """``--json``: one JSON document on stdout (docs/json.md); a failure prints an error document."""

    def remember(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
        if value:
            ctx.meta["modmig.json_error"] = True
        return value

    return click.option(
        "--json", "as_json", is_flag=True, callback=remember, help="Print one JSON document (schema: docs/json.md)."
    )(function)


def verbosity_options(function):
    function = click.option("-v", "--verbose", is_flag=True, help="Also print each step's file and mode.")(function)
    return click.option("-q", "--quiet", is_flag=True, help="Print only errors.")(function)


def complete_app(ctx: click.Context, param: click.Parameter, incomplete: str):
    """Shell completion of app labels, read from modmig.yaml (no database is opened)."""
    from .config import find_config, load_config
    from .errors import ModmigError as Failure

    try:
        config = load_config(find_config(explicit=ctx.meta.get("modmig.config")))
    except Failure:
        return []
    return [label for label in sorted(config.apps) if label.startswith(incomplete)]


def get_project(ctx: click.Context):
    from .api import Project

    project = ctx.meta.get("modmig.project")
    if project is None:
        project = Project.load(ctx.meta.get("modmig.config"), database=ctx.meta.get("modmig.database"))
        ctx.meta["modmig.project"] = project
        ctx.call_on_close(project.close)
    return project


@click.group(cls=ModmigGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="modmig")
@project_options
def cli() -> None:
    """Per-application database migrations with a cross-app dependency graph."""


@cli.command()
@click.argument("app", required=False, shell_complete=complete_app)
@click.option("--all", "all_apps", is_flag=True, help="Apply every pending migration of every app.")
@click.option("--to", type=int, metavar="N", help="Stop at version N of APP.")
@verbosity_options
@json_option
@lock_option
@project_options
@click.pass_context
def upgrade(ctx, app, all_apps, to, quiet, verbose, as_json, lock_timeout):
    """Apply APP's pending migrations (and those they need), or --all."""
    if bool(app) == all_apps:
        raise click.UsageError("Name one app or pass --all.")
    project = get_project(ctx)
    with run_output(ctx, project, "upgrade", quiet, verbose, as_json) as listener:
        result = project.upgrade(app, to=to, lock_timeout=lock_timeout, on_event=listener)
    if not result.steps_done and not (quiet or as_json):
        click.echo("Nothing to apply: " + (f"{app} is up to date." if app else "every app is up to date."))


@cli.command()
@click.argument("app", shell_complete=complete_app)
@click.option("--to", type=int, required=True, metavar="N", help="Version to go down to (0 = nothing applied).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before undoing migrations of other apps.")
@verbosity_options
@json_option
@lock_option
@project_options
@click.pass_context
def downgrade(ctx, app, to, yes, quiet, verbose, as_json, lock_timeout):
    """Unapply APP's migrations above N, after the migrations of other apps that depend on them."""
    from .output import plan_text

    def confirm(plan) -> bool:
        if yes:
            return True
        if as_json or not sys.stdin.isatty():
            return False
        click.echo(plan_text(plan))
        return click.confirm(f"This also undoes migrations of {', '.join(plan.other_apps)}. Continue?")

    project = get_project(ctx)
    with run_output(ctx, project, "downgrade", quiet, verbose, as_json) as listener:
        result = project.downgrade(app, to=to, confirm=confirm, lock_timeout=lock_timeout, on_event=listener)
    if not result.steps_done and not (quiet or as_json):
        click.echo(f"Nothing to undo: {app} is already at {to}.")


@contextmanager
def run_output(ctx: click.Context, project, command: str, quiet: bool, verbose: bool, as_json: bool) -> Iterator:
    """The listener that shows an upgrade / downgrade: step lines, or one JSON document at the end."""
    if not as_json:
        from .console import Console

        console = Console(quiet=quiet, verbose=verbose)
        if verbose and not quiet:
            console.line(f"Database: {project.backend.display_url}")
        yield console.run_listener()
        return
    from .console import lock_notice
    from .events import fan_out
    from .output import json_document
    from .results import RunRecording

    recording = RunRecording("up" if command == "upgrade" else "down")
    ctx.meta["modmig.json_error"] = False  # from here on, the run document reports the failure
    try:
        yield fan_out([recording, lock_notice])
    except ModmigError as error:
        click.echo(json_document(command, recording.as_dict(error)))
        raise
    click.echo(json_document(command, recording.as_dict()))


@cli.command()
@click.argument("app", required=False, shell_complete=complete_app)
@json_option
@project_options
@click.pass_context
def status(ctx, app, as_json):
    """Per app: version, latest, pending, dirty and edited migrations; plus orphans."""
    from .output import STATUS_HEADERS, json_document, status_rows

    report = get_project(ctx).status(app)
    if as_json:
        click.echo(json_document("status", report.as_dict()))
    else:
        from .console import Console

        console = Console()
        rows, notes = status_rows(report)
        console.line(f"Database: {report.database}\n")
        console.table(STATUS_HEADERS, rows)
        for note in notes:
            console.line(note, style="red" if "dirty" in note or "changed" in note or "Inconsistent" in note else "yellow")
    error = report.error()
    if error is not None:
        raise error


@cli.command()
@click.option("--roundtrip", is_flag=True, help="Instead: on a scratch database, check every migration's down undoes its up.")
@click.option("--scratch", metavar="URL", help="With --roundtrip: an empty database to use (default: a temporary SQLite file).")
@json_option
@project_options
@click.pass_context
def check(ctx, roundtrip, scratch, as_json):
    """Exit 0 when every app is at its latest and nothing was edited; 1 with the reasons otherwise."""
    from .output import check_text, json_document

    if scratch and not roundtrip:
        raise click.UsageError("--scratch goes with --roundtrip.")
    if roundtrip:
        from .console import Console
        from .output import roundtrip_text

        outcome = get_project(ctx).check_roundtrip(scratch)
        if as_json:
            click.echo(json_document("roundtrip", outcome.as_dict()))
        else:
            Console().line(roundtrip_text(outcome), style="green" if outcome.ok else "red")
        ctx.exit(0 if outcome.ok else EXIT_FAILED)
    report = get_project(ctx).check()
    if as_json:
        click.echo(json_document("check", report.as_dict()))
    else:
        from .console import Console

        Console().line(check_text(report), style="green" if report.ok else "red")
    ctx.exit(0 if report.ok else EXIT_FAILED)


@cli.command()
@click.argument("app", required=False, shell_complete=complete_app)
@click.option("--all", "all_apps", is_flag=True, help="Plan every app (the default without APP).")
@click.option("--to", type=int, metavar="N", help="Stop at version N of APP.")
@json_option
@click.option("--sql", "with_sql", is_flag=True, help="Print the SQL each step would run.")
@project_options
@click.pass_context
def plan(ctx, app, all_apps, to, as_json, with_sql):
    """Show what 'upgrade' would do, in order, without changing anything."""
    from .output import plan_json, plan_text

    if app and all_apps:
        raise click.UsageError("Name one app or pass --all, not both.")
    project = get_project(ctx)
    result = project.plan(app, to=to)
    sql = project.step_sql if with_sql else None
    click.echo(plan_json(result, sql) if as_json else plan_text(result, sql))


@cli.command()
@click.argument("app", shell_complete=complete_app)
@click.argument("slug")
@click.option("--python", is_flag=True, help="Write a Python migration instead of SQL.")
@project_options
@click.pass_context
def new(ctx, app, slug, python):
    """Write APP's next numbered migration file, named NNNN_SLUG."""
    from .errors import show_path

    click.echo(f"Created {show_path(get_project(ctx).new_migration(app, slug, python=python))}")


@cli.command()
@click.argument("app", required=False, shell_complete=complete_app)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the most recent N rows.")
@json_option
@project_options
@click.pass_context
def history(ctx, app, limit, as_json):
    """Every step ever run against the database (up, down, stamp, repair), oldest first."""
    from .output import HISTORY_HEADERS, history_json, history_rows

    project = get_project(ctx)
    if app:
        project.require_app(app)
    entries = project.history(app, limit)
    if as_json:
        click.echo(history_json(entries))
        return
    from .console import Console

    console = Console()
    if entries:
        console.table(HISTORY_HEADERS, history_rows(entries))
    else:
        console.line("No history yet.")


@cli.command()
@click.argument("app", shell_complete=complete_app)
@click.argument("version", type=click.IntRange(min=0), required=False)
@click.option(
    "--from-user-version", is_flag=True,
    help="SQLite: take VERSION from the database's PRAGMA user_version (a database migrated by numbered .sql files).",
)
@lock_option
@project_options
@click.pass_context
def stamp(ctx, app, version, from_user_version, lock_timeout):
    """Record APP at VERSION without running anything (to adopt an existing database)."""
    if (version is None) == (not from_user_version):
        raise click.UsageError("Give VERSION or --from-user-version (one of them).")
    project = get_project(ctx)
    if from_user_version:
        version = project.user_version()
        click.echo(f"The database's PRAGMA user_version is {version}.")
    result = project.stamp(app, version, lock_timeout=lock_timeout)
    click.echo(f"Stamped {result.app} at {result.version} (was {result.previous}).")


@cli.command()
@click.argument("app", shell_complete=complete_app)
@click.option("--applied/--not-applied", default=None, help="Resolve a dirty migration: its effect is / is not in the database.")
@click.option("--renumbered", is_flag=True, help="Catch up after 'modmig merge' renumbered a migration this database applied.")
@lock_option
@project_options
@click.pass_context
def repair(ctx, app, applied, renumbered, lock_timeout):
    """Re-record checksums of APP's edited migrations and resolve its dirty mark."""
    result = get_project(ctx).repair(app, applied=applied, renumbered=renumbered, lock_timeout=lock_timeout)
    if renumbered:
        for line in result.rechecksummed:
            click.echo(f"Renumbered record: {line}" if "->" in line else f"Ran {line}")
        click.echo(f"{app} is at {result.version}.")
        return
    if result.resolved:
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
    from .errors import show_path
    from .project_init import DEFAULT_DATABASE, find_apps, write_config

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


@cli.command()
@click.argument("app", shell_complete=complete_app)
@click.option("--from", "first", type=click.IntRange(min=1), metavar="M", help="First version to squash (default: the first file).")
@click.option("--to", "last", type=click.IntRange(min=1), metavar="N", help="Last version to squash (default: the latest).")
@click.option("--auto", is_flag=True, help="If the range would close a dependency cycle, squash up to the largest safe N.")
@click.option("--prune", is_flag=True, help="Instead of squashing: delete the files APP's squash replaces.")
@click.option("--verify-url", metavar="URL", help="PostgreSQL/MySQL server for the scratch databases (default: SQLite in memory).")
@click.option("--no-verify", is_flag=True, help="Write the squash without checking it against the originals.")
@json_option
@project_options
@click.pass_context
def squash(ctx, app, first, last, auto, prune, verify_url, no_verify, as_json):
    """Collapse APP's history (or --from M --to N) into one verified file.

    Nothing is written unless the squash, applied to a scratch database, gives the same schema and
    rows as the originals (and its down section undoes it). With --prune, delete the files an
    existing squash replaces instead, once the configured database is not inside its range.
    """
    from .console import Console
    from .output import json_document, prune_lines, squash_lines

    if prune and (first or last or auto or verify_url or no_verify):
        raise click.UsageError("--prune takes no other option: it deletes what an existing squash replaces.")
    project = get_project(ctx)
    console = Console(quiet=as_json)  # no spinner in the way of the JSON document
    if prune:
        result = project.prune(app)
        if as_json:
            click.echo(json_document("prune", result.as_dict()))
        else:
            console.lines(prune_lines(result))
        return
    with console.working(f"Squashing {app}" + ("" if no_verify else " and verifying it on scratch databases") + "..."):
        outcome = project.squash(app, first=first, last=last, auto=auto, verify=not no_verify, verify_url=verify_url)
    if as_json:
        click.echo(json_document("squash", outcome.as_dict()))
    else:
        console.lines(squash_lines(outcome))


@cli.command()
@click.argument("app", shell_complete=complete_app)
@json_option
@project_options
@click.pass_context
def merge(ctx, app, as_json):
    """Renumber APP's migrations that parallel branches gave one version.

    One file keeps the number (the one the configured database applied, else the first in git
    history, else the first by name); the others move after it, and dependencies of other apps on
    the conflicted version are rewritten. Only files change; no database is written.
    """
    from .output import json_document, merge_lines

    result = get_project(ctx).merge(app)
    if as_json:
        click.echo(json_document("merge", result.as_dict()))
        return
    from .console import Console

    Console().lines(merge_lines(result))


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "dot", "mermaid"]), default="text", show_default=True)
@project_options
@click.pass_context
def graph(ctx, fmt):
    """Draw the migration graph; applied migrations are marked when a database is configured."""
    from .graph_render import render

    project = get_project(ctx)
    click.echo(render(project.graph, fmt, project.state_if_configured()), nl=False)


def main() -> None:
    cli(prog_name="modmig")
