"""Teaching implementations of the basic differential-privacy mechanisms.

Introduced in lesson 03 (``notebooks/03_differential_privacy.ipynb``).

**Teaching code, not for production.** Every function here draws its noise with
numpy in double precision, exactly as a textbook would write it. That is the
clearest way to see what a mechanism does, and it is also unsafe: the naive
floating-point Laplace sampler leaks the input through the low-order bits of its
output (Mironov 2012), which :mod:`ehrpriv.dp.pitfalls` demonstrates on
:func:`laplace_mechanism` itself. numpy's generators are not cryptographically
secure either. To release statistics about real patients use a vetted library,
such as OpenDP, wrapped for the lesson in :mod:`ehrpriv.dp.vetted`.

Contents:

- randomized response (Warner 1965) and its debiased prevalence estimate;
- the Laplace mechanism (Dwork, McSherry, Nissim and Smith 2006);
- the Gaussian mechanism, calibrated either classically (Dwork and Roth 2014,
  Theorem A.1, valid for epsilon < 1) or exactly by the analytic Gaussian
  mechanism (Balle and Wang 2018), which is the default;
- sensitivity helpers and the queries of the lesson: :func:`dp_count`,
  :func:`dp_mean` (with clipping) and :func:`dp_histogram` (parallel composition).

The neighbouring relation throughout is *add or remove one patient*, and every
input array holds at most one entry per patient.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import optimize, special

from ehrpriv._validation import check_choice, check_int, check_real
from ehrpriv.dp._params import (
    as_flags,
    as_float_array,
    check_bounds,
    check_delta,
    check_epsilon,
    check_rng,
    check_sensitivity,
)

if TYPE_CHECKING:  # imported for type hints only, to avoid an import cycle
    from ehrpriv.dp.accounting import PrivacyBudget

logger = logging.getLogger(__name__)

__all__ = [
    "RandomizedResponseEstimate",
    "randomized_response",
    "randomized_response_estimate",
    "truth_probability",
    "laplace_mechanism",
    "gaussian_mechanism",
    "gaussian_sigma",
    "gaussian_delta",
    "gaussian_epsilon",
    "count_sensitivity",
    "bounded_sum_sensitivity",
    "clipped_mean_sensitivity",
    "dp_count",
    "dp_mean",
    "dp_histogram",
    "histogram_counts",
]

CALIBRATIONS = ("analytic", "classical")
MECHANISMS = ("laplace", "gaussian")


def _noisy(value: Any, noise: np.ndarray) -> float | np.ndarray:
    """Return ``value + noise`` as a float for scalars, an array otherwise."""
    out = value + noise
    return float(out) if np.ndim(out) == 0 else out


# --------------------------------------------------------------------------------
# Randomized response
# --------------------------------------------------------------------------------
def truth_probability(*, epsilon: float) -> float:
    """Return the probability ``e^eps / (1 + e^eps)`` that a respondent answers truly.

    Parameters
    ----------
    epsilon : float
        Privacy parameter of randomized response, in (0, inf).

    Returns
    -------
    float
        The probability ``p`` of reporting the true answer; the answer is flipped
        with probability ``1 - p``, so that ``p / (1 - p) = e^eps``.

    Raises
    ------
    TypeError, ValueError
        If ``epsilon`` is not a real number in (0, inf).
    """
    return float(special.expit(check_epsilon(epsilon)))


def randomized_response(
    truth: Any, *, epsilon: float, rng: np.random.Generator
) -> np.ndarray:
    """Return each respondent's randomized answer to a yes/no question.

    Each respondent reports the truth with probability ``e^eps / (1 + e^eps)`` and
    the opposite answer otherwise (Warner 1965). Because the flip happens on the
    respondent's side, the collector never sees a true answer: the mechanism is
    epsilon-differentially private for each respondent (*local* DP).
    Teaching code, not for production (numpy random numbers).

    Parameters
    ----------
    truth : array-like of bool or 0/1, shape (n,)
        The true answers, one per respondent.
    epsilon : float
        Privacy parameter, in (0, inf).
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
        The reported answers.

    Raises
    ------
    TypeError, ValueError
        If ``truth`` is not 1-D binary, ``epsilon`` is not in (0, inf) or ``rng`` is
        not a Generator.
    """
    answers = as_flags(truth, name="truth")
    keep = truth_probability(epsilon=epsilon)
    rng = check_rng(rng)
    return np.where(rng.random(answers.shape[0]) < keep, answers, ~answers)


@dataclass(frozen=True)
class RandomizedResponseEstimate:
    """A prevalence estimated from randomized responses, with its standard error.

    Attributes
    ----------
    estimate : float
        Unbiased estimate of the true share of "yes"; it can fall slightly
        outside [0, 1] in small samples.
    std_error : float
        Estimated standard error of ``estimate``.
    observed : float
        Share of "yes" among the randomized responses.
    n : int
        Number of responses.
    epsilon : float
        The privacy parameter the responses were randomized with.
    """

    estimate: float
    std_error: float
    observed: float
    n: int
    epsilon: float


def randomized_response_estimate(
    responses: Any, *, epsilon: float
) -> RandomizedResponseEstimate:
    """Return the debiased prevalence of "yes" and its standard error.

    With ``p`` the probability of a truthful answer, the share of "yes" among the
    responses has expectation ``lam = (1 - p) + (2p - 1) * pi``, where ``pi`` is
    the true prevalence. The estimator inverts that line,
    ``pi_hat = (lam_hat - (1 - p)) / (2p - 1)``, and its standard error is
    ``sqrt(lam_hat (1 - lam_hat) / n) / (2p - 1)`` (Warner 1965).

    Parameters
    ----------
    responses : array-like of bool or 0/1, shape (n,)
        Output of :func:`randomized_response`.
    epsilon : float
        The privacy parameter used to randomize them, in (0, inf).

    Returns
    -------
    RandomizedResponseEstimate
        The estimate, its standard error, the observed share and ``n``.

    Raises
    ------
    TypeError, ValueError
        If ``responses`` is empty or not 1-D binary, or ``epsilon`` is invalid.
    """
    answers = as_flags(responses, name="responses")
    n = answers.shape[0]
    if n == 0:
        raise ValueError("responses must hold at least one answer; got 0.")
    epsilon = check_epsilon(epsilon)
    keep = truth_probability(epsilon=epsilon)
    observed = float(answers.mean())
    slope = 2.0 * keep - 1.0
    return RandomizedResponseEstimate(
        estimate=(observed - (1.0 - keep)) / slope,
        std_error=math.sqrt(observed * (1.0 - observed) / n) / slope,
        observed=observed,
        n=n,
        epsilon=epsilon,
    )


# --------------------------------------------------------------------------------
# Laplace mechanism
# --------------------------------------------------------------------------------
def laplace_mechanism(
    value: Any, *, sensitivity: float, epsilon: float, rng: np.random.Generator
) -> float | np.ndarray:
    """Return ``value`` plus Laplace noise of scale ``sensitivity / epsilon``.

    If ``value`` is a query answer whose L1 sensitivity is at most
    ``sensitivity``, the output is epsilon-differentially private (Dwork, McSherry,
    Nissim and Smith 2006) *in exact arithmetic*.

    **Teaching code, not for production.** The noise is ``rng.laplace``, numpy's
    inverse-CDF sampler on doubles, and the sum is rounded to a double. The set
    of doubles this can return depends on ``value``, so some outputs reveal the
    input exactly (Mironov 2012); :func:`ehrpriv.dp.pitfalls.floating_point_attack`
    measures how often. Use :mod:`ehrpriv.dp.vetted` (OpenDP) for real data.

    Parameters
    ----------
    value : float or array-like
        The exact query answer(s); every entry gets independent noise.
    sensitivity : float
        L1 sensitivity of the query, in (0, inf).
    epsilon : float
        Privacy parameter, in (0, inf).
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    float or numpy.ndarray
        The noisy answer, with the shape of ``value``.

    Raises
    ------
    TypeError, ValueError
        If a parameter is outside its range or ``value`` is not finite.
    """
    exact = as_float_array(value, name="value")
    scale = check_sensitivity(sensitivity) / check_epsilon(epsilon)
    rng = check_rng(rng)
    return _noisy(exact, rng.laplace(0.0, scale, size=exact.shape))


# --------------------------------------------------------------------------------
# Gaussian mechanism
# --------------------------------------------------------------------------------
def gaussian_delta(*, sigma: float, sensitivity: float, epsilon: float) -> float:
    """Return the exact delta at ``epsilon`` of the Gaussian mechanism with ``sigma``.

    This is the privacy profile of Balle and Wang (2018, Theorem 8):
    ``Phi(D / (2 s) - eps s / D) - e^eps Phi(-D / (2 s) - eps s / D)`` with
    ``D = sensitivity`` and ``s = sigma``. The mechanism is (eps, delta)-DP if and
    only if delta is at least this value.

    Parameters
    ----------
    sigma : float
        Standard deviation of the noise, in (0, inf).
    sensitivity : float
        L2 sensitivity of the query, in (0, inf).
    epsilon : float
        Privacy parameter, in [0, inf).

    Returns
    -------
    float
        The smallest delta for which the mechanism is (epsilon, delta)-DP.

    Raises
    ------
    TypeError, ValueError
        If a parameter is outside its range.
    """
    sigma = check_sensitivity(sigma, name="sigma")
    sensitivity = check_sensitivity(sensitivity)
    epsilon = check_real("epsilon", epsilon, low=0)
    return _gaussian_delta(sigma / sensitivity, epsilon)


def _gaussian_delta(ratio: float, epsilon: float) -> float:
    """Exact delta of the Gaussian mechanism with ``sigma / sensitivity = ratio``."""
    a = 0.5 / ratio - epsilon * ratio
    b = -0.5 / ratio - epsilon * ratio
    delta = special.ndtr(a) - math.exp(epsilon + special.log_ndtr(b))
    return float(max(delta, 0.0))


def _bracket_root(function: Any, low: float, high: float) -> tuple[float, float]:
    """Widen ``[low, high]`` (in log space) until ``function`` changes sign."""
    for _ in range(200):
        if function(low) > 0:
            break
        low -= 2.0
    for _ in range(200):
        if function(high) < 0:
            break
        high += 2.0
    return low, high


def _classical_sigma(sensitivity: float, epsilon: float, delta: float) -> float:
    """Return the classical calibration of Dwork and Roth (2014, Theorem A.1)."""
    return sensitivity * math.sqrt(2.0 * math.log(1.25 / delta)) / epsilon


def gaussian_sigma(
    *,
    sensitivity: float,
    epsilon: float,
    delta: float,
    calibration: str = "analytic",
) -> float:
    """Return the noise sigma that makes a Gaussian mechanism (eps, delta)-DP.

    Parameters
    ----------
    sensitivity : float
        L2 sensitivity of the query, in (0, inf).
    epsilon : float
        Privacy parameter, in (0, inf); below 1 for ``calibration="classical"``.
    delta : float
        Privacy parameter, in (0, 1).
    calibration : {"analytic", "classical"}, default "analytic"
        ``"analytic"``: the smallest sigma that satisfies the exact privacy profile
        (:func:`gaussian_delta`), found numerically (Balle and Wang 2018); valid for
        every epsilon. ``"classical"``:
        ``sensitivity * sqrt(2 ln(1.25 / delta)) / epsilon`` (Dwork and Roth 2014,
        Theorem A.1), proved only for epsilon < 1 and always larger.

    Returns
    -------
    float
        The standard deviation sigma.

    Raises
    ------
    TypeError, ValueError
        If a parameter is outside its range, including ``epsilon >= 1`` with the
        classical calibration.
    """
    sensitivity = check_sensitivity(sensitivity)
    epsilon = check_epsilon(epsilon)
    delta = check_delta(delta, positive=True)
    check_choice("calibration", calibration, CALIBRATIONS)
    if calibration == "classical":
        if epsilon >= 1.0:
            raise ValueError(
                "epsilon must be in (0, 1) for calibration='classical' (the bound "
                f"is proved only there); got {epsilon:g}. Use "
                "calibration='analytic'."
            )
        return _classical_sigma(sensitivity, epsilon, delta)

    def excess(log_ratio: float) -> float:
        """Delta at sigma/sensitivity = exp(log_ratio), minus the target delta."""
        return _gaussian_delta(math.exp(log_ratio), epsilon) - delta

    low, high = _bracket_root(excess, -2.0, 2.0)
    root = optimize.brentq(excess, low, high, xtol=1e-13, rtol=1e-13)
    ratio = math.exp(root)
    while _gaussian_delta(ratio, epsilon) > delta:  # round up, never down
        ratio = math.nextafter(ratio, math.inf)
    return ratio * sensitivity


def gaussian_epsilon(*, sigma: float, sensitivity: float, delta: float) -> float:
    """Return the smallest epsilon for which a Gaussian mechanism is (eps, delta)-DP.

    The inverse of :func:`gaussian_sigma` with the analytic calibration: it solves
    the exact privacy profile (:func:`gaussian_delta`) for epsilon.

    Parameters
    ----------
    sigma : float
        Standard deviation of the noise, in (0, inf).
    sensitivity : float
        L2 sensitivity of the query, in (0, inf).
    delta : float
        Privacy parameter, in (0, 1).

    Returns
    -------
    float
        The epsilon, 0 when the noise is so large that delta alone suffices.

    Raises
    ------
    TypeError, ValueError
        If a parameter is outside its range.
    """
    ratio = check_sensitivity(sigma, name="sigma") / check_sensitivity(sensitivity)
    delta = check_delta(delta, positive=True)
    if _gaussian_delta(ratio, 0.0) <= delta:
        return 0.0

    def excess(epsilon: float) -> float:
        """Exact delta at ``epsilon`` minus the target delta."""
        return _gaussian_delta(ratio, epsilon) - delta

    high = 1.0
    while excess(high) > 0:
        high *= 2.0
    epsilon = optimize.brentq(excess, 0.0, high, xtol=1e-13, rtol=1e-13)
    while excess(epsilon) > 0:  # round up, never down
        epsilon = math.nextafter(epsilon, math.inf)
    return float(epsilon)


def gaussian_mechanism(
    value: Any,
    *,
    sensitivity: float,
    epsilon: float,
    delta: float,
    rng: np.random.Generator,
    calibration: str = "analytic",
) -> float | np.ndarray:
    """Return ``value`` plus Gaussian noise calibrated to (epsilon, delta)-DP.

    The standard deviation comes from :func:`gaussian_sigma`: by default the
    analytic Gaussian mechanism of Balle and Wang (2018), which is exact and valid
    for every epsilon; with ``calibration="classical"`` the textbook bound
    ``sensitivity * sqrt(2 ln(1.25 / delta)) / epsilon``, valid for epsilon < 1.
    **Teaching code, not for production** (numpy floating-point noise; see
    :mod:`ehrpriv.dp.vetted` for OpenDP).

    Parameters
    ----------
    value : float or array-like
        The exact query answer(s); every entry gets independent noise.
    sensitivity : float
        L2 sensitivity of the query, in (0, inf).
    epsilon : float
        Privacy parameter, in (0, inf) (below 1 for the classical calibration).
    delta : float
        Privacy parameter, in (0, 1); the Gaussian mechanism needs delta > 0.
    rng : numpy.random.Generator
        Source of randomness.
    calibration : {"analytic", "classical"}, default "analytic"
        How sigma is computed; see :func:`gaussian_sigma`.

    Returns
    -------
    float or numpy.ndarray
        The noisy answer, with the shape of ``value``.

    Raises
    ------
    TypeError, ValueError
        If a parameter is outside its range or ``value`` is not finite.
    """
    exact = as_float_array(value, name="value")
    sigma = gaussian_sigma(
        sensitivity=sensitivity, epsilon=epsilon, delta=delta, calibration=calibration
    )
    rng = check_rng(rng)
    logger.debug("Gaussian mechanism, %s calibration: sigma = %g", calibration, sigma)
    return _noisy(exact, rng.normal(0.0, sigma, size=exact.shape))


# --------------------------------------------------------------------------------
# Sensitivity
# --------------------------------------------------------------------------------
def count_sensitivity(*, max_contributions: int = 1) -> float:
    """Return the sensitivity of a count when a patient adds at most that many rows.

    Parameters
    ----------
    max_contributions : int, default 1
        Rows one patient can add to the count (1 for a count of patients; the
        maximum number of admissions per patient for a count of admissions).

    Returns
    -------
    float
        ``max_contributions``: adding or removing one patient changes the count by
        at most that much.

    Raises
    ------
    TypeError, ValueError
        If ``max_contributions`` is not an integer >= 1.
    """
    return float(check_int("max_contributions", max_contributions, low=1))


def bounded_sum_sensitivity(
    *, lower: float, upper: float, max_contributions: int = 1
) -> float:
    """Return the sensitivity of a sum of values clipped to ``[lower, upper]``.

    Parameters
    ----------
    lower, upper : float
        Clipping bounds, finite, ``lower < upper``.
    max_contributions : int, default 1
        Values one patient can add to the sum.

    Returns
    -------
    float
        ``max(|lower|, |upper|) * max_contributions``: the most that adding or
        removing one patient can change the sum.

    Raises
    ------
    TypeError, ValueError
        If the bounds are not finite and increasing or ``max_contributions < 1``.
    """
    low, high = check_bounds(lower, upper)
    per_row = max(abs(low), abs(high))
    return per_row * count_sensitivity(max_contributions=max_contributions)


def clipped_mean_sensitivity(*, lower: float, upper: float, n: int) -> float:
    """Return the sensitivity of the mean of ``n`` values clipped to ``[lower, upper]``.

    Here the number of patients ``n`` is public and neighbours differ by
    *replacing* one patient's value, so the mean moves by at most
    ``(upper - lower) / n``. Without clipping the sensitivity of a mean is
    unbounded: one absurd lab value can move it arbitrarily far.

    Parameters
    ----------
    lower, upper : float
        Clipping bounds, finite, ``lower < upper``.
    n : int
        Number of values averaged, >= 1.

    Returns
    -------
    float
        ``(upper - lower) / n``.

    Raises
    ------
    TypeError, ValueError
        If the bounds are not finite and increasing or ``n < 1``.
    """
    low, high = check_bounds(lower, upper)
    return (high - low) / check_int("n", n, low=1)


# --------------------------------------------------------------------------------
# Queries
# --------------------------------------------------------------------------------
def _charge(
    budget: PrivacyBudget | None, epsilon: float, delta: float, label: str
) -> None:
    """Charge ``budget`` before any noise is drawn (a refused query costs nothing)."""
    if budget is None:
        return
    spend = getattr(budget, "spend", None)
    if spend is None:
        raise TypeError(
            f"budget must be a PrivacyBudget or None; got {type(budget).__name__}."
        )
    spend(epsilon=epsilon, delta=delta, label=label)


def dp_count(
    flags: Any,
    *,
    epsilon: float,
    rng: np.random.Generator,
    delta: float = 0.0,
    mechanism: str = "laplace",
    budget: PrivacyBudget | None = None,
    label: str = "count",
) -> float:
    """Return the number of patients with a property, plus noise calibrated to DP.

    A count of patients changes by at most 1 when one patient is added or removed
    (sensitivity 1, in L1 and L2 alike). With ``mechanism="laplace"`` the noise is
    Laplace(1 / epsilon) and the count is epsilon-DP; with ``"gaussian"`` it is
    Gaussian with the analytic calibration and the count is (epsilon, delta)-DP.
    **Teaching code, not for production** (see :func:`laplace_mechanism`).

    Parameters
    ----------
    flags : array-like of bool or 0/1, shape (n,)
        One entry per patient: whether the patient has the property counted.
    epsilon : float
        Privacy parameter, in (0, inf).
    rng : numpy.random.Generator
        Source of randomness.
    delta : float, default 0.0
        Privacy parameter, in [0, 1); must be positive for the Gaussian mechanism.
    mechanism : {"laplace", "gaussian"}, default "laplace"
        Noise distribution.
    budget : PrivacyBudget, optional
        Charged (epsilon, delta) before the answer is computed; a query that would
        exceed it raises and releases nothing.
    label : str, default "count"
        Name of the query in the budget's ledger.

    Returns
    -------
    float
        The noisy count (not rounded: rounding is allowed post-processing).

    Raises
    ------
    TypeError, ValueError
        If ``flags`` is not 1-D binary or a parameter is outside its range.
    BudgetExceededError
        If ``budget`` cannot afford (epsilon, delta).
    """
    exact = int(as_flags(flags, name="flags").sum())
    epsilon = check_epsilon(epsilon)
    check_choice("mechanism", mechanism, MECHANISMS)
    delta = check_delta(delta, positive=mechanism == "gaussian")
    rng = check_rng(rng)
    _charge(budget, epsilon, delta, label)
    if mechanism == "gaussian":
        noisy = gaussian_mechanism(
            exact, sensitivity=1.0, epsilon=epsilon, delta=delta, rng=rng
        )
    else:
        noisy = laplace_mechanism(
            exact, sensitivity=count_sensitivity(), epsilon=epsilon, rng=rng
        )
    return float(noisy)


def dp_mean(
    values: Any,
    *,
    lower: float,
    upper: float,
    epsilon: float,
    rng: np.random.Generator,
    budget: PrivacyBudget | None = None,
    label: str = "mean",
) -> float:
    """Return an epsilon-DP mean of values clipped to ``[lower, upper]``.

    The values are clipped, then two quantities are released with epsilon / 2
    each (sequential composition): the count (sensitivity 1) and the sum of the
    clipped values minus the midpoint ``m = (lower + upper) / 2`` (sensitivity
    ``(upper - lower) / 2``, half that of the raw sum). The mean is
    ``m + noisy_sum / max(noisy_count, 1)``, clipped to ``[lower, upper]``; both
    are post-processing. The number of patients stays private. Clipping trades a
    bias (values beyond the bounds are pulled in) for a bounded sensitivity.
    **Teaching code, not for production** (see :func:`laplace_mechanism`).

    Parameters
    ----------
    values : array-like of float, shape (n,)
        One value per patient, finite (drop missing values first, e.g. with
        ``Series.dropna()``).
    lower, upper : float
        Clipping bounds, chosen without looking at the data.
    epsilon : float
        Total privacy parameter, in (0, inf).
    rng : numpy.random.Generator
        Source of randomness.
    budget : PrivacyBudget, optional
        Charged ``epsilon`` before the answer is computed.
    label : str, default "mean"
        Name of the query in the budget's ledger.

    Returns
    -------
    float
        The noisy mean, within ``[lower, upper]``.

    Raises
    ------
    TypeError, ValueError
        If ``values`` is not 1-D and finite, or a parameter is outside its range.
    BudgetExceededError
        If ``budget`` cannot afford ``epsilon``.
    """
    data = as_float_array(values, name="values")
    if data.ndim != 1:
        raise ValueError(
            f"values must be 1-D (one value per patient); got shape {data.shape}."
        )
    low, high = check_bounds(lower, upper)
    epsilon = check_epsilon(epsilon)
    rng = check_rng(rng)
    _charge(budget, epsilon, 0.0, label)
    middle, half_width = (low + high) / 2.0, (high - low) / 2.0
    centred_sum = float(np.sum(np.clip(data, low, high) - middle))
    noisy_sum = laplace_mechanism(
        centred_sum, sensitivity=half_width, epsilon=epsilon / 2.0, rng=rng
    )
    noisy_count = laplace_mechanism(
        data.shape[0], sensitivity=1.0, epsilon=epsilon / 2.0, rng=rng
    )
    return float(np.clip(middle + noisy_sum / max(noisy_count, 1.0), low, high))


def dp_histogram(
    labels: Any,
    *,
    categories: Sequence[Any],
    epsilon: float,
    rng: np.random.Generator,
    budget: PrivacyBudget | None = None,
    label: str = "histogram",
) -> pd.Series:
    """Return the count of patients in each category, each with Laplace(1 / eps) noise.

    The bins are disjoint and each patient falls in one, so adding or removing a
    patient changes a single count by 1: by *parallel composition* the whole
    histogram costs epsilon, not ``len(categories) * epsilon``. The categories
    must be fixed in advance (public), never read off the data, or the list of
    non-empty bins would itself leak. Labels outside ``categories`` are ignored.
    **Teaching code, not for production** (see :func:`laplace_mechanism`).

    Parameters
    ----------
    labels : array-like, shape (n,)
        One category label per patient.
    categories : sequence
        The public list of bins, without duplicates.
    epsilon : float
        Privacy parameter of the whole histogram, in (0, inf).
    rng : numpy.random.Generator
        Source of randomness.
    budget : PrivacyBudget, optional
        Charged ``epsilon`` once, before the answer is computed.
    label : str, default "histogram"
        Name of the query in the budget's ledger.

    Returns
    -------
    pandas.Series
        Noisy counts indexed by ``categories``, in their order.

    Raises
    ------
    TypeError, ValueError
        If ``categories`` is empty or has duplicates, ``labels`` is not 1-D, or a
        parameter is outside its range.
    BudgetExceededError
        If ``budget`` cannot afford ``epsilon``.
    """
    exact = histogram_counts(labels, categories=categories)
    epsilon = check_epsilon(epsilon)
    rng = check_rng(rng)
    bins = list(categories)
    _charge(budget, epsilon, 0.0, f"{label} ({len(bins)} disjoint bins, parallel)")
    noisy = laplace_mechanism(exact, sensitivity=1.0, epsilon=epsilon, rng=rng)
    return pd.Series(noisy, index=pd.Index(bins), name="dp_count")


def histogram_counts(labels: Any, *, categories: Sequence[Any]) -> np.ndarray:
    """Return the exact number of labels in each category, in the order given.

    Parameters
    ----------
    labels : array-like, shape (n,)
        One category label per patient; labels outside ``categories`` are ignored.
    categories : sequence
        The bins, without duplicates.

    Returns
    -------
    numpy.ndarray of float, shape (len(categories),)
        The counts.

    Raises
    ------
    ValueError
        If ``categories`` is empty or has duplicates, or ``labels`` is not 1-D.
    """
    bins = list(categories)
    if not bins or len(set(bins)) != len(bins):
        raise ValueError(
            f"categories must be a non-empty list without duplicates; got {bins!r}."
        )
    data = np.asarray(labels, dtype=object)
    if data.ndim != 1:
        raise ValueError(
            f"labels must be 1-D (one label per patient); got shape {data.shape}."
        )
    codes = pd.Index(bins).get_indexer(data)
    dropped = int((codes < 0).sum())
    if dropped:
        logger.debug("histogram_counts: %d label(s) outside categories", dropped)
    counts = np.bincount(codes[codes >= 0], minlength=len(bins))
    return counts.astype(np.float64)
