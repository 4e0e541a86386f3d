"""The disease registry of lesson 03: one row per patient, ready for aggregate queries.

Introduced in lesson 03 (``notebooks/03_differential_privacy.ipynb``). A regional
registry holds each patient once, at the hospital of their first admission, with
their sensitive diagnoses and first lab values, plus the quasi-identifiers a
researcher may filter on (birth date and ZIP code). Holding each patient once is
what makes "add or remove one patient" change a count by at most 1 and makes the
per-hospital bins disjoint.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ehrpriv import codes
from ehrpriv._validation import check_columns
from ehrpriv.cohort import build_cohort

__all__ = ["REGISTRY_LABS", "build_registry"]

#: Lab values kept from each patient's first admission.
REGISTRY_LABS = ("creatinine", "lactate")


def build_registry(
    tables: Mapping[str, pd.DataFrame], *, admissions: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Return the registry: one row per adult patient with an inpatient admission.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Tables read by :func:`ehrpriv.synthea.read_synthea`; ``patients`` supplies
        birth date and ZIP code.
    admissions : DataFrame, optional
        Output of :func:`ehrpriv.cohort.build_cohort` on the same tables; built
        when omitted.

    Returns
    -------
    pandas.DataFrame
        Columns ``patient_id``, ``hospital`` (of the first admission), ``sex``,
        ``age`` (at the first admission), ``birthdate``, ``zip``, one 0/1 column per
        sensitive diagnosis in :data:`ehrpriv.codes.SENSITIVE_CONDITIONS` (on
        record at any admission) and the :data:`REGISTRY_LABS` values measured at
        the first admission (NaN if not measured). Sorted by ``patient_id``.

    Raises
    ------
    KeyError, MissingColumnError
        If a table or column is missing.
    """
    if "patients" not in tables:
        raise KeyError("tables is missing table(s) patients.")
    patients = check_columns(
        tables["patients"], ("Id", "BIRTHDATE", "ZIP"), name="patients"
    )
    if admissions is None:
        admissions = build_cohort(tables)
    sensitive = list(codes.SENSITIVE_CONDITIONS)
    check_columns(
        admissions,
        ("patient_id", "admit_time", "hospital", "sex", "age", *sensitive,
         *REGISTRY_LABS),
        name="admissions",
    )  # fmt: skip
    ordered = admissions.sort_values(["patient_id", "admit_time"], kind="stable")
    first = ordered.drop_duplicates("patient_id").set_index("patient_id")
    ever = ordered.groupby("patient_id")[sensitive].max()
    people = patients.set_index("Id").loc[first.index]
    registry = pd.DataFrame(
        {
            "hospital": first["hospital"],
            "sex": first["sex"],
            "age": first["age"],
            "birthdate": people["BIRTHDATE"].to_numpy(),
            "zip": people["ZIP"].astype(str).to_numpy(),
        },
        index=first.index,
    )
    registry = registry.join(ever.astype("int8")).join(first[list(REGISTRY_LABS)])
    return registry.rename_axis("patient_id").reset_index()
