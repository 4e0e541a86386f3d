"""Tests for ehrpriv.metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from ehrpriv import metrics
from ehrpriv._validation import MissingColumnError


@pytest.fixture
def calibrated() -> tuple[np.ndarray, np.ndarray]:
    """Labels drawn from their own predicted probabilities (perfect calibration)."""
    rng = np.random.default_rng(0)
    prob = rng.beta(2.0, 5.0, size=20_000)
    return rng.binomial(1, prob), prob


@pytest.fixture
def cohort() -> pd.DataFrame:
    """A small prediction table with patients, sex and ethnicity columns."""
    rng = np.random.default_rng(1)
    n = 1_200
    prob = rng.uniform(0.02, 0.6, size=n)
    return pd.DataFrame(
        {
            "y_true": rng.binomial(1, prob),
            "y_prob": prob,
            "sex": rng.choice(["F", "M"], size=n),
            "ethnicity": rng.choice(
                ["hispanic", "nonhispanic", "other"], size=n, p=[0.2, 0.79, 0.01]
            ),
            "patient": rng.integers(0, 400, size=n),
        }
    )


def brute_force_expected_auroc(risk: np.ndarray) -> float:
    """Evaluate the expected-AUROC double sum directly in O(n^2)."""
    r = np.asarray(risk, dtype=float)
    pos = r[:, None] * (1.0 - r[None, :])
    np.fill_diagonal(pos, 0.0)
    order = (r[:, None] > r[None, :]) + 0.5 * (r[:, None] == r[None, :])
    return float((pos * order).sum() / pos.sum())


# ---------------------------------------------------------------------------
# Point metrics and input checks
# ---------------------------------------------------------------------------


def test_point_metrics_match_sklearn(calibrated):
    """AUROC, AUPRC and Brier score agree with scikit-learn and numpy."""
    y, p = calibrated
    assert metrics.auroc(y, p) == pytest.approx(roc_auc_score(y, p))
    assert metrics.auprc(y, p) == pytest.approx(average_precision_score(y, p))
    assert metrics.brier_score(y, p) == pytest.approx(np.mean((p - y) ** 2))


def test_metrics_accept_lists_series_and_booleans():
    """Lists, pandas Series and boolean labels are accepted."""
    y = pd.Series([True, False, True, False])
    assert metrics.auroc(y, [0.9, 0.1, 0.8, 0.3]) == 1.0
    assert metrics.brier_score([1, 0], [1.0, 0.0]) == 0.0


def test_single_class_auroc_names_the_counts():
    """AUROC on one class raises and reports the positives and negatives."""
    with pytest.raises(ValueError, match=r"0 positive\(s\) and 3 negative\(s\)"):
        metrics.auroc([0, 0, 0], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"AUPRC.*2 positive\(s\) and 0"):
        metrics.auprc([1, 1], [0.1, 0.2])


def test_probability_out_of_range_names_value_and_index():
    """A probability above 1 is reported with its value and position."""
    with pytest.raises(
        ValueError,
        match=r"y_prob must hold probabilities in \[0, 1\]; got a value of 1.3 at "
        r"index 4\.",
    ):
        metrics.brier_score([0, 1, 0, 1, 1], [0.1, 0.2, 0.3, 0.4, 1.3])


@pytest.mark.parametrize(
    ("y_true", "y_score", "error", "message"),
    [
        (
            [0, 2, 1],
            [0.1, 0.2, 0.3],
            ValueError,
            r"0 or 1; got a value of 2 at index 1",
        ),
        ([[0, 1]], [0.1, 0.2], ValueError, r"y_true must be 1-D.*shape \(1, 2\)"),
        ([0, 1, 1], [0.1, 0.2], ValueError, r"same length as y_true \(3\); got 2"),
        ([0, 1], [0.1, np.nan], ValueError, r"y_score must be finite; got nan at "),
        (["a", "b"], [0.1, 0.2], TypeError, r"y_true must hold binary labels"),
        ([0, 1], ["x", "y"], TypeError, r"y_score must be a 1-D array of real"),
        ([], [], ValueError, r"at least one label"),
    ],
)
def test_invalid_inputs_are_explained(y_true, y_score, error, message):
    """Malformed labels or scores raise an error naming the problem."""
    with pytest.raises(error, match=message):
        metrics.auroc(y_true, y_score)


# ---------------------------------------------------------------------------
# Calibration
# ---------------------------------------------------------------------------


def test_calibration_table_quantile_bins_are_equal_sized(calibrated):
    """Quantile bins hold equal counts and track the diagonal when calibrated."""
    y, p = calibrated
    table = metrics.calibration_table(y, p, n_bins=10)
    assert list(table.columns) == ["bin", "n", "mean_predicted", "observed_rate"]
    assert table["n"].tolist() == [2_000] * 10
    assert table["mean_predicted"].is_monotonic_increasing
    gap = (table["observed_rate"] - table["mean_predicted"]).abs()
    assert gap.max() < 0.04


def test_calibration_table_uniform_drops_empty_bins():
    """Uniform bins on [0, 1] keep only non-empty bins, numbered by position."""
    y = np.array([0, 1, 0, 1, 1])
    p = np.array([0.05, 0.05, 0.55, 0.95, 1.0])
    table = metrics.calibration_table(y, p, n_bins=10, strategy="uniform")
    assert table["bin"].tolist() == [0, 5, 9]
    assert table["n"].tolist() == [2, 1, 2]
    assert table["observed_rate"].tolist() == [0.5, 0.0, 1.0]


def test_calibration_table_quantile_merges_tied_edges():
    """Heavily tied probabilities give fewer, non-empty quantile bins."""
    p = np.array([0.1] * 50 + [0.9] * 50)
    y = np.r_[np.zeros(45), np.ones(5), np.zeros(5), np.ones(45)].astype(int)
    table = metrics.calibration_table(y, p, n_bins=10)
    assert table["n"].sum() == 100
    assert table["observed_rate"].tolist() == pytest.approx([0.1, 0.9])


def test_calibration_options_are_validated(calibrated):
    """Unknown strategies and bad bin counts are refused with the value received."""
    y, p = calibrated
    with pytest.raises(ValueError, match=r"strategy must be one of .*got 'equal'"):
        metrics.calibration_table(y, p, strategy="equal")
    with pytest.raises(ValueError, match=r"n_bins must be an integer >= 1; got 0"):
        metrics.expected_calibration_error(y, p, n_bins=0)


def test_ece_is_small_when_calibrated_and_large_when_shifted(calibrated):
    """ECE is near zero for calibrated risks and near the shift for biased ones."""
    y, p = calibrated
    assert metrics.expected_calibration_error(y, p) < 0.02
    shifted = np.clip(p + 0.2, 0.0, 1.0)
    assert metrics.expected_calibration_error(y, shifted) == pytest.approx(
        0.2, abs=0.02
    )


def test_ece_equals_weighted_gap_by_hand():
    """ECE is the size-weighted mean absolute gap over the bins."""
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.3, 0.6, 0.8])
    # Two uniform bins: [0, .5) has mean .2, rate 0; [.5, 1] has mean .7, rate 1.
    ece = metrics.expected_calibration_error(y, p, n_bins=2, strategy="uniform")
    assert ece == pytest.approx(0.5 * 0.2 + 0.5 * 0.3)


def test_calibration_slope_intercept_of_calibrated_risks(calibrated):
    """Calibrated probabilities give slope near 1 and intercept near 0."""
    y, p = calibrated
    slope, intercept = metrics.calibration_slope_intercept(y, p)
    assert slope == pytest.approx(1.0, abs=0.08)
    assert intercept == pytest.approx(0.0, abs=0.08)


def test_calibration_slope_detects_overconfidence(calibrated):
    """Doubling the logits (overconfident predictions) halves the slope."""
    y, p = calibrated
    logit = np.log(p / (1 - p))
    sharp = 1.0 / (1.0 + np.exp(-2.0 * logit))
    slope, _ = metrics.calibration_slope_intercept(y, sharp)
    assert slope == pytest.approx(0.5, abs=0.05)


def test_calibration_slope_matches_logistic_regression(calibrated):
    """The Newton fit matches an unpenalised scikit-learn logistic regression."""
    from sklearn.linear_model import LogisticRegression

    y, p = calibrated
    p = p[:3_000] ** 1.3  # miscalibrated
    y = y[:3_000]
    logit = np.log(p / (1 - p)).reshape(-1, 1)
    reference = LogisticRegression(C=1e12, tol=1e-12, max_iter=10_000).fit(logit, y)
    slope, intercept = metrics.calibration_slope_intercept(y, p)
    assert slope == pytest.approx(reference.coef_[0, 0], rel=1e-4)
    assert intercept == pytest.approx(reference.intercept_[0], abs=1e-4)


def test_calibration_slope_warns_when_classes_are_separated():
    """Perfectly separated labels make the fit diverge, which is warned about."""
    with pytest.warns(RuntimeWarning, match=r"did not converge"):
        metrics.calibration_slope_intercept([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])


def test_calibration_slope_needs_varying_probabilities():
    """Constant probabilities leave the slope undefined and raise."""
    with pytest.raises(ValueError, match=r"y_prob to vary; got the same value 0.3"):
        metrics.calibration_slope_intercept([0, 1, 0], [0.3, 0.3, 0.3])


# ---------------------------------------------------------------------------
# Bootstrap
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("metric", [metrics.auroc, metrics.auprc, metrics.brier_score])
def test_bootstrap_fast_path_matches_resampling_loop(metric, calibrated):
    """The vectorised metrics equal the metric applied to explicit resamples."""
    y, p = calibrated[0][:400], calibrated[1][:400]
    rng = np.random.default_rng(3)
    counts = metrics._resample_counts(rng, np.arange(400), 400, 5)
    fast = metrics._FAST_METRICS[metric](y, p, counts)
    rows = np.arange(400)
    slow = [
        metric(y[np.repeat(rows, c)], p[np.repeat(rows, c)]) for c in counts.astype(int)
    ]
    assert fast == pytest.approx(slow, rel=1e-10)


def test_bootstrap_ci_brackets_the_estimate_and_is_seeded(calibrated):
    """The interval contains the point estimate and repeats for the same seed."""
    y, p = calibrated[0][:5_000], calibrated[1][:5_000]
    estimate, low, high = metrics.bootstrap_ci(metrics.auroc, y, p, n_boot=300)
    assert estimate == pytest.approx(metrics.auroc(y, p))
    assert low < estimate < high
    assert high - low < 0.06
    again = metrics.bootstrap_ci(metrics.auroc, y, p, n_boot=300)
    assert again == (estimate, low, high)
    other = metrics.bootstrap_ci(metrics.auroc, y, p, n_boot=300, seed=1)
    assert other[1:] != (low, high)


def test_bootstrap_ci_generic_metric_matches_fast_path(calibrated):
    """A wrapped metric (slow path) gives the same interval as the fast path."""
    y, p = calibrated[0][:500], calibrated[1][:500]

    def wrapped(y_true, y_score):
        """Call auroc through a different function object."""
        return metrics.auroc(y_true, y_score)

    fast = metrics.bootstrap_ci(metrics.auroc, y, p, n_boot=50, seed=4)
    slow = metrics.bootstrap_ci(wrapped, y, p, n_boot=50, seed=4)
    assert slow == pytest.approx(fast)


def test_cluster_bootstrap_is_wider_for_duplicated_patients():
    """Resampling whole patients widens the interval when rows are duplicated."""
    rng = np.random.default_rng(5)
    risk = rng.uniform(0.05, 0.5, size=300)
    y = rng.binomial(1, risk)
    # Each patient contributes 5 identical admissions: rows are not independent.
    y5, p5 = np.repeat(y, 5), np.repeat(risk, 5)
    patients = np.repeat(np.arange(300), 5)
    _, low, high = metrics.bootstrap_ci(metrics.auroc, y5, p5, n_boot=300)
    _, c_low, c_high = metrics.bootstrap_ci(
        metrics.auroc, y5, p5, n_boot=300, groups=patients
    )
    assert (c_high - c_low) > 1.7 * (high - low)


def test_bootstrap_ci_refuses_mostly_single_class_resamples():
    """Labels of one class make every resample one-class, which raises."""
    y = np.zeros(50, dtype=int)
    p = np.linspace(0, 1, 50)
    with pytest.raises(ValueError, match=r"50 of 50 resamples held a single class"):
        metrics.bootstrap_ci(metrics.brier_score, y, p, n_boot=50)


def test_bootstrap_ci_skips_single_class_resamples():
    """A lone positive is missed by about 37% of resamples, which are skipped."""
    y = np.zeros(40, dtype=int)
    y[0] = 1
    p = np.linspace(1, 0, 40)  # the positive has the top score: AUROC 1
    assert metrics.bootstrap_ci(metrics.auroc, y, p, n_boot=200) == (1.0, 1.0, 1.0)


def test_bootstrap_ci_validates_arguments(calibrated):
    """Bad metric, level or groups arguments raise with the value received."""
    y, p = calibrated
    with pytest.raises(TypeError, match=r"metric must be a callable"):
        metrics.bootstrap_ci("auroc", y, p)
    with pytest.raises(ValueError, match=r"level must be in \(0, 1\); got 1.5"):
        metrics.bootstrap_ci(metrics.auroc, y, p, level=1.5)
    with pytest.raises(ValueError, match=r"groups must be 1-D with the same length"):
        metrics.bootstrap_ci(metrics.auroc, y, p, groups=[1, 2, 3])


# ---------------------------------------------------------------------------
# Bayes-optimal ceiling
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_expected_auroc_matches_brute_force(seed):
    """The O(n log n) formula equals the O(n^2) double sum, ties included."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 60))
    risk = rng.choice([0.0, 0.1, 0.25, 0.5, 0.9, 1.0], size=n)
    risk = np.where(rng.random(n) < 0.5, risk, rng.random(n))
    risk[:2] = [0.0, 1.0]  # guarantees a positive-negative pair
    assert metrics.expected_auroc_from_risk(risk) == pytest.approx(
        brute_force_expected_auroc(risk), rel=1e-12
    )


def test_expected_auroc_all_tied_is_one_half():
    """When every risk is equal the true risk cannot rank anyone: 0.5."""
    assert metrics.expected_auroc_from_risk(np.full(10, 0.3)) == pytest.approx(0.5)


def test_expected_auroc_close_to_monte_carlo_mean():
    """The formula is close to the mean realised AUROC over simulated labels."""
    rng = np.random.default_rng(7)
    risk = rng.beta(1.0, 6.0, size=2_000)
    draws = [
        metrics.bayes_optimal_auroc(rng.binomial(1, risk), risk) for _ in range(200)
    ]
    assert metrics.expected_auroc_from_risk(risk) == pytest.approx(
        np.mean(draws), abs=0.005
    )


def test_expected_auroc_refuses_degenerate_risk():
    """Risks that admit no positive-negative pair, or too few rows, raise."""
    with pytest.raises(ValueError, match=r"risk must allow both outcomes"):
        metrics.expected_auroc_from_risk([0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"at least 2 values; got 1"):
        metrics.expected_auroc_from_risk([0.5])
    with pytest.raises(ValueError, match=r"risk must hold probabilities in \[0, 1\]"):
        metrics.expected_auroc_from_risk([0.5, 1.5])


def test_bayes_optimal_auroc_names_true_risk():
    """bayes_optimal_auroc refers to its own parameter name in errors."""
    with pytest.raises(ValueError, match=r"true_risk must hold probabilities"):
        metrics.bayes_optimal_auroc([0, 1], [0.2, -0.1])


# ---------------------------------------------------------------------------
# Summaries
# ---------------------------------------------------------------------------


def test_summarize_keys_and_values(calibrated):
    """summarize returns the documented keys with consistent values."""
    y, p = calibrated
    summary = metrics.summarize(y, p)
    assert list(summary) == [
        "n",
        "events",
        "prevalence",
        "auroc",
        "auprc",
        "brier",
        "ece",
    ]
    assert summary["n"] == len(y)
    assert summary["events"] == y.sum()
    assert summary["prevalence"] == pytest.approx(y.mean())
    assert summary["auroc"] == pytest.approx(metrics.auroc(y, p))
    assert summary["ece"] < 0.02


def test_summarize_single_class_gives_nan_discrimination():
    """With one class, AUROC and AUPRC are NaN but the other metrics are kept."""
    summary = metrics.summarize([0, 0, 0], [0.1, 0.2, 0.3])
    assert np.isnan(summary["auroc"]) and np.isnan(summary["auprc"])
    assert summary["brier"] == pytest.approx((0.01 + 0.04 + 0.09) / 3)


def test_subgroup_table_columns_order_and_small_groups(cohort):
    """Groups are sorted by size, and small groups are flagged without AUROC."""
    table = metrics.subgroup_table(cohort, group="ethnicity")
    assert list(table.columns) == [
        "group",
        "n",
        "events",
        "prevalence",
        "mean_predicted",
        "auroc",
        "auprc",
        "brier",
        "small",
    ]
    assert table["n"].is_monotonic_decreasing
    assert table["n"].sum() == len(cohort)
    assert table["group"].tolist() == ["nonhispanic", "hispanic", "other"]
    other = table.set_index("group").loc["other"]
    assert bool(other["small"]) and np.isnan(other["auroc"])
    rows = cohort["ethnicity"] == "hispanic"
    hispanic = table.set_index("group").loc["hispanic"]
    assert hispanic["auroc"] == pytest.approx(
        metrics.auroc(cohort.loc[rows, "y_true"], cohort.loc[rows, "y_prob"])
    )


def test_subgroup_table_intersections_and_ci(cohort):
    """A list of columns gives "A / B" groups, and ci adds bracketing bounds."""
    table = metrics.subgroup_table(
        cohort, group=["sex", "ethnicity"], ci=True, n_boot=50
    )
    assert "F / hispanic" in set(table["group"])
    assert len(table) == 6
    big = table[~table["small"]]
    assert (big["auroc_low"] <= big["auroc"]).all()
    assert (big["auroc"] <= big["auroc_high"]).all()
    assert table.loc[table["small"], "auroc_low"].isna().all()


def test_subgroup_table_single_class_group_has_nan_auroc():
    """A large group with no events reports NaN AUROC, not an error."""
    frame = pd.DataFrame(
        {
            "y_true": [0] * 40 + [0, 1] * 20,
            "y_prob": np.linspace(0.01, 0.9, 80),
            "site": ["A"] * 40 + ["B"] * 40,
        }
    )
    table = metrics.subgroup_table(frame, group="site", ci=True, n_boot=20)
    row = table.set_index("group").loc["A"]
    assert row["events"] == 0 and not row["small"]
    assert np.isnan(row["auroc"]) and np.isnan(row["auroc_high"])


def test_subgroup_table_missing_column_is_named(cohort):
    """A missing column raises a KeyError naming it."""
    with pytest.raises(MissingColumnError, match=r"missing column\(s\) race"):
        metrics.subgroup_table(cohort, group="race")
    with pytest.raises(KeyError, match=r"missing column\(s\) prob"):
        metrics.subgroup_table(cohort, group="sex", y_prob="prob")


def test_subgroup_table_validates_columns_and_group(cohort):
    """A bad label column or group argument raises with the column named."""
    bad = cohort.assign(y_true=cohort["y_true"] * 2)
    with pytest.raises(ValueError, match=r"column 'y_true' must hold binary labels"):
        metrics.subgroup_table(bad, group="sex")
    with pytest.raises(TypeError, match=r"group must be a column name"):
        metrics.subgroup_table(cohort, group=[])
