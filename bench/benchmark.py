"""Benchmark `make reproduce`: where the time goes, and what a from-scratch rebuild costs.

    .venv/bin/python bench/benchmark.py --runs 3 --large 3600 --write BENCHMARKS.md

Everything is measured in the same run, so that the noise of a shared machine cancels: times are also
given in *import units*, one unit being the median of 3 runs of
``python -c "import pandas, scipy.stats, statsmodels.formula.api, matplotlib.pyplot"``.

- breakdown: every notebook executed in one process, one after the other, with the time of each
  figure format's ``savefig`` counted apart (computation = the rest); and the time to start a kernel
  and to import the stack in it;
- from scratch: the runner into a new OUT (= ``make reproduce``), with one reused kernel per worker
  (the default) and with a new kernel per notebook (``--fresh-kernels``, what papermill alone does);
- no-change rerun: the same command again on the same OUT;
- a real-size trial (the ADaM-style fixture, ``msc_frailty.adam_fixture``) against one study of the default
  data, from scratch (the aim: at most 1.5 times as long);
- optionally (``--large N``) a large delivery (the fixture with N subjects per arm and weekly visits; N = 3600
  gives an ``adlb.json`` of about 200 MB): the time and peak memory to read its tables without the read cache
  (what every notebook paid before), with an empty cache (the first notebook of a run) and from the cache;
- optionally (``--loop``) a plain sequential papermill loop, one command per notebook and study.

Speed is measured here, never asserted in a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
DATA = ROOT / "data" / "synthetic"
IMPORT_UNIT = "import pandas, scipy.stats, statsmodels.formula.api, matplotlib.pyplot"


def timed(cmd, **kw) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, **kw)
    if proc.returncode:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


SPIN = "import time\nt = time.perf_counter()\nfor i in range(20_000_000): pass\nprint(time.perf_counter() - t)"


def parallel_capacity() -> float:
    """How many CPU-bound processes' worth of work the machine does at once with two running: one pure-Python
    loop alone, then two at the same time (median of 3 each). 2.0 would be two full cores."""
    def spin() -> subprocess.Popen:
        return subprocess.Popen([PY, "-c", SPIN], stdout=subprocess.PIPE, text=True)

    alone = statistics.median(float(spin().communicate()[0]) for _ in range(3))
    together = []
    for _ in range(3):
        a, b = spin(), spin()
        together.append(max(float(a.communicate()[0]), float(b.communicate()[0])))
    return 2 * alone / statistics.median(together)


def import_unit() -> float:
    return statistics.median(timed([PY, "-c", IMPORT_UNIT]) for _ in range(3))


def studies() -> list[str]:
    import pandas as pd
    return sorted(pd.read_csv(DATA / "adsl.csv").STUDYID.unique())


def runner_cmd(out: Path, *extra, data: Path = DATA) -> list[str]:
    return [PY, "-m", "msc_frailty.runner", "--data", str(data), "--out", str(out), "--jobs", "2", *extra]


def one_study(tmp: Path, study: str = "CRATUS-P2") -> Path:
    """One study of the default data, as a data set of its own."""
    folder = tmp / f"default-{study}"
    folder.mkdir(parents=True, exist_ok=True)
    import pandas as pd
    for name in ("adsl", "adeff", "adae"):
        df = pd.read_csv(DATA / f"{name}.csv", dtype=str, keep_default_na=False)
        df[df.STUDYID == study].to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
    return folder


def real_size(tmp: Path, layout: str) -> Path:
    """The ADaM-style fixture: 255 subjects, 1,200+ adverse events, one study (msc_frailty.adam_fixture), as
    delivered (``layout="delivery"``: adsl, adft, adlb, adqs, adtte, adae in mixed forms) or with the efficacy
    tables as one adeff (``"combined"``)."""
    from msc_frailty.adam_fixture import write_fixture
    return write_fixture(tmp / f"adam-example-{layout}", combined=layout == "combined")


# --- a large delivery: read once per run -------------------------------------------------------------

# The peak memory of the process itself: the high-water mark of /proc/self/status (getrusage's ru_maxrss
# is kept across fork and exec, so a child of a large process would report its parent's peak).
PEAK = """
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
"""

READ_ALL = PEAK + """
import sys, time
from pathlib import Path
import pandas, pyreadstat
from msc_frailty.readers import read_table
ready = peak()
start = time.perf_counter()
for path in sorted(Path(sys.argv[1]).iterdir()):
    if path.suffix in (".csv", ".xpt", ".json"):
        read_table(path)
print(time.perf_counter() - start, ready, peak())
"""


#: The same with the readers of an older checkout (before the readers left msc_frailty.data: commit 25cd090),
#: including the stripping its data._read did.
READ_ALL_BEFORE = PEAK + """
import sys, time
from pathlib import Path
import pandas, pyreadstat
from msc_frailty import data
ready = peak()
start = time.perf_counter()
readers = {".csv": data._read_csv, ".xpt": data._read_xpt, ".json": data._read_json}
for path in sorted(Path(sys.argv[1]).iterdir()):
    if path.suffix in readers:
        df, src = readers[path.suffix](path)
        df.columns = [str(c).strip() for c in df.columns]
        df = df[~(df == "").all(axis=1)]
        for c in df.columns:
            df[c] = df[c].astype(object).str.strip()
print(time.perf_counter() - start, ready, peak())
"""


def read_delivery(folder: Path, cache, before_lib=None) -> tuple[float, float, float]:
    """Seconds to read every table of ``folder`` in a new process (after its imports), the peak memory (MB) of
    the process once imported and at the end. ``cache``: the cache folder, or None for none; ``before_lib``: the
    ``lib`` folder of an older checkout whose readers to use instead."""
    env = {**os.environ, "MSC_FRAILTY_TABLE_CACHE": str(cache) if cache else "off"}
    if before_lib:
        env["PYTHONPATH"] = str(before_lib)
    code = READ_ALL_BEFORE if before_lib else READ_ALL
    proc = subprocess.run([PY, "-c", code, str(folder)], cwd=ROOT, capture_output=True, text=True, env=env)
    if proc.returncode:
        raise SystemExit(f"reading {folder} failed:\n{proc.stderr[-3000:]}")
    seconds, ready, peak = map(float, proc.stdout.split())
    return seconds, ready / 1024, peak / 1024


def large(tmp: Path, per_arm: int, runs: int, before_lib=None) -> dict:
    folder = tmp / "large"
    # written by the command, in a process of its own: this one stays small
    made = timed([PY, "-m", "msc_frailty.adam_fixture", "--out", str(folder), "--per-arm", str(per_arm),
                  "--weeks", "0-26"])
    sizes = {p.name: p.stat().st_size for p in sorted(folder.iterdir())}
    out = {"sizes": sizes, "made": made, "per_arm": per_arm, "none": [], "first": [], "cached": [], "before": []}
    for i in range(runs):
        if before_lib:
            out["before"].append(read_delivery(folder, None, before_lib))
        out["none"].append(read_delivery(folder, None))
        cache = tmp / f"table-cache-{i}"
        out["first"].append(read_delivery(folder, cache))
        out["cached"].append(read_delivery(folder, cache))
        print(f"large delivery, run {i + 1}: before {out['before'][-1:]}, no cache {out['none'][-1]}, first read "
              f"{out['first'][-1]}, cached {out['cached'][-1]}", flush=True)
    shutil.rmtree(folder, ignore_errors=True)
    return out


def sequential_loop(out: Path) -> float:
    """One `papermill` command per notebook and study, one after the other (what a plain Makefile loop does)."""
    from msc_frailty.runner import notebooks, scope_of
    start = time.perf_counter()
    for nb in notebooks():
        for study in (studies() if scope_of(nb) == "study" else ["all"]):
            dst = out / "notebooks" / study / nb.name
            dst.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run([str(Path(PY).parent / "papermill"), str(nb), str(dst), "-k", "python3",
                            "--execution-timeout", "600", "-p", "data_dir", str(DATA), "-p", "output_dir",
                            str(out), "-p", "study", study], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


# --- breakdown ---------------------------------------------------------------------------------------

def _breakdown_worker(out: str) -> dict:
    """Execute every notebook's code in this process (the per-study ones first), timing savefig per format."""
    import collections

    import matplotlib
    matplotlib.use("agg")
    from matplotlib.figure import Figure

    start = time.perf_counter()
    import msc_frailty.kernel
    msc_frailty.kernel.warm_up()
    imports = time.perf_counter() - start
    from msc_frailty.runner import notebooks, scope_of

    saving = collections.Counter()
    original = Figure.savefig

    def savefig(self, fname, *args, **kwargs):
        t = time.perf_counter()
        try:
            return original(self, fname, *args, **kwargs)
        finally:
            fmt = kwargs.get("format") or Path(str(fname)).suffix.lstrip(".")
            # the PNG is drawn as an RGBA canvas, then written by msc_frailty.style.write_png
            saving["png" if fmt == "rgba" else fmt] += time.perf_counter() - t

    def write_png(*args, **kwargs):
        t = time.perf_counter()
        try:
            return original_png(*args, **kwargs)
        finally:
            saving["png"] += time.perf_counter() - t

    Figure.savefig = savefig
    from msc_frailty import style
    original_png, style.write_png = style.write_png, write_png
    silent = {"display": lambda *a, **k: None, "print": lambda *a, **k: None}
    executions = sorted(((nb, s) for nb in notebooks() for s in (studies() if scope_of(nb) == "study" else ["all"])),
                        key=lambda e: e[1] == "all")
    start = time.perf_counter()
    for nb, study in executions:
        cells = json.loads(nb.read_text())["cells"]
        namespace = dict(silent)
        for cell in (c for c in cells if c["cell_type"] == "code"):
            src = "".join(cell["source"])
            if "parameters" in cell["metadata"].get("tags", []):
                src = f"data_dir = {str(DATA)!r}\noutput_dir = {out!r}\nstudy = {study!r}\nrecords = \"observed\"\n"
            exec(compile(src, f"{nb.name}:{study}", "exec"), namespace)
        msc_frailty.kernel.reset()
    notebooks_total = time.perf_counter() - start
    return {"imports": imports, "executions": len(executions), "notebooks": notebooks_total,
            "saving": dict(saving), "computation": notebooks_total - sum(saving.values())}


def kernel_start() -> float:
    """Seconds from nothing to a kernel that answers (jupyter_client, as the runner starts it)."""
    from jupyter_client.manager import KernelManager
    start = time.perf_counter()
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(ROOT))
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    elapsed = time.perf_counter() - start
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    return elapsed


def breakdown(tmp: Path) -> dict:
    proc = subprocess.run([PY, __file__, "--breakdown-worker", str(tmp / "breakdown")], cwd=ROOT, check=True,
                          capture_output=True, text=True, env={**__import__("os").environ, "MPLBACKEND": "agg"})
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["kernel_start"] = statistics.median(kernel_start() for _ in range(3))
    return result


WASTE_REMOVED = """
## What was removed, and what was kept

Before (commit 9f3f521) a from-scratch rebuild took 62-81 s, about 33 import units: each of the 16
executions started a kernel and imported the stack (2.5-3.5 s before any work), and saving figures was
most of the rest.

- **One kernel per worker** (`msc_frailty.kernel`): started and warmed up once, reset to a fresh kernel's
  state before each notebook (namespace, execution count, rcParams and figures, pandas/numpy options,
  warning filters, working directory). papermill still executes every parameterized notebook from its
  first cell; a failed execution discards the kernel. The kernel warms up while its worker imports
  papermill, which no longer imports jsonschema's optional IRI grammar (`rfc3987_syntax`, 1 s per process).
- **PDF fonts**: the embedded TrueType subsets leave out the OpenType layout tables (GSUB, GPOS, GDEF, ...),
  which a PDF never uses; decompiling them was most of matplotlib's subsetting time. Every PDF renders
  pixel-identical to before (`pdftoppm -r 150`).
- **One layout per figure**: the constrained layout is computed once, for the PNG, and kept for the PDF and
  SVG, instead of three times.
- **Issue 7, second pass** (from 17.8 units at 8847710):
  - the reused kernel is reset through its shell channel alone: waiting for a new client to see the kernel
    ready and for its output channel took a third of a second per notebook;
  - the warm-up's imports are frozen out of the garbage collector (`gc.freeze`), whose full passes walked
    them at every reset and during every notebook;
  - the data-set notebooks that read only the published record (`evidence_synthesis`, `trial_planning`;
    notebook metadata `uses_study_results: false`) run beside the per-study ones instead of after them: one
    at once, the other behind the per-study ones, beside the scorecard that must wait for those;
  - PDF font subsets are cut from a font prepared once per process (the 1,300 glyphs of Latin, Greek,
    punctuation, arrows and mathematical operators, instead of DejaVu Sans' 6,000); the PDFs are the same
    bytes as before;
  - `planning.n_per_arm` steps from the normal-approximation n (two or three exact power evaluations)
    instead of a root search; the same n (tests against statsmodels and a plain scan);
  - the runner collects captions without decoding the PNGs or importing matplotlib (2 s at the end of a run).
  - Tried and left out: a lower PNG compression level (3 instead of 6) alone saved 0.5 s over the 46 figures
    and made them 5.6% larger (the third pass pairs it with RGB).
- **Issue 7, third pass** (from 12.9 units at 948c91d):
  - papermill's kernel client is ready as soon as it has seen, on the output channel, the kernel go idle
    after its `kernel_info` request (`msc_frailty.runner.ready_client`). jupyter_client's own wait ends only
    after 0.2 s of silence on that channel: a fifth of a second per notebook in which the worker sat idle
    (`other_endpoints` went from 0.36 to 0.16 s a notebook);
  - `evidence_synthesis`, the longer of the two published-only notebooks, is the one queued last, beside the
    scorecard, so that the end of a run keeps both workers busy; `trial_planning` runs first;
  - PNGs are written as RGB when every pixel is opaque (all of the collection's) and at zlib level 3
    (`msc_frailty.style.write_png`): the same images pixel for pixel, 5% smaller in all, compressed in half
    the time (2.8 s against 1.3 s for the 46 figures, measured apart);
  - jsonschema's IRI grammar is skipped wherever the runner is imported (the runner's own process and the
    test process too), not only in the workers.
- Measured twice at the same commit (f10feed): 11.6 import units (26.4 s) for a rebuild and 181 s for the
  test suite while the host was busy (two processes got 1.40 processes' worth of work done), then the
  figures above.
- **`make test`** (3 min 9 s to 4 min 7 s before the third pass): the runs the tests make share two warm
  workers in the test process (`runner.worker_pool`, `run(pool=)`), which spares each run the start of its
  workers and kernels (about 4.5 s of a run's 5 s when it executes one small notebook); the default run,
  still the command itself in a process of its own, starts as soon as the tests are collected and runs
  beside the other tests, the ones that read it coming last; the fit-to-print test reads the default run's
  figures instead of drawing nine of them again. Tried and left out: the toy and ADaM-fixture runs as
  commands of their own beside the default run too. Three runs at once on two cores took more time than
  they saved (2 min 54 s against 2 min 34 s), because of their extra worker starts and the contention
  between them.
- Kept: papermill executes parameterized notebooks, each notebook runs on its own in JupyterLab with its
  defaults, outputs are byte-deterministic (the staleness test compares them with the committed ones),
  and a rerun skips executions whose inputs are unchanged (the no-change rerun above).
"""


# --- report ------------------------------------------------------------------------------------------

def large_section(big: dict, before_lib: str | None) -> str:
    def mb(n):
        return f"{n / 1e6:,.1f} MB"

    def row(what, how, key):
        values = big[key]
        med = statistics.median(v[0] for v in values)
        peak = statistics.median(v[2] for v in values)
        ready = statistics.median(v[1] for v in values)
        return (f"| {what} | {how} | {len(values)} | {med:.1f} | {peak:,.0f} ({peak - ready:+,.0f}) | "
                f"{', '.join(f'{v[0]:.1f}' for v in values)} |\n")

    sizes = ", ".join(f"`{name}` {mb(size)}" for name, size in big["sizes"].items() if name != "studies.csv")
    med = {k: statistics.median(v[0] for v in big[k]) for k in ("before", "none", "first", "cached") if big[k]}
    summary = (f"A notebook that reads this delivery takes {med['cached']:.1f} s for it once the first notebook of "
               f"the run has read it ({med['first']:.1f} s)"
               + (f", against {med['before']:.1f} s in every notebook before this change "
                  f"({med['before'] / med['cached']:.0f} times as long)" if "before" in med else "") + ".\n")
    return (
        "\n## A large delivery: each table read once per run\n\n"
        f"The fixture with {big['per_arm']:,} subjects per arm and weekly visits (weeks 0-26), as delivered: "
        f"{sizes} (written in {big['made']:.0f} s). Every notebook reads the tables it needs; the readers keep a "
        "large file's text table in a cache keyed by the file's SHA-256 (`msc_frailty.readers`, `build/table-cache`), "
        "so the first notebook of a run parses it and the others (and later runs) load that. Each row: every "
        "table read once in a new process, timed after its imports; peak memory of the process (and above what "
        "the imports take).\n\n"
        "| read | how | runs | median (s) | peak memory, MB (above the imports) | all runs (s) |\n|---|---|---|---|---|---|\n"
        + (row("before", f"the readers of commit {_commit_of(before_lib)} (in `msc_frailty.data`), as every notebook "
               "read every table before this change", "before") if big["before"] else "")
        + row("no cache", "`MSC_FRAILTY_TABLE_CACHE=off`: what each notebook paid without the cache", "none")
        + row("first read", "an empty cache: parse every file and keep its table", "first")
        + row("cached", "the same files again: every later notebook of the run", "cached")
        + "\n" + summary
    )


def _commit_of(lib: str) -> str:
    proc = subprocess.run(["git", "-C", str(lib), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return proc.stdout.strip() or str(lib)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--loop", action="store_true", help="also time a sequential papermill loop (slow)")
    parser.add_argument("--tests", action="store_true", help="also time the test suite once (make test's command)")
    parser.add_argument("--large", type=int, metavar="N", help="also read a large delivery: the fixture with N "
                        "subjects per arm and weekly visits (3600: adlb.json about 200 MB)")
    parser.add_argument("--fixture-layout", choices=["delivery", "combined"], default="delivery",
                        help="the real-size fixture as delivered (several BDS tables) or with one adeff")
    parser.add_argument("--before-lib", help="with --large: also read the delivery with the readers of an older "
                        "checkout's lib folder (e.g. `git worktree add /tmp/base 25cd090`, then /tmp/base/lib)")
    parser.add_argument("--write", help="write the results as Markdown to this file")
    parser.add_argument("--breakdown-worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.breakdown_worker:
        print(json.dumps(_breakdown_worker(args.breakdown_worker)))
        return 0

    units, scratch, fresh, rerun, loop, study, adam, suite = [], [], [], [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        units.append(import_unit())
        print(f"import unit: {units[-1]:.2f} s", flush=True)
        capacity = parallel_capacity()
        print(f"parallel capacity with two processes: {capacity:.2f}", flush=True)
        parts = breakdown(tmp)
        print(f"breakdown: {parts}", flush=True)
        for i in range(args.runs):
            units.append(import_unit())
            scratch.append(timed(runner_cmd(tmp / f"scratch{i}")))
            fresh.append(timed(runner_cmd(tmp / f"fresh{i}", "--fresh-kernels")))
            print(f"run {i + 1}: unit {units[-1]:.2f} s, from scratch {scratch[-1]:.1f} s, "
                  f"fresh kernels {fresh[-1]:.1f} s", flush=True)
        small, adam_data = one_study(tmp), real_size(tmp, args.fixture_layout)
        for i in range(args.runs):
            study.append(timed(runner_cmd(tmp / f"study{i}", data=small)))
            adam.append(timed(runner_cmd(tmp / f"adam{i}", data=adam_data)))
            print(f"run {i + 1}: one default study {study[-1]:.1f} s, real-size fixture {adam[-1]:.1f} s", flush=True)
        for i in range(5):
            rerun.append(timed(runner_cmd(tmp / "scratch0")))
        print(f"no-change reruns: {rerun}", flush=True)
        if args.loop:
            loop.append(sequential_loop(tmp / "loop"))
            shutil.rmtree(tmp / "loop", ignore_errors=True)
            print(f"papermill loop: {loop[-1]:.1f} s", flush=True)
        big = large(tmp, args.large, args.runs, args.before_lib) if args.large else None
        units.append(import_unit())
        if args.tests:
            suite.append(timed([PY, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                               env={**os.environ, "MPLBACKEND": "agg"}))
            print(f"test suite: {suite[-1]:.0f} s", flush=True)

    unit = statistics.median(units)
    med = {k: statistics.median(v) for k, v in (("scratch", scratch), ("fresh", fresh), ("rerun", rerun),
                                                 ("study", study), ("adam", adam))}

    def u(seconds):
        return f"{seconds / unit:.1f}"

    def runs(values, digits=1):
        return ", ".join(f"{x:.{digits}f}" for x in values)

    from msc_frailty.runner import notebooks
    layout_words = ("as delivered: adsl, adft, adlb, adqs, adtte, adae in XPORT, Dataset-JSON and CSV"
                    if args.fixture_layout == "delivery" else
                    "its efficacy tables as one adeff: adsl.xpt, adeff.json, adtte.xpt, adae.csv")
    save = parts["saving"]
    n = parts["executions"]
    cpu_total = parts["notebooks"]
    rows = [
        ("kernel start (one kernel, until it answers)", parts["kernel_start"]),
        ("imports in a kernel (`msc_frailty.kernel.warm_up`: the stack and the package)", parts["imports"]),
        (f"computation of all {n} notebook executions (analysis, tables, drawing)", parts["computation"]),
        *((f"saving every figure as {fmt.upper()}", save[fmt]) for fmt in ("pdf", "png", "svg") if fmt in save),
    ]
    breakdown_table = "| part | seconds | import units |\n|---|---|---|\n" + "".join(
        f"| {name} | {sec:.1f} | {u(sec)} |\n" for name, sec in rows)
    before = (parts["kernel_start"] + parts["imports"]) * n
    table = (
        "| what | command | runs | median (s) | import units | all runs (s) |\n|---|---|---|---|---|---|\n"
        f"| import unit | `python -c \"{IMPORT_UNIT}\"` (median of 3, measured {len(units)} times) | "
        f"{len(units)} | {unit:.2f} | 1 | {runs(units, 2)} |\n"
        f"| from scratch | `python -m msc_frailty.runner --data data/synthetic --out <new folder> --jobs 2` "
        f"(= `make reproduce` into an empty OUT) | {len(scratch)} | {med['scratch']:.1f} | {u(med['scratch'])} | "
        f"{runs(scratch)} |\n"
        f"| from scratch, a new kernel per notebook | the same with `--fresh-kernels`: what papermill alone does, "
        f"with this change's faster figure saving | {len(fresh)} | {med['fresh']:.1f} | {u(med['fresh'])} | {runs(fresh)} |\n"
        f"| no-change rerun | the first command again on the same OUT | {len(rerun)} | {med['rerun']:.2f} | "
        f"{u(med['rerun'])} | {runs(rerun, 2)} |\n"
        f"| one study of the default data | CRATUS-P2 alone (30 subjects) as a data set, from scratch "
        f"({len(notebooks())} executions) | {len(study)} | {med['study']:.1f} | {u(med['study'])} | {runs(study)} |\n"
        f"| a real-size trial | `msc_frailty.adam_fixture` (SYNTHETIC, ADaM-style: 255 subjects, "
        f"1,200+ adverse events, 8 efficacy parameters, one study; {layout_words}), from scratch "
        f"({len(notebooks())} executions) | {len(adam)} | {med['adam']:.1f} | {u(med['adam'])} | {runs(adam)} |\n"
        + (f"| sequential papermill loop | one `papermill notebooks/<nb>.ipynb ... -p study <S>` per notebook and "
           f"study, one after another | 1 | {loop[0]:.1f} | {u(loop[0])} | {runs(loop)} |\n" if loop else "")
        + (f"| the test suite | `make test` once the environment exists (its command, `python -m pytest -q`; the aim: "
           f"under 3 minutes) | 1 | {suite[0]:.0f} | {u(suite[0])} | {runs(suite, 0)} |\n" if suite else "")
    )
    text = (
        "# Benchmarks\n\n"
        f"Measured with `.venv/bin/python bench/benchmark.py --runs {args.runs}{' --loop' if args.loop else ''}"
        f"{' --tests' if args.tests else ''}{f' --large {args.large}' if args.large else ''}"
        f"{f' --before-lib {args.before_lib}' if args.before_lib else ''}"
        f"{' --fixture-layout combined' if args.fixture_layout == 'combined' else ''} "
        f"--write BENCHMARKS.md` on {platform.machine()}, "
        f"{subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores, Python "
        f"{platform.python_version()}; wall-clock seconds on the embedded SYNTHETIC default data (3 studies, "
        f"{n} notebook executions), and the same in import units measured in the same run. Two CPU-bound "
        f"processes at once get {capacity:.2f} processes' worth of work done here (one pure-Python loop alone, "
        + ("then two together), not 2: that bounds what running two notebooks at a time can gain on this "
           "machine.\n\n" if capacity <= 2 else
           "then two together): more than 2, so the machine's speed changed between the two measurements, as "
           "it does on a shared host; times measured minutes apart vary by as much.\n\n")
        + "## Where the time goes\n\n"
        f"Every notebook executed in one process, one after the other (`bench/benchmark.py`, breakdown): "
        f"{cpu_total:.1f} s of notebook work, of which saving figures {sum(save.values()):.1f} s. Before this "
        f"change each of the {n} executions also started its own kernel and imported the stack in it: "
        f"about {before:.0f} s ({u(before)} units) of start-up, now paid once per worker.\n\n"
        + breakdown_table +
        "\n## From scratch and rerun\n\n" + table +
        f"\nA from-scratch rebuild costs {u(med['scratch'])} import units ({med['scratch']:.1f} s), against "
        f"{u(med['fresh'])} units with a new kernel per notebook. A real-size trial takes "
        f"{med['adam'] / med['study']:.2f} times as long as one study of the default data (the aim: at most "
        f"1.5).\n"
        + (large_section(big, args.before_lib) if big else "")
        + WASTE_REMOVED
    )
    print(text)
    if args.write:
        (ROOT / args.write).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
