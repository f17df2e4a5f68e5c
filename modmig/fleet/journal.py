"""The fleet's journal: each target's outcome, appended the moment it is known.

``--only-failed`` needs to know what failed *last time*, after the process that knew it is gone
(a CI job that ended, a run killed with SIGKILL). The journal is a file of JSON lines next to the
project (``.modmig/fleet-NAME.jsonl`` by default, ``journal:`` in the fleet's configuration): a
``start`` line per run, then one line per target outcome. Every line is one ``write`` on a file
opened with ``O_APPEND``, so a line is either whole or absent after a crash, and runs that
overlap (two runner machines sharing the folder, two terminals) append without mixing lines.

The truth about a target's schema stays in the target's own bookkeeping tables; the journal only
remembers outcomes a database cannot hold (unreachable, lock timeout) and which targets a
pattern fleet had, so one that disappears is reported as gone once.

It is compacted (one line per target, its latest outcome) when it grows past ``COMPACT_LINES``
lines per target, under an exclusive ``flock`` that no running fleet holds (they hold it shared).
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no compaction while others run
    fcntl = None  # type: ignore[assignment]

from .outcome import TargetResult

#: Compact when the journal holds more than this many lines per known target.
COMPACT_LINES = 20
#: Outcomes that say nothing about a target's own state (it was not tried): not remembered as latest.
_NOT_TRIED = ("skipped",)


def latest_outcomes(path: Path) -> dict[str, dict] | None:
    """Each target's latest recorded outcome (a ``record`` line), or None when there is no journal."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    latest: dict[str, dict] = {}
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut short by a full disk: the others still count
        if isinstance(entry, dict) and "target" in entry and entry.get("status") not in _NOT_TRIED:
            latest[entry["target"]] = entry
    return latest


class Journal:
    """The journal of one run: ``record`` outcomes as they come, ``close`` at the end."""

    def __init__(self, path: Path, fleet: str, command: str) -> None:
        self.path, self.fleet, self.command = path, fleet, command
        self.run = uuid.uuid4().hex[:12]
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._compact_if_large()
        self._fd = self._open_shared()
        self._write([{"run": self.run, "event": "start", "fleet": fleet, "command": command, "at": _now(), "pid": os.getpid()}])

    def _open_shared(self) -> int:
        """The journal opened for appending, held shared: a compaction waits until no run holds it.

        A compaction replaces the file; a run that opened the old one meanwhile opens it again.
        """
        while True:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            if fcntl is None:
                return fd
            fcntl.flock(fd, fcntl.LOCK_SH)
            try:
                if os.fstat(fd).st_ino == os.stat(self.path).st_ino:
                    return fd
            except FileNotFoundError:
                pass
            os.close(fd)

    def record(self, results: Iterable[TargetResult]) -> None:
        self._write(
            {
                "run": self.run,
                "target": r.target,
                "url": r.url,
                "status": r.status,
                "failure": r.failure.kind if r.failure else None,
                "message": r.failure.message.splitlines()[0] if r.failure else r.reason,
                "at": _now(),
            }
            for r in results
        )

    def close(self, summary: dict) -> None:
        self._write([{"run": self.run, "event": "end", "at": _now(), **summary}])
        os.close(self._fd)

    def _write(self, entries: Iterable[dict]) -> None:
        data = "".join(json.dumps(entry, default=str) + "\n" for entry in entries).encode()
        if data:
            with self._lock:
                os.write(self._fd, data)

    def _compact_if_large(self) -> None:
        """Rewrite the journal as each target's latest line, if it is long and no run holds it."""
        if fcntl is None or not self.path.exists():
            return
        latest = latest_outcomes(self.path) or {}
        with open(self.path, "rb") as handle:
            lines = sum(1 for _ in handle)
        if lines <= COMPACT_LINES * max(len(latest), 1):
            return
        fd = os.open(self.path, os.O_RDWR)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # another run is appending: compact another time
            latest = latest_outcomes(self.path) or {}
            temporary = self.path.with_suffix(self.path.suffix + ".tmp")
            temporary.write_text("".join(json.dumps(e, default=str) + "\n" for e in latest.values()), encoding="utf-8")
            os.replace(temporary, self.path)
        finally:
            os.close(fd)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
