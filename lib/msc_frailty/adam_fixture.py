"""A SYNTHETIC data set shaped like a real trial's ADaM delivery, for tests and benchmarks.

Real data does not look like the tidy embedded default. This fixture has every convention of contract
section 1, "Real ADaM data", at a real trial's size: three arms with long labels, 255 subjects, about
1,200 adverse events; null flags (SAFFL, TRTEMFL, ANL01FL); weeks as visits with ``AVISIT`` labels and
``PARAM`` names; an unknown parameter (an ADAS-Cog total, lower is better, which the data do not say);
records not chosen for analysis (ANL01FL null) beside the chosen ones and imputed records
(DTYPE = LOCF); adverse events with a missing onset day and events that began years before the
infusion. Every row carries ``SYNTHFL = Y``: whatever is made from it says SYNTHETIC.

The same tables can be written as CSV, SAS XPORT (v5 or v8) or CDISC Dataset-JSON 1.1::

    python -m msc_frailty.adam_fixture --out build/adam-example --form xpt

Seeded and deterministic: the same seed gives the same bytes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

STUDY = "ADAM-EXAMPLE"
#: (TRT01A, TRT01AN, subjects): long labels, as sponsors write them.
ARMS = [("Placebo", 0, 85), ("Allogeneic MSC Low Dose (100 million cells)", 100, 85),
        ("Allogeneic MSC High Dose (200 million cells)", 200, 85)]
WEEKS = [0, 4, 12, 26]
#: PARAMCD: (PARAM, baseline mean, SD, change per week at 200M, SD of change)
PARAMS = {"SIXMWD": ("6-Minute Walk Distance (m)", 320.0, 70.0, 1.2, 40.0),
          "TNFA": ("Serum TNF-alpha (pg/mL)", 5.0, 1.2, -0.01, 0.8),
          "ADASCOG": ("ADAS-Cog 11 Total Score", 22.0, 6.0, -0.05, 4.0)}
TERMS = [("Headache", "Nervous system disorders"), ("Dizziness", "Nervous system disorders"),
         ("Fatigue", "General disorders"), ("Pyrexia", "General disorders"), ("Infusion site bruising",
         "General disorders"), ("Nausea", "Gastrointestinal disorders"), ("Diarrhoea", "Gastrointestinal disorders"),
         ("Constipation", "Gastrointestinal disorders"), ("Back pain", "Musculoskeletal disorders"),
         ("Arthralgia", "Musculoskeletal disorders"), ("Fall", "Injury and procedural complications"),
         ("Contusion", "Injury and procedural complications"), ("Urinary tract infection", "Infections"),
         ("Nasopharyngitis", "Infections"), ("Pneumonia", "Infections"), ("Hypertension", "Vascular disorders"),
         ("Atrial fibrillation", "Cardiac disorders"), ("Cough", "Respiratory disorders"),
         ("Dyspnoea", "Respiratory disorders"), ("Rash", "Skin disorders"), ("Insomnia", "Psychiatric disorders"),
         ("Anaemia", "Blood disorders"), ("Hyponatraemia", "Metabolism disorders"), ("Syncope",
         "Nervous system disorders")]
NUMERIC = {"TRT01AN", "AGE", "AVISITN", "AVAL", "ASTDY"}
FORMS = ("csv", "xpt5", "xpt8", "json")


def make_tables(seed: int = 20261202) -> dict[str, pd.DataFrame]:
    """The three tables (text columns as text, numbers as floats with NaN for missing)."""
    rng = np.random.default_rng(seed)
    adsl, adeff, adae = [], [], []
    for arm, dose, n in ARMS:
        for i in range(1, n + 1):
            subj = f"{STUDY}-{dose:03d}-{i:03d}"
            infused = rng.random() > 0.02
            adsl.append({"STUDYID": STUDY, "USUBJID": subj, "TRT01A": arm, "TRT01AN": float(dose),
                         "AGE": float(rng.integers(65, 95)), "SEX": "F" if rng.random() < 0.55 else "M",
                         "SAFFL": "Y" if infused else ""})          # null, not "N": not in the safety set
            last = WEEKS[-1] if rng.random() > 0.15 else WEEKS[rng.integers(1, len(WEEKS) - 1)]
            for code, (param, mean, sd, slope, sd_change) in PARAMS.items():
                base = rng.normal(mean, sd)
                value = base
                for week in WEEKS:
                    if week:
                        value = base + slope * week * dose / 200 + rng.normal(0, sd_change)
                    record = {"STUDYID": STUDY, "USUBJID": subj, "PARAMCD": code, "PARAM": param,
                              "AVISITN": float(week), "AVISIT": "Baseline" if week == 0 else f"Week {week}",
                              "AVAL": round(float(value), 2), "ANL01FL": "Y", "DTYPE": ""}
                    if week > last:                      # dropped out: carried forward, imputed
                        adeff.append({**record, "AVAL": adeff[-1]["AVAL"], "DTYPE": "LOCF"})
                        continue
                    if week and rng.random() < 0.05:     # a repeat at the visit, not the one analysed
                        adeff.append({**record, "AVAL": round(float(value + rng.normal(0, sd_change)), 2),
                                      "ANL01FL": ""})
                    adeff.append(record)
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
    tables = {"adsl": pd.DataFrame(adsl), "adeff": pd.DataFrame(adeff), "adae": pd.DataFrame(adae)}
    for df in tables.values():
        df["SYNTHFL"] = "Y"
    return tables


def write_table(df: pd.DataFrame, path: Path, form: str) -> Path:
    """Write one table as ``csv``, ``xpt5``, ``xpt8`` (SAS XPORT) or ``json`` (Dataset-JSON 1.1)."""
    path = Path(path).with_suffix({"csv": ".csv", "xpt5": ".xpt", "xpt8": ".xpt", "json": ".json"}[form])
    if form == "csv":
        df.to_csv(path, index=False, lineterminator="\n")
    elif form.startswith("xpt"):
        import pyreadstat

        pyreadstat.write_xport(df, str(path), file_format_version=int(form[-1]), table_name=path.stem.upper()[:8])
    else:
        path.write_text(json.dumps(dataset_json(df, path.stem.upper()), indent=1))
    return path


def dataset_json(df: pd.DataFrame, name: str) -> dict:
    """``df`` as a CDISC Dataset-JSON 1.1 document (numbers as numbers, missing as null)."""
    def cell(value, column):
        if isinstance(value, float) and np.isnan(value):
            return None
        if column in NUMERIC:
            return int(value) if float(value).is_integer() else float(value)
        return None if value == "" else value

    columns = [{"itemOID": f"IT.{name}.{c}", "name": c, "label": c.title(),
                "dataType": ("double" if c == "AVAL" else "integer") if c in NUMERIC else "string"}
               for c in df.columns]
    rows = [[cell(v, c) for c, v in zip(df.columns, r)] for r in df.itertuples(index=False)]
    return {"datasetJSONCreationDateTime": "2026-12-02T00:00:00", "datasetJSONVersion": "1.1.0",
            "fileOID": f"F.{name}", "originator": "msc-frailty adam_fixture (SYNTHETIC)",
            "sourceSystem": {"name": "msc_frailty"}, "studyOID": f"S.{STUDY}", "metaDataVersionOID": "MDV.1",
            "itemGroupOID": f"IG.{name}", "name": name, "label": name, "records": len(rows), "columns": columns,
            "rows": rows}


def write_fixture(folder, form: str = "csv", seed: int = 20261202) -> Path:
    """Write the three tables into ``folder`` in one form (``"mixed"``: adsl XPORT v8, adeff JSON, adae CSV)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    forms = {"adsl": "xpt8", "adeff": "json", "adae": "csv"} if form == "mixed" else dict.fromkeys(
        ("adsl", "adeff", "adae"), form)
    for name, df in make_tables(seed).items():
        write_table(df, folder / name, forms[name])
    return folder


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder to write adsl, adeff and adae into")
    parser.add_argument("--form", default="csv", choices=[*FORMS, "mixed"])
    parser.add_argument("--seed", type=int, default=20261202)
    args = parser.parse_args(argv)
    folder = write_fixture(args.out, args.form, args.seed)
    print(f"SYNTHETIC ADaM-style data set ({args.form}) written to {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
