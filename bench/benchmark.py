"""Benchmark `make reproduce`: from scratch, a no-change rerun, and a plain sequential papermill loop.

    .venv/bin/python bench/benchmark.py --runs 3 --write BENCHMARKS.md

Each timing is the wall-clock median of ``--runs`` runs of the same command on the embedded default
data, on this machine, nothing else running. Speed is measured here, never asserted in a test.
"""

from __future__ import annotations

import argparse
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


def timed(cmd, **kw) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    return time.perf_counter() - start


def studies() -> list[str]:
    import pandas as pd
    return sorted(pd.read_csv(DATA / "adsl.csv").STUDYID.unique())


def runner_cmd(out: Path, jobs: int = 2) -> list[str]:
    return [PY, "-m", "msc_frailty.runner", "--data", str(DATA), "--out", str(out), "--jobs", str(jobs)]


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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", help="write the results as Markdown to this file")
    args = parser.parse_args(argv)
    scratch, scratch3, rerun, loop = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            out = Path(tmp) / f"scratch{i}"
            scratch.append(timed(runner_cmd(out)))
            print(f"from scratch   run {i + 1}: {scratch[-1]:.1f} s", flush=True)
            scratch3.append(timed(runner_cmd(Path(tmp) / f"scratch3_{i}", jobs=3)))
            print(f"from scratch, 3 jobs, run {i + 1}: {scratch3[-1]:.1f} s", flush=True)
        for i in range(max(args.runs, 5)):
            rerun.append(timed(runner_cmd(Path(tmp) / "scratch0")))
            print(f"no-change      run {i + 1}: {rerun[-1]:.2f} s", flush=True)
        for i in range(args.runs):
            out = Path(tmp) / f"loop{i}"
            loop.append(sequential_loop(out))
            shutil.rmtree(out, ignore_errors=True)
            print(f"papermill loop run {i + 1}: {loop[-1]:.1f} s", flush=True)
    med = {k: statistics.median(v) for k, v in (("scratch", scratch), ("scratch3", scratch3), ("rerun", rerun),
                                                 ("loop", loop))}
    table = (
        "| what | command | runs | median (s) | all runs (s) |\n|---|---|---|---|---|\n"
        f"| from scratch, 2 jobs | `python -m msc_frailty.runner --data data/synthetic --out <new folder>` "
        f"(= `make reproduce` into an empty OUT) | {len(scratch)} | {med['scratch']:.1f} | "
        f"{', '.join(f'{x:.1f}' for x in scratch)} |\n"
        f"| from scratch, 3 jobs | the same with `--jobs 3` (kernels wait on start-up and I/O, so a third "
        f"process can use idle core time) | {len(scratch3)} | {med['scratch3']:.1f} | "
        f"{', '.join(f'{x:.1f}' for x in scratch3)} |\n"
        f"| no-change rerun | the same command again on the same OUT | {len(rerun)} | {med['rerun']:.2f} | "
        f"{', '.join(f'{x:.2f}' for x in rerun)} |\n"
        f"| sequential papermill loop | one `papermill notebooks/<nb>.ipynb ... -p study <S>` per notebook and "
        f"study, one after another | {len(loop)} | {med['loop']:.1f} | {', '.join(f'{x:.1f}' for x in loop)} |\n"
    )
    text = (
        "# Benchmarks\n\n"
        f"Measured with `.venv/bin/python bench/benchmark.py --runs {args.runs} --write BENCHMARKS.md` on "
        f"{platform.machine()}, {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores, "
        f"Python {platform.python_version()}; wall-clock medians, the embedded SYNTHETIC default data "
        "(3 studies, 16 notebook executions).\n\n" + table +
        f"\nSpeed-up of the runner from scratch over the sequential loop: {med['loop'] / med['scratch']:.2f}x with "
        f"2 jobs, {med['loop'] / med['scratch3']:.2f}x with 3 jobs. "
        f"No-change rerun: {med['rerun']:.2f} s.\n"
    )
    print(text)
    if args.write:
        (ROOT / args.write).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
