"""Figures for evaluating a risk model: ROC, calibration, subgroups, risk spread.

Introduced in lesson 01 (notebooks/01_ehr_data.ipynb); later lessons draw the
private models on the same axes as the non-private one.

Every function takes an optional ``ax``, creates a new figure when it is None,
and returns the Axes it drew on. None calls ``plt.show``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.transforms import blended_transform_factory
from sklearn.metrics import roc_curve

from ehrpriv._validation import check_choice, check_columns, check_int, check_real
from ehrpriv.metrics import (
    _check_pair,
    _require_both_classes,
    auroc,
    calibration_table,
    expected_calibration_error,
)

logger = logging.getLogger(__name__)

__all__ = [
    "plot_roc",
    "plot_calibration",
    "plot_subgroups",
    "plot_risk_distribution",
]

_METRIC_LABELS = {
    "auroc": "AUROC",
    "auprc": "AUPRC",
    "brier": "Brier score",
    "prevalence": "Prevalence",
    "mean_predicted": "Mean predicted risk",
}


def _axes(ax: Any, *, figsize: tuple[float, float] = (5.0, 5.0)) -> Axes:
    """Return ``ax``, or the Axes of a new figure when it is None."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
        return ax
    if not isinstance(ax, Axes):
        raise TypeError(
            f"ax must be a matplotlib Axes or None; got {type(ax).__name__}."
        )
    return ax


def _check_curves(curves: Any) -> Mapping[str, tuple[Any, Any]]:
    """Check ``curves`` is a non-empty mapping of name -> (y_true, y_score)."""
    if not isinstance(curves, Mapping):
        raise TypeError(
            "curves must be a mapping of name -> (y_true, y_score), such as "
            f"{{'MLP': (y, p)}}; got {type(curves).__name__}."
        )
    if not curves:
        raise ValueError("curves must hold at least one model; got an empty mapping.")
    for name, pair in curves.items():
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(
                f"curves[{name!r}] must be a pair (y_true, y_score); got "
                f"{type(pair).__name__}."
            )
    return curves


def plot_roc(
    curves: Mapping[str, tuple[Any, Any]],
    *,
    ax: Axes | None = None,
    title: str = "ROC curve",
    chance: bool = True,
) -> Axes:
    """Draw one ROC curve per model, with its AUROC in the legend.

    Parameters
    ----------
    curves : mapping of str to (y_true, y_score)
        Model name to its labels and scores.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when None.
    title : str, default "ROC curve"
        Axes title.
    chance : bool, default True
        Draw the diagonal of a random score.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Raises
    ------
    TypeError
        If ``curves`` is not a mapping of pairs or ``ax`` is not an Axes.
    ValueError
        If a pair is invalid or has a single class.
    """
    curves = _check_curves(curves)
    pairs = {}
    for name, (y_true, y_score) in curves.items():
        labels, scores = _check_pair(y_true, y_score)
        _require_both_classes(labels, what=f"The ROC curve of {name!r}")
        pairs[name] = (labels, scores)
    ax = _axes(ax)
    for name, (labels, scores) in pairs.items():
        fpr, tpr, _ = roc_curve(labels, scores)
        ax.plot(fpr, tpr, label=f"{name} (AUROC = {auroc(labels, scores):.3f})")
    if chance:
        ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(0.0, 1.0)
    ax.set_aspect("equal")
    ax.set_xlabel("False positive rate (1 - specificity)")
    ax.set_ylabel("True positive rate (sensitivity)")
    ax.set_title(title)
    ax.legend(loc="lower right")
    return ax


def plot_calibration(
    curves: Mapping[str, tuple[Any, Any]],
    *,
    n_bins: int = 10,
    strategy: str = "quantile",
    ax: Axes | None = None,
    title: str = "Calibration",
) -> Axes:
    """Draw observed event rate against mean predicted risk for each model.

    Each point is one bin of :func:`ehrpriv.metrics.calibration_table`; the
    legend gives each model's expected calibration error. Both axes run from 0
    to just above the largest value drawn, so that a rare outcome is not
    squeezed into a corner; the dashed diagonal is perfect calibration.

    Parameters
    ----------
    curves : mapping of str to (y_true, y_prob)
        Model name to its labels and predicted probabilities.
    n_bins : int, default 10
        Number of bins requested.
    strategy : {"quantile", "uniform"}, default "quantile"
        Binning strategy.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when None.
    title : str, default "Calibration"
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Raises
    ------
    TypeError
        If ``curves`` is not a mapping of pairs or ``ax`` is not an Axes.
    ValueError
        If a pair or an option is invalid.
    """
    curves = _check_curves(curves)
    n_bins = check_int("n_bins", n_bins, low=1)
    check_choice("strategy", strategy, ("quantile", "uniform"))
    tables = {
        name: (
            calibration_table(y, p, n_bins=n_bins, strategy=strategy),
            expected_calibration_error(y, p, n_bins=n_bins, strategy=strategy),
        )
        for name, (y, p) in curves.items()
    }
    ax = _axes(ax)
    upper = 0.0
    for name, (table, ece) in tables.items():
        ax.plot(
            table["mean_predicted"],
            table["observed_rate"],
            marker="o",
            label=f"{name} (ECE = {ece:.3f})",
        )
        upper = max(upper, table["mean_predicted"].max(), table["observed_rate"].max())
    upper = min(1.0, 1.05 * upper) if upper > 0 else 1.0
    ax.plot(
        [0, upper],
        [0, upper],
        linestyle="--",
        color="grey",
        label="perfect calibration",
    )
    ax.set_xlim(0.0, upper)
    ax.set_ylim(0.0, upper)
    ax.set_aspect("equal")
    ax.set_xlabel("Mean predicted risk")
    ax.set_ylabel("Observed event rate")
    ax.set_title(title)
    ax.legend(loc="upper left")
    return ax


def plot_subgroups(
    table: pd.DataFrame,
    *,
    metric: str = "auroc",
    group: str = "group",
    ax: Axes | None = None,
    title: str | None = None,
    reference: float | None = None,
) -> Axes:
    """Draw a metric per subgroup as a point chart, largest group on top.

    Takes the output of :func:`ehrpriv.metrics.subgroup_table`. Draws error bars
    when the table has ``{metric}_low`` and ``{metric}_high`` columns, marks
    groups flagged ``small`` with hollow markers, adds ``n`` to each label when
    the table has an ``n`` column, and writes "not estimable" where the metric
    is NaN.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per group.
    metric : str, default "auroc"
        Column to draw.
    group : str, default "group"
        Column holding the group labels.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when None.
    title : str, optional
        Axes title; defaults to "<metric> by subgroup".
    reference : float, optional
        Draw a dashed vertical line here, for example the overall AUROC.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Raises
    ------
    TypeError
        If ``table`` is not a DataFrame or ``ax`` is not an Axes.
    MissingColumnError
        If ``metric`` or ``group`` is not a column (a KeyError).
    ValueError
        If ``table`` is empty or ``reference`` is not finite.
    """
    check_columns(table, [group, metric], name="table")
    if len(table) == 0:
        raise ValueError("table must hold at least one group; got an empty table.")
    if reference is not None:
        reference = check_real("reference", reference)
        if not np.isfinite(reference):
            raise ValueError(f"reference must be finite; got {reference}.")
    metric_label = _METRIC_LABELS.get(metric, metric)
    values = pd.to_numeric(table[metric], errors="coerce").to_numpy(dtype=float)
    positions = np.arange(len(table))
    small = (
        table["small"].to_numpy(dtype=bool)
        if "small" in table.columns
        else np.zeros(len(table), dtype=bool)
    )
    low_col, high_col = f"{metric}_low", f"{metric}_high"
    has_ci = low_col in table.columns and high_col in table.columns
    ax = _axes(ax, figsize=(6.0, max(2.5, 0.45 * len(table) + 1.0)))
    color = "C0"
    if has_ci:
        low = table[low_col].to_numpy(dtype=float)
        high = table[high_col].to_numpy(dtype=float)
        errors = np.vstack([values - low, high - values])
        finite = np.isfinite(errors).all(axis=0) & np.isfinite(values)
        if finite.any():
            ax.errorbar(
                values[finite],
                positions[finite],
                xerr=np.clip(errors[:, finite], 0.0, None),
                fmt="none",
                ecolor=color,
                capsize=3,
                label="bootstrap interval",
            )
    regular = ~small & np.isfinite(values)
    if regular.any():
        ax.plot(
            values[regular], positions[regular], "o", color=color, label=metric_label
        )
    hollow = small & np.isfinite(values)
    if hollow.any():
        ax.plot(
            values[hollow],
            positions[hollow],
            "o",
            markerfacecolor="white",
            markeredgecolor=color,
            label="small group (*)",
        )
    text_transform = blended_transform_factory(ax.transAxes, ax.transData)
    for position in positions[~np.isfinite(values)]:
        ax.text(
            0.02,
            position,
            "too small to estimate" if small[position] else "not estimable",
            transform=text_transform,
            va="center",
            ha="left",
            color="grey",
            fontstyle="italic",
        )
    if reference is not None:
        ax.axvline(
            reference,
            linestyle="--",
            color="grey",
            label=f"reference ({reference:.3f})",
        )
    labels = table[group].astype(str).tolist()
    if "n" in table.columns:
        counts = table["n"].astype(int).tolist()
        labels = [f"{lab} (n={n})" for lab, n in zip(labels, counts, strict=True)]
    labels = [lab + " *" if f else lab for lab, f in zip(labels, small, strict=True)]
    ax.set_yticks(positions, labels)
    ax.set_ylim(len(table) - 0.5, -0.5)  # first row on top
    ax.set_xlabel(metric_label)
    ax.set_title(title if title is not None else f"{metric_label} by subgroup")
    ax.grid(axis="x", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        # below the axes, so that it never hides a group's label or marker
        ax.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.15),
            ncol=3,
            fontsize="small",
            frameon=False,
        )
    return ax


def plot_risk_distribution(
    y_prob: Any,
    y_true: Any,
    *,
    ax: Axes | None = None,
    bins: int = 30,
    title: str = "Predicted risk by outcome",
) -> Axes:
    """Draw overlapping histograms of predicted risk for each outcome.

    Each histogram is normalised to unit area, so a rare outcome stays
    visible next to the common one; the legend gives each class size.

    Parameters
    ----------
    y_prob : array-like of shape (n,)
        Predicted probabilities in [0, 1].
    y_true : array-like of shape (n,)
        Binary outcome labels, 0 or 1.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when None.
    bins : int, default 30
        Number of bins, shared by both histograms.
    title : str, default "Predicted risk by outcome"
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Raises
    ------
    TypeError
        If an input is not numeric or ``ax`` is not an Axes.
    ValueError
        If the inputs are invalid or ``bins < 1``.
    """
    labels, probs = _check_pair(y_true, y_prob, name="y_prob", probability=True)
    bins = check_int("bins", bins, low=1)
    ax = _axes(ax, figsize=(6.0, 4.0))
    low, high = float(probs.min()), float(probs.max())
    edges = np.linspace(low, high if high > low else low + 1e-3, bins + 1)
    for outcome, color in ((0, "C0"), (1, "C3")):
        values = probs[labels == outcome]
        if values.size == 0:
            continue
        ax.hist(
            values,
            bins=edges,
            density=True,
            alpha=0.5,
            color=color,
            label=f"outcome = {outcome} (n={values.size})",
        )
    ax.set_xlabel("Predicted risk")
    ax.set_ylabel("Density")
    ax.set_title(title)
    ax.legend(loc="upper right")
    return ax
