"""One entry of ``fleets:`` in modmig.yaml, checked and turned into a ``FleetSpec``.

``config.py`` only keeps ``fleets:`` as written; this module owns its meaning, so a mistake in it
is reported when that fleet is used, with the file, the line and the key at fault::

    fleets:
      tenants:                          # PostgreSQL: every schema matching a pattern, in one database
        schemas: "tenant_*"
        database: postgresql://app@db/saas      # default: the top-level database
        exclude: [tenant_template]
      shops:                            # MySQL / MariaDB: every database matching a pattern
        databases: "shop_*"
        server: mysql+pymysql://app:${SHOP_PASSWORD}@db:3306/
      devices:                          # SQLite: every file matching a glob (relative to this file)
        files: "var/devices/*.db"
      shards:                           # an explicit list, or a file of URLs read at run time
        urls: ["postgresql://app:${PW}@shard1/app", "postgresql://app:${PW}@shard2/app"]
      more_shards: {url_file: shards.txt, parallel: 8, journal: var/shards.jsonl}

``${NAME}`` in modmig.yaml is expanded when the file is read (``config.py``); a file of URLs is
read each time the fleet is used and gets the same expansion, line by line, with the same errors
(an unset variable is named with its file and line, never the URL, which may hold a password).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..config import ProjectConfig, expand_variables, key_line
from ..errors import ConfigError, UnknownFleet, did_you_mean

#: The keys that say what the targets are; a fleet has exactly one of them.
KINDS = {
    "schemas": "PostgreSQL schemas matching a pattern, in one database (`database:`)",
    "databases": "MySQL/MariaDB databases matching a pattern, on one server (`server:`)",
    "files": "SQLite files matching a glob, relative to modmig.yaml",
    "urls": "a list of database URLs",
    "url_file": "a file of database URLs, one per line (read at run time)",
}
OPTIONS = {
    "database": "with schemas: the PostgreSQL database URL (default: the top-level database)",
    "server": "with databases: the MySQL/MariaDB server URL (default: the top-level database)",
    "exclude": "a pattern or list of patterns of targets to leave out",
    "parallel": "targets migrated at once (default 4; --parallel overrides)",
    "journal": "where outcomes are recorded for --only-failed (default .modmig/fleet-NAME.jsonl)",
}
DEFAULT_PARALLEL = 4
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}\Z")


@dataclass(frozen=True)
class FleetSpec:
    """A fleet as configured: what its targets are, not yet which exist (``discovery`` finds them)."""

    name: str
    #: One of ``KINDS``.
    kind: str
    #: ``schemas`` / ``databases`` / ``files``: the pattern (fnmatch style: ``*``, ``?``, ``[abc]``).
    pattern: str | None = None
    #: ``schemas``: the PostgreSQL database; ``databases``: the server (variables expanded).
    url: str | None = None
    #: ``urls``: the URLs (variables expanded).
    urls: tuple[str, ...] = ()
    #: ``url_file`` / ``files`` are resolved against this folder (modmig.yaml's).
    root: Path = Path(".")
    url_file: Path | None = None
    exclude: tuple[str, ...] = ()
    parallel: int = DEFAULT_PARALLEL
    journal: Path = Path(".modmig/fleet.jsonl")
    #: For messages: where the fleet is configured.
    config_path: Path | None = None


def fleet_spec(config: ProjectConfig, name: str, environ: Mapping[str, str]) -> FleetSpec:
    """The fleet ``name`` of ``config``; UnknownFleet or ConfigError (file:line) when it is wrong."""
    if name not in config.fleets:
        raise UnknownFleet(name, list(config.fleets))
    data = config.fleets[name]
    fail = _Complaint(config, name)
    if not _NAME.match(name):
        raise fail(None, f"fleet name {name!r}: use letters, digits, '_', '-' and '.' (it names a journal file)")
    if not isinstance(data, dict):
        raise fail(None, f"fleet {name!r} must be a mapping with one of: {', '.join(KINDS)}")
    for key in data:
        if key not in KINDS and key not in OPTIONS:
            known = [*KINDS, *OPTIONS]
            raise fail(key, f"unknown key 'fleets.{name}.{key}'.{did_you_mean(str(key), known)} Known keys: {', '.join(known)}.")
    kinds = [key for key in KINDS if key in data]
    if len(kinds) != 1:
        found = f"it has {' and '.join(kinds)}" if kinds else "it has none"
        raise fail(None, f"fleet {name!r} needs exactly one of: {', '.join(KINDS)} ({found})")
    kind = kinds[0]
    for option, goes_with in (("database", "schemas"), ("server", "databases")):
        if option in data and kind != goes_with:
            raise fail(option, f"'fleets.{name}.{option}' goes with '{goes_with}:', not '{kind}:'")
    spec = dict(
        name=name, kind=kind, root=config.root, config_path=config.path,
        exclude=_patterns(data.get("exclude"), fail),
        parallel=_parallel(data.get("parallel", DEFAULT_PARALLEL), fail),
        journal=config.root / _text(data.get("journal", f".modmig/fleet-{name}.jsonl"), "journal", fail),
    )
    value = data[kind]
    if kind in ("schemas", "databases", "files"):
        spec["pattern"] = _text(value, kind, fail)
    if kind in ("schemas", "databases"):
        option = "database" if kind == "schemas" else "server"
        given = data.get(option)
        if given is None:
            given = _default_url(config, environ)
            if given is None:
                raise fail(kind, f"fleet {name!r} needs '{option}:' (or a top-level 'database:') to find its {kind}")
        spec["url"] = _text(given, option, fail)
    elif kind == "urls":
        if not isinstance(value, list) or not value or not all(isinstance(u, str) and u for u in value):
            raise fail(kind, f"'fleets.{name}.urls' must be a non-empty list of database URLs")
        spec["urls"] = tuple(value)
    elif kind == "url_file":
        spec["url_file"] = config.root / _text(value, kind, fail)
    return FleetSpec(**spec)


def read_url_file(path: Path, environ: Mapping[str, str]) -> list[tuple[int, str]]:
    """``(line, URL)`` for each URL of a file of URLs; blank lines and ``#`` comments are skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read the fleet's file of URLs: {error.strerror}", path) from None
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if line and not line.startswith("#"):
            found.append((number, expand_variables(line, environ, path, number)))
    return found


def _default_url(config: ProjectConfig, environ: Mapping[str, str]) -> str | None:
    from ..config import ENV_DATABASE

    return environ.get(ENV_DATABASE) or config.database


class _Complaint:
    """Builds the ConfigError for a key of one fleet, with the line it is on."""

    def __init__(self, config: ProjectConfig, name: str) -> None:
        self.config, self.name = config, name

    def __call__(self, key: str | None, message: str) -> ConfigError:
        at = ("fleets", self.name) if key is None else ("fleets", self.name, *str(key).split("."))
        return ConfigError(message, self.config.path, key_line(self.config.path, at))


def _text(value: Any, key: str, fail: _Complaint) -> str:
    if not isinstance(value, str) or not value.strip():
        raise fail(key, f"'fleets.{fail.name}.{key}' must be a non-empty string")
    return value.strip()


def _patterns(value: Any, fail: _Complaint) -> tuple[str, ...]:
    if value is None:
        return ()
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        raise fail("exclude", f"'fleets.{fail.name}.exclude' must be a pattern or a list of patterns")
    return tuple(values)


def _parallel(value: Any, fail: _Complaint) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise fail("parallel", f"'fleets.{fail.name}.parallel' must be a whole number >= 1, not {value!r}")
    return value
