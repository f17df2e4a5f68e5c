"""Read a ``NNNN_slug.sql`` migration: its directives and its upgrade / downgrade scripts.

The format (docs/file-formats.md)::

    -- modmig: depends users:0002, billing:0001
    -- modmig: transaction off
    CREATE TABLE blog_post (...);
    -- modmig: down
    DROP TABLE blog_post;

Directives live in the leading comment block (the lines before the first line that is neither
blank nor a ``--`` comment). ``-- modmig: down`` may stand anywhere and splits the file. This
module only cuts the text; statements are split later, when a migration runs or is printed.
"""

from __future__ import annotations

import re
from pathlib import Path

from .checksum import checksum
from ..errors import MigrationFileError, did_you_mean
from ..model import Dependency, Migration
from .naming import squash_version

_DIRECTIVE = re.compile(r"^\s*--\s*modmig\s*:\s*(?P<body>.*?)\s*$", re.IGNORECASE)
#: A directive written without its colon (``-- modmig depends a:0001``, ``-- modmig down``) or
#: with something else in its place: as a plain comment it would be silently ignored, dropping a
#: dependency or, for ``down``, running the down section as part of the upgrade.
_ALMOST_DIRECTIVE = re.compile(
    r"^\s*--\s*mod[-_ ]?mig\s*(?:[;.,=>-]+\s*|\s+)(?P<word>depends?|transaction|down|replaces|allow)\b(?P<rest>.*)$",
    re.IGNORECASE,
)
_REPLACES = re.compile(r"^(\d+)\s*-\s*(\d+)$")
_KNOWN = ("depends", "transaction", "down", "replaces", "allow")


def read_sql_migration(app: str, number: int, name: str, path: Path, text: str) -> Migration:
    """Parse the text of one SQL migration file. Raises MigrationFileError naming file:line."""
    lines = text.splitlines()
    dependencies: list[Dependency] = []
    transaction = True
    replaces: tuple[int, int] | None = None
    down_index: int | None = None
    # Only lines that mention "mig" can be directives: looking at those alone keeps a 5 MB data
    # file from costing a regular expression per line.
    header_end = next((i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("--")), len(lines))
    candidates = [i for i, line in enumerate(lines) if "mig" in line.lower()] if "mig" in text.lower() else []
    for index in candidates:
        line = lines[index]
        line_no = index + 1
        stripped = line.strip()
        in_header = index < header_end
        match = _DIRECTIVE.match(line)
        if not match:
            _refuse_almost_directive(line, path, line_no)
            continue
        word, _, argument = match.group("body").partition(" ")
        word, argument = word.lower(), argument.strip()
        if word == "allow":
            continue  # '-- modmig: allow RULE because ...' may stand anywhere; it is the linter's (modmig.lint.suppress)
        if word == "down" and not argument:
            if down_index is not None:
                raise MigrationFileError(
                    path, f"second '-- modmig: down' line (the first is line {down_index + 1})", line_no
                )
            down_index = index
            continue
        if down_index is not None or not in_header:
            raise MigrationFileError(
                path,
                f"directive '{stripped}' must be in the leading comment block, before any SQL",
                line_no,
            )
        if word == "depends":
            dependencies.extend(_parse_depends(argument, path, line_no))
        elif word == "transaction":
            transaction = _parse_switch(argument, path, line_no)
        elif word == "replaces":
            replaces = _parse_replaces(argument, path, line_no)
        else:
            raise MigrationFileError(
                path,
                f"unknown directive {word!r}.{did_you_mean(word, _KNOWN)} "
                f"Known: depends, transaction, replaces, down, allow",
                line_no,
            )

    if down_index is None:
        up, down = text, None
    else:
        up = "\n".join(lines[:down_index])
        down = "\n".join(lines[down_index + 1 :])
    return Migration(
        app=app,
        version=squash_version(number, replaces, path),
        name=name,
        path=path,
        kind="sql",
        source=text,
        checksum=checksum(text),
        dependencies=tuple(dependencies),
        transaction=transaction,
        reversible=down is not None,
        sql_up=up,
        sql_down=down,
        up_line=1,
        down_line=(down_index + 2) if down_index is not None else 1,
        replaces_from=replaces[0] if replaces else None,
    )


def _refuse_almost_directive(line: str, path: Path, line_no: int) -> None:
    almost = _ALMOST_DIRECTIVE.match(line)
    if almost is not None and "modmig:" not in line.lower():
        word = almost.group("word").lower()
        word = "depends" if word.startswith("depend") else word
        fixed = f"-- modmig: {word}{almost.group('rest').rstrip()}"
        raise MigrationFileError(
            path,
            f"'{line.strip()}' looks like a directive but has no colon, so it would be read as a "
            f"plain comment and ignored; write it as '{fixed}'",
            line_no,
        )


def _parse_depends(argument: str, path: Path, line: int) -> list[Dependency]:
    if not argument:
        raise MigrationFileError(path, "'depends' needs at least one app:NNNN", line)
    found = []
    for item in argument.split(","):
        try:
            found.append(Dependency.parse(item, line))
        except ValueError as error:
            raise MigrationFileError(path, str(error), line) from None
    return found


def _parse_switch(argument: str, path: Path, line: int) -> bool:
    value = argument.lower()
    if value in ("on", "true", "yes"):
        return True
    if value in ("off", "false", "no"):
        return False
    raise MigrationFileError(path, f"'transaction' takes on or off, not {argument!r}", line)


def _parse_replaces(argument: str, path: Path, line: int) -> tuple[int, int]:
    match = _REPLACES.match(argument)
    if not match or not 1 <= int(match.group(1)) < int(match.group(2)):
        raise MigrationFileError(
            path, f"'replaces' takes a range M-N with 1 <= M < N, e.g. 0001-0012, not {argument!r}", line
        )
    return int(match.group(1)), int(match.group(2))
