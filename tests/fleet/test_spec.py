"""``fleets:`` in modmig.yaml: what each kind of fleet looks like, and every mistake, with its line."""

from __future__ import annotations

import pytest

from modmig.config import load_config
from modmig.errors import ConfigError, UnknownFleet
from modmig.fleet.discovery import discover
from modmig.fleet.servers import Servers
from modmig.fleet.spec import fleet_spec

from ..conftest import write_tree


def spec_of(tmp_path, fleets: str, name: str = "tenants", environ=None, database: str | None = None):
    config = load_config(write_tree(tmp_path, {}, database, "fleets:\n" + fleets), environ or {})
    return fleet_spec(config, name, environ or {})


def complaint(tmp_path, fleets: str, name: str = "tenants", environ=None) -> str:
    with pytest.raises(ConfigError) as caught:
        spec_of(tmp_path, fleets, name, environ)
    return str(caught.value)


def test_each_kind_of_fleet_is_read_with_its_defaults(tmp_path):
    spec = spec_of(tmp_path, '  tenants: {schemas: "tenant_*", exclude: tenant_template}\n', database="postgresql://app@db/saas")
    assert (spec.kind, spec.pattern, spec.url, spec.exclude, spec.parallel) == ("schemas", "tenant_*", "postgresql://app@db/saas", ("tenant_template",), 4)
    assert spec.journal == tmp_path / ".modmig" / "fleet-tenants.jsonl"
    shops = spec_of(tmp_path, '  shops: {databases: "shop_*", server: "mysql://root@db/", parallel: 16, journal: var/j.jsonl}\n', "shops")
    assert (shops.kind, shops.url, shops.parallel, shops.journal) == ("databases", "mysql://root@db/", 16, tmp_path / "var" / "j.jsonl")
    assert spec_of(tmp_path, '  tenants: {files: "var/*.db"}\n').kind == "files"


def test_variables_in_urls_come_from_the_environment_and_an_unset_one_is_named(tmp_path):
    fleets = '  tenants:\n    urls:\n      - "postgresql://app:${PW}@shard1/app"\n      - "postgresql://app:${PW}@shard2/app"\n'
    spec = spec_of(tmp_path, fleets, environ={"PW": "s3cret"})
    assert spec.urls == ("postgresql://app:s3cret@shard1/app", "postgresql://app:s3cret@shard2/app")
    message = complaint(tmp_path, fleets)
    assert message.endswith("modmig.yaml:5: environment variable PW is not set (used as ${PW}); set it, or give a default with ${PW:-value}")


def test_a_file_of_urls_is_read_at_run_time_with_comments_variables_and_relative_sqlite_paths(tmp_path):
    (tmp_path / "var").mkdir()
    (tmp_path / "shards.txt").write_text("# the shards\nsqlite:///var/a.db\n\n  sqlite:///${DATA}/b.db  \n")
    spec = spec_of(tmp_path, "  tenants: {url_file: shards.txt}\n")
    servers = Servers(load_config(tmp_path / "modmig.yaml"), 1)
    targets = discover(spec, servers, {"DATA": str(tmp_path / "var")}).targets
    assert [t.name for t in targets] == [f"sqlite:///{tmp_path}/var/a.db", f"sqlite:///{tmp_path}/var/b.db"]
    with pytest.raises(ConfigError) as caught:
        discover(spec, servers, {})
    assert str(caught.value).endswith("shards.txt:4: environment variable DATA is not set (used as ${DATA}); set it, or give a default with ${DATA:-value}")
    (tmp_path / "shards.txt").write_text("sqlite:///var/a.db\nsqlite:///var/a.db\n")
    with pytest.raises(ConfigError, match=r"shards.txt:2: fleet 'tenants' lists sqlite:///.*/var/a.db twice"):
        discover(spec, servers, {})


@pytest.mark.parametrize(
    "fleets, expected",
    [
        ('  tenants: {schemas: "t_*", files: "*.db"}\n', ":3: fleet 'tenants' needs exactly one of: schemas, databases, files, urls, url_file (it has schemas and files)"),
        ("  tenants: {parallel: 2}\n", ":3: fleet 'tenants' needs exactly one of: schemas, databases, files, urls, url_file (it has none)"),
        ('  tenants:\n    files: "*.db"\n    paralel: 2\n', ":5: unknown key 'fleets.tenants.paralel'. Did you mean 'parallel'?"),
        ('  tenants:\n    files: "*.db"\n    parallel: 0\n', ":5: 'fleets.tenants.parallel' must be a whole number >= 1, not 0"),
        ('  tenants:\n    files: "*.db"\n    server: mysql://db/\n', ":5: 'fleets.tenants.server' goes with 'databases:', not 'files:'"),
        ('  tenants:\n    urls: []\n', ":4: 'fleets.tenants.urls' must be a non-empty list of database URLs"),
        ('  tenants: "t_*"\n', ":3: fleet 'tenants' must be a mapping with one of: schemas"),
        ('  tenants: {schemas: "t_*"}\n', ":3: fleet 'tenants' needs 'database:' (or a top-level 'database:') to find its schemas"),
    ],
)
def test_a_mistake_in_a_fleet_names_the_key_and_its_line(tmp_path, fleets, expected):
    assert expected in complaint(tmp_path, fleets)


def test_an_unknown_fleet_suggests_the_closest_one(tmp_path):
    with pytest.raises(UnknownFleet, match=r"Unknown fleet 'tenant'. Did you mean 'tenants'\? Configured fleets: shops, tenants."):
        spec_of(tmp_path, '  tenants: {files: "*.db"}\n  shops: {files: "s/*.db"}\n', "tenant")


def test_fleets_must_be_a_mapping(tmp_path):
    with pytest.raises(ConfigError, match=r"modmig.yaml:2: 'fleets' must be a mapping of fleet name to its targets"):
        load_config(write_tree(tmp_path, {}, None, "fleets: [a, b]\n"))
