"""The runner's reused kernel: reset between notebooks to a fresh kernel's state, discarded after a failure.

The byte-for-byte comparison of a whole `make reproduce` with the committed outputs (test_reproduce.py)
shows that reuse changes no figure or result; these tests pin down the mechanism itself.
"""

import json
import queue

import pytest

from msc_frailty import runner

pytestmark = pytest.mark.notebooks


#: A warm-up of the modules whose state the tests below change: the mechanism is the same whatever it imports,
#: and it spares a second and a half per kernel. Every run of the runner uses the full one (msc_frailty.kernel).
LIGHT_WARM_UP = ("import msc_frailty.kernel as k\n"
                 "k.MODULES = ['numpy', 'pandas', 'matplotlib.pyplot', 'msc_frailty.paths']\n"
                 "k.warm_up()")


@pytest.fixture(scope="module")
def worker():
    """This test process acting as a runner worker, for the tests of this module in turn (a kernel and its
    warm-up cost seconds); its kernel is shut down afterwards."""
    full, runner.WARM_UP = runner.WARM_UP, LIGHT_WARM_UP
    yield runner
    runner.WARM_UP = full
    runner._discard_kernel()


def _notebook(path, *cells):
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python3", "language": "python",
                                                                          "display_name": "Python 3"}},
          "cells": [{"cell_type": "code", "id": f"c{i}", "metadata": {"tags": ["parameters"]} if i == 0 else {},
                     "execution_count": None, "outputs": [], "source": src} for i, src in enumerate(cells)]}
    path.write_text(json.dumps(nb))
    return path


POLLUTE = """
x_left_behind = 1
import matplotlib, numpy, pandas, warnings, os
pandas.set_option("display.width", 999)
matplotlib.rcParams["font.size"] = 3.0
numpy.set_printoptions(precision=2)
warnings.simplefilter("error")
import matplotlib.pyplot as plt
plt.figure()
os.chdir("/")
"""

FRESH = """
import matplotlib, numpy, pandas, warnings, os
import matplotlib.pyplot as plt
from msc_frailty.paths import ROOT
assert "x_left_behind" not in globals()
assert pandas.get_option("display.width") == 80
assert matplotlib.rcParams["font.size"] == 10.0
assert numpy.get_printoptions()["precision"] == 8
assert not plt.get_fignums()
assert os.getcwd() == str(ROOT)
warnings.warn("a warning is a warning again, not an error")
assert get_ipython().execution_count == 1
"""


def test_reset_gives_the_next_notebook_a_fresh_kernel(worker):
    km = worker._kernel(60)
    worker._run_in_kernel(km, POLLUTE, 60)
    with pytest.raises(RuntimeError, match="AssertionError"):
        worker._run_in_kernel(km, FRESH, 60)          # the check fails on a polluted kernel...
    assert worker._kernel(60) is km                   # ...the same kernel, reset, passes it
    worker._run_in_kernel(km, FRESH, 60)


def test_a_failed_notebook_discards_the_kernel(worker, tmp_path):
    bad = _notebook(tmp_path / "bad.ipynb", 'study = "S"\ndata_dir = ""\noutput_dir = ""',
                    "x_left_behind = 1\nraise ValueError('broken on purpose')")
    good = _notebook(tmp_path / "good.ipynb", 'study = "S"\ndata_dir = ""\noutput_dir = ""',
                     "assert 'x_left_behind' not in globals()\nprint('clean', get_ipython().execution_count)")
    name, study, _, err = worker._execute((bad, tmp_path / "bad.out.ipynb", {"study": "S2"}, 60, True))
    assert (name, study) == ("bad", "S2") and "broken on purpose" in err
    assert "km" not in worker._worker                 # no kernel kept after a failure
    _, _, _, err = worker._execute((good, tmp_path / "good.out.ipynb", {"study": "S2"}, 60, True))
    assert err is None
    first = worker._worker["km"]
    out = json.loads((tmp_path / "good.out.ipynb").read_text())
    assert any("clean" in "".join(o.get("text", "")) for c in out["cells"] for o in c.get("outputs", []))
    # and a second notebook in the same worker reuses that kernel, starting again at cell 1
    _, _, _, err = worker._execute((good, tmp_path / "again.out.ipynb", {"study": "S3"}, 60, True))
    assert err is None and worker._worker["km"] is first
    again = json.loads((tmp_path / "again.out.ipynb").read_text())
    assert [c["execution_count"] for c in again["cells"] if c["cell_type"] == "code"][0] == 1



def test_a_ready_client_sees_every_output_of_its_first_request(worker):
    """With the runner's kernels, ``wait_for_ready`` returns a client whose first request's output all arrives,
    client after client on the same kernel (papermill's client of each notebook)."""
    km = worker._kernel(60)
    assert km.client_factory is runner.ready_client()
    for i in range(4):
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=30)
            msg_id = kc.execute(f"print('first output {i}')")
            seen = []
            while True:
                msg = kc.get_iopub_msg(timeout=30)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "stream":
                    seen.append(msg["content"]["text"])
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    break
        finally:
            kc.stop_channels()
        assert seen == [f"first output {i}\n"]


class _Channel:
    def __init__(self):
        self.queue = []

    def get_msg(self, timeout=None):
        if not self.queue:
            raise queue.Empty
        return self.queue.pop(0)


class _ScriptedKernel:
    """What ``ReadyClient.wait_for_ready`` talks to, scripted: ``lose`` is how many kernel_info requests the
    output channel misses (a subscriber that has not joined yet), ``stale`` messages of other requests come
    first on it."""

    def __init__(self, lose=0, stale=0, alive=True):
        self.shell_channel, self.iopub_channel = _Channel(), _Channel()
        self.sent, self.lose, self.alive, self.handled = [], lose, alive, None
        self.iopub_channel.queue += [_status("other", "idle")] * stale

    def kernel_info(self):
        msg_id = f"info-{len(self.sent)}"
        self.sent.append(msg_id)
        if not self.alive:
            return msg_id
        self.shell_channel.queue.append({"msg_type": "kernel_info_reply", "parent_header": {"msg_id": msg_id},
                                         "content": {"protocol_version": "5.3"}})
        if len(self.sent) > self.lose:
            self.iopub_channel.queue += [_status(msg_id, "busy"), _status(msg_id, "idle")]
        return msg_id

    def is_alive(self):
        return self.alive

    def _handle_kernel_info_reply(self, msg):
        self.handled = msg["parent_header"]["msg_id"]


def _status(parent, state):
    return {"msg_type": "status", "parent_header": {"msg_id": parent}, "content": {"execution_state": state}}


@pytest.mark.parametrize("lose, stale", [(0, 0), (0, 3), (2, 0), (1, 2)])
def test_a_ready_client_waits_for_the_idle_of_its_own_request(lose, stale):
    kernel = _ScriptedKernel(lose=lose, stale=stale)
    runner.ready_client().wait_for_ready(kernel, timeout=30)
    # asked again for each request whose output the channel missed; ready on the first one it saw go idle
    assert kernel.sent == [f"info-{i}" for i in range(lose + 1)]
    assert kernel.handled == f"info-{lose}"
    assert kernel.iopub_channel.queue == []


def test_a_ready_client_of_a_dead_kernel_says_so():
    with pytest.raises(RuntimeError, match="Kernel died"):
        runner.ready_client().wait_for_ready(_ScriptedKernel(alive=False), timeout=30)


def test_a_ready_client_gives_up_at_its_timeout():
    with pytest.raises(RuntimeError, match="didn't respond in 0 seconds"):
        runner.ready_client().wait_for_ready(_ScriptedKernel(lose=10 ** 6), timeout=0)
