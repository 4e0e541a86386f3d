"""Figures for privacy attacks: re-identification, disclosure, membership inference.

Introduced in lesson 02 (``notebooks/02_threat_models.ipynb``); lesson 04 draws
the membership-inference ROC curves of the DP-SGD models on the same axes.

Every function takes an optional ``ax``, creates a new figure when it is None,
and returns the Axes it drew on. None calls ``plt.show``. ROC curves of
attacks are drawn on log-log axes by default, as Carlini et al. (2022)
recommend: what matters is the true-positive rate at low false-positive rates.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from ehrpriv._validation import check_columns, check_int
from ehrpriv.attacks import HomogeneityResult, MIAMetrics
from ehrpriv.metrics import _check_pair
from ehrpriv.plots import _axes

logger = logging.getLogger(__name__)

__all__ = [
    "plot_reidentification",
    "plot_disclosure",
    "plot_mia_roc",
    "plot_membership_scores",
]


def _check_mapping(name: str, value: Any, kind: type) -> Mapping[str, Any]:
    """Check ``value`` is a non-empty mapping of str to ``kind``."""
    if not isinstance(value, Mapping) or not value:
        raise TypeError(
            f"{name} must be a non-empty mapping of name -> {kind.__name__}; got "
            f"{type(value).__name__}{'' if value else ' (empty)'}."
        )
    for key, item in value.items():
        if not isinstance(item, kind):
            raise TypeError(
                f"{name}[{key!r}] must be a {kind.__name__}; got {type(item).__name__}."
            )
    return value


def plot_reidentification(
    table: pd.DataFrame,
    *,
    columns: Sequence[str] = ("unique in release", "re-identified"),
    ax: Axes | None = None,
    title: str = "Linkage with the voter roll",
) -> Axes:
    """Draw grouped bars of uniqueness and re-identification rate per release.

    Parameters
    ----------
    table : DataFrame
        One row per release (the index names it), with the share columns, e.g.
        built from :meth:`ehrpriv.attacks.LinkageResult.summary`.
    columns : sequence of str, default ("unique in release", "re-identified")
        Columns to draw, each a share in [0, 1].
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when None.
    title : str
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Raises
    ------
    TypeError
        If ``table`` is not a DataFrame or ``ax`` is not an Axes.
    MissingColumnError
        If a column is missing.
    """
    columns = list(columns)
    check_columns(table, columns, name="table")
    ax = _axes(ax, figsize=(7.0, 3.5))
    positions = np.arange(len(table))
    width = 0.8 / len(columns)
    for i, column in enumerate(columns):
        values = table[column].astype(float).to_numpy()
        bars = ax.bar(positions + (i - (len(columns) - 1) / 2) * width, values, width)
        bars.set_label(column)
        ax.bar_label(bars, labels=[f"{v:.1%}" for v in values], fontsize="small")
    ax.set_xticks(positions, [str(name) for name in table.index])
    ax.set_ylim(0.0, 1.1)
    ax.set_ylabel("share of released records")
    ax.set_title(title)
    ax.legend(loc="upper right")
    return ax


def plot_disclosure(
    results: Mapping[str, HomogeneityResult],
    *,
    ax: Axes | None = None,
    title: str = "Homogeneity attack",
) -> Axes:
    """Draw, per release, the share of records whose sensitive value is inferred.

    Each bar is annotated with the accuracy of the inferences.

    Parameters
    ----------
    results : mapping of str to HomogeneityResult
        Release name to the result of :func:`ehrpriv.attacks.homogeneity_attack`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when None.
    title : str
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Raises
    ------
    TypeError
        If ``results`` is not a non-empty mapping of HomogeneityResult.
    """
    results = _check_mapping("results", results, HomogeneityResult)
    ax = _axes(ax, figsize=(7.0, 3.5))
    names = list(results)
    rates = [results[name].disclosure_rate for name in names]
    bars = ax.barh(names, rates, color="C3")
    notes = []
    for name, rate in zip(names, rates, strict=True):
        accuracy = results[name].accuracy
        right = "" if np.isnan(accuracy) else f", {accuracy:.0%} right"
        notes.append(f"{rate:.1%}{right}")
    ax.bar_label(bars, labels=notes, padding=3, fontsize="small")
    ax.invert_yaxis()
    ax.set_xlim(0.0, max(max(rates) * 1.6, 0.05))
    ax.set_xlabel("share of released records whose diagnosis is inferred")
    ax.set_title(title)
    return ax


def plot_mia_roc(
    results: Mapping[str, MIAMetrics],
    *,
    ax: Axes | None = None,
    log_scale: bool = True,
    title: str = "Membership inference",
) -> Axes:
    """Draw the ROC curve of each membership-inference attack.

    Parameters
    ----------
    results : mapping of str to MIAMetrics
        Attack name to the output of :func:`ehrpriv.attacks.mia_metrics`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when None.
    log_scale : bool, default True
        Log-log axes from 1e-3, to show the low false-positive region.
    title : str
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Raises
    ------
    TypeError
        If ``results`` is not a non-empty mapping of MIAMetrics.
    """
    results = _check_mapping("results", results, MIAMetrics)
    ax = _axes(ax, figsize=(5.5, 5.0))
    for name, result in results.items():
        label = f"{name} (AUC {result.auc:.2f}, TPR@1% {result.tpr_at_1pct_fpr:.1%})"
        ax.plot(result.fpr, result.tpr, label=label)
    floor = 1e-3 if log_scale else 0.0
    ax.plot([floor, 1], [floor, 1], linestyle="--", color="grey", label="chance")
    if log_scale:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlim(floor, 1.0)
    ax.set_ylim(floor, 1.0)
    ax.set_xlabel("False positive rate (non-members flagged)")
    ax.set_ylabel("True positive rate (members found)")
    ax.set_title(title)
    ax.legend(loc="upper left" if log_scale else "lower right", fontsize="small")
    return ax


def plot_membership_scores(
    scores: Any,
    is_member: Any,
    *,
    ax: Axes | None = None,
    bins: int = 40,
    title: str = "Membership scores",
    xlabel: str = "attack score",
) -> Axes:
    """Draw overlapping histograms of attack scores for members and non-members.

    Parameters
    ----------
    scores : array-like of shape (n,)
        Membership scores, higher meaning "member".
    is_member : array-like of shape (n,)
        True membership, 0 or 1.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when None.
    bins : int, default 40
        Number of bins, shared by both histograms.
    title, xlabel : str
        Axes title and x-axis label.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Raises
    ------
    TypeError, ValueError
        If the inputs are not matching 1-D arrays or ``bins < 1``.
    """
    member, score = _check_pair(is_member, scores, name="scores")
    bins = check_int("bins", bins, low=1)
    ax = _axes(ax, figsize=(6.0, 4.0))
    edges = np.histogram_bin_edges(score, bins=bins)
    for value, name, color in ((0, "non-members", "C0"), (1, "members", "C3")):
        part = score[member == value]
        if part.size:
            ax.hist(
                part,
                bins=edges,
                density=True,
                alpha=0.5,
                color=color,
                label=f"{name} (n={part.size})",
            )
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    ax.set_title(title)
    ax.legend(loc="upper right")
    return ax
