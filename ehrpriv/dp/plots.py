"""Figures of lesson 03: noise distributions, privacy loss and noisy histograms.

Introduced in lesson 03 (``notebooks/03_differential_privacy.ipynb``). Every
function takes an optional ``ax`` (or ``axes``), creates a figure when it is None,
and returns what it drew on; none calls ``plt.show``.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from scipy import stats

from ehrpriv._validation import check_int, check_real
from ehrpriv.dp._params import check_delta, check_epsilon, check_rng
from ehrpriv.dp.mechanisms import gaussian_sigma, laplace_mechanism
from ehrpriv.plots import _axes

__all__ = [
    "plot_laplace_releases",
    "plot_privacy_loss",
    "plot_laplace_vs_gaussian",
    "plot_noisy_counts",
]


def _grid(value: float, width: float) -> np.ndarray:
    """Return 401 points spanning ``value +- width``."""
    return np.linspace(value - width, value + width, 401)


def plot_laplace_releases(
    value: float,
    *,
    epsilons: Sequence[float],
    rng: np.random.Generator,
    n_draws: int = 20_000,
    ax: Axes | None = None,
) -> Axes:
    """Plot histograms of :func:`laplace_mechanism` releases of a count, per epsilon.

    Each histogram holds ``n_draws`` releases with sensitivity 1; the exact
    Laplace density is drawn over it in black.

    Parameters
    ----------
    value : float
        The exact count.
    epsilons : sequence of float
        Privacy levels, each in (0, inf).
    rng : numpy.random.Generator
        Source of randomness.
    n_draws : int, default 20,000
        Releases per epsilon.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib Axes
    """
    value = check_real("value", value)
    n_draws = check_int("n_draws", n_draws, low=1)
    rng = check_rng(rng)
    ax = _axes(ax, figsize=(7.0, 3.5))
    grid = _grid(value, 12.0)
    for epsilon in epsilons:
        epsilon = check_epsilon(epsilon)
        draws = laplace_mechanism(
            np.full(n_draws, value), sensitivity=1.0, epsilon=epsilon, rng=rng
        )
        ax.hist(
            draws,
            bins=grid[::2],
            density=True,
            histtype="stepfilled",
            alpha=0.3,
            label=f"ε = {epsilon:g}",
        )
        ax.plot(
            grid, stats.laplace.pdf(grid, value, 1.0 / epsilon), color="black", lw=0.8
        )
    ax.set(xlabel="released count", ylabel="density")
    ax.set_title(f"Laplace releases of a count of {value:g}")
    ax.legend()
    return ax


def plot_privacy_loss(
    value: float, *, epsilon: float, axes: Sequence[Axes] | None = None
) -> Sequence[Axes]:
    """Plot the Laplace output densities of two neighbouring counts and their log ratio.

    Parameters
    ----------
    value : float
        The count with the target; the neighbour is ``value - 1``.
    epsilon : float
        Privacy parameter, in (0, inf).
    axes : pair of matplotlib Axes, optional
        Where to draw the densities and the privacy loss.

    Returns
    -------
    pair of matplotlib Axes
    """
    value = check_real("value", value)
    epsilon = check_epsilon(epsilon)
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11.0, 3.5))
    left, right = axes
    grid = _grid(value, 8.0 / min(epsilon, 1.0))
    with_target = stats.laplace.pdf(grid, value, 1.0 / epsilon)
    without = stats.laplace.pdf(grid, value - 1.0, 1.0 / epsilon)
    left.plot(grid, with_target, label=f"target in the count ({value:g})")
    left.plot(grid, without, label=f"target not in it ({value - 1:g})")
    left.set(xlabel="released count", ylabel="density")
    left.set_title(f"Neighbouring output densities, ε = {epsilon:g}")
    left.legend(loc="upper left", fontsize="small")
    right.plot(grid, np.log(with_target / without))
    for bound in (-epsilon, epsilon):
        right.axhline(bound, color="grey", ls="--", lw=0.8)
    right.set(xlabel="released count", ylabel="privacy loss (log ratio)")
    right.set_ylim(-1.5 * epsilon, 1.5 * epsilon)
    right.set_title("The privacy loss stays within ±ε")
    return axes


def plot_laplace_vs_gaussian(
    value: float, *, epsilon: float, delta: float, ax: Axes | None = None
) -> Axes:
    """Plot the Laplace and (analytic) Gaussian noise densities for one count.

    Parameters
    ----------
    value : float
        The exact count.
    epsilon : float
        Privacy parameter, in (0, inf).
    delta : float
        Delta of the Gaussian mechanism, in (0, 1).
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib Axes
    """
    value = check_real("value", value)
    epsilon = check_epsilon(epsilon)
    delta = check_delta(delta, positive=True)
    sigma = gaussian_sigma(sensitivity=1.0, epsilon=epsilon, delta=delta)
    ax = _axes(ax, figsize=(7.0, 3.2))
    grid = _grid(value, 4.0 * sigma)
    ax.plot(grid, stats.laplace.pdf(grid, value, 1.0 / epsilon), label="Laplace")
    ax.plot(grid, stats.norm.pdf(grid, value, sigma), label=f"Gaussian, δ = {delta:g}")
    ax.set(xlabel="released count", ylabel="density")
    ax.set_title(f"Noise for one count at ε = {epsilon:g}")
    ax.legend()
    return ax


def plot_noisy_counts(
    exact: pd.Series,
    noisy: pd.Series,
    *,
    half_width: float,
    ax: Axes | None = None,
) -> Axes:
    """Plot exact and noisy counts side by side, with an interval on the noisy ones.

    Parameters
    ----------
    exact, noisy : pandas.Series
        Counts indexed by the same categories.
    half_width : float
        Half-width of the interval drawn around each noisy count, >= 0.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib Axes
    """
    half_width = check_real("half_width", half_width, low=0)
    noisy = noisy.reindex(exact.index)
    ax = _axes(ax, figsize=(8.0, 3.5))
    position = np.arange(len(exact))
    ax.bar(position - 0.2, exact.to_numpy(), width=0.4, label="exact")
    ax.bar(
        position + 0.2,
        noisy.to_numpy(),
        width=0.4,
        yerr=half_width,
        capsize=3,
        label="DP release (±95 % noise interval)",
    )
    ax.set_xticks(position, ["\n".join(str(name).split()[:2]) for name in exact.index])
    top = max(float(exact.max()), float(noisy.max()) + half_width)
    ax.set_ylim(top=1.3 * top)
    ax.set_ylabel("patients")
    ax.legend(loc="upper right", ncols=2, fontsize="small")
    return ax
