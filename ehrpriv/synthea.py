"""Generate, write and read EHR tables in the Synthea CSV layout.

Introduced in lesson 01 (``notebooks/01_ehr_data.ipynb``).

:func:`generate_ehr` simulates adults admitted to six hospitals of different size
and case mix, with chronic conditions, medications, outpatient visits, labs and
vital signs, and in-hospital deaths drawn from a documented risk model
(:data:`MORTALITY_MODEL`). Each admission's true risk stays in the Python object
(:attr:`SyntheticEHR.truth`) and is never written to the Synthea tables.
:func:`write_synthea` writes the tables byte for byte the same for the same seed;
:func:`read_synthea` reads them back, or reads a real Synthea export in the older
or the current column layout.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import io
import logging
import multiprocessing
import os
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ehrpriv import codes
from ehrpriv._validation import MissingColumnError, check_choice, check_int
from ehrpriv.geography import (
    FEMALE_FIRST_NAMES,
    LAST_NAMES,
    MALE_FIRST_NAMES,
    STATE,
    STATE_ABBREVIATION,
    STREET_NAMES,
    STREET_SUFFIXES,
    TOWNS,
)

logger = logging.getLogger(__name__)

#: Seed and size of the dataset committed under ``data/synthea``.
DEFAULT_SEED = 2024
DEFAULT_PATIENTS = 10_000

#: Columns written for each table, in Synthea's order (the current layout).
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "patients": (
        "Id", "BIRTHDATE", "DEATHDATE", "SSN", "DRIVERS", "PASSPORT", "PREFIX",
        "FIRST", "MIDDLE", "LAST", "SUFFIX", "MAIDEN", "MARITAL", "RACE",
        "ETHNICITY", "GENDER", "BIRTHPLACE", "ADDRESS", "CITY", "STATE", "COUNTY",
        "FIPS", "ZIP", "LAT", "LON", "HEALTHCARE_EXPENSES", "HEALTHCARE_COVERAGE",
        "INCOME",
    ),
    "encounters": (
        "Id", "START", "STOP", "PATIENT", "ORGANIZATION", "PROVIDER", "PAYER",
        "ENCOUNTERCLASS", "CODE", "DESCRIPTION", "BASE_ENCOUNTER_COST",
        "TOTAL_CLAIM_COST", "PAYER_COVERAGE", "REASONCODE", "REASONDESCRIPTION",
    ),
    "conditions": (
        "START", "STOP", "PATIENT", "ENCOUNTER", "SYSTEM", "CODE", "DESCRIPTION",
    ),
    "observations": (
        "DATE", "PATIENT", "ENCOUNTER", "CATEGORY", "CODE", "DESCRIPTION", "VALUE",
        "UNITS", "TYPE",
    ),
    "medications": (
        "START", "STOP", "PATIENT", "PAYER", "ENCOUNTER", "CODE", "DESCRIPTION",
        "BASE_COST", "PAYER_COVERAGE", "DISPENSES", "TOTALCOST", "REASONCODE",
        "REASONDESCRIPTION",
    ),
    "organizations": (
        "Id", "NAME", "ADDRESS", "CITY", "STATE", "ZIP", "LAT", "LON", "PHONE",
        "REVENUE", "UTILIZATION",
    ),
}  # fmt: skip

#: Columns that older Synthea exports lack; the reader accepts either layout.
OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "patients": ("MIDDLE", "FIPS", "INCOME"),
    "conditions": ("SYSTEM",),
    "observations": ("CATEGORY",),
}

#: Columns of the public auxiliary table (a voter-roll-like list) used in lesson 02.
VOTER_ROLL_COLUMNS = (
    "VOTER_ID", "FIRST", "LAST", "ADDRESS", "CITY", "ZIP", "BIRTHDATE", "GENDER",
    "PARTY", "REGISTERED",
)  # fmt: skip

#: Date-time columns of each table, parsed by :func:`read_synthea`.
DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "patients": ("BIRTHDATE", "DEATHDATE"),
    "encounters": ("START", "STOP"),
    "conditions": ("START", "STOP"),
    "observations": ("DATE",),
    "medications": ("START", "STOP"),
    "organizations": (),
}

RACES = ("white", "black", "asian", "native", "hawaiian", "other")

STUDY_START = np.datetime64("2016-01-01T00:00:00", "s")
LAST_FIRST_ADMISSION = np.datetime64("2024-06-30T00:00:00", "s")
STUDY_END = np.datetime64("2025-06-30T00:00:00", "s")
_DAY = 86_400  # seconds


@dataclass(frozen=True)
class Hospital:
    """One organization: size, catchment, case mix and its effect on mortality."""

    name: str
    address: str
    town: int
    share: float
    catchment: Mapping[int, float]
    age_beta: tuple[float, float]
    race_probs: tuple[float, ...]
    hispanic: float
    mortality_effect: float
    reason_effects: Mapping[str, float] = field(default_factory=dict)
    phone: str = ""


HOSPITALS: tuple[Hospital, ...] = (
    Hospital(
        "Riverside University Hospital", "1 Riverside Plaza", 0, 0.30,
        {0: 5, 1: 2, 2: 2, 3: 1, 4: 1.5, 5: 1},
        (2.4, 2.0), (0.62, 0.20, 0.10, 0.005, 0.003, 0.072), 0.14, 0.0,
        {"sepsis": 0.3, "cancer": 0.3, "stroke": 0.3}, "617-555-0101",
    ),
    Hospital(
        "St. Brigid Community Hospital", "250 Chestnut Street", 10, 0.20,
        {10: 5, 11: 2, 12: 0.5},
        (2.6, 2.0), (0.78, 0.08, 0.06, 0.006, 0.002, 0.072), 0.12, 0.15,
        {"hip_fracture": 0.3}, "508-555-0102",
    ),
    Hospital(
        "Northfield Regional Medical Center", "77 Prospect Avenue", 6, 0.17,
        {6: 4, 7: 3, 8: 2, 9: 1.5},
        (2.5, 2.1), (0.66, 0.09, 0.12, 0.004, 0.002, 0.124), 0.25, 0.1,
        {}, "978-555-0103",
    ),
    Hospital(
        "Harbor County General Hospital", "12 Harbor Street", 20, 0.15,
        {20: 4, 21: 3, 18: 3, 19: 1},
        (2.0, 2.2), (0.55, 0.27, 0.03, 0.012, 0.004, 0.134), 0.22, 0.35,
        {"sepsis": 0.2, "gastroenteritis": 0.2, "hiv": 0.8}, "508-555-0104",
    ),
    Hospital(
        "Cedar Valley Rural Hospital", "5 Mill Road", 15, 0.08,
        {15: 3, 16: 1.5, 17: 1.5, 13: 1, 14: 1.5, 12: 1.5},
        (3.0, 1.8), (0.90, 0.03, 0.02, 0.02, 0.001, 0.029), 0.05, 0.45,
        {"copd_exacerbation": 0.4, "copd": 0.5}, "413-555-0105",
    ),
    Hospital(
        "Summit Heart and Vascular Institute", "400 Summit Avenue", 5, 0.10,
        {5: 2, 22: 1.5, 23: 0.5, 24: 0.5, 25: 0.3, 3: 1, 4: 1},
        (2.8, 1.9), (0.80, 0.07, 0.08, 0.003, 0.002, 0.045), 0.07, -0.25,
        {
            "myocardial_infarction": 1.6, "heart_failure_exacerbation": 1.0,
            "stroke": 0.5, "coronary_disease": 0.5,
        },
        "781-555-0106",
    ),
)  # fmt: skip

#: The documented mortality model. The true risk of in-hospital death is
#: ``sigmoid(logit)``, where ``logit`` sums these terms for the admission.
#: Lab and vital terms use the true values, even where a lab was not measured.
MORTALITY_MODEL: dict[str, object] = {
    "intercept": -5.6,
    "age_per_decade_from_60": 0.42,
    "age_squared_per_decade": 0.05,
    "male": 0.15,
    "comorbidities": {
        "heart_failure": 0.45, "ckd": 0.35, "copd": 0.30, "cancer": 0.85,
        "dementia": 0.60, "liver_cirrhosis": 0.80, "diabetes": 0.10,
        "atrial_fibrillation": 0.15, "coronary_disease": 0.15, "prior_stroke": 0.25,
        "hiv": 0.30,
    },
    "reason": {
        "sepsis": 1.30, "pneumonia": 0.70, "myocardial_infarction": 0.85,
        "stroke": 0.95, "heart_failure_exacerbation": 0.60, "copd_exacerbation": 0.40,
        "hip_fracture": 0.45, "covid19": 1.00, "urinary_tract_infection": 0.0,
        "gastroenteritis": -0.70, "appendicitis": -1.60,
    },
    "lactate_above_2_per_mmol": 0.40,
    "log_creatinine": 0.60,
    "albumin_below_4_per_g": 0.55,
    "oxygen_saturation_below_92_per_point": 0.07,
    "systolic_below_100_per_mmHg": 0.03,
    "heart_rate_above_100_per_beat": 0.015,
    "respiratory_rate_above_22_per_breath": 0.10,
    "sodium_distance_from_139_per_mmol": 0.06,
    "hypothermia_below_36": 0.50,
    "hospital": {h.name: h.mortality_effect for h in HOSPITALS},
}  # fmt: skip

#: Model for 30-day readmission after a live discharge (logit terms).
READMISSION_MODEL: dict[str, object] = {
    "intercept": -2.15,
    "age_per_decade_from_60": 0.10,
    "comorbidities": {
        "heart_failure": 0.45, "copd": 0.35, "ckd": 0.30, "cancer": 0.25,
        "diabetes": 0.10, "alcohol_use_disorder": 0.35,
    },
    "length_of_stay_over_7_days": 0.30,
    "prior_admission": 0.25,
}  # fmt: skip

_INFECTIONS = ("sepsis", "pneumonia", "covid19", "urinary_tract_infection")
_RESPIRATORY = (
    "pneumonia",
    "copd_exacerbation",
    "covid19",
    "heart_failure_exacerbation",
)


@dataclass
class SyntheticEHR:
    """A generated cohort: the Synthea tables, the public auxiliary table, the truth.

    Attributes
    ----------
    tables : dict of str to DataFrame
        ``patients``, ``encounters``, ``conditions``, ``observations``,
        ``medications`` and ``organizations``, as strings in Synthea's layout.
    voter_roll : DataFrame
        A public, voter-roll-like list (name, address, ZIP, birth date, sex) that
        covers part of the patients and some people who are not patients.
    truth : DataFrame
        One row per inpatient admission: ``ENCOUNTER``, ``PATIENT``,
        ``mortality_risk``, ``readmission_risk`` (NaN when the patient died) and the
        realised ``died`` and ``readmitted_30d``. Never written to the tables.
    seed : int
        The seed that produced it.
    """

    tables: dict[str, pd.DataFrame]
    voter_roll: pd.DataFrame
    truth: pd.DataFrame
    seed: int


# --------------------------------------------------------------------------------
# small vectorised helpers
# --------------------------------------------------------------------------------
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _uuids(rng: np.random.Generator, n: int) -> np.ndarray:
    """Return ``n`` random version-4 UUID strings drawn from ``rng``."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    nibbles = np.empty((n, 32), dtype=np.uint8)
    nibbles[:, 0::2] = raw >> 4
    nibbles[:, 1::2] = raw & 0x0F
    chars = _HEX[nibbles]
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    for start, stop, target in ((0, 8, 0), (8, 12, 9), (12, 16, 14), (16, 20, 19)):
        out[:, target : target + stop - start] = chars[:, start:stop]
    out[:, 24:36] = chars[:, 20:32]
    return out.view("S36").ravel().astype(str).astype(object)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function."""
    return 1.0 / (1.0 + np.exp(-x))


def _digits(rng: np.random.Generator, n: int, width: int, low: int = 0) -> np.ndarray:
    """Return ``n`` zero-padded random integers of ``width`` digits as strings."""
    values = rng.integers(low, 10**width, size=n)
    return np.char.zfill(values.astype(str), width).astype(object)


def _timestamps(seconds: np.ndarray) -> np.ndarray:
    """Format seconds since the epoch as Synthea date-times (``...T..:..:..Z``)."""
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
    return np.char.add(text, "Z").astype(object)


def _dates(seconds: np.ndarray) -> np.ndarray:
    """Format seconds since the epoch as ISO dates."""
    return np.datetime_as_string(seconds.astype("datetime64[s]"), unit="D").astype(
        object
    )


def _choice_by_row(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """Draw one category per row of the row-stochastic matrix ``probs``."""
    cumulative = np.cumsum(probs, axis=1)
    draws = rng.random((probs.shape[0], 1)) * cumulative[:, -1:]
    return (draws > cumulative).sum(axis=1)


def _pick(rng: np.random.Generator, options: Iterable[str], n: int) -> np.ndarray:
    """Draw ``n`` items uniformly from ``options``."""
    pool = np.asarray(list(options), dtype=object)
    return pool[rng.integers(0, len(pool), size=n)]


# --------------------------------------------------------------------------------
# the generator
# --------------------------------------------------------------------------------
def generate_ehr(
    *, n_patients: int = DEFAULT_PATIENTS, seed: int = DEFAULT_SEED
) -> SyntheticEHR:
    """Simulate a multi-hospital cohort of adult inpatients in the Synthea layout.

    Parameters
    ----------
    n_patients : int, default 10_000
        Number of patients (each has at least one inpatient admission).
    seed : int, default 2024
        Seed of every random draw: the same seed gives identical tables.

    Returns
    -------
    SyntheticEHR
        The tables, the public auxiliary table and the true risk of each admission.

    Raises
    ------
    TypeError, ValueError
        If ``n_patients`` is not an integer in [10, 2_000_000] or ``seed`` is not a
        non-negative integer.
    """
    n = check_int("n_patients", n_patients, low=10, high=2_000_000)
    seed = check_int("seed", seed, low=0)
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    people = _people(rng, n)
    chronic = _chronic_conditions(rng, people)
    baseline = _baselines(rng, people, chronic)
    admissions = _admissions(rng, people, chronic, baseline)
    tables, truth = _assemble(rng, people, chronic, baseline, admissions)
    voter_roll = _voter_roll(rng, people, tables["patients"])
    logger.info(
        "generated %d patients, %d admissions in %.1f s",
        n,
        len(truth),
        time.perf_counter() - started,
    )
    return SyntheticEHR(tables=tables, voter_roll=voter_roll, truth=truth, seed=seed)


def _people(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Draw demographics, home hospital, town and first admission date."""
    shares = np.array([h.share for h in HOSPITALS])
    hospital = rng.choice(len(HOSPITALS), size=n, p=shares / shares.sum())
    age = np.empty(n)
    race = np.empty(n, dtype=np.int64)
    hispanic = np.empty(n, dtype=bool)
    town = np.empty(n, dtype=np.int64)
    for index, spec in enumerate(HOSPITALS):
        rows = np.flatnonzero(hospital == index)
        a, b = spec.age_beta
        age[rows] = 18 + 82 * rng.beta(a, b, size=rows.size)
        race[rows] = rng.choice(len(RACES), size=rows.size, p=spec.race_probs)
        hispanic[rows] = rng.random(rows.size) < spec.hispanic
        towns = np.array(list(spec.catchment))
        weights = np.array(list(spec.catchment.values()), dtype=float)
        town[rows] = rng.choice(towns, size=rows.size, p=weights / weights.sum())
    female = rng.random(n) < 0.46 + 0.12 * (age < 45)
    span = (LAST_FIRST_ADMISSION - STUDY_START).astype(np.int64)
    first_admission = STUDY_START.astype(np.int64) + rng.integers(0, span, size=n)
    first_admission = first_admission - first_admission % 60
    birth = first_admission - (age * 365.2425 * _DAY).astype(np.int64)
    birth = birth - birth % _DAY
    return {
        "n": np.int64(n),
        "hospital": hospital,
        "age": age,
        "female": female,
        "race": race,
        "hispanic": hispanic,
        "town": town,
        "first_admission": first_admission,
        "birth": birth,
        "id": _uuids(rng, n),
    }


def _chronic_conditions(
    rng: np.random.Generator, people: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Draw each chronic condition (a flag) and its onset time in seconds."""
    n = int(people["n"])
    a10 = (people["age"] - 60) / 10
    male = ~people["female"]
    race = people["race"]
    black = race == RACES.index("black")
    native = race == RACES.index("native")
    hisp = people["hispanic"]

    def hospital_effect(name: str) -> np.ndarray:
        """Case-mix shift of the home hospital for condition ``name``."""
        table = np.array([h.reason_effects.get(name, 0.0) for h in HOSPITALS])
        return table[people["hospital"]]

    def draw(name: str, logit: np.ndarray) -> np.ndarray:
        """Draw a condition from its logit plus its hospital shift."""
        return rng.random(n) < _sigmoid(logit + hospital_effect(name))

    flags: dict[str, np.ndarray] = {}
    flags["obesity"] = draw("obesity", -0.9 - 0.1 * a10 + 0.3 * (black | hisp))
    flags["hypertension"] = draw(
        "hypertension", -0.2 + 0.6 * a10 + 0.5 * black + 0.6 * flags["obesity"]
    )
    flags["diabetes"] = draw(
        "diabetes",
        -1.5
        + 0.25 * a10
        + 0.5 * (black | hisp)
        + 0.4 * native
        + 0.9 * flags["obesity"],
    )
    flags["coronary_disease"] = draw(
        "coronary_disease",
        -2.2 + 0.6 * a10 + 0.4 * male + 0.4 * flags["diabetes"]
        + 0.3 * flags["hypertension"],
    )  # fmt: skip
    flags["heart_failure"] = draw(
        "heart_failure",
        -2.7 + 0.55 * a10 + 0.5 * flags["hypertension"] + 0.3 * flags["diabetes"]
        + 0.7 * flags["coronary_disease"],
    )  # fmt: skip
    flags["atrial_fibrillation"] = draw(
        "atrial_fibrillation", -2.9 + 0.8 * a10 + 0.6 * flags["heart_failure"]
    )
    flags["copd"] = draw("copd", -2.4 + 0.4 * a10 + 0.1 * male)
    flags["ckd"] = draw(
        "ckd",
        -2.4 + 0.5 * a10 + 0.8 * flags["diabetes"] + 0.5 * flags["hypertension"]
        + 0.3 * black,
    )  # fmt: skip
    flags["cancer"] = draw("cancer", -2.4 + 0.35 * a10)
    flags["dementia"] = draw("dementia", -4.2 + 1.1 * a10)
    flags["alcohol_use_disorder"] = draw(
        "alcohol_use_disorder", -3.1 + 0.8 * male - 0.2 * a10
    )
    flags["liver_cirrhosis"] = draw(
        "liver_cirrhosis", -4.0 + 1.9 * flags["alcohol_use_disorder"] + 0.1 * a10
    )
    flags["prior_stroke"] = draw(
        "prior_stroke",
        -3.0 + 0.5 * a10 + 0.6 * flags["atrial_fibrillation"]
        + 0.3 * flags["hypertension"],
    )  # fmt: skip
    flags["depression"] = draw("depression", -1.9 + 0.35 * people["female"] - 0.1 * a10)
    flags["hiv"] = draw("hiv", -5.0 + 1.0 * black + 0.4 * male - 0.3 * a10)

    years_as_adult = np.maximum(people["age"] - 18, 0.5)
    onset: dict[str, np.ndarray] = {}
    for name in codes.COMORBIDITIES:
        longest = np.minimum(years_as_adult, 6.0 if name == "dementia" else 20.0)
        years_before = rng.uniform(0.1, 1.0, size=n) * np.maximum(longest, 0.2)
        when = people["first_admission"] - (years_before * 365.2425 * _DAY).astype(
            np.int64
        )
        onset[name] = when - when % 60
    return {"flags": flags, "onset": onset}


def _baselines(
    rng: np.random.Generator,
    people: dict[str, np.ndarray],
    chronic: dict[str, dict[str, np.ndarray]],
) -> dict[str, np.ndarray]:
    """Draw each patient's usual (outpatient) vital signs and lab values."""
    n = int(people["n"])
    f = chronic["flags"]
    female = people["female"]
    a10 = (people["age"] - 60) / 10
    normal = rng.standard_normal
    height = np.where(female, 162 + 6.5 * normal(n), 176 + 7 * normal(n))
    bmi = np.where(f["obesity"], 34 + 4 * np.abs(normal(n)), 25 + 2.4 * normal(n))
    bmi = np.clip(bmi, 16, 62)
    return {
        "height": height,
        "bmi": bmi,
        "weight": bmi * (height / 100) ** 2,
        "systolic_bp": 121 + 14 * f["hypertension"] + 3 * a10 + 10 * normal(n),
        "diastolic_bp": 76 + 6 * f["hypertension"] + 7 * normal(n),
        "heart_rate": 73 + 5 * f["heart_failure"] + 7 * f["atrial_fibrillation"]
        + 8 * normal(n),
        "creatinine": np.where(female, 0.78, 0.95)
        * np.exp(0.75 * f["ckd"] + 0.12 * np.maximum(a10, 0) + 0.14 * normal(n)),
        "glucose": 97 + 55 * f["diabetes"] + 12 * normal(n),
        "hba1c": 5.4 + 2.1 * f["diabetes"] + 0.4 * normal(n),
        "hemoglobin": np.where(female, 13.2, 14.6)
        - 1.0 * f["ckd"] - 0.7 * f["cancer"] + 0.9 * normal(n),
        "albumin": 4.2 - 0.5 * f["liver_cirrhosis"] - 0.3 * f["cancer"]
        - 0.05 * np.maximum(a10, 0) + 0.25 * normal(n),
    }  # fmt: skip


def _admissions(
    rng: np.random.Generator,
    people: dict[str, np.ndarray],
    chronic: dict[str, dict[str, np.ndarray]],
    baseline: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """Simulate each patient's sequence of inpatient admissions and outcomes."""
    f = chronic["flags"]
    n = int(people["n"])
    reasons = list(codes.ADMISSION_REASONS)
    reason_effect = np.array(
        [[h.reason_effects.get(r, 0.0) for r in reasons] for h in HOSPITALS]
    )
    mm = MORTALITY_MODEL
    rm = READMISSION_MODEL
    hospital_mortality = np.array([h.mortality_effect for h in HOSPITALS])

    batches: list[dict[str, np.ndarray]] = []
    patient = np.arange(n)
    start = people["first_admission"].copy()
    number = np.zeros(n, dtype=np.int64)
    readmission = np.zeros(n, dtype=bool)
    while patient.size:
        m = patient.size
        age = (start - people["birth"][patient]) / (365.2425 * _DAY)
        a10 = (age - 60) / 10
        flag = {name: f[name][patient] for name in f}
        female = people["female"][patient]
        home = people["hospital"][patient]
        moved = rng.random(m) < 0.08
        hospital = np.where(moved, rng.integers(0, len(HOSPITALS), size=m), home)
        year = start.astype("datetime64[s]").astype("datetime64[Y]").astype(int) + 1970
        month = start.astype("datetime64[s]").astype("datetime64[M]").astype(int) % 12
        pandemic = (year == 2021) | (year == 2022) | ((year == 2020) & (month >= 2))
        logits = np.column_stack(
            [
                0.0 + 0.25 * a10 + 0.4 * flag["diabetes"] + 0.4 * flag["ckd"]
                + 0.5 * flag["cancer"] + 0.4 * flag["dementia"],
                0.1 + 0.2 * a10 + 0.8 * flag["copd"],
                -0.9 + 1.3 * flag["coronary_disease"] + 0.2 * a10
                + 0.3 * flag["diabetes"],
                -1.1 + 0.9 * flag["atrial_fibrillation"] + 0.4 * flag["hypertension"]
                + 0.8 * flag["prior_stroke"] + 0.2 * a10,
                -3.2 + 3.3 * flag["heart_failure"],
                -3.5 + 3.4 * flag["copd"],
                -1.6 + 0.5 * a10 + 0.3 * female + 0.5 * flag["dementia"],
                np.where(pandemic, -0.4, -6.0) + 0.2 * a10,
                -0.6 + 0.5 * female + 0.3 * a10 + 0.4 * flag["dementia"],
                -0.4 - 0.1 * a10,
                -0.9 - 0.45 * a10,
            ]
        ) + reason_effect[hospital]  # fmt: skip
        reason = _choice_by_row(rng, np.exp(logits))
        name = np.asarray(reasons, dtype=object)[reason]
        infection = np.isin(name, _INFECTIONS)
        respiratory = np.isin(name, _RESPIRATORY)
        sepsis = name == "sepsis"
        severity = rng.standard_normal(m) + 0.3 * sepsis + 0.2 * (name == "covid19")
        normal = rng.standard_normal
        sev_pos = np.maximum(severity, 0)
        acute = {
            "heart_rate": baseline["heart_rate"][patient] + 12 * infection
            + 7 * severity + 9 * normal(m),
            "systolic_bp": baseline["systolic_bp"][patient] - 16 * sepsis
            - 8 * severity + 12 * normal(m),
            "respiratory_rate": 16 + 3.5 * respiratory + 2.5 * sev_pos + 2 * normal(m),
            "temperature": 36.9 + infection * (1.0 + 0.5 * severity)
            - 0.4 * sepsis * (severity > 1.5) + 0.4 * normal(m),
            "oxygen_saturation": 97.0 - 4.0 * respiratory * (1 + 0.4 * sev_pos)
            - 1.2 * sev_pos + 1.4 * normal(m),
            "lactate": np.exp(np.log(1.1) + 0.28 * severity + 0.65 * sepsis
                              + 0.2 * infection + 0.2 * normal(m)),
            "creatinine": baseline["creatinine"][patient]
            * np.exp(0.15 * severity + 0.3 * sepsis + 0.1 * normal(m)),
            "sodium": 139 - 2.0 * flag["heart_failure"] - 1.5 * flag["liver_cirrhosis"]
            + 3.5 * normal(m),
            "potassium": 4.2 + 0.35 * flag["ckd"] + 0.4 * normal(m),
            "glucose": baseline["glucose"][patient] + 18 * sev_pos + 22 * normal(m),
            "hemoglobin": baseline["hemoglobin"][patient] - 0.4 * sev_pos
            + 0.8 * normal(m),
            "leukocytes": np.exp(np.log(7.5) + 0.45 * infection + 0.15 * severity
                                 + 0.25 * normal(m)),
            "platelets": np.exp(np.log(245) - 0.2 * sepsis * sev_pos
                                - 0.4 * flag["liver_cirrhosis"] + 0.25 * normal(m)),
            "albumin": baseline["albumin"][patient] - 0.25 * sev_pos
            - 0.2 * infection + 0.25 * normal(m),
        }  # fmt: skip
        acute["diastolic_bp"] = (
            baseline["diastolic_bp"][patient]
            - 0.45 * (baseline["systolic_bp"][patient] - acute["systolic_bp"])
            + 5 * normal(m)
        )
        acute["urea_nitrogen"] = (
            14 * acute["creatinine"] ** 0.85 * np.exp(0.2 * normal(m))
        )
        limits = {
            "heart_rate": (35, 190), "systolic_bp": (55, 230),
            "diastolic_bp": (30, 130), "respiratory_rate": (8, 45),
            "temperature": (33.5, 41.5), "oxygen_saturation": (70, 100),
            "lactate": (0.4, 15), "creatinine": (0.3, 12),
            "sodium": (118, 160), "potassium": (2.5, 7.5), "glucose": (45, 600),
            "hemoglobin": (5, 19), "leukocytes": (0.8, 60), "platelets": (15, 900),
            "albumin": (1.2, 5.3), "urea_nitrogen": (3, 150),
        }  # fmt: skip
        for key, (low, high) in limits.items():
            acute[key] = np.clip(acute[key], low, high)

        comorbidity_term = sum(
            coef * flag[key] for key, coef in mm["comorbidities"].items()
        )
        reason_coef = np.array([mm["reason"][r] for r in reasons])
        logit = (
            mm["intercept"]
            + mm["age_per_decade_from_60"] * a10
            + mm["age_squared_per_decade"] * a10**2
            + mm["male"] * ~female
            + comorbidity_term
            + reason_coef[reason]
            + mm["lactate_above_2_per_mmol"] * np.maximum(acute["lactate"] - 2, 0)
            + mm["log_creatinine"] * np.log(acute["creatinine"])
            + mm["albumin_below_4_per_g"] * np.maximum(4 - acute["albumin"], 0)
            + mm["oxygen_saturation_below_92_per_point"]
            * np.maximum(92 - acute["oxygen_saturation"], 0)
            + mm["systolic_below_100_per_mmHg"]
            * np.maximum(100 - acute["systolic_bp"], 0)
            + mm["heart_rate_above_100_per_beat"]
            * np.maximum(acute["heart_rate"] - 100, 0)
            + mm["respiratory_rate_above_22_per_breath"]
            * np.maximum(acute["respiratory_rate"] - 22, 0)
            + mm["sodium_distance_from_139_per_mmol"] * np.abs(acute["sodium"] - 139)
            + mm["hypothermia_below_36"] * (acute["temperature"] < 36)
            + hospital_mortality[hospital]
        )
        risk = _sigmoid(logit)
        died = rng.random(m) < risk
        los_days = np.exp(
            1.2 + 0.25 * severity + 0.35 * (name == "hip_fracture") - 0.6
            * (name == "appendicitis") + 0.4 * rng.standard_normal(m)
        )  # fmt: skip
        los_days = np.clip(los_days, 0.6, 60)
        stay = (los_days * _DAY).astype(np.int64)
        stay = np.where(
            died, (stay * rng.uniform(0.1, 1.0, size=m)).astype(np.int64), stay
        )
        stop = start + np.maximum(stay, 3 * 3600)
        stop = stop - stop % 60

        readmit_logit = (
            rm["intercept"]
            + rm["age_per_decade_from_60"] * a10
            + sum(coef * flag[key] for key, coef in rm["comorbidities"].items())
            + rm["length_of_stay_over_7_days"] * (los_days > 7)
            + rm["prior_admission"] * (number > 0)
        )
        readmit_risk = np.where(died, np.nan, _sigmoid(readmit_logit))
        readmitted = ~died & (rng.random(m) < np.nan_to_num(readmit_risk))
        measured = {
            "lactate": rng.random(m)
            < _sigmoid(-0.8 + 2.2 * infection + 0.6 * severity),
            "albumin": rng.random(m) < 0.7,
        }
        batches.append(
            {
                "patient": patient,
                "number": number,
                "start": start,
                "stop": stop,
                "hospital": hospital,
                "reason": reason,
                "died": died,
                "risk": risk,
                "readmit_risk": readmit_risk,
                "readmitted": readmitted,
                "readmission": readmission,
                "emergency": rng.random(m)
                < np.where(name == "appendicitis", 0.5, 0.85),
                "lactate_measured": measured["lactate"],
                "albumin_measured": measured["albumin"],
                **{f"acute_{key}": value for key, value in acute.items()},
            }
        )
        # the next admission: a readmission within 30 days, or a later one
        gap_days = np.where(
            readmitted,
            rng.uniform(1, 30, size=m),
            31 + rng.exponential(420, size=m),
        )
        later = ~died & (readmitted | ((number < 2) & (rng.random(m) < 0.35)))
        next_start = stop + (gap_days * _DAY).astype(np.int64)
        next_start = next_start - next_start % 60
        keep = later & (next_start < STUDY_END.astype(np.int64) - 40 * _DAY)
        keep &= number < 7
        patient = patient[keep]
        start = next_start[keep]
        readmission = readmitted[keep]
        number = number[keep] + 1
    merged = {key: np.concatenate([b[key] for b in batches]) for key in batches[0]}
    order = np.lexsort((merged["start"], merged["patient"]))
    return {key: value[order] for key, value in merged.items()}


# --------------------------------------------------------------------------------
# assembling the Synthea tables
# --------------------------------------------------------------------------------
_VITAL_DECIMALS = {
    "heart_rate": 0, "systolic_bp": 0, "diastolic_bp": 0, "respiratory_rate": 0,
    "temperature": 1, "oxygen_saturation": 0, "bmi": 1, "body_weight": 1,
}  # fmt: skip
_LAB_DECIMALS = {
    "creatinine": 2, "urea_nitrogen": 0, "sodium": 0, "potassium": 1, "glucose": 0,
    "hemoglobin": 1, "leukocytes": 1, "platelets": 0, "albumin": 1, "lactate": 1,
    "hba1c": 1,
}  # fmt: skip
_PAYERS = (
    "Medicare", "Medicaid", "Blue Cross Blue Shield", "Aetna", "UnitedHealthcare",
    "NO_INSURANCE",
)  # fmt: skip


def _names(rng: np.random.Generator, female: np.ndarray) -> dict[str, np.ndarray]:
    """Draw first, middle and last names for people of the given sex."""
    n = female.size
    first = np.where(
        female, _pick(rng, FEMALE_FIRST_NAMES, n), _pick(rng, MALE_FIRST_NAMES, n)
    )
    middle = np.where(
        female, _pick(rng, FEMALE_FIRST_NAMES, n), _pick(rng, MALE_FIRST_NAMES, n)
    )
    middle = np.where(rng.random(n) < 0.7, middle, "")
    return {"first": first, "middle": middle, "last": _pick(rng, LAST_NAMES, n)}


def _addresses(rng: np.random.Generator, n: int) -> np.ndarray:
    """Draw fake street addresses."""
    number = rng.integers(1, 1200, size=n).astype(str).astype(object)
    street = _pick(rng, STREET_NAMES, n) + " " + _pick(rng, STREET_SUFFIXES, n)
    unit = np.where(
        rng.random(n) < 0.2,
        " Unit " + rng.integers(1, 90, size=n).astype(str).astype(object),
        "",
    )
    return number + " " + street + unit


def _observation_rows(
    kind: str,
    names: Iterable[str],
    values: Mapping[str, np.ndarray],
    present: Mapping[str, np.ndarray],
    patient: np.ndarray,
    encounter: np.ndarray,
    when: np.ndarray,
) -> list[pd.DataFrame]:
    """Build observation rows, one block per concept, for measured values only."""
    table = codes.VITALS if kind == "vital-signs" else codes.LABS
    decimals = _VITAL_DECIMALS if kind == "vital-signs" else _LAB_DECIMALS
    blocks = []
    for name in names:
        code = table[name]
        keep = present.get(name, np.ones(patient.size, dtype=bool))
        value = np.round(values[name][keep], decimals[name])
        text = np.char.mod(f"%.{decimals[name]}f", value).astype(object)
        blocks.append(
            pd.DataFrame(
                {
                    "DATE": when[keep],
                    "PATIENT": patient[keep],
                    "ENCOUNTER": encounter[keep],
                    "CATEGORY": kind,
                    "CODE": code.code,
                    "DESCRIPTION": code.display,
                    "VALUE": text,
                    "UNITS": code.unit,
                    "TYPE": "numeric",
                    "_order": np.arange(keep.sum()) * 0 + len(blocks),
                }
            )
        )
    return blocks


def _assemble(
    rng: np.random.Generator,
    people: dict[str, np.ndarray],
    chronic: dict[str, dict[str, np.ndarray]],
    baseline: dict[str, np.ndarray],
    adm: dict[str, np.ndarray],
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Turn the simulated events into Synthea tables and the truth table."""
    n = int(people["n"])
    pid = people["id"]
    n_h = len(HOSPITALS)
    org_ids = _uuids(rng, n_h)
    provider_ids = _uuids(rng, 25 * n_h).reshape(n_h, 25)
    payer_ids = _uuids(rng, len(_PAYERS))
    age = people["age"]
    income = np.round(np.exp(np.log(52_000) + 0.6 * rng.standard_normal(n)), -2).astype(
        np.int64
    )
    payer_index = np.where(
        age >= 65,
        0,
        np.where(
            income < 30_000,
            np.where(rng.random(n) < 0.8, 1, 5),
            rng.integers(2, 5, size=n),
        ),
    )
    coverage_rate = np.array([0.8, 0.95, 0.75, 0.7, 0.72, 0.0])[payer_index]

    encounter_blocks: list[pd.DataFrame] = []
    observation_blocks: list[pd.DataFrame] = []

    def encounters(
        patient: np.ndarray,
        start: np.ndarray,
        stop: np.ndarray,
        hospital: np.ndarray,
        klass: str,
        code: codes.Code | np.ndarray,
        base_cost: np.ndarray,
        reason: np.ndarray | None = None,
    ) -> np.ndarray:
        """Append encounter rows and return their new ids."""
        m = patient.size
        ids = _uuids(rng, m)
        if isinstance(code, codes.Code):
            code_value, code_text = code.code, code.display
        else:
            code_value = np.array([c.code for c in code], dtype=object)
            code_text = np.array([c.display for c in code], dtype=object)
        if reason is None:
            reason_code = reason_text = np.full(m, "", dtype=object)
        else:
            reason_code = np.array([c.code if c else "" for c in reason], dtype=object)
            reason_text = np.array(
                [c.display if c else "" for c in reason], dtype=object
            )
        claim = np.round(base_cost * rng.uniform(1.0, 1.6, size=m), 2)
        encounter_blocks.append(
            pd.DataFrame(
                {
                    "Id": ids,
                    "START": start,
                    "STOP": stop,
                    "PATIENT": pid[patient],
                    "ORGANIZATION": org_ids[hospital],
                    "PROVIDER": provider_ids[hospital, rng.integers(0, 25, size=m)],
                    "PAYER": payer_ids[payer_index[patient]],
                    "ENCOUNTERCLASS": klass,
                    "CODE": code_value,
                    "DESCRIPTION": code_text,
                    "BASE_ENCOUNTER_COST": np.round(base_cost, 2),
                    "TOTAL_CLAIM_COST": claim,
                    "PAYER_COVERAGE": np.round(claim * coverage_rate[patient], 2),
                    "REASONCODE": reason_code,
                    "REASONDESCRIPTION": reason_text,
                    "_patient": patient,
                    "_hospital": hospital,
                }
            )
        )
        return ids

    # wellness visits before the first admission, with vitals and routine labs
    visits = 1 + rng.binomial(2, 0.5, size=n)
    w_patient = np.repeat(np.arange(n), visits)
    m = w_patient.size
    w_start = people["first_admission"][w_patient] - (
        rng.uniform(20, 1000, size=m) * _DAY
    ).astype(np.int64)
    w_start -= w_start % 60
    w_stop = w_start + 900
    w_ids = encounters(
        w_patient, w_start, w_stop, people["hospital"][w_patient], "wellness",
        codes.ENCOUNTER_WELLNESS, np.full(m, 136.8),
    )  # fmt: skip
    noise = rng.standard_normal
    outpatient = {
        "heart_rate": baseline["heart_rate"][w_patient] + 4 * noise(m),
        "systolic_bp": baseline["systolic_bp"][w_patient] + 6 * noise(m),
        "diastolic_bp": baseline["diastolic_bp"][w_patient] + 4 * noise(m),
        "bmi": baseline["bmi"][w_patient] + 0.5 * noise(m),
        "creatinine": baseline["creatinine"][w_patient] * np.exp(0.06 * noise(m)),
        "glucose": baseline["glucose"][w_patient] + 8 * noise(m),
        "hemoglobin": baseline["hemoglobin"][w_patient] + 0.4 * noise(m),
        "hba1c": baseline["hba1c"][w_patient] + 0.2 * noise(m),
    }
    outpatient["body_weight"] = (
        outpatient["bmi"] * (baseline["height"][w_patient] / 100) ** 2
    )
    w_time = _timestamps(w_start)
    observation_blocks += _observation_rows(
        "vital-signs",
        ("heart_rate", "systolic_bp", "diastolic_bp", "bmi", "body_weight"),
        outpatient, {}, pid[w_patient], w_ids, w_time,
    )  # fmt: skip
    a1c_measured = chronic["flags"]["diabetes"][w_patient] | (rng.random(m) < 0.25)
    observation_blocks += _observation_rows(
        "laboratory",
        ("creatinine", "glucose", "hemoglobin", "hba1c"),
        outpatient, {"hba1c": a1c_measured}, pid[w_patient], w_ids, w_time,
    )  # fmt: skip

    # a problem visit for each chronic condition at its onset; conditions and the
    # chronic medications are recorded there
    condition_blocks: list[pd.DataFrame] = []
    medication_blocks: list[pd.DataFrame] = []
    end = STUDY_END.astype(np.int64)
    for name, code in codes.COMORBIDITIES.items():
        rows = np.flatnonzero(chronic["flags"][name])
        if not rows.size:
            continue
        onset = chronic["onset"][name][rows]
        ids = encounters(
            rows, onset, onset + 1800, people["hospital"][rows], "ambulatory",
            codes.ENCOUNTER_PROBLEM, np.full(rows.size, 85.55),
            np.full(rows.size, code, dtype=object),
        )  # fmt: skip
        condition_blocks.append(
            pd.DataFrame(
                {
                    "START": _dates(onset),
                    "STOP": "",
                    "PATIENT": pid[rows],
                    "ENCOUNTER": ids,
                    "SYSTEM": code.system,
                    "CODE": code.code,
                    "DESCRIPTION": code.display,
                    "_patient": rows,
                    "_time": onset,
                }
            )
        )
        options = codes.MEDICATIONS.get(name)
        if not options:
            continue
        treated = rng.random(rows.size) < 0.85
        r, o, e = rows[treated], onset[treated], ids[treated]
        drug = [options[i] for i in rng.integers(0, len(options), size=r.size)]
        stopped = rng.random(r.size) < 0.15
        stop = o + (rng.uniform(90, 900, size=r.size) * _DAY).astype(np.int64)
        stopped &= stop < end
        months = (np.where(stopped, stop, end) - o) // (30 * _DAY)
        dispenses = np.maximum(months, 1)
        base = np.round(rng.uniform(8, 260, size=r.size), 2)
        total = np.round(base * dispenses, 2)
        medication_blocks.append(
            pd.DataFrame(
                {
                    "START": _timestamps(o),
                    "STOP": np.where(stopped, _timestamps(stop), ""),
                    "PATIENT": pid[r],
                    "PAYER": payer_ids[payer_index[r]],
                    "ENCOUNTER": e,
                    "CODE": [d.code for d in drug],
                    "DESCRIPTION": [d.display for d in drug],
                    "BASE_COST": base,
                    "PAYER_COVERAGE": np.round(total * coverage_rate[r], 2),
                    "DISPENSES": dispenses,
                    "TOTALCOST": total,
                    "REASONCODE": code.code,
                    "REASONDESCRIPTION": code.display,
                    "_patient": r,
                    "_time": o,
                }
            )
        )

    # emergency visits that did not lead to an admission, in the two prior years
    rate = (
        0.3 + 0.5 * chronic["flags"]["copd"] + 0.5 * chronic["flags"]["heart_failure"]
    )
    ed_count = rng.poisson(rate)
    e_patient = np.repeat(np.arange(n), ed_count)
    e_start = people["first_admission"][e_patient] - (
        rng.uniform(5, 730, size=e_patient.size) * _DAY
    ).astype(np.int64)
    e_start -= e_start % 60
    encounters(
        e_patient, e_start, e_start + 4 * 3600, people["hospital"][e_patient],
        "emergency", codes.ENCOUNTER_EMERGENCY, np.full(e_patient.size, 146.18),
    )  # fmt: skip

    # inpatient admissions with the admission vitals and labs, at arrival
    reasons = list(codes.ADMISSION_REASONS.values())
    a_patient = adm["patient"]
    a_reason = np.array([reasons[i] for i in adm["reason"]], dtype=object)
    a_code = np.where(
        adm["emergency"], codes.ENCOUNTER_EMERGENCY_ADMISSION, codes.ENCOUNTER_ADMISSION
    )
    los = (adm["stop"] - adm["start"]) / _DAY
    a_ids = encounters(
        a_patient, adm["start"], adm["stop"], adm["hospital"], "inpatient", a_code,
        np.round(106.43 + 1800 * los, 2), a_reason,
    )  # fmt: skip
    acute = {key[6:]: adm[key] for key in adm if key.startswith("acute_")}
    a_time = _timestamps(adm["start"])
    observation_blocks += _observation_rows(
        "vital-signs",
        ("heart_rate", "systolic_bp", "diastolic_bp", "respiratory_rate",
         "temperature", "oxygen_saturation"),
        acute, {}, pid[a_patient], a_ids, a_time,
    )  # fmt: skip
    observation_blocks += _observation_rows(
        "laboratory",
        ("creatinine", "urea_nitrogen", "sodium", "potassium", "glucose",
         "hemoglobin", "leukocytes", "platelets", "albumin", "lactate"),
        acute,
        {"lactate": adm["lactate_measured"], "albumin": adm["albumin_measured"]},
        pid[a_patient], a_ids, a_time,
    )  # fmt: skip
    condition_blocks.append(
        pd.DataFrame(
            {
                "START": _dates(adm["start"]),
                "STOP": _dates(adm["stop"]),
                "PATIENT": pid[a_patient],
                "ENCOUNTER": a_ids,
                "SYSTEM": codes.SNOMED,
                "CODE": [c.code for c in a_reason],
                "DESCRIPTION": [c.display for c in a_reason],
                "_patient": a_patient,
                "_time": adm["start"],
            }
        )
    )

    # deaths: in hospital (the admission's stop) or later, outside the hospital
    death = np.full(n, -1, dtype=np.int64)
    death[a_patient[adm["died"]]] = adm["stop"][adm["died"]]
    last_stop = np.zeros(n, dtype=np.int64)
    np.maximum.at(last_stop, a_patient, adm["stop"])
    later = (death < 0) & (rng.random(n) < 0.07)
    later_death = last_stop + (rng.uniform(31, 700, size=n) * _DAY).astype(np.int64)
    later &= later_death < end
    death[later] = later_death[later]

    # next inpatient start of the same patient (for the realised readmission)
    next_start = np.full(a_patient.size, np.iinfo(np.int64).max)
    same = a_patient[1:] == a_patient[:-1]
    next_start[:-1][same] = adm["start"][1:][same]
    readmitted = (next_start - adm["stop"]) <= 30 * _DAY
    truth = pd.DataFrame(
        {
            "ENCOUNTER": a_ids,
            "PATIENT": pid[a_patient],
            "mortality_risk": adm["risk"],
            "readmission_risk": adm["readmit_risk"],
            "died": adm["died"],
            "readmitted_30d": readmitted & ~adm["died"],
        }
    )

    encounters_table = pd.concat(encounter_blocks, ignore_index=True)
    raw_start = encounters_table["START"].to_numpy(np.int64)
    encounters_table = encounters_table.iloc[
        np.lexsort((raw_start, encounters_table["_patient"].to_numpy()))
    ]
    utilization = np.bincount(encounters_table["_hospital"], minlength=n_h)
    revenue = np.bincount(
        encounters_table["_hospital"],
        weights=encounters_table["TOTAL_CLAIM_COST"],
        minlength=n_h,
    )
    encounters_table = encounters_table.assign(
        START=_timestamps(encounters_table["START"].to_numpy(np.int64)),
        STOP=_timestamps(encounters_table["STOP"].to_numpy(np.int64)),
    ).drop(columns=["_patient", "_hospital"])

    observations = pd.concat(observation_blocks, ignore_index=True)
    observations = observations.sort_values(
        ["PATIENT", "DATE", "_order"], kind="stable"
    ).drop(columns="_order")
    conditions = pd.concat(condition_blocks, ignore_index=True)
    conditions = conditions.iloc[
        np.lexsort((conditions["_time"].to_numpy(), conditions["_patient"].to_numpy()))
    ].drop(columns=["_patient", "_time"])
    medications = pd.concat(medication_blocks, ignore_index=True)
    medications = medications.iloc[
        np.lexsort(
            (medications["_time"].to_numpy(), medications["_patient"].to_numpy())
        )
    ].drop(columns=["_patient", "_time"])

    patients = _patients_table(rng, people, chronic, death, income, org_ids)
    patients["HEALTHCARE_EXPENSES"] = np.round(
        np.bincount(
            np.concatenate([w_patient, a_patient]),
            weights=np.concatenate([np.full(w_patient.size, 136.8), 1800 * los]),
            minlength=n,
        )
        + rng.uniform(2_000, 60_000, size=n),
        2,
    )
    patients["HEALTHCARE_COVERAGE"] = np.round(
        patients["HEALTHCARE_EXPENSES"] * coverage_rate, 2
    )
    organizations = pd.DataFrame(
        {
            "Id": org_ids,
            "NAME": [h.name for h in HOSPITALS],
            "ADDRESS": [h.address for h in HOSPITALS],
            "CITY": [TOWNS[h.town].name for h in HOSPITALS],
            "STATE": STATE_ABBREVIATION,
            "ZIP": [TOWNS[h.town].zip for h in HOSPITALS],
            "LAT": [TOWNS[h.town].lat for h in HOSPITALS],
            "LON": [TOWNS[h.town].lon for h in HOSPITALS],
            "PHONE": [h.phone for h in HOSPITALS],
            "REVENUE": np.round(revenue, 2),
            "UTILIZATION": utilization,
        }
    )
    tables = {
        "patients": patients,
        "encounters": encounters_table,
        "conditions": conditions,
        "observations": observations,
        "medications": medications,
        "organizations": organizations,
    }
    for name, frame in tables.items():
        tables[name] = frame.loc[:, list(TABLE_COLUMNS[name])].reset_index(drop=True)
    return tables, truth


def _patients_table(
    rng: np.random.Generator,
    people: dict[str, np.ndarray],
    chronic: dict[str, dict[str, np.ndarray]],
    death: np.ndarray,
    income: np.ndarray,
    org_ids: np.ndarray,
) -> pd.DataFrame:
    """Build the patients table with fake direct identifiers."""
    n = int(people["n"])
    female = people["female"]
    age = people["age"]
    names = _names(rng, female)
    marital = np.where(
        age < 25,
        np.where(rng.random(n) < 0.9, "S", "M"),
        _pick(rng, ("M", "M", "M", "S", "D", "W"), n),
    )
    marital = np.where((age > 75) & (rng.random(n) < 0.35), "W", marital)
    maiden = np.where(
        female & (marital != "S") & (rng.random(n) < 0.6),
        _pick(rng, LAST_NAMES, n),
        "",
    )
    prefix = np.where(female, np.where(marital == "S", "Ms.", "Mrs."), "Mr.")
    suffix = np.where(rng.random(n) < 0.01, _pick(rng, ("Jr.", "Sr.", "III"), n), "")
    town = people["town"]
    town_name = np.array([TOWNS[i].name for i in town], dtype=object)
    birth_town = _pick(rng, [t.name for t in TOWNS], n)
    ssn = "999-" + _digits(rng, n, 2, 1) + "-" + _digits(rng, n, 4, 1)
    passport = np.where(rng.random(n) < 0.7, "X" + _digits(rng, n, 8) + "X", "")
    race = np.asarray(RACES, dtype=object)[people["race"]]
    return pd.DataFrame(
        {
            "Id": people["id"],
            "BIRTHDATE": _dates(people["birth"]),
            "DEATHDATE": np.where(death >= 0, _dates(np.maximum(death, 0)), ""),
            "SSN": ssn,
            "DRIVERS": "S99" + _digits(rng, n, 7),
            "PASSPORT": passport,
            "PREFIX": prefix,
            "FIRST": names["first"],
            "MIDDLE": names["middle"],
            "LAST": names["last"],
            "SUFFIX": suffix,
            "MAIDEN": maiden,
            "MARITAL": marital,
            "RACE": race,
            "ETHNICITY": np.where(people["hispanic"], "hispanic", "nonhispanic"),
            "GENDER": np.where(female, "F", "M"),
            "BIRTHPLACE": birth_town + "  " + STATE + "  US",
            "ADDRESS": _addresses(rng, n),
            "CITY": town_name,
            "STATE": STATE,
            "COUNTY": [TOWNS[i].county for i in town],
            "FIPS": [TOWNS[i].fips for i in town],
            "ZIP": [TOWNS[i].zip for i in town],
            "LAT": np.round(
                np.array([TOWNS[i].lat for i in town]) + 0.01 * rng.standard_normal(n),
                6,
            ),
            "LON": np.round(
                np.array([TOWNS[i].lon for i in town]) + 0.01 * rng.standard_normal(n),
                6,
            ),
            "INCOME": income,
        }
    )


def _voter_roll(
    rng: np.random.Generator, people: dict[str, np.ndarray], patients: pd.DataFrame
) -> pd.DataFrame:
    """Build a public voter-roll-like table overlapping part of the patients.

    About 60 % of the patients are registered voters; 5 % of those have moved since
    (another town, ZIP and address on the roll). Non-patients, as many as 1.5 times
    the patients, are drawn from the same towns, ages and names.
    """
    n = int(people["n"])
    listed = np.flatnonzero(rng.random(n) < 0.6)
    roll = patients.iloc[listed][
        ["FIRST", "LAST", "ADDRESS", "CITY", "ZIP", "BIRTHDATE", "GENDER"]
    ].reset_index(drop=True)
    moved = rng.random(len(roll)) < 0.05
    new_town = rng.integers(0, len(TOWNS), size=len(roll))
    roll.loc[moved, "CITY"] = [TOWNS[i].name for i in new_town[moved]]
    roll.loc[moved, "ZIP"] = [TOWNS[i].zip for i in new_town[moved]]
    roll.loc[moved, "ADDRESS"] = _addresses(rng, int(moved.sum()))

    k = int(1.5 * n)
    population = np.array([t.population for t in TOWNS], dtype=float)
    town = rng.choice(len(TOWNS), size=k, p=population / population.sum())
    female = rng.random(k) < 0.52
    names = _names(rng, female)
    age_days = (rng.uniform(18, 95, size=k) * 365.2425).astype(np.int64)
    birth = (STUDY_END.astype(np.int64) // _DAY - age_days) * _DAY
    others = pd.DataFrame(
        {
            "FIRST": names["first"],
            "LAST": names["last"],
            "ADDRESS": _addresses(rng, k),
            "CITY": [TOWNS[i].name for i in town],
            "ZIP": [TOWNS[i].zip for i in town],
            "BIRTHDATE": _dates(birth),
            "GENDER": np.where(female, "F", "M"),
        }
    )
    roll = pd.concat([roll, others], ignore_index=True)
    roll = roll.iloc[rng.permutation(len(roll))].reset_index(drop=True)
    size = len(roll)
    parties = ("Democratic", "Republican", "Unenrolled", "Libertarian", "Green-Rainbow")
    roll.insert(0, "VOTER_ID", "V" + _digits(rng, size, 9))
    roll["PARTY"] = rng.choice(
        np.asarray(parties, dtype=object), size=size, p=[0.3, 0.1, 0.57, 0.02, 0.01]
    )
    registered = STUDY_END.astype(np.int64) - (
        rng.uniform(30, 20 * 365, size=size) * _DAY
    ).astype(np.int64)
    roll["REGISTERED"] = _dates(registered)
    roll = roll.sort_values(["LAST", "FIRST", "VOTER_ID"], kind="stable")
    return roll.loc[:, list(VOTER_ROLL_COLUMNS)].reset_index(drop=True)


@functools.lru_cache(maxsize=2)
def _truth(n_patients: int, seed: int) -> pd.DataFrame:
    """Return the truth table of a generation, indexed by encounter (cached)."""
    return generate_ehr(n_patients=n_patients, seed=seed).truth.set_index("ENCOUNTER")


def true_risk(
    encounter_ids: Iterable[str],
    *,
    n_patients: int = DEFAULT_PATIENTS,
    seed: int = DEFAULT_SEED,
    column: str = "mortality_risk",
) -> np.ndarray:
    """Return the generator's true risk of the given inpatient admissions.

    The risk never leaves the Python API: it is recomputed by generating the
    cohort again from ``n_patients`` and ``seed`` (once per session), which must
    be those that wrote the tables the admissions come from. Lessons use it for
    the Bayes-optimal ceiling (lessons 01, 02 and 04).

    Parameters
    ----------
    encounter_ids : iterable of str
        ``Id`` values of inpatient encounters (the cohort's ``encounter_id``).
    n_patients, seed : int
        The generation that wrote the tables; the default dataset's by default.
    column : {"mortality_risk", "readmission_risk"}
        Which risk to return.

    Returns
    -------
    numpy.ndarray
        One risk per encounter, in the order given.

    Raises
    ------
    KeyError
        If an encounter is not an admission of that generation; the message
        names it and the generation, which is then likely not the tables' own.
    """
    check_choice("column", column, ("mortality_risk", "readmission_risk"))
    truth = _truth(
        check_int("n_patients", n_patients, low=10, high=2_000_000),
        check_int("seed", seed, low=0),
    )
    ids = pd.Index(list(encounter_ids))
    missing = ids.difference(truth.index)
    if len(missing):
        raise KeyError(
            f"encounter_ids holds {len(missing)} id(s) that are not inpatient "
            f"admissions of generate_ehr(n_patients={n_patients}, seed={seed}), "
            f"for example {missing[0]!r}; pass the n_patients and seed that "
            "wrote these tables."
        )
    return truth.loc[ids, column].to_numpy()


# --------------------------------------------------------------------------------
# writing and reading
# --------------------------------------------------------------------------------
#: Tables handed to forked writer processes; filled only while writing.
_PENDING: dict[str, pd.DataFrame] = {}


def _write_table(name: str, path: str, compress: bool) -> str:
    """Write table ``name`` of :data:`_PENDING` as CSV (optionally gzip) to ``path``."""
    data = _PENDING[name].to_csv(index=False, lineterminator="\n").encode("utf-8")
    if compress:
        buffer = io.BytesIO()
        with gzip.GzipFile(
            filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0
        ) as handle:
            handle.write(data)
        data = buffer.getvalue()
    Path(path).write_bytes(data)
    return path


def write_synthea(
    ehr: SyntheticEHR,
    out_dir: str | os.PathLike[str],
    *,
    compress: bool = False,
    jobs: int = 1,
) -> list[Path]:
    """Write the Synthea tables and the voter roll as CSV files in ``out_dir``.

    The same :class:`SyntheticEHR` always gives byte-identical files; compressed
    files carry no time stamp or file name in their gzip header.

    Parameters
    ----------
    ehr : SyntheticEHR
        Output of :func:`generate_ehr`.
    out_dir : path
        Folder to write into; created if missing.
    compress : bool, default False
        Write ``.csv.gz`` instead of ``.csv``.
    jobs : int, default 1
        Tables written at once by forked processes (where the platform can fork;
        elsewhere one at a time). Writing is most of the time for large cohorts,
        and the observations table alone is half of it, so 2 jobs nearly halve it.

    Returns
    -------
    list of Path
        The files written. The true risks are never among them.
    """
    jobs = check_int("jobs", jobs, low=1, high=64)
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    frames = dict(ehr.tables)
    frames["voter_roll"] = ehr.voter_roll
    paths = {
        name: str(folder / (f"{name}.csv.gz" if compress else f"{name}.csv"))
        for name in frames
    }
    biggest_first = sorted(frames, key=lambda name: -len(frames[name]))
    _PENDING.update(frames)
    try:
        if jobs > 1 and "fork" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
                futures = [
                    pool.submit(_write_table, name, paths[name], compress)
                    for name in biggest_first
                ]
                for future in futures:
                    future.result()
        else:
            for name in biggest_first:
                _write_table(name, paths[name], compress)
    finally:
        _PENDING.clear()
    return [Path(paths[name]) for name in frames]


def _table_path(folder: Path, name: str) -> Path:
    """Return the CSV (or gzipped CSV) file of table ``name`` in ``folder``."""
    for candidate in (folder / f"{name}.csv", folder / f"{name}.csv.gz"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"{name}.csv (or {name}.csv.gz) not found in {folder}; a Synthea export "
        f"folder must hold {', '.join(t + '.csv' for t in TABLE_COLUMNS)}."
    )


def detect_layout(table: str, columns: Iterable[str]) -> str:
    """Return ``"current"`` or ``"older"``: which Synthea layout ``columns`` follow.

    Raises
    ------
    ValueError
        If ``table`` is not a Synthea table this kit reads.
    """
    if table not in TABLE_COLUMNS:
        raise ValueError(
            f"table must be one of {', '.join(TABLE_COLUMNS)}; got {table!r}."
        )
    present = set(columns)
    optional = OPTIONAL_COLUMNS.get(table, ())
    return "current" if all(c in present for c in optional) else "older"


def _parse_dates(frame: pd.DataFrame, column: str, path: Path) -> pd.Series:
    """Parse an ISO date or date-time column, naming the first malformed value."""
    text = frame[column]
    blank = text.str.len() == 0
    parsed = pd.to_datetime(
        text.where(~blank), format="ISO8601", utc=True, errors="coerce"
    )
    bad = parsed.isna() & ~blank
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"{path.name}, column {column}, data row {row + 1}: cannot read "
            f"{text.iloc[row]!r} as an ISO 8601 date or date-time "
            "(for example 2019-03-04 or 2019-03-04T10:22:33Z)."
        )
    return parsed.dt.tz_convert(None)


def read_table(
    folder: str | os.PathLike[str], name: str, *, parse_dates: bool = True
) -> pd.DataFrame:
    """Read one Synthea table, check its columns and parse its dates.

    Parameters
    ----------
    folder : path
        A Synthea CSV export folder (ours, or a real one).
    name : str
        One of ``patients``, ``encounters``, ``conditions``, ``observations``,
        ``medications``, ``organizations``.
    parse_dates : bool, default True
        Parse the date columns to ``datetime64`` (UTC, without time zone).

    Returns
    -------
    DataFrame
        Every column as text (empty string where blank), except parsed dates.

    Raises
    ------
    FileNotFoundError
        If the table's file is missing; the message names it.
    MissingColumnError
        If a required column is missing; the message names file and column.
    ValueError
        If a date is malformed; the message names file, column, row and value.
    """
    if name not in TABLE_COLUMNS:
        raise ValueError(
            f"name must be one of {', '.join(TABLE_COLUMNS)}; got {name!r}."
        )
    path = _table_path(Path(folder), name)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    optional = OPTIONAL_COLUMNS.get(name, ())
    missing = [
        c for c in TABLE_COLUMNS[name] if c not in frame.columns and c not in optional
    ]
    if missing:
        raise MissingColumnError(
            f"{path.name} is missing column(s) {', '.join(missing)}; "
            f"a Synthea {name} table has {', '.join(TABLE_COLUMNS[name])}."
        )
    if parse_dates:
        for column in DATE_COLUMNS[name]:
            frame[column] = _parse_dates(frame, column, path)
    frame.attrs["layout"] = detect_layout(name, frame.columns)
    frame.attrs["path"] = str(path)
    return frame


def read_synthea(
    folder: str | os.PathLike[str], *, tables: Iterable[str] | None = None
) -> dict[str, pd.DataFrame]:
    """Read the Synthea tables of an export folder (see :func:`read_table`).

    Parameters
    ----------
    folder : path
        A Synthea CSV export folder; files may be ``.csv`` or ``.csv.gz``.
    tables : iterable of str, optional
        Which tables to read; all six by default.

    Returns
    -------
    dict of str to DataFrame
    """
    names = list(TABLE_COLUMNS) if tables is None else list(tables)
    return {name: read_table(folder, name) for name in names}


def read_voter_roll(folder: str | os.PathLike[str]) -> pd.DataFrame:
    """Read the public voter-roll-like table written beside the Synthea tables.

    Raises
    ------
    FileNotFoundError, MissingColumnError
        If the file or one of its columns is missing.
    """
    path = _table_path(Path(folder), "voter_roll")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    missing = [c for c in VOTER_ROLL_COLUMNS if c not in frame.columns]
    if missing:
        raise MissingColumnError(
            f"{path.name} is missing column(s) {', '.join(missing)}."
        )
    return frame


def default_data_dir() -> Path:
    """Return the folder of the default dataset, generating it if it is absent.

    Looks for ``data/synthea`` in the working folder and its parents (a clone of
    the kit). Elsewhere (for example an installed package on Colab) it generates
    the same files, from the recorded seed, into ``~/.cache/ehrpriv``: nothing is
    downloaded.
    """
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        candidate = folder / "data" / "synthea"
        if (candidate / "patients.csv.gz").is_file():
            return candidate
    cache = Path.home() / ".cache" / "ehrpriv" / f"synthea-{DEFAULT_SEED}"
    if not (cache / "voter_roll.csv.gz").is_file():
        logger.info("generating the default dataset into %s", cache)
        ehr = generate_ehr(n_patients=DEFAULT_PATIENTS, seed=DEFAULT_SEED)
        write_synthea(ehr, cache, compress=True)
    return cache


# --------------------------------------------------------------------------------
# command line: ehrpriv data generate
# --------------------------------------------------------------------------------
def _generate_command(args: argparse.Namespace) -> int:
    """Generate a dataset and write it (``ehrpriv data generate``)."""
    started = time.perf_counter()
    ehr = generate_ehr(n_patients=args.patients, seed=args.seed)
    generated = time.perf_counter() - started
    paths = write_synthea(ehr, args.out, compress=args.compress, jobs=args.jobs)
    total = time.perf_counter() - started
    admissions = len(ehr.truth)
    print(
        f"wrote {len(paths)} files to {args.out}: {args.patients:,} patients, "
        f"{admissions:,} admissions, in-hospital mortality "
        f"{ehr.truth['died'].mean():.1%} "
        f"(generated in {generated:.1f} s, written in {total - generated:.1f} s)"
    )
    return 0


def register_cli(subparsers: argparse._SubParsersAction) -> None:
    """Add ``ehrpriv data generate`` to the command line."""
    data = subparsers.add_parser("data", help="generate the synthetic EHR dataset")
    commands = data.add_subparsers(dest="data_command", metavar="ACTION")
    commands.required = True
    generate = commands.add_parser(
        "generate", help="write a synthetic cohort in the Synthea CSV layout"
    )
    generate.add_argument(
        "--patients", type=int, default=DEFAULT_PATIENTS, help="number of patients"
    )
    generate.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    generate.add_argument("--out", required=True, help="output folder")
    generate.add_argument("--compress", action="store_true", help="write .csv.gz files")
    generate.add_argument(
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="tables written at once (default: 2, or 1 on a single core)",
    )
    generate.set_defaults(func=_generate_command)
