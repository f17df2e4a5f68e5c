"""The ``modmig`` command line: a few lines per command over ``modmig.api``.

The commands live in modules by purpose (``run``, ``report``, ``admin``, ``squash``) and register
themselves on the one ``cli`` group from ``common``; importing this package assembles the CLI.
"""

from __future__ import annotations

from . import admin, report, run, squash  # noqa: F401  (each registers its commands on ``cli``)
from .common import cli


def main() -> None:
    cli(prog_name="modmig")


__all__ = ["cli", "main"]
