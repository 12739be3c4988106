#!/usr/bin/env python3
"""Compare the figures and results of a run with the committed ones (or with another run), byte for byte.

    python3 .ci/compare_outputs.py RUN [REFERENCE]        (or: make compare OUT=RUN [AGAINST=REFERENCE])

RUN and REFERENCE are folders holding figures/ and results/: the OUT of `make reproduce OUT=...`, or the
repository (the default REFERENCE: its committed figures/ and results/). Every file of both trees must be
in the other and equal byte for byte, except figures/MANIFEST.csv, which is compared without its `commit`
column (the commit is recorded after the figures are made), as tests/test_reproduce.py does.
Exits 1 naming every file that differs. Standard library only: runs with any supported Python.
"""

import csv
import hashlib
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TREES = ("figures", "results")
MANIFEST = "figures/MANIFEST.csv"


def files(folder: Path) -> dict:
    """{"figures/...": path} of every file under folder's figures/ and results/."""
    out = {}
    for tree in TREES:
        for p in sorted((folder / tree).rglob("*")):
            if p.is_file():
                out[p.relative_to(folder).as_posix()] = p
    return out


def manifest_without_commit(path: Path) -> list:
    rows = list(csv.reader(io.StringIO(path.read_text(), newline="")))
    if not rows or "commit" not in rows[0]:
        return rows
    i = rows[0].index("commit")
    return [row[:i] + row[i + 1:] for row in rows]


def manifest_difference(a: list, b: list) -> str:
    """Which columns of two manifests (rows of cells, header first) differ, and in how many rows."""
    if len(a) != len(b) or not a or a[0] != b[0]:
        return "other figures or columns"
    counts = {}
    for ra, rb in zip(a[1:], b[1:]):
        for name, x, y in zip(a[0], ra, rb):
            if x != y:
                counts[name] = counts.get(name, 0) + 1
    return ", ".join(f"column {name} in {n} of {len(a) - 1} rows" for name, n in counts.items())


def compare(run: Path, reference: Path) -> list:
    """The differences between two folders, as lines naming the files; empty when they agree."""
    a, b = files(run), files(reference)
    problems = [f"only in {reference}: {rel}" for rel in sorted(set(b) - set(a))]
    problems += [f"only in {run}: {rel}" for rel in sorted(set(a) - set(b))]
    for rel in sorted(set(a) & set(b)):
        if rel == MANIFEST:
            ma, mb = manifest_without_commit(a[rel]), manifest_without_commit(b[rel])
            if ma != mb:
                problems.append(f"differs: {rel} ({manifest_difference(ma, mb)})")
        elif hashlib.sha256(a[rel].read_bytes()).digest() != hashlib.sha256(b[rel].read_bytes()).digest():
            problems.append(f"differs: {rel}")
    return problems


def main(argv: list) -> int:
    if not 1 <= len(argv) <= 2:
        print(__doc__, file=sys.stderr)
        return 2
    run = Path(argv[0]).resolve()
    reference = Path(argv[1]).resolve() if len(argv) > 1 else ROOT
    for folder in (run, reference):
        missing = [t for t in TREES if not (folder / t).is_dir()]
        if missing:
            print(f"compare: {folder} has no {' or '.join(m + '/' for m in missing)}", file=sys.stderr)
            return 2
    problems = compare(run, reference)
    n = len(set(files(run)) | set(files(reference)))
    where = "the repository's" if reference == ROOT else str(reference)
    if problems:
        for line in problems:
            print(f"  {line}")
        print(f"compare: {len(problems)} of {n} files in figures/ and results/ of {run} differ from {where}")
        return 1
    print(f"compare: all {n} files in figures/ and results/ of {run} are byte-identical to {where}"
          " (MANIFEST.csv apart from its commit column)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
