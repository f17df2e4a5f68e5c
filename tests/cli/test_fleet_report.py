"""``--report FILE.html`` opened in headless Chromium: the page shows what the JSON document says.

The browser is Debian's ``chromium`` (``scripts/ci-install-browser.sh`` installs it; CI runs
that script). Nothing is installed here: without the browser the test skips and says why, except
under ``CI=true``, where a missing browser fails the run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from ..conftest import Cli
from ..fleet.conftest import SIZE, FleetUnderTest

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


def chromium() -> str:
    found = shutil.which("chromium") or (os.path.exists("/usr/bin/chromium") and "/usr/bin/chromium") or None
    if found is None:
        message = "headless Chromium is not installed (scripts/ci-install-browser.sh installs Debian's chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}. CI=true: the report test must run.")
        pytest.skip(message)
    return found


def rendered(page, tmp_path) -> "Node":
    """The page's DOM after its script ran, as Chromium renders it."""
    done = subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    tree = _Tree()
    tree.feed(done.stdout)
    return tree.root


class Node:
    def __init__(self, tag: str, attrs: dict) -> None:
        self.tag, self.attrs, self.children, self.parts = tag, attrs, [], []

    @property
    def text(self) -> str:
        return "".join(p if isinstance(p, str) else p.text for p in self.parts)

    def all(self, tag: str | None = None, **attrs: str) -> list["Node"]:
        found = []
        for child in self.children:
            if (tag is None or child.tag == tag) and all(child.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items()):
                found.append(child)
            found.extend(child.all(tag, **attrs))
        return found

    def one(self, tag: str | None = None, **attrs: str) -> "Node":
        found = self.all(tag, **attrs)
        assert len(found) == 1, (tag, attrs, len(found))
        return found[0]


class _Tree(HTMLParser):
    VOID = {"meta", "link", "br", "hr", "img", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.root = Node("document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        self.stack[-1].parts.append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        while len(self.stack) > 1 and self.stack.pop().tag != tag:
            pass

    def handle_data(self, data):
        self.stack[-1].parts.append(data)


@pytest.fixture
def failing_fleet(tmp_path):
    fleet = FleetUnderTest("files", tmp_path / "project")
    fleet.write()
    fleet.create(*range(SIZE))
    fleet.sql(3, "CREATE TABLE conflict (id INTEGER)")
    fleet.sql(11, "CREATE TABLE conflict (id INTEGER)")
    return fleet


def test_the_run_report_renders_the_summary_matrix_failures_and_timings_of_the_json(failing_fleet, tmp_path):
    page = tmp_path / "run.html"
    result = Cli(failing_fleet.root)("upgrade", "--all", "--fleet", "tenants", "--on-error", "continue", "--json", "--report", str(page))
    document = json.loads(result.stdout)
    dom = rendered(page, tmp_path)

    report = dom.one("main", id="report")
    assert report.attrs.get("data-rendered") == "yes"
    assert dom.one(id="title").text == "Fleet tenants: upgrade --all"
    for key, count in document["counts"].items():
        assert dom.one("div", data_count=key).one("b").text == str(count), key
    for app, entry in document["matrix"].items():
        for version, count in entry["versions"].items():
            assert dom.one("tr", data_app=app, data_version=version).one("td", data_field="count").text == str(count)
    failed = [t for t in document["targets"] if t["status"] == "failed"]
    rows = dom.one("table", id="failures").all("tr", **{"class": "failed"})
    assert [r.attrs["data-target"] for r in rows] == [t["target"] for t in failed] == ["tenants/t03.db", "tenants/t11.db"]
    assert [r.one("td", data_field="message").text for r in rows] == [t["failure"]["message"] for t in failed]
    timed = sorted(t["duration_ms"] for t in document["targets"] if t["status"] in ("migrated", "failed"))
    assert dom.one(id="timings").text.startswith(f"{len(timed)} target(s) ran: median {timed[len(timed) // 2]} ms")
    assert [r.attrs["data-status"] for r in dom.one("table", id="targets").all("tr") if "data-status" in r.attrs] == [
        t["status"] for t in document["targets"]
    ]


def test_the_status_report_renders_the_matrix_and_the_targets_behind(failing_fleet, tmp_path):
    cli = Cli(failing_fleet.root)
    cli("upgrade", "--all", "--fleet", "tenants", "--on-error", "continue")
    page = tmp_path / "status.html"
    document = json.loads(cli("status", "--fleet", "tenants", "--json", "--report", str(page)).stdout)
    dom = rendered(page, tmp_path)
    assert dom.one(id="title").text == "Fleet tenants: status"
    assert dom.one("div", data_count="behind").one("b").text == "2" == str(document["counts"]["behind"])
    assert dom.one("tr", data_app="blog", data_version="1").one("td", data_field="count").text == "2"
    assert [r.attrs["data-target"] for r in dom.one("table", id="failures").all("tr") if "data-target" in r.attrs] == [
        "tenants/t03.db", "tenants/t11.db",
    ]
