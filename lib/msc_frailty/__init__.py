"""msc_frailty: reproduce, check and extend the published findings of allogeneic MSC trials in aging frailty.

Modules
-------
paths      root-anchored folders of the repository
data       load and validate a trial data set (contract section 1)
readers    read one table file (CSV, SAS XPORT, Dataset-JSON) to text, refusing faulty files; the read cache
errors     DataError, the error naming the file, column and rows of a data set's fault
stats      effect sizes, exact intervals and the tests of the statistical analysis plan
analysis   the analysis plan as tidy rows of ``results/estimates.csv`` (contract section 3)
results    the one writer of ``estimates.csv``
style      one figure style: colours per arm, journal widths, deterministic PDF/SVG/PNG
synthetic  the seeded generator of the embedded synthetic default data
runner     execute every notebook with papermill for every study of a data set
"""

__version__ = "0.1.0"
