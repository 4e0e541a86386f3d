"""Build the admission-level cohort and its model features from Synthea tables.

Introduced in lesson 01 (``notebooks/01_ehr_data.ipynb``). :func:`build_cohort`
turns an export folder, ours or a real Synthea export, into one row per inpatient
admission with demographics, comorbidities, the most recent labs and vital signs
at or before admission, prior use of care, the hospital and two labels.
:func:`split_by_patient` keeps every patient on one side of a train/test split and
:class:`FeaturePipeline` scales and one-hot encodes, fitted on training data only.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import GroupShuffleSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ehrpriv import codes
from ehrpriv._validation import check_columns, check_int, check_real
from ehrpriv.synthea import read_synthea

logger = logging.getLogger(__name__)

COMORBIDITY_COLUMNS = tuple(codes.COMORBIDITIES)
LAB_COLUMNS = tuple(codes.LABS)
VITAL_COLUMNS = tuple(c for c in codes.VITALS if c not in ("body_weight",))
UTILISATION_COLUMNS = ("prior_admissions_1y", "prior_emergency_visits_1y")

#: Default model inputs. Race and ethnicity are kept out of the predictors and
#: used to audit performance by subgroup instead (lesson 01 explains the choice).
NUMERIC_FEATURES = ("age", *VITAL_COLUMNS, *LAB_COLUMNS, *UTILISATION_COLUMNS)
CATEGORICAL_FEATURES = ("sex", "admission_reason", "hospital")
BINARY_FEATURES = COMORBIDITY_COLUMNS
LABELS = ("died_in_hospital", "readmitted_30d")

_NS_PER_DAY = 86_400 * 10**9


def _comorbidity_lookup() -> dict[str, str]:
    """Map every condition code the builder recognises to its feature name."""
    lookup = {code.code: name for name, code in codes.COMORBIDITIES.items()}
    for name, extra in codes.COMORBIDITY_ALIASES.items():
        lookup.update({code: name for code in extra})
    return lookup


def _numeric_values(observations: pd.DataFrame) -> pd.Series:
    """Parse VALUE as numbers, naming the file, column and row of a bad value."""
    values = pd.to_numeric(observations["VALUE"], errors="coerce")
    bad = values.isna() & (observations["VALUE"].str.len() > 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        source = Path(observations.attrs.get("path", "observations.csv")).name
        raise ValueError(
            f"{source}, column VALUE, data row {observations.index[row] + 1}: cannot "
            f"read {observations['VALUE'].iloc[row]!r} as a number for LOINC code "
            f"{observations['CODE'].iloc[row]}."
        )
    return values


def _time_key(patient: np.ndarray, times: pd.Series) -> np.ndarray:
    """Combine a patient index and a time into one sortable float key."""
    minutes = times.to_numpy("datetime64[m]").astype(np.int64).astype(np.float64)
    return patient.astype(np.float64) * 1e9 + minutes


def build_cohort(
    source: str | os.PathLike[str] | Mapping[str, pd.DataFrame],
    *,
    min_age: int = 18,
    lookback_days: int = 365,
) -> pd.DataFrame:
    """Return one row per inpatient admission, ready for modelling.

    Parameters
    ----------
    source : path or mapping of str to DataFrame
        A Synthea export folder, or tables already read by
        :func:`ehrpriv.synthea.read_synthea`.
    min_age : int, default 18
        Admissions of patients younger than this at admission are dropped.
    lookback_days : int, default 365
        Window before admission in which prior admissions and emergency visits are
        counted.

    Returns
    -------
    DataFrame
        Columns: ``encounter_id``, ``patient_id``, ``hospital``, ``admit_time``,
        ``discharge_time``, ``age``, ``sex``, ``race``, ``ethnicity``,
        ``admission_reason``, one 0/1 column per comorbidity (a condition active
        before the day of admission), the most recent value of each lab and vital
        sign at or before the admission time (NaN if never measured), the counts
        ``prior_admissions_1y`` and ``prior_emergency_visits_1y``, and the labels
        ``died_in_hospital`` (death dated between admission and discharge) and
        ``readmitted_30d`` (another inpatient admission within 30 days of a live
        discharge). ``length_of_stay_days`` is kept for description only: it is
        not known at admission and is not a predictor.

    Raises
    ------
    FileNotFoundError, MissingColumnError, ValueError
        If a table, a column or a value is missing or malformed; the message
        names the file and the column.
    """
    min_age = check_int("min_age", min_age, low=0, high=120)
    lookback_days = check_int("lookback_days", lookback_days, low=1)
    if isinstance(source, Mapping):
        tables = dict(source)
        needed = ("patients", "encounters", "conditions", "observations")
        missing = [name for name in needed if name not in tables]
        if missing:
            raise KeyError(f"source is missing table(s) {', '.join(missing)}.")
    else:
        tables = read_synthea(
            source,
            tables=("patients", "encounters", "conditions", "observations",
                    "organizations"),
        )  # fmt: skip
    patients = check_columns(
        tables["patients"],
        ("Id", "BIRTHDATE", "DEATHDATE", "RACE", "ETHNICITY", "GENDER"),
        name="patients",
    )
    encounters = check_columns(
        tables["encounters"],
        ("Id", "START", "STOP", "PATIENT", "ORGANIZATION", "ENCOUNTERCLASS",
         "REASONCODE"),
        name="encounters",
    )  # fmt: skip
    conditions = check_columns(
        tables["conditions"], ("START", "STOP", "PATIENT", "CODE"), name="conditions"
    )
    observations = check_columns(
        tables["observations"],
        ("DATE", "PATIENT", "CODE", "VALUE"),
        name="observations",
    )
    for name, frame, column in (
        ("patients", patients, "BIRTHDATE"),
        ("encounters", encounters, "START"),
        ("conditions", conditions, "START"),
        ("observations", observations, "DATE"),
    ):
        if not pd.api.types.is_datetime64_any_dtype(frame[column]):
            raise TypeError(
                f"{name}.{column} must hold parsed dates (read the tables with "
                f"ehrpriv.synthea.read_synthea); got dtype {frame[column].dtype}."
            )

    patient_index = pd.Index(patients["Id"])
    inpatient = encounters[encounters["ENCOUNTERCLASS"] == "inpatient"]
    adm = pd.DataFrame(
        {
            "encounter_id": inpatient["Id"].to_numpy(),
            "patient_id": inpatient["PATIENT"].to_numpy(),
            "organization": inpatient["ORGANIZATION"].to_numpy(),
            "admit_time": inpatient["START"].to_numpy(),
            "discharge_time": inpatient["STOP"].to_numpy(),
            "reason_code": inpatient["REASONCODE"].to_numpy(),
        }
    )
    unknown = ~adm["patient_id"].isin(patient_index)
    if unknown.any():
        raise ValueError(
            f"encounters.csv, column PATIENT: {int(unknown.sum())} inpatient "
            f"encounter(s) name a patient absent from patients.csv, for example "
            f"{adm['patient_id'][unknown].iloc[0]!r}."
        )
    adm = adm.sort_values(["patient_id", "admit_time"], kind="stable")
    adm = adm.reset_index(drop=True)
    person = patients.set_index("Id").loc[adm["patient_id"]]
    born = pd.DatetimeIndex(person["BIRTHDATE"])
    admitted = pd.DatetimeIndex(adm["admit_time"])
    before_birthday = (admitted.month < born.month) | (
        (admitted.month == born.month) & (admitted.day < born.day)
    )
    adm["age"] = admitted.year - born.year - before_birthday.astype(int)  # completed
    adm["sex"] = person["GENDER"].to_numpy()
    adm["race"] = person["RACE"].to_numpy()
    adm["ethnicity"] = person["ETHNICITY"].to_numpy()
    death = person["DEATHDATE"].to_numpy()
    reasons = {code.code: name for name, code in codes.ADMISSION_REASONS.items()}
    adm["admission_reason"] = adm["reason_code"].map(reasons).fillna("other")
    if "organizations" in tables:
        orgs = check_columns(
            tables["organizations"], ("Id", "NAME"), name="organizations"
        )
        names = dict(zip(orgs["Id"], orgs["NAME"], strict=True))
        adm["hospital"] = adm["organization"].map(names).fillna(adm["organization"])
    else:
        adm["hospital"] = adm["organization"]

    # comorbidities: conditions started before the day of admission, still active
    lookup = _comorbidity_lookup()
    known = conditions[conditions["CODE"].isin(lookup)]
    pairs = (
        adm[["patient_id", "admit_time"]]
        .reset_index()
        .merge(
            pd.DataFrame(
                {
                    "patient_id": known["PATIENT"].to_numpy(),
                    "start": known["START"].to_numpy(),
                    "stop": known["STOP"].to_numpy(),
                    "flag": known["CODE"].map(lookup).to_numpy(),
                }
            ),
            on="patient_id",
        )
    )
    admit_day = pairs["admit_time"].dt.normalize()
    active = (pairs["start"] < admit_day) & (
        pairs["stop"].isna() | (pairs["stop"] >= admit_day)
    )
    flags = (
        pd.crosstab(pairs.loc[active, "index"], pairs.loc[active, "flag"])
        .clip(upper=1)
        .reindex(index=adm.index, columns=list(COMORBIDITY_COLUMNS), fill_value=0)
    )
    for name in COMORBIDITY_COLUMNS:
        adm[name] = flags[name].to_numpy().astype(np.int8)

    # labs and vital signs: most recent value at or before the admission time
    by_code = {c.code: n for n, c in {**codes.VITALS, **codes.LABS}.items()}
    wanted = observations[observations["CODE"].isin(by_code)]
    values = _numeric_values(wanted)
    obs = pd.DataFrame(
        {
            "patient_id": wanted["PATIENT"].to_numpy(),
            "time": wanted["DATE"].to_numpy(),
            "name": wanted["CODE"].map(by_code).to_numpy(),
            "value": values.to_numpy(),
        }
    ).dropna(subset=["time", "value"])
    left = adm[["patient_id", "admit_time"]].reset_index().sort_values("admit_time")
    # one key dtype on both sides, even when no lab or vital sign is present
    left["patient_id"] = left["patient_id"].astype("str")
    obs["patient_id"] = obs["patient_id"].astype("str")
    for name in (*VITAL_COLUMNS, *LAB_COLUMNS):
        right = obs[obs["name"] == name].sort_values("time")[
            ["patient_id", "time", "value"]
        ]
        joined = pd.merge_asof(
            left,
            right,
            left_on="admit_time",
            right_on="time",
            by="patient_id",
            direction="backward",
        )
        adm[name] = joined.set_index("index")["value"].reindex(adm.index).to_numpy()

    # prior use of care in the look-back window
    codes_of = {pid: i for i, pid in enumerate(patient_index)}
    enc_patient = encounters["PATIENT"].map(codes_of)
    if enc_patient.isna().any():
        row = int(np.flatnonzero(enc_patient.isna().to_numpy())[0])
        raise ValueError(
            f"encounters.csv, column PATIENT, data row {row + 1}: patient "
            f"{encounters['PATIENT'].iloc[row]!r} is absent from patients.csv."
        )
    adm_patient = adm["patient_id"].map(codes_of).to_numpy()
    window = pd.Timedelta(days=lookback_days)
    high = _time_key(adm_patient, adm["admit_time"])
    low = _time_key(adm_patient, adm["admit_time"] - window)
    for column, klass in zip(
        UTILISATION_COLUMNS, ("inpatient", "emergency"), strict=True
    ):
        mask = (encounters["ENCOUNTERCLASS"] == klass).to_numpy()
        keys = np.sort(
            _time_key(enc_patient.to_numpy()[mask], encounters["START"][mask])
        )
        adm[column] = np.searchsorted(keys, high, "left") - np.searchsorted(
            keys, low, "left"
        )

    # labels
    admit_day = adm["admit_time"].dt.normalize().to_numpy()
    discharge_day = adm["discharge_time"].dt.normalize().to_numpy()
    died = (~pd.isna(death)) & (death >= admit_day) & (death <= discharge_day)
    adm["died_in_hospital"] = died.astype(np.int8)
    next_admit = adm.groupby("patient_id")["admit_time"].shift(-1)
    gap = next_admit - adm["discharge_time"]
    readmitted = (gap <= pd.Timedelta(days=30)).to_numpy() & ~died
    adm["readmitted_30d"] = readmitted.astype(np.int8)
    adm["length_of_stay_days"] = (
        adm["discharge_time"] - adm["admit_time"]
    ) / pd.Timedelta(days=1)

    adm = adm[adm["age"] >= min_age].reset_index(drop=True)
    adm["age"] = adm["age"].astype(np.int64)
    columns = [
        "encounter_id", "patient_id", "hospital", "admit_time", "discharge_time",
        "age", "sex", "race", "ethnicity", "admission_reason",
        *COMORBIDITY_COLUMNS, *VITAL_COLUMNS, *LAB_COLUMNS, *UTILISATION_COLUMNS,
        "length_of_stay_days", *LABELS,
    ]  # fmt: skip
    logger.info("built a cohort of %d admissions", len(adm))
    return adm.loc[:, columns]


def split_by_patient(
    cohort: pd.DataFrame,
    *,
    test_size: float = 0.25,
    seed: int = 0,
    patient_column: str = "patient_id",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split admissions into train and test sets with no patient in both.

    Parameters
    ----------
    cohort : DataFrame
        Output of :func:`build_cohort` (or any table with ``patient_column``).
    test_size : float, default 0.25
        Fraction of patients (not admissions) put in the test set, in (0, 1).
    seed : int, default 0
        Seed of the shuffle.
    patient_column : str, default "patient_id"
        Column identifying the patient.

    Returns
    -------
    (DataFrame, DataFrame)
        Training and test admissions, each in the original row order.

    Raises
    ------
    MissingColumnError
        If ``patient_column`` is absent.
    ValueError
        If ``test_size`` is outside (0, 1) or there are fewer than two patients.
    """
    check_columns(cohort, (patient_column,), name="cohort")
    test_size = check_real(
        "test_size", test_size, low=0, high=1, low_inclusive=False, high_inclusive=False
    )
    seed = check_int("seed", seed, low=0)
    groups = cohort[patient_column].to_numpy()
    if np.unique(groups).size < 2:
        raise ValueError(
            f"cohort must hold at least 2 patients to split; got "
            f"{np.unique(groups).size}."
        )
    splitter = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=seed)
    train_index, test_index = next(splitter.split(cohort, groups=groups))
    return cohort.iloc[np.sort(train_index)], cohort.iloc[np.sort(test_index)]


class FeaturePipeline:
    """Impute, scale and one-hot encode cohort columns, fitted on training data.

    Numeric columns get median imputation, a missing-value indicator and
    standard scaling; categorical columns a one-hot encoding that ignores levels
    unseen in training; binary columns pass through. Fit it on the training set
    only, then transform both sets, so that no test statistic leaks into training.

    Parameters
    ----------
    numeric, categorical, binary : sequence of str
        Column names of each kind; the defaults are the cohort's predictors.
    """

    def __init__(
        self,
        *,
        numeric: Sequence[str] = NUMERIC_FEATURES,
        categorical: Sequence[str] = CATEGORICAL_FEATURES,
        binary: Sequence[str] = BINARY_FEATURES,
    ) -> None:
        self.numeric = list(numeric)
        self.categorical = list(categorical)
        self.binary = list(binary)
        overlap = set(self.numeric) & set(self.categorical) | (
            (set(self.numeric) | set(self.categorical)) & set(self.binary)
        )
        if overlap:
            raise ValueError(
                "numeric, categorical and binary must not share columns; got "
                f"{', '.join(sorted(overlap))} in more than one."
            )
        self._transformer: ColumnTransformer | None = None

    @property
    def columns(self) -> list[str]:
        """Input columns the pipeline reads."""
        return [*self.numeric, *self.categorical, *self.binary]

    def fit(self, frame: pd.DataFrame) -> FeaturePipeline:
        """Learn imputation medians, scales and categories from ``frame``."""
        check_columns(frame, self.columns, name="frame")
        self._transformer = ColumnTransformer(
            [
                (
                    "numeric",
                    make_pipeline(
                        SimpleImputer(strategy="median", add_indicator=True),
                        StandardScaler(),
                    ),
                    self.numeric,
                ),
                (
                    "categorical",
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                    self.categorical,
                ),
                ("binary", "passthrough", self.binary),
            ],
            verbose_feature_names_out=False,
        )
        self._transformer.fit(frame[self.columns])
        return self

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Return the float32 design matrix of ``frame``.

        Raises
        ------
        RuntimeError
            If the pipeline has not been fitted.
        MissingColumnError
            If ``frame`` lacks an input column.
        """
        if self._transformer is None:
            raise RuntimeError("FeaturePipeline must be fitted before transform.")
        check_columns(frame, self.columns, name="frame")
        return np.asarray(
            self._transformer.transform(frame[self.columns]), dtype=np.float32
        )

    def fit_transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Fit on ``frame`` and return its design matrix."""
        return self.fit(frame).transform(frame)

    @property
    def feature_names(self) -> list[str]:
        """Names of the output columns, in order."""
        if self._transformer is None:
            raise RuntimeError("FeaturePipeline must be fitted first.")
        return [str(name) for name in self._transformer.get_feature_names_out()]
