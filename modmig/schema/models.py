"""Import each app's SQLAlchemy models, and say which app each declared table belongs to.

An app names its models in modmig.yaml (``blog: {path: apps/blog, models: blog.models}``): a
module holding a ``MetaData`` or a declarative base, found automatically, or ``module:attribute``
naming one (a ``MetaData``, a declarative base, a ``registry``, Flask-SQLAlchemy's ``db``).
Modules are imported with the project folder, and the folder holding each app's folder, on
``sys.path``.

Which app a table belongs to, in this order:

1. ``info={"app": "blog"}`` on the table (``__table_args__ = {"info": {"app": "blog"}}``);
2. the app whose models module (or its package) declares it: a mapped class's module, or a
   ``Table`` bound to a name in the module;
3. the one app whose models gave the ``MetaData`` it is in.

So one MetaData per app works, and so does one MetaData shared by every app (Flask-SQLAlchemy's
``db.Model``): each table goes to the app whose package declares it. A table none of these
places is an error asking for ``info={"app": ...}``.

Only ``makemigrations`` imports models: importing an application's code runs it, and no other
command needs it. This module imports SQLAlchemy's ORM lazily for that reason too.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from ..errors import ModelsError, did_you_mean

if TYPE_CHECKING:
    from sqlalchemy import MetaData, Table

    from ..config import ProjectConfig

#: Files of modules imported by ``load_models``, with their modification times: a module whose
#: file changed (or that came from another project) is imported afresh next time.
_IMPORTED: dict[str, tuple[str | None, int | None]] = {}


@dataclass
class ProjectModels:
    """The tables the requested apps' models declare, and which app each belongs to.

    ``metadata`` is what the comparison reads: the models' own ``MetaData`` objects when each
    holds every table its foreign keys point at, else one ``MetaData`` with a copy of every table,
    where foreign keys between apps resolve (and the tables they point at that only the
    migrations create can be added, by ``autogenerate.add_referenced_tables``).
    """

    metadata: "list[MetaData]"
    #: Table name -> the app it belongs to.
    owner: dict[str, str] = field(default_factory=dict)
    #: The apps whose models were asked for, and the spec each was loaded from.
    specs: dict[str, str] = field(default_factory=dict)
    #: True when ``metadata`` is one MetaData of copies (tables may be added to it).
    combined: bool = False

    def tables(self, app: str) -> list[str]:
        """Names of the tables ``app``'s models declare, sorted."""
        return sorted(name for name, owner in self.owner.items() if owner == app)

    def app_of(self, table: str) -> str | None:
        return self.owner.get(table)

    def table(self, name: str) -> "Table | None":
        for metadata in self.metadata:
            if name in metadata.tables:
                return metadata.tables[name]
        return None


def load_models(config: "ProjectConfig", apps: Iterable[str]) -> ProjectModels:
    """Import the models of ``apps`` (each must name its models in modmig.yaml).

    Raises ModelsError naming the app, the module and the exception when one cannot be imported,
    holds no MetaData, or declares a table another app's models declare too.
    """
    from sqlalchemy import MetaData

    wanted = list(apps)
    specs = {app: config.apps[app].models for app in wanted}
    missing = [app for app, spec in specs.items() if spec is None]
    if missing:
        raise ModelsError(
            missing[0], "(none)",
            f"modmig.yaml names no models for it: write the app as "
            f"{{path: apps/{missing[0]}, models: {missing[0]}.models}}",
        )
    prefixes = _module_prefixes(config)
    roots = _roots(config)
    #: id(MetaData) -> (the MetaData, the apps whose models gave it)
    found: dict[int, tuple[MetaData, list[str]]] = {}
    modules: dict[str, Any] = {}
    with _search_path(roots):
        for app in wanted:
            module, metadata = _import_metadata(app, specs[app] or "", roots)
            modules[app] = module
            found.setdefault(id(metadata), (metadata, []))[1].append(app)
    result = ProjectModels([metadata for metadata, _ in found.values()], specs={app: spec for app, spec in specs.items() if spec is not None})
    for metadata, givers in found.values():
        declaring = _declaring_modules(metadata, [modules[app] for app in givers])
        for table in metadata.tables.values():
            app = _app_of(table, declaring, prefixes, givers, config)
            if result.owner.get(table.name, app) != app:
                raise ModelsError(
                    app, specs.get(app) or "", f"table {table.name!r} is declared by the models of {result.owner[table.name]!r} too"
                )
            result.owner[table.name] = app
    if not all(_self_contained(metadata) for metadata in result.metadata):
        combined = MetaData()
        for metadata in result.metadata:
            for table in metadata.tables.values():
                if table.name not in combined.tables:
                    table.to_metadata(combined)
        result.metadata, result.combined = [combined], True
    return result


def _self_contained(metadata: "MetaData") -> bool:
    """Every foreign key of the MetaData points at one of its own tables (copying 500 tables
    into one MetaData costs a second; a MetaData that needs nothing from outside is used as it is)."""
    for table in metadata.tables.values():
        for fk in table.foreign_keys:
            target = fk.target_fullname.rsplit(".", 1)[0]
            if target not in metadata.tables:
                return False
    return True


def _import_metadata(app: str, spec: str, roots: list[Path]) -> tuple[Any, "MetaData"]:
    """Import ``module[:attribute]`` and find the MetaData it holds."""
    module_name, _, attribute = spec.partition(":")
    _forget_stale(module_name, roots)
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # noqa: BLE001 (whatever the application's code raises)
        raise ModelsError(app, spec, _failure(error, module_name, roots)) from None
    _remember(module_name)
    if attribute:
        target: Any = module
        for part in attribute.split("."):
            if not hasattr(target, part):
                names = [name for name in vars(module) if not name.startswith("_")]
                raise ModelsError(app, spec, f"{module_name} has no attribute {part!r}.{did_you_mean(part, names)}")
            target = getattr(target, part)
        metadata = _metadata_of(target)
        if metadata is None:
            raise ModelsError(
                app, spec,
                f"{attribute} is a {type(target).__name__}, not a MetaData, declarative base, registry or "
                f"object with a .metadata",
            )
        return module, metadata
    candidates = _candidates(module)
    if not candidates:
        raise ModelsError(
            app, spec,
            f"no SQLAlchemy MetaData or declarative base found in {module_name}; name it: "
            f"'{module_name}:Base' or '{module_name}:metadata'",
        )
    if len(candidates) > 1:
        listed = ", ".join(sorted(name for name, _ in candidates.values()))
        raise ModelsError(
            app, spec,
            f"{module_name} holds several MetaData ({listed}); name the one of this app, e.g. "
            f"'{module_name}:{sorted(name for name, _ in candidates.values())[0]}'",
        )
    return module, next(iter(candidates.values()))[1]


def _candidates(module: Any) -> dict[int, tuple[str, "MetaData"]]:
    """The distinct MetaData a module defines: its own MetaData objects, bases and classes."""
    from sqlalchemy import MetaData

    found: dict[int, tuple[str, MetaData]] = {}
    for name, value in sorted(vars(module).items()):
        if name.startswith("__"):
            continue
        if isinstance(value, MetaData):
            found.setdefault(id(value), (name, value))
        elif isinstance(value, type) and value.__module__ == module.__name__:
            metadata = _metadata_of(value)
            if metadata is not None:
                found.setdefault(id(metadata), (name, metadata))
        elif not isinstance(value, type) and type(value).__module__.startswith("flask_sqlalchemy"):
            metadata = _metadata_of(value)
            if metadata is not None:
                found.setdefault(id(metadata), (name, metadata))
    return found


def _metadata_of(value: Any) -> "MetaData | None":
    from sqlalchemy import MetaData

    if isinstance(value, MetaData):
        return value
    metadata = getattr(value, "metadata", None)
    return metadata if isinstance(metadata, MetaData) else None


def _declaring_modules(metadata: "MetaData", modules: list[Any]) -> dict[str, str]:
    """Table name -> the module that declares it: mapped classes' modules, and Tables named in modules."""
    declaring: dict[str, str] = {}
    for registry in _registries(modules):
        for mapper in list(registry.mappers):
            table = mapper.local_table
            if getattr(table, "metadata", None) is metadata:
                declaring.setdefault(table.name, mapper.class_.__module__)
    from sqlalchemy import Table

    for module in modules:
        for value in vars(module).values():
            if isinstance(value, Table) and value.metadata is metadata:
                declaring.setdefault(value.name, module.__name__)
    return declaring


def _registries(modules: list[Any]) -> list[Any]:
    from sqlalchemy.orm import registry as Registry

    found: dict[int, Any] = {}
    for module in modules:
        for value in vars(module).values():
            for candidate in (value, getattr(value, "Model", None)):
                registry = getattr(candidate, "registry", None)
                if isinstance(registry, Registry):
                    found.setdefault(id(registry), registry)
    return list(found.values())


def _app_of(table: "Table", declaring: dict[str, str], prefixes: list[tuple[str, str]], givers: list[str], config: "ProjectConfig") -> str:
    named = (table.info or {}).get("app")
    if named is not None:
        if named not in config.apps:
            raise ModelsError(
                givers[0], config.apps[givers[0]].models or "",
                f"table {table.name!r} says info={{'app': {named!r}}}, which is not a configured app."
                f"{did_you_mean(str(named), config.apps)}",
            )
        return named
    module = declaring.get(table.name)
    if module is not None:
        for prefix, app in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                return app
    if len(givers) == 1:
        return givers[0]
    raise ModelsError(
        givers[0], config.apps[givers[0]].models or "",
        f"table {table.name!r} is in the MetaData the models of {', '.join(givers)} share, and none of "
        f"their modules declares it: give it info={{'app': ...}}",
    )


def _module_prefixes(config: "ProjectConfig") -> list[tuple[str, str]]:
    """(module prefix, app), longest first: each app's models module, then its package."""
    prefixes = []
    for label, source in config.apps.items():
        if source.models is None:
            continue
        module = source.models.partition(":")[0]
        prefixes.append((module, label, 1))
        if "." in module:
            prefixes.append((module.rsplit(".", 1)[0], label, 0))
    prefixes.sort(key=lambda item: (-item[2], -len(item[0]), item[1]))
    return [(prefix, label) for prefix, label, _ in prefixes]


def _roots(config: "ProjectConfig") -> list[Path]:
    """The folders models are imported from: the project's, then each folder holding an app folder."""
    roots = [config.root.resolve()]
    for source in config.apps.values():
        if source.folder is not None and source.folder.parent not in roots:
            roots.append(source.folder.parent)
    return roots


@contextmanager
def _search_path(roots: list[Path]) -> Iterator[None]:
    added = [str(root) for root in roots if str(root) not in sys.path]
    sys.path[:0] = added
    saved, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    importlib.invalidate_caches()
    try:
        yield
    finally:
        sys.dont_write_bytecode = saved
        for entry in added:
            if entry in sys.path:
                sys.path.remove(entry)


def _forget_stale(module_name: str, roots: list[Path]) -> None:
    """Drop ``module_name``'s package from sys.modules if it came from elsewhere or its files changed.

    Another project's ``blog.models`` (tests load many projects in one process), or a namespace
    package (an app folder without ``__init__.py``) found in another project, would shadow this
    project's; an edited file would be stale.
    """
    top = module_name.split(".")[0]
    family = [name for name in sys.modules if name == top or name.startswith(top + ".")]
    stale = False
    for name in family:
        module = sys.modules[name]
        file = getattr(module, "__file__", None)
        places = [file] if file is not None else list(getattr(module, "__path__", []) or [])
        if not places:
            continue
        if not all(any(Path(place).resolve().is_relative_to(root) for root in roots) for place in places):
            stale = True
        elif file is not None and _IMPORTED.get(name) not in (None, (file, _mtime(file))):
            stale = True
    if stale:
        for name in family:
            sys.modules.pop(name, None)
            _IMPORTED.pop(name, None)


def _remember(module_name: str) -> None:
    top = module_name.split(".")[0]
    for name, module in list(sys.modules.items()):
        if name == top or name.startswith(top + "."):
            file = getattr(module, "__file__", None)
            if file is not None:
                _IMPORTED[name] = (file, _mtime(file))


def _mtime(file: str) -> int | None:
    try:
        return os.stat(file).st_mtime_ns
    except OSError:
        return None


def _failure(error: BaseException, module_name: str, roots: list[Path]) -> str:
    """The exception, and where in the project's own files it was raised (no traceback)."""
    if isinstance(error, ModuleNotFoundError) and error.name is not None and module_name.startswith(error.name):
        searched = ", ".join(str(root) for root in roots)
        return f"cannot import it: {error} (searched {searched} and the installed packages)"
    where = ""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if any(Path(frame.filename).resolve().is_relative_to(root) for root in roots):
            where = f" at {frame.filename}:{frame.lineno}"
            break
    return f"importing it raised {type(error).__name__}: {error}{where}"
