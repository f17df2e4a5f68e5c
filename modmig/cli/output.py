"""Turn API results and run events into the text the CLI prints.

Pure formatting: functions take results and return strings (or write through an ``echo``
callable), so the CLI commands stay a few lines each and the wording is tested in one place.
"""

from __future__ import annotations

import json
from typing import Callable, Sequence

from ..version import __version__
from ..errors import ModmigError, show_path
from ..events import Event, LockWaiting, RunFinished, StatementWaiting, StepFailed, StepFinished, StepStarted
from ..model import Plan
from ..results import CheckReport, StatusReport, error_dict, history_entry_dict, plan_dict

#: Version of the JSON documents printed by ``--json`` (see docs/json.md and modmig/schemas/).
JSON_SCHEMA_VERSION = 1

Echo = Callable[..., None]


def json_document(kind: str, payload: dict) -> str:
    return json.dumps(
        {"schema_version": JSON_SCHEMA_VERSION, "modmig": __version__, "kind": kind, **payload},
        indent=2,
        default=str,
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


STATUS_HEADERS = ("app", "version", "latest", "pending", "state")
HISTORY_HEADERS = ("id", "started (UTC)", "migration", "dir", "result", "took", "by")


def status_text(report: StatusReport) -> str:
    rows, notes = status_rows(report)
    return "\n".join([f"Database: {report.database}", "", table(STATUS_HEADERS, rows), *notes])


#: The profile's guarantees, in the words ``status -v`` uses.
_GUARANTEES = (
    ("transactional_ddl", "transactional DDL"),
    ("cluster_wide_session_lock", "session lock holds cluster-wide"),
    ("set_local", "SET LOCAL"),
    ("one_ddl_per_transaction", "one DDL per transaction"),
    ("prepared_statements", "prepared statements across transactions"),
    ("session_state", "session settings kept between transactions"),
)
_SESSION_LOCKS = {"sqlite": "flock on a file beside the database", "postgresql": "pg_try_advisory_lock", "mysql": "GET_LOCK"}


def profile_lines(profile: dict) -> list[str]:
    """``status -v``: the database's topology, what it guarantees, and the lock runs take there."""
    version = f"; server {profile['server_version']}" if profile.get("server_version") else ""
    if profile["lock"] == "lease":
        lock = f"lease ({profile['lease_seconds']:g} s, a row in _schema_lock renewed by a heartbeat; {profile['lock_reason']})"
    else:
        lock = f"advisory ({_SESSION_LOCKS[profile['backend']]}; {profile['lock_reason']})"
    return [
        f"Topology: {profile['topology']} ({profile['evidence']}{version})",
        f"Lock: {lock}",
        "Guarantees: " + ", ".join(f"{words}: {'yes' if profile[key] else 'no'}" for key, words in _GUARANTEES),
    ]


def status_rows(report: StatusReport) -> tuple[list[list[object]], list[str]]:
    """The status table's rows, and the notes printed under it (dirty marks, edits, orphans)."""
    rows: list[list[object]] = []
    for app in report.apps:
        state = []
        if app.problem == "corrupt":
            state.append(f"CORRUPT BOOKKEEPING: {app.corrupt}")
        elif app.problem == "ahead":
            state.append("AHEAD OF FILES")
        elif app.problem == "behind":
            state.append("BEFORE FIRST FILE")
        elif app.problem == "inside squash":
            state.append("INSIDE SQUASHED RANGE")
        elif app.dirty is not None:
            doing = "upgrade to" if app.dirty.direction == "up" else "downgrade of"
            state.append(f"DIRTY: {doing} {app.dirty.version:04d} stopped part-way")
        elif app.pending:
            state.append(f"{len(app.pending)} pending")
        else:
            state.append("up to date")
        if app.changed:
            state.append(f"{len(app.changed)} edited")
        pending = ", ".join(f"{v:04d}" for v in app.pending[:6]) + (" ..." if len(app.pending) > 6 else "")
        version = "?" if app.problem == "corrupt" else app.version
        rows.append([app.app, version, app.latest, pending or "-", ", ".join(state)])
    out: list[str] = []
    for app in report.apps:
        if app.dirty is not None:
            out.append(f"\n{app.app} is dirty: {app.dirty.describe()}")
        for version, path in app.changed:
            out.append(f"\n{app.app}:{version:04d} changed since it was applied: {path}")
    if report.orphans:
        listed = ", ".join(f"{app} (at {version})" for app, version in report.orphans)
        out.append(f"\nIn the database but not configured (orphans): {listed}")
    for migration, requirement in report.inconsistent:
        out.append(f"\nInconsistent: {migration} is applied but its dependency {requirement} is not.")
    out.extend("\n" + ignored_text(path, reason) for path, reason in report.ignored)
    return rows, out


def ignored_text(path: str, reason: str) -> str:
    """The warning for a file that looks like a migration but is not read as one."""
    return f"Warning: {path} looks like a migration but is not read as one: {reason}."


def check_text(report: CheckReport) -> str:
    if report.ok:
        return "OK: every app is at its latest version; no edited or dirty migrations."
    return "Check failed:\n" + "\n".join(f"  - {reason}" for reason in report.reasons)


#: ``plan --sql`` summarises a step whose SQL is longer than this many characters (``--full``
#: prints it all): a 5 MB data file should not scroll a terminal for minutes.
SQL_SHOWN = 20_000
#: ... showing this many statements from its start and its end, each cut to STATEMENT_SHOWN.
SQL_HEAD, SQL_TAIL, STATEMENT_SHOWN = 10, 3, 2_000


def plan_text(plan: Plan, sql: Callable | None = None, full: bool = False) -> str:
    if not plan:
        return "Nothing to do: every requested app is up to date."
    verb = {"up": "apply", "down": "unapply"}
    lines = [f"{len(plan)} step(s) across {len(plan.apps)} app(s):"]
    for index, step in enumerate(plan.steps, start=1):
        flags = "" if step.migration.transaction else "  [no transaction]"
        lines.append(f"{index:>4}. {verb[step.direction]} {step.label}{flags}")
        if sql is not None:
            statements = sql(step)
            if statements is None:
                lines.append(f"        (Python migration: {step.migration.path.name})")
            else:
                lines.extend(f"        {s};".replace("\n", "\n        ") for s in _shown_sql(statements, full))
    return "\n".join(lines)


def _shown_sql(statements: list[str], full: bool) -> list[str]:
    """The statements of one step as ``plan --sql`` prints them: all, or a summary of a long script."""
    size = sum(len(s) for s in statements)
    if full or size <= SQL_SHOWN:
        return statements

    def cut(text: str) -> str:
        if len(text) <= STATEMENT_SHOWN:
            return text
        return text[:STATEMENT_SHOWN] + f" ... [{len(text) - STATEMENT_SHOWN:,} more characters]"

    if len(statements) <= SQL_HEAD + SQL_TAIL:
        return [cut(s) for s in statements] + [f"-- (long statements cut; --full shows all {size:,} characters)"]
    hidden = statements[SQL_HEAD:-SQL_TAIL]
    note = (
        f"-- ... {len(hidden):,} more statement(s), {sum(len(s) for s in hidden):,} characters, not shown "
        f"({len(statements):,} in all); --full shows them"
    )
    return [*(cut(s) for s in statements[:SQL_HEAD]), note, *(cut(s) for s in statements[-SQL_TAIL:])]


def plan_json(plan: Plan, sql: Callable | None = None) -> str:
    payload = plan_dict(plan)
    if sql is not None:
        for entry, step in zip(payload["steps"], plan.steps):
            entry["sql"] = sql(step)
    return json_document("plan", payload)


def history_rows(entries) -> list[list[object]]:
    return [
        [
            e.id,
            e.started_at.strftime("%Y-%m-%d %H:%M:%S") if e.started_at else "",
            f"{e.app}:{e.name or e.version}",
            e.direction,
            "ok" if e.success else "FAILED",
            f"{e.duration_ms} ms" if e.duration_ms is not None else "",
            e.executed_by or "",
        ]
        for e in entries
    ]


def history_text(entries) -> str:
    rows = history_rows(entries)
    return table(HISTORY_HEADERS, rows) if rows else "No history yet."


def history_json(entries) -> str:
    return json_document("history", {"entries": [history_entry_dict(e) for e in entries]})


def error_json(error: ModmigError) -> str:
    """The document ``--json`` commands print on stdout when they fail (the message also goes to stderr)."""
    return json_document("error", {"error": error_dict(error)})


def lock_waiting_text(event: LockWaiting | StatementWaiting) -> str:
    if isinstance(event, StatementWaiting):
        return (
            f"Waiting for a statement the stopped run left running on the server to finish, before "
            f"resuming ({event.statement}; {event.waited:.0f} s)..."
        )
    who = f" held by {event.holder}" if event.holder else ""
    return f"Waiting for the migration lock{who} ({event.waited:.0f} s)..."


def summary_line(event: RunFinished) -> str:
    apps = len(event.plan.apps)
    return f"Done: {event.steps_done} step(s) across {apps} app(s) in {event.duration_ms / 1000:.2f} s."


def step_detail(step, transactional_ddl: bool = True) -> str:
    """What ``-v`` adds under a step: its file and how it runs on this database."""
    migration = step.migration
    if not migration.transaction:
        mode = "no transaction"
    elif transactional_ddl:
        mode = "one transaction"
    elif migration.kind == "sql":
        mode = "statement by statement, each with its progress: this database commits DDL implicitly"
    else:
        mode = "one transaction for its data; its DDL commits implicitly"
    return f"{show_path(migration.path)} ({migration.kind}, {mode})"


class EventPrinter:
    """Prints one line per step (``Applying blog:0003_add_tags ... OK (12 ms)``) and a summary."""

    def __init__(self, echo: Echo, quiet: bool = False, verbose: bool = False, transactional_ddl: bool = True) -> None:
        self.echo, self.quiet, self.verbose = echo, quiet, verbose
        self.transactional_ddl = transactional_ddl

    def __call__(self, event: Event) -> None:
        if isinstance(event, (LockWaiting, StatementWaiting)):
            self.echo(lock_waiting_text(event), err=True)
        elif self.quiet:
            return
        elif isinstance(event, StepStarted):
            verb = "Applying" if event.step.direction == "up" else "Unapplying"
            resumed = f" (resuming after statement {event.resumed_from})" if event.resumed_from else ""
            self.echo(f"{verb} {event.step.label}{resumed} ...", nl=False)
        elif isinstance(event, (StepFinished, StepFailed)):
            self.echo(f" OK ({event.duration_ms} ms)" if isinstance(event, StepFinished) else " FAILED")
            if self.verbose:
                self.echo(f"    {step_detail(event.step, self.transactional_ddl)}")
        elif isinstance(event, RunFinished) and event.success:
            self.echo(summary_line(event))


def adoption_rows(proposal) -> list[list[object]]:
    """``modmig adopt``: one row per app, what the other tool says and what modmig will do."""
    action = {"stamp": "recorded" if proposal.recorded else "to stamp", "already": "already tracked", "conflict": "CONFLICT: left alone"}
    return [
        [s.app, s.evidence, s.current, f"{s.version} ({s.name})", action[s.action]]
        for s in proposal.stamps
    ]


#: A line of output and the rich style it gets on a terminal (None: the terminal's default).
Styled = tuple[str, "str | None"]


def squash_lines(result) -> list[Styled]:
    """What ``modmig squash`` says after writing a file: what, verified how, how long, what next."""
    content = f"{result.statements} statement(s)"
    if result.carried:
        content += f" and {len(result.carried)} carried Python step(s)"
    lines: list[Styled] = [(
        f"Wrote {show_path(result.path)}: {result.app} {result.first:04d}-{result.last:04d} "
        f"({len(result.replaced)} file(s)) as {content}.", "bold green",
    )]
    if result.requested_last is not None:
        lines.append((f"Stopped at {result.last:04d} instead of {result.requested_last:04d}: a longer range "
                      f"would close a dependency cycle.", "yellow"))
    if result.dependencies:
        lines.append((f"  Depends on: {', '.join(result.dependencies)}.", None))
    if result.carried:
        lines.append((f"  Carried Python step(s): {', '.join(result.carried)}.", None))
    if result.elided:
        lines.append((f"  Dropped (elidable): {', '.join(result.elided)}.", None))
    lines.append(("  Down section: " + ("yes." if result.reversible else "no (a file in the range is irreversible)."), None))
    report = result.verification
    if report is None:
        lines.append(("NOT verified (--no-verify): nothing checked that it does what the originals do.", "bold yellow"))
    else:
        before = f"after {report.prerequisites} prerequisite migration(s), " if report.prerequisites else ""
        undo = ", and its downgrade restores the database" if report.downgrade_checked else ""
        lines.append((f"Verified on {report.database}: {before}the squash gives the same schema and rows as the "
                      f"{report.originals} original(s){undo}.", "green"))
    lines.append((f"Took {_seconds_text(result.seconds)}.", "dim"))
    lines.append((
        f"Next: commit it beside the originals and deploy it everywhere. Once every database is at "
        f"{result.last:04d} or later, 'modmig squash {result.app} --prune' deletes the originals (docs/squash.md).", None,
    ))
    return lines


def prune_lines(result) -> list[Styled]:
    """What ``modmig squash APP --prune`` deleted."""
    lines: list[Styled] = [(f"Deleted {show_path(path)}", "dim") for path in result.deleted]
    squashes = " and ".join(f"{result.app}:{name}" for name in result.squashes)
    lines.append((f"Pruned {len(result.deleted)} file(s) replaced by {squashes}.", "bold green"))
    lines.append(("Next: commit the deletion. A database still inside a squashed range can only finish it with "
                  "the previous release, which has the originals.", None))
    return lines


def merge_lines(result) -> list[Styled]:
    """What ``modmig merge`` kept, renamed and rewrote, and what to do next."""
    lines: list[Styled] = []
    for version, path, reason in result.kept:
        lines.append((f"Kept {show_path(path)} as {version:04d} ({reason}).", None))
    for old, new in result.renamed:
        lines.append((f"Renamed {show_path(old)} -> {new.name}", "cyan"))
    for path, old, new in result.rewritten:
        lines.append((f"Rewrote {show_path(path)}: depends {old} -> {new}", "cyan"))
    for label in result.applied_rewritten:
        lines.append((f"Note: {label} is applied to the configured database and its file changed: run "
                      f"'modmig repair {label.split(':')[0]}' wherever it is applied.", "yellow"))
    lines.append((
        f"Merged {result.app}: {len(result.kept)} conflicting version(s) resolved, {len(result.renamed)} file(s) "
        f"renamed, {len(result.rewritten)} dependency(ies) rewritten.", "bold green",
    ))
    lines.append((
        f"Next: review and commit the changes. A database that applied a migration merge renamed is told so; "
        f"'modmig repair {result.app} --renumbered' fixes its record.", None,
    ))
    return lines


def styled_text(lines: Sequence[Styled]) -> str:
    """The plain text of styled lines (what a pipe or a log gets)."""
    return "\n".join(text for text, _ in lines)


def _seconds_text(seconds: dict[str, float]) -> str:
    """``0.21 s (plan 0.00 s, fold 0.01 s, verify 0.20 s)``."""
    parts = ", ".join(f"{name} {value:.2f} s" for name, value in seconds.items())
    return f"{sum(seconds.values()):.2f} s" + (f" ({parts})" if parts else "")
