"""Lesson 03 (differential privacy): graded questions on mechanisms and budgets.

Used by ``solutions/03_differential_privacy_solutions.ipynb`` and the exercise
notebook generated from it. Randomised answers are checked in distribution with
:func:`ehrpriv.grading.assert_close_in_distribution`, whose false-failure rate for
a correct answer is at most 1e-7 per call (see docs/grading.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from ehrpriv.grading import (
    AnswerError,
    assert_close_in_distribution,
    assert_matches_reference,
    question,
)

_SAMPLES = 10_000


def _draw(answer: Any, n: int, *args: Any) -> np.ndarray:
    """Call a randomised answer ``n`` times and return its outputs as floats."""
    values = []
    for _ in range(n):
        value = answer(*args)
        try:
            values.append(float(value))
        except (TypeError, ValueError):
            raise AnswerError(f"return a number; got {value!r}") from None
    samples = np.asarray(values)
    if np.unique(samples).size < n // 2:
        raise AnswerError(
            "the answers barely vary: draw fresh noise from rng on every call"
        )
    return samples


# --------------------------------------------------------------------------------
@question(
    "03.laplace_count",
    points=3,
    answer="laplace_count",
    title="The Laplace mechanism for a count",
    hints=(
        "A count has sensitivity 1: add noise drawn with rng.laplace(0, 1 / epsilon) "
        "to the true count.",
    ),
)
def check_laplace_count(answer: Any, rng: np.random.Generator) -> None:
    """Outputs follow Laplace(count, 1/epsilon) for a hidden count and epsilon."""
    count = int(rng.integers(5, 5000))
    # away from 1, where a scale of epsilon and of 1/epsilon would coincide
    epsilon = float(rng.choice([rng.uniform(0.1, 0.6), rng.uniform(1.7, 3.0)]))
    samples = _draw(answer, _SAMPLES, count, epsilon, rng)
    reference = stats.laplace(loc=count, scale=1 / epsilon)
    assert_close_in_distribution(samples, reference, name="noisy counts")


# --------------------------------------------------------------------------------
def _rr_estimate(responses: np.ndarray, epsilon: float) -> float:
    """Reference: debiased share of 'yes' under randomized response."""
    keep = np.exp(epsilon) / (1 + np.exp(epsilon))
    return float((np.mean(responses) - (1 - keep)) / (2 * keep - 1))


@question(
    "03.rr_estimate",
    points=2,
    answer="rr_estimate",
    title="The randomized-response estimator",
    hints=(
        "Each respondent tells the truth with probability p = e^ε / (1 + e^ε), so "
        "E[share of yes] = p·π + (1 − p)(1 − π); solve for π.",
    ),
)
def check_rr(answer: Any, rng: np.random.Generator) -> None:
    """Estimates match the reference on hidden surveys and epsilons."""
    cases = []
    for _ in range(5):
        n = int(rng.integers(200, 5000))
        cases.append(
            (
                (rng.random(n) < rng.uniform(0.05, 0.9)).astype(int),
                float(rng.uniform(0.2, 3)),
            )
        )
    assert_matches_reference(answer, _rr_estimate, cases)


# --------------------------------------------------------------------------------
def _mean_sensitivity(lower: float, upper: float, n: int) -> float:
    """Reference: sensitivity of a clipped mean of n records (replace one)."""
    return (upper - lower) / n


@question(
    "03.mean_sensitivity",
    points=2,
    answer="clipped_mean_sensitivity",
    title="Sensitivity of a clipped mean",
    hints=(
        "With n public and every value clipped to [lower, upper], replacing one "
        "record moves the sum by at most upper − lower, so the mean by that over n.",
    ),
)
def check_sensitivity(answer: Any, rng: np.random.Generator) -> None:
    """Values match (upper - lower) / n on hidden bounds, some of them negative."""
    cases = []
    for _ in range(6):
        lower = float(rng.uniform(-50, 50))
        cases.append(
            (lower, lower + float(rng.uniform(0.5, 200)), int(rng.integers(2, 10**5)))
        )
    assert_matches_reference(answer, _mean_sensitivity, cases)


# --------------------------------------------------------------------------------
def _total_epsilon(epsilons: list[float], disjoint: bool) -> float:
    """Reference: parallel composition takes the max, sequential the sum."""
    return float(max(epsilons) if disjoint else sum(epsilons))


@question(
    "03.composition",
    points=2,
    answer="total_epsilon",
    title="Sequential and parallel composition",
    hints=(
        "Queries on the same records add their epsilons (sequential composition); "
        "queries on disjoint groups of records cost only the largest epsilon "
        "(parallel composition).",
    ),
)
def check_composition(answer: Any, rng: np.random.Generator) -> None:
    """Totals match on hidden lists of epsilons, disjoint or not."""
    cases = []
    for disjoint in (True, False, True, False):
        size = int(rng.integers(2, 12))
        cases.append((list(np.round(rng.uniform(0.05, 2.0, size=size), 3)), disjoint))
    assert_matches_reference(answer, _total_epsilon, cases)


# --------------------------------------------------------------------------------
@question(
    "03.dp_mean",
    points=3,
    answer="dp_mean",
    title="A differentially private mean with clipping",
    hints=(
        "Clip every value to [lower, upper] first, take the mean, then add Laplace "
        "noise with scale (upper − lower) / (n · epsilon), drawn from rng.",
    ),
)
def check_dp_mean(answer: Any, rng: np.random.Generator) -> None:
    """Outputs follow Laplace(clipped mean, (u - l)/(n eps)) on hidden lab values."""
    n = int(rng.integers(50, 400))
    lower = float(rng.uniform(1.0, 2.0))
    upper = lower + float(rng.uniform(1.0, 2.5))
    values = rng.lognormal(0.2, 0.9, size=n)  # some far above upper
    epsilon = float(rng.uniform(0.2, 2.0))
    samples = _draw(answer, _SAMPLES, values.copy(), lower, upper, epsilon, rng)
    center = float(np.clip(values, lower, upper).mean())
    reference = stats.laplace(loc=center, scale=(upper - lower) / (n * epsilon))
    assert_close_in_distribution(samples, reference, name="private means")
