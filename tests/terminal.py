"""Run the real CLI in a pseudo-terminal, so it sees a terminal exactly as a person's shell gives it."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

from .conftest import MODMIG


def run_in_terminal(
    args: list[str], cwd: Path, env: dict[str, str] | None = None, columns: int = 100, stdin_text: str | None = None
) -> tuple[int, str]:
    """Run ``python -m modmig ARGS`` with stdout and stderr on a pty; returns (exit code, raw output).

    Standard input is not a terminal unless ``stdin_text`` is given: then it is the pty too, and
    the text is typed into it.
    """
    primary, secondary = pty.openpty()
    _set_size(secondary, columns)
    environment = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(columns), **(env or {})}
    if "NO_COLOR" not in (env or {}):
        environment.pop("NO_COLOR", None)
    environment.pop("MODMIG_DATABASE_URL", None)
    process = subprocess.Popen(
        [*MODMIG, *args], cwd=cwd, env=environment,
        stdin=secondary if stdin_text is not None else subprocess.DEVNULL,
        stdout=secondary, stderr=secondary, close_fds=True,
    )
    os.close(secondary)
    if stdin_text is not None:
        os.write(primary, stdin_text.encode())
    chunks = []
    while True:
        try:
            data = os.read(primary, 65536)
        except OSError:  # EIO: the child closed its end of the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(primary)
    return process.wait(), b"".join(chunks).decode("utf-8", "replace")


def _set_size(fd: int, columns: int) -> None:
    import fcntl
    import struct
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
