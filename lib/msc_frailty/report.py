"""A static HTML site of the executed notebooks (Sphinx + MyST-NB; nothing is re-executed).

``python -m msc_frailty.report --notebooks build/notebooks --out build/report`` (what ``make report``
runs after ``make reproduce``). Every page shows its notebook with outputs and figures; the index
lists the notebooks per study and says on its face when the data were synthetic.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

from .paths import BUILD, RESULTS, resolve

CONF = '''
project = "MSC in aging frailty: reproducible notebooks"
author = "The msc-frailty contributors"
extensions = ["myst_nb"]
nb_execution_mode = "off"          # the runner executed them; the site only renders
html_theme = "alabaster"           # ships with Sphinx: no download at build time
html_title = project
exclude_patterns = ["_build"]
suppress_warnings = ["mystnb.unknown_mime_type", "misc.highlighting_failure"]
html_last_updated_fmt = None
'''


def build_report(notebooks, out, results=RESULTS) -> Path:
    """Build the site from a folder of executed notebooks (``<study>/<name>.ipynb``); returns index.html."""
    notebooks, out = resolve(notebooks), resolve(out)
    pages = sorted(notebooks.glob("*/*.ipynb"))
    if not pages:
        raise FileNotFoundError(f"no executed notebooks under {notebooks}: run `make reproduce` first")
    src = out.with_name(out.name + "-src")
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    (src / "conf.py").write_text(CONF)
    run = json.loads((resolve(results) / "run.json").read_text()) if (resolve(results) / "run.json").exists() else {}
    basis = run.get("basis", "unknown")
    lines = ["# MSC in aging frailty: executed notebooks", ""]
    if basis == "synthetic":
        lines += ["**SYNTHETIC DATA.** These notebooks ran on the embedded synthetic default, generated from the "
                  "published record plus named assumptions; agreement with the papers is by construction and "
                  "says nothing new about the trials.", ""]
    else:
        lines += [f"Data basis: {basis}.", ""]
    for study in sorted({p.parent.name for p in pages}):
        title = study if study != "all" else "All studies"
        lines += [f"## {title}", "", "```{toctree}", ":maxdepth: 1", f":caption: {title}", ""]
        for page in sorted(p for p in pages if p.parent.name == study):
            target = src / study / page.name
            target.parent.mkdir(exist_ok=True)
            shutil.copy2(page, target)
            lines.append(f"{study}/{page.stem}")
        lines += ["```", ""]
    (src / "index.md").write_text("\n".join(lines))
    shutil.rmtree(out, ignore_errors=True)
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", str(src), str(out)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"sphinx-build failed:\n{proc.stderr[-3000:]}")
    return out / "index.html"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Build the static HTML report of the executed notebooks.")
    parser.add_argument("--notebooks", default=str(BUILD / "notebooks"))
    parser.add_argument("--out", default=str(BUILD / "report"))
    parser.add_argument("--results", default=str(RESULTS))
    args = parser.parse_args(argv)
    try:
        index = build_report(args.notebooks, args.out, args.results)
    except (FileNotFoundError, RuntimeError) as err:
        print(f"report: {err}", file=sys.stderr)
        return 1
    print(f"report: {index}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
