"""Where the CLI's words go: plain text to pipes and files, rich to a person at a terminal.

``output.py`` decides *what* is said (the same rows and lines either way); this module decides
*how*. When stdout is not a terminal (CI logs, ``| grep``, tests) everything is plain text written
through click, and rich is never imported, so scripted runs pay nothing for it. When stdout is a
terminal, rich draws coloured tables and, for a long run, a progress bar with the current step and
the elapsed time. Colours follow https://no-color.org: ``NO_COLOR`` (any non-empty value) turns
them off, and so does ``TERM=dumb``.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

import click

from ..events import Event, LockWaiting, RunFinished, RunStarted, StatementWaiting, StepFailed, StepFinished, StepStarted
from .output import EventPrinter, lock_waiting_text, step_detail, summary_line, table

if TYPE_CHECKING:
    from rich.console import Console as RichConsole
    from rich.progress import Progress, TaskID

#: A run of at least this many steps gets a progress bar (on a terminal): below it the step lines
#: alone are enough, and a bar flashing up for a moment is noise.
PROGRESS_MIN_STEPS = 5

#: Style of a table cell by the words it contains (first match wins).
_CELL_STYLES = (
    ("FAILED", "bold red"),
    ("CONFLICT", "bold red"),
    ("to stamp", "yellow"),
    ("recorded", "green"),
    ("DIRTY", "bold red"),
    ("CORRUPT", "bold red"),
    ("AHEAD", "bold red"),
    ("BEFORE FIRST", "bold red"),
    ("edited", "red"),
    ("pending", "yellow"),
    ("up to date", "green"),
    ("ok", "green"),
)


def colour_wanted(environ: Any = None) -> bool:
    """False when the user asked for no colour (``NO_COLOR``) or the terminal cannot show it."""
    environ = os.environ if environ is None else environ
    return not environ.get("NO_COLOR") and environ.get("TERM") != "dumb"


class Console:
    """The CLI's output: ``line`` for text, ``table`` for rows, ``run_listener`` for migrations."""

    def __init__(self, *, quiet: bool = False, verbose: bool = False) -> None:
        self.quiet, self.verbose = quiet, verbose
        self.is_terminal = _isatty(sys.stdout)
        self._rich: RichConsole | None = None

    @property
    def rich(self) -> "RichConsole":
        if self._rich is None:
            from rich.console import Console as RichConsole

            self._rich = RichConsole(
                file=sys.stdout, no_color=not colour_wanted(), highlight=False, soft_wrap=False
            )
        return self._rich

    def line(self, text: str = "", style: str | None = None) -> None:
        if self.is_terminal:
            self.rich.print(text, style=style, markup=False)
        else:
            click.echo(text)

    def lines(self, styled: Sequence[tuple[str, str | None]]) -> None:
        """Lines from ``output`` (text, style): styled on a terminal, plain otherwise."""
        for text, style in styled:
            self.line(text, style=style)

    @contextmanager
    def working(self, text: str) -> Iterator[None]:
        """A spinner saying ``text`` while something slow runs, on a terminal only; erased after."""
        if not self.is_terminal or self.quiet:
            yield
            return
        with self.rich.status(text, spinner="dots"):
            yield

    def error(self, text: str) -> None:
        """A message on stderr; 'Error:' in red when stderr is a terminal that shows colour."""
        colour = _isatty(sys.stderr) and colour_wanted()
        click.echo(click.style("Error:", fg="red", bold=True) + " " + text if colour else f"Error: {text}", err=True, color=colour)

    def table(
        self, headers: Sequence[str], rows: Sequence[Sequence[object]], *, styled: Sequence[str] = ("state", "result")
    ) -> None:
        """Rows under headers; on a terminal, the cells of the ``styled`` columns are coloured by their words."""
        if not self.is_terminal:
            click.echo(table(headers, rows))
            return
        from rich import box
        from rich.table import Table
        from rich.text import Text

        grid = Table(box=box.SIMPLE_HEAD, header_style="bold", show_edge=False, pad_edge=False)
        for header in headers:
            grid.add_column(header)
        for row in rows:
            cells = ["" if cell is None else str(cell) for cell in row]
            grid.add_row(
                *(Text(cell, style=(_cell_style(cell) if header in styled else None) or "") for header, cell in zip(headers, cells))
            )
        self.rich.print(grid)

    def run_listener(self, transactional_ddl: bool = True) -> Callable[[Event], None]:
        """What prints a run as it happens: plain lines, or rich lines with a progress bar.

        ``transactional_ddl`` is the database's: ``-v`` says how each step really runs there.
        """
        if not self.is_terminal:
            return EventPrinter(click.echo, self.quiet, self.verbose, transactional_ddl)
        return RichRunPrinter(self.rich, self.quiet, self.verbose, transactional_ddl)


class RichRunPrinter:
    """``Applying blog:0003_add_tags ... OK (12 ms)`` in colour, under a progress bar for long runs.

    The bar is transient: it shows the current step, how many are done and the elapsed time while
    the run lasts, and is erased at the end, leaving the step lines and the summary.
    """

    def __init__(self, console: "RichConsole", quiet: bool, verbose: bool, transactional_ddl: bool = True) -> None:
        self.console, self.quiet, self.verbose = console, quiet, verbose
        self.transactional_ddl = transactional_ddl
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        self.pending_line = ""

    def __call__(self, event: Event) -> None:
        if isinstance(event, (LockWaiting, StatementWaiting)):
            lock_notice(event)
            return
        if self.quiet:
            return
        if isinstance(event, RunStarted):
            self._start(event)
        elif isinstance(event, StepStarted):
            verb = "Applying" if event.step.direction == "up" else "Unapplying"
            resumed = f" (resuming after statement {event.resumed_from})" if event.resumed_from else ""
            self.pending_line = f"{verb} [bold]{_escape(event.step.label)}[/]{resumed} ..."
            if self.progress is not None and self.task is not None:
                self.progress.update(self.task, description=_escape(event.step.label))
                self.progress.refresh()
            else:
                self.console.print(self.pending_line, end="")
        elif isinstance(event, StepFinished):
            self._finish_step(f" [green]OK[/] [dim]({event.duration_ms} ms)[/]", event)
        elif isinstance(event, StepFailed):
            self._finish_step(" [bold red]FAILED[/]", event)
        elif isinstance(event, RunFinished):
            self._stop()
            if event.success:
                self.console.print(summary_line(event), style="bold green", markup=False)

    def _start(self, event: RunStarted) -> None:
        if len(event.plan) < PROGRESS_MIN_STEPS:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        self.task = self.progress.add_task("starting", total=len(event.plan))
        self.progress.start()

    def _finish_step(self, outcome: str, event: StepFinished | StepFailed) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task)
            self.console.print(self.pending_line + outcome)
        else:
            self.console.print(outcome)
        if self.verbose:
            self.console.print(f"    {step_detail(event.step, self.transactional_ddl)}", style="dim", markup=False)

    def _stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def lock_notice(event: Event) -> None:
    """Tell stderr who holds the lock while a run waits for it (in every output mode, even --json)."""
    if isinstance(event, (LockWaiting, StatementWaiting)):
        click.echo(lock_waiting_text(event), err=True)


def _cell_style(cell: str) -> str | None:
    for word, style in _CELL_STYLES:
        if word in cell:
            return style
    return None


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
