"""HIPAA Safe Harbor de-identification, and the extract a hospital would release.

Introduced in lesson 02 (``notebooks/02_threat_models.ipynb``). The HIPAA Privacy
Rule (45 CFR 164.514(b)) offers two ways to de-identify health information: *Expert
Determination*, in which a qualified statistician certifies that the risk of
re-identification is very small, and *Safe Harbor*, a checklist: remove 18 kinds
of identifier (:data:`SAFE_HARBOR_IDENTIFIERS`) and have no actual knowledge that
what remains could identify anyone. :func:`safe_harbor` applies the checklist to
the kit's tables; :func:`release_extract` builds the "de-identified" extract of
the lesson's scenario, which the attacks of :mod:`ehrpriv.attacks` then target.

Teaching simplifications, stated where they apply: the population of a
three-digit ZIP area is summed over the towns of :data:`ehrpriv.geography.TOWNS`,
not taken from the Census; and Safe Harbor's last condition (no actual knowledge
that the rest identifies someone) is a judgement no code can make.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ehrpriv import codes
from ehrpriv._validation import check_choice, check_columns
from ehrpriv.geography import TOWNS

logger = logging.getLogger(__name__)

__all__ = [
    "TRUTH_COLUMN",
    "REFERENCE_DATE",
    "SMALL_ZIP3_POPULATION",
    "EXTRACT_QUASI_IDENTIFIERS",
    "SafeHarborIdentifier",
    "SAFE_HARBOR_IDENTIFIERS",
    "zip3_population",
    "safe_harbor",
    "identifier_report",
    "release_extract",
    "sensitive_diagnosis",
]

#: Hidden ground-truth column: the patient's ``Id``. :func:`release_extract` adds
#: it so that a lesson can *score* an attack; no attack reads it to match
#: records, :func:`safe_harbor` leaves it alone, and a real release would not
#: hold it.
TRUTH_COLUMN = "_true_id"

#: Date of the release, for ages "over 89" in tables without an age column: the
#: end of the synthetic study period (:data:`ehrpriv.synthea.STUDY_END`).
REFERENCE_DATE = pd.Timestamp("2025-06-30")

#: A three-digit ZIP area of at most this many people is released as ``"000"``.
SMALL_ZIP3_POPULATION = 20_000

#: Demographic columns of ``patients`` that :func:`release_extract` keeps.
EXTRACT_QUASI_IDENTIFIERS = ("BIRTHDATE", "GENDER", "ZIP", "RACE", "ETHNICITY")

#: Oldest age released as a number; older ages become ``"90+"``.
MAX_AGE = 89


@dataclass(frozen=True)
class SafeHarborIdentifier:
    """One of the 18 identifiers of 45 CFR 164.514(b)(2)(i), as it applies here.

    Attributes
    ----------
    letter : str
        Its letter in the regulation, ``"A"`` to ``"R"``.
    wording : str
        The regulation's wording (HHS, 45 CFR 164.514(b)(2)(i)).
    removed : tuple of str
        Columns of the kit's tables (Synthea tables, voter roll, cohort, extract)
        that hold it and that :func:`safe_harbor` removes.
    generalised : tuple of str
        Columns that hold it and that :func:`safe_harbor` generalises instead:
        ZIP to three digits, dates to the year, ages over 89 to ``"90+"``.
    """

    letter: str
    wording: str
    removed: tuple[str, ...] = ()
    generalised: tuple[str, ...] = ()


#: The 18 Safe Harbor identifiers with the regulation's wording and the columns of
#: our tables that hold each one.
SAFE_HARBOR_IDENTIFIERS: tuple[SafeHarborIdentifier, ...] = (
    SafeHarborIdentifier(
        "A", "Names", ("FIRST", "MIDDLE", "LAST", "PREFIX", "SUFFIX", "MAIDEN")
    ),
    SafeHarborIdentifier(
        "B",
        "All geographic subdivisions smaller than a State, including street "
        "address, city, county, precinct, zip code, and their equivalent geocodes, "
        "except for the initial three digits of a zip code if, according to the "
        "current publicly available data from the Bureau of the Census: (1) The "
        "geographic unit formed by combining all zip codes with the same three "
        "initial digits contains more than 20,000 people; and (2) The initial three "
        "digits of a zip code for all such geographic units containing 20,000 or "
        "fewer people is changed to 000",
        ("ADDRESS", "CITY", "COUNTY", "FIPS", "LAT", "LON", "BIRTHPLACE"),
        ("ZIP",),
    ),
    SafeHarborIdentifier(
        "C",
        "All elements of dates (except year) for dates directly related to an "
        "individual, including birth date, admission date, discharge date, date of "
        "death; and all ages over 89 and all elements of dates (including year) "
        "indicative of such age, except that such ages and elements may be "
        "aggregated into a single category of age 90 or older",
        (),
        (
            "BIRTHDATE",
            "DEATHDATE",
            "REGISTERED",
            "START",
            "STOP",
            "DATE",
            "admit_time",
            "discharge_time",
            "first_admission",
            "age",
        ),
    ),
    SafeHarborIdentifier("D", "Telephone numbers", ("PHONE",)),
    SafeHarborIdentifier("E", "Fax numbers", ("FAX",)),
    SafeHarborIdentifier("F", "Electronic mail addresses", ("EMAIL",)),
    SafeHarborIdentifier("G", "Social security numbers", ("SSN",)),
    SafeHarborIdentifier(
        "H", "Medical record numbers", ("Id", "PATIENT", "patient_id")
    ),
    SafeHarborIdentifier("I", "Health plan beneficiary numbers", ("MEMBERID",)),
    SafeHarborIdentifier("J", "Account numbers"),
    SafeHarborIdentifier("K", "Certificate/license numbers", ("DRIVERS", "PASSPORT")),
    SafeHarborIdentifier(
        "L",
        "Vehicle identifiers and serial numbers, including license plate numbers",
    ),
    SafeHarborIdentifier("M", "Device identifiers and serial numbers", ("UDI",)),
    SafeHarborIdentifier("N", "Web Universal Resource Locators (URLs)"),
    SafeHarborIdentifier("O", "Internet Protocol (IP) address numbers"),
    SafeHarborIdentifier(
        "P", "Biometric identifiers, including finger and voice prints"
    ),
    SafeHarborIdentifier(
        "Q", "Full face photographic images and any comparable images"
    ),
    SafeHarborIdentifier(
        "R",
        "Any other unique identifying number, characteristic, or code, except as "
        "permitted by paragraph (c) of this section",
        ("ENCOUNTER", "encounter_id", "VOTER_ID"),
    ),
)

#: Names given to a date column once it holds only the year.
_YEAR_NAMES = {
    "BIRTHDATE": "BIRTH_YEAR",
    "DEATHDATE": "DEATH_YEAR",
    "admit_time": "admit_year",
    "discharge_time": "discharge_year",
    "first_admission": "first_admission_year",
}
_DATE_NAMES = next(i for i in SAFE_HARBOR_IDENTIFIERS if i.letter == "C").generalised


def zip3_population(towns: Iterable = TOWNS) -> dict[str, int]:
    """Return the population of each three-digit ZIP area, summed over ``towns``.

    A teaching stand-in for the Census figures the rule refers to: each town of
    :data:`ehrpriv.geography.TOWNS` has one ZIP code and a population.

    Parameters
    ----------
    towns : iterable of Town, default ehrpriv.geography.TOWNS
        Objects with ``zip`` and ``population`` attributes.

    Returns
    -------
    dict of str to int
        Three-digit prefix to population.
    """
    totals: dict[str, int] = {}
    for town in towns:
        prefix = str(town.zip)[:3]
        totals[prefix] = totals.get(prefix, 0) + int(town.population)
    return totals


def _year_name(column: str) -> str:
    """Return the name of ``column`` once generalised to the year."""
    if column in _YEAR_NAMES:
        return _YEAR_NAMES[column]
    return f"{column}_YEAR" if column.isupper() else f"{column}_year"


def _as_dates(values: pd.Series, column: str) -> pd.Series:
    """Return ``values`` as datetimes, parsing ISO text; blanks become NaT."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    text = values.astype(object).where(values.notna(), "")
    parsed = pd.to_datetime(
        text.where(text != ""), format="ISO8601", errors="coerce", utc=True
    ).dt.tz_convert(None)
    bad = parsed.isna() & (text != "")
    if bad.any():
        example = text[bad].iloc[0]
        raise ValueError(
            f"column {column} must hold ISO 8601 dates such as 1950-03-14; got "
            f"{example!r}."
        )
    return parsed


def _generalise_zip(zips: pd.Series, population: Mapping[str, int]) -> pd.Series:
    """Keep three ZIP digits; areas of at most 20,000 people become ``"000"``."""
    prefix = zips.astype(object).where(zips.notna(), "").astype(str).str[:3]
    small = prefix.map(lambda p: population.get(p, 0) <= SMALL_ZIP3_POPULATION)
    unknown = sorted(set(prefix[~prefix.isin(list(population))]) - {""})
    if unknown:
        logger.info(
            "ZIP3 area(s) %s have no population figure; released as 000",
            ", ".join(unknown),
        )
    out = prefix.where(~small, "000").astype(object)
    return out.where(zips.notna() & (prefix != ""), None)


def safe_harbor(
    patients_or_extract: pd.DataFrame,
    *,
    zip_population: Mapping[str, int] | None = None,
    reference_date: str | pd.Timestamp = REFERENCE_DATE,
    keep: Iterable[str] = (),
    dates: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Apply the HIPAA Safe Harbor method to one of the kit's tables.

    Removes every column that holds one of :data:`SAFE_HARBOR_IDENTIFIERS`,
    reduces each date to its year (``BIRTHDATE`` becomes ``BIRTH_YEAR``,
    ``admit_time`` becomes ``admit_year``, ...), keeps the first three digits of
    ``ZIP`` as ``ZIP3`` (``"000"`` for an area of at most 20,000 people), and
    releases ages over 89 as ``"90+"``, with the birth year of such people
    removed. The hidden :data:`TRUTH_COLUMN` is kept for scoring attacks. Other
    columns (diagnoses, outcomes, sex, race) are released unchanged.

    Safe Harbor is a legal checklist, not a guarantee: lesson 02 shows what the
    released quasi-identifiers still reveal.

    Parameters
    ----------
    patients_or_extract : DataFrame
        The ``patients`` table, the voter roll, a cohort or an extract from
        :func:`release_extract`; only the columns present are treated.
    zip_population : mapping of str to int, optional
        Population of each three-digit ZIP area; defaults to
        :func:`zip3_population` over the kit's towns. An area missing from the
        mapping is treated as small (released as ``"000"``).
    reference_date : str or Timestamp, default REFERENCE_DATE
        Date of the release: who is 90 or older on that date counts as over 89,
        whatever the table's ``age`` column says.
    keep : iterable of str, default ()
        Columns to keep untouched although they are identifiers. An attacker uses
        it to bring a public table (names kept) to the release's coarseness.
    dates : iterable of str, optional
        Date columns to reduce to the year; by default every datetime column and
        every known date column (``BIRTHDATE``, ``DEATHDATE``, ``admit_time``,
        ...) present.

    Returns
    -------
    DataFrame
        A new table; the input is not modified.

    Raises
    ------
    TypeError
        If ``patients_or_extract`` is not a DataFrame.
    MissingColumnError
        If a column named in ``keep`` or ``dates`` is absent.
    ValueError
        If a date column holds text that is not an ISO 8601 date.
    """
    frame = check_columns(patients_or_extract, (), name="patients_or_extract")
    keep = [keep] if isinstance(keep, str) else list(keep)
    check_columns(frame, keep, name="patients_or_extract")
    population = zip3_population() if zip_population is None else zip_population
    if not isinstance(population, Mapping):
        raise TypeError(
            "zip_population must be a mapping of three-digit ZIP prefix to "
            f"population; got {type(population).__name__}."
        )
    reference = pd.Timestamp(reference_date)
    if dates is None:
        date_columns = [
            c
            for c in frame.columns
            if c != "age"
            and (c in _DATE_NAMES or pd.api.types.is_datetime64_any_dtype(frame[c]))
        ]
    else:
        date_columns = [dates] if isinstance(dates, str) else list(dates)
        check_columns(frame, date_columns, name="patients_or_extract")
    date_columns = [c for c in date_columns if c not in keep and c != TRUTH_COLUMN]

    out = frame.copy()
    over_89 = pd.Series(False, index=out.index)
    if "age" in out.columns and "age" not in keep:
        ages = np.floor(pd.to_numeric(out["age"], errors="coerce"))
        over_89 |= (ages > MAX_AGE).fillna(False)
        labels = ages.astype("Int64").astype(object).astype(str)
        out["age"] = labels.where(ages <= MAX_AGE, f"{MAX_AGE + 1}+").where(
            ages.notna(), None
        )
    if "BIRTHDATE" in out.columns:
        birth = _as_dates(out["BIRTHDATE"], "BIRTHDATE")
        age_now = (reference - birth).dt.days / 365.2425
        over_89 |= (age_now >= MAX_AGE + 1).fillna(False)

    for column in date_columns:
        years = _as_dates(out[column], column).dt.year.astype("Int64")
        if column == "BIRTHDATE":
            years = years.mask(over_89.to_numpy())
        out[column] = years
    out = out.rename(columns={c: _year_name(c) for c in date_columns})

    if "ZIP" in out.columns and "ZIP" not in keep:
        out["ZIP"] = _generalise_zip(out["ZIP"], population)
        out = out.rename(columns={"ZIP": "ZIP3"})

    removed = [
        column
        for identifier in SAFE_HARBOR_IDENTIFIERS
        for column in identifier.removed
        if column in out.columns and column not in keep and column != TRUTH_COLUMN
    ]
    logger.info(
        "Safe Harbor: removed %s; years only for %s",
        ", ".join(removed) or "nothing",
        ", ".join(date_columns) or "nothing",
    )
    return out.drop(columns=removed)


def identifier_report(frame: pd.DataFrame) -> pd.DataFrame:
    """Return, for each Safe Harbor identifier, the columns of ``frame`` holding it.

    Parameters
    ----------
    frame : DataFrame
        Any of the kit's tables.

    Returns
    -------
    DataFrame
        One row per identifier: ``letter``, ``identifier`` (the start of its
        wording), and the columns of ``frame`` holding it that :func:`safe_harbor`
        ``removed`` or ``generalised`` (comma-separated, empty when none).

    Raises
    ------
    TypeError
        If ``frame`` is not a DataFrame.
    """
    check_columns(frame, (), name="frame")
    rows = []
    for identifier in SAFE_HARBOR_IDENTIFIERS:
        wording = identifier.wording
        short = wording if len(wording) <= 60 else wording[:57].rstrip(" ,") + "..."
        rows.append(
            {
                "letter": identifier.letter,
                "identifier": short,
                "removed": ", ".join(
                    c for c in identifier.removed if c in frame.columns
                ),
                "generalised": ", ".join(
                    c for c in identifier.generalised if c in frame.columns
                ),
            }
        )
    return pd.DataFrame(rows)


def release_extract(
    cohort: pd.DataFrame,
    patients: pd.DataFrame,
    *,
    level: str = "patient",
    diagnoses: Iterable[str] = codes.COMORBIDITIES,
    quasi_identifiers: Iterable[str] = EXTRACT_QUASI_IDENTIFIERS,
) -> pd.DataFrame:
    """Build the "de-identified" extract of lesson 02's scenario.

    The hospital's plan: drop names, social security numbers, addresses and
    record numbers, keep demographics, diagnoses and outcomes. What it keeps,
    the quasi-identifiers (birth date, sex, ZIP code, race, ethnicity), is what
    the linkage attack joins on. Pass the result to :func:`safe_harbor` for the
    Safe Harbor version.

    Parameters
    ----------
    cohort : DataFrame
        Output of :func:`ehrpriv.cohort.build_cohort`.
    patients : DataFrame
        The ``patients`` table read by :func:`ehrpriv.synthea.read_synthea`.
    level : {"patient", "admission"}, default "patient"
        One row per patient (first admission's date, hospital and age, number
        of admissions, a diagnosis flagged at any admission, death in any
        admission), or one row per admission.
    diagnoses : iterable of str, default every comorbidity
        Comorbidity columns of the cohort to release.
    quasi_identifiers : iterable of str, default EXTRACT_QUASI_IDENTIFIERS
        Columns of ``patients`` to release.

    Returns
    -------
    DataFrame
        The hidden :data:`TRUTH_COLUMN` (patient ``Id``, for scoring attacks
        only), the quasi-identifiers, ``age``, ``hospital``, the diagnoses and
        ``died_in_hospital``; at patient level also ``first_admission`` and
        ``n_admissions``, at admission level ``admit_time``, ``discharge_time``
        and ``admission_reason``.

    Raises
    ------
    TypeError
        If an input is not a DataFrame.
    MissingColumnError
        If a needed column is missing.
    ValueError
        If ``level`` is unknown or a cohort patient is absent from ``patients``.
    """
    check_choice("level", level, ("patient", "admission"))
    diagnoses = [diagnoses] if isinstance(diagnoses, str) else list(diagnoses)
    quasi = (
        [quasi_identifiers]
        if isinstance(quasi_identifiers, str)
        else list(quasi_identifiers)
    )
    check_columns(
        cohort,
        ["patient_id", "admit_time", "discharge_time", "age", "hospital",
         "admission_reason", "died_in_hospital", *diagnoses],
        name="cohort",
    )  # fmt: skip
    check_columns(patients, ["Id", *quasi], name="patients")
    person = patients.set_index("Id")[quasi]
    unknown = ~cohort["patient_id"].isin(person.index)
    if unknown.any():
        raise ValueError(
            f"cohort must only hold patients of the patients table; got "
            f"{int(unknown.sum())} admission(s) of unknown patients, for example "
            f"{cohort['patient_id'][unknown].iloc[0]!r}."
        )
    if level == "admission":
        rows = cohort[
            ["patient_id", "admit_time", "discharge_time", "age", "hospital",
             "admission_reason", *diagnoses, "died_in_hospital"]
        ].reset_index(drop=True)  # fmt: skip
    else:
        ordered = cohort.sort_values(["patient_id", "admit_time"], kind="stable")
        grouped = ordered.groupby("patient_id", sort=True)
        first = grouped[["admit_time", "age", "hospital"]].first()
        rows = pd.DataFrame(
            {
                "patient_id": first.index,
                "first_admission": first["admit_time"].to_numpy(),
                "age": first["age"].to_numpy(),
                "hospital": first["hospital"].to_numpy(),
                "n_admissions": grouped.size().to_numpy(),
            }
        )
        flags = grouped[[*diagnoses, "died_in_hospital"]].max()
        for column in flags.columns:
            rows[column] = flags[column].to_numpy().astype(np.int8)
    demographics = person.loc[rows["patient_id"]].reset_index(drop=True)
    extract = pd.concat(
        [
            rows["patient_id"].rename(TRUTH_COLUMN).reset_index(drop=True),
            demographics,
            rows.drop(columns="patient_id"),
        ],
        axis=1,
    )
    logger.info("released extract: %d rows at %s level", len(extract), level)
    return extract


def sensitive_diagnosis(
    frame: pd.DataFrame, *, conditions: Iterable[str] = codes.SENSITIVE_CONDITIONS
) -> pd.Series:
    """Return one label per row naming its sensitive diagnoses.

    Combines 0/1 diagnosis flags into one sensitive attribute with several
    values, as a disease registry would hold: ``"depression"``,
    ``"alcohol_use_disorder + depression"``, or ``"none"``.

    Parameters
    ----------
    frame : DataFrame
        A cohort or an extract with one 0/1 column per condition.
    conditions : iterable of str, default codes.SENSITIVE_CONDITIONS
        The flag columns to combine, in alphabetical order in the labels.

    Returns
    -------
    Series of str
        Same index as ``frame``, named ``"diagnosis"``.

    Raises
    ------
    TypeError, MissingColumnError
        If ``frame`` is not a DataFrame or lacks a condition column.
    """
    names = sorted([conditions] if isinstance(conditions, str) else conditions)
    check_columns(frame, names, name="frame")
    label = pd.Series("", index=frame.index, dtype=object)
    for name in names:
        flagged = frame[name].to_numpy() == 1
        joined = np.where(label == "", name, label + " + " + name)
        label = label.where(~flagged, pd.Series(joined, index=frame.index))
    return label.where(label != "", "none").rename("diagnosis")
