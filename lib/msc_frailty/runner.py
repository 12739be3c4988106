"""Execute every notebook with papermill for every study of a data set.

``python -m msc_frailty.runner --data data/synthetic`` (what ``make reproduce`` runs) refreshes
``figures/`` and ``results/`` of the repository; with ``--out DIR`` everything goes under DIR.

Guarantees
----------
- The data set is validated first; a bad one stops the run with the file, column and rows named.
- Every notebook must have exactly one ``parameters`` cell of literal assignments, and the runner
  refuses a parameter name the cell does not define (papermill itself only warns).
- Notebooks run into a staging folder; ``figures/`` and ``results/`` are replaced only when every
  notebook succeeded, so a failed run leaves what was rendered before intact.
- Every execution has a timeout (papermill's default is forever).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat

from . import __version__
from .data import DataError, load_trial
from .paths import BUILD, FIGURES, NOTEBOOKS, PRIVATE, RESULTS, ROOT, resolve
from .results import combine_estimates

KERNEL = "python3"
DEFAULT_TIMEOUT = 600
REQUIRED_PARAMETERS = ("data_dir", "output_dir", "study")


class ParameterError(ValueError):
    """A notebook's parameters cell breaks the rules, or a parameter passed to it is unknown."""


def notebooks(folder=NOTEBOOKS) -> list[Path]:
    """The finding notebooks, in a fixed (alphabetical) order."""
    return sorted(Path(folder).glob("*.ipynb"))


def scope_of(path) -> str:
    """``"study"`` (run once per study, the default) or ``"dataset"`` (run once per data set, after the
    per-study notebooks, with ``study = "all"``), from the notebook metadata ``msc_frailty.scope``."""
    scope = nbformat.read(path, as_version=4).metadata.get("msc_frailty", {}).get("scope", "study")
    if scope not in ("study", "dataset"):
        raise ParameterError(f"{path}: metadata msc_frailty.scope must be 'study' or 'dataset', got {scope!r}")
    return scope


def parameters_of(path) -> dict:
    """The defaults of a notebook's single ``parameters`` cell.

    Raises ParameterError unless there is exactly one cell tagged ``parameters``, it holds only
    assignments of literals to plain names, and it defines data_dir, output_dir and study.
    """
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ParameterError(f"{path}: {len(cells)} cells tagged 'parameters'; exactly one is required")
    if cells[0].cell_type != "code":
        raise ParameterError(f"{path}: the 'parameters' cell is not a code cell")
    try:
        tree = ast.parse(cells[0].source)
    except SyntaxError as err:
        raise ParameterError(f"{path}: parameters cell does not parse: {err}") from None
    values = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            raise ParameterError(f"{path}: parameters cell line {node.lineno} is not a plain assignment")
        try:
            values[node.targets[0].id] = ast.literal_eval(node.value)
        except ValueError:
            raise ParameterError(f"{path}: parameter {node.targets[0].id!r} (line {node.lineno}) is not a "
                                 "literal") from None
    missing = [p for p in REQUIRED_PARAMETERS if p not in values]
    if missing:
        raise ParameterError(f"{path}: parameters cell lacks {missing}")
    return values


def check_parameters(path, parameters: dict) -> dict:
    """Raise ParameterError for any name in ``parameters`` the notebook does not define."""
    known = parameters_of(path)
    unknown = sorted(set(parameters) - set(known))
    if unknown:
        raise ParameterError(f"{Path(path).name}: unknown parameter(s) {unknown}; the notebook defines "
                             f"{sorted(known)}")
    return known


def check_destination(basis: str, out_dir) -> None:
    """Refuse to write outputs made from supplied (possibly real patient) data into tracked folders.

    Supplied data may only be rendered outside the repository, or inside its ignored ``private/``
    (or ``build/``) folder; the repository's own figures/ and results/ hold the synthetic default only.
    """
    if basis != "supplied":
        return
    if out_dir is None:
        raise ParameterError("this data set is supplied (not the synthetic default): give OUT=<folder> outside "
                             "the repository or under private/; figures/ and results/ are for the default data")
    out = resolve(out_dir)
    if out.is_relative_to(ROOT) and not (out.is_relative_to(PRIVATE) or out.is_relative_to(BUILD)):
        raise ParameterError(f"refusing to write outputs of supplied data to {out}, a tracked folder of the "
                             f"repository; use a folder under {PRIVATE} (ignored by git) or outside the repository")


def _execute(job) -> tuple[str, str, float, str | None]:
    """Run one notebook (in a worker process). Returns (name, study, seconds, error or None)."""
    import papermill as pm

    src, dst, params, timeout = job
    start = time.perf_counter()
    # the kernel's own stderr (start-up chatter, warnings) goes to a log beside the executed notebook
    log_path = Path(dst).with_suffix(".log")
    saved = os.dup(2)
    with open(log_path, "w") as log:
        os.dup2(log.fileno(), 2)
        try:
            pm.execute_notebook(str(src), str(dst), parameters=params, kernel_name=KERNEL,
                                execution_timeout=timeout, cwd=str(ROOT), progress_bar=False, log_output=False)
            err = None
        except Exception as exc:  # report every failure the same way; the run then stops
            err = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    return Path(src).stem, params["study"], time.perf_counter() - start, err


def _replace_dir(new: Path, old: Path):
    """Put ``new`` where ``old`` is, keeping ``old`` until ``new`` is in place."""
    backup = old.with_name(f".{old.name}.old-{uuid.uuid4().hex[:8]}")
    if old.exists():
        old.rename(backup)
    try:
        shutil.move(str(new), str(old))
    except Exception:
        if backup.exists():
            backup.rename(old)
        raise
    shutil.rmtree(backup, ignore_errors=True)


def run(data_dir, out_dir=None, jobs: int = 2, timeout: int = DEFAULT_TIMEOUT, extra=None, only=None,
        log=print) -> dict:
    """Validate ``data_dir``, run every notebook for every study, then publish figures and results.

    Parameters
    ----------
    data_dir : str or Path
        A data set in the contract layout.
    out_dir : str or Path, optional
        Where figures/, results/ and notebooks/ go. Default: the repository's figures/ and results/,
        executed notebooks under build/notebooks.
    jobs : int
        Notebooks executed at once.
    timeout : int
        Seconds allowed per cell.
    extra : dict, optional
        More parameters for every notebook; each must be defined in every notebook run.
    only : list of str, optional
        Notebook names to run (default all).

    Returns
    -------
    dict
        Summary: basis, studies, notebooks, output folders.
    """
    data = resolve(data_dir)
    trial = load_trial(data)                      # raises DataError before anything is touched
    check_destination(trial.basis, out_dir)
    extra = dict(extra or {})
    clash = sorted(set(extra) & set(REQUIRED_PARAMETERS))
    if clash:
        raise ParameterError(f"set {clash} with --data/--out, not as extra parameters")
    sources = [p for p in notebooks() if only is None or p.stem in only]
    if only:
        missing = sorted(set(only) - {p.stem for p in sources})
        if missing:
            raise ParameterError(f"no such notebook(s): {missing}")
    for src in sources:
        check_parameters(src, {**{k: None for k in REQUIRED_PARAMETERS}, **extra})

    if out_dir is None:
        figures, results, executed = FIGURES, RESULTS, BUILD / "notebooks"
        staging = BUILD / f"staging-{uuid.uuid4().hex[:8]}"
    else:
        out = resolve(out_dir)
        figures, results, executed = out / "figures", out / "results", out / "notebooks"
        staging = out / f".staging-{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True)

    def job(src, study):
        dst = staging / "notebooks" / study / src.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        params = {"data_dir": str(data), "output_dir": str(staging), "study": study, **extra}
        return (src, dst, params, timeout)

    per_study = [job(src, study) for study in trial.studies for src in sources if scope_of(src) == "study"]
    # data-set notebooks (the scorecard) read what the per-study notebooks wrote, so they run after them
    per_dataset = [job(src, "all") for src in sources if scope_of(src) == "dataset"]
    total = len(per_study) + len(per_dataset)
    log(f"running {total} notebook executions for {len(trial.studies)} studies on {trial.basis} data {data} "
        f"with {jobs} job(s)")
    failures = []
    done = 0
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        for batch in (per_study, per_dataset):
            if failures:
                break
            for name, study, seconds, err in pool.map(_execute, batch):
                done += 1
                log(f"[{done}/{total}] {name:<22} {study:<14} {'FAILED' if err else 'ok':<6} {seconds:6.1f} s"
                    + (f"  {err}" if err else ""))
                if err:
                    failures.append((name, study, err))
    if failures:
        kept = (executed.parent / "failed")
        kept.mkdir(parents=True, exist_ok=True)
        for name, study, _ in failures:
            nb = staging / "notebooks" / study / f"{name}.ipynb"
            if nb.exists():
                shutil.copy2(nb, kept / f"{study}__{name}.ipynb")
        shutil.rmtree(staging, ignore_errors=True)
        raise RuntimeError(f"{len(failures)} notebook execution(s) failed (executed copies in {kept}); "
                           "figures/ and results/ were left as they were")

    combine_estimates(staging)
    (staging / "results").mkdir(exist_ok=True)
    summary = {
        "package_version": __version__,
        "basis": trial.basis,
        "data_dir": os.path.relpath(data, ROOT) if data.is_relative_to(ROOT) else str(data),
        "studies": trial.studies,
        "notebooks": [p.stem for p in sources],
        "parameters": extra,
    }
    (staging / "results" / "run.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    (staging / "figures").mkdir(exist_ok=True)
    for new, old in ((staging / "figures", figures), (staging / "results", results),
                     (staging / "notebooks", executed)):
        old.parent.mkdir(parents=True, exist_ok=True)
        _replace_dir(new, old)
    shutil.rmtree(staging, ignore_errors=True)
    log(f"done: figures in {figures}, results in {results}, executed notebooks in {executed}")
    return {**summary, "figures": str(figures), "results": str(results), "executed": str(executed)}


def _parse_param(text: str):
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    name, value = text.split("=", 1)
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name, value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Run every notebook on a data set (contract section 2).")
    parser.add_argument("--data", default="data/synthetic", help="data set folder (contract layout)")
    parser.add_argument("--out", default=None, help="output folder (default: the repository's figures/ and results/)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks executed at once (default 2)")
    parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT, help="seconds per cell (default 600)")
    parser.add_argument("--notebook", action="append", dest="only", help="run only this notebook (repeatable)")
    parser.add_argument("-p", "--parameter", action="append", type=_parse_param, default=[],
                        help="extra notebook parameter NAME=VALUE (must exist in every notebook)")
    args = parser.parse_args(argv)
    try:
        run(args.data, args.out, jobs=args.jobs, timeout=args.timeout, extra=dict(args.parameter), only=args.only)
    except DataError as err:
        print(f"data error: {err}", file=sys.stderr)
        return 1
    except (ParameterError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
