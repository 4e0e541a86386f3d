"""Clinical code tables used by the generator and the cohort builder.

Introduced in lesson 01 (``notebooks/01_ehr_data.ipynb``). Codes come from real
terminologies with their real display names, as Synthea writes them: SNOMED CT for
encounter types and conditions, LOINC for laboratory results and vital signs, and
RxNorm for medications. The cohort builder looks codes up here, so a real Synthea
export that uses the same codes yields the same features.
"""

from __future__ import annotations

from dataclasses import dataclass

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


@dataclass(frozen=True)
class Code:
    """One concept: its code system, code, display name and (for LOINC) unit."""

    system: str
    code: str
    display: str
    unit: str = ""


# --- encounter types (SNOMED CT) -------------------------------------------------
ENCOUNTER_WELLNESS = Code(
    SNOMED, "162673000", "General examination of patient (procedure)"
)
ENCOUNTER_PROBLEM = Code(SNOMED, "185347001", "Encounter for problem (procedure)")
ENCOUNTER_FOLLOW_UP = Code(SNOMED, "390906007", "Follow-up encounter (procedure)")
ENCOUNTER_EMERGENCY = Code(SNOMED, "50849002", "Emergency room admission (procedure)")
ENCOUNTER_EMERGENCY_ADMISSION = Code(
    SNOMED, "183452005", "Emergency hospital admission (procedure)"
)
ENCOUNTER_ADMISSION = Code(SNOMED, "32485007", "Hospital admission (procedure)")

# --- chronic conditions (SNOMED CT): the comorbidity flags of the cohort ---------
#: Short feature name -> concept. Order is the order of the cohort's columns.
COMORBIDITIES: dict[str, Code] = {
    "hypertension": Code(SNOMED, "59621000", "Essential hypertension (disorder)"),
    "diabetes": Code(SNOMED, "44054006", "Diabetes mellitus type 2 (disorder)"),
    "obesity": Code(SNOMED, "162864005", "Body mass index 30+ - obesity (finding)"),
    "heart_failure": Code(
        SNOMED, "88805009", "Chronic congestive heart failure (disorder)"
    ),
    "coronary_disease": Code(
        SNOMED, "53741008", "Coronary arteriosclerosis (disorder)"
    ),
    "atrial_fibrillation": Code(SNOMED, "49436004", "Atrial fibrillation (disorder)"),
    "copd": Code(SNOMED, "13645005", "Chronic obstructive lung disease (disorder)"),
    "ckd": Code(SNOMED, "709044004", "Chronic kidney disease (disorder)"),
    "cancer": Code(SNOMED, "363346000", "Malignant neoplastic disease (disorder)"),
    "dementia": Code(SNOMED, "52448006", "Dementia (disorder)"),
    "liver_cirrhosis": Code(SNOMED, "19943007", "Cirrhosis of liver (disorder)"),
    "prior_stroke": Code(SNOMED, "230690007", "Cerebrovascular accident (disorder)"),
    "depression": Code(SNOMED, "370143000", "Major depressive disorder (disorder)"),
    "alcohol_use_disorder": Code(SNOMED, "7200002", "Alcoholism (disorder)"),
    "hiv": Code(
        SNOMED, "86406008", "Human immunodeficiency virus infection (disorder)"
    ),
}

#: Diagnoses treated as especially sensitive in lessons 02 and 03.
SENSITIVE_CONDITIONS = ("hiv", "depression", "alcohol_use_disorder")

# --- reasons for admission (SNOMED CT) --------------------------------------------
ADMISSION_REASONS: dict[str, Code] = {
    "sepsis": Code(SNOMED, "91302008", "Sepsis (disorder)"),
    "pneumonia": Code(SNOMED, "233604007", "Pneumonia (disorder)"),
    "myocardial_infarction": Code(
        SNOMED, "22298006", "Myocardial infarction (disorder)"
    ),
    "stroke": Code(SNOMED, "230690007", "Cerebrovascular accident (disorder)"),
    "heart_failure_exacerbation": Code(
        SNOMED, "42343007", "Congestive heart failure (disorder)"
    ),
    "copd_exacerbation": Code(
        SNOMED,
        "195951007",
        "Acute exacerbation of chronic obstructive airways disease (disorder)",
    ),
    "hip_fracture": Code(SNOMED, "359817006", "Closed fracture of hip (disorder)"),
    "covid19": Code(
        SNOMED,
        "840539006",
        "Disease caused by severe acute respiratory syndrome coronavirus 2 (disorder)",
    ),
    "urinary_tract_infection": Code(
        SNOMED, "68566005", "Urinary tract infectious disease (disorder)"
    ),
    "gastroenteritis": Code(SNOMED, "25374005", "Gastroenteritis (disorder)"),
    "appendicitis": Code(SNOMED, "74400008", "Appendicitis (disorder)"),
}

# --- vital signs and laboratory results (LOINC) ----------------------------------
VITALS: dict[str, Code] = {
    "heart_rate": Code(LOINC, "8867-4", "Heart rate", "/min"),
    "systolic_bp": Code(LOINC, "8480-6", "Systolic Blood Pressure", "mm[Hg]"),
    "diastolic_bp": Code(LOINC, "8462-4", "Diastolic Blood Pressure", "mm[Hg]"),
    "respiratory_rate": Code(LOINC, "9279-1", "Respiratory rate", "/min"),
    "temperature": Code(LOINC, "8310-5", "Body temperature", "Cel"),
    "oxygen_saturation": Code(
        LOINC, "2708-6", "Oxygen saturation in Arterial blood", "%"
    ),
    "bmi": Code(LOINC, "39156-5", "Body mass index (BMI) [Ratio]", "kg/m2"),
    "body_weight": Code(LOINC, "29463-7", "Body Weight", "kg"),
}

LABS: dict[str, Code] = {
    "creatinine": Code(
        LOINC, "2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL"
    ),
    "urea_nitrogen": Code(
        LOINC, "6299-2", "Urea nitrogen [Mass/volume] in Blood", "mg/dL"
    ),
    "sodium": Code(
        LOINC, "2951-2", "Sodium [Moles/volume] in Serum or Plasma", "mmol/L"
    ),
    "potassium": Code(
        LOINC, "2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L"
    ),
    "glucose": Code(
        LOINC, "2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL"
    ),
    "hemoglobin": Code(LOINC, "718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL"),
    "leukocytes": Code(
        LOINC,
        "6690-2",
        "Leukocytes [#/volume] in Blood by Automated count",
        "10*3/uL",
    ),
    "platelets": Code(
        LOINC, "777-3", "Platelets [#/volume] in Blood by Automated count", "10*3/uL"
    ),
    "albumin": Code(
        LOINC, "1751-7", "Albumin [Mass/volume] in Serum or Plasma", "g/dL"
    ),
    "lactate": Code(
        LOINC, "2524-7", "Lactate [Moles/volume] in Serum or Plasma", "mmol/L"
    ),
    "hba1c": Code(LOINC, "4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%"),
}

# --- chronic medications (RxNorm), started when their condition is diagnosed -----
MEDICATIONS: dict[str, tuple[Code, ...]] = {
    "hypertension": (
        Code(RXNORM, "314076", "lisinopril 10 MG Oral Tablet"),
        Code(RXNORM, "197361", "amlodipine 5 MG Oral Tablet"),
        Code(RXNORM, "310798", "Hydrochlorothiazide 25 MG Oral Tablet"),
    ),
    "diabetes": (
        Code(
            RXNORM,
            "860975",
            "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet",
        ),
        Code(
            RXNORM,
            "106892",
            "insulin isophane, human 70 UNT/ML / insulin, regular, human 30 UNT/ML "
            "Injectable Suspension",
        ),
    ),
    "heart_failure": (
        Code(RXNORM, "313988", "Furosemide 40 MG Oral Tablet"),
        Code(RXNORM, "200031", "carvedilol 6.25 MG Oral Tablet"),
    ),
    "coronary_disease": (
        Code(RXNORM, "243670", "aspirin 81 MG Oral Tablet"),
        Code(RXNORM, "259255", "atorvastatin 80 MG Oral Tablet"),
    ),
    "atrial_fibrillation": (
        Code(RXNORM, "855332", "Warfarin Sodium 5 MG Oral Tablet"),
        Code(RXNORM, "1364430", "apixaban 2.5 MG Oral Tablet"),
    ),
    "copd": (
        Code(
            RXNORM, "745679", "200 ACTUAT Albuterol 0.09 MG/ACTUAT Metered Dose Inhaler"
        ),
        Code(
            RXNORM,
            "895994",
            "120 ACTUAT Fluticasone propionate 0.044 MG/ACTUAT Metered Dose Inhaler",
        ),
    ),
    "depression": (Code(RXNORM, "312938", "Sertraline 100 MG Oral Tablet"),),
    "hiv": (
        Code(
            RXNORM,
            "1999563",
            "bictegravir 50 MG / emtricitabine 200 MG / tenofovir alafenamide 25 MG "
            "Oral Tablet",
        ),
    ),
}

#: Further codes that real Synthea exports use for the same comorbidities, so that
#: the cohort builder flags them too.
COMORBIDITY_ALIASES: dict[str, tuple[str, ...]] = {
    "copd": ("185086009", "87433001"),
    "ckd": ("431855005", "431856006", "433144002", "431857002", "46177005"),
    "cancer": ("254637007", "254632001", "363406005", "126906006", "254837009"),
    "dementia": ("26929004",),
    "heart_failure": ("84114007",),
    "hypertension": ("38341003",),
}
