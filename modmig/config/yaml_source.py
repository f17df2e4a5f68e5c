"""Reading YAML the way modmig.yaml needs: every key's line (for errors that name file:line),
``${VAR}`` expanded from the environment, and a key written twice refused instead of silently
keeping the last. Shared by the project file, ``fleets:`` files of URLs and ``lint:`` settings.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

import yaml

from ..errors import ConfigError


def key_line(path: Path | None, key_path: tuple[str, ...]) -> int | None:
    """The line of a key in the config file, for errors found after loading (e.g. in ``fleets:``)."""
    try:
        return KeyLines(path.read_text(encoding="utf-8")).of(key_path) if path is not None else None
    except OSError:
        return None


class KeyLines:
    """Line numbers of mapping keys, found lazily and only when an error needs one."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._lines: dict[tuple[str, ...], int] | None = None

    def of(self, key_path: tuple[str, ...]) -> int | None:
        if self._lines is None:
            self._lines = {}
            try:
                self._walk(yaml.compose(self._text, Loader=yaml.SafeLoader), ())
            except yaml.YAMLError:
                pass  # the file parsed once already; no line numbers is the worst outcome
        return self._lines.get(key_path)

    def _walk(self, node: Any, at: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                here = (*at, str(key.value))
                self._lines[here] = key.start_mark.line + 1  # type: ignore[index]
                self._walk(value, here)
        elif isinstance(node, yaml.SequenceNode):  # list items by position: ("fleets", "x", "urls", "2")
            for index, item in enumerate(node.value):
                here = (*at, str(index))
                self._lines[here] = item.start_mark.line + 1  # type: ignore[index]
                self._walk(item, here)


# -- ${VAR} expansion and duplicate keys --------------------------------------------------------

_VARIABLE = re.compile(r"\$\$|\$\{([^}]*)\}")
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def expand_variables(value: Any, environ: Mapping[str, str], path: Path | None = None, line: int | None = None) -> Any:
    """``value`` with ``${VAR}`` replaced from ``environ``, in a string or every string of a list/dict.

    ``${VAR:-default}`` uses ``default`` when VAR is unset or empty; ``$$`` is a literal ``$``.
    An unset variable without a default is a ConfigError naming it and ``path:line``, never an
    empty string quietly put into a URL. Dict keys are not expanded.
    """
    if isinstance(value, dict):
        return {key: expand_variables(item, environ, path, line) for key, item in value.items()}
    if isinstance(value, list):
        return [expand_variables(item, environ, path, line) for item in value]
    if not isinstance(value, str) or "$" not in value:
        return value

    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        body = match.group(1)
        name, separator, default = body.partition(":-")
        if not _VARIABLE_NAME.match(name):
            raise ConfigError(
                f"'${{{body}}}' is not a variable reference: write ${{NAME}} or ${{NAME:-default}} "
                f"(NAME of letters, digits and _), or $${{ for a literal '${{'",
                path,
                line,
            )
        found = environ.get(name)
        if found is None or (separator and found == ""):
            if separator:
                return default
            raise ConfigError(
                f"environment variable {name} is not set (used as ${{{name}}}); set it, or give a "
                f"default with ${{{name}:-value}}",
                path,
                line,
            )
        return found

    return _VARIABLE.sub(replace, value)


class _ConfigLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses duplicate keys and expands ``${VAR}`` in string values."""

    environ: Mapping[str, str] = {}
    path: Path | None = None

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: PyYAML's own error says so
                break
            if first is not None:
                raise ConfigError(
                    f"key {key!r} appears twice in one mapping (first at line {first}); YAML would "
                    f"silently keep only the last one: remove or rename one of them",
                    self.path,
                    line,
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_str(self, node):  # type: ignore[override]
        text = super().construct_yaml_str(node)
        expanded = expand_variables(text, self.environ, self.path, node.start_mark.line + 1)
        if expanded == text or node.style is not None:
            return expanded
        # an unquoted value takes the type its expansion reads as: lock_timeout: ${WAIT} is a number
        tag = self.resolve(yaml.ScalarNode, expanded, (True, False))
        if tag == "tag:yaml.org,2002:str":
            return expanded
        return self.construct_object(yaml.ScalarNode(tag, expanded, node.start_mark, node.end_mark))


_ConfigLoader.add_constructor("tag:yaml.org,2002:str", _ConfigLoader.construct_yaml_str)


def load_yaml(text: str, path: Path | None, environ: Mapping[str, str]) -> Any:
    """Parse ``text`` like ``yaml.safe_load``, refusing duplicate keys and expanding ``${VAR}``."""
    loader = _ConfigLoader(text)
    loader.environ, loader.path = environ, path
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
