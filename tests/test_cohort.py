"""Tests for ehrpriv.cohort: the admission cohort, the split and the features."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ehrpriv import codes
from ehrpriv._validation import MissingColumnError
from ehrpriv.cohort import (
    BINARY_FEATURES,
    CATEGORICAL_FEATURES,
    COMORBIDITY_COLUMNS,
    LAB_COLUMNS,
    LABELS,
    NUMERIC_FEATURES,
    VITAL_COLUMNS,
    FeaturePipeline,
    build_cohort,
    split_by_patient,
)
from ehrpriv.synthea import (
    OPTIONAL_COLUMNS,
    TABLE_COLUMNS,
    SyntheticEHR,
    generate_ehr,
    read_synthea,
    write_synthea,
)

ORG = "7a1e5c3e-0000-4000-8000-000000000001"


@pytest.fixture(scope="module")
def ehr() -> SyntheticEHR:
    """A small generated cohort (300 patients, seed 21)."""
    return generate_ehr(n_patients=300, seed=21)


@pytest.fixture(scope="module")
def export(ehr: SyntheticEHR, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small cohort written as a Synthea CSV export."""
    folder = tmp_path_factory.mktemp("export")
    write_synthea(ehr, folder)
    return folder


@pytest.fixture(scope="module")
def cohort(export: Path) -> pd.DataFrame:
    """The admission cohort built from the small export."""
    return build_cohort(export)


# ---------------------------------------------------------------------------
# a tiny hand-written export with known answers
# ---------------------------------------------------------------------------


def write_table(folder: Path, name: str, rows: list[dict[str, str]]) -> None:
    """Write ``rows`` as ``name``.csv with every Synthea column, blanks elsewhere."""
    columns = list(TABLE_COLUMNS[name])
    frame = pd.DataFrame(
        [{c: row.get(c, "") for c in columns} for row in rows], columns=columns
    )
    frame.to_csv(folder / f"{name}.csv", index=False)


def encounter(eid, patient, start, stop, klass, reason=""):
    """One encounter row."""
    return {
        "Id": eid, "START": start, "STOP": stop, "PATIENT": patient,
        "ORGANIZATION": ORG, "ENCOUNTERCLASS": klass, "REASONCODE": reason,
    }  # fmt: skip


def condition(patient, start, code, stop=""):
    """One condition row (SNOMED CT)."""
    return {
        "START": start,
        "STOP": stop,
        "PATIENT": patient,
        "SYSTEM": codes.SNOMED,
        "CODE": code,
    }


def observation(patient, date, code, value):
    """One observation row."""
    return {
        "DATE": date,
        "PATIENT": patient,
        "CATEGORY": "laboratory",
        "CODE": code,
        "VALUE": value,
        "TYPE": "numeric",
    }


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A hand-written export: three patients, five admissions, known features.

    p1 (man, born 1950-06-15) has admissions a0, a1 and a2, the last 17 days after
    a1's discharge, and dies at home in 2021. p2 (woman, born 1940-01-01) dies
    during admission b1. p3 is a child, admitted once.
    """
    write_table(tmp_path, "organizations", [{"Id": ORG, "NAME": "Tiny General"}])
    write_table(
        tmp_path,
        "patients",
        [
            {"Id": "p1", "BIRTHDATE": "1950-06-15", "DEATHDATE": "2021-01-01",
             "RACE": "white", "ETHNICITY": "nonhispanic", "GENDER": "M"},
            {"Id": "p2", "BIRTHDATE": "1940-01-01", "DEATHDATE": "2020-03-05",
             "RACE": "black", "ETHNICITY": "hispanic", "GENDER": "F"},
            {"Id": "p3", "BIRTHDATE": "2010-01-01", "RACE": "asian",
             "ETHNICITY": "nonhispanic", "GENDER": "F"},
        ],
    )  # fmt: skip
    mi, pneumonia, sepsis, uti, appendicitis = (
        codes.ADMISSION_REASONS[k].code
        for k in ("myocardial_infarction", "pneumonia", "sepsis",
                  "urinary_tract_infection", "appendicitis")
    )  # fmt: skip
    write_table(
        tmp_path,
        "encounters",
        [
            encounter("e0", "p1", "2017-06-01T10:00:00Z", "2017-06-01T14:00:00Z",
                      "emergency"),
            encounter("a0", "p1", "2018-12-01T09:00:00Z", "2018-12-05T09:00:00Z",
                      "inpatient", mi),
            encounter("e1", "p1", "2019-08-01T10:00:00Z", "2019-08-01T14:00:00Z",
                      "emergency"),
            encounter("a1", "p1", "2019-10-10T08:00:00Z", "2019-10-15T10:00:00Z",
                      "inpatient", pneumonia),
            encounter("a2", "p1", "2019-11-01T09:00:00Z", "2019-11-04T12:00:00Z",
                      "inpatient", sepsis),
            encounter("w1", "p2", "2019-05-01T09:00:00Z", "2019-05-01T09:15:00Z",
                      "wellness"),
            encounter("b1", "p2", "2020-03-01T12:00:00Z", "2020-03-05T06:00:00Z",
                      "inpatient", uti),
            encounter("c1", "p3", "2020-01-01T12:00:00Z", "2020-01-03T12:00:00Z",
                      "inpatient", appendicitis),
        ],
    )  # fmt: skip
    write_table(
        tmp_path,
        "conditions",
        [
            condition("p1", "2010-01-01", "44054006"),  # diabetes, long-standing
            condition("p1", "2019-10-10", "13645005"),  # COPD, on the day of a1
            condition("p1", "2005-01-01", "431855005", "2015-01-01"),  # CKD, resolved
            condition("p1", "2019-10-09", "38341003"),  # hypertension (alias code)
            condition("p2", "2015-03-01", "52448006"),  # dementia
            condition("p2", "2015-03-01", "444814009"),  # sinusitis: not a flag
        ],
    )
    write_table(
        tmp_path,
        "observations",
        [
            observation("p1", "2019-05-01T09:00:00Z", "2160-0", "1.10"),
            observation("p1", "2019-10-10T08:00:00Z", "2160-0", "1.45"),
            observation("p1", "2019-10-10T08:00:00Z", "8867-4", "96"),
            observation("p1", "2019-10-10T08:30:00Z", "2524-7", "3.1"),
            observation("p1", "2019-10-12T08:00:00Z", "2160-0", "2.00"),
            observation("p1", "2019-10-10T08:00:00Z", "72166-2", "Never smoker"),
            observation("p2", "2020-03-01T11:59:00Z", "2951-2", "131"),
            observation("p2", "2020-03-01T11:59:00Z", "29463-7", "70.2"),
        ],
    )
    write_table(tmp_path, "medications", [])
    return tmp_path


def test_tiny_export_rows_demographics_and_labels(tiny):
    """Each adult admission is one row with its age, sex, hospital and labels."""
    cohort = build_cohort(tiny).set_index("encounter_id")
    assert list(cohort.index) == ["a0", "a1", "a2", "b1"]
    assert cohort["patient_id"].tolist() == ["p1", "p1", "p1", "p2"]
    assert cohort["age"].tolist() == [68, 69, 69, 80]
    assert cohort["sex"].tolist() == ["M", "M", "M", "F"]
    assert cohort.loc["b1", "race"] == "black"
    assert cohort.loc["b1", "ethnicity"] == "hispanic"
    assert set(cohort["hospital"]) == {"Tiny General"}
    assert cohort["admission_reason"].tolist() == [
        "myocardial_infarction",
        "pneumonia",
        "sepsis",
        "urinary_tract_infection",
    ]
    # p2 dies on the day of discharge; p1's death at home is not in-hospital
    assert cohort["died_in_hospital"].tolist() == [0, 0, 0, 1]
    # a2 starts 17 days after a1's discharge; a0 -> a1 is ten months
    assert cohort["readmitted_30d"].tolist() == [0, 1, 0, 0]
    assert cohort.loc["a1", "length_of_stay_days"] == pytest.approx(5 + 2 / 24)
    assert cohort.loc["a1", "admit_time"] == pd.Timestamp("2019-10-10 08:00")
    assert cohort.loc["a1", "discharge_time"] == pd.Timestamp("2019-10-15 10:00")


def test_tiny_export_min_age_keeps_or_drops_children(tiny):
    """The child's admission is dropped at min_age=18 and kept at min_age=0."""
    everyone = build_cohort(tiny, min_age=0).set_index("encounter_id")
    assert everyone.loc["c1", "age"] == 10
    assert everyone.loc["c1", "admission_reason"] == "appendicitis"
    adults = build_cohort(tiny)
    pd.testing.assert_frame_equal(adults, everyone.drop(index="c1").reset_index())


def test_age_is_completed_years_on_a_birthday(tmp_path):
    """A patient admitted on their 18th birthday is 18 and kept at min_age=18."""
    write_table(tmp_path, "organizations", [{"Id": ORG, "NAME": "Tiny General"}])
    write_table(
        tmp_path,
        "patients",
        [{"Id": "p9", "BIRTHDATE": "2001-06-15", "GENDER": "F"}],
    )
    write_table(
        tmp_path,
        "encounters",
        [
            encounter(
                "d1", "p9", "2019-06-15T02:00:00Z", "2019-06-17T10:00:00Z",
                "inpatient",
            ),
        ],
    )  # fmt: skip
    write_table(
        tmp_path,
        "observations",
        [observation("p9", "2019-06-15T02:00:00Z", "2160-0", "0.8")],
    )
    for name in ("conditions", "medications"):
        write_table(tmp_path, name, [])
    cohort = build_cohort(tmp_path, min_age=0)
    assert cohort["age"].tolist() == [18]
    assert len(build_cohort(tmp_path)) == 1


def test_export_without_known_labs_gives_missing_labs(tiny):
    """An export with no known vital or lab codes gives NaN labs, not an error."""
    write_table(
        tiny,
        "observations",
        [observation("p1", "2019-10-10T08:00:00Z", "72166-2", "Never smoker")],
    )
    cohort = build_cohort(tiny)
    assert len(cohort) == 4
    assert cohort[[*VITAL_COLUMNS, *LAB_COLUMNS]].isna().all().all()


def test_tiny_export_comorbidities_start_before_admission_day(tiny):
    """Flags come from conditions started before the admission day, still active."""
    cohort = build_cohort(tiny).set_index("encounter_id")
    flags = cohort[list(COMORBIDITY_COLUMNS)]
    on = {column for column in flags if flags[column].any()}
    assert on == {"diabetes", "hypertension", "copd", "dementia"}
    assert flags.loc["a0"].sum() == 1 and flags.loc["a0", "diabetes"] == 1
    # hypertension started the day before a1; COPD on a1's day counts from a2 only
    assert flags.loc["a1", "hypertension"] == 1
    assert flags.loc["a1", "copd"] == 0
    assert flags.loc["a2", "copd"] == 1
    assert flags.loc["a2"].sum() == 3
    # CKD resolved in 2015 and the sinusitis code is not a comorbidity
    assert (flags["ckd"] == 0).all()
    assert flags.loc["b1"].to_dict() == {c: int(c == "dementia") for c in flags}
    assert flags.dtypes.map(str).eq("int8").all()


def test_tiny_export_labs_are_most_recent_at_or_before_admission(tiny):
    """Labs and vitals are the latest value at or before admission, never after."""
    cohort = build_cohort(tiny).set_index("encounter_id")
    # the value taken at the admission time wins over the older one
    assert cohort.loc["a1", "creatinine"] == pytest.approx(1.45)
    # a lactate drawn 30 minutes after admission is not used ...
    assert np.isnan(cohort.loc["a1", "lactate"])
    # ... but is the most recent value for the next admission, as is creatinine
    assert cohort.loc["a2", "lactate"] == pytest.approx(3.1)
    assert cohort.loc["a2", "creatinine"] == pytest.approx(2.0)
    assert cohort.loc["a1", "heart_rate"] == 96
    assert cohort.loc["a2", "heart_rate"] == 96
    assert cohort.loc["b1", "sodium"] == 131
    # nothing measured before a0; body weight is not a feature
    measured = [*VITAL_COLUMNS, *LAB_COLUMNS]
    assert cohort.loc["a0", measured].isna().all()
    assert "body_weight" not in cohort.columns
    assert cohort.loc["b1", measured].notna().sum() == 1


def test_tiny_export_prior_use_counts(tiny):
    """Prior admissions and emergency visits are counted in the year before."""
    cohort = build_cohort(tiny).set_index("encounter_id")
    assert cohort["prior_admissions_1y"].tolist() == [0, 1, 2, 0]
    assert cohort["prior_emergency_visits_1y"].tolist() == [0, 1, 1, 0]
    shorter = build_cohort(tiny, lookback_days=30).set_index("encounter_id")
    assert shorter["prior_admissions_1y"].tolist() == [0, 0, 1, 0]
    assert shorter["prior_emergency_visits_1y"].tolist() == [0, 0, 0, 0]


def test_tiny_export_mapping_equals_folder(tiny):
    """Tables passed as a mapping give the same cohort as the folder."""
    pd.testing.assert_frame_equal(build_cohort(read_synthea(tiny)), build_cohort(tiny))


# ---------------------------------------------------------------------------
# the generated export
# ---------------------------------------------------------------------------


def test_cohort_has_one_row_per_inpatient_encounter(cohort, ehr):
    """The cohort lists each inpatient encounter once, with the expected columns."""
    encounters = ehr.tables["encounters"]
    inpatient = encounters.loc[encounters["ENCOUNTERCLASS"] == "inpatient", "Id"]
    assert cohort["encounter_id"].is_unique
    assert set(cohort["encounter_id"]) == set(inpatient)
    assert len(cohort) == len(inpatient)
    for column in (
        *NUMERIC_FEATURES,
        *CATEGORICAL_FEATURES,
        *BINARY_FEATURES,
        *LABELS,
        "race",
        "ethnicity",
    ):
        assert column in cohort.columns, column
    assert (cohort["age"] >= 18).all()
    assert set(cohort["hospital"]) == set(ehr.tables["organizations"]["NAME"])
    assert cohort[list(VITAL_COLUMNS)].notna().all().all()


def test_labels_agree_with_generator_truth(cohort, ehr):
    """died_in_hospital and readmitted_30d equal the generator's realised outcomes."""
    merged = cohort.merge(
        ehr.truth,
        left_on="encounter_id",
        right_on="ENCOUNTER",
        suffixes=("", "_truth"),
        validate="one_to_one",
    )
    assert len(merged) == len(ehr.truth) == len(cohort)
    assert (merged["patient_id"] == merged["PATIENT"]).all()
    assert (merged["died_in_hospital"] == merged["died"].astype(int)).all()
    assert (
        merged["readmitted_30d"] == merged["readmitted_30d_truth"].astype(int)
    ).all()
    assert merged["died_in_hospital"].sum() > 0
    assert merged["readmitted_30d"].sum() > 0


def test_older_layout_gives_the_same_cohort(tmp_path, ehr, cohort):
    """An export in the older Synthea layout yields an identical cohort."""
    write_synthea(ehr, tmp_path)
    for name, dropped in OPTIONAL_COLUMNS.items():
        path = tmp_path / f"{name}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame.drop(columns=list(dropped)).to_csv(path, index=False)
    assert read_synthea(tmp_path, tables=["patients"])["patients"].attrs["layout"] == (
        "older"
    )
    pd.testing.assert_frame_equal(build_cohort(tmp_path), cohort)


def test_malformed_value_is_named(tmp_path, ehr):
    """A non-numeric lab VALUE raises ValueError naming file, column and value."""
    write_synthea(ehr, tmp_path)
    path = tmp_path / "observations.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = int(np.flatnonzero(frame["CODE"] == "2160-0")[3])
    frame.loc[row, "VALUE"] = "1,07"
    frame.to_csv(path, index=False)
    with pytest.raises(
        ValueError,
        match=rf"observations\.csv, column VALUE, data row {row + 1}: cannot read "
        r"'1,07' as a number for LOINC code 2160-0",
    ):
        build_cohort(tmp_path)


def test_unknown_patient_in_encounters_is_an_error(tmp_path, ehr):
    """An inpatient encounter of a patient absent from patients.csv is refused."""
    tables = read_synthea_tables(tmp_path, ehr)
    encounters = tables["encounters"].copy()
    row = int(np.flatnonzero(encounters["ENCOUNTERCLASS"] == "inpatient")[0])
    encounters.loc[row, "PATIENT"] = "no-such-patient"
    with pytest.raises(
        ValueError,
        match=r"encounters\.csv, column PATIENT: 1 inpatient .*"
        r"'no-such-patient'",
    ):
        build_cohort({**tables, "encounters": encounters})
    # the same holds for an outpatient encounter
    encounters = tables["encounters"].copy()
    row = int(np.flatnonzero(encounters["ENCOUNTERCLASS"] == "wellness")[0])
    encounters.loc[row, "PATIENT"] = "someone-else"
    with pytest.raises(ValueError, match=r"PATIENT.*'someone-else' is absent"):
        build_cohort({**tables, "encounters": encounters})


def read_synthea_tables(folder: Path, ehr: SyntheticEHR) -> dict[str, pd.DataFrame]:
    """Write ``ehr`` into ``folder`` and read its tables back."""
    write_synthea(ehr, folder)
    return read_synthea(folder)


def test_missing_table_or_column_in_mapping_is_an_error(tmp_path, ehr):
    """A mapping without a needed table, column or parsed dates is refused."""
    tables = read_synthea_tables(tmp_path, ehr)
    partial = {k: v for k, v in tables.items() if k != "observations"}
    with pytest.raises(KeyError, match=r"source is missing table\(s\) observations"):
        build_cohort(partial)
    broken = {**tables, "patients": tables["patients"].drop(columns="GENDER")}
    with pytest.raises(MissingColumnError, match=r"patients is missing .*GENDER"):
        build_cohort(broken)
    raw = {**tables, "encounters": tables["encounters"].astype({"START": str})}
    with pytest.raises(TypeError, match=r"encounters\.START must hold parsed dates"):
        build_cohort(raw)
    # without organizations the hospital column holds the organization id
    no_orgs = {k: v for k, v in tables.items() if k != "organizations"}
    assert set(build_cohort(no_orgs)["hospital"]) == set(tables["organizations"]["Id"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_age": -1}, r"min_age must be an integer in \[0, 120\]; got -1\."),
        ({"lookback_days": 0}, r"lookback_days must be an integer >= 1; got 0\."),
    ],
)
def test_bad_cohort_arguments_are_named(tiny, kwargs, message):
    """A bad min_age or lookback_days raises an error naming the parameter."""
    with pytest.raises(ValueError, match=message):
        build_cohort(tiny, **kwargs)


# ---------------------------------------------------------------------------
# split_by_patient
# ---------------------------------------------------------------------------


def test_split_keeps_each_patient_on_one_side(cohort):
    """No patient is in both sets, and every admission is in exactly one."""
    train, test = split_by_patient(cohort, test_size=0.25, seed=3)
    assert not set(train["patient_id"]) & set(test["patient_id"])
    assert len(train) + len(test) == len(cohort)
    assert set(train.index) | set(test.index) == set(cohort.index)
    assert train.index.is_monotonic_increasing and test.index.is_monotonic_increasing
    patients = cohort["patient_id"].nunique()
    assert test["patient_id"].nunique() / patients == pytest.approx(0.25, abs=0.01)


def test_split_is_deterministic_for_a_seed(cohort):
    """The same seed gives the same split; another seed a different one."""
    a = split_by_patient(cohort, seed=7)
    b = split_by_patient(cohort, seed=7)
    c = split_by_patient(cohort, seed=8)
    pd.testing.assert_frame_equal(a[1], b[1])
    assert set(a[1]["patient_id"]) != set(c[1]["patient_id"])


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"test_size": 1.5}, ValueError, r"test_size must be in \(0, 1\); got 1\.5\."),
        ({"test_size": 0}, ValueError, r"test_size must be in \(0, 1\); got 0\."),
        ({"test_size": "a"}, TypeError, r"test_size must be a real number"),
        ({"seed": -2}, ValueError, r"seed must be an integer >= 0; got -2\."),
        ({"patient_column": "pid"}, MissingColumnError, r"cohort is missing .*pid"),
    ],
)
def test_split_rejects_bad_arguments(cohort, kwargs, error, message):
    """Bad test_size, seed or patient column raise an error naming the value."""
    with pytest.raises(error, match=message):
        split_by_patient(cohort, **kwargs)


def test_split_needs_two_patients(cohort):
    """A cohort of one patient cannot be split."""
    one = cohort[cohort["patient_id"] == cohort["patient_id"].iloc[0]]
    with pytest.raises(ValueError, match=r"at least 2 patients to split; got 1\."):
        split_by_patient(one)


# ---------------------------------------------------------------------------
# FeaturePipeline
# ---------------------------------------------------------------------------


def test_pipeline_is_fitted_on_training_data_only(cohort):
    """Scaling uses training means and scales; unseen test categories are ignored."""
    train, test = split_by_patient(cohort, seed=0)
    test = test.copy()
    test.iloc[0, test.columns.get_loc("hospital")] = "Unseen Hospital"
    pipeline = FeaturePipeline(
        numeric=["age", "heart_rate"], categorical=["hospital"], binary=["diabetes"]
    )
    x_train = pipeline.fit_transform(train)
    x_test = pipeline.transform(test)
    assert x_train.dtype == np.float32
    np.testing.assert_allclose(x_train[:, :2].mean(axis=0), 0, atol=1e-5)
    for j, column in enumerate(["age", "heart_rate"]):
        mean, scale = train[column].mean(), train[column].std(ddof=0)
        np.testing.assert_allclose(x_test[:, j] * scale + mean, test[column], rtol=1e-5)
    names = pipeline.feature_names
    hospital = [i for i, name in enumerate(names) if name.startswith("hospital_")]
    assert len(hospital) == train["hospital"].nunique()
    assert x_test[0, hospital].sum() == 0
    assert (x_test[1:, hospital].sum(axis=1) == 1).all()
    assert names[-1] == "diabetes"
    np.testing.assert_array_equal(x_test[:, -1], test["diabetes"])


def test_pipeline_imputes_with_training_medians(cohort):
    """Missing numeric values get the training median and a missing indicator."""
    train, test = split_by_patient(cohort, seed=1)
    pipeline = FeaturePipeline(numeric=["lactate"], categorical=[], binary=[])
    x_train = pipeline.fit_transform(train)
    assert pipeline.feature_names == ["lactate", "missingindicator_lactate"]
    x_test = pipeline.transform(test)
    missing = test["lactate"].isna().to_numpy()
    assert missing.any() and not missing.all()
    median = train["lactate"].median()
    filled = train["lactate"].fillna(median)
    expected = (median - filled.mean()) / filled.std(ddof=0)
    np.testing.assert_allclose(x_test[missing, 0], expected, rtol=1e-5)
    assert x_train.shape[1] == x_test.shape[1] == 2


def test_pipeline_default_feature_names_match_width(cohort):
    """The default pipeline's feature names are as many as the matrix columns."""
    train, test = split_by_patient(cohort, seed=2)
    pipeline = FeaturePipeline().fit(train)
    x_test = pipeline.transform(test)
    assert len(pipeline.feature_names) == x_test.shape[1]
    assert len(set(pipeline.feature_names)) == x_test.shape[1]
    assert np.isfinite(x_test).all()
    for column in ("race", "ethnicity", *LABELS, "length_of_stay_days"):
        assert not any(name.startswith(column) for name in pipeline.feature_names)


def test_pipeline_errors(cohort):
    """Missing columns, use before fitting and shared columns raise clear errors."""
    pipeline = FeaturePipeline()
    with pytest.raises(RuntimeError, match=r"must be fitted before transform"):
        pipeline.transform(cohort)
    with pytest.raises(RuntimeError, match=r"must be fitted first"):
        _ = pipeline.feature_names
    with pytest.raises(MissingColumnError, match=r"frame is missing column\(s\) age;"):
        pipeline.fit(cohort.drop(columns="age"))
    pipeline.fit(cohort)
    with pytest.raises(MissingColumnError, match=r"missing column\(s\) hospital;"):
        pipeline.transform(cohort.drop(columns="hospital"))
    with pytest.raises(ValueError, match=r"must not share columns; got age in"):
        FeaturePipeline(numeric=["age"], categorical=["age", "sex"], binary=[])
    with pytest.raises(ValueError, match=r"got copd, sex in more than one"):
        FeaturePipeline(numeric=["copd"], categorical=["sex"], binary=["sex", "copd"])
