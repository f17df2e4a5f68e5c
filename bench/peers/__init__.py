"""The peers: Django migrations, Alembic and yoyo, each running the same workload its own way.

Each peer module writes the workload in that tool's idiom and names the commands for the phases
the tool has (``None`` for a phase it lacks). Peers are optional: a peer whose package is not
installed in the benchmark's Python is skipped with a note. Every peer module is also a child
script (``python bench/peers/<peer>.py loadplan ROOT``) that times the tool's own load + plan
in-process, after its imports, printing one JSON line like ``bench/inprocess.py``.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from measure import Phase
from workload import Workload

from . import alembic_peer, django_peer, yoyo_peer


@dataclass(frozen=True)
class Peer:
    name: str
    #: The distribution that must be installed (and whose version is reported).
    distribution: str
    write: Callable[[Workload, Path, bool], None]
    #: (root, python executable, workload) -> phase name -> Phase, or None if the tool lacks it.
    phases: Callable[[Path, str, Workload], dict[str, Phase | None]]
    database: Callable[[Path], Path]
    #: Why a phase the tool lacks is missing, for the table's notes.
    missing: dict[str, str]

    def version(self) -> str | None:
        """The installed version in this interpreter (the benchmark runs the peers with it)."""
        try:
            return importlib.metadata.version(self.distribution)
        except importlib.metadata.PackageNotFoundError:
            return None


PEERS = [
    Peer("django", "Django", django_peer.write, django_peer.phases, django_peer.database, django_peer.MISSING),
    Peer("alembic", "alembic", alembic_peer.write, alembic_peer.phases, alembic_peer.database, alembic_peer.MISSING),
    Peer("yoyo", "yoyo-migrations", yoyo_peer.write, yoyo_peer.phases, yoyo_peer.database, yoyo_peer.MISSING),
]
