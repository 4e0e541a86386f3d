"""Lesson 02 (threat models): graded questions on anonymity and attacks.

Used by ``solutions/02_threat_models_solutions.ipynb`` and the exercise notebook
generated from it. The references here are written out in full, independent of
the package's helpers, so a check never depends on the code it teaches.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ehrpriv.grading import AnswerError, assert_matches_reference, question

_ZIPS = ("02118", "02139", "02143", "02169", "01852", "01201", "02554", "02535")


def _people(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """A hidden extract: quasi-identifiers and a sensitive diagnosis."""
    frame = pd.DataFrame(
        {
            "zip": rng.choice(_ZIPS[: int(rng.integers(3, 9))], size=n),
            "birth_year": rng.integers(1930, 2005, size=n),
            "sex": rng.choice(["F", "M"], size=n),
            "diagnosis": rng.choice(
                ["none", "depression", "hiv", "alcohol use disorder"],
                size=n,
                p=[0.7, 0.15, 0.05, 0.1],
            ),
        }
    )
    # coarse copies of some rows, so that classes of several sizes exist
    frame.loc[frame.index[: n // 3], "birth_year"] = 1950 + (
        frame["birth_year"].iloc[: n // 3] % 3
    )
    return frame.sample(frac=1.0, random_state=int(rng.integers(2**31)))


def _quasi(rng: np.random.Generator) -> list[str]:
    """A hidden choice of quasi-identifier columns."""
    options = [["zip", "birth_year", "sex"], ["zip", "sex"], ["birth_year", "sex"]]
    return options[int(rng.integers(len(options)))]


# --------------------------------------------------------------------------------
def _unique_share(frame: pd.DataFrame, quasi_identifiers: list[str]) -> float:
    """Reference: share of rows alone in their equivalence class."""
    sizes = frame.groupby(quasi_identifiers)[quasi_identifiers[0]].transform("size")
    return float((sizes == 1).mean())


@question(
    "02.uniqueness",
    points=2,
    answer="unique_share",
    title="Share of records unique on the quasi-identifiers",
    hints=(
        "Group the rows by the quasi-identifier columns; a row is unique when its "
        "group has exactly one row. Return the fraction of rows that are unique.",
    ),
)
def check_uniqueness(answer: Any, rng: np.random.Generator) -> None:
    """Shares match the reference on hidden extracts and column choices."""
    cases = [(_people(rng, int(rng.integers(60, 400))), _quasi(rng)) for _ in range(4)]
    assert_matches_reference(answer, _unique_share, cases)


# --------------------------------------------------------------------------------
def _k_of(frame: pd.DataFrame, quasi_identifiers: list[str]) -> int:
    """Reference: the size of the smallest equivalence class."""
    return int(frame.groupby(quasi_identifiers).size().min())


@question(
    "02.k_anonymity",
    points=2,
    answer="k_of",
    title="The k of a table",
    hints=(
        "A table is k-anonymous when every combination of quasi-identifier values "
        "is shared by at least k rows: k is the size of the smallest group.",
    ),
)
def check_k(answer: Any, rng: np.random.Generator) -> None:
    """k matches the reference, including on tables generalised to k > 1."""
    cases = []
    for _ in range(4):
        frame = _people(rng, int(rng.integers(80, 400)))
        if rng.random() < 0.5:  # generalise: decades and ZIP3, so that k > 1
            frame["birth_year"] = frame["birth_year"] // 10 * 10
            frame["zip"] = frame["zip"].str[:3]
        cases.append((frame, _quasi(rng)))
    assert_matches_reference(answer, _k_of, cases)


# --------------------------------------------------------------------------------
def _l_of(frame: pd.DataFrame, quasi_identifiers: list[str], sensitive: str) -> int:
    """Reference: fewest distinct sensitive values in any equivalence class."""
    return int(frame.groupby(quasi_identifiers)[sensitive].nunique().min())


@question(
    "02.l_diversity",
    points=2,
    answer="l_of",
    title="Distinct l-diversity of a table",
    hints=(
        "Within each group of rows sharing the quasi-identifiers, count the distinct "
        "values of the sensitive column; l is the smallest such count.",
    ),
)
def check_l(answer: Any, rng: np.random.Generator) -> None:
    """l matches the reference on hidden extracts."""
    cases = []
    for _ in range(4):
        frame = _people(rng, int(rng.integers(80, 400)))
        frame["birth_year"] = frame["birth_year"] // 20 * 20
        cases.append((frame, _quasi(rng), "diagnosis"))
    assert_matches_reference(answer, _l_of, cases)


# --------------------------------------------------------------------------------
def _loss_scores(probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Reference: membership score = minus the cross-entropy loss of each example."""
    p = np.clip(probs, 1e-12, 1 - 1e-12)
    return labels * np.log(p) + (1 - labels) * np.log(1 - p)


@question(
    "02.loss_threshold",
    points=3,
    answer="membership_scores",
    title="Scores of the loss-threshold membership attack",
    hints=(
        "Training examples tend to have a low loss. Score each example by minus its "
        "binary cross-entropy loss, so that a higher score means 'more likely a "
        "member'.",
    ),
)
def check_loss_threshold(answer: Any, rng: np.random.Generator) -> None:
    """Scores rank examples exactly as minus the loss does (any increasing map)."""
    n = int(rng.integers(300, 800))
    labels = (rng.random(n) < rng.uniform(0.1, 0.5)).astype(int)
    probs = np.clip(rng.beta(2, 5, size=n) + 0.3 * labels * rng.random(n), 0.001, 0.999)
    got = answer(probs.copy(), labels.copy())
    try:
        scores = np.asarray(got, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise AnswerError("return one number per example") from None
    if scores.shape != (n,):
        raise AnswerError(f"return {n} scores, one per example; got {scores.size}")
    reference = _loss_scores(probs, labels)
    order = np.argsort(reference, kind="stable")
    steps = np.diff(scores[order])
    ties = np.diff(reference[order]) == 0
    if np.any(steps[~ties] <= 0):
        raise AnswerError(
            "your scores do not increase with minus the loss: an example with a "
            "lower loss must get a higher score"
        )


# --------------------------------------------------------------------------------
def _tpr_at_fpr(scores: np.ndarray, is_member: np.ndarray, fpr: float) -> float:
    """Reference: best TPR over thresholds whose FPR does not exceed ``fpr``."""
    members = is_member.astype(bool)
    best = 0.0
    for threshold in np.unique(scores):
        flagged = scores >= threshold
        false_positive = flagged[~members].mean()
        if false_positive <= fpr:
            best = max(best, float(flagged[members].mean()))
    return best


@question(
    "02.tpr_at_fpr",
    points=2,
    answer="tpr_at_fpr",
    title="True-positive rate at a low false-positive rate",
    hints=(
        "Flag every example whose score is at or above a threshold. Among the "
        "thresholds whose false-positive rate (flagged non-members / non-members) "
        "is at most fpr, report the highest true-positive rate.",
    ),
)
def check_tpr(answer: Any, rng: np.random.Generator) -> None:
    """Values match the reference on hidden scores, with ties and tiny FPRs."""
    cases = []
    for case in range(4):
        n = int(rng.integers(400, 1500))
        is_member = (rng.random(n) < 0.5).astype(int)
        scores = rng.normal(size=n) + rng.uniform(0.2, 1.5) * is_member
        if case % 2:
            scores = np.round(scores, 1)  # many ties, as a coarse attack gives
        cases.append((scores, is_member, float(rng.uniform(0.002, 0.1))))
    assert_matches_reference(answer, _tpr_at_fpr, cases)
