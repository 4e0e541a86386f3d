"""Discrimination, calibration and subgroup metrics for a binary risk model.

Introduced in lesson 01 (notebooks/01_ehr_data.ipynb), where the mortality model is
first evaluated; later lessons reuse the same functions so that every row of the
privacy scorecard is measured the same way.

All functions take ``y_true`` (binary labels 0/1) and a score or probability of the
same length, check them, and explain what is wrong when a check fails.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from ehrpriv._validation import check_choice, check_columns, check_int, check_real

logger = logging.getLogger(__name__)

__all__ = [
    "auroc",
    "auprc",
    "brier_score",
    "calibration_table",
    "expected_calibration_error",
    "calibration_slope_intercept",
    "bootstrap_ci",
    "expected_auroc_from_risk",
    "bayes_optimal_auroc",
    "summarize",
    "subgroup_table",
]

_CLIP = 1e-6
_BOOT_CHUNK_CELLS = 2_000_000  # bootstrap weights held in memory at once


# ---------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------


def _check_labels(y_true: Any, *, name: str = "y_true") -> np.ndarray:
    """Return ``y_true`` as a 1-D int array of 0/1 labels, or raise."""
    try:
        array = np.asarray(y_true)
    except Exception as error:  # ragged input and the like
        raise TypeError(
            f"{name} must be a 1-D array of binary labels 0/1; got "
            f"{type(y_true).__name__} ({error})."
        ) from error
    if array.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D (one label per row); got an array of shape "
            f"{array.shape}. Use .ravel() on a column vector."
        )
    if array.size == 0:
        raise ValueError(f"{name} must hold at least one label; got an empty array.")
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must hold binary labels 0/1 as numbers or booleans; got "
            f"dtype {array.dtype}."
        )
    valid = (array == 0) | (array == 1)
    if not valid.all():
        index = int(np.flatnonzero(~valid)[0])
        raise ValueError(
            f"{name} must hold binary labels 0 or 1; got a value of "
            f"{array[index].item()!r} at index {index}."
        )
    return array.astype(np.int64)


def _check_scores(
    y_score: Any, n: int, *, name: str, probability: bool = False
) -> np.ndarray:
    """Return ``y_score`` as a finite 1-D float array of length ``n``, or raise."""
    try:
        array = np.asarray(y_score, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{name} must be a 1-D array of real numbers; got "
            f"{type(y_score).__name__} ({error})."
        ) from error
    if array.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D (one score per row); got an array of shape "
            f"{array.shape}. Use .ravel() on a column vector."
        )
    if array.shape[0] != n:
        raise ValueError(
            f"{name} must have the same length as y_true ({n}); got {array.shape[0]}."
        )
    finite = np.isfinite(array)
    if not finite.all():
        index = int(np.flatnonzero(~finite)[0])
        raise ValueError(
            f"{name} must be finite; got {array[index]:g} at index {index}."
        )
    if probability:
        inside = (array >= 0.0) & (array <= 1.0)
        if not inside.all():
            index = int(np.flatnonzero(~inside)[0])
            raise ValueError(
                f"{name} must hold probabilities in [0, 1]; got a value of "
                f"{array[index]:g} at index {index}."
            )
    return array


def _check_pair(
    y_true: Any, y_score: Any, *, name: str = "y_score", probability: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Check labels and scores together and return them as arrays."""
    labels = _check_labels(y_true)
    scores = _check_scores(y_score, labels.shape[0], name=name, probability=probability)
    return labels, scores


def _require_both_classes(labels: np.ndarray, *, what: str) -> None:
    """Raise ValueError if ``labels`` hold only positives or only negatives."""
    positives = int(labels.sum())
    negatives = int(labels.shape[0] - positives)
    if positives == 0 or negatives == 0:
        raise ValueError(
            f"{what} needs both classes in y_true; got {positives} positive(s) and "
            f"{negatives} negative(s)."
        )


# ---------------------------------------------------------------------------
# Point metrics
# ---------------------------------------------------------------------------


def auroc(y_true: Any, y_score: Any) -> float:
    """Return the area under the ROC curve.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary outcome labels, 0 or 1.
    y_score : array-like of shape (n,)
        Finite scores; higher means more likely positive.

    Returns
    -------
    float
        The AUROC: the probability that a random positive scores above a random
        negative (ties count one half).

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If the inputs are not 1-D, differ in length, hold non-binary labels or
        non-finite scores, or if ``y_true`` has a single class.
    """
    labels, scores = _check_pair(y_true, y_score)
    _require_both_classes(labels, what="AUROC")
    return float(roc_auc_score(labels, scores))


def auprc(y_true: Any, y_score: Any) -> float:
    """Return the area under the precision-recall curve (average precision).

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary outcome labels, 0 or 1.
    y_score : array-like of shape (n,)
        Finite scores; higher means more likely positive.

    Returns
    -------
    float
        Average precision. A random score achieves about the prevalence.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If the inputs are invalid or ``y_true`` has a single class.
    """
    labels, scores = _check_pair(y_true, y_score)
    _require_both_classes(labels, what="AUPRC")
    return float(average_precision_score(labels, scores))


def brier_score(y_true: Any, y_prob: Any) -> float:
    """Return the Brier score, the mean squared error of the probabilities.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary outcome labels, 0 or 1.
    y_prob : array-like of shape (n,)
        Predicted probabilities in [0, 1].

    Returns
    -------
    float
        Mean of ``(y_prob - y_true) ** 2``; lower is better.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If the inputs are invalid or ``y_prob`` leaves [0, 1].
    """
    labels, probs = _check_pair(y_true, y_prob, name="y_prob", probability=True)
    return float(brier_score_loss(labels, probs, pos_label=1))


# ---------------------------------------------------------------------------
# Calibration
# ---------------------------------------------------------------------------


def _bin_index(probs: np.ndarray, n_bins: int, strategy: str) -> np.ndarray:
    """Return the calibration bin of each probability."""
    if strategy == "quantile":
        edges = np.unique(np.quantile(probs, np.linspace(0.0, 1.0, n_bins + 1)))
    else:
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    # Inner edges only: values equal to an edge go to the upper bin, except the
    # maximum, which stays in the last bin.
    return np.searchsorted(edges[1:-1], probs, side="right")


def calibration_table(
    y_true: Any, y_prob: Any, *, n_bins: int = 10, strategy: str = "quantile"
) -> pd.DataFrame:
    """Return observed event rate against mean predicted risk, bin by bin.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary outcome labels, 0 or 1.
    y_prob : array-like of shape (n,)
        Predicted probabilities in [0, 1].
    n_bins : int, default 10
        Number of bins requested (at least 1).
    strategy : {"quantile", "uniform"}, default "quantile"
        ``"quantile"`` gives bins of (nearly) equal size, merging bins whose
        edges coincide because of tied probabilities; ``"uniform"`` gives bins of
        equal width on [0, 1].

    Returns
    -------
    pandas.DataFrame
        One row per non-empty bin, with columns ``bin`` (bin number, from 0),
        ``n``, ``mean_predicted`` and ``observed_rate``.

    Raises
    ------
    TypeError
        If an input is not numeric or ``n_bins`` is not an integer.
    ValueError
        If the inputs are invalid, ``n_bins < 1`` or ``strategy`` is unknown.
    """
    labels, probs = _check_pair(y_true, y_prob, name="y_prob", probability=True)
    n_bins = check_int("n_bins", n_bins, low=1)
    check_choice("strategy", strategy, ("quantile", "uniform"))
    index = _bin_index(probs, n_bins, strategy)
    counts = np.bincount(index)
    present = np.flatnonzero(counts)
    sum_pred = np.bincount(index, weights=probs)[present]
    sum_obs = np.bincount(index, weights=labels.astype(np.float64))[present]
    n = counts[present]
    return pd.DataFrame(
        {
            "bin": present.astype(np.int64),
            "n": n.astype(np.int64),
            "mean_predicted": sum_pred / n,
            "observed_rate": sum_obs / n,
        }
    )


def expected_calibration_error(
    y_true: Any, y_prob: Any, *, n_bins: int = 10, strategy: str = "quantile"
) -> float:
    """Return the expected calibration error (ECE).

    The ECE is the mean, weighted by bin size, of the absolute gap between the
    observed event rate and the mean predicted risk in each bin of
    :func:`calibration_table`. It depends on the binning: compare models only at
    the same ``n_bins`` and ``strategy``.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary outcome labels, 0 or 1.
    y_prob : array-like of shape (n,)
        Predicted probabilities in [0, 1].
    n_bins : int, default 10
        Number of bins requested.
    strategy : {"quantile", "uniform"}, default "quantile"
        Binning strategy, as in :func:`calibration_table`.

    Returns
    -------
    float
        The ECE, in [0, 1]; 0 is perfect calibration at this binning.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If the inputs or options are invalid.
    """
    table = calibration_table(y_true, y_prob, n_bins=n_bins, strategy=strategy)
    gaps = (table["observed_rate"] - table["mean_predicted"]).abs()
    return float(np.average(gaps, weights=table["n"]))


def calibration_slope_intercept(y_true: Any, y_prob: Any) -> tuple[float, float]:
    """Return the calibration slope and intercept of predicted probabilities.

    Fits the logistic recalibration model
    ``logit P(y = 1) = intercept + slope * logit(y_prob)`` by maximum likelihood
    (Newton's method), after clipping ``y_prob`` to [1e-6, 1 - 1e-6]. A
    well-calibrated model has slope near 1 and intercept near 0; a slope below 1
    means predictions are too extreme (typical of overfitting), above 1 too
    timid. The intercept is the one of this joint fit, not the
    "calibration-in-the-large" intercept fitted with the slope fixed at 1.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary outcome labels, 0 or 1.
    y_prob : array-like of shape (n,)
        Predicted probabilities in [0, 1].

    Returns
    -------
    tuple of float
        ``(slope, intercept)``.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If the inputs are invalid, ``y_true`` has a single class, or all
        probabilities are equal (the slope is then undefined).
    """
    labels, probs = _check_pair(y_true, y_prob, name="y_prob", probability=True)
    _require_both_classes(labels, what="The calibration slope")
    clipped = np.clip(probs, _CLIP, 1.0 - _CLIP)
    z = np.log(clipped) - np.log1p(-clipped)
    if np.ptp(z) == 0.0:
        raise ValueError(
            "The calibration slope needs y_prob to vary; got the same value "
            f"{probs[0]:g} for all {probs.shape[0]} rows."
        )
    design = np.column_stack([np.ones_like(z), z])
    target = labels.astype(np.float64)

    def log_likelihood(beta: np.ndarray) -> float:
        """Return the Bernoulli log-likelihood at ``beta``."""
        eta = design @ beta
        return float(np.sum(target * eta - np.logaddexp(0.0, eta)))

    beta = np.array([0.0, 1.0])  # the identity recalibration
    current = log_likelihood(beta)
    converged = False
    for _ in range(100):
        mu = 0.5 * (1.0 + np.tanh(0.5 * (design @ beta)))  # stable sigmoid
        gradient = design.T @ (target - mu)
        hessian = (design * (mu * (1.0 - mu))[:, None]).T @ design
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            break
        if np.max(np.abs(step)) < 1e-10:
            converged = True
            break
        scale = 1.0
        while scale > 1e-10:  # step halving keeps the likelihood increasing
            candidate = beta + scale * step
            value = log_likelihood(candidate)
            if value >= current - 1e-12:
                beta, current = candidate, value
                break
            scale /= 2.0
        else:
            break  # no step improves the likelihood: stop without converging
    if not converged:
        warnings.warn(
            "calibration_slope_intercept did not converge; y_prob may separate the "
            "classes perfectly, so the slope and intercept are unreliable.",
            RuntimeWarning,
            stacklevel=2,
        )
    intercept, slope = beta
    return float(slope), float(intercept)


# ---------------------------------------------------------------------------
# Bootstrap
# ---------------------------------------------------------------------------


def _tie_groups(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the ascending sort order and the start of each run of tied scores."""
    order = np.argsort(scores, kind="mergesort")
    ordered = scores[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    return order, starts


def _weighted_auroc(
    labels: np.ndarray, scores: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """Return the AUROC for each row of resampling counts ``weights`` (b, n)."""
    order, starts = _tie_groups(scores)
    w = weights[:, order]
    pos = np.add.reduceat(w * labels[order], starts, axis=1)
    neg = np.add.reduceat(w * (1 - labels[order]), starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg  # negatives strictly below each tie run
    wins = np.sum(pos * (below + 0.5 * neg), axis=1)
    total = pos.sum(axis=1) * neg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return wins / total


def _weighted_auprc(
    labels: np.ndarray, scores: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """Return the average precision for each row of resampling counts (b, n)."""
    order, starts = _tie_groups(-scores)  # descending scores
    w = weights[:, order]
    pos = np.add.reduceat(w * labels[order], starts, axis=1)
    neg = np.add.reduceat(w * (1 - labels[order]), starts, axis=1)
    tp = np.cumsum(pos, axis=1)
    flagged = tp + np.cumsum(neg, axis=1)
    precision = np.divide(tp, flagged, out=np.zeros_like(tp), where=flagged > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sum(pos * precision, axis=1) / tp[:, -1]


def _weighted_brier(
    labels: np.ndarray, scores: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """Return the Brier score for each row of resampling counts (b, n)."""
    return weights @ ((scores - labels) ** 2) / weights.sum(axis=1)


_FAST_METRICS: dict[Callable[..., float], Callable[..., np.ndarray]] = {
    auroc: _weighted_auroc,
    auprc: _weighted_auprc,
    brier_score: _weighted_brier,
}


def _resample_counts(
    rng: np.random.Generator, codes: np.ndarray, n_units: int, size: int
) -> np.ndarray:
    """Return (size, n) counts of each row in ``size`` bootstrap resamples.

    ``codes`` gives the resampling unit (row or patient) of each row; units are
    drawn with replacement and every row of a drawn unit comes along.
    """
    draws = rng.integers(0, n_units, size=(size, n_units))
    offsets = (np.arange(size) * n_units)[:, None]
    unit_counts = np.bincount((draws + offsets).ravel(), minlength=size * n_units)
    return unit_counts.reshape(size, n_units)[:, codes].astype(np.float64)


def bootstrap_ci(
    metric: Callable[[Any, Any], float],
    y_true: Any,
    y_score: Any,
    *,
    n_boot: int = 1000,
    level: float = 0.95,
    groups: Any = None,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Return a metric with a percentile bootstrap confidence interval.

    Resamples rows with replacement, or, when ``groups`` is given, whole groups
    (a cluster bootstrap): admissions of the same patient are correlated, so
    resampling them independently gives intervals that are too narrow.
    Resamples that hold a single class are skipped.

    :func:`auroc`, :func:`auprc` and :func:`brier_score` are computed for all
    resamples at once from resampling counts; any other metric is called once
    per resample.

    Parameters
    ----------
    metric : callable
        ``metric(y_true, y_score) -> float``, for example :func:`auroc`.
    y_true : array-like of shape (n,)
        Binary outcome labels, 0 or 1.
    y_score : array-like of shape (n,)
        Finite scores or probabilities.
    n_boot : int, default 1000
        Number of bootstrap resamples (at least 1).
    level : float, default 0.95
        Confidence level, in (0, 1).
    groups : array-like of shape (n,), optional
        Cluster identifier of each row (for example the patient id).
    seed : int, default 0
        Seed of the random number generator.

    Returns
    -------
    tuple of float
        ``(estimate, low, high)``: the metric on the full data and the
        percentile interval.

    Raises
    ------
    TypeError
        If ``metric`` is not callable or an argument has the wrong type.
    ValueError
        If the inputs are invalid, or more than half of the resamples hold a
        single class.
    """
    if not callable(metric):
        raise TypeError(
            f"metric must be a callable metric(y_true, y_score); got "
            f"{type(metric).__name__}."
        )
    labels, scores = _check_pair(y_true, y_score)
    n_boot = check_int("n_boot", n_boot, low=1)
    level = check_real(
        "level", level, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False
    )
    seed = check_int("seed", seed, low=0)
    n = labels.shape[0]
    if groups is None:
        codes = np.arange(n)
    else:
        group_array = np.asarray(groups)
        if group_array.ndim != 1 or group_array.shape[0] != n:
            raise ValueError(
                f"groups must be 1-D with the same length as y_true ({n}); got "
                f"shape {group_array.shape}."
            )
        _, codes = np.unique(group_array, return_inverse=True)
        codes = codes.ravel()
    n_units = int(codes.max()) + 1
    estimate = float(metric(y_true, y_score))

    fast = next((fn for key, fn in _FAST_METRICS.items() if key is metric), None)
    rng = np.random.default_rng(seed)
    chunk = max(1, _BOOT_CHUNK_CELLS // max(n, n_units))
    stats: list[np.ndarray] = []
    positives_all = labels.astype(np.float64)
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        weights = _resample_counts(rng, codes, n_units, size)
        positives = weights @ positives_all
        negatives = weights.sum(axis=1) - positives
        keep = (positives > 0) & (negatives > 0)
        weights = weights[keep]
        if fast is not None:
            stats.append(fast(labels, scores, weights))
        else:
            rows = np.arange(n)
            values = []
            for counts in weights.astype(np.int64):
                index = np.repeat(rows, counts)
                values.append(float(metric(labels[index], scores[index])))
            stats.append(np.asarray(values, dtype=np.float64))
    values = np.concatenate(stats)
    skipped = n_boot - values.shape[0]
    if skipped:
        logger.info(
            "bootstrap_ci skipped %d of %d single-class resamples.", skipped, n_boot
        )
    if skipped > n_boot / 2:
        raise ValueError(
            f"bootstrap_ci needs resamples with both classes; {skipped} of "
            f"{n_boot} resamples held a single class (y_true has "
            f"{int(labels.sum())} positive(s) in {n} rows). Use more data or a "
            f"metric defined for one class."
        )
    alpha = 1.0 - level
    low, high = np.percentile(values, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return estimate, float(low), float(high)


# ---------------------------------------------------------------------------
# Bayes-optimal ceiling
# ---------------------------------------------------------------------------


def expected_auroc_from_risk(risk: Any) -> float:
    """Return the AUROC the true risk itself would achieve, in expectation.

    With labels drawn as ``y_i ~ Bernoulli(risk_i)``, this is the ratio

    ``sum_{i != j} r_i (1 - r_j) [1{r_i > r_j} + 1/2 1{r_i = r_j}]``
    ``/ sum_{i != j} r_i (1 - r_j)``,

    the chance that a random positive has higher true risk than a random
    negative. No model fed the same features can beat it on average: it is the
    Bayes-optimal ceiling of the task. Computed in O(n log n) by sorting and
    cumulative sums.

    Parameters
    ----------
    risk : array-like of shape (n,)
        True probabilities of the outcome, in [0, 1]; at least two rows.

    Returns
    -------
    float
        The expected AUROC of the true risk.

    Raises
    ------
    TypeError
        If ``risk`` is not numeric.
    ValueError
        If ``risk`` is not 1-D, has fewer than two rows, leaves [0, 1], or
        admits no positive-negative pair (all risks 0, or all 1).
    """
    try:
        size = len(risk)
    except TypeError as error:
        raise TypeError(
            f"risk must be a 1-D array of probabilities; got {type(risk).__name__}."
        ) from error
    r = _check_scores(risk, size, name="risk", probability=True)
    if r.shape[0] < 2:
        raise ValueError(f"risk must hold at least 2 values; got {r.shape[0]}.")
    order, starts = _tie_groups(r)
    ordered = r[order]
    values = ordered[starts]
    sizes = np.diff(np.r_[starts, r.shape[0]]).astype(np.float64)
    group_pos = sizes * values  # sum of r over each tie run
    group_neg = sizes * (1.0 - values)  # sum of 1 - r over each tie run
    neg_below = np.cumsum(group_neg) - group_neg
    wins = np.sum(group_pos * neg_below)
    ties = 0.5 * np.sum(sizes * (sizes - 1.0) * values * (1.0 - values))
    total = r.sum() * (1.0 - r).sum() - np.sum(r * (1.0 - r))
    if total <= 0.0:
        raise ValueError(
            "risk must allow both outcomes (some risk above 0 and some below 1 "
            "in different rows); got all risks equal to "
            f"{r[0]:g}."
        )
    return float((wins + ties) / total)


def bayes_optimal_auroc(y_true: Any, true_risk: Any) -> float:
    """Return the AUROC of the true risk on the realised labels.

    This is what a model that knew each admission's true risk would score on
    this sample; :func:`expected_auroc_from_risk` gives its expectation.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary outcome labels, 0 or 1.
    true_risk : array-like of shape (n,)
        True probabilities of the outcome, in [0, 1].

    Returns
    -------
    float
        The realised AUROC of the true risk.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If the inputs are invalid or ``y_true`` has a single class.
    """
    labels, risk = _check_pair(y_true, true_risk, name="true_risk", probability=True)
    return auroc(labels, risk)


# ---------------------------------------------------------------------------
# Summaries
# ---------------------------------------------------------------------------


def summarize(y_true: Any, y_prob: Any) -> dict[str, float]:
    """Return the headline metrics of a risk model in one dictionary.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary outcome labels, 0 or 1.
    y_prob : array-like of shape (n,)
        Predicted probabilities in [0, 1].

    Returns
    -------
    dict
        Keys ``n``, ``events``, ``prevalence``, ``auroc``, ``auprc``, ``brier``
        and ``ece`` (10 quantile bins). ``auroc`` and ``auprc`` are NaN when
        ``y_true`` has a single class.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If the inputs are invalid.
    """
    labels, probs = _check_pair(y_true, y_prob, name="y_prob", probability=True)
    n = labels.shape[0]
    events = int(labels.sum())
    if 0 < events < n:
        roc, pr = auroc(labels, probs), auprc(labels, probs)
    else:
        logger.warning("summarize: y_true has a single class; AUROC/AUPRC are NaN.")
        roc = pr = float("nan")
    return {
        "n": n,
        "events": events,
        "prevalence": events / n,
        "auroc": roc,
        "auprc": pr,
        "brier": brier_score(labels, probs),
        "ece": expected_calibration_error(labels, probs),
    }


def _group_labels(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """Return one string label per row, joining several columns with " / "."""
    parts = [
        frame[column].astype(object).where(frame[column].notna(), "missing").astype(str)
        for column in columns
    ]
    label = parts[0]
    for part in parts[1:]:
        label = label + " / " + part
    return label


def subgroup_table(
    frame: pd.DataFrame,
    *,
    group: str | Sequence[str],
    y_true: str = "y_true",
    y_prob: str = "y_prob",
    min_size: int = 30,
    ci: bool = False,
    n_boot: int = 200,
    seed: int = 0,
) -> pd.DataFrame:
    """Return the model's metrics within each subgroup.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per prediction, with the label, probability and group columns.
    group : str or sequence of str
        Column defining the subgroups, or several columns for intersectional
        groups, labelled like ``"F / Hispanic"``. Missing values form a group
        labelled ``"missing"``.
    y_true, y_prob : str
        Names of the label and probability columns.
    min_size : int, default 30
        Groups smaller than this are flagged ``small`` and get no AUROC/AUPRC,
        which would be too noisy to read.
    ci : bool, default False
        Add ``auroc_low`` and ``auroc_high``, a percentile bootstrap interval.
    n_boot : int, default 200
        Bootstrap resamples per group when ``ci`` is true.
    seed : int, default 0
        Seed of the bootstrap.

    Returns
    -------
    pandas.DataFrame
        One row per group, largest first, with columns ``group``, ``n``,
        ``events``, ``prevalence``, ``mean_predicted``, ``auroc``, ``auprc``,
        ``brier``, (``auroc_low``, ``auroc_high``,) and ``small``. AUROC and
        AUPRC are NaN for small groups and groups with a single class.

    Raises
    ------
    TypeError
        If ``frame`` is not a DataFrame or ``group`` is not a str or list of str.
    MissingColumnError
        If a named column is missing (a KeyError).
    ValueError
        If the label or probability column is invalid.
    """
    columns = [group] if isinstance(group, str) else list(group)
    if not columns or not all(isinstance(column, str) for column in columns):
        raise TypeError(
            f"group must be a column name or a non-empty list of column names; "
            f"got {group!r}."
        )
    check_columns(frame, [*columns, y_true, y_prob])
    min_size = check_int("min_size", min_size, low=1)
    n_boot = check_int("n_boot", n_boot, low=1)
    seed = check_int("seed", seed, low=0)
    labels = _check_labels(frame[y_true].to_numpy(), name=f"column {y_true!r}")
    probs = _check_scores(
        frame[y_prob].to_numpy(),
        labels.shape[0],
        name=f"column {y_prob!r}",
        probability=True,
    )
    names = _group_labels(frame, columns).to_numpy()
    rows = []
    for name in np.unique(names):
        mask = names == name
        y, p = labels[mask], probs[mask]
        n, events = int(mask.sum()), int(y.sum())
        small = n < min_size
        estimable = not small and 0 < events < n
        row: dict[str, Any] = {
            "group": name,
            "n": n,
            "events": events,
            "prevalence": events / n,
            "mean_predicted": float(p.mean()),
            "auroc": auroc(y, p) if estimable else np.nan,
            "auprc": auprc(y, p) if estimable else np.nan,
            "brier": brier_score(y, p),
        }
        if ci:
            low = high = np.nan
            if estimable:
                try:
                    _, low, high = bootstrap_ci(auroc, y, p, n_boot=n_boot, seed=seed)
                except ValueError as error:
                    logger.info("No AUROC interval for group %s: %s", name, error)
            row["auroc_low"], row["auroc_high"] = low, high
        row["small"] = small
        rows.append(row)
    table = pd.DataFrame(rows)
    table = table.sort_values(["n", "group"], ascending=[False, True], kind="stable")
    return table.reset_index(drop=True)
