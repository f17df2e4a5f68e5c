"""modmig: per-application database migrations with a cross-app dependency graph.

The public API lives in ``modmig.api``; ``modmig.Project`` is imported lazily so that
``import modmig`` (and ``modmig --help``) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .version import __version__

__all__ = ["Project", "__version__"]

if TYPE_CHECKING:
    from .api import Project


def __getattr__(name: str) -> Any:
    if name == "Project":
        from .api import Project

        return Project
    raise AttributeError(f"module 'modmig' has no attribute {name!r}")
