"""Regenerate the pictures in docs/img/ from real runs of the sample project.

    pip install cairosvg          # SVG -> PNG (needs the cairo library)
    apt-get install tmux graphviz
    python scripts/docs_assets.py

* ``terminal.png``: ``modmig upgrade --all`` then ``modmig status`` run in a real terminal (a tmux
  pane, 100 x 34), the final screen captured with its colours, drawn by rich's SVG export and
  converted to PNG. Nothing is typed in by hand: it is what a user sees.
* ``sample-graph.dot`` / ``.svg``: ``modmig graph --format dot`` after ``modmig upgrade blog``
  (applied steps filled green, pending ones dashed), laid out by Graphviz. The tests check that
  the committed ``.dot`` is still what modmig prints.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
IMG = REPO / "docs" / "img"
WIDTH, HEIGHT = 100, 34


def sample_copy(into: Path) -> Path:
    target = into / "sample_project"
    shutil.copytree(REPO / "sample_project", target, ignore=shutil.ignore_patterns("*.db", "*.modmig-lock"))
    return target


def terminal_screenshot(project: Path) -> None:
    from rich.console import Console
    from rich.text import Text

    session = "modmig-docs"
    command = "modmig upgrade --all && modmig status"
    path = f"{Path(sys.executable).parent}:/usr/bin:/bin"  # the 'modmig' installed beside this Python
    subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", str(WIDTH), "-y", str(HEIGHT), "-c", str(project),
         "env", "TERM=xterm-256color", f"PATH={path}", "PS1=$ ", "bash", "--norc", "--noprofile"],
        check=True,
    )
    try:
        subprocess.run(["tmux", "send-keys", "-t", session, "clear", "Enter"], check=True)
        subprocess.run(["tmux", "send-keys", "-t", session, f"{command}; echo __done__", "Enter"], check=True)
        screen = ""
        for _ in range(100):
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-e", "-t", session], capture_output=True, text=True).stdout
            if "\n__done__" in screen:
                break
            time.sleep(0.1)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    lines = []
    for line in screen.rstrip().splitlines():
        if Text.from_ansi(line).plain.strip() == "__done__":
            break
        if line.strip() not in ("$", "$ clear"):
            lines.append(line.replace("; echo __done__", ""))
    console = Console(record=True, width=WIDTH, force_terminal=True, color_system="truecolor", file=open("/dev/null", "w"))
    for line in lines:
        console.print(Text.from_ansi(line), overflow="ignore", crop=False)
    # cairo has no Fira Code (rich's choice): use a monospace font it has, so columns line up.
    svg = console.export_svg(title=command, font_aspect_ratio=0.602).replace("Fira Code", "DejaVu Sans Mono")
    import cairosvg

    cairosvg.svg2png(bytestring=svg.encode(), write_to=str(IMG / "terminal.png"), output_width=1400)


def graph_picture(project: Path) -> None:
    subprocess.run([sys.executable, "-m", "modmig", "upgrade", "blog", "-q"], cwd=project, check=True)
    dot = subprocess.run([sys.executable, "-m", "modmig", "graph", "--format", "dot"], cwd=project, check=True, capture_output=True, text=True).stdout
    (IMG / "sample-graph.dot").write_text(dot)
    subprocess.run(["dot", "-Tsvg", "-o", str(IMG / "sample-graph.svg"), str(IMG / "sample-graph.dot")], check=True)


def main() -> None:
    IMG.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        graph_picture(sample_copy(Path(folder)))
    demo = Path(tempfile.gettempdir()) / "modmig-demo"  # a short path: it shows in the picture
    shutil.rmtree(demo, ignore_errors=True)
    demo.mkdir()
    try:
        terminal_screenshot(sample_copy(demo))
    finally:
        shutil.rmtree(demo, ignore_errors=True)
    print(f"Wrote {IMG / 'terminal.png'}, {IMG / 'sample-graph.dot'} and {IMG / 'sample-graph.svg'}")


if __name__ == "__main__":
    main()
