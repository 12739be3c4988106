"""Execute every notebook with papermill for every study of a data set.

``python -m msc_frailty.runner --data data/synthetic`` (what ``make reproduce`` runs) refreshes
``figures/`` and ``results/`` of the repository; with ``--out DIR`` everything goes under DIR.

Guarantees
----------
- The data set is validated first; a bad one stops the run with the file, column and rows named.
- Every notebook must have exactly one ``parameters`` cell of literal assignments, and the runner
  refuses a parameter name the cell does not define (papermill itself only warns).
- Notebooks run into a staging folder; the outputs are published only when every notebook succeeded,
  all at once, and only files that runs wrote are ever replaced or removed (:mod:`msc_frailty.publish`:
  OUT is the user's folder). A failed or interrupted run leaves what was rendered before intact, and
  no staging folder or kernel connection file behind.
- Every execution has a timeout (papermill's default is forever).
- Each worker process keeps one kernel for the notebooks it executes, reset to a fresh kernel's state
  before each (:mod:`msc_frailty.kernel`), instead of paying a kernel start and the imports every time;
  a failed execution discards its kernel.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import functools
import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from . import __version__, names, publish
from .data import RECORD_RULES, DataError, load_trial, table_paths
from .paths import NOTEBOOKS, ROOT, resolve
from .publish import check_destination  # noqa: F401  (where outputs may go; runner.check_destination)
from .publish import file_digest
from .results import combine_estimates

# jsonschema (under nbformat, which papermill and the executed notebooks' rewriting use) imports the optional
# rfc3987_syntax when it is installed, and that compiles a grammar at import time: a second in every process
# that reads a notebook. It only checks the "iri" format, which no notebook schema uses.
sys.modules.setdefault("rfc3987_syntax", None)

KERNEL = "python3"
DEFAULT_TIMEOUT = 600
REQUIRED_PARAMETERS = ("data_dir", "output_dir", "study")


class ParameterError(ValueError):
    """A notebook's parameters cell breaks the rules, or a parameter passed to it is unknown."""


def notebooks(folder=NOTEBOOKS) -> list[Path]:
    """The finding notebooks, in a fixed (alphabetical) order."""
    return sorted(Path(folder).glob("*.ipynb"))


def _read_notebook(path) -> dict:
    """A notebook's JSON (plain json: importing nbformat would double the runner's start-up time)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except ValueError as err:
        raise ParameterError(f"{path}: not a notebook ({err})") from None


def scope_of(path) -> str:
    """``"study"`` (run once per study, the default) or ``"dataset"`` (run once per data set, with
    ``study = "all"``), from the notebook metadata ``msc_frailty.scope``."""
    scope = _read_notebook(path).get("metadata", {}).get("msc_frailty", {}).get("scope", "study")
    if scope not in ("study", "dataset"):
        raise ParameterError(f"{path}: metadata msc_frailty.scope must be 'study' or 'dataset', got {scope!r}")
    return scope


def uses_study_results(path) -> bool:
    """Whether a data-set notebook reads the per-study notebooks' results (``results/parts/``).

    From the notebook metadata ``msc_frailty.uses_study_results`` (default true). A data-set notebook that
    reads them runs after the per-study notebooks, with their parts copied into its output folder, and
    reruns when they change; one that declares ``false`` (it reads the published record only) runs beside
    them and is given no parts, so a wrong declaration fails instead of reading stale results.
    """
    value = _read_notebook(path).get("metadata", {}).get("msc_frailty", {}).get("uses_study_results", True)
    if not isinstance(value, bool):
        raise ParameterError(f"{path}: metadata msc_frailty.uses_study_results must be true or false, got {value!r}")
    return value


def parameters_of(path) -> dict:
    """The defaults of a notebook's single ``parameters`` cell.

    Raises ParameterError unless there is exactly one cell tagged ``parameters``, it holds only
    assignments of literals to plain names, and it defines data_dir, output_dir and study.
    """
    nb = _read_notebook(path)
    cells = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ParameterError(f"{path}: {len(cells)} cells tagged 'parameters'; exactly one is required")
    if cells[0]["cell_type"] != "code":
        raise ParameterError(f"{path}: the 'parameters' cell is not a code cell")
    source = cells[0]["source"]
    try:
        tree = ast.parse("".join(source) if isinstance(source, list) else source)
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




# --- one kernel per worker, reused ----------------------------------------------------------------
# Starting a kernel and importing the scientific stack cost more than most notebooks' own work, so each
# worker process keeps one kernel for all the notebooks it executes (msc_frailty.kernel resets it
# between them). A failed execution discards the kernel: it may be busy or broken.

_worker: dict = {}
WARM_UP = "import msc_frailty.kernel\nmsc_frailty.kernel.warm_up()"
RESET = "import msc_frailty.kernel\nmsc_frailty.kernel.reset()"


def _init_worker(log_dir: str, reuse: bool = True, runtime_dir: str | None = None):
    """Worker start: its stderr, and that of its kernels (start-up chatter), go to a log; the kernel starts
    and warms up while this process imports papermill.

    Ctrl-C reaches every process of the terminal's group: a worker ignores it (the runner, which gets it too,
    stops the workers). SIGTERM (how the runner stops them) kills the worker's kernel and removes its
    connection file before the worker exits (:func:`_on_sigterm`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_sigterm)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    _worker["runtime"] = runtime_dir
    Path(log_dir).mkdir(parents=True, exist_ok=True)
    log = open(Path(log_dir) / f"worker-{os.getpid()}.log", "w")
    os.dup2(log.fileno(), 2)
    _worker["log"] = log
    from multiprocessing.util import Finalize

    Finalize(None, _discard_kernel, exitpriority=10)  # shut the kernel down when the worker exits
    if reuse:
        _start_kernel(warm=True)
    import papermill  # noqa: F401


@functools.cache
def ready_client():
    """The kernel client class the runner's kernels hand out (to papermill too): ``wait_for_ready`` returns
    as soon as the client has seen, on its output channel, the kernel go idle after its ``kernel_info``
    request, instead of after 0.2 s of silence on that channel (jupyter_client's way, a fifth of a
    second per notebook).

    The guarantee is the same: the output channel is connected (a subscriber joins asynchronously and
    misses what is published before it has joined; then the request is sent again) and holds nothing
    older than that request, since the kernel publishes in order.
    """
    from queue import Empty

    from jupyter_client.blocking import BlockingKernelClient

    class ReadyClient(BlockingKernelClient):
        def wait_for_ready(self, timeout=None):
            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            while True:
                msg_id = self.kernel_info()
                try:
                    reply = self.shell_channel.get_msg(timeout=1)
                    while reply["parent_header"].get("msg_id") != msg_id:
                        reply = self.shell_channel.get_msg(timeout=1)
                    while True:
                        msg = self.iopub_channel.get_msg(timeout=0.05)
                        if (msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle"
                                and msg["parent_header"].get("msg_id") == msg_id):
                            self._handle_kernel_info_reply(reply)
                            return
                except Empty:
                    pass
                if not self.is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")

    return ReadyClient


def worker_pool(jobs: int, log_dir, reuse: bool = True, mp_context=None, runtime_dir=None) -> ProcessPoolExecutor:
    """``jobs`` worker processes that execute notebooks, each keeping one kernel (``reuse``), their stderr
    and that of their kernels in ``log_dir``, the kernels' connection files in ``runtime_dir`` (default:
    Jupyter's runtime folder).

    :func:`run` makes one for each run, with its connection files in the run's staging folder, and shuts it
    down at the end (:func:`stop_workers` when interrupted). Given to :func:`run` as ``pool``, one pool serves
    several runs, each skipping the start of the workers and of their kernels (the test suite does this); a
    kernel is reset between notebooks the same way within a run and across runs.
    """
    return ProcessPoolExecutor(max_workers=max(1, jobs), initializer=_init_worker,
                               initargs=(str(log_dir), reuse, None if runtime_dir is None else str(runtime_dir)),
                               mp_context=mp_context)


def stop_workers(pool: ProcessPoolExecutor, grace: float = 10.0):
    """Stop a pool's workers now, not after the notebooks they execute: each gets SIGTERM, kills its kernel and
    removes the kernel's connection file (:func:`_on_sigterm`); one still alive after ``grace`` seconds is
    killed."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            process.terminate()
    deadline = time.monotonic() + grace
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AttributeError, AssertionError):
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(2)
    pool.shutdown(wait=False, cancel_futures=True)


def _watch_parent(parent: int, every: float = 1.0):
    """A worker whose runner died (SIGKILL) stops, its kernel with it, instead of running on unseen."""
    while os.getppid() == parent:
        time.sleep(every)
    _on_sigterm(signal.SIGTERM, None)


def _on_sigterm(signum, frame):
    """A worker told to stop (SIGTERM, or its runner gone): kill its kernel and exit at once (a clean shutdown
    would wait for the kernel's event loop). While a kernel is being launched its process is not known yet:
    then the stop waits for the launch to return (:func:`_start_kernel`)."""
    if "starting" in _worker:
        _worker["stop"] = signum
        return
    _stop_now(_worker.get("km"), signum)


def _stop_now(km, signum: int):
    """Kill the kernel ``km`` (its own process group), remove its connection file and sockets, exit."""
    if km is not None:
        with contextlib.suppress(Exception):
            pgid = getattr(km.provisioner, "pgid", None) or getattr(km.provisioner, "pid", None)
            if pgid:
                os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            km.cleanup_connection_file()
        with contextlib.suppress(Exception):
            km.cleanup_ipc_files()
    os._exit(128 + signum)


def _start_kernel(warm: bool):
    """Start this worker's kernel; with ``warm``, send it the warm-up without waiting for it to finish."""
    from jupyter_client.manager import KernelManager

    # IPC sockets at a path of their own: TCP ports are picked free, then bound by the kernel, and two
    # kernels starting at once in two workers can pick the same port
    name = f"msc-kernel-{uuid.uuid4().hex}"
    runtime = _worker.get("runtime")
    if runtime:   # the connection file (it holds the kernel's key) where the run removes it, whatever happens
        Path(runtime).mkdir(parents=True, exist_ok=True)
    km = KernelManager(kernel_name=KERNEL, transport="ipc", client_factory=ready_client(),
                       ip=os.path.join(tempfile.gettempdir(), name),
                       **({"connection_file": os.path.join(runtime, f"{name}.json")} if runtime else {}))
    _worker["starting"] = km   # a SIGTERM now is acted on once the kernel's process is known (_on_sigterm)
    try:
        km.start_kernel(cwd=str(ROOT))
    finally:
        del _worker["starting"]
        if "stop" in _worker:
            _stop_now(km, _worker["stop"])
    _worker["km"], _worker["warm"] = km, warm
    if warm:
        kc = km.client()
        kc.start_channels()
        _worker["warming"] = kc
        kc.wait_for_ready(timeout=60)
        _worker["warm_up_id"] = kc.execute(WARM_UP, silent=True, store_history=False)


def _finish_warm_up(timeout: float):
    _await_reply(_worker.pop("warming"), _worker.pop("warm_up_id"), timeout)


def _await_reply(kc, msg_id: str, timeout: float):
    """Wait for the shell reply to ``msg_id``, close the client, raise if the code failed."""
    try:
        while True:
            reply = kc.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
    finally:
        kc.stop_channels()
    content = reply["content"]
    if content["status"] != "ok":
        raise RuntimeError(f"kernel set-up failed: {content.get('ename')}: {content.get('evalue')}")


def _run_in_kernel(km, code: str, timeout: float):
    """Run set-up code silently, through a client of its own (papermill's client changes the event loop that
    a longer-lived client's sockets were bound to). Only the shell channel: the kernel has just answered
    papermill, and the reply is all that is needed (waiting for the kernel to be ready, and for its output
    channel, took a third of a second per notebook)."""
    kc = km.client()
    kc.start_channels(iopub=False, stdin=False, hb=False, control=False)
    _await_reply(kc, kc.execute(code, silent=True, store_history=False), timeout)


def _kernel(timeout: float, reuse: bool = True):
    """This worker's kernel: warmed up when new, reset when it has executed a notebook before.

    Without ``reuse`` a new kernel for every notebook, not warmed up: what papermill alone does (and a
    kernel so started is not reused by a later notebook that asks for ``reuse``: it has no warm-up to reset
    to)."""
    if not reuse or not _worker.get("warm"):
        _discard_kernel()
        _start_kernel(warm=reuse)
    if "warming" in _worker:
        _finish_warm_up(timeout)
    elif _worker.get("used"):
        _run_in_kernel(_worker["km"], RESET, timeout)
    _worker["used"] = True
    return _worker["km"]


def _discard_kernel():
    kc, km = _worker.pop("warming", None), _worker.pop("km", None)
    for key in ("warm_up_id", "used", "warm"):
        _worker.pop(key, None)
    if kc is not None:
        kc.stop_channels()
    if km is not None:
        km.shutdown_kernel(now=True)


def _execute(job) -> tuple[str, str, float, str | None]:
    """Run one notebook (in a worker process). Returns (name, study, seconds, error or None).

    The executed notebook (also a failed one) is then made portable (:func:`portable_notebook`): it shows
    the parameters as ``params.shown`` gives them (:class:`Injected`) and no path of this machine."""
    import papermill as pm

    src, dst, params, timeout, reuse = job
    start = time.perf_counter()
    try:
        km = _kernel(timeout, reuse)
        pm.execute_notebook(str(src), str(dst), parameters=dict(params), kernel_name=KERNEL, km=km,
                            execution_timeout=timeout, cwd=str(ROOT), progress_bar=False, log_output=False,
                            request_save_on_cell_execute=False)  # written once, at the end or on failure
        err = None
    except Exception as exc:  # report every failure the same way; the run then stops
        err = _failure(exc, dst)
        _discard_kernel()
    if Path(dst).is_file():
        try:
            portable_notebook(dst, getattr(params, "shown", None), getattr(params, "aliases", ()),
                              getattr(params, "notebook", None))
        except Exception as exc:   # a notebook cut short (a full disk) is a failure of this execution, said so
            err = err or _failure(exc, dst)
    return Path(src).stem, params["study"], time.perf_counter() - start, err


def _failure(exc: Exception, dst) -> str:
    """One line saying why an execution failed: the file and the reason for an OSError (a full disk, no
    permission), else the exception's last line; a full disk is named whatever the error it caused (a
    notebook written half-way "does not appear to be JSON")."""
    if isinstance(exc, OSError):
        return publish.describe(exc)
    text = str(exc).strip()
    line = f"{type(exc).__name__}: {text.splitlines()[-1] if text else ''}"
    with contextlib.suppress(OSError):
        if shutil.disk_usage(Path(dst).parent).free == 0:
            return f"cannot write {dst}: no space left on device ({line})"
    return line


# --- what an executed notebook shows --------------------------------------------------------------
# An executed notebook is read by others (the report, a reviewer): it names no folder of the machine that
# ran it and is the same bytes for the same inputs. The runner injects working values (data_dir relative
# to the repository when the data are inside it, output_dir an execution's staging folder), then rewrites
# the notebook to show the published values: a folder inside the repository relative to it ("." for the
# repository itself), a data set or OUT outside it as "<DATA>" or "<OUT>".

#: How an executed notebook shows a data set and an output folder outside the repository.
OUTSIDE_DATA, OUTSIDE_OUT = "<DATA>", "<OUT>"
#: The comment that opens the injected-parameters cell of an executed notebook (one ``#`` line per line).
SHOWN_COMMENT = ("Parameters, as msc_frailty.runner shows them: output_dir is where the outputs were published (the\n"
                 "run wrote them to a staging folder first); folders outside the repository appear as <DATA> and <OUT>")
#: Execution timestamps papermill and nbclient record; they are dropped so a notebook is the same bytes every run.
TIMING_KEYS = ("start_time", "end_time", "duration")


class Injected(dict):
    """The parameters papermill injects into one execution, with how the executed notebook shows them.

    A dict (what papermill and the manifest read) that also carries ``shown`` (the same parameters with
    portable paths), ``aliases`` (``(real path, shown)`` pairs, longest first) and ``notebook`` (the
    executed notebook's published path, shown). It crosses to the worker process by pickle.

    Examples
    --------
    >>> p = Injected({"study": "S", "output_dir": "/x/staging/S__cohort"}, shown={"study": "S", "output_dir": "."},
    ...              aliases=[("/x/staging/S__cohort", ".")], notebook="build/notebooks/S/cohort.ipynb")
    >>> dict(p), p.shown["output_dir"]
    ({'study': 'S', 'output_dir': '/x/staging/S__cohort'}, '.')
    """

    def __init__(self, values, shown, aliases=(), notebook=None):
        super().__init__(values)
        self.shown, self.aliases, self.notebook = dict(shown), tuple(aliases), notebook


def path_aliases(data, out=None) -> list[tuple[str, str]]:
    """``(real path, shown)`` pairs for a run, longest real path first: the repository as ``"."``, a data set
    outside it as ``<DATA>``, an OUT outside it as ``<OUT>``.

    Examples
    --------
    >>> sorted(shown for _, shown in path_aliases(ROOT / "data" / "synthetic", "/elsewhere/out"))
    ['.', '<OUT>']
    """
    pairs = {str(ROOT): "."}
    for folder, alias in ((data, OUTSIDE_DATA), (out, OUTSIDE_OUT)):
        if folder is not None and not resolve(folder).is_relative_to(ROOT):
            pairs.setdefault(str(resolve(folder)), alias)
    return sorted(pairs.items(), key=lambda pair: -len(pair[0]))


def injected_data_dir(data) -> str:
    """The ``data_dir`` the runner injects: relative to the repository when the data are inside it (notebooks
    resolve it from there, :func:`msc_frailty.paths.resolve`), else the absolute path (shown as ``<DATA>``).

    Examples
    --------
    >>> injected_data_dir(ROOT / "data" / "synthetic")
    'data/synthetic'
    """
    data = resolve(data)
    return data.relative_to(ROOT).as_posix() if data.is_relative_to(ROOT) else str(data)


def shown_parameters(data, out_dir=None) -> dict:
    """``data_dir`` and ``output_dir`` as an executed notebook shows them: relative to the repository when
    inside it, else ``<DATA>`` and ``<OUT>``; ``output_dir`` is where the outputs are published (``"."``, the
    repository's figures/ and results/, without ``out_dir``).

    Examples
    --------
    >>> shown_parameters(ROOT / "data" / "synthetic")
    {'data_dir': 'data/synthetic', 'output_dir': '.'}
    >>> shown_parameters("/elsewhere/mytrial", ROOT / "private" / "out")
    {'data_dir': '<DATA>', 'output_dir': 'private/out'}
    """
    aliases = path_aliases(data, out_dir)
    published = ROOT if out_dir is None else resolve(out_dir)
    return {"data_dir": portable_text(str(resolve(data)), aliases),
            "output_dir": portable_text(str(published), aliases)}


def portable_text(text: str, aliases) -> str:
    """``text`` with every real path of ``aliases`` replaced by how it is shown.

    ``<real>/rest`` becomes ``<shown>/rest`` (``rest`` alone for ``"."``); ``<real>`` alone becomes ``<shown>``.
    Only whole path components match (``/tmp/out`` is not replaced inside ``/tmp/out2`` or ``/tmp/out.bak``).

    Examples
    --------
    >>> portable_text("written (/r/out/results/estimates.csv) from /r", [("/r/out", "<OUT>"), ("/r", ".")])
    'written (<OUT>/results/estimates.csv) from .'
    >>> portable_text("/r/data/synthetic", [("/r", ".")])
    'data/synthetic'
    """
    import re

    for real, shown in aliases:
        head = "" if shown == "." else shown + "/"
        text = re.sub(re.escape(real) + r"(?:(/)|(?![\w-]|\.[\w-]))",
                      lambda m: head if m.group(1) else shown, text)
    return text


def _portable_output(output: dict, aliases) -> None:
    """Replace real paths in one cell output's text (streams, text mime types, error messages), in place."""
    def fix(value):
        if isinstance(value, list):
            return [portable_text(v, aliases) for v in value]
        return portable_text(value, aliases) if isinstance(value, str) else value

    if "text" in output:
        output["text"] = fix(output["text"])
    for mime, value in output.get("data", {}).items():
        if mime.startswith("text/") or mime.endswith("json"):
            output["data"][mime] = fix(value)
    for key in ("evalue", "traceback"):
        if key in output:
            output[key] = fix(output[key])


def portable_notebook(path, shown=None, aliases=(), notebook=None) -> None:
    """Rewrite an executed notebook in place so that it names no folder of the machine that ran it and is the
    same bytes for the same inputs.

    - The injected-parameters cell (papermill's, tagged ``injected-parameters``) and papermill's metadata
      show ``shown`` instead of the injected values, under :data:`SHOWN_COMMENT`;
    - ``input_path`` is the notebook relative to the repository, ``output_path`` ``notebook`` (the
      published place, shown);
    - every real path of ``aliases`` in cell outputs (and the repository's own path) is shown as the alias;
    - execution timestamps and durations (:data:`TIMING_KEYS`, cell ``execution`` metadata) are dropped.

    Parameters
    ----------
    path : str or Path
        The executed notebook.
    shown : dict, optional
        The parameters as shown (default: the injected ones).
    aliases : sequence of (str, str)
        ``(real path, shown)`` pairs, longest first (:func:`path_aliases`); the repository is always added.
    notebook : str, optional
        The notebook's published path as shown.
    """
    import nbformat
    from papermill.translators import translate_parameters

    aliases = sorted({**dict(aliases), **({} if str(ROOT) in dict(aliases) else {str(ROOT): "."})}.items(),
                     key=lambda pair: -len(pair[0]))
    nb = nbformat.read(str(path), as_version=4)
    meta = nb.metadata.get("papermill", {})
    for key in TIMING_KEYS:
        meta.pop(key, None)
    shown = {k: portable_text(v, aliases) if isinstance(v, str) else v
             for k, v in (meta.get("parameters", {}) if shown is None else shown).items()}
    if "parameters" in meta:
        meta["parameters"] = shown
    if meta.get("input_path"):
        meta["input_path"] = portable_text(str(meta["input_path"]), aliases)
    if meta.get("output_path"):
        meta["output_path"] = notebook or portable_text(str(meta["output_path"]), aliases)
    language = nb.metadata.get("kernelspec", {}).get("language", "python")
    for i, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        for key in TIMING_KEYS:
            cell.metadata.get("papermill", {}).pop(key, None)
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags:
            cell.source = translate_parameters(KERNEL, language, shown,
                                               SHOWN_COMMENT.replace("\n", "\n# ")).rstrip("\n")
        if "injected-parameters" in tags or "papermill-error-cell-tag" in tags:
            cell.id = f"{tags[0]}-{i}"   # papermill gives the cells it adds a random id
        if "outputs" in cell:
            cell.outputs = _coalesce_streams(cell.outputs)
            for output in cell.outputs:
                _portable_output(output, aliases)
    nbformat.write(nb, str(path))


def _coalesce_streams(outputs: list) -> list:
    """Join consecutive outputs of the same stream (where a kernel splits printed text depends on timing)."""
    joined = []
    for output in outputs:
        previous = joined[-1] if joined else None
        if (output.get("output_type") == "stream" and previous is not None
                and previous.get("output_type") == "stream" and previous.get("name") == output.get("name")):
            previous["text"] = previous["text"] + output["text"]
        else:
            joined.append(output)
    return joined


def run(data_dir, out_dir=None, jobs: int = 2, timeout: int = DEFAULT_TIMEOUT, extra=None, only=None,
        force: bool = False, fresh_kernels: bool = False, log=print, pool=None, allow_foreign: bool = False) -> dict:
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
    force : bool
        Execute every notebook even when its inputs (notebook, lib, data, parameters) are unchanged since
        the last successful run and its outputs are intact (otherwise those are skipped).
    fresh_kernels : bool
        Start a new kernel for every notebook, as papermill alone does, instead of reusing one kernel per
        worker (slower; the outputs are the same bytes).
    log : callable
        Where the progress lines go.
    pool : concurrent.futures.ProcessPoolExecutor, optional
        Workers from :func:`worker_pool` to execute the notebooks with (``jobs`` is then not used), left
        running at the end. Default: workers started for this run, writing their logs beside its
        executed notebooks (their kernels' connection files in its staging folder), and shut down at its
        end; an interrupted run (Ctrl-C, SIGTERM) stops them at once.
    allow_foreign : bool
        Write into an OUT that holds files no run wrote (they are never changed or deleted); without it such
        an OUT is refused (:mod:`msc_frailty.publish`).

    Returns
    -------
    dict
        Summary: basis, studies, notebooks, output folders.

    Raises
    ------
    DataError, ParameterError
        Before anything is written.
    msc_frailty.publish.PublishError
        OUT refused (:func:`msc_frailty.publish.check_destination`, files no run wrote), or a file that could
        not be written (:class:`msc_frailty.publish.WriteError`: the file and the reason).
    RuntimeError
        When a notebook failed; nothing was published.
    """
    data = resolve(data_dir)
    extra = dict(extra or {})
    records = extra.get("records", "observed")   # the notebooks' ANL01FL/DTYPE rule, validated the same way
    if records not in RECORD_RULES:
        raise ParameterError(f"records must be one of {list(RECORD_RULES)}, got {records!r}")
    trial = load_trial(data, records=records)     # raises DataError before anything is touched (also unsafe names)
    check_destination(trial.basis, out_dir, data)
    clash = sorted(set(extra) & set(REQUIRED_PARAMETERS))
    if clash:
        raise ParameterError(f"set {clash} with --data/--out, not as extra parameters")
    sources = [p for p in notebooks() if only is None or p.stem in only]
    if only:
        missing = sorted(set(only) - {p.stem for p in sources})
        if missing:
            raise ParameterError(f"no such notebook(s): {missing}")
    if not sources:
        raise ParameterError(f"no notebooks to run: {NOTEBOOKS} holds no notebook (*.ipynb); nothing was changed")
    for src in sources:
        check_parameters(src, {**{k: None for k in REQUIRED_PARAMETERS}, **extra})
    if only and out_dir is None:
        raise ParameterError("--notebook runs only some notebooks: give --out so that the repository's complete "
                             "figures/ and results/ are not replaced by a partial set")

    # where the outputs go, and the run's hold on it: lock, a publish a killed run left completed, files no run
    # wrote refused, a marked staging folder (msc_frailty.publish)
    dest = publish.destination(out_dir)
    with publish.Session(dest, allow_foreign=allow_foreign, log=log) as session:
        workers, futures = {}, []
        try:
            summary = _run_and_publish(session, trial, data, out_dir, sources, extra, force, jobs, timeout,
                                       fresh_kernels, log, pool, workers, futures)
        except BaseException as exc:
            if "pool" in workers and pool is None:   # an interrupt or an error: the workers and their kernels, now
                stop_workers(workers.pop("pool"))
            if isinstance(exc, KeyboardInterrupt):
                exc.published = session.committed
            raise
        finally:
            if "pool" in workers and pool is None:
                workers.pop("pool").shutdown(cancel_futures=True)
            for future in futures:   # a shared pool: what this run queued and no longer waits for
                future.cancel()
    # leaving the session removed the staging folder, and with it the kernels' connection files
    if not summary.pop("current", False):
        log(f"done ({summary['ran']} executed): figures in {summary['figures']}, results in {summary['results']}, "
            f"executed notebooks in {summary['notebooks']}")
    return summary


def _run_and_publish(session, trial, data, out_dir, sources, extra, force, jobs, timeout, fresh_kernels, log, pool,
                     workers, futures) -> dict:
    """The body of :func:`run` inside its publishing session: execute what is not current into the session's
    staging folder, assemble the new tree there, publish it (:meth:`msc_frailty.publish.Session.commit`). The
    workers it starts go into ``workers["pool"]``, the futures it queues into ``futures``."""
    places = {top: session.dest.places[top] for top in ("figures", "results", "notebooks")}
    staging, cache_path = session.path, session.dest.state / "runner-cache.json"
    cache = _read_cache(cache_path) if not force else {}
    common = {"lib": _lib_digest(), "data": data_digest(data), "published": _published_digest(),
              "parameters": extra}

    def final(rel: str) -> Path:
        top, _, rest = rel.partition("/")
        return places[top] / rest

    def job(src, study, extra_key=None):
        exec_id = names.check_component(f"{study}__{src.stem}", "execution id")  # study checked, belt and braces
        # the executed notebook shows output_dir as the place its outputs are published to (portable_notebook)
        aliases, shown = path_aliases(data, out_dir), shown_parameters(data, out_dir)
        params = Injected({"data_dir": injected_data_dir(data), "output_dir": str(staging / exec_id), "study": study,
                           **extra},
                          shown={**shown, "study": study, **extra},
                          aliases=[(str(staging / exec_id), shown["output_dir"]), *aliases],
                          notebook=portable_text(str(places["notebooks"] / study / src.name), aliases))
        key = _sha256_text(json.dumps({**common, "notebook": file_digest(src), "study": study,
                                       "upstream": extra_key}, sort_keys=True))
        return {"id": exec_id, "src": src, "study": study, "key": key, "params": params,
                "dst": staging / "notebooks" / study / src.name, "rel_nb": f"notebooks/{study}/{src.name}"}

    def current(j) -> bool:
        """Up to date: same inputs as the last successful run and every output still as it was written."""
        entry = cache.get(j["id"])
        if not entry or entry["key"] != j["key"]:
            return False
        return all(final(rel).is_file() and file_digest(final(rel)) == h
                   for rel, h in {**entry["outputs"], j["rel_nb"]: entry["notebook"]}.items())

    scopes = {src: scope_of(src) for src in sources}
    after_studies = {src: scopes[src] == "dataset" and uses_study_results(src) for src in sources}
    independent = [job(src, "all") for src in sources if scopes[src] == "dataset" and not after_studies[src]]
    study_jobs = [job(src, study) for study in trial.studies for src in sources if scopes[src] == "study"]
    # the data-set notebooks that read only the published record need nothing from the others: the first
    # queues behind the per-study notebooks, where it runs beside the data-set notebooks that must wait for
    # those (the scorecard) instead of leaving a worker idle at the end; the others run first
    per_study = independent[1:] + study_jobs + independent[:1]
    total = len(per_study) + sum(after_studies.values())
    if total == 0:
        raise ParameterError("no notebook executions: the data set has no study and no notebook runs once per data "
                             "set; nothing was changed")
    log(f"{total} notebook executions for {len(trial.studies)} studies on {trial.basis} data {data}, "
        + ("on the workers given" if pool is not None else f"{jobs} at a time"))
    outputs, failures, ran, done = {}, [], 0, 0

    def submit(batch) -> list:
        """Skip the current jobs of ``batch``, queue the others in the pool; [(job, future)] in order."""
        nonlocal done
        todo = []
        for j in batch:
            if current(j):
                done += 1
                outputs[j["id"]] = (cache[j["id"]]["outputs"], None)
                log(f"[{done}/{total}] {j['src'].stem:<22} {j['study']:<14} {'skipped':<7} (inputs unchanged)")
            else:
                with publish.writing(j["dst"].parent):
                    j["dst"].parent.mkdir(parents=True, exist_ok=True)
                todo.append(j)
        if todo and "pool" not in workers:
            # one pool (so one kernel per worker) for the per-study and the data-set notebooks; the kernels'
            # connection files (which hold their keys) in the staging folder, removed with it
            workers["pool"] = pool or worker_pool(min(jobs, len(todo)), staging / "notebooks" / "logs",
                                                  not fresh_kernels, runtime_dir=staging / "kernels")
        queued = [(j, workers["pool"].submit(_execute, (j["src"], j["dst"], j["params"], timeout, not fresh_kernels)))
                  for j in todo]
        futures.extend(f for _, f in queued)
        return queued

    def collect(queued):
        nonlocal ran, done
        for j, future in queued:
            name, study, seconds, err = future.result()
            done += 1
            ran += 1
            log(f"[{done}/{total}] {name:<22} {study:<14} {'FAILED' if err else 'ok':<7} {seconds:6.1f} s"
                + (f"  {err}" if err else ""))
            if err:
                failures.append((name, study, err))
            else:
                outputs[j["id"]] = (_collect(staging / j["id"], j.get("seeded", set())), j)

    queued = submit(per_study)
    ids = {j["id"] for j in study_jobs}
    collect([q for q in queued if q[0]["id"] in ids])
    # the other data-set notebooks (the scorecard) read every per-study part, so they run after them
    # and depend on their content
    parts = {rel: final(rel) if job_ is None else staging / job_["id"] / rel
             for rel_map, job_ in (outputs[i] for i in sorted(ids) if i in outputs)
             for rel in rel_map if rel.startswith("results/parts/")}
    upstream = _sha256_text(json.dumps({rel: file_digest(p) for rel, p in sorted(parts.items())}))
    per_dataset = [job(src, "all", upstream) for src in sources if after_studies[src]]
    for j in per_dataset:
        seed = staging / j["id"]
        for rel, path in parts.items():
            publish.copy_file(path, seed / rel)
        j["seeded"] = set(parts)
        if parts:
            combine_estimates(seed)
    last = submit(per_dataset) if not failures else []
    collect([q for q in queued if q[0]["id"] not in ids] + last)
    if "pool" in workers and pool is None:
        workers.pop("pool").shutdown()   # the workers shut their kernels down
    if failures:
        # the executed copies of the failed notebooks, for reading: recorded as the run's, so the next
        # successful run removes them
        failed = session.dest.places["failed"]
        session.keep({f"failed/{study}__{name}.ipynb": staging / "notebooks" / study / f"{name}.ipynb"
                      for name, study, _ in failures if (staging / "notebooks" / study / f"{name}.ipynb").is_file()})
        name, study, err = failures[0]
        raise RuntimeError(f"{len(failures)} notebook execution(s) failed, first {name} ({study}): {err}. Executed "
                           f"copies in {failed}; nothing was published: figures/ and results/ are as they were")
    summary = {
        "package_version": __version__,
        "basis": trial.basis,
        "data_dir": injected_data_dir(data),
        "studies": trial.studies,
        "notebooks": [p.stem for p in sources],
        "parameters": extra,
    }
    run_json = json.dumps(summary, indent=2, sort_keys=True) + "\n"
    if ran == 0 and final("results/run.json").is_file() and final("results/run.json").read_text() == run_json:
        log("nothing changed: figures and results are current")
        return {**summary, **{k: str(v) for k, v in places.items()}, "ran": 0, "current": True}

    # assemble the complete new tree in the staging folder, then publish it all at once
    tree = staging / "final"
    for top in places:
        with publish.writing(tree / top):
            (tree / top).mkdir(parents=True, exist_ok=True)
    from .captions import figure_basis

    new_cache, manifest, stamped, commit = {}, [], {}, _inputs_commit()
    for j in per_study + per_dataset:
        rel_map, ran_job = outputs[j["id"]]
        base = (lambda rel: staging / j["id"] / rel) if ran_job else final
        for rel in rel_map:
            publish.copy_file(base(rel), tree / rel)
        publish.copy_file(j["dst"] if ran_job else final(j["rel_nb"]), tree / j["rel_nb"])
        new_cache[j["id"]] = {"key": j["key"], "outputs": rel_map,
                              "notebook": file_digest(tree / j["rel_nb"])}
        params = {k: v for k, v in j["params"].items() if k not in ("data_dir", "output_dir")}
        for rel in sorted(rel_map):
            if rel.startswith("figures/"):
                # the basis stamped on the figure (read once for its three files): "published" for the
                # figures of published summaries, whatever the data set's basis
                svg = tree / Path(rel).with_suffix(".svg")
                if svg not in stamped:
                    stamped[svg] = figure_basis(svg, trial.basis)
                manifest.append({"figure": rel, "notebook": f"notebooks/{j['src'].name}",
                                 "parameters": json.dumps(params, sort_keys=True), "basis": stamped[svg],
                                 "data_sha256": common["data"], "inputs_sha256": j["key"],
                                 "figure_sha256": rel_map[rel], "package_version": __version__,
                                 "commit": commit})
    logs = staging / "notebooks" / "logs"
    if logs.is_dir():   # the kernels' stderr, for this run's executions
        for path in sorted(logs.iterdir()):
            publish.copy_file(path, tree / "notebooks" / "logs" / path.name)
    combine_estimates(tree)
    publish.write_text(tree / "results" / "run.json", run_json)
    write_manifest(manifest, tree / "figures" / "MANIFEST.csv")
    # what a manuscript cites: captions beside the manifest, named values from the final estimates/scorecard
    from .manuscript import write_captions
    from .numbers import write_numbers
    write_captions(tree / "figures")
    write_numbers(tree / "results")
    session.commit(tree)
    try:
        _write_cache(cache_path, new_cache)
    except (OSError, publish.WriteError) as err:   # published; only the next run's skipping is lost
        log(f"warning: could not write {cache_path} ({err}); the next run executes every notebook again")
    return {**summary, **{k: str(v) for k, v in places.items()}, "ran": ran}


# --- inputs, outputs and provenance ---------------------------------------------------------------

MANIFEST_COLUMNS = ["figure", "notebook", "parameters", "basis", "data_sha256", "inputs_sha256", "figure_sha256",
                    "package_version", "commit"]


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _tree_digest(paths, root) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(str(Path(p).relative_to(root)).encode() + b"\0" + Path(p).read_bytes() + b"\0")
    return h.hexdigest()


def data_digest(folder) -> str:
    """sha256 over the data set's files (names and bytes): its three tables in whichever form
    (:func:`msc_frailty.data.table_paths`) and ``params.csv`` and ``studies.csv`` when there are."""
    folder = resolve(folder)
    files = list(table_paths(folder).values()) + [p for p in [folder / "params.csv", folder / "studies.csv"]
                                                  if p.is_file()]
    return _tree_digest(files, folder)


def _lib_digest() -> str:
    files = list((ROOT / "lib" / "msc_frailty").glob("*.py")) + [ROOT / "requirements.txt", ROOT / "constraints.txt"]
    return _tree_digest([f for f in files if f.exists()], ROOT)


def _published_digest() -> str:
    folder = ROOT / "data" / "published"
    return _tree_digest(folder.rglob("*.csv"), folder)     # with the named assumptions of its assumptions/


def _collect(folder: Path, seeded: set) -> dict:
    """{relative path: sha256} of what one execution wrote (its estimates.csv is rebuilt by the runner)."""
    out = {}
    for top in ("figures", "results"):
        for p in sorted((folder / top).rglob("*")):
            rel = str(p.relative_to(folder))
            if p.is_file() and rel != "results/estimates.csv" and rel not in seeded:
                out[rel] = file_digest(p)
    return out


def _inputs_commit() -> str:
    """The last commit that changed the inputs (lib, notebooks, data, pins); "+dirty" when they have
    uncommitted changes; "unknown" outside a git checkout. Commit code first, then `make reproduce`."""
    import subprocess

    paths = ["lib", "notebooks", "data", "requirements.txt", "constraints.txt"]
    try:
        sha = subprocess.run(["git", "log", "-1", "--format=%H", "--", *paths], cwd=ROOT, capture_output=True,
                             text=True, timeout=20).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", *paths], cwd=ROOT, capture_output=True,
                               text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (sha or "unknown") + ("+dirty" if dirty else "")


def write_manifest(rows: list[dict], path: Path):
    """figures/MANIFEST.csv: one line per figure file with what made it and the hashes of its inputs (text cells
    that a spreadsheet would run as a formula escaped, as in every CSV of the collection)."""
    import csv

    with publish.replacing(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
        w.writeheader()
        for r in sorted(rows, key=lambda r: r["figure"]):
            w.writerow({k: names.escape_cell(v) for k, v in r.items()})


def _read_cache(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _write_cache(path: Path, cache: dict):
    publish.write_text(path, json.dumps(cache, indent=1, sort_keys=True))


def _parse_param(text: str):
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    name, value = text.split("=", 1)
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name, value


def main(argv=None, pool=None) -> int:
    """The command line (``python -m msc_frailty.runner --help``); returns the exit status. ``pool``: as in
    :func:`run`."""
    parser = argparse.ArgumentParser(description="Run every notebook on a data set (contract section 2).")
    parser.add_argument("--data", default="data/synthetic", help="data set folder (contract layout)")
    parser.add_argument("--out", default=None, help="output folder (default: the repository's figures/ and results/)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks executed at once (default 2)")
    parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT, help="seconds per cell (default 600)")
    parser.add_argument("--notebook", action="append", dest="only", help="run only this notebook (repeatable)")
    parser.add_argument("--force", action="store_true", help="execute every notebook, even unchanged ones")
    parser.add_argument("--fresh-kernels", action="store_true",
                        help="a new kernel for every notebook instead of one reused kernel per worker (slower)")
    parser.add_argument("-p", "--parameter", action="append", type=_parse_param, default=[],
                        help="extra notebook parameter NAME=VALUE (must exist in every notebook)")
    parser.add_argument(publish.ALLOW_FLAG, action="store_true", dest="allow_foreign",
                        help="write into an OUT that holds files no run wrote (they are never changed or deleted)")
    args = parser.parse_args(argv)
    try:
        with publish.interruptible():   # SIGTERM cleans up as Ctrl-C does
            run(args.data, args.out, jobs=args.jobs, timeout=args.timeout, extra=dict(args.parameter),
                only=args.only, force=args.force, fresh_kernels=args.fresh_kernels, pool=pool,
                allow_foreign=args.allow_foreign)
    except DataError as err:
        print(f"data error: {err}", file=sys.stderr)
        return 1
    except (ParameterError, RuntimeError) as err:   # publish.PublishError (OUT refused, a file not written) too
        print(f"error: {err}", file=sys.stderr)
        return 1
    except OSError as err:   # a write no writer named (a full disk, no permission): the file and the reason
        print(f"error: {publish.describe(err)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as err:
        where = "the repository's figures/ and results/" if args.out is None else f"OUT {args.out}"
        print(f"interrupted ({str(err) or 'Ctrl-C'}): " + (
            f"the run's outputs had begun to be published and were published completely in {where}"
            if getattr(err, "published", False) else f"nothing was published; {where} is as it was")
            + "; its staging folder and kernels are gone", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
