"""What every ``modmig`` command shares: the group, its error boundary, common options.

``ModmigGroup.invoke`` is the one place where a ``ModmigError`` becomes a message on stderr (and,
with ``--json``, an error document on stdout) and an exit code (0 ok, 1 a migration or check
failed, 2 usage / config / graph error). Any other exception is a bug in modmig and keeps its
traceback.
"""

from __future__ import annotations

import sys


import click

from ..version import __version__
from ..errors import ModmigError

EXIT_FAILED = 1


class ModmigGroup(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            try:
                return super().invoke(ctx)
            except KeyboardInterrupt as interrupt:  # SIGINT / SIGTERM where no step was running
                from ..errors import Interrupted, RunInterrupted

                raise RunInterrupted(interrupt if isinstance(interrupt, Interrupted) else Interrupted(2)) from None
        except ModmigError as error:
            from .console import Console

            if ctx.meta.get("modmig.json_error"):
                from .output import error_json

                click.echo(error_json(error))
            Console().error(str(error))
            ctx.exit(error.exit_code)
        except click.UsageError as error:  # options that do not go together: still a document for --json
            if ctx.meta.get("modmig.json_error"):
                from ..errors import UsageError
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


def downgrade_confirmation(yes: bool, as_json: bool, question: str):
    """``confirm(plan)`` for a downgrade that reaches into other apps: ``--yes``, or ask on a terminal.

    With ``--json`` or without a terminal nobody can answer: ``ConfirmationRequired`` says why and
    to pass ``--yes``; a "no" at the prompt is ``Declined``. ``question`` has an ``{apps}`` slot.
    """

    def confirm(plan) -> bool:
        from ..errors import ConfirmationRequired, Declined
        from .output import plan_text

        if yes:
            return True
        if as_json or not sys.stdin.isatty():
            raise ConfirmationRequired(plan, "--json asks nothing" if as_json else "there is no terminal to ask on")
        click.echo(plan_text(plan))
        if not click.confirm(question.format(apps=", ".join(plan.other_apps))):
            raise Declined("You declined the downgrade; nothing was changed.")
        return True

    return confirm


def target_options(to: str | None, steps: int | None) -> dict:
    """``--to 3`` / ``--to -1`` / ``--to +2`` / ``--steps K`` as the api's to= / by= / steps=."""
    from ..plan.targets import parse_target

    if to is None:
        return {"steps": steps}
    absolute, by = parse_target(to)
    return {"to": absolute, "by": by, "steps": steps}


def complete_app(ctx: click.Context, param: click.Parameter, incomplete: str):
    """Shell completion of app labels, read from modmig.yaml (no database is opened)."""
    from ..config import find_config, load_config
    from ..errors import ModmigError as Failure

    try:
        config = load_config(find_config(explicit=ctx.meta.get("modmig.config")))
    except Failure:
        return []
    return [label for label in sorted(config.apps) if label.startswith(incomplete)]


def get_project(ctx: click.Context):
    from ..api import Project

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
