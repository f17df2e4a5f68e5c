"""Throwaway databases for the backend conformance suite.

Each backend provides ``provision(tmp_path)``: a context manager that creates an empty database,
yields its URL, and drops it afterwards.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

BACKENDS = ["sqlite"]


@contextmanager
def provision(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    raise ValueError(f"unknown backend {backend!r}")
