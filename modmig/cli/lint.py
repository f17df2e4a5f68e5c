"""``lint``: dangerous migrations, found before they ship (docs/lint.md)."""

from __future__ import annotations

import json

import click

from .common import EXIT_FAILED, cli, complete_app, get_project, project_options

FORMATS = ("text", "json", "sarif", "github")


@cli.command()
@click.argument("apps", nargs=-1, metavar="[APP]...", shell_complete=complete_app)
@click.option("--all", "everything", is_flag=True, help="Lint every migration, applied or not.")
@click.option("--base", metavar="GIT_REF", help="Lint the migrations added or changed since GIT_REF (as in a pull request).")
@click.option("--dialect", type=click.Choice(["postgresql", "mysql", "sqlite"]),
              help="The SQL the migrations are written in (default: lint.dialect in modmig.yaml, else the database's).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text; json (as --json); sarif (code scanning); github (pull-request annotations).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (schema: lint.schema.json); same as --format json.")
@click.option("--list-rules", is_flag=True, help="List every rule (id, level, databases, title) and exit.")
@project_options
@click.pass_context
def lint(ctx, apps, everything, base, dialect, fmt, as_json, list_rules):
    """Find migrations that lock, rewrite, lose data or cross app borders.

    By default, the migrations the database has not applied yet. Exit 1 when a finding at error
    level remains, 0 otherwise. Suppress one finding with '-- modmig: allow RULE because REASON'.
    """
    from .output import json_document

    if as_json:
        fmt = "json"
    if fmt == "json":
        ctx.meta["modmig.json_error"] = True
    if list_rules:
        from ..api import lint_rules

        rules = lint_rules()
        if fmt == "json":
            click.echo(json.dumps(rules, indent=2))
        else:
            from .output import table

            click.echo(table(("id", "level", "databases", "rule"),
                             [(r["id"], r["level"], ", ".join(r["dialects"]), f"{r['slug']}: {r['title']}") for r in rules]))
        return
    if everything and base:
        raise click.UsageError("--all and --base choose the migrations two ways; pass one.")
    report = get_project(ctx).lint(apps, everything=everything, base=base, dialect=dialect)
    if fmt == "json":
        click.echo(json_document("lint", report.as_dict()))
    elif fmt == "sarif":
        click.echo(json.dumps(report.as_sarif(), indent=2))
    elif fmt == "github":
        click.echo(report.github_annotations())
    else:
        from .console import Console

        console = Console()
        for finding in report.findings:
            console.line(finding.describe(), style="red" if finding.level == "error" else "yellow")
        console.line(report.summary(), style="green" if report.ok else "red")
    ctx.exit(0 if report.ok else EXIT_FAILED)
