"""Mutation tests for the questions of lesson 02 (see test_mutations.py)."""

from __future__ import annotations

import numpy as np
from test_mutations import assert_fails, assert_passes, solution_namespace

from ehrpriv.grading import questions_for_lesson


def test_solutions_pass() -> None:
    """Every lesson-02 solution passes on several hidden seeds."""
    namespace = solution_namespace("02")
    questions = questions_for_lesson("02")
    assert len(questions) >= 4
    for question in questions:
        assert_passes(question.id, namespace[question.answer])


# --------------------------------------------------------------------------------
# lesson 02
# --------------------------------------------------------------------------------
def test_uniqueness_mutants_fail() -> None:
    """Counting classes, duplicates or absolute numbers is rejected."""

    def share_of_classes(frame, quasi):
        """Unique classes over all classes, not over rows."""
        sizes = frame.groupby(quasi).size()
        return float((sizes == 1).mean())

    def duplicated_share(frame, quasi):
        """Counts the first of each duplicate group as unique."""
        return float((~frame.duplicated(quasi)).mean())

    def count(frame, quasi):
        """The number of unique rows instead of their share."""
        sizes = frame.groupby(quasi)[quasi[0]].transform("size")
        return int((sizes == 1).sum())

    for wrong in (share_of_classes, duplicated_share, count):
        assert_fails("02.uniqueness", wrong)


def test_k_mutants_fail() -> None:
    """The largest class, the number of classes or the mean size is rejected."""
    for wrong in (
        lambda frame, quasi: int(frame.groupby(quasi).size().max()),
        lambda frame, quasi: int(frame.groupby(quasi).ngroups),
        lambda frame, quasi: float(frame.groupby(quasi).size().mean()),
    ):
        assert_fails("02.k_anonymity", wrong)


def test_l_mutants_fail() -> None:
    """The most diverse class, the table-wide count or k itself is rejected."""
    for wrong in (
        lambda frame, quasi, sens: int(frame.groupby(quasi)[sens].nunique().max()),
        lambda frame, quasi, sens: int(frame[sens].nunique()),
        lambda frame, quasi, sens: int(frame.groupby(quasi).size().min()),
    ):
        assert_fails("02.l_diversity", wrong)


def test_loss_threshold_mutants_fail() -> None:
    """The loss itself, the raw probability or the label is rejected."""

    def loss(probs, labels):
        """Higher for likely non-members: the sign is flipped."""
        p = np.clip(probs, 1e-12, 1 - 1e-12)
        return -(labels * np.log(p) + (1 - labels) * np.log(1 - p))

    for wrong in (loss, lambda probs, labels: probs, lambda probs, labels: labels):
        assert_fails("02.loss_threshold", wrong)


def test_tpr_mutants_fail() -> None:
    """The AUC, an interpolated ROC curve or swapped rates is rejected."""
    from sklearn.metrics import roc_auc_score

    def interpolated(scores, is_member, fpr):
        """Interpolates the ROC curve between points instead of taking a point."""
        from sklearn.metrics import roc_curve

        false_positive, true_positive, _ = roc_curve(is_member, scores)
        return float(np.interp(fpr, false_positive, true_positive))

    def swapped(scores, is_member, fpr):
        """Reports the FPR at the best TPR instead."""
        members = np.asarray(is_member).astype(bool)
        return float((scores >= np.quantile(scores[members], 1 - fpr))[~members].mean())

    for wrong in (
        lambda scores, is_member, fpr: roc_auc_score(is_member, scores),
        interpolated,
        swapped,
    ):
        assert_fails("02.tpr_at_fpr", wrong)
