"""The ``lint:`` section of modmig.yaml: which rules run, at which level, for which app.

    lint:
      dialect: postgresql         # the SQL the migrations are written in (default: the database's)
      disable: [PG118]            # rules that never run (id or slug)
      levels: {PG114: error}      # error, warning or off
      apps:
        legacy:                   # the same two keys, for one app's migrations only
          disable: [DM103]
          levels: {DS102: warning}

``config.py`` only keeps the section's raw value (it reads modmig.yaml for every command; this
parsing is the linter's, and runs only when the linter does). Mistakes are ``ConfigError``s that
name modmig.yaml, the line and the key, with the closest rule id when one is misspelt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config.yaml_source import KeyLines as _KeyLines  # modmig.yaml key -> line finder, shared with config
from ..errors import ConfigError, did_you_mean
from . import rules as _registered  # noqa: F401  (ids and slugs of every rule)
from .rule import LEVELS, RULES

KEYS = ("dialect", "disable", "levels", "apps")
APP_KEYS = ("disable", "levels")
DIALECTS = ("postgresql", "mysql", "sqlite")
OFF = "off"


@dataclass
class LintSettings:
    dialect: str | None = None
    #: rule id -> level, or ``off``; for the whole project and per app.
    levels: dict[str, str] = field(default_factory=dict)
    app_levels: dict[str, dict[str, str]] = field(default_factory=dict)

    def level(self, rule_id: str, app: str) -> str:
        """The level ``rule_id`` reports at in ``app``'s migrations (``off``: not run)."""
        for table in (self.app_levels.get(app, {}), self.levels):
            if rule_id in table:
                return table[rule_id]
        return RULES[rule_id].level


def resolve_rule(name: str) -> str | None:
    """A rule id from an id or a slug (``PG104`` or ``require-concurrent-index``), else None."""
    upper = name.strip().upper()
    if upper in RULES:
        return upper
    return next((rule.id for rule in RULES.values() if rule.slug == name.strip().lower()), None)


def parse_settings(raw: Any, path: Path | None, known_apps: list[str]) -> LintSettings:
    if raw is None:
        return LintSettings()
    lines = _Lines(path)
    if not isinstance(raw, dict):
        raise ConfigError("'lint' must be a mapping (keys: dialect, disable, levels, apps)", path, lines.of("lint"))
    _known_keys(raw, KEYS, "lint", path, lines)
    settings = LintSettings()
    dialect = raw.get("dialect")
    if dialect is not None:
        if dialect not in DIALECTS:
            raise ConfigError(f"'lint.dialect' must be one of {', '.join(DIALECTS)}, not {dialect!r}", path, lines.of("lint", "dialect"))
        settings.dialect = dialect
    settings.levels = _levels(raw, ("lint",), path, lines)
    apps = raw.get("apps") or {}
    if not isinstance(apps, dict):
        raise ConfigError("'lint.apps' must map app labels to {disable, levels}", path, lines.of("lint", "apps"))
    for app, section in apps.items():
        where = ("lint", "apps", str(app))
        if app not in known_apps:
            raise ConfigError(f"'lint.apps.{app}': no such app.{did_you_mean(str(app), known_apps)} "
                              f"Configured apps: {', '.join(known_apps)}.", path, lines.of(*where))
        if not isinstance(section, dict):
            raise ConfigError(f"'lint.apps.{app}' must be a mapping (keys: disable, levels)", path, lines.of(*where))
        _known_keys(section, APP_KEYS, ".".join(where), path, lines)
        settings.app_levels[str(app)] = _levels(section, where, path, lines)
    return settings


class _Lines:
    """``of("lint", "levels", "PG104")``: the modmig.yaml line of a key (read only on an error)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._keys: _KeyLines | None = None

    def of(self, *key: str) -> int | None:
        if self._keys is None:
            try:
                text = self.path.read_text(encoding="utf-8") if self.path is not None else ""
            except OSError:
                text = ""
            self._keys = _KeyLines(text)
        return self._keys.of(tuple(key)) or (self._keys.of(tuple(key[:-1])) if len(key) > 1 else None)


def _levels(section: dict, where: tuple[str, ...], path: Path | None, lines: _Lines) -> dict[str, str]:
    found: dict[str, str] = {}
    disable = section.get("disable") or []
    if not isinstance(disable, list):
        raise ConfigError(f"'{'.'.join(where)}.disable' must be a list of rule ids", path, lines.of(*where, "disable"))
    for name in disable:
        found[_rule_id(str(name), (*where, "disable"), path, lines)] = OFF
    levels = section.get("levels") or {}
    if not isinstance(levels, dict):
        raise ConfigError(f"'{'.'.join(where)}.levels' must map rule ids to error, warning or off", path, lines.of(*where, "levels"))
    for name, level in levels.items():
        key = (*where, "levels", str(name))
        rule_id = _rule_id(str(name), key, path, lines)
        if level is False:  # YAML reads a bare ``off`` as false
            level = OFF
        if level not in (*LEVELS, OFF):
            raise ConfigError(f"'{'.'.join(key)}' must be error, warning or off, not {level!r}", path, lines.of(*key))
        found[rule_id] = level
    return found


def _rule_id(name: str, where: tuple[str, ...], path: Path | None, lines: _Lines) -> str:
    rule_id = resolve_rule(name)
    if rule_id is None:
        choices = [*RULES, *(r.slug for r in RULES.values())]
        raise ConfigError(f"'{'.'.join(where)}': unknown lint rule {name!r}.{did_you_mean(name, choices)} "
                          f"'modmig lint --list-rules' lists them.", path, lines.of(*where))
    return rule_id


def _known_keys(section: dict, known: tuple[str, ...], where: str, path: Path | None, lines: _Lines) -> None:
    for key in section:
        if key not in known:
            raise ConfigError(f"unknown key '{where}.{key}'.{did_you_mean(str(key), known)} Known keys here: "
                              f"{', '.join(known)}.", path, lines.of(*where.split("."), str(key)))
