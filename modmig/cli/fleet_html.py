"""``--report FILE.html``: one self-contained page for a fleet run or a fleet status.

The page carries the very JSON document ``--json`` prints (in a ``<script type="application/json">``
block) and a small script that draws it: the summary, the version matrix, the failures with their
reasons, the timings, and every target in a table that can be filtered by outcome. No network,
no files beside it: it can be attached to a CI job or mailed. Because the page is drawn from the
JSON document, it cannot say something the JSON does not (``tests/cli/test_fleet_report.py``
opens it in headless Chromium and compares the two).
"""

from __future__ import annotations

import html
import json

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1d2430; }
h1 { font-size: 1.4rem; margin-bottom: .2rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
.meta { color: #5b6573; }
.cards { display: flex; gap: .8rem; flex-wrap: wrap; margin: 1rem 0; }
.card { border: 1px solid #d8dde4; border-radius: 6px; padding: .5rem .9rem; min-width: 7rem; }
.card b { display: block; font-size: 1.5rem; }
.migrated b, .up_to_date b { color: #1a7f37; } .failed b, .problems b { color: #cf222e; }
.skipped b, .behind b, .gone b { color: #9a6700; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .25rem .6rem; border-bottom: 1px solid #eaeef2; vertical-align: top; }
th { background: #f6f8fa; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.bar { background: #0969da; height: .7rem; display: inline-block; border-radius: 2px; }
tr.failed td { color: #cf222e; } .muted { color: #5b6573; }
"""

_SCRIPT = r"""
(function () {
  const doc = JSON.parse(document.getElementById("modmig-data").textContent);
  const main = document.getElementById("report");
  const WORDS = {migrated: "migrated", up_to_date: "up to date", failed: "failed", skipped: "skipped", gone: "gone",
                 behind: "behind", problems: "with problems", unreadable: "unreadable", targets: "targets"};
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    for (const child of [].concat(children || [])) node.append(child instanceof Node ? child : String(child));
    return node;
  }
  function table(id, headers, rows) {
    return el("table", {id: id}, [el("thead", {}, el("tr", {}, headers.map(h => el("th", {}, h)))),
                                  el("tbody", {}, rows)]);
  }
  const isRun = doc.kind === "fleet_run";
  const title = isRun ? `Fleet ${doc.fleet}: ${doc.command} ${doc.app || "--all"}` : `Fleet ${doc.fleet}: status`;
  document.title = title;
  main.append(el("h1", {id: "title"}, title));
  if (isRun) {
    main.append(el("p", {class: "meta", id: "meta"},
      `${doc.started_at} · ${(doc.duration_ms / 1000).toFixed(2)} s · up to ${doc.parallel} at a time · ` +
      `${doc.distinct_states} distinct state(s) · modmig ${doc.modmig}` + (doc.stopped ? ` · stopped: ${doc.stopped}` : "")));
  }
  main.append(el("div", {class: "cards", id: "summary"}, Object.entries(doc.counts).map(([key, value]) =>
    el("div", {class: "card " + key, "data-count": key}, [el("b", {}, String(value)), WORDS[key] || key]))));

  main.append(el("h2", {}, "Versions"));
  main.append(table("matrix", ["app", "latest", "version", "targets"], Object.entries(doc.matrix).flatMap(([app, entry]) =>
    Object.entries(entry.versions).map(([version, count]) =>
      el("tr", {"data-app": app, "data-version": version}, [el("td", {}, app), el("td", {class: "num"}, String(entry.latest)),
        el("td", {class: "num"}, version), el("td", {class: "num", "data-field": "count"}, String(count))])))));

  if (isRun) {
    const failed = doc.targets.filter(t => t.status === "failed");
    main.append(el("h2", {}, `Failures (${failed.length})`));
    main.append(failed.length ? table("failures", ["target", "kind", "reason", "state", "rerun"], failed.map(t =>
      el("tr", {class: "failed", "data-target": t.target}, [el("td", {}, t.target), el("td", {}, t.failure.kind),
        el("td", {"data-field": "message"}, t.failure.message), el("td", {}, t.failure.state || ""),
        el("td", {}, el("code", {}, t.failure.resume || ""))]))) : el("p", {class: "muted", id: "failures"}, "None."));

    const timed = doc.targets.filter(t => t.status === "migrated" || t.status === "failed")
      .sort((a, b) => b.duration_ms - a.duration_ms);
    const times = timed.map(t => t.duration_ms).sort((a, b) => a - b);
    const pick = q => times.length ? times[Math.min(times.length - 1, Math.floor(q * times.length))] : 0;
    main.append(el("h2", {}, "Timings"));
    main.append(el("p", {class: "meta", id: "timings"}, times.length ?
      `${times.length} target(s) ran: median ${pick(0.5)} ms, 95th percentile ${pick(0.95)} ms, slowest ${times[times.length - 1]} ms.` :
      "No target had anything to run."));
    const slowest = timed.slice(0, 20), longest = Math.max(1, ...slowest.map(t => t.duration_ms));
    if (slowest.length) main.append(table("slowest", ["target", "steps", "took", ""], slowest.map(t =>
      el("tr", {"data-target": t.target}, [el("td", {}, t.target), el("td", {class: "num"}, String(t.steps_done)),
        el("td", {class: "num"}, `${t.duration_ms} ms`),
        el("td", {}, el("span", {class: "bar", style: `width: ${Math.max(1, 20 * t.duration_ms / longest)}rem`}, ""))]))));
  } else {
    const troubled = doc.targets.filter(t => t.problems.length || Object.keys(t.behind).length);
    main.append(el("h2", {}, `Behind or with problems (${troubled.length})`));
    main.append(troubled.length ? table("failures", ["target", "behind", "problems"], troubled.map(t =>
      el("tr", {class: t.problems.length ? "failed" : "", "data-target": t.target}, [el("td", {}, t.target),
        el("td", {}, Object.entries(t.behind).map(([app, v]) => `${app}: ${v.length} pending`).join("; ")),
        el("td", {"data-field": "message"}, t.problems.join("; "))]))) : el("p", {class: "muted", id: "failures"}, "None."));
  }

  main.append(el("h2", {}, `Targets (${doc.targets.length})`));
  const statuses = [...new Set(doc.targets.map(t => t.status))];
  const filter = el("select", {id: "filter"}, [el("option", {value: ""}, "every outcome")].concat(
    statuses.map(s => el("option", {value: s}, WORDS[s] || s))));
  main.append(el("p", {}, ["Show: ", filter]));
  const rows = doc.targets.map(t => el("tr", {"data-status": t.status, "data-target": t.target}, [
    el("td", {}, t.target), el("td", {}, WORDS[t.status] || t.status),
    el("td", {}, t.versions ? Object.entries(t.versions).sort().map(([a, v]) => `${a}: ${v}`).join(", ") : "-"),
    el("td", {class: "muted"}, t.url)]));
  main.append(table("targets", ["target", "outcome", "versions", "database"], rows));
  filter.addEventListener("change", () => rows.forEach(r =>
    r.hidden = Boolean(filter.value) && r.getAttribute("data-status") !== filter.value));
  main.setAttribute("data-rendered", "yes");
})();
"""


def render_report(document: str) -> str:
    """The HTML page for a ``fleet_run`` or ``fleet_status`` JSON document (as ``--json`` prints it)."""
    data = json.loads(document)
    embedded = json.dumps(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>modmig fleet {html.escape(str(data.get('fleet', '')))}</title>\n"
        f"<style>{_STYLE}</style>\n</head>\n<body>\n"
        "<main id=\"report\"><noscript>This report is drawn by a small script from the JSON document it "
        "contains; enable JavaScript, or read the document with modmig's --json.</noscript></main>\n"
        f"<script type=\"application/json\" id=\"modmig-data\">{embedded}</script>\n"
        f"<script>{_SCRIPT}</script>\n</body>\n</html>\n"
    )

