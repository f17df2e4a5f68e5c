"""The catalogue's projects: a base project to break in one place per case, and the truth check.

Every migration of the base project creates one table named after it (``blog_0002`` for
blog:0002), so what the database holds can be compared with what its version table says, whatever
the case did: ``database_tells_the_truth``.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

_CONVENTION = re.compile(r"([a-z]+)_(\d{4})\Z")


def migration(app: str, number: int, *depends: str, down: bool = True, body: str | None = None) -> str:
    header = f"-- modmig: depends {', '.join(depends)}\n" if depends else ""
    body = body if body is not None else f"CREATE TABLE {app}_{number:04d} (id INTEGER PRIMARY KEY);\n"
    return header + body + (f"-- modmig: down\nDROP TABLE {app}_{number:04d};\n" if down else "")


def base_files() -> dict[str, dict[str, str]]:
    """users 0001-0002, blog 0001-0002 (blog:0001 needs users:0001)."""
    return {
        "users": {"0001_users.sql": migration("users", 1), "0002_more.sql": migration("users", 2)},
        "blog": {"0001_posts.sql": migration("blog", 1, "users:0001"), "0002_tags.sql": migration("blog", 2)},
    }


def write_project(folder: Path, files: dict[str, str | None], url: str, config: str | None) -> None:
    """The base project with ``files`` ("blog/0003_x.sql": text, or None to delete) over it."""
    apps = base_files()
    for where, content in files.items():
        app, name = where.split("/", 1)
        apps.setdefault(app, {})
        if content is None:
            apps[app].pop(name, None)
        else:
            apps[app][name] = content
    for app, names in apps.items():
        target = folder / "apps" / app / "migrations"
        target.mkdir(parents=True, exist_ok=True)
        for name, content in names.items():
            (target / name).write_text(content, encoding="utf-8")
    listed = "".join(f"  {app}: apps/{app}\n" for app in apps)
    default = f"database: {url}\napps:\n{listed}"
    (folder / "modmig.yaml").write_text(default if config is None else config.format(url=url, apps=listed), encoding="utf-8")


def database_tells_the_truth(folder: Path, url: str) -> None:
    """Every app's tables are those its recorded version says (a dirty migration may be half there)."""
    from sqlalchemy.exc import OperationalError

    engine = create_engine(url)
    try:
        try:
            connection = engine.connect()
        except OperationalError:
            return  # the case is about a database that cannot be reached: nothing to compare
        with connection:
            names = set(inspect(connection).get_table_names())
            if "_schema_versions" not in names:
                assert not {n for n in names if _CONVENTION.match(n)}, f"tables but no version table: {names}"
                return
            rows = connection.execute(text("SELECT app, version, dirty, dirty_version FROM _schema_versions")).all()
    finally:
        engine.dispose()
    recorded = {app: (version, dirty_version if dirty else None) for app, version, dirty, dirty_version in rows}
    for name in names:
        match = _CONVENTION.match(name)
        if not match or match.group(1) not in recorded:
            continue
        version, dirty = recorded[match.group(1)]
        if not isinstance(version, int) or version < 0:
            continue  # a corrupt row: modmig refuses to act on it, so nothing follows from it
        number = int(match.group(2))
        assert number <= version or number == dirty, f"{name} exists but {match.group(1)} is recorded at {version}"
    for app, (version, dirty) in recorded.items():
        if not isinstance(version, int) or version < 0:
            continue
        for number in range(1, version + 1):
            path = folder / "apps" / app / "migrations"
            created = any(f"CREATE TABLE {app}_{number:04d} " in p.read_text(errors="replace") for p in path.glob(f"{number:04d}_*.sql"))
            if created and number != dirty:
                assert f"{app}_{number:04d}" in names, f"{app} is recorded at {version} but {app}_{number:04d} is missing"
