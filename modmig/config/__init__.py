"""Find and validate ``modmig.yaml``: which apps exist, where their migrations live, which database.

Example::

    database: sqlite:///var/app.db      # relative sqlite paths are relative to this file
    apps:
      users: apps/users                 # a folder; migrations in apps/users/migrations/
      billing: {package: acme_billing}  # an importable package; acme_billing/migrations/
      blog: {path: apps/blog, models: blog.models}   # with SQLAlchemy models (makemigrations)
    drift: {ignore: [celery_*]}         # tables other tools own: 'check --drift' leaves them be

This module only reads the file. It never opens a database or a migration; the URL precedence
(``--database`` > ``MODMIG_DATABASE_URL`` > ``database:``) is resolved by ``choose_database_url``.

Every string value may use ``${VAR}`` (or ``${VAR:-default}``) to take text from the environment,
as in compose files and CI configurations; ``$${`` is a literal ``${``. ``expand_variables`` does
that, for this file and for any other YAML modmig reads. A key written twice in one mapping is an
error (YAML itself would silently keep the last one).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from ..errors import ConfigError, did_you_mean
from ..model import APP_LABEL, AppSource
from .yaml_source import KeyLines as _KeyLines, expand_variables, key_line, load_yaml  # noqa: F401 (re-exported)

CONFIG_NAME = "modmig.yaml"
ENV_CONFIG = "MODMIG_CONFIG"
ENV_DATABASE = "MODMIG_DATABASE_URL"

#: Top-level keys and what each holds; an unknown key is an error that suggests the closest.
TOP_LEVEL_KEYS = {
    "database": "SQLAlchemy URL of the database to migrate",
    "apps": "mapping of app label to folder or {package: name}",
    "schema": "schema for the bookkeeping tables (PostgreSQL)",
    "lock_timeout": "seconds to wait for the migration lock (default 60)",
    "timeouts": "database-side limits for each migration: {lock_timeout, statement_timeout}",
    "drift": "what 'check --drift' leaves alone: {ignore: [table name patterns]}",
    "lint": "modmig lint: {dialect, disable, levels, apps} (read by modmig.lint.settings)",
    "fleets": "named groups of target databases or schemas (parsed by modmig.fleet; docs/fleet.md)",
    "topology": "how the database is deployed: auto, direct, pgbouncer-transaction or galera (docs/backends.md)",
    "lock": "the migration lock: auto, advisory (the database's session lock) or lease (a row in _schema_lock)",
    "lease": "how long the lease lock lasts without renewal, e.g. 30s (default 30 s)",
}
TOPOLOGIES = ("auto", "direct", "pgbouncer-transaction", "galera")
LOCKS = ("auto", "advisory", "lease")
#: The shortest ``lease:`` accepted (its heartbeat renews it every third of it).
MIN_LEASE = 1.0
APP_KEYS = ("path", "package", "models")
TIMEOUT_KEYS = ("lock_timeout", "statement_timeout")
DRIFT_KEYS = ("ignore",)
#: ``module`` or ``module:attribute``, both dotted Python names.
_MODELS_SPEC = re.compile(r"[A-Za-z_][\w.]*(:[A-Za-z_][\w.]*)?\Z")


@dataclass(frozen=True)
class ProjectConfig:
    path: Path | None
    apps: dict[str, AppSource]
    database: str | None = None
    schema: str | None = None
    lock_timeout: float | None = None
    #: Database-side limits for each migration, in seconds (``lock_timeout``, ``statement_timeout``).
    timeouts: dict[str, float] = field(default_factory=dict)
    #: ``drift: {ignore: [...]}``: fnmatch patterns of objects other tools own (``check --drift``).
    drift_ignore: tuple[str, ...] = ()
    #: The ``lint:`` section as written; ``modmig.lint.settings`` validates it when a lint runs.
    lint: Any = None
    #: ``fleets:`` as written (a mapping of name -> spec); ``modmig.fleet.spec`` parses one when used.
    fleets: dict[str, Any] = field(default_factory=dict)
    #: ``topology:`` / ``lock:`` as declared ("auto" when absent) and ``lease:`` in seconds (None: default).
    topology: str = "auto"
    lock: str = "auto"
    lease: float | None = None

    @property
    def root(self) -> Path:
        return self.path.parent if self.path is not None else Path.cwd()


def find_config(start: Path | None = None, explicit: str | os.PathLike | None = None) -> Path:
    """``explicit`` or ``$MODMIG_CONFIG`` if given, else the nearest modmig.yaml upwards."""
    chosen = explicit or os.environ.get(ENV_CONFIG)
    if chosen:
        path = Path(chosen)
        if not path.is_file():
            raise ConfigError(f"Config file {path} does not exist.")
        return path.resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"No {CONFIG_NAME} found in {here} or any parent folder. Create one with 'modmig init', "
        f"or point to it with --config PATH or ${ENV_CONFIG}."
    )


def load_config(path: Path, environ: Mapping[str, str] | None = None) -> ProjectConfig:
    """Read and validate one config file (``${VAR}`` taken from ``environ``, default os.environ)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read: {error.strerror}", path) from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"not UTF-8 text ({error.reason} at byte {error.start})", path) from None
    try:
        data = load_yaml(text, path, os.environ if environ is None else environ)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        if mark is not None:
            raise ConfigError(
                f"YAML syntax error at line {mark.line + 1}, column {mark.column + 1}: {problem}", path
            ) from None
        raise ConfigError(f"YAML syntax error: {problem}", path) from None
    return parse_config(data, path, text)


def parse_config(data: Any, path: Path | None, text: str = "") -> ProjectConfig:
    lines = _KeyLines(text)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("the top level must be a mapping with 'apps:' (and usually 'database:')", path)
    _reject_unknown(data, TOP_LEVEL_KEYS, (), path, lines)
    if "apps" not in data:
        raise ConfigError("missing 'apps:' (a mapping of app label to folder)", path)
    apps_data = data["apps"] or {}
    if not isinstance(apps_data, dict):
        raise ConfigError("'apps' must be a mapping of app label to folder", path, lines.of(("apps",)))

    root = path.parent if path is not None else Path.cwd()
    apps: dict[str, AppSource] = {}
    for label, spec in apps_data.items():
        apps[str(label)] = _app_source(str(label), spec, root, path, lines)

    database = data.get("database")
    if database is not None and not isinstance(database, str):
        raise ConfigError("'database' must be a URL string", path, lines.of(("database",)))
    timeouts = data.get("timeouts") or {}
    if not isinstance(timeouts, dict):
        raise ConfigError("'timeouts' must be a mapping", path, lines.of(("timeouts",)))
    _reject_unknown(timeouts, TIMEOUT_KEYS, ("timeouts",), path, lines)
    _reject_shared_folders(apps, path, lines)
    lock_timeout = data.get("lock_timeout")
    if lock_timeout is not None and (
        isinstance(lock_timeout, bool) or not isinstance(lock_timeout, (int, float)) or not 0 <= lock_timeout < float("inf")
    ):
        raise ConfigError(
            f"'lock_timeout' must be a number of seconds, 0 or more (0: do not wait), not {lock_timeout!r}",
            path,
            lines.of(("lock_timeout",)),
        )
    schema = data.get("schema")
    if schema is not None and not isinstance(schema, str):
        raise ConfigError("'schema' must be a name", path, lines.of(("schema",)))
    fleets = data.get("fleets") or {}
    if not isinstance(fleets, dict):
        raise ConfigError("'fleets' must be a mapping of fleet name to its targets", path, lines.of(("fleets",)))
    drift_ignore = _drift_ignore(data.get("drift"), path, lines)
    for key, allowed in (("topology", TOPOLOGIES), ("lock", LOCKS)):
        value = data.get(key, "auto")
        if value not in allowed:
            raise ConfigError(
                f"'{key}' must be one of {', '.join(allowed)}, not {value!r}.{did_you_mean(str(value), allowed)}",
                path, lines.of((key,)),
            )
    lease = data.get("lease")
    if lease is not None:
        lease = parse_duration(lease, "lease", path, lines.of(("lease",)))
        if lease < MIN_LEASE:
            raise ConfigError(
                f"'lease' must be at least {MIN_LEASE:g} s (its heartbeat renews it every third of it), not {lease:g} s",
                path, lines.of(("lease",)),
            )
    return ProjectConfig(
        path=path,
        apps=apps,
        database=database,
        schema=schema,
        lock_timeout=lock_timeout,
        timeouts={
            key: parse_duration(value, f"timeouts.{key}", path, lines.of(("timeouts", key)))
            for key, value in timeouts.items()
        },
        drift_ignore=drift_ignore,
        lint=data.get("lint"),
        fleets={str(name): spec for name, spec in fleets.items()},
        topology=data.get("topology", "auto"),
        lock=data.get("lock", "auto"),
        lease=lease,
    )


def _drift_ignore(drift: Any, path: Path | None, lines: "_KeyLines") -> tuple[str, ...]:
    if drift is None:
        return ()
    if not isinstance(drift, dict):
        raise ConfigError("'drift' must be a mapping, e.g. {ignore: [celery_*]}", path, lines.of(("drift",)))
    _reject_unknown(drift, DRIFT_KEYS, ("drift",), path, lines)
    ignore = drift.get("ignore") or []
    if not isinstance(ignore, list) or not all(isinstance(item, str) and item for item in ignore):
        raise ConfigError(
            "'drift.ignore' must be a list of table name patterns (fnmatch: celery_*, spatial_ref_sys)",
            path, lines.of(("drift", "ignore")),
        )
    return tuple(ignore)


_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h)?\s*\Z")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "min": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(value: Any, key: str, path: Path | None = None, line: int | None = None) -> float:
    """Seconds from ``5``, ``2.5``, ``"500ms"``, ``"5s"``, ``"2min"`` or ``"1h"`` (a bare number is seconds)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match and float(match.group(1)) > 0:
        return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    raise ConfigError(
        f"'{key}' must be a positive duration: seconds (5, 2.5) or a number with a unit "
        f"(500ms, 5s, 2min, 1h), not {value!r}",
        path,
        line,
    )


def choose_database_url(config: ProjectConfig, cli_url: str | None, environ: Mapping[str, str]) -> tuple[str, Path]:
    """The URL to use and the folder a relative SQLite path in it is relative to."""
    if cli_url:
        return cli_url, Path.cwd()
    if environ.get(ENV_DATABASE):
        return environ[ENV_DATABASE], Path.cwd()
    if config.database:
        return config.database, config.root
    where = f"{config.path}" if config.path else "the configuration"
    raise ConfigError(
        f"No database configured: add 'database: sqlite:///app.db' to {where}, "
        f"pass --database URL, or set ${ENV_DATABASE}."
    )


def _app_source(label: str, spec: Any, root: Path, path: Path | None, lines: "_KeyLines") -> AppSource:
    line = lines.of(("apps", label))
    if not APP_LABEL.match(label):
        raise ConfigError(
            f"invalid app label {label!r}: use lowercase letters, digits and _, starting with a "
            f"letter or _, at most 64 characters",
            path,
            line,
        )
    if isinstance(spec, str) and spec:
        return AppSource(label, folder=(root / spec).resolve())
    if isinstance(spec, dict):
        _reject_unknown(spec, APP_KEYS, ("apps", label), path, lines)
        models = _models_spec(label, spec.get("models"), path, lines)
        where = {key: spec[key] for key in ("path", "package") if key in spec}
        if len(where) == 1 and isinstance(where.get("path"), str):
            return AppSource(label, folder=(root / spec["path"]).resolve(), models=models)
        if len(where) == 1 and isinstance(where.get("package"), str):
            return AppSource(label, package=spec["package"], models=models)
    raise ConfigError(
        f"app {label!r} must be a folder (e.g. 'apps/{label}') or {{package: some_package}}, "
        f"optionally with its models: {{path: apps/{label}, models: {label}.models}}",
        path,
        line,
    )


def _models_spec(label: str, models: Any, path: Path | None, lines: "_KeyLines") -> str | None:
    if models is None:
        return None
    if not isinstance(models, str) or not _MODELS_SPEC.match(models.strip()):
        raise ConfigError(
            f"'apps.{label}.models' must name a Python module, or module:attribute "
            f"(e.g. {label}.models or {label}.models:Base), not {models!r}",
            path,
            lines.of(("apps", label, "models")),
        )
    return models.strip()


def _reject_shared_folders(apps: dict[str, AppSource], path: Path | None, lines: "_KeyLines") -> None:
    """Two apps reading one folder would run the same files twice, under two names."""
    seen: dict[object, str] = {}
    for label, source in apps.items():
        where = source.folder if source.folder is not None else f"package {source.package}"
        if where in seen:
            first = seen[where]
            shown = f"folder {source.folder}" if source.folder is not None else f"package {source.package!r}"
            raise ConfigError(
                f"apps {first!r} (line {lines.of(('apps', first))}) and {label!r} both use {shown}: each app "
                f"needs its own migrations folder, or its files would run twice under two names",
                path,
                lines.of(("apps", label)),
            )
        seen[where] = label


def _reject_unknown(
    data: dict, known: Mapping[str, Any] | tuple[str, ...], at: tuple[str, ...], path: Path | None, lines: "_KeyLines"
) -> None:
    for key in data:
        if key not in known:
            place = ".".join([*at, str(key)])
            raise ConfigError(
                f"unknown key {place!r}.{did_you_mean(str(key), known)} Known keys here: "
                f"{', '.join(known)}.",
                path,
                lines.of((*at, str(key))),
            )
