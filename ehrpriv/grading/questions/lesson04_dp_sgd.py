"""Lesson 04 (DP-SGD): graded questions on clipping, accounting and auditing.

Used by ``solutions/04_dp_sgd_solutions.ipynb`` and the exercise notebook
generated from it. Each check draws hidden inputs from its ``rng`` (fresh seeds
at grading time) and tests properties of the learner's function: agreement with
Opacus's clipping, a noise multiplier that keeps the accountant's ε within the
target without wasting noise, δ chosen from the number of patients, and the
reading of a membership attack at a low false-positive rate.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from sklearn.metrics import roc_curve

from ehrpriv import dpsgd
from ehrpriv.grading import (
    AnswerError,
    assert_matches_reference,
    assert_value_close,
    question,
)

# --------------------------------------------------------------------------------
# 04.clip_gradients
# --------------------------------------------------------------------------------


def _clip(grads: list[np.ndarray], max_grad_norm: float) -> list[np.ndarray]:
    """Reference: Opacus's flat clipping, through the package's helper."""
    tensors = [torch.as_tensor(np.asarray(g, dtype=np.float64)) for g in grads]
    clipped, _ = dpsgd.clip_per_sample_gradients(tensors, max_grad_norm=max_grad_norm)
    return [c.numpy() for c in clipped]


def _clip_inputs(rng: np.random.Generator) -> tuple[list[np.ndarray], float]:
    """Hidden per-sample gradients of a weight and a bias, with edge cases."""
    n = int(rng.integers(20, 40))
    d_in, d_out = int(rng.integers(3, 8)), int(rng.integers(1, 4))
    scale = rng.lognormal(0.0, 1.0, size=n)  # norms from well below to well above C
    weight = rng.normal(size=(n, d_out, d_in)) * scale[:, None, None]
    bias = rng.normal(size=(n, d_out)) * scale[:, None]
    weight[0], bias[0] = 0.0, 0.0  # a zero gradient must stay zero (no 0/0)
    # an example whose weight part alone is below C but whose whole gradient
    # is above it: clipping each parameter separately gets it wrong
    max_grad_norm = float(rng.uniform(0.5, 2.0))
    weight[1] *= 0.9 * max_grad_norm / np.linalg.norm(weight[1])
    bias[1] *= 0.9 * max_grad_norm / np.linalg.norm(bias[1])
    return [weight, bias], max_grad_norm


@question(
    "04.clip_gradients",
    points=3,
    answer="clip_gradients",
    title="Per-sample gradient clipping, as Opacus does it",
    hints=(
        "Compute each example's norm over all parameters together (the square "
        "root of the sum of squares of all its entries), then multiply its "
        "gradient by min(1, C / norm).",
    ),
)
def check_clip(answer: Any, rng: np.random.Generator) -> None:
    """Clipped gradients match Opacus's flat clipping on hidden gradients."""
    inputs = [_clip_inputs(rng) for _ in range(2)]
    for grads, max_grad_norm in inputs:
        got = answer([g.copy() for g in grads], max_grad_norm)
        if not isinstance(got, (list, tuple)) or len(got) != len(grads):
            raise AnswerError(
                f"return a list of {len(grads)} arrays, one per parameter, each "
                "with the shape of its input"
            )
        norms = np.sqrt(
            sum(np.square(np.asarray(g, float)).reshape(len(g), -1).sum(1) for g in got)
        )
        if not np.isfinite(norms).all():
            raise AnswerError(
                "your clipped gradients hold NaN or inf: an example with a zero "
                "gradient must stay zero (do not divide by a zero norm)"
            )
        if norms.max() > max_grad_norm * (1 + 1e-5):
            raise AnswerError(
                f"an example's clipped gradient has norm {norms.max():.4f} over "
                f"all parameters, above max_grad_norm={max_grad_norm:.4f}"
            )
        expected = _clip(grads, max_grad_norm)
        for index, (mine, right) in enumerate(zip(got, expected, strict=True)):
            assert_value_close(
                mine,
                right,
                rtol=1e-5,
                atol=1e-6,
                name=f"clipped parameter {index} (shape {right.shape})",
            )


# --------------------------------------------------------------------------------
# 04.noise_multiplier
# --------------------------------------------------------------------------------


def _rdp_epsilon(
    sigma: float, *, delta: float, sample_rate: float, steps: int
) -> float:
    """ε of ``steps`` Poisson-subsampled Gaussian steps, Opacus's RDP accountant."""
    return dpsgd.epsilon_for(
        sigma, delta=delta, sample_rate=sample_rate, steps=steps, accountant="rdp"
    )


@question(
    "04.noise_multiplier",
    points=3,
    answer="noise_multiplier",
    title="The noise multiplier for a target ε",
    hints=(
        "The sampling rate is batch_size / n_records, and the accountant needs "
        "the number of steps, epochs / sample_rate, or the epochs with that "
        "sampling rate: opacus.accountants.utils.get_noise_multiplier(..., "
        'accountant="rdp") does the search.',
    ),
)
def check_noise_multiplier(answer: Any, rng: np.random.Generator) -> None:
    """σ keeps the RDP ε within the target and 5 % less noise would not."""
    for _ in range(2):
        n_records = int(rng.integers(2_000, 60_000))
        batch_size = int(rng.choice([64, 128, 256, 512, 1024]))
        epochs = int(rng.integers(2, 25))
        target = float(np.round(rng.uniform(0.5, 8.0), 2))
        delta = float(rng.choice([1e-5, 1e-6]))
        sigma = answer(target, delta, batch_size, n_records, epochs)
        try:
            sigma = float(sigma)
        except (TypeError, ValueError) as error:
            raise AnswerError(f"return σ as a number; got {sigma!r}") from error
        if not (math.isfinite(sigma) and sigma > 0):
            raise AnswerError(f"σ must be a positive number; got {sigma}")
        sample_rate = batch_size / n_records
        steps = int(epochs / sample_rate)
        case = (
            f"target ε={target}, δ={delta:g}, batch_size={batch_size}, "
            f"n_records={n_records}, epochs={epochs}"
        )
        spent = _rdp_epsilon(sigma, delta=delta, sample_rate=sample_rate, steps=steps)
        if spent > target + 1e-9:
            raise AnswerError(
                f"for {case}: your σ={sigma:.4g} spends ε={spent:.3f} over "
                f"{steps} steps (RDP accountant), above the target"
            )
        less = _rdp_epsilon(
            0.95 * sigma, delta=delta, sample_rate=sample_rate, steps=steps
        )
        if less <= target:
            raise AnswerError(
                f"for {case}: your σ={sigma:.4g} adds more noise than needed "
                f"(σ={0.95 * sigma:.4g} would still spend only ε={less:.3f})"
            )


# --------------------------------------------------------------------------------
# 04.choose_delta
# --------------------------------------------------------------------------------


def _delta(patient_ids: np.ndarray) -> float:
    """Reference: the largest power of ten at most 1 / (10 * number of patients)."""
    return dpsgd.suggest_delta(int(np.unique(patient_ids).size))


def _delta_inputs(rng: np.random.Generator) -> list[tuple[np.ndarray]]:
    """Hidden admission lists: patients with repeat admissions, round counts."""
    cases = []
    for n_patients in (
        int(rng.integers(150, 900)),
        int(rng.integers(2_000, 9_000)),
        int(10 ** int(rng.integers(3, 5))),  # a power of ten: 1/(10 n) exactly
        int(10 ** int(rng.integers(3, 5)) + 1),
    ):
        visits = rng.integers(1, 5, size=n_patients)
        ids = np.repeat(
            np.array([f"p{int(i):07d}" for i in rng.permutation(10**6)[:n_patients]]),
            visits,
        )
        cases.append((ids[rng.permutation(ids.size)],))
    return cases


@question(
    "04.choose_delta",
    points=2,
    answer="choose_delta",
    title="δ for the number of patients",
    hints=(
        "Count the patients (unique ids), not the admissions, then return the "
        "largest power of ten that is at most 1 / (10 * patients).",
    ),
)
def check_delta(answer: Any, rng: np.random.Generator) -> None:
    """δ matches the lesson's rule on hidden cohorts with repeat admissions."""
    assert_matches_reference(answer, _delta, _delta_inputs(rng), rtol=1e-9, atol=0)


# --------------------------------------------------------------------------------
# 04.tpr_at_fpr
# --------------------------------------------------------------------------------


def _tpr_at(scores: np.ndarray, is_member: np.ndarray, fpr: float) -> float:
    """Reference: the best TPR over thresholds whose FPR is at most ``fpr``."""
    false_pos, true_pos, _ = roc_curve(is_member, scores)
    return float(true_pos[false_pos <= fpr + 1e-12].max())


def _attack_inputs(
    rng: np.random.Generator,
) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """Hidden membership scores: a weak attack, a strong tail, unequal groups, ties."""
    cases = []
    for case in range(3):
        n_in, n_out = int(rng.integers(800, 3_000)), int(rng.integers(800, 3_000))
        member = np.r_[np.ones(n_in, dtype=int), np.zeros(n_out, dtype=int)]
        scores = rng.normal(size=n_in + n_out)
        exposed = rng.random(n_in) < rng.uniform(0.02, 0.1)  # memorised members
        scores[:n_in] += np.where(exposed, rng.uniform(2.5, 4.0), 0.1)
        if case == 2:  # coarse scores: many ties, as from a rounded confidence
            scores = np.round(scores, 1)
        order = rng.permutation(member.size)
        fpr = float(rng.choice([0.001, 0.005, 0.01, 0.02]))
        cases.append((scores[order], member[order], fpr))
    return cases


@question(
    "04.tpr_at_fpr",
    points=2,
    answer="tpr_at_fpr",
    title="True-positive rate of an attack at a low false-positive rate",
    hints=(
        "Sweep the threshold over the scores from high to low; among thresholds "
        "that flag at most a fraction fpr of the non-members, report the largest "
        "fraction of members flagged (sklearn.metrics.roc_curve gives both).",
    ),
)
def check_tpr(answer: Any, rng: np.random.Generator) -> None:
    """TPR at the hidden FPR matches the ROC reading on hidden attack scores."""
    assert_matches_reference(answer, _tpr_at, _attack_inputs(rng), rtol=0, atol=1e-9)


# --------------------------------------------------------------------------------
# 04.dp_tpr_bound
# --------------------------------------------------------------------------------


def _bound(fpr: float, epsilon: float, delta: float) -> float:
    """Reference: the (ε, δ)-DP hypothesis-testing bound on the TPR."""
    return float(dpsgd.mia_tpr_bound([fpr], epsilon=epsilon, delta=delta)[0])


@question(
    "04.dp_tpr_bound",
    points=2,
    answer="max_tpr",
    title="What (ε, δ)-DP promises against any membership attack",
    hints=(
        "Both the attacker's test and its complement are bounded: "
        "TPR <= e^ε FPR + δ and 1 - FPR <= e^ε (1 - TPR) + δ; a rate is also "
        "at most 1.",
    ),
)
def check_bound(answer: Any, rng: np.random.Generator) -> None:
    """The bound matches on hidden (FPR, ε, δ), where each constraint binds."""
    cases = [
        (float(rng.uniform(1e-4, 0.02)), float(rng.uniform(0.1, 2.0)), 1e-5),
        (float(rng.uniform(0.3, 0.9)), float(rng.uniform(0.5, 1.5)), 1e-6),
        (float(rng.uniform(0.05, 0.2)), float(rng.uniform(4.0, 8.0)), 1e-5),
        (float(rng.uniform(0.0, 0.01)), float(rng.uniform(0.5, 3.0)), 0.001),
    ]
    assert_matches_reference(answer, _bound, cases, rtol=1e-9, atol=1e-12)
