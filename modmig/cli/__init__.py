"""The ``modmig`` command line: a few lines per command over ``modmig.api``, and all the text.

The commands live in modules by purpose (``run``, ``report``, ``admin``, ``squash``, ``autogen``) and register
themselves on the one ``cli`` group from ``common``, whose ``ModmigGroup.invoke`` is the one error
boundary: a ``ModmigError`` becomes a message and an exit code there. Everything that turns
results into text lives here too: ``output`` (plain text and JSON documents), ``console``
(colour, tables, progress on a terminal), ``graph_render`` (DOT, Mermaid, ASCII pictures).

May import: ``modmig.api``, ``modmig.plan`` (to draw the graph), ``modmig.files`` (``init``
writes a configuration before there is a project), and everything below them.
Must not import: ``modmig.run``, ``modmig.squash``, ``modmig.schema``: databases and file
rewrites are reached through ``modmig.api`` (checked by ``tests/test_layers.py``). Importing this
package must stay cheap: SQLAlchemy and rich load inside the commands that need them.
"""

from __future__ import annotations

from . import admin, autogen, lint, report, run, squash  # noqa: F401  (each registers its commands on ``cli``)
from .common import cli


def main() -> None:
    import logging
    import signal

    from ..errors import raise_interrupted

    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, raise_interrupted)  # unwind like Ctrl-C: locks released, steps rolled back
    # When the server drops a connection, SQLAlchemy's pool cannot roll it back on its return and
    # logs "Exception during reset or similar" with a traceback, which Python prints to stderr when
    # nothing configured logging: above modmig's own message about the same lost connection. The
    # command's user gets that message alone (an embedding program keeps its own logging as it is).
    logging.getLogger("sqlalchemy.pool").addHandler(logging.NullHandler())
    cli(prog_name="modmig")


__all__ = ["cli", "main"]
