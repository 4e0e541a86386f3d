"""Lesson 01 (EHR data): graded questions on building and auditing a cohort.

Used by ``solutions/01_ehr_data_solutions.ipynb`` and the exercise notebook
generated from it. Each check draws hidden inputs from its ``rng`` (fresh seeds
at grading time) and compares the learner's function with a reference.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from ehrpriv.grading import AnswerError, assert_matches_reference, question


# --------------------------------------------------------------------------------
# 01.age_at_admission
# --------------------------------------------------------------------------------
def _age(birth_dates: pd.Series, admit_times: pd.Series) -> np.ndarray:
    """Reference: completed years of age at each admission."""
    born = pd.DatetimeIndex(birth_dates)
    admitted = pd.DatetimeIndex(admit_times)
    before = (admitted.month < born.month) | (
        (admitted.month == born.month) & (admitted.day < born.day)
    )
    return np.asarray(admitted.year - born.year - before.astype(int), dtype=float)


def _age_inputs(rng: np.random.Generator) -> tuple[pd.Series, pd.Series]:
    """Hidden birth dates and admission times, with birthday edge cases."""
    n = 60
    born = pd.Timestamp("1925-01-01") + pd.to_timedelta(
        rng.integers(0, 80 * 365, size=n), unit="D"
    )
    admitted = pd.Timestamp("2016-01-01") + pd.to_timedelta(
        rng.integers(0, 9 * 365 * 24 * 60, size=n), unit="min"
    )
    edge_birth = [
        born[0].replace(month=6, day=15),
        born[1].replace(month=3, day=10),
        pd.Timestamp(f"{1932 + 4 * int(rng.integers(0, 15))}-02-29"),
        pd.Timestamp(f"{1932 + 4 * int(rng.integers(0, 15))}-02-29"),
    ]
    year = int(rng.integers(2017, 2025))
    edge_admit = [
        pd.Timestamp(f"{year}-06-15 02:00"),  # on the birthday, early morning
        pd.Timestamp(f"{year}-03-09 23:30"),  # the evening before the birthday
        pd.Timestamp("2023-02-28 12:00"),  # leap-day birthday, not a leap year
        pd.Timestamp("2023-03-01 08:00"),
    ]
    # admitted on the birthday itself, at several ages: counting days fails here
    for age in rng.choice(np.arange(18, 95), size=8, replace=False):
        day = pd.Timestamp(
            f"{int(rng.integers(2017, 2025))}-{int(rng.integers(1, 13)):02d}-14"
        )
        edge_admit.append(day + pd.Timedelta(hours=int(rng.integers(0, 6))))
        edge_birth.append(day.replace(year=day.year - int(age)))
    births = pd.Series(list(born) + edge_birth, name="BIRTHDATE")
    admits = pd.Series(list(admitted) + edge_admit, name="admit_time")
    order = rng.permutation(len(births))
    return births.iloc[order].reset_index(drop=True), admits.iloc[order].reset_index(
        drop=True
    )


@question(
    "01.age_at_admission",
    points=2,
    answer="age_at_admission",
    title="Age in completed years at admission",
    hints=(
        "Age is the number of birthdays already reached: the difference in years, "
        "minus one if the admission falls before this year's birthday.",
    ),
)
def check_age(answer: Any, rng: np.random.Generator) -> None:
    """Ages match completed years on hidden dates, birthdays and leap days included."""
    births, admits = _age_inputs(rng)
    assert_matches_reference(
        answer,
        _age,
        [(births, admits)],
        rtol=0,
        atol=0,
    )


# --------------------------------------------------------------------------------
# 01.latest_lab
# --------------------------------------------------------------------------------
def _latest(observations: pd.DataFrame, admissions: pd.DataFrame) -> np.ndarray:
    """Reference: each admission's most recent value at or before its START."""
    values = np.full(len(admissions), np.nan)
    for row, (patient, start) in enumerate(
        zip(admissions["PATIENT"], admissions["START"], strict=True)
    ):
        mine = observations[
            (observations["PATIENT"] == patient) & (observations["DATE"] <= start)
        ]
        if len(mine):
            values[row] = mine.sort_values("DATE", kind="stable")["VALUE"].iloc[-1]
    return values


def _lab_inputs(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hidden observations and admissions: values before, at and after admission."""
    patients = [f"P{int(i):04d}" for i in rng.choice(10_000, size=12, replace=False)]
    base = pd.Timestamp("2018-01-01") + pd.Timedelta(days=int(rng.integers(0, 1500)))
    admissions = pd.DataFrame(
        {
            "PATIENT": np.repeat(patients, 2),
            "START": [
                base + pd.Timedelta(days=int(d))
                for d in np.sort(rng.integers(0, 900, size=(12, 2)), axis=1).ravel()
            ],
        }
    )
    rows = []
    for patient, start in zip(admissions["PATIENT"], admissions["START"], strict=True):
        for offset in rng.normal(0, 200, size=int(rng.integers(0, 4))):
            rows.append((patient, start + pd.Timedelta(days=float(offset))))
        if rng.random() < 0.4:
            rows.append((patient, start))  # measured on arrival: counts
    rows.append((patients[0], admissions["START"].max() + pd.Timedelta(days=3)))
    observations = pd.DataFrame(rows, columns=["PATIENT", "DATE"])
    observations["VALUE"] = np.round(rng.lognormal(0, 0.4, size=len(observations)), 2)
    observations["DATE"] = observations["DATE"].astype("datetime64[ns]")
    admissions["START"] = admissions["START"].astype("datetime64[ns]")
    order = rng.permutation(len(observations))
    return observations.iloc[order].reset_index(drop=True), admissions


@question(
    "01.latest_lab",
    points=3,
    answer="latest_value_at_admission",
    title="Most recent lab value at admission, without leakage",
    hints=(
        "Keep only the patient's observations dated at or before the admission's "
        "START, then take the one with the latest DATE (NaN when there is none).",
    ),
)
def check_latest(answer: Any, rng: np.random.Generator) -> None:
    """Values match the latest observation at or before admission, per patient."""
    observations, admissions = _lab_inputs(rng)
    assert_matches_reference(
        answer,
        _latest,
        [(observations, admissions)],
    )


# --------------------------------------------------------------------------------
# 01.patient_split
# --------------------------------------------------------------------------------
def _split_input(rng: np.random.Generator) -> pd.DataFrame:
    """A hidden cohort: 150-300 patients with one to four admissions each."""
    n_patients = int(rng.integers(150, 300))
    ids = [f"pt-{int(i)}" for i in rng.choice(10**6, size=n_patients, replace=False)]
    counts = rng.integers(1, 5, size=n_patients)
    frame = pd.DataFrame(
        {
            "patient_id": np.repeat(ids, counts),
            "age": rng.integers(18, 95, size=int(counts.sum())),
        }
    )
    frame.index = rng.permutation(10 * len(frame))[: len(frame)]
    return frame.sample(frac=1.0, random_state=int(rng.integers(2**31)))


@question(
    "01.patient_split",
    points=3,
    answer="split_patients",
    title="Train/test split by patient",
    hints=(
        "Shuffle the unique patient ids with the seed, put a test_size fraction of "
        "them in the test set, and send every admission with its patient.",
    ),
)
def check_split(answer: Any, rng: np.random.Generator) -> None:
    """No patient on both sides, no row lost or repeated, right share, seeded."""
    frame = _split_input(rng)
    test_size = float(rng.choice([0.2, 0.25, 0.3, 0.4]))
    seed = int(rng.integers(0, 10_000))
    result = answer(frame.copy(), test_size, seed)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise AnswerError("return a tuple (train, test) of two DataFrames")
    train, test = result
    if not all(isinstance(part, pd.DataFrame) for part in (train, test)):
        raise AnswerError("train and test must both be DataFrames")
    shared = set(train["patient_id"]) & set(test["patient_id"])
    if shared:
        raise AnswerError(
            f"{len(shared)} patient(s) have admissions in both train and test: "
            "split the patients, not the rows"
        )
    rows = sorted([*train.index, *test.index])
    if rows != sorted(frame.index):
        raise AnswerError(
            f"train and test hold {len(rows)} rows in all; the cohort has "
            f"{len(frame)}, each exactly once (keep the original index)"
        )
    n_patients = frame["patient_id"].nunique()
    share = test["patient_id"].nunique() / n_patients
    if abs(share - test_size) > 1.5 / n_patients + 0.02:
        raise AnswerError(
            f"test_size={test_size} should put that fraction of *patients* in "
            f"test; got {share:.3f}"
        )
    again = answer(frame.copy(), test_size, seed)[1]
    if sorted(again.index) != sorted(test.index):
        raise AnswerError("the same seed must give the same split")
    others = [
        sorted(answer(frame.copy(), test_size, seed + k)[1].index) for k in (1, 2)
    ]
    if all(other == sorted(test.index) for other in others):
        raise AnswerError("a different seed should give a different split")


# --------------------------------------------------------------------------------
# 01.subgroup_auroc
# --------------------------------------------------------------------------------
def _subgroup_auroc(
    y_true: np.ndarray, y_score: np.ndarray, groups: np.ndarray, min_size: int
) -> dict[str, float]:
    """Reference: AUROC within each group; NaN if too small or one class."""
    out = {}
    for group in np.unique(groups):
        mask = groups == group
        labels = y_true[mask]
        if mask.sum() < min_size or labels.min() == labels.max():
            out[str(group)] = float("nan")
        else:
            out[str(group)] = float(roc_auc_score(labels, y_score[mask]))
    return out


def _subgroup_inputs(rng: np.random.Generator) -> dict[str, Any]:
    """Hidden labels, scores and groups: large, small and single-class groups."""
    sizes = {
        "group A": int(rng.integers(300, 600)),
        "group B": int(rng.integers(100, 300)),
        "group C": int(rng.integers(40, 90)),
        "group D": int(rng.integers(5, 20)),  # below min_size
        "group E": int(rng.integers(30, 60)),  # one class only
    }
    groups = np.concatenate([np.full(n, name) for name, n in sizes.items()])
    strength = np.repeat(rng.uniform(0.2, 2.0, size=len(sizes)), list(sizes.values()))
    y_true = (rng.random(groups.size) < 0.3).astype(int)
    y_true[groups == "group E"] = 0
    y_score = 1 / (
        1 + np.exp(-(strength * (2 * y_true - 1) + rng.normal(size=y_true.size)))
    )
    order = rng.permutation(groups.size)
    return {
        "y_true": y_true[order],
        "y_score": y_score[order],
        "groups": groups[order],
        "min_size": int(rng.integers(25, 35)),
    }


@question(
    "01.subgroup_auroc",
    points=2,
    answer="subgroup_auroc",
    title="AUROC by subgroup",
    hints=(
        "Compute the AUROC separately inside each group; a group smaller than "
        "min_size, or with only one class, gets NaN.",
    ),
)
def check_subgroup(answer: Any, rng: np.random.Generator) -> None:
    """Per-group AUROCs match, with NaN for small or single-class groups."""
    assert_matches_reference(
        answer,
        _subgroup_auroc,
        [_subgroup_inputs(rng) for _ in range(2)],
    )
