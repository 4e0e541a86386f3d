"""Tests for ehrpriv.synthea: the generator, the writer and the reader."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ehrpriv import codes, synthea
from ehrpriv._validation import MissingColumnError
from ehrpriv.synthea import (
    DEFAULT_PATIENTS,
    DEFAULT_SEED,
    OPTIONAL_COLUMNS,
    TABLE_COLUMNS,
    VOTER_ROLL_COLUMNS,
    SyntheticEHR,
    detect_layout,
    generate_ehr,
    read_synthea,
    read_table,
    read_voter_roll,
    write_synthea,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
COMMITTED = REPO_ROOT / "data" / "synthea"
FILE_NAMES = (*TABLE_COLUMNS, "voter_roll")
QUASI_IDENTIFIERS = ["FIRST", "LAST", "ZIP", "BIRTHDATE", "GENDER"]

#: The column layout of DESIGN.md, spelled out independently of TABLE_COLUMNS.
DESIGN_COLUMNS = {
    "patients": "Id BIRTHDATE DEATHDATE SSN DRIVERS PASSPORT PREFIX FIRST MIDDLE "
    "LAST SUFFIX MAIDEN MARITAL RACE ETHNICITY GENDER BIRTHPLACE ADDRESS CITY STATE "
    "COUNTY FIPS ZIP LAT LON HEALTHCARE_EXPENSES HEALTHCARE_COVERAGE INCOME",
    "encounters": "Id START STOP PATIENT ORGANIZATION PROVIDER PAYER ENCOUNTERCLASS "
    "CODE DESCRIPTION BASE_ENCOUNTER_COST TOTAL_CLAIM_COST PAYER_COVERAGE "
    "REASONCODE REASONDESCRIPTION",
    "conditions": "START STOP PATIENT ENCOUNTER SYSTEM CODE DESCRIPTION",
    "observations": "DATE PATIENT ENCOUNTER CATEGORY CODE DESCRIPTION VALUE UNITS TYPE",
    "medications": "START STOP PATIENT PAYER ENCOUNTER CODE DESCRIPTION BASE_COST "
    "PAYER_COVERAGE DISPENSES TOTALCOST REASONCODE REASONDESCRIPTION",
    "organizations": "Id NAME ADDRESS CITY STATE ZIP LAT LON PHONE REVENUE UTILIZATION",
}


@pytest.fixture(scope="module")
def small() -> SyntheticEHR:
    """A small generated cohort (300 patients, seed 11)."""
    return generate_ehr(n_patients=300, seed=11)


@pytest.fixture(scope="module")
def default() -> SyntheticEHR:
    """The default cohort, generated in memory from the recorded seed and size."""
    return generate_ehr(n_patients=DEFAULT_PATIENTS, seed=DEFAULT_SEED)


@pytest.fixture(scope="module")
def small_dir(small: SyntheticEHR, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small cohort written as plain CSV files."""
    folder = tmp_path_factory.mktemp("small")
    write_synthea(small, folder)
    return folder


def admissions_by_hospital(ehr: SyntheticEHR) -> pd.DataFrame:
    """Return the truth table with each admission's hospital name."""
    encounters = ehr.tables["encounters"][["Id", "ORGANIZATION"]]
    names = ehr.tables["organizations"].set_index("Id")["NAME"]
    frame = ehr.truth.merge(encounters, left_on="ENCOUNTER", right_on="Id")
    return frame.assign(hospital=frame["ORGANIZATION"].map(names))


def rewrite(folder: Path, name: str, edit) -> None:
    """Read ``name``.csv in ``folder`` as text, apply ``edit`` and write it back."""
    path = folder / f"{name}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    edit(frame).to_csv(path, index=False)


# ---------------------------------------------------------------------------
# determinism and the committed dataset
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("compress", [False, True])
def test_same_seed_gives_byte_identical_files(tmp_path, compress):
    """Two generations with one seed write the same bytes, compressed or not."""
    first = write_synthea(
        generate_ehr(n_patients=300, seed=5), tmp_path / "a", compress=compress
    )
    second = write_synthea(
        generate_ehr(n_patients=300, seed=5), tmp_path / "b", compress=compress
    )
    suffix = ".csv.gz" if compress else ".csv"
    assert [p.name for p in first] == [f"{name}{suffix}" for name in FILE_NAMES]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_compressed_files_hold_the_plain_csv(tmp_path, small):
    """Each .csv.gz decompresses to exactly the bytes of the matching .csv."""
    write_synthea(small, tmp_path / "plain")
    write_synthea(small, tmp_path / "gz", compress=True)
    for name in FILE_NAMES:
        plain = (tmp_path / "plain" / f"{name}.csv").read_bytes()
        packed = (tmp_path / "gz" / f"{name}.csv.gz").read_bytes()
        assert gzip.decompress(packed) == plain, name


def test_different_seed_gives_different_data(tmp_path, small):
    """Another seed gives different patients and different files."""
    other = generate_ehr(n_patients=300, seed=12)
    assert not set(other.tables["patients"]["Id"]) & set(small.tables["patients"]["Id"])
    a = write_synthea(small, tmp_path / "a")
    b = write_synthea(other, tmp_path / "b")
    for x, y in zip(a, b, strict=True):
        assert x.read_bytes() != y.read_bytes(), x.name


def test_committed_data_equals_fresh_generation(tmp_path, default):
    """data/synthea holds exactly the files the recorded seed and size generate."""
    committed = sorted(p.name for p in COMMITTED.iterdir())
    assert committed == sorted(f"{name}.csv.gz" for name in FILE_NAMES)
    written = write_synthea(default, tmp_path, compress=True)
    for path in written:
        assert path.read_bytes() == (COMMITTED / path.name).read_bytes(), (
            f"{path.name} differs from a fresh `ehrpriv data generate --seed "
            f"{DEFAULT_SEED} --patients {DEFAULT_PATIENTS} --compress`"
        )


# ---------------------------------------------------------------------------
# layout and codes
# ---------------------------------------------------------------------------


def test_columns_follow_design_layout(small, small_dir):
    """Each table has the columns of DESIGN.md, in order, in memory and on disk."""
    for name, spec in DESIGN_COLUMNS.items():
        expected = spec.split()
        assert list(TABLE_COLUMNS[name]) == expected, name
        assert list(small.tables[name].columns) == expected, name
        header = (small_dir / f"{name}.csv").read_text().split("\n", 1)[0]
        assert header == ",".join(expected), name
    assert list(small.voter_roll.columns) == list(VOTER_ROLL_COLUMNS)
    assert set(small.tables) == set(TABLE_COLUMNS)


def test_conditions_and_encounters_use_snomed(small):
    """Conditions carry the SNOMED CT URI and codes; encounter types are SNOMED."""
    conditions = small.tables["conditions"]
    assert set(conditions["SYSTEM"]) == {codes.SNOMED}
    known = {c.code: c.display for c in codes.COMORBIDITIES.values()}
    known |= {c.code: c.display for c in codes.ADMISSION_REASONS.values()}
    assert set(conditions["CODE"]) <= set(known)
    assert (conditions["DESCRIPTION"] == conditions["CODE"].map(known)).all()
    assert "44054006" in set(conditions["CODE"])  # type 2 diabetes
    encounter_types = {
        c.code
        for c in (
            codes.ENCOUNTER_WELLNESS,
            codes.ENCOUNTER_PROBLEM,
            codes.ENCOUNTER_FOLLOW_UP,
            codes.ENCOUNTER_EMERGENCY,
            codes.ENCOUNTER_EMERGENCY_ADMISSION,
            codes.ENCOUNTER_ADMISSION,
        )
    }
    assert set(small.tables["encounters"]["CODE"]) <= encounter_types
    assert codes.SNOMED == "http://snomed.info/sct"


def test_observations_are_loinc_with_matching_units(small):
    """Every observation code is a LOINC vital or lab with its display and unit."""
    observations = small.tables["observations"]
    loinc = {c.code: c for c in (*codes.VITALS.values(), *codes.LABS.values())}
    assert all(c.system == codes.LOINC == "http://loinc.org" for c in loinc.values())
    assert set(observations["CODE"]) <= set(loinc)
    assert (
        observations["UNITS"]
        == observations["CODE"].map({k: c.unit for k, c in loinc.items()})
    ).all()
    assert (
        observations["DESCRIPTION"]
        == observations["CODE"].map({k: c.display for k, c in loinc.items()})
    ).all()
    assert {"2160-0", "8867-4", "2524-7"} <= set(observations["CODE"])
    assert set(observations["CATEGORY"]) == {"vital-signs", "laboratory"}
    assert pd.to_numeric(observations["VALUE"]).notna().all()


def test_medications_are_rxnorm(small):
    """Medication codes are the kit's RxNorm codes with their display names."""
    rxnorm = {c.code: c.display for opts in codes.MEDICATIONS.values() for c in opts}
    meds = small.tables["medications"]
    assert codes.RXNORM == "http://www.nlm.nih.gov/research/umls/rxnorm"
    assert len(meds) > 0
    assert set(meds["CODE"]) <= set(rxnorm)
    assert (meds["DESCRIPTION"] == meds["CODE"].map(rxnorm)).all()


def test_ssns_are_in_the_never_issued_999_area(default):
    """Every SSN has the form 999-NN-NNNN."""
    ssn = default.tables["patients"]["SSN"]
    assert all(re.match(r"^999-\d\d-\d\d\d\d$", s) for s in ssn)


def test_tables_are_linked_by_their_ids(small):
    """Ids are unique and every PATIENT, ENCOUNTER and ORGANIZATION exists."""
    tables = small.tables
    patients = set(tables["patients"]["Id"])
    encounters = tables["encounters"]
    assert tables["patients"]["Id"].is_unique and encounters["Id"].is_unique
    for name in ("encounters", "conditions", "observations", "medications"):
        assert set(tables[name]["PATIENT"]) <= patients, name
        if name != "encounters":
            assert set(tables[name]["ENCOUNTER"]) <= set(encounters["Id"]), name
    assert set(encounters["ORGANIZATION"]) <= set(tables["organizations"]["Id"])
    assert (encounters["STOP"] >= encounters["START"]).all()
    assert set(encounters["ENCOUNTERCLASS"]) == {
        "wellness",
        "ambulatory",
        "emergency",
        "inpatient",
    }
    for name, frame in {**tables, "voter_roll": small.voter_roll}.items():
        text = frame.astype(str)
        assert not text.isin(["nan", "None", "NaT", "<NA>"]).any().any(), name


# ---------------------------------------------------------------------------
# population
# ---------------------------------------------------------------------------


def test_at_least_five_organizations(small):
    """There are at least five hospitals, each with inpatient admissions."""
    organizations = small.tables["organizations"]
    assert len(organizations) >= 5
    assert organizations["Id"].is_unique and organizations["NAME"].is_unique
    inpatient = small.tables["encounters"].query("ENCOUNTERCLASS == 'inpatient'")
    assert set(inpatient["ORGANIZATION"]) == set(organizations["Id"])


def test_patients_are_adults_at_every_admission(small):
    """Every patient is at least 18 years old at each inpatient admission."""
    encounters = small.tables["encounters"]
    inpatient = encounters[encounters["ENCOUNTERCLASS"] == "inpatient"]
    birth = small.tables["patients"].set_index("Id")["BIRTHDATE"]
    start = pd.to_datetime(inpatient["START"].str[:10])
    age = (start - pd.to_datetime(inpatient["PATIENT"].map(birth))).dt.days
    assert (age / 365.2425 >= 18).all()
    assert set(inpatient["PATIENT"]) == set(small.tables["patients"]["Id"])


def test_mortality_is_plausible_and_varies_by_hospital(default):
    """In-hospital mortality is 5-10 % overall and differs between hospitals."""
    frame = admissions_by_hospital(default)
    assert 0.05 <= frame["died"].mean() <= 0.10
    by_hospital = frame.groupby("hospital")["died"].mean()
    assert len(by_hospital) >= 5
    assert by_hospital.max() - by_hospital.min() > 0.03
    expected = frame.groupby("hospital")["mortality_risk"].mean()
    assert expected.max() - expected.min() > 0.03


def test_deaths_are_recorded_in_deathdate(small):
    """An in-hospital death sets DEATHDATE to the discharge date of that stay."""
    patients = small.tables["patients"].set_index("Id")
    stop = small.tables["encounters"].set_index("Id")["STOP"].str[:10]
    died = small.truth[small.truth["died"]]
    assert len(died) > 0
    assert died["PATIENT"].is_unique
    recorded = died["PATIENT"].map(patients["DEATHDATE"]).to_numpy()
    assert (recorded == died["ENCOUNTER"].map(stop).to_numpy()).all()
    # nobody else dies during a stay, and nobody has an admission after death
    last_stop = (
        small.truth.assign(stop=small.truth["ENCOUNTER"].map(stop))
        .groupby("PATIENT")["stop"]
        .max()
    )
    dead = patients[patients["DEATHDATE"] != ""]
    assert (dead["DEATHDATE"] >= last_stop.reindex(dead.index)).all()
    survivors = dead.index.difference(died["PATIENT"])
    assert (dead.loc[survivors, "DEATHDATE"] > last_stop.reindex(survivors)).all()


def test_truth_has_one_row_per_inpatient_encounter(small):
    """The truth table lists every inpatient encounter exactly once."""
    truth = small.truth
    encounters = small.tables["encounters"]
    inpatient = encounters[encounters["ENCOUNTERCLASS"] == "inpatient"]
    assert truth["ENCOUNTER"].is_unique
    assert set(truth["ENCOUNTER"]) == set(inpatient["Id"])
    assert len(truth) == len(inpatient)
    patient_of = inpatient.set_index("Id")["PATIENT"]
    assert (truth["PATIENT"] == truth["ENCOUNTER"].map(patient_of)).all()
    assert truth["mortality_risk"].between(0, 1, inclusive="neither").all()
    dead = truth["died"].to_numpy()
    assert np.isnan(truth["readmission_risk"].to_numpy()[dead]).all()
    assert not truth.loc[truth["died"], "readmitted_30d"].any()


def test_true_risk_is_never_written(tmp_path, small):
    """No written file has a risk column or contains the true risk values."""
    paths = write_synthea(small, tmp_path)
    assert all("risk" not in p.name and "truth" not in p.name for p in paths)
    texts = {p.name: p.read_text() for p in paths}
    for name, text in texts.items():
        header = text.split("\n", 1)[0].lower()
        assert not re.search(r"risk|truth|prob", header), name
    risks = np.concatenate(
        [
            small.truth["mortality_risk"].to_numpy(),
            small.truth["readmission_risk"].dropna().to_numpy(),
        ]
    )
    for value in risks[:: max(1, risks.size // 100)]:
        for text in (repr(float(value)), f"{value:.8f}", f"{value:.12g}"):
            assert not any(text in body for body in texts.values()), text


def test_voter_roll_overlaps_part_of_the_patients(small):
    """The voter roll matches some, not all, patients on the quasi-identifiers."""
    patients = small.tables["patients"]
    roll = small.voter_roll
    matched = patients.merge(
        roll[QUASI_IDENTIFIERS].drop_duplicates(), on=QUASI_IDENTIFIERS
    )
    share = matched["Id"].nunique() / len(patients)
    assert 0.3 < share < 0.9
    # the roll also lists people who are not patients
    assert len(roll) > len(patients)
    assert roll["VOTER_ID"].is_unique
    assert roll["VOTER_ID"].str.fullmatch(r"V\d{9}").all()
    assert set(roll["GENDER"]) == {"F", "M"}


def test_small_subgroups_exist(default):
    """Races 'native' and 'hawaiian' are present but each under 2 % of patients."""
    share = default.tables["patients"]["RACE"].value_counts(normalize=True)
    for race in ("native", "hawaiian"):
        assert 0 < share[race] < 0.02, race
    assert set(share.index) == set(synthea.RACES)
    assert set(default.tables["patients"]["ETHNICITY"]) == {"hispanic", "nonhispanic"}


# ---------------------------------------------------------------------------
# argument checks
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n_patients": 0}, ValueError, r"n_patients must be an integer in \[10, "),
        ({"n_patients": 9}, ValueError, r"n_patients .* got 9\."),
        ({"n_patients": 100.0}, TypeError, r"n_patients must be an integer"),
        ({"n_patients": True}, TypeError, r"n_patients .* got True\."),
        ({"seed": -1}, ValueError, r"seed must be an integer >= 0; got -1\."),
        ({"seed": "7"}, TypeError, r"seed must be an integer >= 0; got '7'\."),
    ],
)
def test_bad_generator_arguments_are_named(kwargs, error, message):
    """A bad n_patients or seed raises an error that names the parameter."""
    with pytest.raises(error, match=message):
        generate_ehr(**{"n_patients": 50, "seed": 0, **kwargs})


# ---------------------------------------------------------------------------
# the reader
# ---------------------------------------------------------------------------


def test_reader_round_trips_the_written_tables(tmp_path, small, small_dir):
    """Reading plain or gzipped files gives back the written values."""
    write_synthea(small, tmp_path, compress=True)
    plain = read_synthea(small_dir)
    packed = read_synthea(tmp_path)
    for name in TABLE_COLUMNS:
        pd.testing.assert_frame_equal(plain[name], packed[name])
        assert plain[name].attrs["layout"] == "current"
    patients = plain["patients"]
    assert pd.api.types.is_datetime64_any_dtype(patients["BIRTHDATE"])
    assert (
        patients["DEATHDATE"].isna().sum()
        == (small.tables["patients"]["DEATHDATE"] == "").sum()
    )
    assert list(patients["SSN"]) == list(small.tables["patients"]["SSN"])
    raw = read_table(small_dir, "encounters", parse_dates=False)
    expected = small.tables["encounters"].astype(str)
    pd.testing.assert_frame_equal(raw, expected, check_dtype=False)
    roll = read_voter_roll(tmp_path)
    assert list(roll.columns) == list(VOTER_ROLL_COLUMNS)
    assert len(roll) == len(small.voter_roll)


def test_missing_file_is_named(tmp_path, small_dir):
    """A missing table raises FileNotFoundError naming its file."""
    with pytest.raises(FileNotFoundError, match=r"patients\.csv"):
        read_synthea(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"voter_roll\.csv"):
        read_voter_roll(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"observations\.csv"):
        read_table(tmp_path, "observations")


def test_missing_column_is_named(tmp_path, small):
    """A missing required column raises MissingColumnError naming file and column."""
    write_synthea(small, tmp_path)
    rewrite(tmp_path, "encounters", lambda f: f.drop(columns="ENCOUNTERCLASS"))
    with pytest.raises(MissingColumnError, match=r"encounters\.csv .*ENCOUNTERCLASS"):
        read_synthea(tmp_path)
    with pytest.raises(KeyError):
        read_table(tmp_path, "encounters")
    rewrite(tmp_path, "patients", lambda f: f.drop(columns=["GENDER", "FIPS"]))
    with pytest.raises(
        MissingColumnError, match=r"patients\.csv .*column\(s\) GENDER;"
    ):
        read_table(tmp_path, "patients")


def test_malformed_date_names_file_column_row_and_value(tmp_path, small):
    """A malformed date raises ValueError naming file, column, row and value."""
    write_synthea(small, tmp_path)

    def spoil(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[4, "BIRTHDATE"] = "1970-13-45"
        return frame

    rewrite(tmp_path, "patients", spoil)
    with pytest.raises(
        ValueError,
        match=r"patients\.csv, column BIRTHDATE, data row 5: cannot read '1970-13-45'",
    ):
        read_table(tmp_path, "patients")
    assert read_table(tmp_path, "patients", parse_dates=False).loc[4, "BIRTHDATE"] == (
        "1970-13-45"
    )


def test_malformed_encounter_time_is_named(tmp_path, small):
    """A date-time written as MM/DD/YYYY is refused with its column and value."""
    write_synthea(small, tmp_path)

    def spoil(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[0, "STOP"] = "03/04/2019"
        return frame

    rewrite(tmp_path, "encounters", spoil)
    with pytest.raises(
        ValueError, match=r"encounters\.csv, column STOP, data row 1: .*'03/04/2019'"
    ):
        read_synthea(tmp_path, tables=["encounters"])


def test_older_layout_is_read(tmp_path, small, small_dir):
    """An export without MIDDLE, FIPS, INCOME, SYSTEM and CATEGORY reads as older."""
    write_synthea(small, tmp_path)
    for name, dropped in OPTIONAL_COLUMNS.items():
        rewrite(tmp_path, name, lambda f, d=dropped: f.drop(columns=list(d)))
    older = read_synthea(tmp_path)
    current = read_synthea(small_dir)
    for name in TABLE_COLUMNS:
        dropped = list(OPTIONAL_COLUMNS.get(name, ()))
        expected = "older" if dropped else "current"
        assert older[name].attrs["layout"] == expected, name
        assert not set(dropped) & set(older[name].columns)
        pd.testing.assert_frame_equal(
            older[name], current[name].drop(columns=dropped), check_like=False
        )
    assert set(OPTIONAL_COLUMNS) == {"patients", "conditions", "observations"}
    assert set(OPTIONAL_COLUMNS["patients"]) == {"MIDDLE", "FIPS", "INCOME"}


def test_detect_layout():
    """detect_layout tells the two layouts apart and refuses unknown tables."""
    full = TABLE_COLUMNS["patients"]
    assert detect_layout("patients", full) == "current"
    assert detect_layout("patients", [c for c in full if c != "INCOME"]) == "older"
    assert detect_layout("conditions", ["START", "STOP", "CODE"]) == "older"
    assert detect_layout("observations", TABLE_COLUMNS["observations"]) == "current"
    assert detect_layout("encounters", TABLE_COLUMNS["encounters"]) == "current"
    with pytest.raises(ValueError, match=r"table must be one of .*; got 'claims'"):
        detect_layout("claims", [])
    with pytest.raises(ValueError, match=r"name must be one of .*; got 'claims'"):
        read_table(".", "claims")


def test_true_risk_matches_the_truth_table_and_names_foreign_ids():
    """true_risk returns the generator's risks in order and names unknown ids."""
    ehr = synthea.generate_ehr(n_patients=300, seed=5)
    ids = ehr.truth["ENCOUNTER"].iloc[::-7]
    risk = synthea.true_risk(ids, n_patients=300, seed=5)
    expected = ehr.truth.set_index("ENCOUNTER").loc[ids, "mortality_risk"]
    assert np.array_equal(risk, expected.to_numpy())
    with pytest.raises(KeyError, match=r"1 id\(s\) .* seed=6\)"):
        synthea.true_risk([ids.iloc[0]], n_patients=300, seed=6)


def test_parallel_writing_gives_the_same_bytes(tmp_path):
    """Writing with two forked jobs gives the same files as writing serially."""
    ehr = synthea.generate_ehr(n_patients=300, seed=9)
    serial = synthea.write_synthea(ehr, tmp_path / "serial", compress=True)
    parallel = synthea.write_synthea(ehr, tmp_path / "parallel", compress=True, jobs=2)
    assert [p.name for p in serial] == [p.name for p in parallel]
    for one, two in zip(serial, parallel, strict=True):
        assert one.read_bytes() == two.read_bytes()
    with pytest.raises(
        ValueError, match=r"jobs must be an integer in \[1, 64\]; got 0"
    ):
        synthea.write_synthea(ehr, tmp_path / "x", jobs=0)
