"""Tests for ehrpriv.dp: mechanisms, accounting, the floating-point pitfall, OpenDP.

Statistical tests
-----------------
Several tests check that a mechanism's output follows its intended distribution
(Kolmogorov-Smirnov for Laplace and Gaussian noise, an exact binomial test for
randomized response, z-tests for estimators). Each uses significance level
``ALPHA = 1e-6``: a *correct* implementation fails a given check for at most a
fraction 1e-6 of seeds, so the ~25 statistical checks below together have a
false-failure rate below 3e-5. Every generator is seeded, so a run is
deterministic: with the seeds fixed here the tests either always pass or always
fail. Sample sizes are chosen so that the tests have power: a noise scale off by
20 % (or an epsilon off by 20 % for randomized response) is rejected with
probability above 1 - 1e-20 (the Dvoretzky-Kiefer-Wolfowitz bound, computed in
each test's docstring), and :func:`test_ks_check_rejects_wrong_scale` shows it.
OpenDP cannot be seeded (it draws from the operating system); its tests only
check bounds that fail with probability below 1e-12.
"""

from __future__ import annotations

import functools
import math

import matplotlib

matplotlib.use("Agg")  # headless backend; set before pyplot is imported

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import integrate, stats  # noqa: E402

from ehrpriv import dp  # noqa: E402
from ehrpriv._validation import WeakPrivacyWarning
from ehrpriv.dp import accounting, mechanisms, pitfalls, vetted  # noqa: E402
from ehrpriv.dp import plots as dp_plots  # noqa: E402
from ehrpriv.scorecard import ScorecardRow  # noqa: E402

ALPHA = 1e-6
#: Two-sided standard-normal quantile at ALPHA: |z| above it fails a z-test.
Z_ALPHA = float(stats.norm.isf(ALPHA / 2))
N_KS = 100_000


def ks_pvalue(samples: np.ndarray, cdf) -> float:
    """Return the p-value of the one-sample Kolmogorov-Smirnov test."""
    return float(stats.kstest(samples, cdf).pvalue)


def laplace_cdf(scale: float):
    """Return the CDF of Laplace(0, scale)."""
    return stats.laplace(loc=0.0, scale=scale).cdf


def normal_cdf(sigma: float):
    """Return the CDF of Normal(0, sigma)."""
    return stats.norm(loc=0.0, scale=sigma).cdf


# ---------------------------------------------------------------------------
# argument checks: the message names the parameter, the range and the value
# ---------------------------------------------------------------------------
RNG = np.random.default_rng(0)
BAD_PARAMETERS = [
    (
        functools.partial(dp.laplace_mechanism, 1.0, sensitivity=1.0, rng=RNG),
        {"epsilon": 0.0},
        ValueError,
        r"epsilon must be in \(0, inf\); got 0\.0\.",
    ),
    (
        functools.partial(dp.laplace_mechanism, 1.0, sensitivity=1.0, rng=RNG),
        {"epsilon": -1},
        ValueError,
        r"epsilon must be in \(0, inf\); got -1\.",
    ),
    (
        functools.partial(dp.laplace_mechanism, 1.0, sensitivity=1.0, rng=RNG),
        {"epsilon": math.inf},
        ValueError,
        r"epsilon must be in \(0, inf\); got inf\.",
    ),
    (
        functools.partial(dp.laplace_mechanism, 1.0, sensitivity=1.0, rng=RNG),
        {"epsilon": float("nan")},
        ValueError,
        r"epsilon must be in \(0, inf\); got nan\.",
    ),
    (
        functools.partial(dp.laplace_mechanism, 1.0, sensitivity=1.0, rng=RNG),
        {"epsilon": "1"},
        TypeError,
        r"epsilon must be a real number in \(0, inf\); got '1'\.",
    ),
    (
        functools.partial(dp.laplace_mechanism, 1.0, sensitivity=1.0, rng=RNG),
        {"epsilon": True},
        TypeError,
        r"epsilon must be a real number in \(0, inf\); got True\.",
    ),
    (
        functools.partial(dp.laplace_mechanism, 1.0, epsilon=1.0, rng=RNG),
        {"sensitivity": 0},
        ValueError,
        r"sensitivity must be in \(0, inf\); got 0\.",
    ),
    (
        functools.partial(dp.laplace_mechanism, 1.0, sensitivity=1.0, epsilon=1.0),
        {"rng": 7},
        TypeError,
        r"rng must be a numpy\.random\.Generator, e\.g\. "
        r"np\.random\.default_rng\(SEED\); got int\.",
    ),
    (
        functools.partial(dp.laplace_mechanism, sensitivity=1.0, epsilon=1.0, rng=RNG),
        {"value": [1.0, float("nan")]},
        ValueError,
        r"value must hold finite numbers; got nan\.",
    ),
    (
        functools.partial(
            dp.gaussian_mechanism, 1.0, sensitivity=1.0, epsilon=1.0, rng=RNG
        ),
        {"delta": 0.0},
        ValueError,
        r"delta must be in \(0, 1\); got 0\.0\.",
    ),
    (
        functools.partial(
            dp.gaussian_mechanism, 1.0, sensitivity=1.0, epsilon=1.0, rng=RNG
        ),
        {"delta": 1.0},
        ValueError,
        r"delta must be in \(0, 1\); got 1\.0\.",
    ),
    (
        functools.partial(
            dp.gaussian_mechanism, 1.0, sensitivity=1.0, delta=1e-5, rng=RNG
        ),
        {"epsilon": 2.0, "calibration": "classical"},
        ValueError,
        r"epsilon must be in \(0, 1\) for calibration='classical' .*; got 2\.",
    ),
    (
        functools.partial(
            dp.gaussian_mechanism, 1.0, sensitivity=1.0, epsilon=0.5, delta=1e-5
        ),
        {"rng": RNG, "calibration": "exact"},
        ValueError,
        r"calibration must be one of 'analytic', 'classical'; got 'exact'\.",
    ),
    (
        dp.PrivacyBudget,
        {"epsilon": 1.0, "delta": -0.1},
        ValueError,
        r"delta must be in \[0, 1\); got -0\.1\.",
    ),
    (
        functools.partial(dp.dp_mean, [1.0, 2.0], epsilon=1.0, rng=RNG),
        {"lower": 3.0, "upper": 3.0},
        ValueError,
        r"upper must be greater than lower \(3\); got 3\.0\.",
    ),
    (
        functools.partial(dp.dp_mean, [1.0, 2.0], epsilon=1.0, rng=RNG),
        {"lower": 0.0, "upper": math.inf},
        ValueError,
        r"upper must be a finite number in \(-inf, inf\); got inf\.",
    ),
    (
        functools.partial(dp.dp_count, epsilon=1.0, rng=RNG),
        {"flags": [0, 1, 2]},
        ValueError,
        r"flags must hold booleans or 0/1 numbers; got 2 at index 2\.",
    ),
    (
        functools.partial(dp.randomized_response, [True, False], rng=RNG),
        {"epsilon": 0},
        ValueError,
        r"epsilon must be in \(0, inf\); got 0\.",
    ),
    (
        functools.partial(dp.dp_histogram, ["a"], epsilon=1.0, rng=RNG),
        {"categories": ["a", "a"]},
        ValueError,
        r"categories must be a non-empty list without duplicates; got \['a', 'a'\]\.",
    ),
    (
        dp.zcdp_to_epsilon,
        {"rho": -1.0, "delta": 1e-5},
        ValueError,
        r"rho must be in \[0, inf\); got -1\.0\.",
    ),
    (
        functools.partial(dp.zcdp_to_epsilon, 0.5, delta=1e-5),
        {"method": "rdp"},
        ValueError,
        r"method must be one of 'cks', 'bun-steinke'; got 'rdp'\.",
    ),
    (
        functools.partial(dp.count_sensitivity),
        {"max_contributions": 0},
        ValueError,
        r"max_contributions must be an integer >= 1; got 0\.",
    ),
    (
        functools.partial(dp.dp_count, [True], epsilon=1.0, rng=RNG),
        {"mechanism": "gaussian"},
        ValueError,
        r"delta must be in \(0, 1\); got 0\.0\.",
    ),
    (
        functools.partial(dp.dp_count, [True], epsilon=1.0, rng=RNG),
        {"mechanism": "exponential"},
        ValueError,
        r"mechanism must be one of 'laplace', 'gaussian'; got 'exponential'\.",
    ),
    (
        functools.partial(dp.differencing_attack_success, [1], present=1, absent=0),
        {"query": np.sum, "trials": 0, "rng": RNG},
        ValueError,
        r"trials must be an integer >= 1; got 0\.",
    ),
    (
        functools.partial(vetted.opendp_laplace_count, [True, False]),
        {"epsilon": -2.0},
        ValueError,
        r"epsilon must be in \(0, inf\); got -2\.0\.",
    ),
]


@pytest.mark.parametrize(("function", "kwargs", "error", "message"), BAD_PARAMETERS)
def test_bad_parameters_are_named_with_range_and_value(
    function, kwargs, error, message
):
    """Each invalid argument raises an error naming it, its range and its value."""
    with pytest.raises(error, match=message):
        function(**kwargs)


def test_privacy_parameters_are_keyword_only():
    """Epsilon, delta and sensitivity cannot be passed by position."""
    with pytest.raises(TypeError):
        dp.laplace_mechanism(1.0, 1.0, 1.0, np.random.default_rng(0))
    with pytest.raises(TypeError):
        dp.PrivacyBudget(1.0)


# ---------------------------------------------------------------------------
# randomized response
# ---------------------------------------------------------------------------
def test_randomized_response_keeps_the_truth_with_the_right_probability():
    """Truthful answers follow Binomial(n, e^eps / (1 + e^eps)) (alpha = 1e-6).

    n = 200,000; at epsilon = 1 the probability is 0.731, at epsilon = 1.2 it is
    0.769: a 38-standard-error gap, so a 20 % error in epsilon cannot pass.
    """
    rng = np.random.default_rng(11)
    truth = rng.random(200_000) < 0.3
    for epsilon in (0.5, 1.0, 3.0):
        reports = dp.randomized_response(truth, epsilon=epsilon, rng=rng)
        kept = int((reports == truth).sum())
        p = math.exp(epsilon) / (1 + math.exp(epsilon))
        assert stats.binomtest(kept, truth.size, p).pvalue > ALPHA
        wrong = 1 / (1 + math.exp(-1.2 * epsilon))
        assert stats.binomtest(kept, truth.size, wrong).pvalue < ALPHA


def test_randomized_response_flips_yes_and_no_alike():
    """The flip probability does not depend on the true answer (alpha = 1e-6)."""
    rng = np.random.default_rng(12)
    truth = np.repeat([True, False], 100_000)
    reports = dp.randomized_response(truth, epsilon=1.0, rng=rng)
    p = dp.truth_probability(epsilon=1.0)
    for answer in (True, False):
        kept = int((reports[truth == answer] == answer).sum())
        assert stats.binomtest(kept, 100_000, p).pvalue > ALPHA


def test_randomized_response_estimate_is_unbiased_with_correct_standard_error():
    """Over 1,000 surveys the estimates centre on the truth and spread as stated.

    Mean: a z-test at alpha = 1e-6. Spread: the sample standard deviation of
    1,000 estimates has relative standard error 2.2 %, so |ratio - 1| < 0.15 fails
    with probability below 1e-10 for a correct standard error.
    """
    rng = np.random.default_rng(13)
    truth = np.zeros(20_000, dtype=bool)
    truth[:2_000] = True  # prevalence 0.1
    results = [
        dp.randomized_response_estimate(
            dp.randomized_response(truth, epsilon=1.0, rng=rng), epsilon=1.0
        )
        for _ in range(1_000)
    ]
    estimates = np.array([r.estimate for r in results])
    stated = np.mean([r.std_error for r in results])
    z = (estimates.mean() - 0.1) / (estimates.std(ddof=1) / math.sqrt(1_000))
    assert abs(z) < Z_ALPHA
    assert abs(estimates.std(ddof=1) / stated - 1) < 0.15


def test_randomized_response_estimate_by_hand():
    """The debiasing formula matches a hand computation."""
    responses = np.array([1] * 60 + [0] * 40)
    result = dp.randomized_response_estimate(responses, epsilon=math.log(3))
    # p = 0.75: pi = (0.6 - 0.25) / 0.5 = 0.7; se = sqrt(0.6 * 0.4 / 100) / 0.5
    assert result.estimate == pytest.approx(0.7)
    assert result.std_error == pytest.approx(math.sqrt(0.24 / 100) / 0.5)
    assert result.n == 100 and result.observed == pytest.approx(0.6)


# ---------------------------------------------------------------------------
# Laplace and Gaussian mechanisms
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(("sensitivity", "epsilon"), [(1.0, 1.0), (2.5, 0.3)])
def test_laplace_noise_has_scale_sensitivity_over_epsilon(sensitivity, epsilon):
    """KS test against Laplace(sensitivity / epsilon), alpha = 1e-6.

    With n = 100,000 the 1e-6 critical KS distance is 0.0085; a 20 % wrong scale
    is 0.0335 away, and the DKW inequality puts the chance of hiding that gap at
    2 exp(-2 n 0.025^2) < 1e-50.
    """
    rng = np.random.default_rng(21)
    values = np.full(N_KS, 7.0)
    noise = (
        dp.laplace_mechanism(values, sensitivity=sensitivity, epsilon=epsilon, rng=rng)
        - 7.0
    )
    assert ks_pvalue(noise, laplace_cdf(sensitivity / epsilon)) > ALPHA


def test_ks_check_rejects_wrong_scale():
    """The KS checks above have power: a scale off by 20 % either way fails."""
    rng = np.random.default_rng(22)
    noise = dp.laplace_mechanism(np.zeros(N_KS), sensitivity=1, epsilon=1, rng=rng)
    assert ks_pvalue(noise, laplace_cdf(1.2)) < ALPHA
    assert ks_pvalue(noise, laplace_cdf(0.8)) < ALPHA
    gauss = dp.gaussian_mechanism(
        np.zeros(N_KS), sensitivity=1, epsilon=1, delta=1e-5, rng=rng
    )
    sigma = dp.gaussian_sigma(sensitivity=1, epsilon=1, delta=1e-5)
    assert ks_pvalue(gauss, normal_cdf(1.2 * sigma)) < ALPHA
    assert ks_pvalue(gauss, normal_cdf(0.8 * sigma)) < ALPHA


def test_laplace_mechanism_keeps_shape_and_returns_float_for_scalars():
    """Scalars give floats, arrays keep their shape."""
    rng = np.random.default_rng(23)
    assert isinstance(dp.laplace_mechanism(3, sensitivity=1, epsilon=1, rng=rng), float)
    out = dp.laplace_mechanism(np.zeros((2, 3)), sensitivity=1, epsilon=1, rng=rng)
    assert out.shape == (2, 3)


@pytest.mark.parametrize("calibration", ["analytic", "classical"])
def test_gaussian_noise_has_the_calibrated_sigma(calibration):
    """KS test against Normal(0, sigma) for both calibrations, alpha = 1e-6.

    A 20 % wrong sigma is 0.044 away in KS distance; n = 100,000 detects it with
    probability above 1 - 1e-50 (DKW).
    """
    rng = np.random.default_rng(24)
    kwargs = {"sensitivity": 2.0, "epsilon": 0.5, "delta": 1e-6}
    sigma = dp.gaussian_sigma(**kwargs, calibration=calibration)
    noise = dp.gaussian_mechanism(
        np.zeros(N_KS), **kwargs, rng=rng, calibration=calibration
    )
    assert ks_pvalue(noise, normal_cdf(sigma)) > ALPHA


def test_classical_gaussian_sigma_matches_the_formula():
    """Classical sigma = sensitivity sqrt(2 ln(1.25 / delta)) / epsilon."""
    sigma = dp.gaussian_sigma(
        sensitivity=2.0, epsilon=0.5, delta=1e-5, calibration="classical"
    )
    assert sigma == pytest.approx(2.0 * math.sqrt(2 * math.log(1.25e5)) / 0.5)


def test_analytic_gaussian_known_value_and_tightness():
    """Analytic sigma at (1, 1e-5) is 3.7306 (Balle and Wang 2018), and minimal."""
    sigma = dp.gaussian_sigma(sensitivity=1.0, epsilon=1.0, delta=1e-5)
    assert sigma == pytest.approx(3.7306, abs=1e-4)
    delta_at = dp.gaussian_delta(sigma=sigma, sensitivity=1.0, epsilon=1.0)
    assert delta_at <= 1e-5
    assert delta_at == pytest.approx(1e-5, rel=1e-8)
    smaller = dp.gaussian_delta(sigma=sigma * (1 - 1e-6), sensitivity=1, epsilon=1)
    assert smaller > 1e-5


@pytest.mark.parametrize(("sigma", "epsilon"), [(1.0, 0.5), (3.0, 1.0), (0.5, 4.0)])
def test_gaussian_delta_matches_numerical_integration(sigma, epsilon):
    """The closed-form profile equals the integral of (p0 - e^eps p1)_+."""

    def gap(x: float) -> float:
        """Positive part of the density difference at x."""
        p0 = stats.norm.pdf(x, 0.0, sigma)
        p1 = stats.norm.pdf(x, 1.0, sigma)
        return max(p0 - math.exp(epsilon) * p1, 0.0)

    reference, _ = integrate.quad(gap, -20 * sigma, 20 * sigma, limit=400)
    closed = dp.gaussian_delta(sigma=sigma, sensitivity=1.0, epsilon=epsilon)
    assert closed == pytest.approx(reference, rel=1e-6, abs=1e-12)


def test_analytic_beats_classical_and_inverts():
    """Analytic sigma is below the classical one, and gaussian_epsilon inverts it."""
    for epsilon in (0.1, 0.5, 0.9):
        analytic = dp.gaussian_sigma(sensitivity=1, epsilon=epsilon, delta=1e-6)
        classical = dp.gaussian_sigma(
            sensitivity=1, epsilon=epsilon, delta=1e-6, calibration="classical"
        )
        assert analytic < classical
        back = dp.gaussian_epsilon(sigma=analytic, sensitivity=1, delta=1e-6)
        assert back == pytest.approx(epsilon, rel=1e-9)


# ---------------------------------------------------------------------------
# sensitivity and queries
# ---------------------------------------------------------------------------
def test_sensitivity_helpers():
    """Counts, bounded sums and clipped means have the textbook sensitivities."""
    assert dp.count_sensitivity() == 1.0
    assert dp.count_sensitivity(max_contributions=7) == 7.0
    assert dp.bounded_sum_sensitivity(lower=-3.0, upper=2.0) == 3.0
    assert dp.bounded_sum_sensitivity(lower=0.3, upper=5, max_contributions=2) == 10
    assert dp.clipped_mean_sensitivity(lower=0.5, upper=4.5, n=100) == 0.04


def test_dp_count_noise_is_laplace_one_over_epsilon():
    """dp_count adds Laplace(1 / epsilon) noise: KS at alpha = 1e-6, n = 20,000.

    With 20,000 calls the critical distance is 0.019 and a 20 % wrong scale sits
    at 0.0335; DKW bounds the chance of missing it by 2 exp(-2 n 0.0145^2) < 1e-3,
    so the sharper scale check is left to the Laplace tests above.
    """
    rng = np.random.default_rng(31)
    flags = np.array([True] * 12 + [False] * 30)
    noise = np.array([dp.dp_count(flags, epsilon=0.5, rng=rng) for _ in range(20_000)])
    assert ks_pvalue(noise - 12, laplace_cdf(2.0)) > ALPHA


def test_dp_mean_stays_in_bounds_and_clips_outliers():
    """The DP mean lies in [lower, upper]; with huge epsilon it is the clipped mean."""
    rng = np.random.default_rng(32)
    values = np.array([1.0, 1.2, 0.8, 1.0, 250.0])  # one absurd lab value
    for epsilon in (1e-3, 0.1, 1.0):
        for _ in range(200):
            out = dp.dp_mean(values, lower=0.3, upper=3.0, epsilon=epsilon, rng=rng)
            assert 0.3 <= out <= 3.0
    with pytest.warns(WeakPrivacyWarning):  # near-exact on purpose
        almost_exact = dp.dp_mean(values, lower=0.3, upper=3.0, epsilon=1e9, rng=rng)
    assert almost_exact == pytest.approx(np.clip(values, 0.3, 3.0).mean(), abs=1e-6)
    assert abs(almost_exact - values.mean()) > 40


def test_dp_mean_is_unbiased_for_values_inside_the_bounds():
    """For values inside the bounds the DP mean centres on the true mean (z-test)."""
    rng = np.random.default_rng(33)
    values = rng.uniform(0.5, 2.5, size=2_000)
    outs = np.array(
        [
            dp.dp_mean(values, lower=0.3, upper=3.0, epsilon=1.0, rng=rng)
            for _ in range(4_000)
        ]
    )
    z = (outs.mean() - values.mean()) / (outs.std(ddof=1) / math.sqrt(outs.size))
    assert abs(z) < Z_ALPHA


def test_dp_histogram_uses_parallel_composition():
    """Each bin gets Laplace(1 / epsilon), not (bins / epsilon); budget charged once.

    KS over 100 histograms x 1,000 bins = 100,000 noise draws, alpha = 1e-6; the
    scale len(bins) / epsilon that sequential composition would need is 1,000
    times larger and fails outright.
    """
    rng = np.random.default_rng(34)
    categories = [f"bin{i}" for i in range(1_000)]
    labels = rng.choice(categories, size=5_000)
    exact = pd.Series(labels).value_counts().reindex(categories, fill_value=0)
    budget = dp.PrivacyBudget(epsilon=1.0)
    noise = []
    for index in range(100):
        kwargs = {"budget": budget} if index == 0 else {}
        hist = dp.dp_histogram(
            labels, categories=categories, epsilon=0.5, rng=rng, **kwargs
        )
        noise.append(hist.to_numpy() - exact.to_numpy())
    assert ks_pvalue(np.concatenate(noise), laplace_cdf(2.0)) > ALPHA
    assert budget.spent_epsilon == pytest.approx(0.5)
    assert len(budget.ledger) == 1


def test_dp_histogram_keeps_category_order_and_ignores_others():
    """Bins come back in the order given; labels outside them are not counted."""
    rng = np.random.default_rng(35)
    with pytest.warns(WeakPrivacyWarning):  # near-exact on purpose
        hist = dp.dp_histogram(
            ["b", "b", "z", "a"], categories=["b", "a", "c"], epsilon=1e9, rng=rng
        )
    assert list(hist.index) == ["b", "a", "c"]
    assert hist.round().tolist() == [2.0, 1.0, 0.0]


# ---------------------------------------------------------------------------
# the privacy budget
# ---------------------------------------------------------------------------
def test_budget_tracks_spending_and_refuses_overspending():
    """Spending adds up; a query past the total is refused with a clear message."""
    budget = dp.PrivacyBudget(epsilon=1.0, delta=1e-6)
    budget.spend(epsilon=0.4, label="HIV count")
    budget.spend(epsilon=0.5, delta=5e-7, label="mean creatinine")
    assert budget.spent_epsilon == pytest.approx(0.9)
    assert budget.remaining_epsilon == pytest.approx(0.1)
    assert not budget.can_spend(epsilon=0.2)
    message = (
        r"query 'depression count' refused: it requests epsilon = 0\.2, but 0\.9 "
        r"of the total epsilon = 1 is already spent \(0\.1 remains\)\."
    )
    with pytest.raises(dp.BudgetExceededError, match=message):
        budget.spend(epsilon=0.2, label="depression count")
    with pytest.raises(dp.BudgetExceededError, match=r"requests delta = 1e-06"):
        budget.spend(epsilon=0.05, delta=1e-6, label="gaussian")
    assert budget.spent_epsilon == pytest.approx(0.9)  # nothing recorded
    assert budget.ledger["query"].tolist() == ["HIV count", "mean creatinine"]
    assert budget.ledger["spent_epsilon"].iloc[-1] == pytest.approx(0.9)


def test_budget_allows_spending_exactly_the_total_despite_rounding():
    """Ten queries of 0.1 fit a budget of 1.0 although 0.1 * 10 != 1 in doubles."""
    budget = dp.PrivacyBudget(epsilon=1.0)
    for _ in range(10):
        budget.spend(epsilon=0.1)
    with pytest.raises(dp.BudgetExceededError):
        budget.spend(epsilon=1e-9)


def test_weak_budget_is_allowed_with_a_warning():
    """A total epsilon above 10 is accepted but warned about, with the accuracy."""
    with pytest.warns(UserWarning, match=r"total epsilon of 20 .* up to 1\.00000"):
        with pytest.warns(WeakPrivacyWarning, match="epsilon = 20 is above 10"):
            budget = dp.PrivacyBudget(epsilon=20.0)
    assert budget.total_epsilon == 20.0


def test_refused_query_releases_nothing_and_draws_no_noise():
    """A refused dp_count raises before touching the random generator."""
    rng = np.random.default_rng(41)
    budget = dp.PrivacyBudget(epsilon=0.5)
    dp.dp_count([True, False], epsilon=0.5, rng=rng, budget=budget)
    state = rng.bit_generator.state
    with pytest.raises(dp.BudgetExceededError):
        dp.dp_mean([1.0], lower=0, upper=2, epsilon=0.1, rng=rng, budget=budget)
    assert rng.bit_generator.state == state


# ---------------------------------------------------------------------------
# zCDP accounting
# ---------------------------------------------------------------------------
def test_bun_steinke_conversion_known_value():
    """rho = 0.5, delta = 1e-5: 0.5 + 2 sqrt(0.5 ln 1e5) = 5.2985259 (by hand)."""
    value = dp.zcdp_to_epsilon(0.5, delta=1e-5, method="bun-steinke")
    assert value == pytest.approx(5.2985259, abs=1e-6)


def test_cks_conversion_known_value_from_opendp():
    """rho = 0.125, delta = 1e-5: OpenDP 0.16's conversion gives 2.1657155."""
    assert dp.zcdp_to_epsilon(0.125, delta=1e-5) == pytest.approx(2.1657155, abs=1e-6)


@pytest.mark.parametrize("rho", [0.001, 0.05, 0.5, 2.0, 20.0])
def test_cks_conversion_agrees_with_opendp_and_beats_bun_steinke(rho):
    """Our CKS conversion equals OpenDP's and is below Bun-Steinke's bound."""
    import opendp.prelude as odp

    odp.enable_features("contrib")
    space = odp.atom_domain(T=float, nan=False), odp.absolute_distance(T=float)
    sigma = 1.0 / math.sqrt(2.0 * rho)
    gaussian = space >> odp.m.then_gaussian(scale=sigma)
    profile = odp.c.make_zCDP_to_approxDP(gaussian).map(1.0)
    ours = dp.zcdp_to_epsilon(rho, delta=1e-6)
    assert ours == pytest.approx(profile.epsilon(1e-6), rel=1e-6)
    assert ours < dp.zcdp_to_epsilon(rho, delta=1e-6, method="bun-steinke")


def test_zcdp_accountant_adds_rho():
    """Gaussian queries cost sensitivity^2 / (2 sigma^2) each, added up."""
    accountant = dp.ZCDPAccountant()
    for _ in range(4):
        assert accountant.add_gaussian(sensitivity=1.0, sigma=2.0) == 0.125
    assert accountant.rho == 0.5 and len(accountant) == 4
    assert accountant.epsilon(delta=1e-5, method="bun-steinke") == pytest.approx(
        5.2985259, abs=1e-6
    )


def test_gaussian_composition_orders_the_accountants():
    """exact <= zCDP (CKS) <= zCDP (Bun-Steinke); basic wins only for one query."""
    table = dp.gaussian_composition([1, 10, 100], sigma=5.0, delta=1e-6)
    assert table.loc[1, "basic"] == pytest.approx(table.loc[1, "exact"])
    for k in (10, 100):
        row = table.loc[k]
        assert row["exact"] <= row["zcdp (CKS)"] <= row["zcdp (Bun-Steinke)"]
        assert row["zcdp (CKS)"] < row["basic"]
    assert table.loc[100, "basic"] > 9 * table.loc[10, "basic"]


# ---------------------------------------------------------------------------
# the floating-point pitfall
# ---------------------------------------------------------------------------
def test_reproduction_of_numpy_laplace_is_bit_exact():
    """laplace_output_from_uniform equals laplace_mechanism's output bit for bit."""
    first, second = np.random.default_rng(51), np.random.default_rng(51)
    out = dp.laplace_mechanism(
        np.full(50_000, 3.0), sensitivity=1, epsilon=0.7, rng=first
    )
    uniform = second.random(50_000)
    rebuilt = dp.laplace_output_from_uniform(uniform, value=3.0, scale=1 / 0.7)
    assert np.array_equal(out, rebuilt)


def test_attainability_is_sound_and_finds_gaps():
    """Every drawn output is attainable from its input; some nearby doubles are not."""
    rng = np.random.default_rng(52)
    outputs = dp.laplace_mechanism(np.zeros(2_000), sensitivity=1, epsilon=1, rng=rng)
    assert dp.is_attainable(outputs, value=0.0, scale=1.0).all()
    doubles = dp.neighbouring_doubles(0.7, count=64)
    found = dp.is_attainable(doubles, value=0.0, scale=1.0)
    assert found.any() and not found.all()


def test_floating_point_attack_reveals_inputs_beyond_the_dp_bound():
    """Naive Laplace noise on 0 vs 1 gives most outputs away (Mironov 2012)."""
    rng = np.random.default_rng(53)
    result = dp.floating_point_attack(
        value=0, neighbour=1, epsilon=1.0, n_samples=2_000, rng=rng
    )
    assert result.self_check == 1.0
    assert result.revealing_fraction > 0.5
    assert result.attack_accuracy > result.dp_bound + 0.1


# ---------------------------------------------------------------------------
# OpenDP wrappers (unseeded: only bounds that fail with probability < 1e-12)
# ---------------------------------------------------------------------------
def test_opendp_count_is_an_integer_with_certified_epsilon():
    """OpenDP's count is an int near the truth; its map is at most epsilon."""
    flags = np.array([True] * 40 + [False] * 60)
    release = vetted.opendp_laplace_count(flags, epsilon=0.5)
    assert isinstance(release.value, int)
    assert 0.5 * (1 - 1e-9) <= release.epsilon <= 0.5
    sharp = vetted.opendp_laplace_count(flags, epsilon=5.0)
    assert abs(sharp.value - 40) <= 30 * sharp.scale  # P(fail) < e^-30


def test_opendp_histogram_and_mean():
    """Histogram bins follow the categories; the mean stays in its bounds."""
    labels = ["a"] * 10 + ["b"] * 5
    hist = vetted.opendp_laplace_histogram(labels, categories=["b", "a"], epsilon=1.0)
    assert list(hist.value.index) == ["b", "a"] and hist.epsilon <= 1.0
    assert (np.abs(hist.value.to_numpy() - [5, 10]) <= 30 * hist.scale).all()
    mean = vetted.opendp_laplace_mean([1.0, 2.0, 50.0], lower=0, upper=3, epsilon=1)
    assert 0 <= mean.value <= 3 and mean.epsilon <= 1.0 + 1e-12


def test_opendp_gaussian_count_matches_our_zcdp_conversion():
    """OpenDP's epsilon for a rho-zCDP count equals zcdp_to_epsilon(rho)."""
    release = vetted.opendp_gaussian_count([True, False] * 5, rho=0.1, delta=1e-6)
    assert release.epsilon == pytest.approx(
        dp.zcdp_to_epsilon(0.1, delta=1e-6), rel=1e-6
    )


# ---------------------------------------------------------------------------
# the differencing attack, error and scorecard rows
# ---------------------------------------------------------------------------
def test_max_attack_accuracy():
    """At epsilon = ln 3 the best accuracy is 3/4; exact answers allow 1."""
    assert dp.max_attack_accuracy(epsilon=math.log(3)) == pytest.approx(0.75)
    assert dp.max_attack_accuracy(epsilon=math.inf) == 1.0
    assert dp.max_attack_accuracy(epsilon=1, delta=0.1) > dp.max_attack_accuracy(
        epsilon=1
    )


def test_differencing_attack_wins_on_exact_counts_and_is_bounded_under_dp():
    """Exact counts: accuracy 1. DP counts: below the bound (one-sided z, 1e-6)."""
    rng = np.random.default_rng(61)
    rest = np.array([True] * 44 + [False] * 1_465)
    exact = dp.differencing_attack_success(
        rest, present=True, absent=False, query=np.sum, trials=200, rng=rng
    )
    assert exact == 1.0
    release = functools.partial(dp.dp_count, epsilon=1.0)
    trials = 4_000
    noisy = dp.differencing_attack_success(
        rest, present=True, absent=False, query=np.sum, release=release,
        trials=trials, rng=rng,
    )  # fmt: skip
    bound = dp.max_attack_accuracy(epsilon=1.0)
    assert 0.5 < noisy < bound + Z_ALPHA * math.sqrt(0.25 / trials)


def test_release_error_of_laplace_count_is_its_scale():
    """The mean absolute error of Laplace(b) noise is b (z-test, alpha = 1e-6)."""
    rng = np.random.default_rng(62)
    release = functools.partial(dp.dp_count, epsilon=0.5)
    trials = 20_000
    error = dp.release_error(
        np.ones(30, dtype=bool), query=np.sum, release=release, trials=trials, rng=rng
    )
    assert abs(error - 2.0) < Z_ALPHA * 2.0 / math.sqrt(trials)  # sd of |Lap| = b


def test_query_scorecard_row():
    """Rows carry the lesson, the guarantee and the attack."""
    row = dp.query_scorecard_row(
        query="HIV count", mechanism="Laplace", error=1.0, attack_success=0.7,
        epsilon=1.0,
    )  # fmt: skip
    assert isinstance(row, ScorecardRow)
    assert row.lesson == "03" and row.attack == "differencing attack"
    assert "epsilon = 1" in row.threat_model
    exact = dp.query_scorecard_row(
        query="HIV count", mechanism="none", error=0.0, attack_success=1.0,
        epsilon=None,
    )  # fmt: skip
    assert exact.epsilon is None and exact.threat_model.startswith("none")


# ---------------------------------------------------------------------------
# the registry
# ---------------------------------------------------------------------------
def test_build_registry_keeps_one_row_per_patient():
    """First admission's hospital and labs; a diagnosis at any admission counts."""
    admissions = pd.DataFrame(
        {
            "patient_id": ["p2", "p1", "p1"],
            "admit_time": pd.to_datetime(["2020-01-01", "2021-05-01", "2020-03-01"]),
            "hospital": ["B", "A2", "A1"],
            "sex": ["F", "M", "M"],
            "age": [50, 71, 70],
            "hiv": [0, 1, 0],
            "depression": [1, 0, 0],
            "alcohol_use_disorder": [0, 0, 0],
            "creatinine": [1.0, 2.0, 1.5],
            "lactate": [np.nan, 1.1, 1.9],
        }
    )
    patients = pd.DataFrame(
        {
            "Id": ["p1", "p2"],
            "BIRTHDATE": pd.to_datetime(["1950-01-01", "1970-02-02"]),
            "ZIP": ["02134", "01002"],
        }
    )
    registry = dp.build_registry({"patients": patients}, admissions=admissions)
    assert registry["patient_id"].tolist() == ["p1", "p2"]
    first = registry.iloc[0]
    assert first["hospital"] == "A1" and first["hiv"] == 1
    assert first["creatinine"] == 1.5 and first["zip"] == "02134"
    assert registry.iloc[1]["depression"] == 1


def test_module_docstrings_name_the_lesson_and_say_what_is_teaching_code():
    """Each module names lesson 03; teaching and vetted code say which they are."""
    for module in (dp, mechanisms, accounting, pitfalls, vetted):
        assert "lesson 03" in module.__doc__
    assert "not for production" in mechanisms.__doc__
    assert "contrib" in vetted.__doc__ and "not teaching code" in vetted.__doc__.lower()


def test_dp_count_gaussian_has_the_analytic_sigma():
    """dp_count(mechanism="gaussian") noise has variance sigma^2 (chi-square, 1e-6).

    5,000 releases: the sample variance has relative standard error 2 %, so a
    sigma off by 20 % (variance off by 44 %) is rejected with probability above
    1 - 1e-50. The budget is charged (epsilon, delta).
    """
    rng = np.random.default_rng(36)
    sigma = dp.gaussian_sigma(sensitivity=1, epsilon=0.5, delta=1e-6)
    budget = dp.PrivacyBudget(epsilon=1.0, delta=1e-5)
    kwargs = {"epsilon": 0.5, "delta": 1e-6, "mechanism": "gaussian", "rng": rng}
    dp.dp_count([True] * 3, budget=budget, **kwargs)
    assert budget.spent_delta == pytest.approx(1e-6)
    noise = np.array([dp.dp_count([True] * 3, **kwargs) for _ in range(5_000)]) - 3
    statistic = (noise.size - 1) * noise.var(ddof=1) / sigma**2
    chi2 = stats.chi2(noise.size - 1)
    assert chi2.ppf(ALPHA / 2) < statistic < chi2.isf(ALPHA / 2)
    wrong = (noise.size - 1) * noise.var(ddof=1) / (1.2 * sigma) ** 2
    assert wrong < chi2.ppf(ALPHA / 2)


def test_histogram_counts_exact():
    """Exact histogram counts follow the category order and skip other labels."""
    counts = dp.histogram_counts(["b", "x", "a", "b"], categories=["a", "b", "c"])
    assert counts.tolist() == [1.0, 2.0, 0.0]


def test_error_by_epsilon_falls_like_one_over_epsilon():
    """Laplace count error is 1/epsilon (z-tests at alpha = 1e-6)."""
    rng = np.random.default_rng(63)
    trials = 4_000
    errors = dp.error_by_epsilon(
        np.ones(10, dtype=bool), query=np.sum, release=dp.dp_count,
        epsilons=(0.5, 2.0), trials=trials, rng=rng,
    )  # fmt: skip
    assert list(errors.index) == [0.5, 2.0]
    for epsilon, error in errors.items():
        scale = 1 / epsilon
        assert abs(error - scale) < Z_ALPHA * scale / math.sqrt(trials)


def test_measure_query_exact_and_noisy():
    """Exact answers cost no error and lose the attack; noise has a price."""
    rng = np.random.default_rng(64)
    rest = np.array([1] * 20 + [0] * 80)
    task = {"present": 1, "absent": 0, "query": np.sum, "trials": 300, "rng": rng}
    exact = dp.measure_query(rest, release=None, **task)
    assert exact == {"error": 0.0, "attack_success": 1.0}
    noisy = dp.measure_query(
        rest, release=functools.partial(dp.dp_count, epsilon=0.1), **task
    )
    assert noisy["error"] > 2 and noisy["attack_success"] < 0.75


def test_differencing_attack_on_histogram_with_absent_target():
    """absent=None removes the target; exact histograms reveal membership."""
    rng = np.random.default_rng(65)
    histogram = functools.partial(dp.histogram_counts, categories=["A", "B"])
    success = dp.differencing_attack_success(
        np.array(["A", "B", "B"], dtype=object), present="A", absent=None,
        query=histogram, trials=100, rng=rng,
    )  # fmt: skip
    assert success == 1.0
    long_name = functools.partial(dp.histogram_counts, categories=["B", "Harbor X"])
    success = dp.differencing_attack_success(
        np.array(["B", "B"]), present="Harbor X", absent=None, query=long_name,
        trials=100, rng=rng,
    )  # fmt: skip
    assert success == 1.0  # the label is not truncated to the array's width


def test_lesson_tables():
    """Survey, noise-scale and clipping tables have the documented shape."""
    rng = np.random.default_rng(66)
    truth = rng.random(20_000) < 0.2
    survey = dp.randomized_response_survey(truth, epsilons=(1.0, 5.0), rng=rng)
    assert list(survey.index) == [1.0, 5.0]
    assert (
        np.abs(survey["estimate"] - truth.mean()) < Z_ALPHA * survey["std. error"]
    ).all()
    scales = dp.noise_scales((0.5, 2.0), delta=1e-6)
    assert np.isnan(scales.loc["Gaussian sigma, classical", 2.0])
    assert scales.loc["Laplace scale", 0.5] == 2.0
    values = rng.uniform(0.5, 4.0, size=500)
    table = dp.clipping_tradeoff(
        values, lower=0.3, uppers=(1.0, 5.0), epsilon=1.0, trials=50, rng=rng
    )
    assert table.loc[5.0, "clipping bias"] == 0.0
    assert table.loc[1.0, "clipping bias"] < -1.0


def test_attainability_table_and_neighbouring_doubles():
    """Consecutive doubles are one ulp apart; the table has one column per input."""
    doubles = dp.neighbouring_doubles(0.7, count=4)
    assert np.all(np.diff(doubles) == np.spacing(0.7))
    table = dp.attainability_table(doubles, inputs={"0": 0.0, "1": 1.0}, scale=1.0)
    assert list(table.columns) == ["output", "0", "1"]
    assert table["output"].iloc[0] == "0.69999999999999996"


def test_vetted_accuracy_is_a_property_of_the_noise():
    """OpenDP's accuracy of discrete Laplace(1) at alpha = 0.05 is about 3.38."""
    release = vetted.opendp_laplace_count([True, False], epsilon=1.0)
    assert release.accuracy(alpha=0.05) == pytest.approx(3.3756, abs=1e-3)
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\); got 1\."):
        release.accuracy(alpha=1)


def test_plots_draw_without_error():
    """Each figure helper returns what it drew on."""
    rng = np.random.default_rng(67)
    ax = dp_plots.plot_laplace_releases(45, epsilons=(1.0,), rng=rng, n_draws=100)
    assert ax.get_title().startswith("Laplace releases")
    left, right = dp_plots.plot_privacy_loss(45, epsilon=1.0)
    assert right.get_ylim() == (-1.5, 1.5)
    dp_plots.plot_laplace_vs_gaussian(45, epsilon=1.0, delta=1e-6)
    exact = pd.Series([5, 10], index=["A a", "B b"])
    dp_plots.plot_noisy_counts(exact, exact + 1.0, half_width=2.0)
    plt.close("all")
