"""Seeded generator of the SYNTHETIC default data set, from a committed specification.

``python -m msc_frailty.synthetic --spec data/synthetic/spec.yaml --out data/synthetic`` writes
``adsl.csv``, ``adeff.csv``, ``adae.csv`` (every row flagged ``SYNTHFL = Y``) and ``targets.csv``:
every printed constraint of the specification with what the generated data give when analysed by
the collection's own functions, and whether it is met. The run fails when a constraint is not met.

How values are drawn
--------------------
Each parameter of a study has one population model whose values are the named assumptions of the
specification (baseline mean and SD, mean and SD of change per arm and visit, correlation of change
with baseline ``r``, correlation of one subject's changes across visits ``rho``)::

    baseline_i ~ Normal(mean, sd), truncated to the eligibility bounds and the physical range
    change_ij  = mu_aj + sd_aj * (r * zb_i + sqrt(1 - r^2) * e_ij),   zb_i = (baseline_i - mean) / sd
    e_ij       = sqrt(rho) * s_i + sqrt(1 - rho) * eps_ij              (s_i shared by subject i's visits)

Subjects are drawn from it with seeded noise, so sample means and SDs scatter around the assumed
values as a real sample's do; where the record prints nothing, nothing is forced.

How a printed number is met exactly
-----------------------------------
On the subjects analysed at that visit, changing as little of the draw as the number fixes:

- a within-arm paired-t p fixes the arm's mean given its drawn SD: the changes are shifted so that
  ``mean = direction * t_{1-p/2, n-1} * SD / sqrt(n)``;
- a pooled paired-t p shifts every arm by one amount;
- an ANCOVA difference vs placebo shifts the arm (the adjusted difference moves one for one);
- an ANCOVA p vs placebo shifts the arm to ``direction * t_{1-p/2, df} * SE`` (a shift leaves the
  residuals, so the SE, unchanged); together with a within-arm p the arm's standardized changes are
  scaled instead, the scale solved numerically with :func:`msc_frailty.stats.ancova` itself;
- integer parameters (SPPB) cannot have exact moments: changes are redrawn until the paired-t p
  rounds to the printed value at its printed precision.

A printed bound or word (``p < .0001``, "not in the 200M group", "100M best") is a condition, not a
value: a draw of a parameter that contradicts it is discarded and the parameter is drawn again, so
the data are a draw from the assumed model given the record (``draw`` in targets.csv says which draw
was kept). So that conditioning cannot rescue assumptions that contradict the record, every
statement must first hold for the assumptions themselves: the same construction run on exact
moments (sample means and SDs equal to the assumed values, normal-score baselines with equal arm
means, complete data; ``at_assumptions`` in targets.csv). Otherwise generation stops.

Missing data
------------
Per study, seeded and independent of arm and outcome: drop-out (a constant yearly probability of
leaving the study; the subject has no value after it), missed visits (the subject stays in the
study) and missed assessments (one parameter not obtained at an attended visit). A death ends the
subject's data on its day. Missing values are absent records, as in ADaM; adsl carries EOSSTT,
DCSREAS and DTHFL. Where a printed p fixes an arm at a visit, that arm is complete there (the p is
read as computed on every subject of the arm, as the published-basis reanalysis reads it).

Adverse events
--------------
Non-serious only, besides the printed deaths (no serious event the record does not print is invented).
Each term has its own onset window: an event of the infusion itself (infusion site bruising) at most once
per subject on days 1-3, any other term over the time the subject is followed. They are drawn from their
own seeded stream, so the adverse-event assumptions do not move the efficacy values.
"""

from __future__ import annotations

import argparse
import sys
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import optimize
from scipy import stats as st

from . import stats
from .paths import SYNTHETIC_SPEC, resolve

DEFAULT_CORR_BASELINE_CHANGE = -0.2
DEFAULT_VISIT_CORR = 0.6
#: Days per month: AVISITN (months since infusion) to study days (day 1 is the infusion day).
DAYS_PER_MONTH = 365.25 / 12
#: Draws of one parameter allowed before its assumptions are declared too unlikely given the record.
MAX_DRAWS = 200
#: Largest share of an assumed baseline distribution that eligibility bounds may cut off.
MAX_TRUNCATED = 0.05
#: End-of-study status and reason (ADaM ADSL EOSSTT / DCSREAS) of a subject who completes the study.
COMPLETED = "COMPLETED"
DISCONTINUED = "DISCONTINUED"
DEATH = "DEATH"


class SpecError(ValueError):
    """The specification cannot be met (a constraint fails or an input is inconsistent)."""


class _Rejected(Exception):
    """This draw contradicts the record (or leaves the physical range): draw again."""


# --- exact-moment building blocks (the assumptions' own values) ------------------------------

def normal_scores(n: int, rng: np.random.Generator, jitter: float = 0.25) -> np.ndarray:
    """Blom normal scores of 1..n plus a little seeded noise, in a seeded random order.

    Bounded like normal scores (no outliers), yet two arms of the same size do not get the same set.
    """
    z = st.norm.ppf((np.arange(1, n + 1) - 0.375) / (n + 0.25)) + jitter * rng.standard_normal(n)
    return rng.permutation(z)


def standardize(v) -> np.ndarray:
    """Centre to sample mean 0 and scale to sample SD 1 (ddof = 1)."""
    v = np.asarray(v, dtype=float)
    return (v - v.mean()) / v.std(ddof=1)


def orthogonal_unit(noise, z) -> np.ndarray:
    """``noise`` with its projection on [1, z] removed, standardized: exactly uncorrelated with z."""
    X = np.column_stack([np.ones_like(z), z])
    resid = noise - X @ np.linalg.lstsq(X, noise, rcond=None)[0]
    return standardize(resid)


def exact_change(mean: float, sd: float, r: float, z_base, u) -> np.ndarray:
    """Changes with exactly this sample mean, SD and correlation r with the baseline."""
    return mean + sd * (r * np.asarray(z_base) + np.sqrt(1 - r**2) * np.asarray(u))


def t_for_p(p: float, df: int) -> float:
    """The |t| whose two-sided p with ``df`` degrees of freedom is ``p``."""
    return float(st.t.isf(p / 2, df))


def printed_decimals(p: float) -> int:
    """Decimals of a printed p (0.01 -> 2, 0.039 -> 3, 0.0001 -> 4)."""
    text = f"{p:.10f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def shift_to_paired_p(change, p: float, direction: int = 1) -> np.ndarray:
    """``change`` shifted so that its paired-t p is ``p`` in ``direction``; its SD is kept.

    Examples
    --------
    >>> c = shift_to_paired_p([1.0, 4.0, 2.0, 7.0], 0.01)
    >>> round(float(st.ttest_1samp(c, 0).pvalue), 12), round(float(np.std(c, ddof=1)), 12)
    (0.01, 2.645751311065)
    """
    c = np.asarray(change, dtype=float)
    n = c.size
    return c + (direction * t_for_p(p, n - 1) * c.std(ddof=1) / np.sqrt(n) - c.mean())


def truncated_normal(n: int, mean: float, sd: float, lo: float, hi: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` seeded draws of Normal(mean, sd) strictly inside (lo, hi), by redrawing those outside."""
    x = rng.normal(mean, sd, n)
    for _ in range(1000):
        out = (x <= lo) | (x >= hi)
        if not out.any():
            return x
        x[out] = rng.normal(mean, sd, int(out.sum()))
    raise SpecError(f"Normal({mean}, {sd}) hardly reaches ({lo}, {hi})")


def integer_ages(n: int, mean: float, sd: float, lo: int, hi: int, rng: np.random.Generator) -> np.ndarray:
    """Integer ages in [lo, hi] whose mean is exactly ``mean`` (to 1e-9) and SD rounds to ``sd``.

    Starts from rounded normal scores, corrects the sum one year at a time, then moves one year
    from one subject to another (sum unchanged) towards the target SD. Raises SpecError if impossible.
    """
    target_sum = mean * n
    if abs(target_sum - round(target_sum)) > 1e-9:
        raise SpecError(f"no integer ages of n = {n} have mean {mean}")
    x = np.clip(np.round(mean + sd * standardize(normal_scores(n, rng))), lo, hi).astype(int)
    decimals = printed_decimals(sd)
    for _ in range(100000):
        diff = int(round(target_sum)) - int(x.sum())
        if diff == 0:
            break
        i = int(rng.integers(n))
        step = 1 if diff > 0 else -1
        if lo <= x[i] + step <= hi:
            x[i] += step
    for _ in range(100000):
        s = x.std(ddof=1)
        if round(s, decimals) == round(sd, decimals):
            return x
        i, j = rng.integers(n, size=2)
        if i == j:
            continue
        # spread out (raise SD): move a year from the smaller to the larger value; shrink otherwise
        a, b = (i, j) if x[i] <= x[j] else (j, i)
        if s < sd and x[a] - 1 >= lo and x[b] + 1 <= hi:
            x[a] -= 1
            x[b] += 1
        elif s > sd and x[b] - x[a] >= 2:
            x[a] += 1
            x[b] -= 1
    raise SpecError(f"could not find integer ages with mean {mean} and SD {sd}")


def visit_day(month: float) -> int:
    """Study day of a visit ``month`` months after the infusion on day 1."""
    return int(round(month * DAYS_PER_MONTH)) + 1


# --- who is seen when ------------------------------------------------------------------------

def _placebo(labels):
    return next((a for a in labels if a.lower() == "placebo"), None)


def complete_cells(spec: dict) -> set:
    """(PARAMCD, arm, visit) cells a printed p fixes: kept complete (every subject of the arm analysed).

    A within-arm p, an ANCOVA p vs placebo (both arms) and a pooled p (every arm) count; a printed
    difference does not (it does not depend on n), nor does a bound (``checks``).
    """
    labels = [a["label"] for a in spec["arms"]]
    cells = set()
    for param, pspec in spec["parameters"].items():
        for visit, vspec in pspec["visits"].items():
            for arm, w in (vspec.get("within") or {}).items():
                if "p" in w:
                    cells.add((param, arm, visit))
            for arm, w in (vspec.get("vs_placebo") or {}).items():
                if "p" in w:
                    cells |= {(param, arm, visit), (param, _placebo(labels), visit)}
            if "pooled" in vspec:
                cells |= {(param, a, visit) for a in labels}
    return cells


def disposition(spec: dict, arm_of, rng: np.random.Generator, cells: set) -> pd.DataFrame:
    """Per subject: last day in the study, EOSSTT, DCSREAS, DTHFL and the visits attended.

    Drop-out has a constant yearly probability (``missing.dropout_per_year``) over every stretch
    between scheduled contacts, except before a visit at which a printed p keeps the subject's arm
    complete; the day of leaving is uniform in the stretch. A subject who is still in the study
    misses a visit with probability ``missing.missed_visit`` (never a visit kept complete). The
    subjects of ``adverse_events.deaths`` die on the printed day and have no visit on or after it.
    """
    visits = [v for v in spec["visits"] if v > 0]
    miss = spec.get("missing") or {}
    per_year = float(miss.get("dropout_per_year", 0.0))
    p_missed = float(miss.get("missed_visit", 0.0))
    reasons = miss.get("reasons") or ["WITHDRAWAL BY SUBJECT"]
    ae = spec["adverse_events"]
    end = max(int(ae.get("follow_up_days", 365)), visit_day(max(visits)))
    kept = {a: {v for (_, arm, v) in cells if arm == a} for a in set(arm_of)}
    last_kept = {a: max(v, default=0) for a, v in kept.items()}

    dead = {}
    for death in ae.get("deaths", []):
        candidates = [i for i, a in enumerate(arm_of) if a == death["arm"] and i not in dead]
        if not candidates:
            raise SpecError(f"death in arm {death['arm']!r}: no such subject")
        i = candidates[int(rng.integers(len(candidates)))]
        if death["day"] <= visit_day(last_kept[death["arm"]]):
            raise SpecError(f"a death on day {death['day']} in {death['arm']} falls before a visit a printed p "
                            "keeps complete")
        dead[i] = int(death["day"])

    stops = [1] + [visit_day(v) for v in visits] + [end]
    rows = []
    for i, arm in enumerate(arm_of):
        last, status, reason = end, COMPLETED, ""
        if i in dead:
            last, status, reason = dead[i], DISCONTINUED, DEATH
        else:
            for k in range(len(stops) - 1):
                lo, hi = stops[k], stops[k + 1]
                if k < len(visits) and visits[k] <= last_kept[arm]:
                    continue                       # the arm is kept complete up to this visit
                if rng.random() < 1 - (1 - per_year) ** ((hi - lo) / 365.25):
                    last = int(rng.integers(lo, hi))          # leaves before the contact on day hi
                    status, reason = DISCONTINUED, reasons[int(rng.integers(len(reasons)))]
                    break
        seen = []
        for v in visits:
            day = visit_day(v)
            if day > last or (reason == DEATH and day >= last):
                break
            if v in kept[arm] or rng.random() >= p_missed:
                seen.append(v)
        rows.append({"last_day": last, "EOSSTT": status, "DCSREAS": reason,
                     "DTHFL": "Y" if reason == DEATH else "", "visits": seen})
    return pd.DataFrame(rows)


# --- one parameter of one study ---------------------------------------------------------------

def _per_arm(value, arms, what):
    """Expand ``{all: x}`` or ``{arm: x}`` to a dict over arms (missing arms -> None)."""
    value = value or {}
    if "all" in value:
        return {a: value["all"] for a in arms}
    unknown = set(value) - set(arms)
    if unknown:
        raise SpecError(f"{what}: unknown arm(s) {sorted(unknown)}")
    return {a: value.get(a) for a in arms}


class _Param:
    """One draw of one parameter of one study: baseline and every visit's change, per arm.

    ``exact=True`` builds the assumptions' own values instead (normal-score baselines with the
    assumed mean and SD in every arm, changes with exactly the assumed mean, SD and correlation with
    baseline, continuous values): the population the statements are first checked on.
    """

    def __init__(self, name, spec, arm_index, rng, exact=False):
        self.name, self.spec, self.rng, self.exact = name, spec, rng, exact
        self.arm_index = arm_index                       # arm label -> positions of its subjects
        self.arms = list(arm_index)
        # integer values (SPPB) are drawn as such; the exact population is continuous (and not range-checked)
        self.integer_spec = bool(spec.get("integer", False))
        self.integer = self.integer_spec and not exact
        self.r = float(spec.get("corr_baseline_change", DEFAULT_CORR_BASELINE_CHANGE))
        self.rho = float(spec.get("visit_corr", DEFAULT_VISIT_CORR))
        b = spec["baseline"]
        # physical range of any value (e.g. SPPB 0-12); the baseline's own min/max are eligibility bounds
        self.lo, self.hi = (float(v) if v is not None else d for v, d in
                            zip(spec.get("range", [None, None]), (-np.inf, np.inf)))
        b_lo, b_hi = max(self.lo, b.get("min", -np.inf)), min(self.hi, b.get("max", np.inf))
        cut = st.norm.cdf(b_lo, b["mean"], b["sd"]) + st.norm.sf(b_hi, b["mean"], b["sd"])
        if cut > MAX_TRUNCATED:
            raise SpecError(f"{name} baseline: the assumed Normal({b['mean']}, {b['sd']}) puts {cut:.0%} outside "
                            f"[{b.get('min')}, {b.get('max')}] (at most {MAX_TRUNCATED:.0%} may be cut off)")
        self.base, self.z_base = {}, {}
        for arm, idx in arm_index.items():
            if exact:
                z = standardize(normal_scores(len(idx), rng))
                base = b["mean"] + b["sd"] * z
                if np.any(base < b.get("min", -np.inf)) or np.any(base > b.get("max", np.inf)):
                    raise SpecError(f"{name} baseline of {arm} outside [{b.get('min')}, {b.get('max')}]")
            else:
                base = truncated_normal(len(idx), b["mean"], b["sd"], b_lo, b_hi, rng)
                if self.integer:
                    base = np.clip(np.round(base), self.lo, self.hi)
                z = (base - b["mean"]) / b["sd"]
            self.base[arm], self.z_base[arm] = base, z
        self.shared = {arm: rng.standard_normal(len(idx)) for arm, idx in arm_index.items()}

    def _shape(self, arm):
        """One visit's standardized deviation w of the arm's subjects (change = mean + sd * w)."""
        e = self.rng.standard_normal(len(self.arm_index[arm]))
        v = np.sqrt(self.rho) * self.shared[arm] + np.sqrt(1 - self.rho) * e
        if self.exact:
            return exact_change(0.0, 1.0, self.r, self.z_base[arm], orthogonal_unit(v, self.z_base[arm]))
        return self.r * self.z_base[arm] + np.sqrt(1 - self.r**2) * v

    def _ancova(self, c, seen, arm, ref):
        y = np.concatenate([c[arm][seen[arm]], c[ref][seen[ref]]])
        b = np.concatenate([self.base[arm][seen[arm]], self.base[ref][seen[ref]]])
        is_arm = np.r_[np.ones(seen[arm].sum(), bool), np.zeros(seen[ref].sum(), bool)]
        return stats.ancova(y, b, is_arm)

    def visit(self, visit, vspec, seen):
        """Changes of every arm's subjects at ``visit`` (all subjects; ``seen`` marks those analysed)."""
        arms = self.arms
        sd = _per_arm(vspec.get("sd"), arms, f"{self.name} month {visit} sd")
        mean = _per_arm(vspec.get("mean"), arms, f"{self.name} month {visit} mean")
        within = vspec.get("within", {}) or {}
        versus = vspec.get("vs_placebo", {}) or {}
        placebo = _placebo(arms)
        if versus and placebo is None:
            raise SpecError(f"{self.name}: vs_placebo target without a placebo arm")
        pooled = vspec.get("pooled")
        fixed = set(within) | set(versus)
        if pooled and fixed:
            raise SpecError(f"{self.name} month {visit}: a pooled p and arm targets at one visit")
        for arm in arms:
            twice = arm in within and arm in versus
            if twice and ("estimate" in versus[arm] or sd[arm] != "solve"):
                raise SpecError(f"{self.name} month {visit} {arm}: a within-arm p and an ANCOVA target fix the "
                                "mean twice; give an ANCOVA p and sd: solve")
            if (sd[arm] in (None, "solve") and not twice) or (mean[arm] is None and arm not in fixed):
                raise SpecError(f"{self.name} month {visit}: mean or sd not determined for {[arm]}")
        if self.integer:
            if versus or pooled:
                raise SpecError(f"{self.name}: only within-arm p targets are supported for integer parameters")
            return self._integer_visit(visit, sd, mean, within, seen)

        w = {arm: self._shape(arm) for arm in arms}
        # an arm whose mean a printed number fixes is drawn around 0 and then shifted to it
        c = {arm: (mean[arm] or 0.0) + sd[arm] * w[arm] for arm in arms if sd[arm] != "solve"}
        for arm in arms:
            if arm in within and arm not in versus:
                x = c[arm][seen[arm]]
                c[arm] = c[arm] + (shift_to_paired_p(x, within[arm]["p"], within[arm].get("direction", 1)).mean()
                                   - x.mean())
        for arm, target in versus.items():
            if "estimate" in target:
                c[arm] = c[arm] + (target["estimate"] - self._ancova(c, seen, arm, placebo)["estimate"])
            elif arm not in within:
                r = self._ancova(c, seen, arm, placebo)
                se = (r["ci_high"] - r["ci_low"]) / (2 * st.t.ppf(0.975, r["df"]))
                goal = target.get("direction", 1) * t_for_p(target["p"], r["df"]) * se
                c[arm] = c[arm] + (goal - r["estimate"])
            else:
                c[arm] = self._solve_scale(visit, c, w, seen, arm, placebo, within[arm], target)
        if pooled:
            x = np.concatenate([c[a][seen[a]] for a in arms])
            delta = shift_to_paired_p(x, pooled["p"], pooled.get("direction", 1)).mean() - x.mean()
            c = {a: c[a] + delta for a in arms}
        for arm in arms:
            value = self.base[arm][seen[arm]] + c[arm][seen[arm]]
            if (np.any(value < self.lo) or np.any(value > self.hi)) and not (self.exact and self.integer_spec):
                if self.exact:
                    raise SpecError(f"{self.name} month {visit} {arm}: values outside [{self.lo}, {self.hi}]; "
                                    "change the assumptions")
                raise _Rejected(f"{self.name} month {visit} {arm}: values outside [{self.lo}, {self.hi}]")
        return c

    def _solve_scale(self, visit, c, w, seen, arm, ref, within, target):
        """The arm's standardized changes scaled so that both its paired-t p and its ANCOVA p are met."""
        a = seen[arm]
        z = (w[arm] - w[arm][a].mean()) / w[arm][a].std(ddof=1)
        n = int(a.sum())
        t_w = within.get("direction", 1) * t_for_p(within["p"], n - 1) / np.sqrt(n)

        def changes(s):
            return s * (t_w + z)

        def gap(s):
            return np.log(self._ancova({**c, arm: changes(s)}, seen, arm, ref)["p_value"]) - np.log(target["p"])

        scale = self.spec["baseline"]["sd"]
        grid = np.geomspace(scale * 1e-4, scale * 1e3, 400)
        sign = np.nonzero(np.diff(np.sign([gap(s) for s in grid])))[0]
        if not len(sign):
            raise SpecError(f"{self.name} month {visit}: no SD of {arm} gives ANCOVA p = {target['p']} vs placebo")
        k = sign[0]
        return changes(optimize.brentq(gap, grid[k], grid[k + 1], xtol=1e-14, rtol=1e-13))

    def _integer_visit(self, visit, sd, mean, within, seen):
        out = {}
        for arm in self.arms:
            base = self.base[arm]

            def draw():
                c = np.round(mean[arm] + sd[arm] * self._shape(arm))
                return np.clip(base + c, self.lo, self.hi) - base

            if arm not in within:
                out[arm] = draw()
                continue
            target, decimals = within[arm]["p"], printed_decimals(within[arm]["p"])
            for _ in range(20000):
                c = draw()
                x = c[seen[arm]]
                if x.std() == 0 or np.sign(x.mean()) != within[arm].get("direction", 1):
                    continue
                if round(stats.paired_t(x)["p_value"], decimals) == round(target, decimals):
                    out[arm] = c
                    break
            else:
                raise SpecError(f"{self.name} month {visit} {arm}: no integer changes give p = {target}")
        return out


# --- a whole study -----------------------------------------------------------------------------

def _check(record, ok):
    record["met"] = "yes" if ok else "NO"
    return record


def _hochberg_none(ps, alpha):
    ps = sorted(ps)
    m = len(ps)
    return all(p > alpha / (m - i) for i, p in enumerate(ps))


def _draw_parameter(study, param, pspec, spec, index, seen, rng, doses, exact):
    """Draws of one parameter until every printed statement holds: (generator, changes, records, draw)."""
    records = []
    for draw in range(1, (1 if exact else MAX_DRAWS) + 1):
        gen = _Param(param, pspec, index, rng, exact=exact)
        try:
            changes = {visit: gen.visit(visit, vspec, seen[visit]) for visit, vspec in pspec["visits"].items()
                       if visit in spec["visits"] and visit != 0}
        except _Rejected:
            continue
        records = _targets(study, param, pspec, gen, changes, seen, doses)
        if all(r["met"] == "yes" for r in records):
            return gen, changes, records, draw
    if exact:
        bad = pd.DataFrame([r for r in records if r["met"] != "yes"])
        raise SpecError("printed constraints not met by the assumptions themselves (exact moments, complete "
                        "data):\n" + bad.to_string(index=False))
    raise SpecError(f"{study} {param}: no draw in {MAX_DRAWS} meets the record; the assumptions make it too "
                    "unlikely (last draw: " + "; ".join(f"{r['test']} {r['arm']} month {r['visit']} {r['obtained']}"
                                                      for r in records if r["met"] != "yes") + ")")


def generate_study(study: str, spec: dict, rng: np.random.Generator, float_digits: int = 10,
                   exact_rng: np.random.Generator | None = None, ae_rng: np.random.Generator | None = None):
    """Generate one study. Returns (adsl, adeff, adae, targets) DataFrames.

    ``ae_rng`` draws the adverse events (default: ``rng``), so that assumptions about adverse events do not
    change the efficacy values.
    """
    arms = spec["arms"]
    labels = [a["label"] for a in arms]
    n_total = sum(a["n"] for a in arms)
    assignment = rng.permutation(np.repeat(np.arange(len(arms)), [a["n"] for a in arms]))
    ids = [f"{study}-{i + 1:03d}" for i in range(n_total)]
    arm_of = [labels[k] for k in assignment]
    arm_index = {lab: np.nonzero(assignment == k)[0] for k, lab in enumerate(labels)}
    doses = {a["label"]: a["dose"] for a in arms}

    sex = np.empty(n_total, dtype=object)
    for lab, idx in arm_index.items():
        n_f = int(round(len(idx) * spec["female_fraction"]))
        sex[idx] = rng.permutation(["F"] * n_f + ["M"] * (len(idx) - n_f))
    age_spec = spec["age"]
    if age_spec.get("exact"):
        age = integer_ages(n_total, age_spec["mean"], age_spec["sd"], age_spec["min"], age_spec["max"], rng)
    else:
        age = rng.integers(age_spec["min"], age_spec["max"] + 1, size=n_total)
    cells = complete_cells(spec)
    disp = disposition(spec, arm_of, rng, cells)
    adsl = pd.DataFrame({"STUDYID": study, "USUBJID": ids, "TRT01A": arm_of, "TRT01AN": [doses[x] for x in arm_of],
                         "AGE": age, "SEX": sex, "SAFFL": "Y", "EOSSTT": disp["EOSSTT"], "DCSREAS": disp["DCSREAS"],
                         "DTHFL": disp["DTHFL"], "SYNTHFL": "Y"})
    targets = []
    if age_spec.get("exact"):
        targets.append(_check({"study": study, "paramcd": "AGE", "visit": "", "arm": "all", "ref_arm": "",
                               "test": "mean_sd", "printed": age_spec["printed"], "source": age_spec["source"],
                               "target": f"{age_spec['mean']} +/- {age_spec['sd']}",
                               "obtained": f"{age.mean():.4f} +/- {age.std(ddof=1):.4f}", "n": str(n_total)},
                              round(age.mean(), 4) == age_spec["mean"]
                              and round(age.std(ddof=1), printed_decimals(age_spec["sd"])) == age_spec["sd"]))

    p_item = float((spec.get("missing") or {}).get("missed_assessment", 0.0))
    exact_rng = exact_rng if exact_rng is not None else np.random.default_rng(0)
    rows = []
    for param, pspec in spec["parameters"].items():
        if pspec.get("females_only"):
            index = {lab: idx[sex[idx] == "F"] for lab, idx in arm_index.items()}
        else:
            index = arm_index
        # who is analysed at each visit: attended, and the assessment obtained (drawn once, before any
        # value, so that missingness does not depend on the values or on the record's conditions)
        seen = {}
        for visit in spec["visits"]:
            if visit == 0:
                continue
            seen[visit] = {}
            for lab, idx in index.items():
                attended = np.array([visit in disp.at[i, "visits"] for i in idx], bool)
                obtained = rng.random(len(idx)) >= p_item if (param, lab, visit) not in cells else np.ones(len(idx), bool)
                seen[visit][lab] = attended & obtained
        complete = {v: {lab: np.ones(len(idx), bool) for lab, idx in index.items()} for v in seen}
        _, _, at_assumptions, _ = _draw_parameter(study, param, pspec, spec, index, complete, exact_rng, doses,
                                                  exact=True)
        gen, changes, records, draw = _draw_parameter(study, param, pspec, spec, index, seen, rng, doses,
                                                      exact=False)
        for rec, pop in zip(records, at_assumptions):
            rec.update(at_assumptions=pop["obtained"], draw=draw)
        targets.extend(records)
        for lab, idx in index.items():
            for j, i in enumerate(idx):
                rows.append((ids[i], param, 0, gen.base[lab][j]))
                for visit, ch in changes.items():
                    if seen[visit][lab][j]:
                        rows.append((ids[i], param, visit, gen.base[lab][j] + ch[lab][j]))

    adeff = pd.DataFrame(rows, columns=["USUBJID", "PARAMCD", "AVISITN", "AVAL"])
    adeff.insert(0, "STUDYID", study)
    adeff["AVAL"] = adeff["AVAL"].map(lambda v: float(f"{v:.{float_digits}g}"))
    adeff["SYNTHFL"] = "Y"
    adeff = adeff.sort_values(["USUBJID", "PARAMCD", "AVISITN"]).reset_index(drop=True)

    adae = _adverse_events(study, spec["adverse_events"], ids, disp, ae_rng if ae_rng is not None else rng)
    for death in spec["adverse_events"].get("deaths", []):
        targets.append(_check({"study": study, "paramcd": "DEATH", "visit": "", "arm": death["arm"], "ref_arm": "",
                               "test": "event", "printed": death["printed"], "source": death["source"],
                               "target": f"one death, day {death['day']}",
                               "obtained": ", ".join(f"day {d:g}" for d in
                                                     adae.loc[adae.AEOUT == "FATAL", "ASTDY"])},
                              (adae.AEOUT == "FATAL").sum() == 1))
    return adsl, adeff, adae, targets


def _targets(study, param, pspec, gen, changes, seen, doses):
    """Records of every printed constraint on this parameter and whether the data meet it."""
    out = []
    index = gen.arm_index
    placebo = _placebo(index)

    def x(visit, arm):
        return changes[visit][arm][seen[visit][arm]]

    def ancova(visit, arm, ref):
        return gen._ancova(changes[visit], seen[visit], arm, ref)

    def better(chk, m):
        return m * chk.get("better", 1)

    for visit, vspec in pspec["visits"].items():
        if visit not in changes:
            continue
        for arm, w in (vspec.get("within") or {}).items():
            p = stats.paired_t(x(visit, arm))["p_value"]
            d = printed_decimals(w["p"])
            ok = round(p, d) == round(w["p"], d) and np.sign(x(visit, arm).mean()) == w.get("direction", 1)
            out.append(_check({"study": study, "paramcd": param, "visit": visit, "arm": arm, "ref_arm": "",
                               "test": "paired_t p", "printed": w["printed"], "source": w["source"],
                               "target": w["p"], "obtained": f"{p:.6g}", "n": str(len(x(visit, arm)))}, ok))
        for arm, w in (vspec.get("vs_placebo") or {}).items():
            r = ancova(visit, arm, placebo)
            key, val = ("estimate", r["estimate"]) if "estimate" in w else ("p_value", r["p_value"])
            tgt = w["estimate"] if "estimate" in w else w["p"]
            ok = abs(val - tgt) <= 1e-6 * max(1.0, abs(tgt))
            if "p" in w:
                ok = ok and np.sign(r["estimate"]) == w.get("direction", 1)
            out.append(_check({"study": study, "paramcd": param, "visit": visit, "arm": arm, "ref_arm": placebo,
                               "test": f"ancova {key}", "printed": w["printed"], "source": w["source"],
                               "target": tgt, "obtained": f"{val:.6g}", "n": f"{r['n']} vs {r['n_ref']}"}, ok))
        if "pooled" in vspec:
            c = np.concatenate([x(visit, a) for a in index])
            p = stats.paired_t(c)["p_value"]
            w = vspec["pooled"]
            d = printed_decimals(w["p"])
            ok = round(p, d) == round(w["p"], d) and np.sign(c.mean()) == w.get("direction", 1)
            out.append(_check({"study": study, "paramcd": param, "visit": visit, "arm": "all", "ref_arm": "",
                               "test": "pooled paired_t p", "printed": w["printed"], "source": w["source"],
                               "target": w["p"], "obtained": f"{p:.6g}", "n": str(len(c))}, ok))
    for chk in pspec.get("checks", []):
        visit = chk["visit"]
        rec = {"study": study, "paramcd": param, "visit": visit, "arm": chk.get("arm", "all"), "ref_arm": "",
               "test": chk["test"], "printed": chk["printed"], "source": chk["source"]}
        if chk["test"] == "paired_t":
            v = x(visit, chk["arm"])
            p = stats.paired_t(v)["p_value"]
            ok = p > chk["p_above"] if "p_above" in chk else p < chk["p_below"]
            if "direction" in chk:
                ok = ok and np.sign(v.mean()) == chk["direction"]
            bound = f"p > {chk['p_above']}" if "p_above" in chk else f"p < {chk['p_below']}"
            rec.update(target=bound, obtained=f"{p:.6g}", n=str(len(v)))
            out.append(_check(rec, ok))
        elif chk["test"] == "pooled_paired_t":
            v = np.concatenate([x(visit, a) for a in index])
            p = stats.paired_t(v)["p_value"]
            rec.update(target=f"p < {chk['p_below']}", obtained=f"{p:.6g}", n=str(len(v)))
            out.append(_check(rec, p < chk["p_below"]))
        elif chk["test"] == "hochberg_none_significant":
            fits = [ancova(visit, a, placebo) for a in index if a != placebo]
            ps = [r["p_value"] for r in fits]
            rec.update(ref_arm=placebo, target=f"no Hochberg rejection at {chk['alpha']}",
                       obtained="p = " + ", ".join(f"{p:.4g}" for p in ps),
                       n=" + ".join(str(int(seen[visit][a].sum())) for a in index))
            out.append(_check(rec, _hochberg_none(ps, chk["alpha"])))
        elif chk["test"] == "dose_trend":
            dose = np.concatenate([np.full(len(x(visit, a)), doses[a]) for a in index])
            y = np.concatenate([x(visit, a) for a in index])
            b = np.concatenate([gen.base[a][seen[visit][a]] for a in index])
            p = stats.linear_trend(y, b, dose)["p_value"]
            rec.update(target=f"p < {chk['p_below']}", obtained=f"{p:.6g}", n=str(len(y)))
            out.append(_check(rec, p < chk["p_below"]))
        elif chk["test"] == "best_arm":
            means = {a: better(chk, x(visit, a).mean()) for a in index}
            top = max(means, key=means.get)
            rec.update(target=f"{chk['arm']} {'best' if chk.get('best', True) else 'not best'}",
                       obtained=f"best: {top}", n=" + ".join(str(len(x(visit, a))) for a in index))
            out.append(_check(rec, (top == chk["arm"]) == chk.get("best", True)))
        elif chk["test"] == "ancova_direction":
            r = ancova(visit, chk["arm"], placebo)
            rec.update(ref_arm=placebo, target=f"difference {'> 0' if chk['direction'] > 0 else '< 0'}",
                       obtained=f"{r['estimate']:.6g}", n=f"{r['n']} vs {r['n_ref']}")
            out.append(_check(rec, np.sign(r["estimate"]) == chk["direction"]))
        else:
            raise SpecError(f"unknown check {chk['test']!r}")
    return out


def onset_window(term_spec: dict, last_day: int) -> tuple[int, int] | None:
    """Days (first, last) on which an event of the infusion itself can begin for a subject followed to
    ``last_day``: ``onset_days`` of ``term_spec`` cut at ``last_day``; None when the subject left before it.

    Examples
    --------
    >>> onset_window({"risk": 0.1, "onset_days": [1, 3]}, 365), onset_window({"risk": 0.1, "onset_days": [1, 3]}, 2)
    ((1, 3), (1, 2))
    """
    lo, hi = (int(d) for d in term_spec["onset_days"])
    if not 1 <= lo <= hi:
        raise SpecError(f"onset_days {term_spec['onset_days']}: need 1 <= first <= last (day 1 = infusion day)")
    hi = min(hi, int(last_day))
    return (lo, hi) if hi >= lo else None


def _adverse_events(study, spec, ids, disp, rng):
    """Non-serious events while each subject is followed, and a death on its day, the subject's last.

    Each term has its own onset window (A11, A20): an event of the infusion itself (``infusion_terms``: term ->
    ``risk``, ``onset_days``) happens at most once per subject, with probability ``risk``, on a day of
    ``onset_days``; the follow-up ``terms`` occur at ``rate_per_subject`` events over ``follow_up_days``, in
    proportion to the time the subject was followed, onset uniform over it. No serious event is generated beyond
    the printed deaths (A21).
    """
    rows = []
    days = int(spec.get("follow_up_days", 365))
    infusion = spec.get("infusion_terms") or {}
    overlap = set(infusion) & set(spec["terms"])
    if overlap:
        raise SpecError(f"{study}: term(s) {sorted(overlap)} both an infusion term and a follow-up term")
    for term, t in infusion.items():
        if not 0 <= float(t["risk"]) <= 1:
            raise SpecError(f"{study}: risk of {term!r} is {t['risk']}, not a probability")
    for i, uid in enumerate(ids):
        last = int(min(disp.at[i, "last_day"], days))
        for term, t in infusion.items():
            window = onset_window(t, last)
            if rng.random() < float(t["risk"]) and window is not None:
                rows.append((uid, term, "N", "Y", int(rng.integers(window[0], window[1] + 1)), "RECOVERED/RESOLVED"))
        for _ in range(rng.poisson(spec["rate_per_subject"] * last / days)):
            term = spec["terms"][int(rng.integers(len(spec["terms"])))]
            rows.append((uid, term, "N", "Y", int(rng.integers(1, last + 1)), "RECOVERED/RESOLVED"))
        if disp.at[i, "DCSREAS"] == DEATH:
            rows.append((uid, "Death", "Y", "Y", int(disp.at[i, "last_day"]), "FATAL"))
    adae = pd.DataFrame(rows, columns=["USUBJID", "AEDECOD", "AESER", "TRTEMFL", "ASTDY", "AEOUT"])
    adae.insert(0, "STUDYID", study)
    adae["SYNTHFL"] = "Y"
    serious30 = ((adae.AESER == "Y") & (adae.ASTDY <= 30)).sum()
    if serious30 != spec.get("serious_within_30_days", 0):
        raise SpecError(f"{study}: {serious30} serious AEs within 30 days, spec says "
                        f"{spec.get('serious_within_30_days', 0)}")
    return adae.sort_values(["USUBJID", "ASTDY", "AEDECOD"]).reset_index(drop=True)


TARGET_COLUMNS = ["study", "paramcd", "visit", "arm", "ref_arm", "test", "printed", "source", "target",
                  "obtained", "n", "at_assumptions", "draw", "met"]


def study_streams(seed: int, study: str) -> dict:
    """The seeded random streams of one study: ``values`` (disposition, baselines and changes), ``exact`` (the
    assumptions' own exact-moment values) and ``adverse_events``.

    Each study has its own streams, keyed by its name: a change to one study's specification (a new condition, an
    adverse-event assumption) does not move another study's values, nor does the order or presence of the other
    studies. Within a study, the adverse events have their own stream, so their assumptions do not move the
    efficacy values either.

    Examples
    --------
    >>> a, b = study_streams(1, "CRATUS-P2"), study_streams(1, "CRATUS-P2")
    >>> a["values"].random() == b["values"].random() != study_streams(1, "LOMECEL-P2B")["values"].random()
    True
    """
    key = zlib.crc32(study.encode("utf-8"))
    return {name: np.random.default_rng([int(seed), part, key])
            for part, name in enumerate(("exact", "values", "adverse_events"))}


def generate(spec: dict):
    """Generate every study of a specification. Returns (adsl, adeff, adae, targets).

    Each study is drawn from its own seeded streams (:func:`study_streams`).
    """
    parts = []
    for study, sspec in spec["studies"].items():
        streams = study_streams(spec["seed"], study)
        parts.append(generate_study(study, sspec, streams["values"], spec.get("float_digits", 10), streams["exact"],
                                    streams["adverse_events"]))
    adsl = pd.concat([p[0] for p in parts], ignore_index=True)
    adeff = pd.concat([p[1] for p in parts], ignore_index=True)
    adae = pd.concat([p[2] for p in parts], ignore_index=True)
    targets = pd.DataFrame([t for p in parts for t in p[3]]).reindex(columns=TARGET_COLUMNS)
    targets["draw"] = targets["draw"].astype("Int64")
    return adsl, adeff, adae, targets


def write(spec_path, out_dir) -> pd.DataFrame:
    """Generate from ``spec_path`` and write the data set to ``out_dir``. Returns the targets table."""
    spec = yaml.safe_load(Path(resolve(spec_path)).read_text(encoding="utf-8"))
    adsl, adeff, adae, targets = generate(spec)
    if (targets["met"] != "yes").any():
        bad = targets[targets["met"] != "yes"]
        raise SpecError("printed constraints not met:\n" + bad.to_string(index=False))
    out = resolve(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fmt = f"%.{spec.get('float_digits', 10)}g"
    for name, df in (("adsl", adsl), ("adeff", adeff), ("adae", adae), ("targets", targets)):
        df.to_csv(out / f"{name}.csv", index=False, float_format=fmt, lineterminator="\n")
    return targets


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Generate the synthetic default data set from its specification.")
    parser.add_argument("--spec", default=str(SYNTHETIC_SPEC))
    parser.add_argument("--out", default=str(SYNTHETIC_SPEC.parent))
    args = parser.parse_args(argv)
    try:
        targets = write(args.spec, args.out)
    except SpecError as err:
        print(f"synthetic data: {err}", file=sys.stderr)
        return 1
    print(f"SYNTHETIC data written to {resolve(args.out)}; {len(targets)} printed constraints, all met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
