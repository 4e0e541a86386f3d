"""Mutation tests of lesson 04: each question accepts the solution notebook's answer
and rejects plausible wrong answers, on several hidden seeds."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from opacus.accountants.utils import get_noise_multiplier
from sklearn.metrics import roc_auc_score, roc_curve
from test_mutations import assert_fails, assert_passes, solution_namespace

from ehrpriv.grading import get_question, questions_for_lesson


@pytest.fixture(scope="module")
def lesson04() -> dict[str, Any]:
    """The solution functions of lesson 04, from the solution notebook."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return solution_namespace("04")


@pytest.fixture(autouse=True)
def _quiet_accountant():
    """Opacus's RDP search warns about its order range at trial noise levels."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Optimal order is the")
        yield


def test_lesson_04_has_at_least_four_questions() -> None:
    """Lesson 04 registers four or more graded questions."""
    assert len(questions_for_lesson("04")) >= 4


def test_lesson_04_solutions_pass(lesson04: dict[str, Any]) -> None:
    """Every lesson-04 solution passes its check on several hidden seeds."""
    for question in questions_for_lesson("04"):
        assert_passes(question.id, lesson04[question.answer])


# --------------------------------------------------------------------------------
# 04.clip_gradients
# --------------------------------------------------------------------------------
def _norms(grads: list[np.ndarray]) -> np.ndarray:
    """Each example's norm over all parameters."""
    n = grads[0].shape[0]
    return np.sqrt(sum(np.square(g).reshape(n, -1).sum(1) for g in grads))


def _scale(grads: list[np.ndarray], factor: np.ndarray) -> list[np.ndarray]:
    """Multiply each example's rows by its factor."""
    return [g * factor.reshape((len(factor),) + (1,) * (g.ndim - 1)) for g in grads]


def test_clip_mutants_fail() -> None:
    """Per-parameter, per-coordinate, normalise-all, batch-level and 0/0 clipping."""

    def per_parameter(grads, c):
        """Clips each parameter's gradient separately."""
        return [_scale([g], np.minimum(1, c / np.maximum(_norms([g]), 1e-12)))[0]
                for g in grads]  # fmt: skip

    def per_coordinate(grads, c):
        """Clips each entry to [-C, C]."""
        return [np.clip(g, -c, c) for g in grads]

    def normalise_all(grads, c):
        """Scales every example to norm C, even small ones."""
        return _scale(grads, c / np.maximum(_norms(grads), 1e-12))

    def batch_level(grads, c):
        """Clips the whole batch by its total norm."""
        total = math.sqrt(sum(float(np.square(g).sum()) for g in grads))
        return [g * min(1.0, c / total) for g in grads]

    def divides_by_zero(grads, c):
        """min(1, C / norm) without guarding a zero norm."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return _scale(grads, np.minimum(1.0, c / _norms(grads)))

    for wrong in (per_parameter, per_coordinate, normalise_all, batch_level):
        assert_fails("04.clip_gradients", wrong)
    # a zero gradient gives 0 * min(1, inf) = 0, so this one is right after all;
    # the check must accept it rather than penalise a harmless idiom
    assert_passes("04.clip_gradients", divides_by_zero)


# --------------------------------------------------------------------------------
# 04.noise_multiplier
# --------------------------------------------------------------------------------
def test_noise_multiplier_mutants_fail() -> None:
    """Wrong accountant, epochs as steps, inverted rate, or a fixed σ."""

    def prv(eps, delta, batch, n, epochs):
        """The PRV accountant: less noise than RDP says is needed."""
        return get_noise_multiplier(target_epsilon=eps, target_delta=delta,
                                    sample_rate=batch / n, epochs=epochs,
                                    accountant="prv")  # fmt: skip

    def epochs_as_steps(eps, delta, batch, n, epochs):
        """Counts each epoch as a single step."""
        return get_noise_multiplier(target_epsilon=eps, target_delta=delta,
                                    sample_rate=batch / n, steps=epochs)  # fmt: skip

    def full_batch(eps, delta, batch, n, epochs):
        """Forgets the sampling: one full-batch step per epoch."""
        return get_noise_multiplier(target_epsilon=eps, target_delta=delta,
                                    sample_rate=1.0, epochs=epochs)  # fmt: skip

    def twice_the_noise(eps, delta, batch, n, epochs):
        """Safe, but twice the noise it needs (halves ε instead)."""
        return get_noise_multiplier(target_epsilon=eps / 2, target_delta=delta,
                                    sample_rate=batch / n, epochs=epochs)  # fmt: skip

    for wrong in (prv, epochs_as_steps, full_batch, twice_the_noise, lambda *a: 1.0):
        assert_fails("04.noise_multiplier", wrong)


# --------------------------------------------------------------------------------
# 04.choose_delta
# --------------------------------------------------------------------------------
def test_choose_delta_mutants_fail() -> None:
    """Admissions counted as people, 1/n, unrounded, and an off-by-one power."""

    def rows(ids):
        """Counts admissions instead of patients."""
        return 10.0 ** -math.ceil(math.log10(10 * len(ids)) - 1e-12)

    def one_over_n(ids):
        """δ = 1/n: far too large."""
        return 1.0 / len(np.unique(ids))

    def unrounded(ids):
        """δ = 1/(10 n), not a power of ten."""
        return 1.0 / (10 * len(np.unique(ids)))

    def floor_power(ids):
        """Rounds the exponent the wrong way: δ above 1/(10 n)."""
        return 10.0 ** -math.floor(math.log10(10 * len(np.unique(ids))))

    for wrong in (rows, one_over_n, unrounded, floor_power):
        assert_fails("04.choose_delta", wrong)


# --------------------------------------------------------------------------------
# 04.tpr_at_fpr
# --------------------------------------------------------------------------------
def test_tpr_at_fpr_mutants_fail() -> None:
    """Swapped groups, AUC instead of TPR, a quantile threshold, the wrong base."""

    def swapped(scores, is_member, fpr):
        """Thresholds on the members' scores instead of the non-members'."""
        fp, tp, _ = roc_curve(1 - np.asarray(is_member), scores)
        return float(tp[fp <= fpr].max())

    def auc(scores, is_member, fpr):
        """Reports the AUC."""
        return float(roc_auc_score(is_member, scores))

    def quantile(scores, is_member, fpr):
        """Threshold at the non-members' (1 - fpr) quantile, flagging >=."""
        member = np.asarray(is_member) == 1
        cut = np.quantile(scores[~member], 1 - fpr)
        return float(np.mean(scores[member] >= cut))

    def share_of_all(scores, is_member, fpr):
        """Flags the top fpr share of *all* candidates, not of the non-members."""
        member = np.asarray(is_member) == 1
        flagged = np.argsort(-scores, kind="stable")[: int(fpr * len(scores))]
        return float(member[flagged].sum() / member.sum())

    for wrong in (swapped, auc, quantile, share_of_all):
        assert_fails("04.tpr_at_fpr", wrong)


# --------------------------------------------------------------------------------
# 04.dp_tpr_bound
# --------------------------------------------------------------------------------
def test_dp_tpr_bound_mutants_fail() -> None:
    """One inequality only, δ forgotten, or ε used without the exponential."""

    def first_only(fpr, eps, delta):
        """Only TPR <= e^ε FPR + δ."""
        return min(1.0, math.exp(eps) * fpr + delta)

    def no_delta(fpr, eps, delta):
        """Pure ε-DP bound."""
        return min(1.0, math.exp(eps) * fpr, 1 - (1 - fpr) * math.exp(-eps))

    def linear(fpr, eps, delta):
        """(1 + ε) instead of e^ε."""
        return min(1.0, (1 + eps) * fpr + delta, 1 - (1 - delta - fpr) / (1 + eps))

    for wrong in (first_only, no_delta, linear):
        assert_fails("04.dp_tpr_bound", wrong)


def test_every_lesson_04_question_has_mutation_tests() -> None:
    """Each lesson-04 question is covered by a test in this file."""
    source = open(__file__, encoding="utf-8").read()
    for question in questions_for_lesson("04"):
        assert get_question(question.id).points >= 1
        assert question.id.split(".", 1)[1] in source, question.id
