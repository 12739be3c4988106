"""The published-claims scorecard (contract section 3): one row per claim of the published record.

For every row of ``data/published/claims.csv`` the scorecard says what was claimed (quoted), the
statistic as printed, what the collection obtains, the basis it obtains it on, a status and why.

Statuses
--------
``reproduced`` / ``not_reproduced``
    Tested on supplied patient-level data (the same test, same arm, visit and parameter), or, for a
    claim the public record itself contradicts or cannot support as printed, on the published basis
    (a wrong attribution, two conflicting figures, a percentage no printed group size can give).
``consistent_by_construction``
    The claim holds on the SYNTHETIC default, which was generated to meet it: agreement proves nothing
    about the trial. Claims about synthetic data never read as ``reproduced``.
``not_testable_without_patient_data``
    Everything else: what the printed numbers imply is given in ``obtained`` (implied effect sizes,
    exact zero-event bounds), but only the trial's data could test the claim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from . import consistency, stats
from .analysis import tesae_subjects
from .data import PARAMETERS, TrialData, add_change
from .published import decimals, load_published, parse_mean_sd, parse_p
from .reanalysis import change_sign, arm_sizes, implied_g, published_estimates
from .results import ONE_SIDED, SCORECARD_COLUMNS, SCORECARD_STATUSES



@dataclass
class Evidence:
    """What a scorecard can draw on: the published tables and, optionally, one patient-level run."""

    tables: dict
    published: pd.DataFrame
    estimates: pd.DataFrame = field(default_factory=pd.DataFrame)
    trial: TrialData | None = None

    @property
    def basis(self):
        return self.trial.basis if self.trial is not None else None

    def has(self, study: str) -> bool:
        return self.trial is not None and study in self.trial.studies

    def rows(self, **match) -> pd.DataFrame:
        e = self.estimates
        if e.empty:
            return e
        keep = np.ones(len(e), bool)
        for k, v in match.items():
            keep &= (e[k] == v).to_numpy() if k != "visit" else np.isclose(e[k].astype(float), float(v))
        return e[keep]


def _fmt(x, digits=4):
    return "" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.{digits}g}"


def _p_holds(printed: str, p: float) -> bool:
    """Does an obtained p agree with the printed one (to its printed precision, or its inequality)?"""
    q = parse_p(printed)
    if q["kind"] == "exact":
        return round(p, q["decimals"]) == round(q["value"], q["decimals"])
    if q["kind"] == "upper_bound":
        return p < q["value"]
    if q["kind"] == "lower_bound":
        return p > q["value"]
    return False


def _sign_ok(direction: str, paramcd: str, estimate: float) -> bool:
    if direction in ("not_stated", "", "none", "not_improved"):
        return True
    return np.sign(estimate) == change_sign(direction, paramcd)


def _patient_status(ev: Evidence, holds: bool):
    """Status and the basis word of a patient-level test.

    On the synthetic default a claim that holds was built in (the generator honours every printed
    statement, numeric or in words, through the specification); one that does not hold was not
    encoded, and neither case says anything about the trial.
    """
    if ev.basis == "supplied":
        return ("reproduced" if holds else "not_reproduced"), "supplied"
    if holds:
        return "consistent_by_construction", "synthetic"
    return "not_testable_without_patient_data", "synthetic"


SYNTHETIC_REASON = ("the SYNTHETIC default was generated to meet this printed value (data/synthetic/spec.yaml); "
                    "agreement is by construction and says nothing about the trial")


# --- patient-level assessors: return (obtained, holds) or None when not applicable ---------------

def _pooled_paired_t(ev, c):
    chg = add_change(ev.trial.study(c.trial))
    x = chg[(chg.PARAMCD == c.paramcd) & np.isclose(chg.AVISITN, float(c.visit))].CHG
    return stats.paired_t(x) if len(x) > 1 else None


def _within(ev, c):
    if not c.visit:
        return None
    if c.arm == "all":
        r = _pooled_paired_t(ev, c)
        if r is None:
            return None
        est, p, n = r["estimate"], r["p_value"], r["n"]
    else:
        rows = ev.rows(study=c.trial, paramcd=c.paramcd, visit=c.visit, method="paired_t", arm=c.arm)
        if rows.empty:
            return None
        r = rows.iloc[0]
        est, p, n = r.estimate, r.p_value, int(r.n)
    obtained = f"paired t p = {_fmt(p)}, mean change {_fmt(est)} (n = {n})"
    if c.statistic == "p":
        return obtained, _p_holds(c.value_printed, p) and _sign_ok(c.direction, c.paramcd, est)
    if c.direction == "not_improved":
        return obtained, not (p < 0.05 and _sign_ok("improved", c.paramcd, est))
    return None


def _versus_placebo(ev, c):
    if not c.visit:
        return None
    rows = ev.rows(study=c.trial, paramcd=c.paramcd, visit=c.visit, method="ancova", comparison="vs_placebo")
    mine = rows[rows.arm == c.arm]
    if mine.empty:
        return None
    r = mine.iloc[0]
    obtained = f"ANCOVA difference {_fmt(r.estimate)} [{_fmt(r.ci_low)}, {_fmt(r.ci_high)}], p = {_fmt(r.p_value)}"
    if c.statistic == "difference":
        text = c.value_printed.replace("about", "").strip()
        tol = 0.5 * 10 ** -decimals(text.lstrip("+"))
        if "about" in c.value_printed:
            tol = max(tol, 0.05 * abs(float(text)))
        return obtained, abs(r.estimate - float(text)) <= tol
    if c.statistic == "p" and "Hochberg" in (c.quote + c.notes):
        adjusted = multipletests(rows.p_value.to_numpy(), method="simes-hochberg")[1]
        adj = float(adjusted[list(rows.arm).index(c.arm)])
        return obtained + f", Hochberg-adjusted p = {_fmt(adj)} over {len(rows)} doses", adj > 0.05
    if c.statistic == "p":
        return obtained, _p_holds(c.value_printed, r.p_value) and _sign_ok(c.direction, c.paramcd, r.estimate)
    return None


def _dose_response(ev, c):
    rows = ev.rows(study=c.trial, paramcd=c.paramcd, visit=c.visit, method="linear_trend") if c.visit else None
    if rows is None or rows.empty:
        return None
    r = rows.iloc[0]
    return (f"linear dose trend {_fmt(r.estimate)} per 100M cells, p = {_fmt(r.p_value)} (the trial's "
            "pre-specified test is not public)", _p_holds(c.value_printed, r.p_value))


def _zero_events(ev, c):
    trial = ev.trial.study(c.trial)
    saf = tesae_subjects(trial)                 # the analysis plan's TESAE30 flag, safety population
    if c.paramcd == "TESAE30":
        k = int(saf.TESAE30.sum())
    else:
        serious = trial.adae[trial.adae.AESER == "Y"]
        k = int(saf.USUBJID.isin(serious.USUBJID).sum())
    n = len(saf)
    return f"{k} of {n} subjects with a {'TE-SAE on days 1-30' if c.paramcd == 'TESAE30' else 'serious AE'}", k == 0


def _death(ev, c):
    trial = ev.trial.study(c.trial)
    deaths = trial.adae[trial.adae.AEOUT == "FATAL"].merge(trial.adsl[["USUBJID", "TRT01A"]], on="USUBJID")
    text = "; ".join(f"{r.TRT01A} day {r.ASTDY:g}" for r in deaths.itertuples()) or "no deaths"
    if c.statistic == "time":
        days = "".join(ch for ch in c.value_printed if ch.isdigit())
        return f"deaths: {text} (study day = days after infusion + 1)", (
            len(deaths) == 1 and deaths.ASTDY.iloc[0] == int(days) + 1)
    return f"deaths: {text}", len(deaths) == 1 and (deaths.TRT01A == c.arm).all()


def _count(ev, c):
    adsl = ev.trial.study(c.trial).adsl
    digits = "".join(ch for ch in c.value_printed if ch.isdigit())
    if not digits:
        return None
    printed = int(digits)
    if c.arm in ("all", ""):
        if "each" in c.value_printed:
            counts = adsl.TRT01A.value_counts()
            return f"arm sizes {dict(sorted(counts.items()))}", (counts == printed).all()
        if "enrolled" in (c.quote + c.notes).lower() and "infused" not in (c.quote + c.notes).lower():
            return None                        # screening/enrolment is not in the data layout
        return f"{len(adsl)} subjects", len(adsl) == printed
    n = int((adsl.TRT01A == c.arm).sum())
    return f"{n} subjects in {c.arm}", n == printed


def _age(ev, c):
    if c.statistic != "mean_sd":
        return None
    mean, sd = parse_mean_sd(c.value_printed)
    age = ev.trial.study(c.trial).adsl.AGE
    m, s = age.mean(), age.std(ddof=1)
    holds = round(m, decimals(mean)) == float(mean) and round(s, decimals(sd)) == float(sd)
    return f"mean {m:.4g}, SD {s:.4g} (n = {len(age)})", holds


def _best_arm(ev, c):
    """CRATUS-P1: 100M showed the largest improvement in every parameter except TNF-alpha."""
    rows = ev.rows(study=c.trial, method="paired_t")
    if rows.empty:
        return None
    last = rows[rows.visit == rows.visit.max()]
    best = {}
    for param, g in last.groupby("paramcd"):
        up = PARAMETERS.get(param, {}).get("higher_is_better", True)
        best[param] = g.loc[g.estimate.idxmax() if up else g.estimate.idxmin(), "arm"]
    holds = all((arm == c.arm) != (param == "TNFA") for param, arm in best.items())
    return "largest improvement at the last visit: " + ", ".join(f"{p} {a}" for p, a in sorted(best.items())), holds


def _eligibility(ev, c):
    """Printed eligibility ranges (age; baseline 6MWD and TNF-alpha) against the data."""
    trial = ev.trial.study(c.trial)
    text = c.value_printed
    numbers = [float(x) for x in re.findall(r"\d+(?:\.\d+)?", text)]
    if c.paramcd == "AGE":
        values = trial.adsl.AGE
    else:
        eff = trial.adeff
        values = eff[(eff.PARAMCD == c.paramcd) & (eff.AVISITN == 0)].AVAL
    if values.empty or not numbers:
        return None
    if c.statistic == "range" and len(numbers) == 2:
        holds = values.between(numbers[0], numbers[1]).all()
    elif text.startswith(">") and "<" in text and len(numbers) == 2:
        holds = ((values > numbers[0]) & (values < numbers[1])).all()
    elif text.startswith(">"):
        holds = (values > numbers[0]).all()
    else:
        return None
    what = "ages" if c.paramcd == "AGE" else f"baseline {c.paramcd}"
    return f"{what} from {values.min():.4g} to {values.max():.4g} (n = {len(values)})", holds


def _visits(ev, c):
    days = [int(x) for x in re.findall(r"\d+", c.value_printed)]
    months = sorted({round(d / 30) for d in days})
    have = sorted(set(ev.trial.study(c.trial).adeff.AVISITN.astype(int)) - {0})
    return f"post-baseline visits in the data: months {have}", set(months) <= set(have)


def _direction_vs_placebo(ev, c):
    rows = ev.rows(study=c.trial, paramcd=c.paramcd, visit=c.visit, method="ancova", comparison="vs_placebo",
                   arm=c.arm)
    if rows.empty:
        return None
    r = rows.iloc[0]
    return (f"ANCOVA difference {_fmt(r.estimate)} [{_fmt(r.ci_low)}, {_fmt(r.ci_high)}], p = {_fmt(r.p_value)} "
            "(direction checked, as nothing numeric is printed)", _sign_ok(c.direction, c.paramcd, r.estimate))


def _patient(ev: Evidence, c):
    """The patient-level assessment of a claim, or None."""
    if not ev.has(c.trial):
        return None
    if c.claim_id.split("-")[1] == "ELIG" and c.paramcd in ("AGE", "SIXMWD", "TNFA"):
        return _eligibility(ev, c)
    if c.claim_id.endswith("DESIGN-VISITS"):
        return _visits(ev, c)
    if c.comparison == "vs_placebo" and c.statistic == "text" and c.direction == "improved" and c.visit:
        return _direction_vs_placebo(ev, c)
    if c.comparison == "change_from_baseline":
        return _within(ev, c)
    if c.comparison == "vs_placebo" and c.statistic in ("p", "difference"):
        return _versus_placebo(ev, c)
    if c.comparison == "dose_response" and c.statistic == "p":
        return _dose_response(ev, c)
    if c.comparison == "proportion" and c.paramcd in ("TESAE30", "SAE") and c.direction == "none":
        return _zero_events(ev, c)
    if c.paramcd == "DEATH":
        return _death(ev, c)
    if c.paramcd == "N" and c.statistic == "n":
        return _count(ev, c)
    if c.paramcd == "AGE" and "cite_other" not in c.flags:
        return _age(ev, c)
    if c.claim_id == "P1-BEST-100M":
        return _best_arm(ev, c)
    return None


# --- published-basis assessment -----------------------------------------------------------------

def _published(ev: Evidence, c):
    """(obtained, status, reason) on the published basis."""
    flags = set(filter(None, c.flags.split(";")))
    pub = ev.published
    if "misattribution" in flags:
        return ("no Nature 2026 paper on MSC therapy for frailty was found; the 2026 results paper is in "
                "Cell Stem Cell", "not_reproduced", "wrong attribution as printed: cite Cell Stem Cell 2026")
    if "cite_other" in flags:
        other = c.see_also or "the paper's figure"
        return (f"conflicts with {other}", "not_reproduced",
                f"two printed figures for the same quantity disagree; cite {other} (the paper)")
    if c.paramcd == "AGE" and c.statistic == "mean_sd":
        mean, sd = parse_mean_sd(c.value_printed)
        n = sum(v for (t, a), v in arm_sizes(ev.tables).items() if t == c.trial and a != "all")
        ok = consistency.grim(mean, n) and consistency.grimmer(mean, sd, n)
        return (f"GRIM and GRIMMER {'consistent' if ok else 'INCONSISTENT'} with {n} integer ages "
                "(± read as SD)", "not_testable_without_patient_data" if ok else "not_reproduced",
                "a consistency check, not a reproduction")
    if c.paramcd == "FRAIL" and c.statistic == "percent":
        pct = c.value_printed.rstrip("%").strip()
        dens = consistency.percent_denominators(pct, 150)
        sizes = sorted({v for (t, a), v in arm_sizes(ev.tables).items() if t == c.trial})
        active = sum(v for (t, a), v in arm_sizes(ev.tables).items()
                     if t == c.trial and a not in ("all", "Placebo"))
        fits = [s for s in sizes + [active] if s in dens]
        return (f"denominators up to 150 that can give {c.value_printed}: {', '.join(map(str, dens))}; "
                f"printed group sizes {sizes + [active]} {'include ' + str(fits) if fits else 'give none of them'}",
                "not_reproduced" if not fits else "not_testable_without_patient_data",
                "arm and denominator not stated; as printed it fits no printed group (GRIM)" if not fits
                else "arm and denominator not stated")
    arm = c.arm
    if c.comparison == "proportion" and arm == "all":       # pooled zero-event statements
        pooled = pub[(pub.study == c.trial) & (pub.paramcd == c.paramcd)].arm
        arm = "All" if (pooled == "All").any() else "All active"
    rows = pub[(pub.study == c.trial) & (pub.paramcd == c.paramcd) & (pub.arm == arm)]
    if c.visit and c.comparison != "proportion":
        rows = rows[np.isclose(rows.visit.astype(float), float(c.visit))]
    if c.comparison == "vs_placebo":
        rows = rows[rows.comparison == "vs_placebo"]
    if c.comparison == "change_from_baseline":
        rows = rows[rows.comparison == "change_from_baseline"]
    if c.trial == "ZHU-2024" and c.statistic == "p" and parse_p(c.value_printed)["kind"] != "none":
        r = implied_g(c.value_printed, 15, 15)
        text = (f"implied g {_fmt(r['estimate'], 3)} [{_fmt(r['ci_low'], 3)}, {_fmt(r['ci_high'], 3)}]"
                if r["bound"] == "" else f"implied |g| {r['bound']} bound {_fmt(r.get('limit'), 3)}")
        return text + " (15 vs 15, two-sample t assumed)", "not_testable_without_patient_data", \
            "context trial (umbilical-cord MSC); no patient data"
    reason = "only the trial's patient-level data could test it"
    if "ambiguous" in flags:
        reason = "ambiguous as printed: " + (c.notes or "the record does not say what the value belongs to")
    if "no_number" in flags:
        reason = "no number printed; " + reason
    if c.claim_type == "design":
        reason = "design statement, not a result"
    if not rows.empty:
        r = rows.iloc[0]
        if r.method == "clopper_pearson":
            k, n = int(round(r.estimate * r.n)), int(r.n)
            if k == 0:
                return (f"0 of {n}: exact 95% upper bound {_fmt(r.ci_high, 3)}", "not_testable_without_patient_data",
                        f"zero events at n = {n} are compatible with a true rate up to {100 * r.ci_high:.0f}%")
            return (f"{k} of {n}: exact 95% interval [{_fmt(r.ci_low, 3)}, {_fmt(r.ci_high, 3)}]",
                    "not_testable_without_patient_data", reason)
        if r.bound == "range":
            return (f"{r.method}: |effect| below the critical value; widest 95% interval [{_fmt(r.ci_low, 3)}, "
                    f"{_fmt(r.ci_high, 3)}]", "not_testable_without_patient_data", reason)
        if r.bound in ONE_SIDED:
            return (f"{r.method}: |effect| at least {_fmt(abs(r.estimate), 3)} (bound from an inequality)",
                    "not_testable_without_patient_data", reason)
        if r.method == "reported_difference":
            return (f"{_fmt(r.estimate)} m as printed; no SD, interval or p printed, so no effect size or test "
                    "can be derived", "not_testable_without_patient_data", reason)
        return (f"{r.method} {_fmt(r.estimate, 3)} [{_fmt(r.ci_low, 3)}, {_fmt(r.ci_high, 3)}] from the printed p "
                f"and n", "not_testable_without_patient_data", reason)
    if c.comparison == "vs_arm" or (c.comparison == "dose_response" and c.arm == "100M"):
        d = pub[(pub.finding == "dose_comparison") & (pub.study == c.trial)]
        if not d.empty:
            parts = [f"{r.paramcd} {r.method} " + (f"{_fmt(r.estimate, 3)} " if r.bound == "" else "")
                     + f"[{_fmt(r.ci_low, 3)}, {_fmt(r.ci_high, 3)}]" for r in d.itertuples()]
            return ("100M minus 200M: " + "; ".join(parts), "not_testable_without_patient_data",
                    "no test of 100M vs 200M is printed; 'significant in one arm, not the other' is not such a "
                    "test (Gelman & Stern 2006), and every implied difference interval includes 0")
    if c.paramcd == "SQOLF":
        reason = "the number of women per arm (the test's n) is not printed, so no effect size can be implied"
    return "", "not_testable_without_patient_data", reason


def assess(ev: Evidence, c) -> dict:
    """One scorecard row for claim ``c`` (a row of claims.csv as a namedtuple)."""
    row = {"claim_id": c.claim_id, "study": c.trial, "claim": c.quote, "reported": c.value_printed}
    flags = set(filter(None, c.flags.split(";")))
    obtained, status, reason = _published(ev, c)
    basis = "published"
    decisive = status == "not_reproduced"          # the record itself contradicts the claim
    patient = None if decisive else _patient(ev, c)
    if patient is not None:
        p_obtained, holds = patient
        p_status, p_basis = _patient_status(ev, holds)
        if p_basis == "supplied" or p_status == "consistent_by_construction":
            note = ("tested on supplied patient-level data" if p_basis == "supplied" else SYNTHETIC_REASON)
            if "ambiguous" in flags:
                note += "; ambiguous as printed: " + c.notes
            if obtained:
                note += f"; published basis: {obtained}"
            obtained, status, basis, reason = p_obtained, p_status, p_basis, note
        else:
            reason = f"{reason}; on the synthetic default: {p_obtained} (not encoded, so it proves nothing)"
    row.update(obtained=obtained, basis=basis, status=status, reason=reason)
    return row


def build_scorecard(trial: TrialData | None = None, estimates: pd.DataFrame | None = None,
                    tables=None) -> pd.DataFrame:
    """The scorecard: one row per claim of the published record, in claims.csv order.

    Parameters
    ----------
    trial : TrialData, optional
        The run's patient-level data (synthetic default or supplied); None for the published basis only.
    estimates : DataFrame, optional
        The run's ``estimates.csv`` (patient-level rows are used; published rows are recomputed).
    tables : dict, optional
        The published tables (default: ``data/published``).
    """
    tables = tables or load_published()
    est = estimates if estimates is not None else pd.DataFrame()
    if not est.empty:
        est = est[est.basis != "published"]
    ev = Evidence(tables=tables, published=published_estimates(tables=tables), estimates=est, trial=trial)
    rows = [assess(ev, c) for c in tables["claims"].itertuples()]
    out = pd.DataFrame(rows, columns=SCORECARD_COLUMNS)
    bad = sorted(set(out.status) - set(SCORECARD_STATUSES))
    if bad:
        raise ValueError(f"unknown status {bad}")
    return out
