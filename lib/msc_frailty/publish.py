"""Publishing a run's outputs into OUT: the user's folder, changed only where runs wrote, and all at once.

A run writes everything into a staging folder first; this module decides where outputs may go, and puts a
finished run's files in place. It knows nothing of notebooks or of how the files were made (the runner today,
a workflow manager tomorrow), only of the folders.

Rules
-----
- **Where.** The default run (the embedded ``data/synthetic``, no OUT) publishes into the repository's
  ``figures/`` and ``results/`` and ``build/notebooks/``; any other data set needs an OUT. OUT may not be the
  repository, contain it, or lie inside it outside ``private/`` and ``build/`` (:func:`check_destination`).
  The basis a data set declares (``synthetic``) is a flag in its files, not a licence: only the embedded
  default may write the tracked folders.
- **Whose files.** ``<OUT>/.msc-frailty/record.json`` lists every file the published runs wrote, paths
  relative to OUT (``figures/...``, ``results/...``, ``notebooks/...``, ``failed/...``). A run replaces or
  removes only files on that list. Any other file in OUT is the user's (foreign): a run refuses an OUT holding
  one unless asked (``allow_foreign=True``: ``--allow-foreign-files``, ``make reproduce ...
  ALLOW_FOREIGN_FILES=1``), and even then never changes, replaces or deletes it; a foreign file where the run
  would write one is always refused. The default run also counts as its own the files git tracks in
  ``figures/`` and ``results/`` (committed outputs of earlier runs) and everything in ``build/notebooks`` and
  ``build/failed``.
- **One run at a time** per OUT (a lock, released by the system even when the process is killed).

All or nothing
--------------
The state of OUT lives in ``<OUT>/.msc-frailty/`` (default run: ``build/.msc-frailty/``): ``record.json``,
``lock``, ``journal.json`` while a publish is applied, and the staging folders ``staging-<8 hex>/`` (each
marked by the file :data:`MARKER`). A publish (:meth:`Session.commit`) is a journalled commit:

1. The run's complete new tree is in the staging folder (``figures/``, ``results/``, ``notebooks/``, same
   file system as OUT). Paths where a foreign file stands are refused before anything moves.
2. ``journal.json`` is written atomically (temporary file, fsync, rename): the new paths and the recorded
   paths to remove. From here the publish is decided.
3. With SIGINT and SIGTERM held back, each file to replace or remove is moved (renamed) into the staging
   folder's ``replaced/``, and each new file renamed into place.
4. ``record.json`` is rewritten, then the journal and the staging folder are removed.

A process killed (SIGKILL, a crash) before step 2 leaves OUT untouched, and after it a journal:
the next run (:meth:`Session.__enter__`, or :func:`recover`) completes the publish from it, every new file
being either still in staging or already in place. An error during step 3 (a file that cannot be moved)
moves everything back (``replaced/`` holds the old files) and is reported; a journal left while undoing is
undone by the next run the same way. So OUT holds the old outputs or the new ones, never a mix, once any
run has started after the failure. Ctrl-C and SIGTERM wait for step 3 to end. After a power cut the journal
and the record are there (written with fsync), but the moved files are only as durable as the file system
makes a rename (they are not synced one by one, which would cost seconds per run).

Leftovers: the staging folder (which also holds the connection files of the run's kernels, with their keys)
is removed when the run ends, fails or is interrupted (SIGINT, SIGTERM: :func:`interruptible`); one left by a
killed run is removed by the next run that takes the lock, only when it carries the marker.

Writing
-------
Every file is written to a temporary file beside it and renamed (:func:`replacing`), created with mode
0666 less the umask (0644 usually, like the figures; :func:`tempfile.mkstemp` would give 0600). An ``OSError``
while writing (no space left, permission denied, read-only file system, quota) becomes a :class:`WriteError`
naming the file and the reason, which the runner prints without a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .paths import BUILD, DEFAULT_DATA, FIGURES, PRIVATE, RESULTS, ROOT, resolve

#: The folder of OUT (and of ``build/`` for the default run) holding the record, journal, lock and staging.
STATE = ".msc-frailty"
#: The file that marks a staging folder as made by a run of this collection (only such folders are removed).
MARKER = ".msc-frailty-staging"
RECORD, JOURNAL, LOCK = "record.json", "journal.json", "lock"
#: The folders of OUT a run writes, by name (the first part of every recorded path).
PLACES = ("figures", "results", "notebooks", "failed")
#: Files an operating system's file browser leaves behind: never foreign, never touched.
SYSTEM_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
#: How many foreign files a refusal names.
SHOWN = 8
#: The command-line flag and make variable that allow foreign files in OUT.
ALLOW_FLAG, ALLOW_MAKE = "--allow-foreign-files", "ALLOW_FOREIGN_FILES=1"

_REASONS = {errno.ENOSPC: "no space left on device", errno.EACCES: "permission denied",
            errno.EPERM: "permission denied", errno.EROFS: "read-only file system",
            errno.EDQUOT: "disk quota exceeded", errno.ENAMETOOLONG: "file name too long"}


class PublishError(RuntimeError):
    """Outputs cannot be published where asked (the message says why and what to do)."""


class DestinationError(PublishError, ValueError):
    """OUT is not a place a run may write to, or holds files no run made."""


class WriteError(PublishError):
    """A file could not be written: ``path`` and the ``reason`` (no space left, permission denied, ...)."""

    def __init__(self, path, err: OSError):
        self.path, self.errno = Path(path), err.errno
        self.reason = reason(err)
        super().__init__(f"cannot write {self.path}: {self.reason}")


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised as an exception so that clean-up runs (:func:`interruptible`)."""


def reason(err: OSError) -> str:
    """Why writing failed, in words: ``"no space left on device"``, ``"permission denied"``, ...

    Examples
    --------
    >>> reason(OSError(errno.ENOSPC, "No space left on device"))
    'no space left on device'
    """
    return _REASONS.get(err.errno) or (err.strerror or str(err)).lower()


def describe(err: OSError) -> str:
    """An OSError as one line naming the file: ``cannot write <file>: <reason>``."""
    where = err.filename2 if err.filename2 is not None else err.filename
    return f"cannot write {where}: {reason(err)}" if where is not None else f"cannot write: {reason(err)}"


@contextlib.contextmanager
def writing(path):
    """Turn an OSError raised inside the block into a :class:`WriteError` naming ``path``."""
    try:
        yield
    except WriteError:
        raise
    except OSError as err:
        raise WriteError(path, err) from None


def _new_file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def replacing(path):
    """Write ``path`` atomically: yields a new empty temporary file beside it (mode 0666 less the umask) to
    write; renamed over ``path`` when the block ends, removed when it fails. OSError: :class:`WriteError`.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with replacing(folder / "a.csv") as tmp:
    ...     _ = tmp.write_text("x\\n")
    >>> (folder / "a.csv").read_text(), sorted(p.name for p in folder.iterdir())
    ('x\\n', ['a.csv'])
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        with writing(path):
            yield tmp
            os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_text(path, text: str) -> Path:
    """Write ``text`` (UTF-8, as given) to ``path`` atomically (:func:`replacing`)."""
    with replacing(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    return Path(path)


def copy_file(src, dst) -> Path:
    """Copy ``src`` to ``dst`` (contents and times; mode 0666 less the umask); OSError: :class:`WriteError`."""
    with replacing(dst) as tmp:
        shutil.copyfile(src, tmp)
        shutil.copystat(src, tmp)
        os.chmod(tmp, _new_file_mode())
    return Path(dst)


def _fsync_dir(folder: Path):
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_json(path: Path, doc: dict):
    """Write a state file durably: temporary file, fsync, rename, fsync of the folder."""
    with replacing(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1, sort_keys=True)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
    _fsync_dir(path.parent)


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        raise PublishError(f"{path} is unreadable ({err}): it records which files of the folder runs wrote; "
                           "restore it or remove the folder's outputs by hand") from None


# --- where outputs may go -------------------------------------------------------------------------------

def _real(path) -> Path:
    return Path(os.path.realpath(resolve(path)))


def check_destination(basis: str, out_dir, data_dir=None) -> None:
    """Refuse an output folder a run may not write to, before anything is written.

    - Without OUT (``out_dir`` None) a run writes the repository's ``figures/`` and ``results/``: only the
      embedded default data set (``data/synthetic``) may, whatever basis another data set declares.
    - OUT may not be the repository, contain it, or lie inside it anywhere but under ``private/`` (ignored by
      git) or ``build/`` (except where the default run writes: ``build/notebooks``, ``build/failed``,
      ``build/.msc-frailty``). Folders are compared after resolving symbolic links.

    Parameters
    ----------
    basis : str
        The data set's basis (``synthetic`` or ``supplied``); named in the messages.
    out_dir : str or Path or None
        OUT, or None for the repository's own folders.
    data_dir : str or Path, optional
        The data set (default: the embedded default).

    Raises
    ------
    DestinationError
        Saying why and where outputs may go instead.
    """
    data = _real(DEFAULT_DATA if data_dir is None else data_dir)
    root = Path(os.path.realpath(ROOT))
    private, build = Path(os.path.realpath(PRIVATE)), Path(os.path.realpath(BUILD))
    if out_dir is None:
        if basis == "supplied":
            raise DestinationError("this data set is supplied (not the synthetic default): give OUT=<folder> outside "
                                   "the repository or under private/; figures/ and results/ are for the default data")
        if data != _real(DEFAULT_DATA):
            raise DestinationError(f"{data} is not the embedded default data set (data/synthetic): give OUT=<folder> "
                                   "outside the repository or under private/; the repository's figures/ and results/ "
                                   f"hold the default run only, whatever basis a data set declares ({basis})")
        return
    out = _real(out_dir)
    if out == root or root.is_relative_to(out):
        raise DestinationError(f"refusing OUT={out}: it {'is' if out == root else 'contains'} the repository, whose "
                               "notebooks, code and data a run must not touch; use a folder under private/ or "
                               "outside the repository")
    default_places = [build / "notebooks", build / "failed", build / STATE]
    if out.is_relative_to(root):
        overlaps = out == build or any(out.is_relative_to(p) for p in default_places)
        if overlaps or not (out.is_relative_to(private) or out.is_relative_to(build)):
            raise DestinationError(
                f"refusing to write outputs of {basis} data to {out}, "
                + ("where the default run writes" if overlaps else "a tracked folder of the repository")
                + f"; use a folder under {private} (ignored by git) or outside the repository")
    if out.exists() and not out.is_dir():
        raise DestinationError(f"OUT={out} is a file, not a folder")


# --- the destination and its state --------------------------------------------------------------------

@dataclass(frozen=True)
class Destination:
    """Where a run publishes: ``places`` (name -> folder: figures, results, notebooks, failed), ``state`` (the
    folder of record, journal, lock and staging), ``out`` (OUT, scanned whole for foreign files; None for the
    default run, whose places are scanned)."""

    places: dict
    state: Path
    out: Path | None = None
    default: bool = field(default=False)

    def path(self, rel: str) -> Path:
        """The file a recorded path (``figures/S/a.png``) stands for."""
        top, _, rest = rel.partition("/")
        if top not in self.places or not rest:
            raise PublishError(f"{rel!r} is not a path under {sorted(self.places)}")
        return self.places[top] / rest

    def shown(self) -> str:
        return str(self.out) if self.out is not None else "the repository's figures/, results/ and build/notebooks/"


def destination(out_dir=None) -> Destination:
    """The :class:`Destination` of a run into OUT, or of the default run (``out_dir`` None)."""
    if out_dir is None:
        return Destination({"figures": FIGURES, "results": RESULTS, "notebooks": BUILD / "notebooks",
                            "failed": BUILD / "failed"}, BUILD / STATE, None, True)
    out = Path(os.path.abspath(resolve(out_dir)))
    return Destination({p: out / p for p in PLACES}, out / STATE, out, False)


def read_record(dest: Destination) -> set[str]:
    """The paths the published runs wrote (relative, ``figures/...``); empty before the first publish."""
    doc = _read_json(dest.state / RECORD)
    return set(doc["files"]) if doc else set()


def _tracked(dest: Destination) -> set[str]:
    """The default run's own files besides its record: what git tracks in figures/ and results/ (outputs of
    earlier runs, committed), and everything in build/notebooks and build/failed (only runs write there)."""
    if not dest.default:
        return set()
    own = set()
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--", "figures", "results"], cwd=ROOT, capture_output=True,
                                timeout=60)
        if listed.returncode == 0:
            own = {p for p in listed.stdout.decode("utf-8", "surrogateescape").split("\0") if p}
    except (OSError, subprocess.SubprocessError):
        pass
    for top in ("notebooks", "failed"):
        own |= {f"{top}/{rel}" for rel in _files(dest.places[top])}
    return own


def _files(folder: Path, skip=None):
    """Relative paths (POSIX) of every file and symbolic link under ``folder`` (links not followed), except
    :data:`SYSTEM_FILES` and the folder ``skip``."""
    if not folder.is_dir():
        return
    for base, dirs, names in os.walk(folder):
        here = Path(base)
        if skip is not None:
            dirs[:] = [d for d in dirs if here / d != skip]
        for d in list(dirs):
            if (here / d).is_symlink():
                names.append(d)
                dirs.remove(d)
        for name in names:
            if name not in SYSTEM_FILES:
                yield (here / name).relative_to(folder).as_posix()


def foreign_files(dest: Destination, owned: set[str], limit: int | None = None) -> list[str]:
    """Files in OUT (the default run: in its places) that no run wrote, relative to OUT (the default run: to its
    place name), sorted; at most ``limit`` when given (the scan stops there)."""
    found = []
    if dest.out is not None:
        candidates = _files(dest.out, skip=dest.state)   # relative to OUT, as recorded paths are
    else:
        candidates = (f"{top}/{rel}" for top, folder in dest.places.items() for rel in _files(folder))
    for rel in candidates:
        if rel not in owned:
            found.append(rel)
            if limit is not None and len(found) >= limit:
                break
    return sorted(found)


# --- the run's session: lock, recovery, staging, commit --------------------------------------------------

#: A test hook: called with the name of each step of a commit (``journal``, ``replace <path>``, ...).
_STEP = None


def _step(name: str):
    if _STEP is not None:
        _STEP(name)


@contextlib.contextmanager
def _signal_handlers(signals, handler):
    """``handler`` for ``signals`` inside the block, the previous handlers (yielded) back after it. Outside the
    main thread nothing changes (signals are handled in the main thread)."""
    previous = {}
    try:
        for sig in signals:
            previous[sig] = signal.signal(sig, handler)
    except ValueError:
        pass
    try:
        yield previous
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextlib.contextmanager
def _deferred_signals():
    """Hold SIGINT, SIGTERM and SIGHUP back inside the block, then deliver the first one that came."""
    caught, previous = [], {}
    try:
        with _signal_handlers((signal.SIGINT, signal.SIGTERM, signal.SIGHUP),
                              lambda signum, frame: caught.append(signum)) as previous:
            yield
    finally:
        handler = previous.get(caught[0]) if caught else signal.SIG_IGN
        if callable(handler):
            handler(caught[0], None)
        elif handler == signal.SIG_DFL:
            if caught[0] == signal.SIGINT:
                raise KeyboardInterrupt
            raise Interrupted(f"signal {signal.Signals(caught[0]).name}")


@contextlib.contextmanager
def interruptible():
    """Inside the block SIGTERM and SIGHUP raise :class:`Interrupted` (a KeyboardInterrupt, as Ctrl-C does),
    so that ``finally`` clauses clean up (staging folders, kernels) before the process ends."""
    def raise_interrupted(signum, frame):
        raise Interrupted(f"signal {signal.Signals(signum).name}")

    with _signal_handlers((signal.SIGTERM, signal.SIGHUP), raise_interrupted):
        yield


def _move(src: Path, dst: Path):
    dst.parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, dst)


def _prune(dest: Destination, rels):
    """Remove the folders left empty above ``rels``, up to the places (``figures/``, ``failed/``, ...)."""
    tops = {p.parent for p in dest.places.values()}
    for rel in sorted(rels, key=lambda r: -r.count("/")):
        folder = dest.path(rel).parent
        while folder not in tops and folder.is_dir():
            try:
                folder.rmdir()
            except OSError:
                break
            folder = folder.parent


def _apply(dest: Destination, stage: Path, tree: Path, new: list[str], remove: list[str], forward: bool):
    """Move files between the staging folder and OUT, idempotently: forward puts every new file in place and
    moves every replaced or removed file into ``stage/replaced``; backward undoes that. Either may start from
    any state the other left (a process killed half-way)."""
    old = stage / "replaced"
    if forward:
        for rel in new:
            src, dst = tree / rel, dest.path(rel)
            if src.exists() or src.is_symlink():
                if dst.exists() or dst.is_symlink():
                    _move(dst, old / rel)
                    _step(f"replace {rel}")
                _move(src, dst)
                _step(f"install {rel}")
        for rel in remove:
            dst = dest.path(rel)
            if dst.exists() or dst.is_symlink():
                _move(dst, old / rel)
                _step(f"remove {rel}")
        _prune(dest, remove)
    else:
        for rel in remove:
            if (old / rel).exists():
                _move(old / rel, dest.path(rel))
        for rel in new:
            src, dst = tree / rel, dest.path(rel)
            if not (src.exists() or src.is_symlink()) and (dst.exists() or dst.is_symlink()):
                _move(dst, src)
            if (old / rel).exists():
                _move(old / rel, dst)
        _prune(dest, new)


def _finish(dest: Destination, journal: dict):
    """Complete (or undo) the publish a journal describes, then record, drop the journal and the staging."""
    stage = dest.state / journal["staging"]
    tree = stage / journal["tree"]
    forward = journal["phase"] == "apply"
    if not stage.is_dir():
        raise PublishError(f"{dest.state / JOURNAL} describes a publish whose staging folder {stage} is gone, so it "
                           f"can be neither completed nor undone: the outputs in {dest.shown()} may be a mix of two "
                           "runs. Remove them (and the journal) and run again.")
    with _deferred_signals():
        _apply(dest, stage, tree, journal["new"], journal["remove"], forward)
        _write_json(dest.state / RECORD, {"files": sorted(journal["new"] if forward else journal["recorded"])})
        if forward:
            _step("record")
        (dest.state / JOURNAL).unlink()
        _step("journal removed")
    shutil.rmtree(stage, ignore_errors=True)


def _remove_tree(folder: Path, tries: int = 20, wait: float = 0.25):
    """Remove a staging folder, trying again for a few seconds while a process that is being stopped (a kernel
    starting as its run was interrupted) still writes into it; what then remains, the next run removes."""
    import time

    for _ in range(tries):
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            return
        time.sleep(wait)


def recover(dest: Destination) -> str | None:
    """Complete or undo a publish a killed run left (its journal), and remove stale marked staging folders.

    Call with the lock held (:class:`Session` does). Returns what was done (``"completed"``, ``"undone"``) or
    None when there was nothing to do.
    """
    journal = _read_json(dest.state / JOURNAL)
    done = None
    if journal is not None:
        with writing(dest.state / JOURNAL):
            _finish(dest, journal)
        done = "completed" if journal["phase"] == "apply" else "undone"
    if dest.state.is_dir():
        for folder in dest.state.glob("staging-*"):
            if folder.is_dir() and not folder.is_symlink() and (folder / MARKER).is_file():
                shutil.rmtree(folder, ignore_errors=True)
        for tmp in dest.state.glob(".*.tmp"):   # a state file being written when the process was killed
            tmp.unlink(missing_ok=True)
    return done


class Session:
    """One run's hold on a destination: ``with Session(dest) as s:`` takes the lock, completes or undoes what a
    killed run left (:func:`recover`), refuses foreign files unless ``allow_foreign``, and makes a marked
    staging folder ``s.path``; the run writes there, then :meth:`commit` publishes a tree of it. Leaving the
    block (normally, on an error, on Ctrl-C or SIGTERM inside :func:`interruptible`) removes the staging folder
    and releases the lock.

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "out"
    >>> with Session(destination(out)) as s:
    ...     _ = write_text(s.path / "new" / "results" / "a.csv", "x\\n")
    ...     s.commit(s.path / "new")
    >>> (out / "results" / "a.csv").read_text(), sorted(read_record(destination(out)))
    ('x\\n', ['results/a.csv'])
    """

    def __init__(self, dest: Destination, allow_foreign: bool = False, log=None):
        self.dest, self.allow_foreign, self.log = dest, allow_foreign, log or (lambda text: None)
        self.path = None
        self.committed = False
        self._lock = None

    # -- entering and leaving
    def __enter__(self) -> Session:
        state = self.dest.state
        with writing(state):
            state.mkdir(parents=True, exist_ok=True)
            self._lock = open(state / LOCK, "a+")
        try:
            self._take_lock()
            done = recover(self.dest)
            if done:
                self.log(f"completed the publish a stopped run had begun in {self.dest.shown()}" if done == "completed"
                         else f"undid the publish a failed run had begun in {self.dest.shown()}")
            self.owned = read_record(self.dest) | _tracked(self.dest)
            if not self.allow_foreign:
                self._refuse_foreign()
            self.path = state / f"staging-{secrets.token_hex(4)}"
            with writing(self.path):
                self.path.mkdir()
                (self.path / MARKER).write_text(json.dumps({"pid": os.getpid()}) + "\n")
        except BaseException:
            self._release()
            raise
        return self

    def __exit__(self, *exc):
        try:
            # a publish that could not be undone keeps its staging folder: the journal needs it
            if self.path is not None and not (self.dest.state / JOURNAL).exists():
                _remove_tree(self.path)
        finally:
            self._release()
        return False

    def _take_lock(self):
        try:
            import fcntl
        except ImportError:   # no fcntl (Windows): no lock
            return
        try:
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DestinationError(f"another run is writing to {self.dest.shown()} (it holds "
                                   f"{self.dest.state / LOCK}); wait for it to end") from None

    def _release(self):
        if self._lock is not None:
            self._lock.close()   # closing releases the lock
            self._lock = None

    def _refuse_foreign(self):
        found = foreign_files(self.dest, self.owned, limit=SHOWN + 1)
        if found:
            shown = ", ".join(found[:SHOWN]) + (", ..." if len(found) > SHOWN else "")
            where = f"OUT={self.dest.out}" if self.dest.out is not None else self.dest.shown()
            raise DestinationError(
                f"{where} holds files no run of this collection wrote ({shown}). A run never changes or deletes "
                f"them: choose an empty or new folder, or let the run write beside them with {ALLOW_FLAG} "
                f"(make reproduce ... {ALLOW_MAKE}). Files an earlier version of the collection wrote count as "
                "foreign too: delete them, or the folder, to start afresh.")

    # -- publishing
    def commit(self, tree) -> None:
        """Publish ``tree`` (a folder inside :attr:`path` holding ``figures/``, ``results/``, ``notebooks/``, ...):
        afterwards OUT holds exactly its files among those runs wrote (the recorded ones not in it are removed),
        and every other file as it was. All or nothing (module docstring).

        Raises
        ------
        DestinationError
            When a foreign file (or folder) stands where the tree has a file; nothing was changed.
        WriteError
            When a file could not be moved into place; everything was moved back (or, if even that failed, a
            PublishError: the next run undoes it).
        """
        tree = Path(tree)
        if self.path is None or not tree.is_relative_to(self.path):
            raise PublishError(f"commit: {tree} is not inside this run's staging folder")
        new = sorted(f"{top}/{rel}" for top in self.dest.places for rel in _files(tree / top))
        others = sorted(set(_files(tree)) - set(new))
        if others:
            raise PublishError(f"commit: {others[:3]} are not under {sorted(self.dest.places)}")
        recorded = read_record(self.dest)
        owned = recorded | self.owned      # the tracked files were listed when the session began, under this lock
        taken = [rel for rel in new if (self.dest.path(rel).exists() or self.dest.path(rel).is_symlink())
                 and (rel not in owned or self.dest.path(rel).is_dir())]
        if taken:
            shown = ", ".join(str(self.dest.path(r)) for r in taken[:SHOWN]) + (", ..." if len(taken) > SHOWN else "")
            raise DestinationError(f"files no run wrote stand where this run writes ({shown}); they are never "
                                   "replaced: move them away and run again. Nothing was published.")
        remove = sorted((recorded | (owned & self._present(owned))) - set(new))
        journal = {"phase": "apply", "staging": self.path.name, "tree": tree.relative_to(self.path).as_posix(),
                   "new": new, "remove": remove, "recorded": sorted(recorded)}
        with _deferred_signals():   # Ctrl-C and SIGTERM wait for the publish to end
            _write_json(self.dest.state / JOURNAL, journal)
            try:
                _step("journal")
                _apply(self.dest, self.path, tree, new, remove, True)
                _write_json(self.dest.state / RECORD, {"files": new})
                _step("record")
                (self.dest.state / JOURNAL).unlink()
                _step("journal removed")
            except (OSError, WriteError) as err:
                self._undo(journal, err)
            self.committed = True

    def _present(self, owned) -> set[str]:
        """The owned paths that exist (the default run's tracked files, which a new run may drop)."""
        return {rel for rel in owned if rel.partition("/")[0] in self.dest.places and self.dest.path(rel).exists()}

    def _undo(self, journal: dict, err):
        failure = err if isinstance(err, WriteError) else WriteError(
            err.filename2 or err.filename or self.dest.shown(), err)
        try:
            _write_json(self.dest.state / JOURNAL, {**journal, "phase": "undo"})
            _finish(self.dest, {**journal, "phase": "undo"})
        except (OSError, WriteError):
            raise PublishError(f"publishing failed ({failure}) and could not be undone; the next run undoes it "
                               f"from {self.dest.state / JOURNAL}") from None
        failure.args = (f"{failure}; nothing was published (the files moved were moved back)",)
        raise failure from None

    def keep(self, files: dict) -> list[Path]:
        """Copy files into OUT outside a commit (the executed copies of failed notebooks): ``{recorded path:
        source}``. Each is recorded before it is written, so it is never left unrecorded; a foreign file in the
        way is left as it is (and that copy skipped). Returns the files written."""
        recorded = read_record(self.dest)
        free = {rel: src for rel, src in files.items() if rel in recorded | self.owned
                or not (self.dest.path(rel).exists() or self.dest.path(rel).is_symlink())}
        if not free:
            return []
        _write_json(self.dest.state / RECORD, {"files": sorted(recorded | set(free))})
        written = []
        for rel, src in sorted(free.items()):
            staged = copy_file(src, self.path / "kept" / rel)   # copied inside the staging folder, then renamed
            with writing(self.dest.path(rel)):
                _move(staged, self.dest.path(rel))
            written.append(self.dest.path(rel))
        return written


def main(argv=None) -> int:
    """``python -m msc_frailty.publish --recover [OUT]``: complete or undo a publish a killed run left in OUT (the
    default run's folders without OUT); a run does this itself when it starts."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--recover", action="store_true", required=True)
    parser.add_argument("out", nargs="?", default=None)
    args = parser.parse_args(argv)
    dest = destination(args.out)
    try:
        with Session(dest, allow_foreign=True, log=print):
            pass
    except PublishError as err:
        print(f"error: {err}")
        return 1
    return 0


def file_digest(path) -> str:
    """The sha256 hex digest of a file's bytes: the digest MANIFEST.csv lists, manuscript.check_figures reads and the
    readers' cache is keyed by."""
    with open(path, "rb") as f:         # streamed: a large table is not read into memory to be hashed
        return hashlib.file_digest(f, "sha256").hexdigest()


if __name__ == "__main__":
    raise SystemExit(main())
