"""``modmig makemigrations``: each app's models become its next migration (``Project.makemigrations``)."""

from __future__ import annotations

import sys

import click

from .common import EXIT_FAILED, cli, complete_app, get_project, json_option, project_options


@cli.command()
@click.argument("apps", nargs=-1, shell_complete=complete_app)
@click.option("--name", "slug", metavar="SLUG", help="The new file's name after its number (one app): NNNN_SLUG.sql.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when any app's models and migrations differ (for CI).")
@click.option("--dry-run", is_flag=True, help="Generate and verify the files, print them, write nothing.")
@click.option("--python", is_flag=True, help="Write a Python migration (Alembic operations) that runs on every database.")
@click.option("--dialect", type=click.Choice(["sqlite", "postgresql", "mysql"]), help="SQL dialect of the file (default: the project's database's).")
@click.option(
    "--scratch", metavar="URL",
    help="Server for the throwaway database the migrations are replayed on (default: SQLite in memory, or the "
         "configured database's server).",
)
@click.option("--allow-destructive", is_flag=True, help="Write drops and narrowing type changes without asking.")
@click.option("--rename", "renames", multiple=True, metavar="TABLE.OLD:NEW", help="Column OLD of TABLE was renamed to NEW (repeatable).")
@json_option
@project_options
@click.pass_context
def makemigrations(ctx, apps, slug, check, dry_run, python, dialect, scratch, allow_destructive, renames, as_json):
    """Compare each app's models with the schema its migrations build; write the next migration of each
    app that differs (default: every app that names its models in modmig.yaml)."""
    from .output import json_document
    from .output_autogen import confirm_destructive, makemigrations_lines, rename_question

    if check and dry_run:
        raise click.UsageError("--check and --dry-run do not go together: --check already writes nothing.")
    interactive = not (as_json or check) and sys.stdin.isatty() and sys.stdout.isatty()
    result = get_project(ctx).makemigrations(
        list(apps) or None, name=slug, dialect=dialect, scratch=scratch, python=python, dry_run=dry_run, check=check,
        allow_destructive=allow_destructive, renames=list(renames),
        confirm=confirm_destructive if interactive else None, ask_rename=rename_question if interactive else None,
    )
    if as_json:
        click.echo(json_document("makemigrations", result.as_dict()))
    else:
        from .console import Console

        Console().lines(makemigrations_lines(result))
    if check and result.changed:
        ctx.exit(EXIT_FAILED)
