"""A SYNTHETIC data set shaped like a real trial's ADaM delivery, for tests and benchmarks.

Real data does not look like the tidy embedded default, and a real trial is not always an MSC
infusion. This fixture is a made-up once-daily drug, *Exemplumab*, against placebo (doses in mg:
0, 50 and 100), delivered the way a trial team hands over its ADaM tables:

========== ============================= ===================================================================
file       table                         what it holds
========== ============================= ===================================================================
adsl.xpt   subjects (SAS XPORT v5)       255 subjects in three arms with long labels; SAFFL null for the few
                                         never dosed
adft.xpt   functional tests (XPORT v5)   6-minute walk distance (SIXMWD) and the SPPB total (0-12)
adlb.json  laboratory (Dataset-JSON)     serum TNF-alpha and three safety labs (ALT, creatinine, haemoglobin)
adqs.csv   questionnaires (CSV)          SF-36 physical component and a patient's global impression of
                                         change (PGIC, 1 = very much improved ... 7 = very much worse), which
                                         has no baseline record: it is only asked after treatment
adtte.xpt  time to event (XPORT v8)      time to first fall: no AVISITN, so not a BDS efficacy table
adae.json  adverse events (Dataset-JSON) about 1,200 events
studies.csv the trial's own words        treatment Exemplumab, dose unit mg, day 1 = first dose
========== ============================= ===================================================================

with every convention of contract section 1, "Real ADaM data": null flags (SAFFL, TRTEMFL,
ANL01FL); weeks as visits with ``AVISIT`` labels and ``PARAM`` names that carry the unit; records not
chosen for analysis (ANL01FL null) beside the chosen ones and imputed records (DTYPE = LOCF) after a
subject drops out; parameters the collection does not know (the labs); adverse events with a missing
onset day and events that began years before the first dose. Every row carries ``SYNTHFL = Y``:
whatever is made from it says SYNTHETIC. The effects are invented (walk distance, SPPB, SF-36 and the
global impression improve with dose, TNF-alpha falls; the labs do not move).

``form`` writes the same tables in one form instead (``csv``, ``xpt5``, ``xpt8``, ``json``), and
``combined=True`` writes the three BDS efficacy tables as one ``adeff`` table, the layout of the
collection's own data::

    python -m msc_frailty.adam_fixture --out build/adam-example
    python -m msc_frailty.adam_fixture --out build/adam-csv --form csv --combined

``per_arm`` and ``weeks`` make it larger (``--per-arm 1800 --weeks 0-26`` writes an ``adlb.json`` of
about 200 MB, for the benchmark). Seeded and deterministic: the same arguments give the same bytes.
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

STUDY = "ADAM-EXAMPLE"
#: What was given: a made-up drug, once daily, in mg.
TREATMENT = "Exemplumab"
SEED = 20261202
#: (TRT01A, TRT01AN in mg, subjects): long labels, as sponsors write them.
ARMS = [("Placebo", 0, 85), ("Exemplumab Low Dose (50 mg Once Daily)", 50, 85),
        ("Exemplumab High Dose (100 mg Once Daily)", 100, 85)]
TOP_DOSE = 100
WEEKS = (0, 4, 12, 26)
#: The study's own words (the optional ``studies.csv`` of contract section 1).
STUDIES = pd.DataFrame([{"STUDYID": STUDY, "treatment": TREATMENT, "dose_unit": "mg", "day1": "first dose"}])


@dataclass(frozen=True)
class Parameter:
    """A BDS parameter of the fixture: its table, names, and how its values are drawn."""

    table: str
    paramcd: str
    param: str
    mean: float           # baseline mean
    sd: float             # baseline SD
    slope: float          # mean change per week at the top dose (placebo: none)
    sd_change: float      # SD of a post-baseline value around its expectation
    decimals: int
    low: float
    high: float = np.inf
    baseline: bool = True


PARAMETERS = [
    Parameter("adft", "SIXMWD", "6-Minute Walk Distance (m)", 320.0, 70.0, 1.2, 40.0, 1, 0.0),
    Parameter("adft", "SPPB", "Short Physical Performance Battery Total Score", 7.0, 2.0, 0.04, 1.2, 0, 0.0, 12.0),
    Parameter("adlb", "TNFA", "Serum TNF-alpha (pg/mL)", 5.0, 1.2, -0.01, 0.8, 2, 0.1),
    Parameter("adlb", "ALT", "Alanine Aminotransferase (U/L)", 21.0, 7.0, 0.0, 5.0, 0, 5.0),
    Parameter("adlb", "CREAT", "Creatinine (umol/L)", 85.0, 20.0, 0.0, 8.0, 0, 40.0),
    Parameter("adlb", "HGB", "Hemoglobin (g/L)", 128.0, 13.0, 0.0, 6.0, 0, 80.0),
    Parameter("adqs", "SF36PCS", "SF-36 Physical Component Summary Score", 38.0, 8.0, 0.06, 6.0, 1, 0.0, 100.0),
    # a rating of change: asked only after treatment, so no baseline record; 1 is the best rating
    Parameter("adqs", "PGIC", "Patient Global Impression of Change", 4.0, 0.0, -0.06, 1.2, 0, 1.0, 7.0,
              baseline=False),
]
PGIC_TEXT = {1: "Very much improved", 2: "Much improved", 3: "Minimally improved", 4: "No change",
             5: "Minimally worse", 6: "Much worse", 7: "Very much worse"}
LAB_CATEGORY = {"TNFA": "CYTOKINE", "ALT": "CHEMISTRY", "CREAT": "CHEMISTRY", "HGB": "HEMATOLOGY"}
EFFICACY = ("adft", "adlb", "adqs")
TERMS = [("Headache", "Nervous system disorders"), ("Dizziness", "Nervous system disorders"),
         ("Fatigue", "General disorders"), ("Pyrexia", "General disorders"), ("Oedema peripheral",
         "General disorders"), ("Nausea", "Gastrointestinal disorders"), ("Diarrhoea", "Gastrointestinal disorders"),
         ("Constipation", "Gastrointestinal disorders"), ("Back pain", "Musculoskeletal disorders"),
         ("Arthralgia", "Musculoskeletal disorders"), ("Fall", "Injury and procedural complications"),
         ("Contusion", "Injury and procedural complications"), ("Urinary tract infection", "Infections"),
         ("Nasopharyngitis", "Infections"), ("Pneumonia", "Infections"), ("Hypertension", "Vascular disorders"),
         ("Atrial fibrillation", "Cardiac disorders"), ("Cough", "Respiratory disorders"),
         ("Dyspnoea", "Respiratory disorders"), ("Rash", "Skin disorders"), ("Insomnia", "Psychiatric disorders"),
         ("Anaemia", "Blood disorders"), ("Hyponatraemia", "Metabolism disorders"), ("Syncope",
         "Nervous system disorders")]
#: The form of each table in the delivered folder.
DELIVERY = {"adsl": "xpt5", "adft": "xpt5", "adlb": "json", "adqs": "csv", "adtte": "xpt8", "adae": "json"}
#: The same with the efficacy tables as one adeff table (``combined=True``).
COMBINED = {"adsl": "xpt8", "adeff": "json", "adtte": "xpt8", "adae": "csv"}
FORMS = ("delivery", "csv", "xpt5", "xpt8", "json")
SUFFIX = {"csv": ".csv", "xpt5": ".xpt", "xpt8": ".xpt", "json": ".json"}
#: The date an XPORT header records (pyreadstat writes the time of writing; fixed, for the same bytes).
XPORT_DATE = b"02DEC26:00:00:00"


def _visit(week: int) -> str:
    return "Baseline" if week == 0 else f"Week {week}"


def _value(p: Parameter, x: float) -> float:
    return float(np.clip(round(x, p.decimals), p.low, p.high))


def make_tables(seed: int = SEED, per_arm: int | None = None, weeks=WEEKS) -> dict[str, pd.DataFrame]:
    """The tables adsl, adft, adlb, adqs, adtte and adae: text columns as text ("" = null), numbers as floats.

    ``per_arm`` subjects in each arm (default: :data:`ARMS`' 85) seen at ``weeks`` (0 = baseline).
    """
    weeks = sorted({int(w) for w in weeks})
    if not weeks or weeks[0] != 0 or len(weeks) < 2:
        raise ValueError(f"weeks must start at 0 (baseline) and have a later visit, not {weeks}")
    if per_arm is not None and per_arm < 2:
        raise ValueError(f"per_arm must be at least 2, not {per_arm}")
    rng = np.random.default_rng(seed)
    adsl, adae, adtte = [], [], []
    bds = {t: [] for t in EFFICACY}
    for arm, dose, n in ARMS:
        for i in range(1, (per_arm or n) + 1):
            subj = f"{STUDY}-{dose:03d}-{i:04d}"
            dosed = rng.random() > 0.02
            adsl.append({"STUDYID": STUDY, "USUBJID": subj, "TRT01A": arm, "TRT01AN": float(dose),
                         "AGE": float(rng.integers(65, 95)), "SEX": "F" if rng.random() < 0.55 else "M",
                         "SAFFL": "Y" if dosed else ""})          # null, not "N": not in the safety set
            last = weeks[-1] if rng.random() > 0.15 else weeks[rng.integers(1, len(weeks) - 1)]
            for p in PARAMETERS:
                rows = bds[p.table]
                base = rng.normal(p.mean, p.sd)
                for week in weeks if p.baseline else weeks[1:]:
                    expected = base + p.slope * week * dose / TOP_DOSE
                    value = _value(p, base if week == 0 else expected + rng.normal(0, p.sd_change))
                    record = {"STUDYID": STUDY, "USUBJID": subj, "PARAMCD": p.paramcd, "PARAM": p.param,
                              "AVISITN": float(week), "AVISIT": _visit(week), "AVAL": value,
                              "ANL01FL": "Y", "DTYPE": ""}
                    if p.table == "adlb":
                        record = {"PARCAT1": LAB_CATEGORY[p.paramcd], **record}
                    if p.table == "adqs":
                        record["AVALC"] = PGIC_TEXT[int(value)] if p.paramcd == "PGIC" else ""
                    if week > last:
                        if p.baseline:                   # dropped out: carried forward, imputed
                            rows.append({**record, "AVAL": rows[-1]["AVAL"], "DTYPE": "LOCF",
                                         **({"AVALC": rows[-1]["AVALC"]} if "AVALC" in record else {})})
                        continue
                    if week and rng.random() < 0.05:     # a repeat at the visit, not the one analysed
                        repeat = _value(p, value + rng.normal(0, p.sd_change))
                        rows.append({**record, "AVAL": repeat, "ANL01FL": "",
                                     **({"AVALC": PGIC_TEXT[int(repeat)]} if p.paramcd == "PGIC" else {})})
                    rows.append(record)
            if dosed:                                    # time to first fall, censored at the last visit
                follow_up = 7 * last + 1
                day = 1 + int(rng.exponential(400 if dose == 0 else 400 * (1 + 0.3 * dose / TOP_DOSE)))
                adtte.append({"STUDYID": STUDY, "USUBJID": subj, "PARAMCD": "TTFALL",
                              "PARAM": "Time to First Fall (days)", "AVAL": float(min(day, follow_up)),
                              "CNSR": float(day > follow_up),
                              "EVNTDESC": "CENSORED AT LAST VISIT" if day > follow_up else "FALL"})
            for _ in range(rng.poisson(4.7)):
                term, soc = TERMS[rng.integers(len(TERMS))]
                day = float(rng.integers(1, 200))
                before = rng.random() < 0.03
                if before:                               # began before treatment, some long before
                    day = float(-rng.integers(1, 7000))
                serious = rng.random() < 0.04
                adae.append({"STUDYID": STUDY, "USUBJID": subj, "AEDECOD": term, "AEBODSYS": soc,
                             "AESER": "Y" if serious else "N", "TRTEMFL": "" if before else "Y",
                             "ASTDY": np.nan if rng.random() < 0.01 else day,
                             "AEOUT": "FATAL" if serious and rng.random() < 0.05 else "RECOVERED"})
    tables = {"adsl": pd.DataFrame(adsl), **{t: pd.DataFrame(bds[t]) for t in EFFICACY},
              "adtte": pd.DataFrame(adtte), "adae": pd.DataFrame(adae)}
    for df in tables.values():
        df["SYNTHFL"] = "Y"
    return tables


def combine(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables with the BDS efficacy ones (adft, adlb, adqs) concatenated into one ``adeff``."""
    adeff = pd.concat([tables[t] for t in EFFICACY], ignore_index=True).fillna({"PARCAT1": "", "AVALC": ""})
    return {"adsl": tables["adsl"], "adeff": adeff, "adtte": tables["adtte"], "adae": tables["adae"]}


def _fixed_dates(path: Path):
    """Replace the dates an XPORT header records (the time of writing) by :data:`XPORT_DATE`."""
    data = bytearray(path.read_bytes())
    for line, start in ((1, 64), (2, 0), (5, 64), (6, 0)):
        at = line * 80 + start
        if re.fullmatch(rb"\d\d[A-Z]{3}\d\d:\d\d:\d\d:\d\d", bytes(data[at:at + 16])):
            data[at:at + 16] = XPORT_DATE
    path.write_bytes(bytes(data))


def _number(value: float) -> str:
    if np.isnan(value):
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def write_table(df: pd.DataFrame, path: Path, form: str) -> Path:
    """Write one table as ``csv``, ``xpt5``, ``xpt8`` (SAS XPORT) or ``json`` (Dataset-JSON 1.1)."""
    path = Path(path).with_suffix(SUFFIX[form])
    if form == "csv":
        text = df.copy()
        for c in text.columns:
            if text[c].dtype.kind == "f":        # numbers as an export writes them: 4 not 4.0, null empty
                text[c] = [_number(v) for v in text[c]]
        text.to_csv(path, index=False, lineterminator="\n")
    elif form.startswith("xpt"):
        import pyreadstat

        pyreadstat.write_xport(df, str(path), file_format_version=int(form[-1]), table_name=path.stem.upper()[:8])
        _fixed_dates(path)
    else:
        path.write_text(json.dumps(dataset_json(df, path.stem.upper()), indent=1))
    return path


def dataset_json(df: pd.DataFrame, name: str) -> dict:
    """``df`` as a CDISC Dataset-JSON 1.1 document (numbers as numbers, missing as null)."""
    numeric = {c for c in df.columns if df[c].dtype.kind == "f"}
    whole = {c for c in numeric if (df[c].dropna() % 1 == 0).all()}

    def cell(value, column):
        if column in numeric:
            if np.isnan(value):
                return None
            return int(value) if column in whole else float(value)
        return None if value == "" else value

    columns = [{"itemOID": f"IT.{name}.{c}", "name": c, "label": c.title(),
                "dataType": ("integer" if c in whole else "double") if c in numeric else "string"}
               for c in df.columns]
    rows = [[cell(v, c) for c, v in zip(df.columns, r)] for r in df.itertuples(index=False)]
    return {"datasetJSONCreationDateTime": "2026-12-02T00:00:00", "datasetJSONVersion": "1.1.0",
            "fileOID": f"F.{name}", "originator": "msc-frailty adam_fixture (SYNTHETIC)",
            "sourceSystem": {"name": "msc_frailty"}, "studyOID": f"S.{STUDY}", "metaDataVersionOID": "MDV.1",
            "itemGroupOID": f"IG.{name}", "name": name, "label": name, "records": len(rows), "columns": columns,
            "rows": rows}


def write_fixture(folder, form: str = "delivery", seed: int = SEED, *, combined: bool = False,
                  per_arm: int | None = None, weeks=WEEKS) -> Path:
    """Write the fixture into ``folder`` and return it.

    Parameters
    ----------
    folder : str or Path
        Created when missing; files of the same names are overwritten.
    form : {"delivery", "csv", "xpt5", "xpt8", "json"}
        ``"delivery"``: each table in its own form (:data:`DELIVERY`, or :data:`COMBINED` with
        ``combined``); otherwise every table in that form. ``studies.csv`` is always CSV.
    seed : int
        Seed of the generator.
    combined : bool
        Write adft, adlb and adqs as one ``adeff`` table.
    per_arm : int, optional
        Subjects per arm (default 85).
    weeks : sequence of int
        Visit weeks, starting with 0 (baseline).
    """
    if form not in FORMS:
        raise ValueError(f"form must be one of {FORMS}, not {form!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tables = make_tables(seed, per_arm, weeks)
    if combined:
        tables = combine(tables)
    layout = COMBINED if combined else DELIVERY
    for name, df in tables.items():
        write_table(df, folder / name, layout[name] if form == "delivery" else form)
    STUDIES.to_csv(folder / "studies.csv", index=False, lineterminator="\n")
    return folder


def _weeks(text: str) -> list[int]:
    """``"0,4,12,26"`` or a range ``"0-26"`` (every week)."""
    if re.fullmatch(r"\d+-\d+", text):
        lo, hi = map(int, text.split("-"))
        return list(range(lo, hi + 1))
    return [int(w) for w in text.split(",")]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder to write the tables into")
    parser.add_argument("--form", default="delivery", choices=FORMS)
    parser.add_argument("--combined", action="store_true", help="adft, adlb and adqs as one adeff table")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--per-arm", type=int, help="subjects per arm (default 85)")
    parser.add_argument("--weeks", type=_weeks, default=list(WEEKS), help="visit weeks: 0,4,12,26 or 0-26")
    args = parser.parse_args(argv)
    folder = write_fixture(args.out, args.form, args.seed, combined=args.combined, per_arm=args.per_arm,
                           weeks=args.weeks)
    print(f"SYNTHETIC ADaM-style data set ({args.form}{', combined' if args.combined else ''}) written to {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
