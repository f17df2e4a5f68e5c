"""``squash`` and ``merge``: reshaping an app's history (docs/squash.md)."""

from __future__ import annotations

import click

from .common import cli, complete_app, get_project, json_option, project_options


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
