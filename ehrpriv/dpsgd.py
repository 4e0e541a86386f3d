"""Differentially private training (DP-SGD with Opacus), accounting and audits.

Introduced in lesson 04 (``notebooks/04_dp_sgd.ipynb``): the hospital wants to
share its mortality model with a formal privacy guarantee for every patient whose
record trained it.

* :func:`train_private` trains a model of :mod:`ehrpriv.models` with
  :class:`opacus.PrivacyEngine` to a target (ε, δ); :func:`train_nonprivate` runs
  the same loop without clipping or noise, so that the two can be timed and
  compared on equal terms.
* :func:`noise_multiplier_for` and :func:`epsilon_for` convert between the noise
  multiplier and ε with Opacus's accountants (RDP or PRV); :func:`suggest_delta`
  picks δ from the number of people protected.
* :func:`per_sample_gradients`, :func:`clip_per_sample_gradients` and
  :func:`dp_sgd_step_by_hand` spell out one DP-SGD step by hand, clipping exactly
  as Opacus does, for teaching.
* :func:`mia_tpr_bound` and :func:`mia_auc_bound` give the most any membership
  attack can achieve against an (ε, δ)-DP model; :func:`membership_table` runs
  the lesson-02 attacks (:mod:`ehrpriv.attacks`) on trained models beside them.

**Who is protected.** DP-SGD protects the *records* of its training set: here,
rows. The cohort of lesson 01 has one row per admission and a patient may have up
to seven, so record-level DP protects an admission, not a patient. A patient with
``k`` admissions in the training set only gets the group-privacy guarantee
``(k ε, k e^{(k-1) ε} δ)`` (:func:`group_privacy`), which is far weaker. Lesson
04 therefore trains on one admission per patient
(:func:`one_admission_per_patient`): then a record *is* a patient, and (ε, δ)
holds per patient.

**Secure mode.** Opacus draws the noise and the Poisson batches from PyTorch's
default pseudo-random generator unless ``secure_mode=True``, which needs the
``torchcsprng`` package (a cryptographically secure generator; Opacus then also
sums several Gaussian draws against floating-point attacks on the noise).
Anyone who can reconstruct the generator's state, for example from a published
seed, can subtract the noise and undo the guarantee. Seeded, non-secure runs are
right for teaching and experiments only; :func:`train_private` warns when asked
for a production run without secure mode.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from matplotlib.axes import Axes
from opacus import PrivacyEngine
from opacus.accountants import create_accountant
from opacus.accountants.utils import get_noise_multiplier
from torch import nn
from tqdm.auto import tqdm

from ehrpriv import attacks, metrics, models
from ehrpriv._validation import (
    _describe,
    check_choice,
    check_columns,
    check_int,
    check_real,
    warn_if_weak,
)
from ehrpriv.scorecard import Scorecard, ScorecardRow

logger = logging.getLogger(__name__)

__all__ = [
    "ACCOUNTANTS",
    "InsecureNoiseWarning",
    "PrivateTrainingResult",
    "secure_rng_available",
    "suggest_delta",
    "noise_multiplier_for",
    "epsilon_for",
    "steps_for",
    "group_privacy",
    "one_admission_per_patient",
    "per_sample_gradients",
    "clip_per_sample_gradients",
    "dp_sgd_step_by_hand",
    "train_private",
    "train_nonprivate",
    "mia_tpr_bound",
    "mia_auc_bound",
    "privacy_utility_table",
    "membership_table",
    "subgroup_comparison",
    "scorecard_rows",
    "plot_privacy_utility",
    "plot_membership",
    "plot_attack_roc",
]

#: Accountants offered: Rényi DP (Mironov 2017) and the privacy random variable
#: accountant (Gopi, Lee & Wutschitz 2021), as implemented by Opacus.
ACCOUNTANTS = ("rdp", "prv")

#: Opacus adds this to each per-sample norm before dividing (optimizer.py).
CLIP_STABILITY = 1e-6

#: Warnings Opacus or PyTorch emit in the runs of this module that are known to
#: be benign, with the reason each is silenced (only inside this module's calls).
_BENIGN_WARNINGS = (
    # PrivacyEngine's reminder when secure_mode is off: train_private reports the
    # same fact itself, as a logged note for teaching runs and as an
    # InsecureNoiseWarning for production runs.
    r"Secure RNG turned off",
    # The RDP accountant's optimum sits at an end of its list of orders: the
    # epsilon it returns is then a valid but looser upper bound. It happens
    # mostly at the trial noise levels of Opacus's bisection search.
    r"Optimal order is the (largest|smallest) alpha",
    # Opacus's per-sample gradient hooks are full backward hooks; PyTorch notes
    # they fire on module outputs when the inputs (the features) need no
    # gradient, which is exactly the case here and changes nothing.
    r"Full backward hook is firing when gradients are computed with respect to",
)


class InsecureNoiseWarning(UserWarning):
    """DP noise drawn from a predictable generator in a run meant for production."""


# ---------------------------------------------------------------------------
# Small checks
# ---------------------------------------------------------------------------


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence only the :data:`_BENIGN_WARNINGS` (UserWarning) inside the block."""
    with warnings.catch_warnings():
        for message in _BENIGN_WARNINGS:
            warnings.filterwarnings("ignore", message=message, category=UserWarning)
        yield


def _check_epsilon(value: Any, *, name: str = "target_epsilon", inf: bool) -> float:
    """Return ε as a float after checking ε > 0 (``inf`` allowed when ``inf``)."""
    if inf and isinstance(value, Real) and not isinstance(value, bool):
        if math.isinf(float(value)) and float(value) > 0:
            return math.inf
    number = check_real(name, value, low=0.0, low_inclusive=False)
    if math.isinf(number):
        raise ValueError(
            f"{name} must be in (0, inf) (finite); got {_describe(value)}."
        )
    return number


def _check_delta(value: Any, name: str = "delta") -> float:
    """Return δ after checking 0 < δ < 1."""
    return check_real(
        name, value, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False
    )


def _check_sample_rate(value: Any) -> float:
    """Return the sampling rate after checking it lies in (0, 1]."""
    return check_real("sample_rate", value, low=0.0, high=1.0, low_inclusive=False)


def _check_positive_finite(name: str, value: Any) -> float:
    """Return a finite number > 0."""
    number = check_real(name, value, low=0.0, low_inclusive=False)
    if math.isinf(number):
        raise ValueError(
            f"{name} must be in (0, inf) (finite); got {_describe(value)}."
        )
    return number


def _check_bool(name: str, value: Any) -> bool:
    """Return ``value`` after checking it is a bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {_describe(value)}.")
    return bool(value)


def _check_model(model: Any) -> nn.Module:
    """Return ``model`` after checking it is a torch module with parameters."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}.")
    if not any(p.requires_grad for p in model.parameters()):
        raise ValueError("model must have trainable parameters; got none.")
    return model


# ---------------------------------------------------------------------------
# Accounting
# ---------------------------------------------------------------------------


def secure_rng_available() -> bool:
    """Return whether ``torchcsprng``, needed by Opacus's secure mode, is installed.

    Returns
    -------
    bool
        True when ``PrivacyEngine(secure_mode=True)`` can be created here.
    """
    return importlib.util.find_spec("torchcsprng") is not None


def suggest_delta(n_records: int) -> float:
    """Return δ for a dataset of ``n_records`` people: a power of ten ≤ 1/(10 n).

    The rule: the largest power of ten that does not exceed ``1 / (10 n)``. A
    mechanism that publishes each record in full with probability δ is
    (0, δ)-DP, so δ must be well below ``1 / n``: with this rule such a mechanism
    would expose at most 0.1 people in expectation. Count the units the guarantee
    protects (patients, not admissions: see :func:`one_admission_per_patient`).

    Parameters
    ----------
    n_records : int
        Number of people (privacy units) in the training data, >= 1.

    Returns
    -------
    float
        δ, for example ``1e-05`` for 7,500 patients and ``1e-05`` for 10,000.

    Raises
    ------
    TypeError, ValueError
        If ``n_records`` is not an integer >= 1.
    """
    n = check_int("n_records", n_records, low=1)
    exponent = len(str(10 * n - 1))  # smallest k with 10**k >= 10 n, exactly
    return float(10.0**-exponent)


def steps_for(epochs: int, sample_rate: float) -> int:
    """Return the number of noisy steps in ``epochs`` at ``sample_rate``.

    Opacus's convention: ``int(epochs / sample_rate)``, where
    ``sample_rate = 1 / len(data_loader)`` in :func:`train_private`.

    Raises
    ------
    TypeError, ValueError
        If ``epochs`` is not an integer >= 1 or ``sample_rate`` is outside (0, 1].
    """
    epochs = check_int("epochs", epochs, low=1)
    sample_rate = _check_sample_rate(sample_rate)
    return int(epochs / sample_rate)


def noise_multiplier_for(
    target_epsilon: float,
    *,
    delta: float,
    sample_rate: float,
    epochs: int | None = None,
    steps: int | None = None,
    accountant: str = "rdp",
) -> float:
    """Return the smallest noise multiplier σ that keeps training within (ε, δ).

    A thin, validated wrapper of :func:`opacus.accountants.utils.get_noise_multiplier`
    (binary search to within 0.01 of ε, always on the safe side: the ε reached is
    at most the target).

    Parameters
    ----------
    target_epsilon : float
        Privacy budget ε, > 0.
    delta : float
        δ, in (0, 1).
    sample_rate : float
        Probability that a record is in a batch (Poisson sampling), in (0, 1].
    epochs, steps : int, optional
        Training length; give exactly one. ``epochs`` means
        ``steps_for(epochs, sample_rate)`` steps.
    accountant : {"rdp", "prv"}, default "rdp"
        Rényi DP or privacy random variable accounting.

    Returns
    -------
    float
        The noise multiplier σ (noise standard deviation / clipping norm).

    Raises
    ------
    TypeError, ValueError
        If an argument is outside its range, or both or neither of ``epochs`` and
        ``steps`` are given.
    """
    target_epsilon = _check_epsilon(target_epsilon, inf=False)
    delta = _check_delta(delta)
    sample_rate = _check_sample_rate(sample_rate)
    check_choice("accountant", accountant, ACCOUNTANTS)
    if (epochs is None) == (steps is None):
        raise ValueError(
            "give exactly one of epochs and steps; got "
            f"epochs={_describe(epochs)} and steps={_describe(steps)}."
        )
    if epochs is not None:
        steps = steps_for(epochs, sample_rate)
    steps = check_int("steps", steps, low=1)
    with _quiet():
        return float(
            get_noise_multiplier(
                target_epsilon=target_epsilon,
                target_delta=delta,
                sample_rate=sample_rate,
                steps=steps,
                accountant=accountant,
            )
        )


def epsilon_for(
    noise_multiplier: float,
    *,
    delta: float,
    sample_rate: float,
    steps: int,
    accountant: str = "rdp",
) -> float:
    """Return the ε spent by ``steps`` noisy steps at ``noise_multiplier``.

    Parameters
    ----------
    noise_multiplier : float
        σ, >= 0; 0 (no noise) spends an infinite ε.
    delta : float
        δ, in (0, 1).
    sample_rate : float
        Poisson sampling rate, in (0, 1].
    steps : int
        Number of noisy steps, >= 1.
    accountant : {"rdp", "prv"}, default "rdp"
        Accountant, as in :func:`noise_multiplier_for`.

    Returns
    -------
    float
        ε (``inf`` when ``noise_multiplier`` is 0).

    Raises
    ------
    TypeError, ValueError
        If an argument is outside its range.
    """
    sigma = check_real("noise_multiplier", noise_multiplier, low=0.0)
    if math.isinf(sigma):
        raise ValueError(f"noise_multiplier must be finite; got {_describe(sigma)}.")
    delta = _check_delta(delta)
    sample_rate = _check_sample_rate(sample_rate)
    steps = check_int("steps", steps, low=1)
    check_choice("accountant", accountant, ACCOUNTANTS)
    if sigma == 0.0:
        return math.inf
    book = create_accountant(mechanism=accountant)
    book.history = [(sigma, sample_rate, steps)]
    with _quiet():
        return float(book.get_epsilon(delta=delta))


def group_privacy(
    *, epsilon: float, delta: float, group_size: int
) -> tuple[float, float]:
    """Return the guarantee for a group of ``group_size`` records of one person.

    An (ε, δ)-DP mechanism is ``(k ε, k e^{(k-1) ε} δ)``-DP for groups of ``k``
    records (Dwork & Roth 2014, group privacy): the guarantee a patient gets
    when ``k`` of their admissions are in a record-level DP training set.

    Parameters
    ----------
    epsilon : float
        Record-level ε, > 0.
    delta : float
        Record-level δ, in (0, 1).
    group_size : int
        Records belonging to the same person, >= 1.

    Returns
    -------
    (float, float)
        ``(epsilon_k, delta_k)``; ``delta_k`` is capped at 1 (no guarantee).

    Raises
    ------
    TypeError, ValueError
        If an argument is outside its range.
    """
    epsilon = _check_epsilon(epsilon, name="epsilon", inf=False)
    delta = _check_delta(delta)
    k = check_int("group_size", group_size, low=1)
    if (k - 1) * epsilon > 700:  # exp would overflow: the bound is trivial anyway
        return k * epsilon, 1.0
    return k * epsilon, float(min(1.0, k * delta * math.exp((k - 1) * epsilon)))


def one_admission_per_patient(
    frame: pd.DataFrame, *, seed: int = 0, patient_column: str = "patient_id"
) -> pd.DataFrame:
    """Keep one admission per patient, drawn at random, in the original order.

    Training on one row per patient makes record-level DP-SGD a patient-level
    guarantee (see the module notes). The draw is uniform among each patient's
    admissions, so the rows kept are distributed like admissions of the cohort.

    Parameters
    ----------
    frame : pandas.DataFrame
        Admissions, with ``patient_column``.
    seed : int, default 0
        Seed of the draw.
    patient_column : str, default "patient_id"
        Column identifying the patient.

    Returns
    -------
    pandas.DataFrame
        One row per patient (with its original index), in the order of ``frame``.

    Raises
    ------
    TypeError, MissingColumnError, ValueError
        If ``frame`` is not a DataFrame, lacks the column, or ``seed < 0``.
    """
    check_columns(frame, [patient_column], name="frame")
    seed = check_int("seed", seed, low=0)
    if len(frame) == 0:
        return frame.copy()
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(frame))
    shuffled = frame[patient_column].to_numpy()[order]
    _, first = np.unique(shuffled, return_index=True)
    keep = np.sort(order[first])
    return frame.iloc[keep]


# ---------------------------------------------------------------------------
# DP-SGD by hand (for teaching)
# ---------------------------------------------------------------------------


def _tensors(X: Any, y: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Return checked features and labels as float32 tensors."""
    features, labels = models._check_xy(X, y)
    return (
        torch.as_tensor(features, dtype=torch.float32),
        torch.as_tensor(labels, dtype=torch.float32),
    )


def per_sample_gradients(
    model: nn.Module,
    X: Any,
    y: Any,
    *,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
) -> list[torch.Tensor]:
    """Return each example's gradient of its own loss, one backward pass each.

    This is what Opacus computes in one pass with its hooks (``p.grad_sample``);
    the loop is slow but shows exactly what is meant. The model's ``.grad``
    fields are left untouched.

    Parameters
    ----------
    model : torch.nn.Module
        Returns logits of shape ``(n,)``.
    X : array-like of shape (n, n_features)
        Features.
    y : array-like of shape (n,)
        Binary labels.
    loss_fn : callable, optional
        ``loss_fn(logits, labels)``; defaults to binary cross-entropy with logits.

    Returns
    -------
    list of torch.Tensor
        One tensor per trainable parameter (in ``model.parameters()`` order), of
        shape ``(n, *parameter.shape)``.

    Raises
    ------
    TypeError, ValueError
        If the model or the data are invalid.
    """
    model = _check_model(model)
    features, labels = _tensors(X, y)
    loss_fn = nn.BCEWithLogitsLoss() if loss_fn is None else loss_fn
    params = [p for p in model.parameters() if p.requires_grad]
    rows: list[list[torch.Tensor]] = [[] for _ in params]
    for i in range(features.shape[0]):
        logit = model(features[i : i + 1]).reshape(-1)
        loss = loss_fn(logit, labels[i : i + 1])
        for store, grad in zip(rows, torch.autograd.grad(loss, params), strict=True):
            store.append(grad.detach())
    return [torch.stack(store) for store in rows]


def clip_per_sample_gradients(
    grads: Sequence[torch.Tensor], *, max_grad_norm: float
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Clip each example's whole gradient to norm at most ``max_grad_norm``.

    Opacus's "flat" clipping: an example's norm is taken over all parameters
    together, and its gradient is multiplied by
    ``min(1, C / (norm + 1e-6))``. Clipping bounds how much one example can move
    the sum, its *sensitivity*, to ``C``, which is what the noise is scaled to.

    Parameters
    ----------
    grads : sequence of torch.Tensor
        Per-sample gradients, each of shape ``(n, ...)`` (as from
        :func:`per_sample_gradients` or Opacus's ``p.grad_sample``).
    max_grad_norm : float
        Clipping norm ``C``, > 0.

    Returns
    -------
    (list of torch.Tensor, torch.Tensor)
        The clipped gradients (same shapes) and each example's norm before
        clipping, shape ``(n,)``.

    Raises
    ------
    TypeError, ValueError
        If ``grads`` is empty, not tensors, of different lengths, or
        ``max_grad_norm`` is not > 0.
    """
    clip = _check_positive_finite("max_grad_norm", max_grad_norm)
    tensors = list(grads) if isinstance(grads, Sequence) else None
    if not tensors or not all(isinstance(g, torch.Tensor) for g in tensors):
        raise TypeError(
            "grads must be a non-empty sequence of tensors of shape (n, ...); got "
            f"{_describe(grads)}."
        )
    n = tensors[0].shape[0] if tensors[0].dim() else -1
    if n < 0 or any(g.dim() == 0 or g.shape[0] != n for g in tensors):
        raise ValueError(
            "grads must all have the same first dimension n (one row per "
            f"example); got shapes {[tuple(g.shape) for g in tensors]}."
        )
    norms = torch.stack([g.reshape(n, -1).norm(2, dim=1) for g in tensors], dim=1)
    norms = norms.norm(2, dim=1)
    factor = (clip / (norms + CLIP_STABILITY)).clamp(max=1.0)
    clipped = [g * factor.reshape(n, *([1] * (g.dim() - 1))) for g in tensors]
    return clipped, norms


def dp_sgd_step_by_hand(
    model: nn.Module,
    X: Any,
    y: Any,
    *,
    max_grad_norm: float,
    noise_multiplier: float,
    lr: float,
    expected_batch_size: int | None = None,
    generator: torch.Generator | None = None,
) -> list[torch.Tensor]:
    """Take one DP-SGD step on the batch ``(X, y)`` by hand, updating ``model``.

    Per-sample gradients, clipped to ``C`` (:func:`clip_per_sample_gradients`),
    summed; Gaussian noise of standard deviation ``σ C`` added to the sum;
    divided by the expected batch size; then a plain SGD step. With
    ``noise_multiplier=0`` it matches an Opacus ``DPOptimizer`` step exactly.

    Parameters
    ----------
    model : torch.nn.Module
        Returns logits; its parameters are updated in place.
    X, y : array-like
        The batch.
    max_grad_norm : float
        Clipping norm ``C``, > 0.
    noise_multiplier : float
        σ, >= 0.
    lr : float
        Learning rate, > 0.
    expected_batch_size : int, optional
        Divisor of the noisy sum (Opacus: ``sample_rate * n_records``);
        defaults to the batch's size.
    generator : torch.Generator, optional
        Source of the noise (the global generator when None).

    Returns
    -------
    list of torch.Tensor
        The noisy gradient applied to each parameter.

    Raises
    ------
    TypeError, ValueError
        If an argument is outside its range.
    """
    sigma = check_real("noise_multiplier", noise_multiplier, low=0.0)
    lr = _check_positive_finite("lr", lr)
    grads = per_sample_gradients(model, X, y)
    clipped, _ = clip_per_sample_gradients(grads, max_grad_norm=max_grad_norm)
    n = grads[0].shape[0]
    divisor = n if expected_batch_size is None else expected_batch_size
    divisor = check_int("expected_batch_size", divisor, low=1)
    noisy = []
    for part in clipped:
        total = part.sum(dim=0)
        if sigma > 0:
            total = total + torch.normal(
                0.0, sigma * float(max_grad_norm), total.shape, generator=generator
            )
        noisy.append(total / divisor)
    params = [p for p in model.parameters() if p.requires_grad]
    with torch.no_grad():
        for param, grad in zip(params, noisy, strict=True):
            param -= lr * grad
    return noisy


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


@dataclass
class PrivateTrainingResult:
    """A model trained by :func:`train_private` (or :func:`train_nonprivate`).

    Attributes
    ----------
    model : torch.nn.Module
        The trained model, unwrapped (no Opacus hooks left on it).
    target_epsilon : float
        ε asked for (``inf``: no noise; non-private runs too).
    epsilon : float
        ε spent according to the accountant (``inf`` without noise).
    delta : float or None
        δ of the guarantee (None for non-private runs).
    noise_multiplier : float
        σ: noise standard deviation divided by the clipping norm.
    max_grad_norm : float or None
        Clipping norm ``C`` (None: no clipping).
    sample_rate : float
        Poisson sampling rate (private) or batch share (non-private).
    steps : int
        Optimizer steps taken.
    epochs, batch_size : int
        Passes over the data and (expected) rows per batch.
    accountant : str or None
        ``"rdp"`` or ``"prv"`` (None for non-private runs).
    train_loss : list of float
        Mean training loss per epoch.
    setup_seconds : float
        Time to wrap the model, including the search for σ.
    train_seconds : float
        Time of the training loop alone.
    """

    model: nn.Module
    target_epsilon: float
    epsilon: float
    delta: float | None
    noise_multiplier: float
    max_grad_norm: float | None
    sample_rate: float
    steps: int
    epochs: int
    batch_size: int
    accountant: str | None
    train_loss: list[float] = field(default_factory=list)
    setup_seconds: float = 0.0
    train_seconds: float = 0.0

    @property
    def private(self) -> bool:
        """Whether the run carries a finite (ε, δ) guarantee."""
        return math.isfinite(self.epsilon)

    @property
    def seconds_per_epoch(self) -> float:
        """Mean wall time of one epoch of the training loop."""
        return self.train_seconds / self.epochs

    @property
    def guarantee(self) -> str:
        """The guarantee in words, e.g. ``"(ε = 0.99, δ = 1e-05)"``."""
        if self.private:
            return f"(ε = {self.epsilon:.2f}, δ = {self.delta:.0e})"
        if self.max_grad_norm is not None:
            return "none (clipping, no noise: ε = ∞)"
        return "none (non-private: ε = ∞)"

    @property
    def label(self) -> str:
        """Short name: ``"ε = 1"``, ``"ε = ∞ (clip only)"`` or ``"non-private"``."""
        if self.max_grad_norm is None:
            return "non-private"
        if math.isinf(self.target_epsilon):
            return "ε = ∞ (clip only)"
        return f"ε = {self.target_epsilon:g}"

    def predict_proba(self, X: Any) -> np.ndarray:
        """Return the model's probabilities for the rows of ``X``."""
        return models.predict_proba(self.model, X)


def train_private(
    model: nn.Module,
    X: Any,
    y: Any,
    *,
    target_epsilon: float,
    delta: float,
    epochs: int,
    batch_size: int,
    max_grad_norm: float,
    lr: float,
    seed: int | None = 0,
    accountant: str = "rdp",
    secure_mode: bool = False,
    production: bool = False,
    progress: bool = False,
) -> PrivateTrainingResult:
    """Train ``model`` with DP-SGD (Opacus) to a target (ε, δ).

    Wraps the model, an SGD optimizer and a loader of ``(X, y)`` with
    :meth:`opacus.PrivacyEngine.make_private_with_epsilon` (Poisson sampling at
    rate ``1 / number of batches``, flat per-sample clipping to
    ``max_grad_norm``, Gaussian noise of σ found by the accountant), then runs
    :func:`ehrpriv.models.train_epoch` for ``epochs`` epochs. The guarantee is
    per *record* of ``X``: train on one admission per patient
    (:func:`one_admission_per_patient`) for a per-patient guarantee.

    With ``target_epsilon=inf`` the same loop runs with clipping and no noise
    (``noise_multiplier = 0``), to separate the cost of clipping from the cost
    of noise; it carries no guarantee.

    Parameters
    ----------
    model : torch.nn.Module
        Model of :func:`ehrpriv.models.make_model` (Linear, ReLU, Dropout);
        trained in place and returned unwrapped.
    X : array-like of shape (n, n_features)
        Finite training features.
    y : array-like of shape (n,)
        Binary labels.
    target_epsilon : float
        ε, > 0 (``math.inf`` for clipping without noise).
    delta : float
        δ, in (0, 1); see :func:`suggest_delta`.
    epochs : int
        Passes over the data, >= 1.
    batch_size : int
        Expected rows per batch, in [1, n].
    max_grad_norm : float
        Per-sample clipping norm ``C``, > 0.
    lr : float
        SGD learning rate, > 0.
    seed : int or None, default 0
        Seeds the model's batches and noise (through a forked torch generator,
        leaving the global state untouched). A seed makes the noise reproducible
        by anyone who knows it: for teaching only. Must be None in secure mode.
    accountant : {"rdp", "prv"}, default "rdp"
        Accountant used to find σ and report ε.
    secure_mode : bool, default False
        Opacus's secure mode (cryptographically secure noise and sampling);
        needs ``torchcsprng`` (see :func:`secure_rng_available`).
    production : bool, default False
        Say that the model will be released: without ``secure_mode`` this emits
        an :class:`InsecureNoiseWarning`.
    progress : bool, default False
        Show a progress bar over epochs with the loss and the ε spent so far.

    Returns
    -------
    PrivateTrainingResult
        The trained model, ε spent, σ, losses and timings.

    Raises
    ------
    TypeError, ValueError
        If an argument is outside its range, or ``seed`` is given with
        ``secure_mode=True``.
    RuntimeError
        If ``secure_mode=True`` and ``torchcsprng`` is not installed.

    Warns
    -----
    InsecureNoiseWarning
        If ``production=True`` and ``secure_mode=False``.
    """
    model = _check_model(model)
    features, labels = models._check_xy(X, y)
    n = features.shape[0]
    target_epsilon = _check_epsilon(target_epsilon, inf=True)
    delta = _check_delta(delta)
    warn_if_weak(epsilon=target_epsilon, delta=delta, n_records=n)
    epochs = check_int("epochs", epochs, low=1)
    batch_size = check_int("batch_size", batch_size, low=1, high=n)
    max_grad_norm = _check_positive_finite("max_grad_norm", max_grad_norm)
    lr = _check_positive_finite("lr", lr)
    check_choice("accountant", accountant, ACCOUNTANTS)
    secure_mode = _check_bool("secure_mode", secure_mode)
    production = _check_bool("production", production)
    progress = _check_bool("progress", progress)
    if seed is not None:
        seed = check_int("seed", seed, low=0)
    if secure_mode:
        if seed is not None:
            raise ValueError(
                "seed must be None when secure_mode=True (a seeded generator is "
                f"predictable, which secure mode exists to prevent); got {seed}."
            )
        if not secure_rng_available():
            raise RuntimeError(
                "secure_mode=True needs the torchcsprng package, which is not "
                "installed here (secure_rng_available() is False). Train with "
                "secure_mode=False for experiments, and retrain once in an "
                "environment with torchcsprng before releasing a model."
            )
    elif production:
        warnings.warn(
            "production=True with secure_mode=False: the DP noise and the batches "
            "come from PyTorch's default pseudo-random generator"
            + (f", seeded with {seed}" if seed is not None else "")
            + "; anyone who can reconstruct its state can remove the noise. "
            "Retrain with secure_mode=True (needs torchcsprng) before release.",
            InsecureNoiseWarning,
            stacklevel=2,
        )
    else:
        logger.info("secure_mode is off: fine for teaching, not for a release")

    loader = models.make_loader(
        features, labels, batch_size=batch_size, seed=0 if seed is None else seed
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    with torch.random.fork_rng(devices=[]), _quiet():
        if seed is not None:
            torch.manual_seed(seed)
        started = time.perf_counter()
        engine = PrivacyEngine(accountant=accountant, secure_mode=secure_mode)
        common = dict(
            module=model,
            optimizer=optimizer,
            data_loader=loader,
            max_grad_norm=max_grad_norm,
        )
        if math.isinf(target_epsilon):
            dp_model, dp_opt, dp_loader = engine.make_private(
                noise_multiplier=0.0, **common
            )
        else:
            dp_model, dp_opt, dp_loader = engine.make_private_with_epsilon(
                target_epsilon=target_epsilon,
                target_delta=delta,
                epochs=epochs,
                **common,
            )
        setup = time.perf_counter() - started
        sigma = float(dp_opt.noise_multiplier)
        title = "DP-SGD" + ("" if sigma else " (clip only)")
        bar = tqdm(range(epochs), desc=title, unit="epoch", disable=not progress)
        losses: list[float] = []
        train_time = 0.0
        for epoch in bar:
            tick = time.perf_counter()
            loss = models.train_epoch(dp_model, dp_loader, dp_opt)
            train_time += time.perf_counter() - tick
            losses.append(loss)
            postfix = {"loss": f"{loss:.4f}"}
            if progress and sigma > 0:
                postfix["ε"] = f"{engine.get_epsilon(delta):.3f}"
            bar.set_postfix(postfix)
            logger.debug("epoch %d: %s", epoch + 1, postfix)
        spent = engine.get_epsilon(delta) if sigma > 0 else math.inf
        sample_rate = float(1.0 / len(loader))
        history = engine.accountant.history
        steps = sum(count for *_, count in history) if history else epochs * len(loader)
    dp_model.to_standard_module()  # removes Opacus's hooks from `model`
    logger.info(
        "DP-SGD: target ε %s, spent ε %.3f at δ %g, σ %.3f, %d steps",
        target_epsilon,
        spent,
        delta,
        sigma,
        steps,
    )
    return PrivateTrainingResult(
        model=model,
        target_epsilon=target_epsilon,
        epsilon=float(spent),
        delta=delta,
        noise_multiplier=sigma,
        max_grad_norm=max_grad_norm,
        sample_rate=sample_rate,
        steps=int(steps),
        epochs=epochs,
        batch_size=batch_size,
        accountant=accountant,
        train_loss=losses,
        setup_seconds=setup,
        train_seconds=train_time,
    )


def train_nonprivate(
    model: nn.Module,
    X: Any,
    y: Any,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    seed: int = 0,
    progress: bool = False,
) -> PrivateTrainingResult:
    """Train ``model`` with the loop of :func:`train_private`, without DP.

    Same optimizer (SGD), batch size, epochs and loop
    (:func:`ehrpriv.models.train_epoch`), with shuffled batches and no clipping
    or noise: the reference for the utility and the time of a private run.

    Parameters
    ----------
    model : torch.nn.Module
        Trained in place.
    X, y : array-like
        Training data.
    epochs : int
        Passes over the data, >= 1.
    batch_size : int
        Rows per batch, in [1, n].
    lr : float
        SGD learning rate, > 0.
    seed : int, default 0
        Seed of the shuffling (and dropout).
    progress : bool, default False
        Show a progress bar over epochs.

    Returns
    -------
    PrivateTrainingResult
        With ``epsilon = inf``, ``delta = None``, ``max_grad_norm = None``.

    Raises
    ------
    TypeError, ValueError
        If an argument is outside its range.
    """
    model = _check_model(model)
    features, labels = models._check_xy(X, y)
    epochs = check_int("epochs", epochs, low=1)
    batch_size = check_int("batch_size", batch_size, low=1, high=features.shape[0])
    lr = _check_positive_finite("lr", lr)
    seed = check_int("seed", seed, low=0)
    progress = _check_bool("progress", progress)
    loader = models.make_loader(features, labels, batch_size=batch_size, seed=seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses: list[float] = []
    train_time = 0.0
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        bar = tqdm(range(epochs), desc="SGD", unit="epoch", disable=not progress)
        for _ in bar:
            tick = time.perf_counter()
            losses.append(models.train_epoch(model, loader, optimizer))
            train_time += time.perf_counter() - tick
            bar.set_postfix({"loss": f"{losses[-1]:.4f}"})
    return PrivateTrainingResult(
        model=model,
        target_epsilon=math.inf,
        epsilon=math.inf,
        delta=None,
        noise_multiplier=0.0,
        max_grad_norm=None,
        sample_rate=1.0 / len(loader),
        steps=epochs * len(loader),
        epochs=epochs,
        batch_size=batch_size,
        accountant=None,
        train_loss=losses,
        train_seconds=train_time,
    )


# ---------------------------------------------------------------------------
# What DP promises against membership inference
# ---------------------------------------------------------------------------


def mia_tpr_bound(fpr: Any, *, epsilon: float, delta: float) -> np.ndarray:
    """Return the highest TPR any membership test can reach at each FPR.

    For an (ε, δ)-DP training algorithm, a test of "was this record in the
    training set?" satisfies ``TPR <= e^ε FPR + δ`` and
    ``1 - FPR <= e^ε (1 - TPR) + δ`` (Kairouz, Oh & Viswanath 2015), whatever
    the attacker knows. This holds per record; averaged over records that were
    put in or left out at random, as in a random train/test split, it bounds
    the attack's ROC curve too.

    Parameters
    ----------
    fpr : array-like
        False-positive rates, in [0, 1].
    epsilon : float
        ε, > 0 (``inf`` gives the trivial bound 1).
    delta : float
        δ, in [0, 1).

    Returns
    -------
    numpy.ndarray
        The bound on the TPR at each FPR, in [0, 1].

    Raises
    ------
    TypeError, ValueError
        If ``fpr`` leaves [0, 1] or ε, δ are outside their ranges.
    """
    rates = np.asarray(fpr, dtype=float)
    if rates.size and (
        not np.isfinite(rates).all() or rates.min() < 0 or rates.max() > 1
    ):
        raise ValueError(f"fpr must hold rates in [0, 1]; got {_describe(fpr)}.")
    epsilon = _check_epsilon(epsilon, name="epsilon", inf=True)
    delta = check_real("delta", delta, low=0.0, high=1.0, high_inclusive=False)
    if math.isinf(epsilon):
        return np.ones_like(rates)
    factor = math.exp(epsilon)
    first = factor * rates + delta
    second = 1.0 - (1.0 - delta - rates) / factor
    return np.clip(np.minimum(first, second), 0.0, 1.0)


def mia_auc_bound(*, epsilon: float, delta: float) -> float:
    """Return the largest AUC a membership attack can reach under (ε, δ)-DP.

    The area under :func:`mia_tpr_bound` (trapezoids on 20,001 points).

    Raises
    ------
    TypeError, ValueError
        If ε or δ are outside their ranges.
    """
    grid = np.linspace(0.0, 1.0, 20_001)
    curve = mia_tpr_bound(grid, epsilon=epsilon, delta=delta)
    return float(np.sum((curve[1:] + curve[:-1]) * np.diff(grid)) / 2.0)


# ---------------------------------------------------------------------------
# Evaluation tables
# ---------------------------------------------------------------------------


def _check_runs(runs: Any) -> list[PrivateTrainingResult]:
    """Return ``runs`` as a non-empty list of PrivateTrainingResult."""
    items = list(runs.values()) if isinstance(runs, Mapping) else list(runs)
    if not items or not all(isinstance(r, PrivateTrainingResult) for r in items):
        raise TypeError(
            "runs must be a non-empty sequence of PrivateTrainingResult; got "
            f"{_describe(runs)}."
        )
    return items


def privacy_utility_table(
    runs: Sequence[PrivateTrainingResult],
    X: Any,
    y: Any,
    *,
    nonprivate: PrivateTrainingResult,
    true_risk: Any,
) -> pd.DataFrame:
    """Return utility and calibration of each run beside the references.

    Parameters
    ----------
    runs : sequence of PrivateTrainingResult
        Private (and clip-only) runs.
    X, y : array-like
        Test data.
    nonprivate : PrivateTrainingResult
        The non-private reference (:func:`train_nonprivate`).
    true_risk : array-like of shape (n,)
        True risk of each test row, for the Bayes-optimal ceiling.

    Returns
    -------
    pandas.DataFrame
        One row per run (index: its label), columns ``target ε``, ``ε spent``,
        ``δ``, ``σ``, ``AUROC``, ``non-private AUROC``, ``ceiling``,
        ``fraction of non-private``, ``fraction of ceiling``, ``ECE`` and
        ``calibration slope``.

    Raises
    ------
    TypeError, ValueError
        If an input is invalid.
    """
    items = _check_runs(runs)
    if not isinstance(nonprivate, PrivateTrainingResult):
        raise TypeError(
            f"nonprivate must be a PrivateTrainingResult; got "
            f"{type(nonprivate).__name__}."
        )
    features, labels = models._check_xy(X, y)
    ceiling = metrics.bayes_optimal_auroc(labels, true_risk)
    reference = metrics.auroc(labels, nonprivate.predict_proba(features))
    rows = {}
    for run in items:
        prob = run.predict_proba(features)
        value = metrics.auroc(labels, prob)
        slope, _ = metrics.calibration_slope_intercept(labels, prob)
        rows[run.label] = {
            "target ε": run.target_epsilon,
            "ε spent": run.epsilon,
            "δ": run.delta if run.private else None,
            "σ": run.noise_multiplier,
            "AUROC": value,
            "non-private AUROC": reference,
            "ceiling": ceiling,
            "fraction of non-private": value / reference,
            "fraction of ceiling": value / ceiling,
            "ECE": metrics.expected_calibration_error(labels, prob),
            "calibration slope": slope,
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def _as_labelled(runs: Any) -> dict[str, PrivateTrainingResult | nn.Module]:
    """Return ``runs`` as label -> run (or plain model), checking the types."""
    if isinstance(runs, Mapping):
        items = dict(runs)
    elif isinstance(runs, Sequence) and not isinstance(runs, (str, bytes)):
        items = {}
        for run in runs:
            if not isinstance(run, PrivateTrainingResult):
                raise TypeError(
                    "runs given as a sequence must hold PrivateTrainingResult; got "
                    f"{type(run).__name__}. Pass a mapping label -> model instead."
                )
            items[run.label] = run
    else:
        items = {}
    if not items or not all(
        isinstance(v, (PrivateTrainingResult, nn.Module)) for v in items.values()
    ):
        raise TypeError(
            "runs must be a non-empty sequence of PrivateTrainingResult or a mapping "
            f"of label to PrivateTrainingResult or torch module; got {_describe(runs)}."
        )
    return items


def membership_table(
    runs: Sequence[PrivateTrainingResult] | Mapping[str, Any],
    *,
    X: Any,
    y: Any,
    is_member: Any,
    reference: attacks.ReferenceModels | None = None,
) -> pd.DataFrame:
    """Run the lesson-02 membership attacks on each model, beside DP's bound.

    The candidates are the rows of ``(X, y)``; ``is_member`` says which trained
    the models. Each model is attacked by the loss threshold
    (:func:`ehrpriv.attacks.loss_threshold_attack`) and, when ``reference`` is
    given, by reference models (:func:`ehrpriv.attacks.reference_model_attack`,
    trained by :func:`ehrpriv.attacks.train_reference_models` on the same
    candidates in the same order).

    Parameters
    ----------
    runs : sequence of PrivateTrainingResult, or mapping of str to model
        Models to attack: results (labelled by :attr:`PrivateTrainingResult.label`)
        or a mapping label -> result or plain torch module (no guarantee).
    X, y : array-like
        Candidate records and labels.
    is_member : array-like of shape (n,)
        True membership, 0/1.
    reference : ReferenceModels, optional
        The attacker's reference models.

    Returns
    -------
    pandas.DataFrame
        One row per model with ``ε``, ``δ``, ``loss AUC``, ``loss TPR@1%FPR``,
        (``LiRA AUC``, ``LiRA TPR@1%FPR``, ``LiRA TPR@0.1%FPR``,) and DP's bounds
        ``bound AUC`` and ``bound TPR@1%FPR`` (1 without a guarantee).

    Raises
    ------
    TypeError, ValueError
        If an input is invalid.
    """
    items = _as_labelled(runs)
    features, labels = models._check_xy(X, y)
    member = metrics._check_labels(is_member, name="is_member")
    if member.shape[0] != labels.shape[0]:
        raise ValueError(
            f"is_member must have one entry per row of X ({labels.shape[0]}); got "
            f"{member.shape[0]}."
        )
    rows = {}
    for label, run in items.items():
        if isinstance(run, PrivateTrainingResult):
            prob, epsilon = run.predict_proba(features), run.epsilon
            delta = run.delta if run.private else None
        else:
            prob, epsilon, delta = models.predict_proba(run, features), math.inf, None
        loss = attacks.mia_metrics(attacks.loss_threshold_attack(prob, labels), member)
        row: dict[str, float | None] = {
            "ε": epsilon,
            "δ": delta,
            "loss AUC": loss.auc,
            "loss TPR@1%FPR": loss.tpr_at_1pct_fpr,
        }
        if reference is not None:
            scores = attacks.reference_model_attack(prob, labels, reference)
            lira = attacks.mia_metrics(scores, member)
            row["LiRA AUC"] = lira.auc
            row["LiRA TPR@1%FPR"] = lira.tpr_at_1pct_fpr
            row["LiRA TPR@0.1%FPR"] = lira.tpr_at_01pct_fpr
        bound_delta = delta if math.isfinite(epsilon) else 0.0
        row["bound AUC"] = mia_auc_bound(epsilon=epsilon, delta=bound_delta)
        row["bound TPR@1%FPR"] = float(
            mia_tpr_bound([0.01], epsilon=epsilon, delta=bound_delta)[0]
        )
        rows[label] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def subgroup_comparison(
    frame: pd.DataFrame,
    probs: Mapping[str, Any],
    *,
    group: str,
    y_true: str = "died_in_hospital",
    min_size: int = 30,
) -> pd.DataFrame:
    """Return AUROC and calibration-in-the-large per subgroup, for several models.

    Parameters
    ----------
    frame : pandas.DataFrame
        Test rows with ``group`` and ``y_true``.
    probs : mapping of str to array-like
        Model label (e.g. ``"ε = 1"``) to its probabilities for ``frame``.
    group : str
        Column defining the subgroups.
    y_true : str, default "died_in_hospital"
        Label column.
    min_size : int, default 30
        Groups smaller than this get no AUROC (see
        :func:`ehrpriv.metrics.subgroup_table`).

    Returns
    -------
    pandas.DataFrame
        One row per group (largest first) with ``n``, ``deaths``, ``observed``
        mortality, then for each model ``AUROC <label>`` and
        ``predicted − observed <label>`` (mean predicted risk minus observed
        mortality: negative means the model underestimates the group's risk).

    Raises
    ------
    TypeError, MissingColumnError, ValueError
        If an input is invalid.
    """
    if not isinstance(probs, Mapping) or not probs:
        raise TypeError(
            f"probs must be a non-empty mapping of label to probabilities; got "
            f"{_describe(probs)}."
        )
    columns: dict[str, pd.Series] = {}
    first = None
    for label, prob in probs.items():
        scored = frame.assign(y_true=frame[y_true].to_numpy(), y_prob=np.asarray(prob))
        table = metrics.subgroup_table(scored, group=group, min_size=min_size)
        table = table.set_index("group")
        first = table if first is None else first
        columns[f"AUROC {label}"] = table["auroc"]
        columns[f"predicted − observed {label}"] = (
            table["mean_predicted"] - table["prevalence"]
        )
    counts = first[["n", "events", "prevalence"]].rename(
        columns={"events": "deaths", "prevalence": "observed"}
    )
    return pd.concat([counts, pd.DataFrame(columns).reindex(counts.index)], axis=1)


def scorecard_rows(
    runs: Sequence[PrivateTrainingResult],
    *,
    utility: pd.DataFrame,
    membership: pd.DataFrame,
    nonprivate: PrivateTrainingResult,
    attack: str = "LiRA",
) -> Scorecard:
    """Return one scorecard row per run, from the tables of this module.

    Parameters
    ----------
    runs : sequence of PrivateTrainingResult
        Runs, labelled as in the tables.
    utility : pandas.DataFrame
        :func:`privacy_utility_table` of the runs.
    membership : pandas.DataFrame
        :func:`membership_table` of the runs.
    nonprivate : PrivateTrainingResult
        The non-private reference, for the time ratio.
    attack : {"LiRA", "loss"}, default "LiRA"
        Which attack's columns to report.

    Returns
    -------
    Scorecard
        Rows with utility, ECE, (ε, δ), threat model, attack AUC and TPR at
        1 % FPR, and time per epoch as a multiple of the non-private run.

    Raises
    ------
    KeyError
        If a run is missing from a table.
    """
    items = _check_runs(runs)
    check_choice("attack", attack, ("LiRA", "loss"))
    names = {
        "LiRA": "membership inference (reference models, Carlini et al. 2022)",
        "loss": "membership inference (loss threshold, Yeom et al. 2018)",
    }
    card = Scorecard()
    for run in items:
        use, audit = utility.loc[run.label], membership.loc[run.label]
        if run.private:
            threat = (
                f"(ε, δ)-DP per patient (one admission each), {run.accountant.upper()}"
                " accounting; anyone who sees the released model"
            )
            technique = "DP-SGD (Opacus)"
        else:
            threat = "none: clipping without noise gives no guarantee"
            technique = "DP-SGD clipping only (no noise)"
        card.add(
            ScorecardRow(
                lesson="04",
                technique=technique,
                setting=(
                    f"{run.label}, σ = {run.noise_multiplier:.2f}, "
                    f"C = {run.max_grad_norm:g}, batch {run.batch_size}, "
                    f"{run.epochs} epochs"
                ),
                task="in-hospital mortality",
                utility_metric="AUROC",
                utility=float(use["AUROC"]),
                utility_fraction=float(use["fraction of ceiling"]),
                calibration_ece=float(use["ECE"]),
                epsilon=run.epsilon,
                delta=run.delta if run.private else None,
                threat_model=threat,
                attack=names[attack],
                attack_metric="AUC",
                attack_success=float(audit[f"{attack} AUC"]),
                attack_tpr_at_1pct_fpr=float(audit[f"{attack} TPR@1%FPR"]),
                time_ratio=run.seconds_per_epoch / nonprivate.seconds_per_epoch,
            )
        )
    return card


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------


def _finite_x(values: pd.Series, infinity: float) -> np.ndarray:
    """Return ε values with ∞ replaced by ``infinity`` for plotting."""
    x = values.to_numpy(dtype=float)
    return np.where(np.isinf(x), infinity, x)


def plot_privacy_utility(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Draw AUROC against ε with the non-private AUROC and the ceiling.

    Takes :func:`privacy_utility_table`; a row with target ε = ∞ is drawn at
    the right edge, labelled "∞".

    Raises
    ------
    MissingColumnError
        If a column of the table is missing.
    """
    check_columns(table, ["target ε", "AUROC", "non-private AUROC", "ceiling"])
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    finite = table["target ε"][np.isfinite(table["target ε"])]
    infinity = float(finite.max()) * 2.0 if len(finite) else 1.0
    x = _finite_x(table["target ε"], infinity)
    ax.plot(x, table["AUROC"], "o-", label="DP-SGD")
    ax.axhline(table["non-private AUROC"].iloc[0], ls="--", c="C1", label="non-private")
    ax.axhline(
        table["ceiling"].iloc[0], ls=":", c="grey", label="Bayes-optimal ceiling"
    )
    ax.set_xscale("log")
    ticks = sorted(set(x))
    ax.set_xticks(ticks, [("∞" if t == infinity else f"{t:g}") for t in ticks])
    ax.set_xlabel("ε (δ fixed; ∞ = clipping without noise)")
    ax.set_ylabel("test AUROC")
    ax.set_title("Privacy–utility curve")
    ax.legend(loc="lower right")
    return ax


def plot_membership(
    table: pd.DataFrame, *, metric: str = "TPR@1%FPR", ax: Axes | None = None
) -> Axes:
    """Draw the measured attack success against ε beside DP's bound.

    Takes :func:`membership_table`; rows without a finite ε (clip only,
    non-private) are drawn at the right edge, labelled "∞".

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`membership_table`.
    metric : {"TPR@1%FPR", "AUC"}, default "TPR@1%FPR"
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Raises
    ------
    ValueError
        If ``metric`` is unknown.
    """
    check_choice("metric", metric, ("TPR@1%FPR", "AUC"))
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    finite = table["ε"][np.isfinite(table["ε"])]
    infinity = float(finite.max()) * 2.0 if len(finite) else 1.0
    x = _finite_x(table["ε"], infinity)
    order = np.argsort(x, kind="stable")
    for attack, style in (("loss", "o-"), ("LiRA", "s-")):
        column = f"{attack} {metric}"
        if column in table:
            ax.plot(x[order], table[column].to_numpy()[order], style, label=attack)
    bound = table[f"bound {metric}"].to_numpy()[order]
    ax.plot(x[order], bound, "k--", label="DP bound (any attack)")
    chance = 0.01 if metric == "TPR@1%FPR" else 0.5
    ax.axhline(chance, c="grey", ls=":", label="chance")
    ax.set_xscale("log")
    if metric == "TPR@1%FPR":
        ax.set_yscale("log")
    ticks = sorted(set(x))
    ax.set_xticks(ticks, [("∞" if t == infinity else f"{t:.2g}") for t in ticks])
    ax.set_xlabel("ε spent (∞ = no guarantee)")
    ax.set_ylabel(f"membership attack {metric}")
    ax.legend(fontsize="small")
    return ax


def plot_attack_roc(
    curves: Mapping[str, attacks.MIAMetrics],
    *,
    epsilon: float | None = None,
    delta: float = 0.0,
    ax: Axes | None = None,
) -> Axes:
    """Draw membership-attack ROC curves on log-log axes, with DP's bound.

    Low false-positive rates are where an attack matters (Carlini et al. 2022),
    hence the logarithmic axes.

    Parameters
    ----------
    curves : mapping of str to MIAMetrics
        Label to :func:`ehrpriv.attacks.mia_metrics` output.
    epsilon : float, optional
        Draw :func:`mia_tpr_bound` for this ε (and ``delta``).
    delta : float, default 0.0
        δ of the bound.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Raises
    ------
    TypeError
        If ``curves`` is not a mapping of MIAMetrics.
    """
    if not isinstance(curves, Mapping) or not all(
        isinstance(c, attacks.MIAMetrics) for c in curves.values()
    ):
        raise TypeError(
            f"curves must map labels to MIAMetrics; got {_describe(curves)}."
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    floor = 1e-4
    for label, curve in curves.items():
        ax.plot(
            np.maximum(curve.fpr, floor),
            np.maximum(curve.tpr, floor),
            label=f"{label} (AUC {curve.auc:.3f})",
        )
    grid = np.logspace(-4, 0, 200)
    if epsilon is not None:
        bound = mia_tpr_bound(grid, epsilon=epsilon, delta=delta)
        ax.plot(grid, bound, "k--", label=f"DP bound, ε = {epsilon:.2f}")
    ax.plot(grid, grid, c="grey", ls=":", label="chance")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(floor, 1)
    ax.set_ylim(floor, 1)
    ax.set_xlabel("false-positive rate")
    ax.set_ylabel("true-positive rate")
    ax.set_title("Membership attack ROC (log-log)")
    ax.legend(fontsize="small", loc="lower right")
    return ax
