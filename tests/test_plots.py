"""Tests for ehrpriv.plots."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless backend; set before pyplot is imported

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from ehrpriv import metrics, plots  # noqa: E402
from ehrpriv._validation import MissingColumnError  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    """Close every figure a test opened."""
    yield
    plt.close("all")


@pytest.fixture
def predictions() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Labels with a good and a noisy model's probabilities."""
    rng = np.random.default_rng(0)
    risk = rng.beta(1.0, 6.0, size=2_000)
    y = rng.binomial(1, risk)
    noisy = np.clip(risk + rng.normal(0.0, 0.1, size=risk.size), 0.0, 1.0)
    return {"true risk": (y, risk), "noisy": (y, noisy)}


@pytest.fixture
def table() -> pd.DataFrame:
    """A subgroup table with intervals and one small group."""
    rng = np.random.default_rng(1)
    n = 900
    prob = rng.uniform(0.02, 0.6, size=n)
    frame = pd.DataFrame(
        {
            "y_true": rng.binomial(1, prob),
            "y_prob": prob,
            "sex": rng.choice(["F", "M", "X"], size=n, p=[0.5, 0.48, 0.02]),
        }
    )
    return metrics.subgroup_table(frame, group="sex", ci=True, n_boot=50)


def test_plot_roc_labels_include_auroc(predictions):
    """Each curve's legend label carries its AUROC to three decimals."""
    ax = plots.plot_roc(predictions)
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    y, risk = predictions["true risk"]
    assert f"true risk (AUROC = {metrics.auroc(y, risk):.3f})" in labels
    assert labels[-1] == "chance"
    assert len(ax.get_lines()) == 3
    assert ax.get_title() == "ROC curve"
    assert "False positive rate" in ax.get_xlabel()


def test_plot_roc_draws_on_given_axes_without_chance(predictions):
    """A supplied Axes is reused, and chance=False omits the diagonal."""
    fig, ax = plt.subplots()
    returned = plots.plot_roc(
        {"noisy": predictions["noisy"]}, ax=ax, chance=False, title="Test set"
    )
    assert returned is ax
    assert len(ax.get_lines()) == 1
    assert ax.get_title() == "Test set"
    assert len(plt.get_fignums()) == 1


def test_plot_roc_validates_curves(predictions):
    """A non-mapping, an empty mapping or a bad pair raise explained errors."""
    with pytest.raises(TypeError, match=r"curves must be a mapping"):
        plots.plot_roc([predictions["noisy"]])
    with pytest.raises(ValueError, match=r"at least one model"):
        plots.plot_roc({})
    with pytest.raises(TypeError, match=r"curves\['a'\] must be a pair"):
        plots.plot_roc({"a": np.zeros(3)})
    with pytest.raises(ValueError, match=r"needs both classes"):
        plots.plot_roc({"a": ([0, 0], [0.1, 0.2])})
    with pytest.raises(TypeError, match=r"ax must be a matplotlib Axes"):
        plots.plot_roc(predictions, ax="left")
    assert plt.get_fignums() == []


def test_plot_calibration_points_and_diagonal(predictions):
    """One line per model with one point per bin, plus the diagonal."""
    ax = plots.plot_calibration(predictions, n_bins=5)
    lines = ax.get_lines()
    assert len(lines) == 3
    assert len(lines[0].get_xdata()) == 5
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels[0].startswith("true risk (ECE = ")
    assert labels[-1] == "perfect calibration"
    diagonal = lines[-1]
    assert list(diagonal.get_xdata()) == list(diagonal.get_ydata())
    assert ax.get_xlim()[1] <= 1.0


def test_plot_calibration_validates_strategy(predictions):
    """An unknown binning strategy is refused before drawing."""
    with pytest.raises(ValueError, match=r"strategy must be one of"):
        plots.plot_calibration(predictions, strategy="kmeans")


def test_plot_subgroups_error_bars_reference_and_small(table):
    """Intervals, the reference line and the small-group marker are drawn."""
    ax = plots.plot_subgroups(table, reference=0.7)
    tick_labels = [tick.get_text() for tick in ax.get_yticklabels()]
    assert len(tick_labels) == len(table)
    assert tick_labels[0].startswith(f"{table['group'][0]} (n={table['n'][0]})")
    assert tick_labels[-1].endswith("*")  # X is the small group, listed last
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert "bootstrap interval" in legend
    assert "reference (0.700)" in legend
    assert any(text.get_text() == "too small to estimate" for text in ax.texts)
    assert ax.get_xlabel() == "AUROC"
    assert ax.get_title() == "AUROC by subgroup"


def test_plot_subgroups_other_metric_marks_small_groups(table):
    """For a metric defined in small groups, they get a hollow marker."""
    ax = plots.plot_subgroups(table, metric="brier", title="Brier")
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend == ["Brier score", "small group (*)"]
    assert ax.get_title() == "Brier"


def test_plot_subgroups_missing_column_is_named(table):
    """Asking for a metric the table lacks raises naming the column."""
    with pytest.raises(MissingColumnError, match=r"missing column\(s\) ece"):
        plots.plot_subgroups(table, metric="ece")
    with pytest.raises(ValueError, match=r"at least one group"):
        plots.plot_subgroups(table.iloc[:0])


def test_plot_risk_distribution_two_histograms():
    """Both outcomes get a labelled, density-normalised histogram."""
    rng = np.random.default_rng(2)
    prob = rng.uniform(size=500)
    y = rng.binomial(1, prob)
    ax = plots.plot_risk_distribution(prob, y, bins=20)
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == [
        f"outcome = 0 (n={(y == 0).sum()})",
        f"outcome = 1 (n={(y == 1).sum()})",
    ]
    assert len(ax.patches) == 40
    assert ax.get_xlabel() == "Predicted risk"


def test_plot_risk_distribution_validates_inputs():
    """Out-of-range probabilities and bad bin counts raise explained errors."""
    with pytest.raises(ValueError, match=r"y_prob must hold probabilities"):
        plots.plot_risk_distribution([0.2, 1.2], [0, 1])
    with pytest.raises(ValueError, match=r"bins must be an integer >= 1; got 0"):
        plots.plot_risk_distribution([0.2, 0.4], [0, 1], bins=0)
