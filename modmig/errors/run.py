"""Errors of a run in progress: a failed or interrupted migration, a verification that failed, the lock
not obtained or lost, the connection lost (exit 1, or 130/143 for signals)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from .base import ModmigError, listing as _listing, shorten as _shorten, show_path


class MigrationFailed(ModmigError):
    """A migration raised. It was rolled back (or, without a transaction, left dirty).

    ``interrupted`` names the signal (``"SIGINT"``) when a signal, not the migration, stopped it;
    the exit code is then 128 + the signal's number, as a shell reports a process it interrupted.
    """

    exit_code = 1

    def __init__(
        self,
        app: str,
        version: int,
        path: Path | str,
        error: str,
        statement: str | None = None,
        line: int | None = None,
        rolled_back: bool = True,
        direction: str = "up",
        stays_at: int | None = None,
        not_rolled_back_because: str | None = None,
        statements_done: int | None = None,
        interrupted: "Interrupted | None" = None,
        first_version: int | None = None,
    ) -> None:
        self.app, self.version, self.path = app, version, path
        self.statements_done = statements_done
        self.error, self.statement, self.line = error, statement, line
        self.rolled_back, self.direction = rolled_back, direction
        self.interrupted = interrupted
        if interrupted is not None:
            self.exit_code = interrupted.exit_code
        first = version if first_version is None else first_version
        where = f"{show_path(path)}:{line}" if line is not None else show_path(path)
        what = f"{app}:{version:04d}" if direction == "up" else f"the downgrade of {app}:{version:04d}"
        if interrupted is not None:
            text = f"Interrupted by {interrupted.signal_name} during {what}, at {where}"
        else:
            text = f"{'Migration' if direction == 'up' else 'Downgrade of'} {app}:{version:04d} failed at {where}"
        if statement is not None:
            text += f"\n  statement: {_shorten(statement)}"
        text += "\n  error: " + error.replace("\n", "\n         ")
        if stays_at is None:
            stays_at = first - 1 if direction == "up" else version
        if rolled_back:
            text += f"\nIt was rolled back; {app} stays at version {stays_at}. Nothing after it ran."
        else:
            why = f" ({not_rolled_back_because})" if not_rolled_back_because else ""
            text += f"\nIt could not be rolled back{why}: {app} is marked dirty at {version:04d}"
            if direction == "up":
                resume, part = f"modmig upgrade {app}", "file"
            else:
                resume, part = f"modmig downgrade {app} --to {first - 1}", "down section"
            if statements_done is None:
                text += (
                    f". A Python migration cannot resume part-way: inspect the database, then say what "
                    f"it holds with 'modmig repair {app}' (it explains what each choice records)."
                )
            else:
                text += (
                    f" after {statements_done} statement(s){'' if direction == 'up' else ' of its down section'} "
                    f"succeeded (they stay applied). '{resume}' resumes it at statement {statements_done + 1}; the "
                    f"{part} may be fixed from that statement on, not before it. 'modmig status' shows the details."
                )
            text += " Nothing after it ran."
        super().__init__(text)


class RunInterrupted(ModmigError):
    """SIGINT or SIGTERM stopped a command where no step was half-done (between steps, waiting
    for the lock). Exit code 128 + the signal's number."""

    def __init__(self, interrupted: "Interrupted", steps_done: int | None = None, total: int | None = None, where: str | None = None) -> None:
        self.interrupted, self.steps_done = interrupted, steps_done
        self.exit_code = interrupted.exit_code
        if where is not None:
            text = f"Interrupted by {interrupted.signal_name} {where}."
        elif steps_done is not None:
            text = (
                f"Interrupted by {interrupted.signal_name} after {steps_done} of {total} step(s) completed; "
                f"each completed step is recorded with its version, and nothing after them ran. "
                f"'modmig status' shows where each app stands; run the command again to go on."
            )
        else:
            text = (
                f"Interrupted by {interrupted.signal_name}. Whatever modmig was writing was rolled back; "
                f"'modmig status' shows where each app stands."
            )
        super().__init__(text)


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived: raised in the main thread so that every step unwinds the safe way.

    A KeyboardInterrupt, so code that handles Ctrl-C handles SIGTERM the same way. Not a
    ModmigError: whoever is running a step turns it into a ``MigrationFailed`` that says where
    each app stands; the CLI reports one that arrives anywhere else.
    """

    def __init__(self, signum: int = 2) -> None:
        import signal

        super().__init__(signum)
        self.signum = signum
        self.signal_name = signal.Signals(signum).name if signum in signal.Signals._value2member_map_ else f"signal {signum}"
        self.exit_code = 128 + signum


def raise_interrupted(signum: int, _frame: object) -> None:
    """A signal handler: SIGTERM (or SIGINT) becomes ``Interrupted`` in the main thread."""
    raise Interrupted(signum)


class SquashNotVerified(ModmigError):
    """The squash does not do what the originals do (or does not run): nothing was written."""

    exit_code = 1

    def __init__(self, app: str, name: str, reason: str, differences: list[str] | None = None) -> None:
        self.app, self.name, self.reason, self.differences = app, name, reason, list(differences or [])
        listing = _listing(self.differences)
        super().__init__(
            f"The squash {app}:{name} failed verification, so no file was written: {reason}{listing}\n"
            f"Squash a smaller range (--to N), or report the statement the folder got wrong; "
            f"--no-verify writes the file anyway (not recommended)."
        )


class MigrationNotVerified(ModmigError):
    """A migration makemigrations generated does not give the models, or its down does not undo it."""

    exit_code = 1

    def __init__(self, app: str, name: str, reason: str, differences: Sequence[str] = ()) -> None:
        self.app, self.name, self.reason, self.differences = app, name, reason, list(differences)
        listing = _listing(self.differences)
        super().__init__(
            f"The generated migration {app}:{name} failed its replay on a scratch database, so no file was "
            f"written: {reason}{listing}\nWrite this change by hand ('modmig new {app} SLUG'), or report it."
        )


class LockTimeout(ModmigError):
    exit_code = 1

    def __init__(self, seconds: float, holder: str | None) -> None:
        self.seconds, self.holder = seconds, holder
        who = f" (held by {holder})" if holder else ""
        super().__init__(
            f"Gave up waiting for the migration lock after {seconds:g} s{who}. Nothing was "
            f"changed. Retry, or raise --lock-timeout."
        )


class LockLost(ModmigError):
    """The run's migration lock was lost (lease taken over, lock session killed or timed out):
    the run stops before committing anything more, so two runs never migrate at once."""

    exit_code = 1

    def __init__(self, reason: str, steps_done: int | None = None, step: str | None = None) -> None:
        self.reason, self.steps_done, self.step = reason, steps_done, step
        done = "" if steps_done is None else f" after {steps_done} completed step(s)"
        where = f" before committing {step}" if step else ""
        super().__init__(
            f"This run lost the migration lock{done}: {reason}. It stopped{where}: nothing it did after "
            f"losing the lock was kept (a step running in a transaction was rolled back; where DDL commits "
            f"implicitly, e.g. MySQL, the app's dirty mark says how far the step got), and another run may "
            f"be migrating now. Check with 'modmig status' when that run is done, then run again if "
            f"anything is pending."
        )


class ConnectionLost(ModmigError):
    """The connection broke mid-run (server restart, network, a killed session)."""

    exit_code = 1

    def __init__(self, url: str, reason: str, steps_done: int) -> None:
        self.url, self.reason, self.steps_done = url, reason, steps_done
        super().__init__(
            f"The connection to {url} broke during the run, after {steps_done} completed step(s): "
            f"{reason}. The step that was running was not recorded as applied: its transaction is "
            f"rolled back by the server (where DDL commits implicitly, e.g. MySQL, the statements "
            f"before it stay and the app stays dirty). Check with 'modmig status', then run again."
        )
