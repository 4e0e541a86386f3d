"""Mutation tests for the questions of lesson 03 (see test_mutations.py)."""

from __future__ import annotations

import numpy as np
from test_mutations import assert_fails, assert_passes, solution_namespace

from ehrpriv.grading import questions_for_lesson


def test_solutions_pass() -> None:
    """Every lesson-03 solution passes on several hidden seeds."""
    namespace = solution_namespace("03")
    questions = questions_for_lesson("03")
    assert len(questions) >= 5
    for question in questions:
        assert_passes(question.id, namespace[question.answer])


# --------------------------------------------------------------------------------
# lesson 03
# --------------------------------------------------------------------------------
def test_laplace_count_mutants_fail() -> None:
    """Scale epsilon, Gaussian noise, no noise or twice the scale is rejected."""
    for wrong in (
        lambda count, eps, rng: count + rng.laplace(0, eps),
        lambda count, eps, rng: count + rng.normal(0, 1 / eps),
        lambda count, eps, rng: float(count),
        lambda count, eps, rng: count + rng.laplace(0, 2 / eps),
    ):
        assert_fails("03.laplace_count", wrong)


def test_rr_mutants_fail() -> None:
    """The raw share, the wrong truth probability or no rescaling is rejected."""

    def flipped_p(responses, eps):
        """Uses the lying probability where the truthful one belongs."""
        p = 1 / (1 + np.exp(eps))
        return float((np.mean(responses) - (1 - p)) / (2 * p - 1))

    def no_rescale(responses, eps):
        """Subtracts the bias but forgets to divide."""
        p = np.exp(eps) / (1 + np.exp(eps))
        return float(np.mean(responses) - (1 - p))

    for wrong in (lambda r, e: float(np.mean(r)), flipped_p, no_rescale):
        assert_fails("03.rr_estimate", wrong)


def test_sensitivity_mutants_fail() -> None:
    """Upper over n, the range alone or n - 1 is rejected."""
    for wrong in (
        lambda lo, hi, n: hi / n,
        lambda lo, hi, n: hi - lo,
        lambda lo, hi, n: (hi - lo) / (n - 1),
    ):
        assert_fails("03.mean_sensitivity", wrong)


def test_composition_mutants_fail() -> None:
    """Always summing, always the max, or the mean is rejected."""
    for wrong in (
        lambda eps, disjoint: float(sum(eps)),
        lambda eps, disjoint: float(max(eps)),
        lambda eps, disjoint: float(np.mean(eps)),
    ):
        assert_fails("03.composition", wrong)


def test_dp_mean_mutants_fail() -> None:
    """No clipping, the wrong sensitivity, or noise not divided by n is rejected."""

    def unclipped(values, lo, hi, eps, rng):
        """Forgets to clip."""
        return values.mean() + rng.laplace(0, (hi - lo) / (len(values) * eps))

    def upper_over_n(values, lo, hi, eps, rng):
        """Uses upper / n as the sensitivity."""
        clipped = np.clip(values, lo, hi)
        return clipped.mean() + rng.laplace(0, hi / (len(values) * eps))

    def not_over_n(values, lo, hi, eps, rng):
        """Calibrates the noise for a sum, not a mean."""
        clipped = np.clip(values, lo, hi)
        return clipped.mean() + rng.laplace(0, (hi - lo) / eps)

    for wrong in (unclipped, upper_over_n, not_over_n):
        assert_fails("03.dp_mean", wrong)
