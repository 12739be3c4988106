"""A notebook kernel that the runner reuses, brought back to a fresh kernel's state between notebooks.

Starting a kernel and importing pandas, scipy, statsmodels and matplotlib cost more than most of the
notebooks' own work (``BENCHMARKS.md``). The runner therefore starts one kernel per worker process,
calls :func:`warm_up` in it once, and :func:`reset` before each notebook it executes there. Each
notebook still runs alone, with papermill, from its own first cell: ``reset`` clears everything a
notebook can leave behind that would change the next one's outputs:

- the user namespace and the execution counter (IPython's ``reset(new_session=True)``);
- open matplotlib figures and every rcParam (the style module sets them globally);
- pandas options, numpy print and floating-point error options, warning filters (and the registries
  that make a warning show only once), the working directory and ``sys.path``.

Modules stay imported, which is the point; the collection's own modules keep no state between calls
(no caches of data), so a notebook gives the same bytes in a reused kernel as in a new one, and the
determinism test compares them with the committed outputs.
"""

from __future__ import annotations

import copy
import os
import sys
import warnings

#: What the notebooks import; warm_up() imports it once per kernel.
MODULES = ["numpy", "pandas", "scipy.stats", "scipy.optimize", "statsmodels.api", "statsmodels.formula.api",
           "matplotlib.pyplot", "seaborn", "pingouin", "tableone", "IPython.display",
           "msc_frailty.analysis", "msc_frailty.consistency", "msc_frailty.consort", "msc_frailty.data",
           "msc_frailty.endpoints", "msc_frailty.findings", "msc_frailty.meta", "msc_frailty.planning",
           "msc_frailty.plots", "msc_frailty.published", "msc_frailty.published_plots", "msc_frailty.reanalysis",
           "msc_frailty.results", "msc_frailty.scorecard", "msc_frailty.stats", "msc_frailty.style"]

_fresh: dict | None = None


def _state() -> dict:
    import matplotlib
    import numpy as np
    import pandas as pd

    return {
        "rc": copy.deepcopy(dict(matplotlib.rcParams)),
        "pandas": {key: pd.get_option(key) for key in pd._config.config._registered_options
                   if key not in pd._config.config._deprecated_options},
        "printoptions": np.get_printoptions(),
        "errstate": np.geterr(),
        "warnings": list(warnings.filters),
        "cwd": os.getcwd(),
        "path": list(sys.path),
    }


def warm_up() -> None:
    """Import :data:`MODULES` and record the state of the fresh kernel that :func:`reset` restores."""
    import gc
    import importlib

    global _fresh
    for name in MODULES:
        importlib.import_module(name)
    _fresh = _state()
    # what the imports created lives as long as the kernel: kept out of the garbage collector's full
    # passes, which otherwise walk it at every reset (IPython's) and during every notebook
    gc.collect()
    gc.freeze()


def reset() -> None:
    """Bring the kernel back to the state recorded by :func:`warm_up` (module docstring)."""
    import matplotlib
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    from IPython import get_ipython

    if _fresh is None:
        raise RuntimeError("msc_frailty.kernel.reset() before warm_up()")
    shell = get_ipython()
    if shell is not None:
        shell.reset(new_session=True)
    plt.close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dict.update(matplotlib.rcParams, copy.deepcopy(_fresh["rc"]))
        for key, value in _fresh["pandas"].items():
            if pd.get_option(key) != value:
                pd.set_option(key, value)
    np.set_printoptions(**_fresh["printoptions"])
    np.seterr(**_fresh["errstate"])
    warnings.resetwarnings()          # also invalidates the "shown once already" registries
    warnings.filters[:] = _fresh["warnings"]
    os.chdir(_fresh["cwd"])
    sys.path[:] = _fresh["path"]
