"""Seeded generator of the SYNTHETIC default data set, from a committed specification.

``python -m msc_frailty.synthetic --spec data/synthetic/spec.yaml --out data/synthetic`` writes
``adsl.csv``, ``adeff.csv``, ``adae.csv`` (every row flagged ``SYNTHFL = Y``) and ``targets.csv``:
every printed constraint of the specification with what the generated data give when analysed by
the collection's own functions, and whether it is met. The run fails when a constraint is not met.

How a printed p-value is met exactly
------------------------------------
Within an arm, baselines have an exact sample mean and SD (normal scores, standardized, scaled), the
same in every arm of a study (assumption A1). Changes are built as
``mean + sd * (r * z_base + sqrt(1 - r^2) * u)`` where ``z_base`` is the standardized baseline and
``u`` seeded noise made exactly orthogonal to it and standardized, so the sample mean, SD and
correlation with baseline are exactly the specified ones. Then:

- a within-arm paired-t p fixes the mean: ``mean = direction * t_{1-p/2, n-1} * sd / sqrt(n)``;
- a pooled paired-t p scales every arm's mean by one factor, solved numerically;
- an ANCOVA difference fixes the arm's mean (equal baselines make the adjusted difference equal the
  difference in mean change);
- an ANCOVA p solves the arm's SD (its mean tied to its within-arm p) or its mean, numerically, with
  :func:`msc_frailty.stats.ancova` itself.

Integer parameters (SPPB) cannot have exact moments: a seeded search draws integer change vectors
until the paired-t p rounds to the printed value at the printed precision.
"""

from __future__ import annotations

import argparse
import sys
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


class SpecError(ValueError):
    """The specification cannot be met (a constraint fails or an input is inconsistent)."""


# --- exact-moment building blocks ---------------------------------------------------------------

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
    """Generate one parameter of one study: baseline and every visit's change, per arm."""

    def __init__(self, name, spec, arm_index, rng):
        self.name, self.spec, self.rng = name, spec, rng
        self.arm_index = arm_index                       # arm label -> positions of its subjects
        self.arms = list(arm_index)
        self.integer = bool(spec.get("integer", False))
        self.r = float(spec.get("corr_baseline_change", DEFAULT_CORR_BASELINE_CHANGE))
        self.rho = float(spec.get("visit_corr", DEFAULT_VISIT_CORR))
        b = spec["baseline"]
        # physical range of any value (e.g. SPPB 0-12); the baseline's own min/max are eligibility bounds
        self.lo, self.hi = (float(v) if v is not None else d for v, d in
                            zip(spec.get("range", [None, None]), (-np.inf, np.inf)))
        self.base, self.z_base = {}, {}
        for arm, idx in arm_index.items():
            z = standardize(normal_scores(len(idx), rng))
            self.z_base[arm] = z
            base = b["mean"] + b["sd"] * z
            if self.integer:
                base = np.clip(np.round(base), self.lo, self.hi)
                self.z_base[arm] = standardize(base) if base.std() > 0 else z
            if np.any(base < b.get("min", -np.inf)) or np.any(base > b.get("max", np.inf)):
                raise SpecError(f"{name} baseline of {arm} outside [{b.get('min')}, {b.get('max')}]")
            self.base[arm] = base
        self.shared = {arm: rng.standard_normal(len(idx)) for arm, idx in arm_index.items()}
        self.records = []                                # printed constraints and what was obtained

    def noise(self, arm):
        e = self.rng.standard_normal(len(self.arm_index[arm]))
        v = np.sqrt(self.rho) * self.shared[arm] + np.sqrt(1 - self.rho) * e
        return orthogonal_unit(v, self.z_base[arm])

    def visit(self, visit, vspec):
        arms = self.arms
        sd = _per_arm(vspec.get("sd"), arms, f"{self.name} month {visit} sd")
        mean = _per_arm(vspec.get("mean"), arms, f"{self.name} month {visit} mean")
        within = vspec.get("within", {}) or {}
        versus = vspec.get("vs_placebo", {}) or {}
        u = {arm: self.noise(arm) for arm in arms}
        n = {arm: len(self.arm_index[arm]) for arm in arms}

        if self.integer:
            return self._integer_visit(visit, sd, mean, within, u)

        def within_mean(arm, s):
            w = within[arm]
            return w.get("direction", 1) * t_for_p(w["p"], n[arm] - 1) * s / np.sqrt(n[arm])

        for arm in arms:
            if arm in within and sd[arm] != "solve":
                mean[arm] = within_mean(arm, sd[arm])
        placebo = [a for a in arms if a.lower() == "placebo"]
        for arm, target in versus.items():
            if not placebo:
                raise SpecError(f"{self.name}: vs_placebo target without a placebo arm")
            ref = placebo[0]
            if "estimate" in target:
                mean[arm] = mean[ref] + target["estimate"]
                continue

            def p_of(x, arm=arm, ref=ref):
                s = x if sd[arm] == "solve" else sd[arm]
                m = within_mean(arm, s) if sd[arm] == "solve" else x
                c_arm = exact_change(m, s, self.r, self.z_base[arm], u[arm])
                c_ref = exact_change(mean[ref], sd[ref], self.r, self.z_base[ref], u[ref])
                y = np.concatenate([c_arm, c_ref])
                b = np.concatenate([self.base[arm], self.base[ref]])
                is_arm = np.r_[np.ones(n[arm], bool), np.zeros(n[ref], bool)]
                return stats.ancova(y, b, is_arm)["p_value"]

            scale = self.spec["baseline"]["sd"]
            grid = np.geomspace(scale * 1e-4, scale * 1e3, 400)
            f = [np.log(p_of(x)) - np.log(target["p"]) for x in grid]
            sign = np.nonzero(np.diff(np.sign(f)))[0]
            if not len(sign):
                raise SpecError(f"{self.name} month {visit}: no {'SD' if sd[arm] == 'solve' else 'mean'} of "
                                f"{arm} gives ANCOVA p = {target['p']} vs placebo")
            k = sign[0]
            x = optimize.brentq(lambda v: np.log(p_of(v)) - np.log(target["p"]), grid[k], grid[k + 1],
                                xtol=1e-14, rtol=1e-13)
            if sd[arm] == "solve":
                sd[arm], mean[arm] = x, within_mean(arm, x)
            else:
                mean[arm] = x
        missing = [a for a in arms if mean[a] is None or sd[a] in (None, "solve")]
        if missing:
            raise SpecError(f"{self.name} month {visit}: mean or sd not determined for {missing}")

        if "pooled" in vspec:
            target = vspec["pooled"]["p"]

            def pooled_p(k):
                c = np.concatenate([exact_change(k * mean[a], sd[a], self.r, self.z_base[a], u[a]) for a in arms])
                return stats.paired_t(c)["p_value"]

            ks = np.geomspace(1e-3, 1e3, 300)
            f = [np.log(pooled_p(k)) - np.log(target) for k in ks]
            sign = np.nonzero(np.diff(np.sign(f)))[0]
            if not len(sign):
                raise SpecError(f"{self.name} month {visit}: pooled p = {target} not reachable by scaling means")
            k = optimize.brentq(lambda v: np.log(pooled_p(v)) - np.log(target), ks[sign[0]], ks[sign[0] + 1],
                                xtol=1e-14, rtol=1e-13)
            mean = {a: k * mean[a] for a in arms}
        return {a: exact_change(mean[a], sd[a], self.r, self.z_base[a], u[a]) for a in arms}

    def _integer_visit(self, visit, sd, mean, within, u):
        out = {}
        for arm in self.arms:
            base = self.base[arm]
            if arm not in within:
                w = self.r * self.z_base[arm] + np.sqrt(1 - self.r**2) * u[arm]
                c = np.round(mean[arm] + sd[arm] * w)
                out[arm] = np.clip(base + c, self.lo, self.hi) - base
                continue
            target, decimals = within[arm]["p"], printed_decimals(within[arm]["p"])
            best = None
            for _ in range(20000):
                c = np.round(mean[arm] + sd[arm] * self.rng.standard_normal(len(base)))
                if np.any(base + c < self.lo) or np.any(base + c > self.hi) or c.std() == 0:
                    continue
                if np.sign(c.mean()) != within[arm].get("direction", 1):
                    continue
                p = stats.paired_t(c)["p_value"]
                if round(p, decimals) == round(target, decimals):
                    if best is None or abs(p - target) < abs(best[0] - target):
                        best = (p, c)
                    if abs(p - target) < 10 ** -(decimals + 2):
                        break
            if best is None:
                raise SpecError(f"{self.name} month {visit} {arm}: no integer changes give p = {target}")
            out[arm] = best[1]
        return out


# --- a whole study -----------------------------------------------------------------------------

def _check(record, ok):
    record["met"] = "yes" if ok else "NO"
    return record


def _hochberg_none(ps, alpha):
    ps = sorted(ps)
    m = len(ps)
    return all(p > alpha / (m - i) for i, p in enumerate(ps))


def generate_study(study: str, spec: dict, rng: np.random.Generator, float_digits: int = 10):
    """Generate one study. Returns (adsl, adeff, adae, targets) DataFrames."""
    arms = spec["arms"]
    labels = [a["label"] for a in arms]
    n_total = sum(a["n"] for a in arms)
    assignment = rng.permutation(np.repeat(np.arange(len(arms)), [a["n"] for a in arms]))
    ids = [f"{study}-{i + 1:03d}" for i in range(n_total)]
    arm_of = [labels[k] for k in assignment]
    arm_index = {lab: np.nonzero(assignment == k)[0] for k, lab in enumerate(labels)}

    sex = np.empty(n_total, dtype=object)
    for lab, idx in arm_index.items():
        n_f = int(round(len(idx) * spec["female_fraction"]))
        sex[idx] = rng.permutation(["F"] * n_f + ["M"] * (len(idx) - n_f))
    age_spec = spec["age"]
    if age_spec.get("exact"):
        age = integer_ages(n_total, age_spec["mean"], age_spec["sd"], age_spec["min"], age_spec["max"], rng)
    else:
        age = rng.integers(age_spec["min"], age_spec["max"] + 1, size=n_total)
    adsl = pd.DataFrame({"STUDYID": study, "USUBJID": ids, "TRT01A": arm_of,
                         "TRT01AN": [next(a["dose"] for a in arms if a["label"] == x) for x in arm_of],
                         "AGE": age, "SEX": sex, "SAFFL": "Y", "SYNTHFL": "Y"})
    targets = []
    if age_spec.get("exact"):
        targets.append(_check({"study": study, "paramcd": "AGE", "visit": "", "arm": "all", "ref_arm": "",
                               "test": "mean_sd", "printed": age_spec["printed"], "source": age_spec["source"],
                               "target": f"{age_spec['mean']} +/- {age_spec['sd']}",
                               "obtained": f"{age.mean():.4f} +/- {age.std(ddof=1):.4f}"},
                              round(age.mean(), 4) == age_spec["mean"]
                              and round(age.std(ddof=1), printed_decimals(age_spec["sd"])) == age_spec["sd"]))

    rows = []
    for param, pspec in spec["parameters"].items():
        if pspec.get("females_only"):
            index = {lab: idx[sex[idx] == "F"] for lab, idx in arm_index.items()}
        else:
            index = arm_index
        gen = _Param(param, pspec, index, rng)
        changes = {}
        for visit in spec["visits"]:
            if visit == 0:
                continue
            vspec = pspec["visits"].get(visit)
            if vspec is None:
                continue
            changes[visit] = gen.visit(visit, vspec)
        for lab, idx in index.items():
            for j, i in enumerate(idx):
                rows.append((ids[i], param, 0, gen.base[lab][j]))
                for visit, ch in changes.items():
                    rows.append((ids[i], param, visit, gen.base[lab][j] + ch[lab][j]))
        for visit, ch in changes.items():
            for lab in index:
                value = gen.base[lab] + ch[lab]
                if np.any(value < gen.lo) or np.any(value > gen.hi):
                    raise SpecError(f"{study} {param} month {visit} {lab}: values outside "
                                    f"[{gen.lo}, {gen.hi}]; change the assumptions")
        doses = {a["label"]: a["dose"] for a in arms}
        targets.extend(_targets(study, param, pspec, gen, changes, index, doses))

    adeff = pd.DataFrame(rows, columns=["USUBJID", "PARAMCD", "AVISITN", "AVAL"])
    adeff.insert(0, "STUDYID", study)
    adeff["AVAL"] = adeff["AVAL"].map(lambda v: float(f"{v:.{float_digits}g}"))
    adeff["SYNTHFL"] = "Y"
    adeff = adeff.sort_values(["USUBJID", "PARAMCD", "AVISITN"]).reset_index(drop=True)

    adae = _adverse_events(study, spec["adverse_events"], ids, arm_of, rng)
    for death in spec["adverse_events"].get("deaths", []):
        targets.append(_check({"study": study, "paramcd": "DEATH", "visit": "", "arm": death["arm"], "ref_arm": "",
                               "test": "event", "printed": death["printed"], "source": death["source"],
                               "target": f"one death, day {death['day']}",
                               "obtained": ", ".join(f"day {d:g}" for d in
                                                     adae.loc[adae.AEOUT == "FATAL", "ASTDY"])},
                              (adae.AEOUT == "FATAL").sum() == 1))
    return adsl, adeff, adae, targets


def _targets(study, param, pspec, gen, changes, index, doses):
    """Records of every printed constraint on this parameter and whether the data meet it."""
    out = []
    placebo = next((a for a in index if a.lower() == "placebo"), None)

    def ancova(visit, arm, ref):
        y = np.concatenate([changes[visit][arm], changes[visit][ref]])
        b = np.concatenate([gen.base[arm], gen.base[ref]])
        is_arm = np.r_[np.ones(len(changes[visit][arm]), bool), np.zeros(len(changes[visit][ref]), bool)]
        return stats.ancova(y, b, is_arm)

    for visit, vspec in pspec["visits"].items():
        if visit not in changes:
            continue
        for arm, w in (vspec.get("within") or {}).items():
            p = stats.paired_t(changes[visit][arm])["p_value"]
            d = printed_decimals(w["p"])
            ok = round(p, d) == round(w["p"], d) and np.sign(changes[visit][arm].mean()) == w.get("direction", 1)
            out.append(_check({"study": study, "paramcd": param, "visit": visit, "arm": arm, "ref_arm": "",
                               "test": "paired_t p", "printed": w["printed"], "source": w["source"],
                               "target": w["p"], "obtained": f"{p:.6g}"}, ok))
        for arm, w in (vspec.get("vs_placebo") or {}).items():
            r = ancova(visit, arm, placebo)
            key, val = ("estimate", r["estimate"]) if "estimate" in w else ("p_value", r["p_value"])
            tgt = w["estimate"] if "estimate" in w else w["p"]
            ok = abs(val - tgt) <= 1e-6 * max(1.0, abs(tgt))
            out.append(_check({"study": study, "paramcd": param, "visit": visit, "arm": arm, "ref_arm": placebo,
                               "test": f"ancova {key}", "printed": w["printed"], "source": w["source"],
                               "target": tgt, "obtained": f"{val:.6g}"}, ok))
        if "pooled" in vspec:
            c = np.concatenate([changes[visit][a] for a in index])
            p = stats.paired_t(c)["p_value"]
            w = vspec["pooled"]
            d = printed_decimals(w["p"])
            out.append(_check({"study": study, "paramcd": param, "visit": visit, "arm": "all", "ref_arm": "",
                               "test": "pooled paired_t p", "printed": w["printed"], "source": w["source"],
                               "target": w["p"], "obtained": f"{p:.6g}"}, round(p, d) == round(w["p"], d)))
    for chk in pspec.get("checks", []):
        visit = chk["visit"]
        rec = {"study": study, "paramcd": param, "visit": visit, "arm": chk.get("arm", "all"), "ref_arm": "",
               "test": chk["test"], "printed": chk["printed"], "source": chk["source"]}
        if chk["test"] == "paired_t":
            p = stats.paired_t(changes[visit][chk["arm"]])["p_value"]
            rec.update(target=f"p > {chk['p_above']}", obtained=f"{p:.6g}")
            out.append(_check(rec, p > chk["p_above"]))
        elif chk["test"] == "pooled_paired_t":
            p = stats.paired_t(np.concatenate([changes[visit][a] for a in index]))["p_value"]
            rec.update(target=f"p < {chk['p_below']}", obtained=f"{p:.6g}")
            out.append(_check(rec, p < chk["p_below"]))
        elif chk["test"] == "hochberg_none_significant":
            ps = [ancova(visit, a, placebo)["p_value"] for a in index if a != placebo]
            rec.update(ref_arm=placebo, target=f"no Hochberg rejection at {chk['alpha']}",
                       obtained="p = " + ", ".join(f"{p:.4g}" for p in ps))
            out.append(_check(rec, _hochberg_none(ps, chk["alpha"])))
        elif chk["test"] == "dose_trend":
            dose = np.concatenate([np.full(len(changes[visit][a]), doses[a]) for a in index])
            y = np.concatenate([changes[visit][a] for a in index])
            b = np.concatenate([gen.base[a] for a in index])
            p = stats.linear_trend(y, b, dose)["p_value"]
            rec.update(target=f"p < {chk['p_below']}", obtained=f"{p:.6g}")
            out.append(_check(rec, p < chk["p_below"]))
        else:
            raise SpecError(f"unknown check {chk['test']!r}")
    return out


def _adverse_events(study, spec, ids, arm_of, rng):
    rows = []
    days = spec.get("follow_up_days", 365)
    for i, uid in enumerate(ids):
        for _ in range(rng.poisson(spec["rate_per_subject"])):
            term = spec["terms"][int(rng.integers(len(spec["terms"])))]
            rows.append((uid, term, "N", "Y", int(rng.integers(1, days + 1)), "RECOVERED/RESOLVED"))
    for death in spec.get("deaths", []):
        candidates = [uid for uid, a in zip(ids, arm_of) if a == death["arm"]]
        uid = candidates[int(rng.integers(len(candidates)))]
        rows.append((uid, "Death", "Y", "Y", death["day"], "FATAL"))
    adae = pd.DataFrame(rows, columns=["USUBJID", "AEDECOD", "AESER", "TRTEMFL", "ASTDY", "AEOUT"])
    adae.insert(0, "STUDYID", study)
    adae["SYNTHFL"] = "Y"
    serious30 = ((adae.AESER == "Y") & (adae.ASTDY <= 30)).sum()
    if serious30 != spec.get("serious_within_30_days", 0):
        raise SpecError(f"{study}: {serious30} serious AEs within 30 days, spec says "
                        f"{spec.get('serious_within_30_days', 0)}")
    return adae.sort_values(["USUBJID", "ASTDY", "AEDECOD"]).reset_index(drop=True)


def generate(spec: dict):
    """Generate every study of a specification. Returns (adsl, adeff, adae, targets)."""
    rng = np.random.default_rng(spec["seed"])
    parts = []
    for study, sspec in spec["studies"].items():
        parts.append(generate_study(study, sspec, rng, spec.get("float_digits", 10)))
    adsl = pd.concat([p[0] for p in parts], ignore_index=True)
    adeff = pd.concat([p[1] for p in parts], ignore_index=True)
    adae = pd.concat([p[2] for p in parts], ignore_index=True)
    targets = pd.DataFrame([t for p in parts for t in p[3]])
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
