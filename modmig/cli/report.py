"""The read-only commands: ``status``, ``check``, ``plan``, ``history`` and ``graph``."""

from __future__ import annotations

import click

from .common import EXIT_FAILED, cli, complete_app, get_project, json_option, project_options, target_options
from .fleet import fleet_options


@cli.command()
@click.argument("app", required=False, shell_complete=complete_app)
@click.option("-v", "--verbose", is_flag=True, help="Also say what the database guarantees (its profile) and which lock runs take.")
@json_option
@project_options
@fleet_options("status")
@click.pass_context
def status(ctx, app, verbose, as_json):
    """Per app: version, latest, pending, dirty and edited migrations; plus orphans."""
    from .output import STATUS_HEADERS, json_document, profile_lines, status_rows

    report = get_project(ctx).status(app, profile=verbose)
    if as_json:
        click.echo(json_document("status", report.as_dict()))
    else:
        from .console import Console

        console = Console()
        rows, notes = status_rows(report)
        console.line(f"Database: {report.database}" + ("" if report.profile else "\n"))
        if report.profile:
            for line in [*profile_lines(report.profile), ""]:
                console.line(line)
        console.table(STATUS_HEADERS, rows)
        for note in notes:
            console.line(note, style="red" if "dirty" in note or "changed" in note or "Inconsistent" in note else "yellow")
    error = report.error()
    if error is not None:
        raise error


@cli.command()
@click.option("--roundtrip", is_flag=True, help="Instead: on a scratch database, check every migration's down undoes its up.")
@click.option("--drift", is_flag=True, help="Instead: compare the database with what its applied migrations make.")
@click.option(
    "--scratch", metavar="URL",
    help="With --roundtrip: an empty database to use (default: a temporary SQLite file). With --drift: a server for "
         "the throwaway database (default: SQLite in memory, or the database's own server).",
)
@click.option("--lint", "with_lint", is_flag=True, help="Also lint the pending migrations (as 'modmig lint'); fail on an error-level finding.")
@json_option
@project_options
@fleet_options("check")
@click.pass_context
def check(ctx, roundtrip, drift, scratch, with_lint, as_json):
    """Exit 0 when every app is at its latest and nothing was edited; 1 with the reasons otherwise."""
    from .output import check_text, json_document

    if scratch and not (roundtrip or drift):
        raise click.UsageError("--scratch goes with --roundtrip or --drift.")
    if roundtrip and drift:
        raise click.UsageError("--roundtrip and --drift are separate checks: run one at a time.")
    if with_lint and (roundtrip or drift):
        raise click.UsageError("--lint goes with the plain check, not --roundtrip or --drift.")
    if drift:
        from .console import Console
        from .output_autogen import drift_lines

        found = get_project(ctx).drift(scratch=scratch)
        if as_json:
            click.echo(json_document("drift", found.as_dict()))
        else:
            Console().lines(drift_lines(found))
        ctx.exit(0 if found.ok else EXIT_FAILED)
    if roundtrip:
        from .console import Console

        outcome = get_project(ctx).check_roundtrip(scratch)
        if as_json:
            click.echo(json_document("roundtrip", outcome.as_dict()))
        else:
            Console().line(outcome.describe(), style="green" if outcome.ok else "red")
        ctx.exit(0 if outcome.ok else EXIT_FAILED)
    report = get_project(ctx).check()
    linted = get_project(ctx).lint() if with_lint else None
    if as_json:
        click.echo(json_document("check", {**report.as_dict(), **({"lint": linted.as_dict()} if linted else {})}))
    else:
        from .console import Console

        Console().line(check_text(report), style="green" if report.ok else "red")
        if linted is not None:
            Console().line(linted.describe(), style="green" if linted.ok else "red")
    ctx.exit(0 if report.ok and (linted is None or linted.ok) else EXIT_FAILED)


@cli.command()
@click.argument("app", required=False, shell_complete=complete_app)
@click.option("--all", "all_apps", is_flag=True, help="Plan every app (the default without APP).")
@click.option("--to", metavar="N|+K", help="Stop at version N of APP, or K versions above where it is (+K).")
@click.option("--steps", type=click.IntRange(min=1), metavar="K", help="Only APP's next K migrations.")
@json_option
@click.option("--sql", "with_sql", is_flag=True, help="Print the SQL each step would run (long scripts summarised).")
@click.option("--full", is_flag=True, help="With --sql: print every statement in full, however long.")
@project_options
@fleet_options("plan")
@click.pass_context
def plan(ctx, app, all_apps, to, steps, as_json, with_sql, full):
    """Show what 'upgrade' would do, in order, without changing anything."""
    from .output import plan_json, plan_text

    if app and all_apps:
        raise click.UsageError("Name one app or pass --all, not both.")
    if full and not with_sql:
        raise click.UsageError("--full goes with --sql.")
    project = get_project(ctx)
    result = project.plan(app, **target_options(to, steps))
    sql = project.step_sql if with_sql else None
    click.echo(plan_json(result, sql) if as_json else plan_text(result, sql, full=full))


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
@click.option("--format", "fmt", type=click.Choice(["text", "dot", "mermaid"]), default="text", show_default=True)
@project_options
@click.pass_context
def graph(ctx, fmt):
    """Draw the migration graph; applied migrations are marked when a database is configured."""
    from .graph_render import render

    project = get_project(ctx)
    click.echo(render(project.graph, fmt, project.state_if_configured()), nl=False)


@cli.command()
@click.argument("app", required=False, shell_complete=complete_app)
@click.option(
    "--scratch", metavar="URL",
    help="Replay Python migrations on a throwaway database created on this server (default: SQLite in memory, "
         "or the configured database's server).",
)
@click.option("--rebuild", is_flag=True, help="Ignore the cache in .modmig/ and build the map from the files again.")
@json_option
@project_options
@click.pass_context
def owners(ctx, app, scratch, rebuild, as_json):
    """Which app's migration created each schema object, and which migrations changed it since."""
    from .output import json_document

    report = get_project(ctx).owners(app, scratch=scratch, refresh=rebuild)
    if as_json:
        click.echo(json_document("owners", report.as_dict()))
        return
    from .console import Console
    from .output_owners import owners_lines

    Console().lines(owners_lines(report))
