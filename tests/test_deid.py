"""Tests for ehrpriv.deid: Safe Harbor and the released extract."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from ehrpriv import deid
from ehrpriv._validation import MissingColumnError


@pytest.fixture
def patients() -> pd.DataFrame:
    """Four patients with direct identifiers, in the patients table's layout."""
    return pd.DataFrame(
        {
            "Id": ["p1", "p2", "p3", "p4"],
            "BIRTHDATE": pd.to_datetime(
                ["1950-03-14", "1930-07-01", "1980-12-31", "1970-01-01"]
            ),
            "DEATHDATE": pd.to_datetime([None, "2020-05-05", None, None]),
            "SSN": ["999-11-1111", "999-22-2222", "999-33-3333", "999-44-4444"],
            "FIRST": ["Ann", "Bob", "Cy", "Di"],
            "LAST": ["Lee", "Ray", "Fox", "Ng"],
            "ADDRESS": ["1 Oak St", "2 Elm St", "3 Ash St", "4 Fir St"],
            "CITY": ["Boston", "Nantucket", "Lowell", "Boston"],
            "ZIP": ["02118", "02554", "01852", "02118"],
            "GENDER": ["F", "M", "M", "F"],
            "RACE": ["white", "black", "asian", "white"],
            "ETHNICITY": ["nonhispanic"] * 4,
            "INCOME": [50_000, 40_000, 70_000, 60_000],
        }
    )


@pytest.fixture
def admissions() -> pd.DataFrame:
    """A cohort of five admissions of three of the patients."""
    return pd.DataFrame(
        {
            "patient_id": ["p1", "p1", "p2", "p3", "p3"],
            "admit_time": pd.to_datetime(
                ["2019-01-05", "2018-02-01", "2021-03-03", "2022-04-04", "2023-05-05"]
            ),
            "discharge_time": pd.to_datetime(
                ["2019-01-09", "2018-02-03", "2021-03-09", "2022-04-06", "2023-05-06"]
            ),
            "age": [68, 67, 90, 41, 42],
            "hospital": ["A", "B", "A", "C", "C"],
            "admission_reason": ["sepsis", "stroke", "pneumonia", "other", "other"],
            "hiv": [0, 0, 0, 1, 1],
            "depression": [1, 0, 0, 0, 0],
            "died_in_hospital": [0, 0, 1, 0, 0],
        }
    )


def test_safe_harbor_lists_the_18_identifiers_in_order():
    """The constant holds identifiers A to R, each with its regulation wording."""
    letters = [identifier.letter for identifier in deid.SAFE_HARBOR_IDENTIFIERS]
    assert letters == list("ABCDEFGHIJKLMNOPQR")
    assert all(len(i.wording) >= 5 for i in deid.SAFE_HARBOR_IDENTIFIERS)
    geography = deid.SAFE_HARBOR_IDENTIFIERS[1]
    assert "20,000 or fewer people is changed to 000" in geography.wording
    assert geography.generalised == ("ZIP",)


def test_zip3_population_sums_towns_by_prefix():
    """Towns sharing three ZIP digits add up; the kit's islands fall under 20,000."""
    towns = [
        SimpleNamespace(zip="02118", population=10),
        SimpleNamespace(zip="02139", population=5),
        SimpleNamespace(zip="01852", population=7),
    ]
    assert deid.zip3_population(towns) == {"021": 15, "018": 7}
    assert deid.zip3_population()["025"] <= deid.SMALL_ZIP3_POPULATION


def test_safe_harbor_removes_identifiers_and_generalises(patients):
    """Names, SSN and address go; dates keep the year; ZIP keeps three digits."""
    out = deid.safe_harbor(patients)
    for column in ("Id", "SSN", "FIRST", "LAST", "ADDRESS", "CITY"):
        assert column not in out.columns
    assert list(out["ZIP3"]) == ["021", "000", "018", "021"]
    assert out["BIRTH_YEAR"].tolist()[0] == 1950
    assert out["DEATH_YEAR"].tolist()[1] == 2020
    assert list(out["INCOME"]) == list(patients["INCOME"])
    assert "Id" in patients.columns  # the input is untouched


def test_safe_harbor_groups_ages_over_89(admissions, patients):
    """Ages over 89 become "90+" and the birth year of such patients is removed."""
    extract = deid.release_extract(admissions, patients, diagnoses=["hiv"])
    out = deid.safe_harbor(extract)
    ages = dict(zip(extract[deid.TRUTH_COLUMN], out["age"], strict=True))
    assert ages == {"p1": "67", "p2": "90+", "p3": "41"}
    years = dict(zip(extract[deid.TRUTH_COLUMN], out["BIRTH_YEAR"], strict=True))
    assert pd.isna(years["p2"]) and years["p1"] == 1950
    assert deid.TRUTH_COLUMN in out.columns


def test_safe_harbor_uses_reference_date_without_an_age_column(patients):
    """Without ages, who is 90 or older on the reference date loses the birth year."""
    early = deid.safe_harbor(patients, reference_date="2015-01-01")
    late = deid.safe_harbor(patients, reference_date="2025-06-30")
    assert early["BIRTH_YEAR"].notna().all()
    assert late["BIRTH_YEAR"].isna().tolist() == [False, True, False, False]


def test_safe_harbor_keep_parses_text_dates_and_custom_population(patients):
    """An attacker keeps names; text dates parse; unknown ZIP3 areas become 000."""
    public = patients.assign(BIRTHDATE=patients["BIRTHDATE"].dt.strftime("%Y-%m-%d"))
    out = deid.safe_harbor(
        public, keep=["FIRST", "LAST"], zip_population={"021": 50_000}
    )
    assert list(out["FIRST"]) == list(patients["FIRST"])
    assert list(out["ZIP3"]) == ["021", "000", "000", "021"]
    assert out["BIRTH_YEAR"].tolist()[2] == 1980


def test_safe_harbor_errors_name_the_parameter(patients):
    """Bad inputs raise errors naming the parameter and the value."""
    with pytest.raises(TypeError, match="patients_or_extract must be a pandas"):
        deid.safe_harbor([1, 2])
    with pytest.raises(MissingColumnError, match="missing column.*PHONE"):
        deid.safe_harbor(patients, keep=["PHONE"])
    with pytest.raises(TypeError, match="zip_population must be a mapping.*list"):
        deid.safe_harbor(patients, zip_population=[1])
    bad = patients.assign(BIRTHDATE=["1950-03-14", "soon", "", "1970-01-01"])
    with pytest.raises(ValueError, match="column BIRTHDATE must hold ISO.*'soon'"):
        deid.safe_harbor(bad)


def test_identifier_report_names_present_columns(patients):
    """One row per identifier, with the columns of the table holding it."""
    report = deid.identifier_report(patients)
    assert len(report) == 18
    row = report.set_index("letter").loc["B"]
    assert row["generalised"] == "ZIP"
    assert row["removed"] == "ADDRESS, CITY"
    assert report.set_index("letter").loc["G", "removed"] == "SSN"


def test_release_extract_patient_level(admissions, patients):
    """One row per patient: first admission's age, counts, any death, any flag."""
    extract = deid.release_extract(
        admissions, patients, diagnoses=["hiv", "depression"]
    )
    row = extract.set_index(deid.TRUTH_COLUMN)
    assert list(row.index) == ["p1", "p2", "p3"]
    assert row.loc["p1", "age"] == 67  # the 2018 admission came first
    assert row.loc["p1", "hospital"] == "B"
    assert row.loc["p1", "n_admissions"] == 2
    assert row.loc["p2", "died_in_hospital"] == 1
    assert row.loc["p3", "hiv"] == 1 and row.loc["p1", "depression"] == 1
    assert row.loc["p3", "ZIP"] == "01852"
    assert "SSN" not in extract.columns and "FIRST" not in extract.columns


def test_release_extract_admission_level(admissions, patients):
    """One row per admission with the admission's dates and reason."""
    extract = deid.release_extract(
        admissions, patients, level="admission", diagnoses=["hiv"]
    )
    assert len(extract) == len(admissions)
    assert {"admit_time", "admission_reason", "BIRTHDATE"} <= set(extract.columns)


def test_release_extract_errors(admissions, patients):
    """An unknown level or patient is refused with a clear message."""
    with pytest.raises(ValueError, match="level must be one of 'patient', 'admis"):
        deid.release_extract(admissions, patients, level="hospital")
    stranger = admissions.assign(patient_id=["p1", "p1", "p2", "p3", "zz"])
    with pytest.raises(ValueError, match="1 admission.*of unknown patients.*'zz'"):
        deid.release_extract(stranger, patients, diagnoses=["hiv"])
    with pytest.raises(MissingColumnError, match="cohort is missing column.*cancer"):
        deid.release_extract(admissions, patients, diagnoses=["cancer"])


def test_sensitive_diagnosis_combines_flags(admissions):
    """Flags become one label per row, "none" when no flag is set."""
    labels = deid.sensitive_diagnosis(admissions, conditions=["hiv", "depression"])
    assert labels.tolist() == ["depression", "none", "none", "hiv", "hiv"]
    both = admissions.assign(hiv=1)
    assert deid.sensitive_diagnosis(both, conditions=["hiv", "depression"])[0] == (
        "depression + hiv"
    )
