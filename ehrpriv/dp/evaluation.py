"""The differencing attack, the error of a release, and the lesson's scorecard rows.

Introduced in lesson 03 (``notebooks/03_differential_privacy.ipynb``).

A *differencing attack* asks two aggregate queries that differ by one patient,
for example "how many patients at Harbor County have HIV?" and "how many, other
than the one born on 1961-04-02 in ZIP 02134?", and subtracts. With exact answers
the difference is the target's diagnosis. :func:`differencing_attack_success`
measures how often the attacker is right when the answers are released through
a mechanism, over many repetitions; :func:`max_attack_accuracy` is the ceiling an
(epsilon, delta)-DP mechanism guarantees. :func:`release_error` measures utility
on the same query, and :func:`query_scorecard_row` turns both into a row of the
course's privacy scorecard. The remaining functions compute the lesson's
comparison tables.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ehrpriv._validation import check_int, check_real
from ehrpriv.dp._params import (
    check_delta,
    check_epsilon,
    check_rng,
    check_sensitivity,
)
from ehrpriv.dp.mechanisms import (
    dp_mean,
    gaussian_sigma,
    randomized_response,
    randomized_response_estimate,
    truth_probability,
)
from ehrpriv.scorecard import ScorecardRow

__all__ = [
    "max_attack_accuracy",
    "differencing_attack_success",
    "release_error",
    "error_by_epsilon",
    "measure_query",
    "randomized_response_survey",
    "noise_scales",
    "clipping_tradeoff",
    "query_scorecard_row",
]


def max_attack_accuracy(*, epsilon: float, delta: float = 0.0) -> float:
    """Return the best accuracy of telling two neighbours apart under (eps, delta)-DP.

    With a 50/50 prior on which of two neighbouring data sets was used, any
    attacker's accuracy is at most ``(e^eps + delta) / (1 + e^eps)`` (Kairouz, Oh
    and Viswanath 2015). Exact answers (``epsilon = inf``) allow accuracy 1.

    Parameters
    ----------
    epsilon : float
        Privacy parameter, in (0, inf].
    delta : float, default 0.0
        Privacy parameter, in [0, 1).

    Returns
    -------
    float
        The ceiling on accuracy, between 0.5 and 1.

    Raises
    ------
    TypeError, ValueError
        If a parameter is outside its range.
    """
    epsilon = check_real("epsilon", epsilon, low=0, low_inclusive=False)
    delta = check_delta(delta)
    if math.isinf(epsilon):
        return 1.0
    return (1.0 + delta * math.exp(-epsilon)) / (1.0 + math.exp(-epsilon))


def _dataset(rest: np.ndarray, record: Any) -> np.ndarray:
    """Return ``rest`` with ``record`` appended, or ``rest`` when it is None."""
    if record is None:
        return rest
    # let numpy promote the dtype: a fixed-width string array would truncate a
    # longer label, and a bool array cannot hold a 0/1 record as an int
    return np.concatenate([rest, np.asarray([record])])


def differencing_attack_success(
    rest: Any,
    *,
    present: Any,
    absent: Any,
    query: Callable[[np.ndarray], Any],
    release: Callable[..., Any] | None = None,
    trials: int,
    rng: np.random.Generator,
) -> float:
    """Return how often a differencing attack guesses the target's secret right.

    In each trial a fair coin decides the secret: the target's record is
    ``present`` (e.g. True: has HIV) or ``absent`` (e.g. False, or None for "not in
    the data at all"). The attacker asks the query twice, on every patient and on
    every patient but the target, receives ``release`` of each, and guesses the
    secret whose exact difference of answers is nearer to the observed one. The
    attacker knows every other patient's record (the worst case DP protects
    against), so ``query`` on ``rest`` is all they need.

    Parameters
    ----------
    rest : array-like, shape (n,)
        The records of every patient other than the target (the query's input).
    present, absent : Any
        The target's record in the two worlds; None means no record.
    query : callable
        Exact query, ``query(records) -> number or array``, e.g. ``np.sum``.
    release : callable, optional
        Released answer, called as ``release(records, rng=rng)``, e.g.
        ``functools.partial(dp_count, epsilon=1.0)``. None releases exact answers.
    trials : int
        Repetitions, >= 1.
    rng : numpy.random.Generator
        Draws the secrets and is passed to ``release``.

    Returns
    -------
    float
        Share of trials in which the guess was right (0.5 = guessing).

    Raises
    ------
    TypeError, ValueError
        If ``trials < 1`` or ``rng`` is not a Generator.
    """
    trials = check_int("trials", trials, low=1)
    rng = check_rng(rng)
    others = np.asarray(rest)
    worlds = [_dataset(others, absent), _dataset(others, present)]
    baseline = np.asarray(query(others), dtype=np.float64)
    expected = [
        np.asarray(query(world), dtype=np.float64) - baseline for world in worlds
    ]
    secrets = rng.integers(0, 2, size=trials)
    hits = 0.0
    for secret in secrets:
        if release is None:
            first, second = query(worlds[secret]), query(others)
        else:
            first = release(worlds[secret], rng=rng)
            second = release(others, rng=rng)
        observed = np.asarray(first, dtype=np.float64) - np.asarray(
            second, dtype=np.float64
        )
        distance = [float(np.sum((observed - e) ** 2)) for e in expected]
        if distance[0] == distance[1]:
            hits += 0.5
        else:
            hits += float(int(distance[1] < distance[0]) == secret)
    return hits / trials


def release_error(
    records: Any,
    *,
    query: Callable[[np.ndarray], Any],
    release: Callable[..., Any],
    trials: int,
    rng: np.random.Generator,
) -> float:
    """Return the mean absolute error of ``release`` against the exact ``query``.

    Parameters
    ----------
    records : array-like
        The query's input.
    query : callable
        Exact query, ``query(records)``.
    release : callable
        Released answer, ``release(records, rng=rng)``.
    trials : int
        Repetitions, >= 1.
    rng : numpy.random.Generator
        Passed to ``release``.

    Returns
    -------
    float
        Mean over trials (and over entries, for a histogram) of
        ``|release - exact|``.

    Raises
    ------
    TypeError, ValueError
        If ``trials < 1`` or ``rng`` is not a Generator.
    """
    trials = check_int("trials", trials, low=1)
    rng = check_rng(rng)
    data = np.asarray(records)
    exact = np.asarray(query(data), dtype=np.float64)
    errors = [
        float(np.mean(np.abs(np.asarray(release(data, rng=rng), dtype=float) - exact)))
        for _ in range(trials)
    ]
    return float(np.mean(errors))


def error_by_epsilon(
    records: Any,
    *,
    query: Callable[[np.ndarray], Any],
    release: Callable[..., Any],
    epsilons: Sequence[float],
    trials: int,
    rng: np.random.Generator,
) -> pd.Series:
    """Return the mean absolute error of ``release`` at each epsilon.

    Parameters
    ----------
    records : array-like
        The query's input.
    query : callable
        Exact query, ``query(records)``.
    release : callable
        Released answer, called as ``release(records, epsilon=eps, rng=rng)``,
        e.g. :func:`~ehrpriv.dp.mechanisms.dp_count` or a ``functools.partial`` of
        :func:`~ehrpriv.dp.mechanisms.dp_mean` with its bounds.
    epsilons : sequence of float
        Privacy levels, each in (0, inf).
    trials : int
        Repetitions per epsilon, >= 1.
    rng : numpy.random.Generator
        Passed to ``release``.

    Returns
    -------
    pandas.Series
        Mean absolute error indexed by ``epsilon``.

    Raises
    ------
    TypeError, ValueError
        If a parameter is outside its range.
    """
    errors = {}
    for epsilon in epsilons:
        epsilon = check_epsilon(epsilon)
        errors[epsilon] = release_error(
            records,
            query=query,
            release=functools.partial(release, epsilon=epsilon),
            trials=trials,
            rng=rng,
        )
    return pd.Series(errors, name="mean absolute error").rename_axis("epsilon")


def measure_query(
    rest: Any,
    *,
    present: Any,
    absent: Any,
    query: Callable[[np.ndarray], Any],
    release: Callable[..., Any] | None,
    trials: int,
    rng: np.random.Generator,
) -> dict[str, float]:
    """Return the error and the differencing attack's success for one release.

    The error is measured on the data with the target's ``present`` record (the
    registry as it is); the attack as in :func:`differencing_attack_success`.
    ``release=None`` stands for exact answers (error 0).

    Parameters
    ----------
    rest, present, absent, query, release, trials, rng
        As in :func:`differencing_attack_success`.

    Returns
    -------
    dict
        ``{"error": ..., "attack_success": ...}``, ready to pass to
        :func:`query_scorecard_row` with ``**``.

    Raises
    ------
    TypeError, ValueError
        If ``trials < 1`` or ``rng`` is not a Generator.
    """
    attack = differencing_attack_success(
        rest,
        present=present,
        absent=absent,
        query=query,
        release=release,
        trials=trials,
        rng=rng,
    )
    if release is None:
        error = 0.0
    else:
        records = _dataset(np.asarray(rest), present)
        error = release_error(
            records, query=query, release=release, trials=trials, rng=rng
        )
    return {"error": error, "attack_success": attack}


def randomized_response_survey(
    truth: Any, *, epsilons: Sequence[float], rng: np.random.Generator
) -> pd.DataFrame:
    """Return the randomized-response estimate of a prevalence at each epsilon.

    Parameters
    ----------
    truth : array-like of bool or 0/1, shape (n,)
        Every respondent's true answer.
    epsilons : sequence of float
        Privacy levels, each in (0, inf).
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``epsilon``, with the probability of a truthful answer, the
        share of "yes" reported, the debiased estimate and its standard error
        (:func:`~ehrpriv.dp.mechanisms.randomized_response_estimate`).

    Raises
    ------
    TypeError, ValueError
        If ``truth`` is not 1-D binary or an epsilon is outside (0, inf).
    """
    rows = {}
    for epsilon in epsilons:
        answers = randomized_response(truth, epsilon=epsilon, rng=rng)
        result = randomized_response_estimate(answers, epsilon=epsilon)
        rows[result.epsilon] = {
            "P(truthful)": truth_probability(epsilon=epsilon),
            "share 'yes'": result.observed,
            "estimate": result.estimate,
            "std. error": result.std_error,
        }
    return pd.DataFrame(rows).T.rename_axis("epsilon")


def noise_scales(
    epsilons: Sequence[float], *, delta: float, sensitivity: float = 1.0
) -> pd.DataFrame:
    """Return the Laplace scale and the Gaussian sigma (both calibrations) per epsilon.

    Parameters
    ----------
    epsilons : sequence of float
        Privacy levels, each in (0, inf).
    delta : float
        Delta of the Gaussian mechanism, in (0, 1).
    sensitivity : float, default 1.0
        Sensitivity of the query (L1 for Laplace, L2 for Gaussian).

    Returns
    -------
    pandas.DataFrame
        Rows ``Laplace scale``, ``Gaussian sigma, classical`` (NaN where epsilon >=
        1, outside its proof) and ``Gaussian sigma, analytic``; one column per
        epsilon.

    Raises
    ------
    TypeError, ValueError
        If a parameter is outside its range.
    """
    columns = {}
    for epsilon in epsilons:
        epsilon = check_epsilon(epsilon)
        classical = math.nan
        if epsilon < 1.0:
            classical = gaussian_sigma(
                sensitivity=sensitivity,
                epsilon=epsilon,
                delta=delta,
                calibration="classical",
            )
        columns[epsilon] = {
            "Laplace scale": check_sensitivity(sensitivity) / epsilon,
            "Gaussian sigma, classical": classical,
            "Gaussian sigma, analytic": gaussian_sigma(
                sensitivity=sensitivity, epsilon=epsilon, delta=delta
            ),
        }
    return pd.DataFrame(columns).rename_axis(columns="epsilon")


def clipping_tradeoff(
    values: Any,
    *,
    lower: float,
    uppers: Sequence[float],
    epsilon: float,
    trials: int,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Return the bias and the error of :func:`dp_mean` for several upper bounds.

    Parameters
    ----------
    values : array-like of float, shape (n,)
        One finite value per patient.
    lower : float
        Lower clipping bound, shared by every row.
    uppers : sequence of float
        Upper clipping bounds to compare, each above ``lower``.
    epsilon : float
        Privacy parameter of each mean, in (0, inf).
    trials : int
        Releases per bound, >= 1.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``upper bound``: ``clipping bias`` (clipped mean minus true
        mean, no noise) and ``mean abs. error`` of the DP mean against the true
        mean (bias and noise together).

    Raises
    ------
    TypeError, ValueError
        If a parameter is outside its range.
    """
    data = np.asarray(values, dtype=np.float64)
    rows = {}
    for upper in uppers:
        release = functools.partial(dp_mean, lower=lower, upper=upper, epsilon=epsilon)
        error = release_error(
            data, query=np.mean, release=release, trials=trials, rng=rng
        )
        rows[float(upper)] = {
            "clipping bias": float(np.clip(data, lower, upper).mean() - data.mean()),
            "mean abs. error": error,
        }
    return pd.DataFrame(rows).T.rename_axis("upper bound")


def query_scorecard_row(
    *,
    query: str,
    mechanism: str,
    error: float,
    attack_success: float,
    epsilon: float | None,
    delta: float | None = None,
) -> ScorecardRow:
    """Return the scorecard row of one released query, measured in lesson 03.

    Parameters
    ----------
    query : str
        What was asked, e.g. ``"HIV count at one hospital"``; used as the task.
    mechanism : str
        How it was answered, e.g. ``"Laplace"``, or ``"none (exact)"``.
    error : float
        Mean absolute error of the released answers (:func:`release_error`).
    attack_success : float
        Accuracy of the differencing attack (:func:`differencing_attack_success`).
    epsilon, delta : float or None
        The guarantee; ``epsilon=None`` for exact answers.

    Returns
    -------
    ScorecardRow
        With utility metric "mean absolute error", attack "differencing attack"
        and the threat model written out.
    """
    if epsilon is None:
        threat = "none: exact answers to any query"
        setting = "exact"
    else:
        guarantee = f"epsilon = {epsilon:g}" + (f", delta = {delta:g}" if delta else "")
        threat = (
            f"central DP ({guarantee}) per query, add/remove one patient; curator "
            "trusted, analyst knows every other patient"
        )
        setting = guarantee
    return ScorecardRow(
        lesson="03",
        technique=mechanism,
        setting=setting,
        task=query,
        utility_metric="mean absolute error",
        utility=error,
        threat_model=threat,
        attack="differencing attack",
        attack_metric="accuracy (0.5 = guessing)",
        attack_success=attack_success,
        epsilon=epsilon,
        delta=delta,
    )
