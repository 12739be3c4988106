"""msc_frailty.publish: OUT is the user's folder, and a run's outputs are published all at once.

- where a run may write (the repository refused, the synthetic basis no licence), checked before anything is
  written;
- only files runs wrote are replaced or removed; a user's files are refused, or with the explicit flag kept;
- a publish killed (SIGKILL) at any step, or failing at any step, ends all-old or all-new, and the next run
  completes or undoes it; stale staging folders are removed only when marked as a run's;
- a file that cannot be written (no space, permission, read-only) is named with the reason; files are written
  0666 less the umask.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from msc_frailty import publish
from msc_frailty.paths import BUILD, DEFAULT_DATA, PRIVATE, ROOT

OLD = {"figures/a.png": "old a", "figures/S/b.png": "old b", "results/estimates.csv": "old e",
       "results/gone.csv": "old, not made again"}
NEW = {"figures/a.png": "new a", "figures/S/b.png": "new b", "figures/S/c.png": "new c (a new file)",
       "results/estimates.csv": "new e", "notebooks/S/x.ipynb": "new x"}
USER = {"notebooks/mywork.ipynb": "the user's notebook", "results/thesis.docx": "the user's thesis",
        "mine.txt": "the user's note"}


def tree(folder: Path) -> dict:
    """{path relative to folder: text} of every file, the run's state folder left out."""
    return {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*"))
            if p.is_file() and publish.STATE not in p.relative_to(folder).parts}


def publish_tree(out: Path, files: dict, allow_foreign: bool = False):
    with publish.Session(publish.destination(out), allow_foreign=allow_foreign) as session:
        for rel, text in files.items():
            publish.write_text(session.path / "new" / rel, text)
        session.commit(session.path / "new")


@pytest.fixture
def out(tmp_path) -> Path:
    """An OUT holding a published run (OLD) and, beside it, the user's own files (USER)."""
    out = tmp_path / "out"
    publish_tree(out, OLD)
    for rel, text in USER.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)
    return out


ALL_OLD, ALL_NEW = {**OLD, **USER}, {**NEW, **USER}


# --- where a run may write ------------------------------------------------------------------------------

def test_only_the_default_data_may_write_the_repository_folders(tmp_path):
    publish.check_destination("synthetic", None)
    publish.check_destination("synthetic", None, DEFAULT_DATA)
    # a data set that declares itself synthetic is not the embedded default: the basis is only a flag
    elsewhere = tmp_path / "my-synthetic"
    with pytest.raises(publish.DestinationError, match="not the embedded default"):
        publish.check_destination("synthetic", None, elsewhere)
    for basis in ("synthetic", "supplied"):
        for bad in (ROOT / "results", ROOT / "figures" / "x", ROOT / "notebooks" / "out", ROOT / "lib",
                    ROOT / "data" / "out", ROOT / "out"):
            with pytest.raises(publish.DestinationError, match=f"outputs of {basis} data .* tracked folder"):
                publish.check_destination(basis, bad, elsewhere)
        publish.check_destination(basis, PRIVATE / "out", elsewhere)
        publish.check_destination(basis, BUILD / "scratch-out", elsewhere)
        publish.check_destination(basis, tmp_path / "out", elsewhere)


@pytest.mark.parametrize("where", ["repository", "parent", "link", "build", "build/notebooks"])
def test_the_repository_and_the_default_runs_places_are_refused(tmp_path, where):
    out = {"repository": ROOT, "parent": ROOT.parent, "build": BUILD, "build/notebooks": BUILD / "notebooks" / "x",
           "link": tmp_path / "link"}[where]
    if where == "link":
        out.symlink_to(ROOT)   # the repository under another name
    match = {"repository": "is the repository", "link": "is the repository", "parent": "contains the repository"}
    with pytest.raises(publish.DestinationError, match=match.get(where, "where the default run writes")):
        publish.check_destination("synthetic", out, DEFAULT_DATA)


def test_an_out_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(publish.DestinationError, match="is a file"):
        publish.check_destination("supplied", tmp_path / "f", tmp_path)


# --- whose files --------------------------------------------------------------------------------------------

def test_a_run_replaces_and_removes_only_what_runs_wrote(out):
    assert tree(out) == ALL_OLD
    publish_tree(out, NEW, allow_foreign=True)
    assert tree(out) == ALL_NEW      # results/gone.csv (recorded, not made again) removed; the user's files kept
    assert publish.read_record(publish.destination(out)) == set(NEW)
    assert not (out / "figures" / "S" / "gone").exists()
    assert [p.name for p in (out / publish.STATE).iterdir()] == ["lock", "record.json"]   # no staging left


def test_an_out_holding_files_no_run_wrote_is_refused_without_the_flag(out):
    with pytest.raises(publish.DestinationError) as refused:
        publish_tree(out, NEW)
    message = str(refused.value)
    for rel in USER:
        assert rel in message
    assert publish.ALLOW_FLAG in message and publish.ALLOW_MAKE in message
    assert tree(out) == ALL_OLD


def test_a_foreign_file_where_the_run_writes_is_never_replaced(out):
    (out / "figures" / "S" / "c.png").write_text("the user's own c.png")
    with pytest.raises(publish.DestinationError, match="never replaced"):
        publish_tree(out, NEW, allow_foreign=True)
    assert tree(out) == {**ALL_OLD, "figures/S/c.png": "the user's own c.png"}
    assert not list((out / publish.STATE).glob("staging-*")) and not (out / publish.STATE / "journal.json").exists()


def test_a_new_or_empty_out_needs_no_flag(tmp_path):
    publish_tree(tmp_path / "new" / "out", NEW)
    (tmp_path / "empty").mkdir()
    publish_tree(tmp_path / "empty", NEW)
    assert tree(tmp_path / "new" / "out") == tree(tmp_path / "empty") == NEW


def test_system_files_are_not_foreign(out):
    for rel in USER:
        (out / rel).unlink()
    (out / "figures" / ".DS_Store").write_text("Finder")
    publish_tree(out, NEW)
    assert tree(out) == {**NEW, "figures/.DS_Store": "Finder"}


def test_one_run_at_a_time(out):
    with publish.Session(publish.destination(out), allow_foreign=True):
        with pytest.raises(publish.DestinationError, match="another run is writing"):
            publish.Session(publish.destination(out), allow_foreign=True).__enter__()


def test_keep_records_the_failed_copies_and_the_next_run_removes_them(out, tmp_path):
    src = tmp_path / "failed.ipynb"
    src.write_text("failed run")
    with publish.Session(publish.destination(out), allow_foreign=True) as session:
        session.keep({"failed/S__x.ipynb": src})
    assert (out / "failed" / "S__x.ipynb").read_text() == "failed run"
    assert "failed/S__x.ipynb" in publish.read_record(publish.destination(out))
    publish_tree(out, NEW, allow_foreign=True)
    assert tree(out) == ALL_NEW and not (out / "failed").exists()


# --- all or nothing -----------------------------------------------------------------------------------------

def _steps(out) -> list[str]:
    """The steps of publishing NEW over ``out`` (a copy), in order."""
    seen = []
    publish._STEP = seen.append
    try:
        publish_tree(out, NEW, allow_foreign=True)
    finally:
        publish._STEP = None
    return seen


def test_the_steps_cover_every_file(out, tmp_path):
    import shutil

    steps = _steps(shutil.copytree(out, tmp_path / "copy"))
    assert steps[0] == "journal" and steps[-2:] == ["record", "journal removed"]
    assert {s.split(" ", 1)[1] for s in steps if s.startswith("install ")} == set(NEW)
    assert {s.split(" ", 1)[1] for s in steps if s.startswith("remove ")} == {"results/gone.csv"}


KILLER = textwrap.dedent("""
    import os, signal, sys
    from msc_frailty import publish
    out, at = sys.argv[1], int(sys.argv[2])
    steps = []
    def step(name):
        steps.append(name)
        if len(steps) == at:
            os.kill(os.getpid(), signal.SIGKILL)
    publish._STEP = step
    with publish.Session(publish.destination(out), allow_foreign=True) as session:
        for rel, text in {new!r}.items():
            publish.write_text(session.path / "new" / rel, text)
        session.commit(session.path / "new")
    """)


def test_a_publish_killed_at_any_step_is_all_old_or_all_new_once_a_run_starts(out, tmp_path):
    """SIGKILL after each step of the commit, in a process of its own; then the next run's start (a Session)
    completes what the journal describes: all new from the journal on, all old before it."""
    import shutil

    n = len(_steps(shutil.copytree(out, tmp_path / "count")))
    script = tmp_path / "killer.py"
    script.write_text(KILLER.format(new=NEW))
    for at in range(1, n + 1):
        victim = shutil.copytree(out, tmp_path / f"kill-{at}")
        proc = subprocess.run([sys.executable, str(script), str(victim), str(at)], capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == -signal.SIGKILL, proc.stderr
        state = victim / publish.STATE
        assert list(state.glob("staging-*")), "the killed run left its staging folder (the next run removes it)"
        with publish.Session(publish.destination(victim), allow_foreign=True):
            pass
        assert tree(victim) == ALL_NEW, at          # the journal is the first step: the publish was decided
        assert publish.read_record(publish.destination(victim)) == set(NEW)
        assert sorted(p.name for p in state.iterdir()) == ["lock", "record.json"], at
    # killed before the journal was written: nothing had changed, and nothing changes
    proc = subprocess.run([sys.executable, "-c", KILLER.replace("session.commit", "os.kill(os.getpid(), 9); "
                                                                "session.commit").format(new=NEW), str(out), "0"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert tree(out) == ALL_OLD
    publish.recover(publish.destination(out))
    assert tree(out) == ALL_OLD and not list((out / publish.STATE).glob("staging-*"))


@pytest.mark.parametrize("kind", [errno.ENOSPC, errno.EACCES])
def test_a_publish_failing_at_any_step_leaves_all_old(out, tmp_path, kind):
    """An error while files move (a full disk, a file that cannot be moved) moves everything back."""
    import shutil

    steps = _steps(shutil.copytree(out, tmp_path / "count"))
    for at, name in enumerate(steps[:-1], 1):      # after the last step the publish is complete
        victim = shutil.copytree(out, tmp_path / f"fail-{kind}-{at}")
        seen = []

        def fail(step, at=at):
            seen.append(step)
            if len(seen) == at:
                raise OSError(kind, os.strerror(kind), str(victim / "figures" / "a.png"))

        publish._STEP = fail
        try:
            with pytest.raises(publish.WriteError, match=publish._REASONS[kind]) as failed:
                publish_tree(victim, NEW, allow_foreign=True)
        finally:
            publish._STEP = None
        if name == "journal":
            assert "cannot write" in str(failed.value)
        assert tree(victim) == ALL_OLD, name
        assert publish.read_record(publish.destination(victim)) == set(OLD)
        assert sorted(p.name for p in (victim / publish.STATE).iterdir()) == ["lock", "record.json"], name


def test_an_unfinished_undo_is_finished_by_the_next_run(out, tmp_path):
    """A journal left while undoing (the process killed during the undo) is undone, not completed."""
    seen = []

    def fail(step):
        seen.append(step)
        if step.startswith("install "):
            raise OSError(errno.EIO, "I/O error")

    publish._STEP = fail
    real_finish = publish._finish
    publish._finish = lambda dest, journal: (_ for _ in ()).throw(OSError(errno.EIO, "killed"))
    try:
        with pytest.raises(publish.PublishError, match="could not be undone"):
            publish_tree(out, NEW, allow_foreign=True)
    finally:
        publish._STEP, publish._finish = None, real_finish
    assert json.loads((out / publish.STATE / "journal.json").read_text())["phase"] == "undo"
    assert publish.main(["--recover", str(out)]) == 0          # what the next run does first
    assert tree(out) == ALL_OLD and not (out / publish.STATE / "journal.json").exists()


def test_stale_staging_is_removed_only_when_marked(out):
    state = out / publish.STATE
    (state / "staging-0123abcd" / "kernels").mkdir(parents=True)
    (state / "staging-0123abcd" / publish.MARKER).write_text("{}")
    (state / "staging-0123abcd" / "kernels" / "kernel-1.json").write_text('{"key": "secret"}')
    (state / "staging-notours").mkdir()
    with publish.Session(publish.destination(out), allow_foreign=True) as session:
        assert session.path.is_dir() and (session.path / publish.MARKER).is_file()
    assert not (state / "staging-0123abcd").exists()
    assert (state / "staging-notours").is_dir()
    assert not session.path.exists()


def test_an_error_inside_the_session_leaves_no_staging(out):
    with pytest.raises(RuntimeError, match="a notebook failed"):
        with publish.Session(publish.destination(out), allow_foreign=True) as session:
            publish.write_text(session.path / "new" / "figures" / "a.png", "half")
            raise RuntimeError("a notebook failed")
    assert not session.path.exists() and tree(out) == ALL_OLD


def test_sigterm_is_an_interrupt_and_a_publish_is_never_cut_by_one(out):
    with pytest.raises(publish.Interrupted, match="SIGTERM"):
        with publish.interruptible():
            os.kill(os.getpid(), signal.SIGTERM)   # the handler runs at the next instruction
    # a SIGTERM during the commit waits for it to end
    publish._STEP = lambda step: os.kill(os.getpid(), signal.SIGTERM) if step.startswith("install ") else None
    try:
        with publish.interruptible(), pytest.raises(publish.Interrupted):
            publish_tree(out, NEW, allow_foreign=True)
    finally:
        publish._STEP = None
    assert tree(out) == ALL_NEW and not (out / publish.STATE / "journal.json").exists()


# --- writing ------------------------------------------------------------------------------------------------

def test_files_are_written_readable_like_the_figures(tmp_path):
    old = os.umask(0o022)
    try:
        path = publish.write_text(tmp_path / "r" / "a.csv", "x\n")
        copy = publish.copy_file(path, tmp_path / "r" / "b.csv")
    finally:
        os.umask(old)
    assert (path.stat().st_mode & 0o777, copy.stat().st_mode & 0o777) == (0o644, 0o644)


@pytest.mark.parametrize("code, words", [(errno.ENOSPC, "no space left on device"),
                                         (errno.EROFS, "read-only file system"),
                                         (errno.EACCES, "permission denied")])
def test_a_write_that_fails_names_the_file_and_the_reason(tmp_path, monkeypatch, code, words):
    def full(*args):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(publish.os, "replace", full)
    with pytest.raises(publish.WriteError) as failed:
        publish.write_text(tmp_path / "results" / "estimates.csv", "x\n")
    assert str(failed.value) == f"cannot write {tmp_path / 'results' / 'estimates.csv'}: {words}"
    assert list((tmp_path / "results").iterdir()) == []     # no temporary file left


def test_an_unwritable_out_is_named(tmp_path, monkeypatch):
    real_mkdir = Path.mkdir

    def read_only(self, *args, **kwargs):
        if self.is_relative_to(tmp_path / "ro"):
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    with pytest.raises(publish.WriteError, match=r"cannot write .*ro/\.msc-frailty: read-only file system"):
        publish.Session(publish.destination(tmp_path / "ro")).__enter__()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_a_read_only_folder_is_named(tmp_path):
    (tmp_path / "ro").mkdir()
    os.chmod(tmp_path / "ro", 0o555)
    try:
        with pytest.raises(publish.WriteError, match="permission denied"):
            publish_tree(tmp_path / "ro", NEW)
    finally:
        os.chmod(tmp_path / "ro", 0o755)
