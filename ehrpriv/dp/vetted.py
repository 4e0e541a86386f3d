"""Thin wrappers around OpenDP, the maintained implementation of the lesson's queries.

Introduced in lesson 03 (``notebooks/03_differential_privacy.ipynb``).

**Library code, not teaching code.** The module keeps the name ``vetted`` for "use a
maintained library with written proofs rather than your own sampler", but be
precise about what that means: the measurements used here are in OpenDP's
``contrib`` set, which OpenDP describes as code whose proofs have not yet
completed its own vetting process, and which must be enabled explicitly. Each
function builds an OpenDP measurement (a transformation
chained with a noise mechanism), asks OpenDP's privacy map what it costs, and runs
it. OpenDP's mechanisms come with proofs, sample their noise exactly on a
discrete grid (counts get discrete Laplace or Gaussian noise on the integers), so
Mironov's floating-point attack (:mod:`ehrpriv.dp.pitfalls`) does not apply, and
draw randomness from the operating system's secure generator. That last point
means their outputs **cannot be seeded**: a notebook should print what is
guaranteed (the privacy map, the accuracy), not the random release.

The wrappers only convert inputs and outputs; the privacy reasoning is OpenDP's.
Contrast :mod:`ehrpriv.dp.mechanisms`, which is teaching code.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import opendp.prelude as dp
import pandas as pd

from ehrpriv._validation import check_real
from ehrpriv.dp._params import (
    as_flags,
    as_float_array,
    check_bounds,
    check_delta,
    check_epsilon,
)

logger = logging.getLogger(__name__)

__all__ = [
    "VettedRelease",
    "opendp_laplace_count",
    "opendp_laplace_histogram",
    "opendp_laplace_mean",
    "opendp_gaussian_count",
]


@dataclass(frozen=True)
class VettedRelease:
    """A value released by OpenDP and the guarantee OpenDP certifies for it.

    Attributes
    ----------
    value : Any
        The differentially private answer.
    epsilon : float
        Epsilon from OpenDP's privacy map, at most the epsilon requested.
    delta : float
        Delta of the guarantee (0 for pure DP).
    scale : float
        Scale of the noise OpenDP added (Laplace scale or Gaussian sigma).
    mechanism : str
        Description of the OpenDP measurement.
    noise : str
        ``"discrete_laplace"``, ``"laplace"`` or ``"discrete_gaussian"``: the noise
        behind ``scale`` (for a mean, the noise on the sum).
    """

    value: Any
    epsilon: float
    delta: float
    scale: float
    mechanism: str
    noise: str

    def accuracy(self, *, alpha: float = 0.05) -> float:
        """Return the half-width the noise stays within with probability 1 - alpha.

        Computed by OpenDP's ``*_scale_to_accuracy`` functions from ``scale``; it
        describes the noise, not the released value, so it is the same every run.

        Raises
        ------
        TypeError, ValueError
            If ``alpha`` is not in (0, 1).
        """
        alpha = check_real("alpha", alpha, low=0, high=1, low_inclusive=False,
                           high_inclusive=False)  # fmt: skip
        convert = {
            "discrete_laplace": dp.discrete_laplacian_scale_to_accuracy,
            "laplace": dp.laplacian_scale_to_accuracy,
            "discrete_gaussian": dp.discrete_gaussian_scale_to_accuracy,
        }[self.noise]
        return float(convert(self.scale, alpha))


def _enable() -> None:
    """Opt in to OpenDP's ``contrib`` features (mechanisms not yet fully vetted
    by OpenDP's own review, which includes the Laplace and Gaussian on counts)."""
    dp.enable_features("contrib")


def _count_true() -> Any:
    """Return OpenDP's transformation from per-patient booleans to their count.

    Booleans are cast to 0/1, clamped to [0, 1] and summed: a sum with
    sensitivity 1 when one patient is added or removed.
    """
    space = dp.vector_domain(dp.atom_domain(T=bool)), dp.symmetric_distance()
    chain = space >> dp.t.then_cast_default(TOA=int) >> dp.t.then_clamp((0, 1))
    return chain >> dp.t.then_sum()


def opendp_laplace_count(flags: Any, *, epsilon: float) -> VettedRelease:
    """Release the number of patients with a property with OpenDP (discrete Laplace).

    Parameters
    ----------
    flags : array-like of bool or 0/1, shape (n,)
        One entry per patient (add/remove one patient changes the count by 1).
    epsilon : float
        Privacy parameter, in (0, inf).

    Returns
    -------
    VettedRelease
        ``value`` is an int; ``epsilon`` is OpenDP's privacy map at distance 1.

    Raises
    ------
    TypeError, ValueError
        If ``flags`` is not 1-D binary or ``epsilon`` is outside (0, inf).
    """
    data = as_flags(flags, name="flags").tolist()
    epsilon = check_epsilon(epsilon)
    _enable()

    def make(scale: float) -> Any:
        """Count the flags, then discrete Laplace noise of ``scale``."""
        return _count_true() >> dp.m.then_laplace(scale=scale)

    scale = dp.binary_search_param(make, d_in=1, d_out=epsilon)
    measurement = make(scale)
    return VettedRelease(
        value=int(measurement(data)),
        epsilon=float(measurement.map(1)),
        delta=0.0,
        scale=float(scale),
        mechanism="OpenDP sum of 0/1 flags >> discrete Laplace",
        noise="discrete_laplace",
    )


def opendp_laplace_histogram(
    labels: Any, *, categories: Sequence[Any], epsilon: float
) -> VettedRelease:
    """Release counts of patients per (public) category with OpenDP.

    Parameters
    ----------
    labels : array-like, shape (n,)
        One label per patient; labels are compared as strings.
    categories : sequence
        The public bins, without duplicates.
    epsilon : float
        Privacy parameter of the whole histogram, in (0, inf).

    Returns
    -------
    VettedRelease
        ``value`` is a pandas Series of int counts indexed by ``categories``.

    Raises
    ------
    TypeError, ValueError
        If ``categories`` is empty or has duplicates, or ``epsilon`` is invalid.
    """
    bins = [str(category) for category in categories]
    if not bins or len(set(bins)) != len(bins):
        raise ValueError(
            f"categories must be a non-empty list without duplicates; got {bins!r}."
        )
    data = [str(label) for label in np.asarray(labels, dtype=object).ravel()]
    epsilon = check_epsilon(epsilon)
    _enable()
    space = dp.vector_domain(dp.atom_domain(T=str)), dp.symmetric_distance()

    def make(scale: float) -> Any:
        """Count by categories, then discrete Laplace noise on every bin."""
        counts = dp.t.then_count_by_categories(categories=bins, null_category=False)
        return space >> counts >> dp.m.then_laplace(scale=scale)

    scale = dp.binary_search_param(make, d_in=1, d_out=epsilon)
    measurement = make(scale)
    return VettedRelease(
        value=pd.Series(measurement(data), index=list(categories), name="dp_count"),
        epsilon=float(measurement.map(1)),
        delta=0.0,
        scale=float(scale),
        mechanism="OpenDP count_by_categories >> discrete Laplace",
        noise="discrete_laplace",
    )


def opendp_laplace_mean(
    values: Any, *, lower: float, upper: float, epsilon: float
) -> VettedRelease:
    """Release a clipped mean with OpenDP: noisy sum and count, epsilon / 2 each.

    The values are centred on the midpoint of ``[lower, upper]`` (a public shift),
    clamped by OpenDP, summed and given Laplace noise; the count gets discrete
    Laplace noise; both are composed by OpenDP's basic composition. The division
    is post-processing, as in :func:`ehrpriv.dp.mechanisms.dp_mean`.

    Parameters
    ----------
    values : array-like of float, shape (n,)
        One finite value per patient.
    lower, upper : float
        Clipping bounds, chosen without looking at the data.
    epsilon : float
        Total privacy parameter, in (0, inf).

    Returns
    -------
    VettedRelease
        ``value`` is the mean, within ``[lower, upper]``; ``scale`` is the Laplace
        scale of the sum.

    Raises
    ------
    TypeError, ValueError
        If ``values`` is not finite or a parameter is outside its range.
    """
    low, high = check_bounds(lower, upper)
    middle = (low + high) / 2.0
    data = (as_float_array(values, name="values").ravel() - middle).tolist()
    epsilon = check_epsilon(epsilon)
    _enable()
    space = (
        dp.vector_domain(dp.atom_domain(T=float, nan=False)),
        dp.symmetric_distance(),
    )
    bounds = (low - middle, high - middle)

    def make_sum(scale: float) -> Any:
        """Clamp, sum, then Laplace noise of ``scale``."""
        chain = space >> dp.t.then_clamp(bounds) >> dp.t.then_sum()
        return chain >> dp.m.then_laplace(scale=scale)

    def make_count(scale: float) -> Any:
        """Count, then discrete Laplace noise of ``scale``."""
        return space >> dp.t.then_count() >> dp.m.then_laplace(scale=scale)

    sum_scale = dp.binary_search_param(make_sum, d_in=1, d_out=epsilon / 2.0)
    count_scale = dp.binary_search_param(make_count, d_in=1, d_out=epsilon / 2.0)
    measurement = dp.c.make_composition([make_sum(sum_scale), make_count(count_scale)])
    noisy_sum, noisy_count = measurement(data)
    mean = middle + float(noisy_sum) / max(float(noisy_count), 1.0)
    return VettedRelease(
        value=float(np.clip(mean, low, high)),
        epsilon=float(measurement.map(1)),
        delta=0.0,
        scale=float(sum_scale),
        mechanism="OpenDP (clamp >> sum >> Laplace) + (count >> discrete Laplace)",
        noise="laplace",
    )


def opendp_gaussian_count(flags: Any, *, rho: float, delta: float) -> VettedRelease:
    """Release a count with OpenDP's discrete Gaussian, accounted in zCDP.

    Parameters
    ----------
    flags : array-like of bool or 0/1, shape (n,)
        One entry per patient.
    rho : float
        zCDP budget of the query, in (0, inf).
    delta : float
        Delta at which OpenDP converts rho to (epsilon, delta), in (0, 1).

    Returns
    -------
    VettedRelease
        ``value`` is an int; ``epsilon`` is OpenDP's conversion of the query's
        rho at ``delta``; ``scale`` is sigma.

    Raises
    ------
    TypeError, ValueError
        If ``flags`` is not 1-D binary or a parameter is outside its range.
    """
    data = as_flags(flags, name="flags").tolist()
    rho = check_real("rho", rho, low=0, low_inclusive=False)
    if math.isinf(rho):
        raise ValueError("rho must be in (0, inf); got inf.")
    delta = check_delta(delta, positive=True)
    _enable()

    def make(scale: float) -> Any:
        """Count the flags, then discrete Gaussian noise of ``scale``."""
        return _count_true() >> dp.m.then_gaussian(scale=scale)

    scale = dp.binary_search_param(make, d_in=1, d_out=rho)
    measurement = make(scale)
    profile = dp.c.make_zCDP_to_approxDP(measurement).map(1)
    return VettedRelease(
        value=int(measurement(data)),
        epsilon=float(profile.epsilon(delta)),
        delta=delta,
        scale=float(scale),
        mechanism="OpenDP sum of 0/1 flags >> discrete Gaussian (zCDP)",
        noise="discrete_gaussian",
    )
