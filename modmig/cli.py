"""The ``modmig`` command line: a few lines per command over ``modmig.api``.

This is the one place where a ``ModmigError`` becomes a message on stderr and an exit code
(0 ok, 1 a migration or check failed, 2 usage / config / graph error). Any other exception is a
bug in modmig and keeps its traceback.
"""

from __future__ import annotations

import sys

import click

from . import __version__
from .errors import ModmigError

EXIT_FAILED = 1


class ModmigGroup(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ModmigError as error:
            click.echo(f"Error: {error}", err=True)
            ctx.exit(error.exit_code)


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
@click.argument("app", required=False)
@click.option("--all", "all_apps", is_flag=True, help="Apply every pending migration of every app.")
@click.option("--to", type=int, metavar="N", help="Stop at version N of APP.")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@lock_option
@project_options
@click.pass_context
def upgrade(ctx, app, all_apps, to, quiet, lock_timeout):
    """Apply APP's pending migrations (and those they need), or --all."""
    from .output import EventPrinter

    if bool(app) == all_apps:
        raise click.UsageError("Name one app or pass --all.")
    result = get_project(ctx).upgrade(app, to=to, lock_timeout=lock_timeout, on_event=EventPrinter(click.echo, quiet))
    if not result.steps_done and not quiet:
        click.echo("Nothing to apply: " + (f"{app} is up to date." if app else "every app is up to date."))


@cli.command()
@click.argument("app")
@click.option("--to", type=int, required=True, metavar="N", help="Version to go down to (0 = nothing applied).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before undoing migrations of other apps.")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@lock_option
@project_options
@click.pass_context
def downgrade(ctx, app, to, yes, quiet, lock_timeout):
    """Unapply APP's migrations above N, after the migrations of other apps that depend on them."""
    from .output import EventPrinter, plan_text

    def confirm(plan) -> bool:
        if yes:
            return True
        if not sys.stdin.isatty():
            return False
        click.echo(plan_text(plan))
        return click.confirm(f"This also undoes migrations of {', '.join(plan.other_apps)}. Continue?")

    result = get_project(ctx).downgrade(app, to=to, confirm=confirm, lock_timeout=lock_timeout, on_event=EventPrinter(click.echo, quiet))
    if not result.steps_done and not quiet:
        click.echo(f"Nothing to undo: {app} is already at {to}.")


@cli.command()
@click.argument("app", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@project_options
@click.pass_context
def status(ctx, app, as_json):
    """Per app: version, latest, pending, dirty and edited migrations; plus orphans."""
    from .output import json_document, status_text

    report = get_project(ctx).status(app)
    click.echo(json_document("status", report.as_dict()) if as_json else status_text(report))
    error = report.error()
    if error is not None:
        raise error


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@project_options
@click.pass_context
def check(ctx, as_json):
    """Exit 0 when every app is at its latest and nothing was edited; 1 with the reasons otherwise."""
    from .output import check_text, json_document

    report = get_project(ctx).check()
    click.echo(json_document("check", report.as_dict()) if as_json else check_text(report))
    ctx.exit(0 if report.ok else EXIT_FAILED)


@cli.command()
@click.argument("app", required=False)
@click.option("--all", "all_apps", is_flag=True, help="Plan every app (the default without APP).")
@click.option("--to", type=int, metavar="N", help="Stop at version N of APP.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
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
@click.argument("app")
@click.argument("slug")
@click.option("--python", is_flag=True, help="Write a Python migration instead of SQL.")
@project_options
@click.pass_context
def new(ctx, app, slug, python):
    """Write APP's next numbered migration file, named NNNN_SLUG."""
    from .errors import show_path

    click.echo(f"Created {show_path(get_project(ctx).new_migration(app, slug, python=python))}")


@cli.command()
@click.argument("app", required=False)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the most recent N rows.")
@project_options
@click.pass_context
def history(ctx, app, limit):
    """Every step ever run against the database (up, down, stamp, repair), oldest first."""
    from .output import history_rows

    project = get_project(ctx)
    if app:
        project.require_app(app)
    click.echo(history_rows(project.history(app, limit)))


@cli.command()
@click.argument("app")
@click.argument("version", type=click.IntRange(min=0))
@lock_option
@project_options
@click.pass_context
def stamp(ctx, app, version, lock_timeout):
    """Record APP at VERSION without running anything (to adopt an existing database)."""
    result = get_project(ctx).stamp(app, version, lock_timeout=lock_timeout)
    click.echo(f"Stamped {result.app} at {result.version} (was {result.previous}).")


@cli.command()
@click.argument("app")
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


@cli.command()
@click.argument("app")
@click.option("--from", "first", type=click.IntRange(min=1), metavar="M", help="First version to squash (default: the first file).")
@click.option("--to", "last", type=click.IntRange(min=1), metavar="N", help="Last version to squash (default: the latest).")
@click.option("--auto", is_flag=True, help="If the range would close a dependency cycle, squash up to the largest safe N.")
@click.option("--prune", is_flag=True, help="Instead of squashing: delete the files APP's squash replaces.")
@click.option("--verify-url", metavar="URL", help="PostgreSQL/MySQL server for the scratch databases (default: SQLite in memory).")
@click.option("--no-verify", is_flag=True, help="Write the squash without checking it against the originals.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@project_options
@click.pass_context
def squash(ctx, app, first, last, auto, prune, verify_url, no_verify, as_json):
    """Collapse APP's history (or --from M --to N) into one verified file."""
    from .errors import show_path
    from .output import json_document, squash_text

    project = get_project(ctx)
    if prune:
        if first or last or auto or verify_url or no_verify:
            raise click.UsageError("--prune takes no other option: it deletes what an existing squash replaces.")
        result = project.prune(app)
        for path in result.deleted:
            click.echo(f"Deleted {show_path(path)}")
        click.echo(f"Pruned {len(result.deleted)} file(s) replaced by {app}:{result.squash}.")
        return
    result = project.squash(app, first=first, last=last, auto=auto, verify=not no_verify, verify_url=verify_url)
    click.echo(json_document("squash", result.as_dict()) if as_json else squash_text(result))


@cli.command()
@click.argument("app")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@project_options
@click.pass_context
def merge(ctx, app, as_json):
    """Renumber APP's migrations that parallel branches gave one version."""
    from .errors import show_path
    from .output import json_document

    result = get_project(ctx).merge(app)
    if as_json:
        click.echo(json_document("merge", result.as_dict()))
        return
    for version, path, reason in result.kept:
        click.echo(f"Kept {show_path(path)} as {version:04d} ({reason}).")
    for old, new in result.renamed:
        click.echo(f"Renamed {show_path(old)} -> {new.name}")
    for path, old, new in result.rewritten:
        click.echo(f"Rewrote {show_path(path)}: depends {old} -> {new}")
    for label in result.applied_rewritten:
        click.echo(f"Note: {label} is applied to the configured database and its file changed: "
                   f"run 'modmig repair {label.split(':')[0]}' wherever it is applied.")


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
