"""Finding modmig.yaml, database URL precedence, and apps shipped as installed packages."""

import sys
import textwrap

import pytest

from modmig.api import Project
from modmig.config import find_config, load_config


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def test_the_config_is_found_in_the_nearest_parent_folder(tmp_path):
    config = write(tmp_path / "modmig.yaml", "apps: {}\n")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config(deep) == config


def test_modmig_config_environment_variable_overrides_the_search(tmp_path, monkeypatch):
    other = write(tmp_path / "elsewhere" / "custom.yaml", "apps: {}\n")
    write(tmp_path / "modmig.yaml", "apps: {}\n")
    monkeypatch.setenv("MODMIG_CONFIG", str(other))
    assert find_config(tmp_path) == other


def test_database_url_precedence_is_flag_then_environment_then_file(tmp_path, monkeypatch):
    write(tmp_path / "modmig.yaml", "database: sqlite:///from_file.db\napps: {}\n")
    monkeypatch.chdir(tmp_path)
    assert Project.load(tmp_path).backend.display_url.endswith("/from_file.db")
    monkeypatch.setenv("MODMIG_DATABASE_URL", "sqlite:///from_env.db")
    assert Project.load(tmp_path).backend.display_url.endswith("/from_env.db")
    assert Project.load(tmp_path, database="sqlite:///from_flag.db").backend.display_url.endswith("/from_flag.db")


def test_a_relative_sqlite_path_in_the_file_is_relative_to_the_file(tmp_path, monkeypatch):
    write(tmp_path / "proj" / "modmig.yaml", "database: sqlite:///data/app.db\napps: {}\n")
    (tmp_path / "proj" / "data").mkdir()
    monkeypatch.chdir(tmp_path)
    project = Project.load(tmp_path / "proj")
    assert project.backend.display_url == f"sqlite:///{tmp_path / 'proj' / 'data' / 'app.db'}"


def test_app_spec_forms(tmp_path):
    config = load_config(write(tmp_path / "modmig.yaml", """\
        apps:
          users: apps/users
          blog: {path: apps/blog}
          billing: {package: acme_billing}
        """))
    assert config.apps["users"].folder == tmp_path / "apps/users"
    assert config.apps["blog"].folder == tmp_path / "apps/blog"
    assert config.apps["billing"].package == "acme_billing"


def test_an_app_names_its_models_and_drift_ignores_tables_other_tools_own(tmp_path):
    config = load_config(write(tmp_path / "modmig.yaml", """\
        apps:
          users: apps/users
          blog: {path: apps/blog, models: blog.models}
          billing: {package: acme_billing, models: "acme_billing.db:Model"}
        drift: {ignore: [celery_*, spatial_ref_sys]}
        """))
    assert (config.apps["users"].models, config.apps["blog"].models) == (None, "blog.models")
    assert config.apps["blog"].folder == tmp_path / "apps/blog"
    assert (config.apps["billing"].package, config.apps["billing"].models) == ("acme_billing", "acme_billing.db:Model")
    assert config.drift_ignore == ("celery_*", "spatial_ref_sys")


@pytest.mark.parametrize("text, message", [
    ("apps:\n  blog: {path: apps/blog, models: 'blog models'}\n",
     r"modmig.yaml:2: 'apps.blog.models' must name a Python module, or module:attribute \(e.g. blog.models or blog.models:Base\), not 'blog models'"),
    ("apps:\n  blog: {models: blog.models}\n", r"modmig.yaml:2: app 'blog' must be a folder .* or \{package: some_package\}, optionally with its models"),
    ("apps: {}\ndrift: {ignore: celery}\n", r"modmig.yaml:2: 'drift.ignore' must be a list of table name patterns"),
    ("apps: {}\ndrift: {ignor: [x]}\n", r"modmig.yaml:2: unknown key 'drift.ignor'. Did you mean 'ignore'"),
])
def test_bad_models_and_drift_settings_are_named_with_their_line(tmp_path, text, message):
    with pytest.raises(Exception, match=message):
        load_config(write(tmp_path / "modmig.yaml", text))


def test_an_unknown_nested_key_is_named_with_its_line(tmp_path):
    path = write(tmp_path / "modmig.yaml", "apps:\n  blog: {pth: apps/blog}\n")
    with pytest.raises(Exception, match=r"modmig.yaml:2: unknown key 'apps.blog.pth'. Did you mean 'path'"):
        load_config(path)


def test_migrations_of_an_installed_package_are_found_without_importing_it(tmp_path, monkeypatch, database_url):
    package = tmp_path / "site" / "acme_billing"
    write(package / "__init__.py", "raise RuntimeError('the package must not be imported')\n")
    write(package / "migrations" / "0001_invoices.sql", "CREATE TABLE billing_invoice (id INTEGER PRIMARY KEY);\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    write(tmp_path / "modmig.yaml", f"database: {database_url}\napps:\n  billing: {{package: acme_billing}}\n")
    with Project.load(tmp_path) as project:
        assert project.upgrade("billing").steps_done == 1
    assert "acme_billing" not in sys.modules


def test_environment_variables_are_expanded_in_values_with_defaults_and_types(tmp_path):
    path = write(tmp_path / "modmig.yaml", """\
        database: postgresql+psycopg://app:${DB_PASSWORD}@${DB_HOST:-localhost}/app
        lock_timeout: ${WAIT}
        apps:
          users: ${USERS_DIR}
          blog: "$${literal}"
        """)
    config = load_config(path, environ={"DB_PASSWORD": "s3cret", "WAIT": "30", "USERS_DIR": "apps/users"})
    assert config.database == "postgresql+psycopg://app:s3cret@localhost/app"
    assert config.lock_timeout == 30 and isinstance(config.lock_timeout, int)
    assert config.apps["users"].folder == tmp_path / "apps/users"
    assert config.apps["blog"].folder == tmp_path / "${literal}"


def test_an_unset_variable_is_named_with_its_line(tmp_path):
    path = write(tmp_path / "modmig.yaml", "apps: {}\ndatabase: sqlite:///${DB_FILE}\n")
    with pytest.raises(Exception, match=r"modmig.yaml:2: environment variable DB_FILE is not set \(used as \$\{DB_FILE\}\)"):
        load_config(path, environ={})
