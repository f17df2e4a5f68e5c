"""``--fleet NAME``: ``upgrade``, ``downgrade``, ``status``, ``check`` and ``plan`` over a fleet.

The single-database commands keep their code; ``fleet_options(command)`` adds the fleet options
to one of them and, when ``--fleet`` is given, hands the command line to the handler here
instead (a few lines each over ``Project.fleet``). Fleet-only options without ``--fleet`` are a
usage error. Each handler prints text or one JSON document (``fleet_run``, ``fleet_status``,
``fleet_check``, ``fleet_plan``) and, with ``--report FILE.html``, writes the HTML page.
"""

from __future__ import annotations

import functools
import inspect
from pathlib import Path

import click

from .common import EXIT_FAILED, downgrade_confirmation, get_project, target_options

#: The options each command gets: (name of the parameter, click option).
_OPTIONS = {
    "fleet": click.option("--fleet", "fleet", metavar="NAME", help="Run over every target of fleet NAME of modmig.yaml (docs/fleet.md)."),
    "parallel": click.option("--parallel", type=click.IntRange(min=1), metavar="N", help="With --fleet: targets at once (default: the fleet's parallel:, else 4)."),
    "on_error": click.option(
        "--on-error", type=click.Choice(["stop", "continue"]), default=None,
        help="With --fleet: after a target fails, start no other (stop, the default) or carry on (continue).",
    ),
    "canary": click.option("--canary", type=click.IntRange(min=1), metavar="K", help="With --fleet: migrate K targets first; stop if one fails."),
    "only_failed": click.option("--only-failed", is_flag=True, default=None, help="With --fleet: only the targets that failed in the last run."),
    "report": click.option("--report", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE.html", help="With --fleet: also write a self-contained HTML report."),
}
_BY_COMMAND = {
    "upgrade": ("fleet", "parallel", "on_error", "canary", "only_failed", "report"),
    "downgrade": ("fleet", "parallel", "on_error", "canary", "only_failed", "report"),
    "status": ("fleet", "parallel", "report"),
    "check": ("fleet", "parallel"),
    "plan": ("fleet", "parallel"),
}


def fleet_options(command: str):
    """Add ``--fleet`` and its options to ``command``; with ``--fleet``, run the fleet handler."""
    names = _BY_COMMAND[command]

    def decorate(function):
        def run(**kwargs):
            given = {name: kwargs.pop(name) for name in names}
            if given["fleet"] is None:
                extra = [f"--{name.replace('_', '-')}" for name, value in given.items() if value]
                if extra:
                    raise click.UsageError(f"{', '.join(extra)} only go{'es' if len(extra) == 1 else ''} with --fleet NAME.")
                return function(**kwargs)
            handler = _HANDLERS[command]
            accepted = inspect.signature(handler).parameters
            refused = [name for name, value in kwargs.items() if name not in accepted and value not in (None, False, ())]
            if refused:  # an option of the single-database command that means nothing over a fleet
                options = ", ".join(_option_name(command, name) for name in refused)
                raise click.UsageError(f"{options} does not go with --fleet: run it on one target with --database URL.")
            return handler(click.get_current_context(), given, **{k: v for k, v in kwargs.items() if k in accepted})

        functools.update_wrapper(run, function, updated=())
        for name in reversed(names):
            run = _OPTIONS[name](run)
        return run

    return decorate


# -- the handlers --------------------------------------------------------------------------------


def _upgrade(ctx, given, app, all_apps, to, steps, quiet, verbose, as_json, lock_timeout):
    if bool(app) == all_apps:
        raise click.UsageError("Name one app or pass --all.")
    fleet = _fleet(ctx, given, app)
    with _progress(quiet or as_json, verbose) as on_progress:
        result = fleet.upgrade(
            app, **target_options(to, steps), lock_timeout=lock_timeout, on_progress=on_progress, **_run_options(given)
        )
    _finish_run(ctx, result, given, quiet, as_json)


def _downgrade(ctx, given, app, to, steps, yes, quiet, verbose, as_json, lock_timeout):
    if (to is None) == (steps is None):
        raise click.UsageError("Give --to N (0 undoes everything), --to -K (K versions down) or --steps K.")
    confirm = downgrade_confirmation(yes, as_json, "On some targets this also undoes migrations of {apps}. Continue?")
    fleet = _fleet(ctx, given, app)
    with _progress(quiet or as_json, verbose) as on_progress:
        result = fleet.downgrade(
            app, **target_options(to, steps), confirm=confirm, lock_timeout=lock_timeout, on_progress=on_progress,
            **_run_options(given),
        )
    _finish_run(ctx, result, given, quiet, as_json)


def _status(ctx, given, app, as_json):
    from .console import Console
    from .fleet_output import MATRIX_HEADERS, matrix_rows, status_lines
    from .output import json_document

    status = _fleet(ctx, given, app).status(app, parallel=given["parallel"])
    document = json_document("fleet_status", status.as_dict())
    if as_json:
        click.echo(document)
    else:
        console = Console()
        heading, lines = status_lines(status)
        console.line(heading)
        console.table(MATRIX_HEADERS, matrix_rows(status.as_dict()["matrix"]), styled=())
        console.lines(lines)
    _write_report(given["report"], document, as_json)
    ctx.exit(EXIT_FAILED if status.with_problems else 0)


def _check(ctx, given, as_json):
    from .console import Console
    from .fleet_output import check_lines
    from .output import json_document

    check = _fleet(ctx, given, None).check(parallel=given["parallel"])
    if as_json:
        click.echo(json_document("fleet_check", check.as_dict()))
    else:
        Console().lines(check_lines(check))
    ctx.exit(0 if check.ok else EXIT_FAILED)


def _plan(ctx, given, app, all_apps, to, steps, as_json):
    from .fleet_output import plan_lines
    from .output import json_document

    if app and all_apps:
        raise click.UsageError("Name one app or pass --all, not both.")
    plan = _fleet(ctx, given, app).plan(app, **target_options(to, steps), parallel=given["parallel"])
    click.echo(json_document("fleet_plan", plan.as_dict()) if as_json else plan_lines(plan))


_HANDLERS = {"upgrade": _upgrade, "downgrade": _downgrade, "status": _status, "check": _check, "plan": _plan}


# -- shared pieces -------------------------------------------------------------------------------


def _option_name(command: str, parameter: str) -> str:
    """``with_sql`` -> ``--sql``: the option of ``command`` that sets ``parameter``."""
    from .common import cli

    for param in cli.commands[command].params:
        if param.name == parameter and getattr(param, "opts", None):
            return max(param.opts, key=len)
    return f"--{parameter.replace('_', '-')}"


def _fleet(ctx, given, app):
    if ctx.meta.get("modmig.database"):
        raise click.UsageError("--database names one database and --fleet a fleet of them: use one or the other.")
    project = get_project(ctx)
    if app:
        project.require_app(app)
    return project.fleet(given["fleet"])


def _run_options(given) -> dict:
    return {
        "parallel": given["parallel"],
        "on_error": given["on_error"] or "stop",
        "canary": given["canary"] or 0,
        "only_failed": bool(given["only_failed"]),
    }


class _progress:
    """``with _progress(quiet, verbose) as on_progress``: the live line on a terminal, lines in a log."""

    def __init__(self, quiet: bool, verbose: bool) -> None:
        from .console import Console
        from .fleet_output import FleetProgressPrinter, RichFleetProgress

        console = Console(quiet=quiet, verbose=verbose)
        if console.is_terminal:
            self.printer = RichFleetProgress(console.rich, quiet, verbose)
        else:
            self.printer = FleetProgressPrinter(click.echo, quiet, verbose)

    def __enter__(self):
        return self.printer

    def __exit__(self, *exc_info) -> None:
        stop = getattr(self.printer, "stop", None)
        if stop is not None:
            stop()


def _finish_run(ctx, result, given, quiet: bool, as_json: bool) -> None:
    from .console import Console
    from .fleet_output import run_summary
    from .output import json_document

    document = json_document("fleet_run", result.as_dict())
    if as_json:
        click.echo(document)
    elif not quiet or not result.ok:
        Console().lines(run_summary(result))
    _write_report(given["report"], document, as_json)
    ctx.exit(0 if result.ok else EXIT_FAILED)


def _write_report(path: Path | None, document: str, as_json: bool) -> None:
    if path is None:
        return
    from ..errors import ConfigError
    from .fleet_html import render_report

    try:
        path.write_text(render_report(document), encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot write the report: {error.strerror}", path) from None
    if not as_json:
        click.echo(f"Report written to {path}.", err=True)
