"""The floating-point pitfall: naive Laplace noise on doubles leaks the input.

Introduced in lesson 03 (``notebooks/03_differential_privacy.ipynb``).

A textbook Laplace mechanism, such as :func:`ehrpriv.dp.mechanisms.laplace_mechanism`,
returns ``value + rng.laplace(0, scale)``. numpy draws the noise by the inverse
CDF: a uniform double ``U = k / 2**53``, then ``scale * log(2U)`` or
``-scale * log(2 - 2U)``, then the sum is rounded to a double. Each step rounds,
so the set of doubles the mechanism can return from input 0 is not the set it can
return from input 1: an output that only one input can produce reveals that input
with certainty, which no epsilon-DP mechanism allows (Mironov 2012).

This module reproduces numpy's arithmetic bit for bit
(:func:`laplace_output_from_uniform`), decides exactly whether a given double can
be produced from a given input (:func:`is_attainable`, a binary search over the
2**53 possible uniforms, which works because the output is monotone in ``U``),
and measures how often an output gives the input away
(:func:`floating_point_attack`).

**Teaching code.** It attacks the lesson's own teaching helpers. Vetted libraries
avoid the flaw: OpenDP samples noise exactly on a discrete grid (wrapped in
:mod:`ehrpriv.dp.vetted`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ehrpriv._validation import check_int, check_real
from ehrpriv.dp._params import (
    as_float_array,
    check_epsilon,
    check_rng,
    check_sensitivity,
)
from ehrpriv.dp.mechanisms import laplace_mechanism

__all__ = [
    "FloatingPointAttack",
    "laplace_output_from_uniform",
    "is_attainable",
    "floating_point_attack",
    "neighbouring_doubles",
    "attainability_table",
]

#: numpy's uniform doubles are ``k * 2**-53`` for an integer ``0 <= k < 2**53``.
_UNIT = 2.0**-53
_K_MAX = 2**53 - 1
# The C library's log, as numpy's Laplace sampler calls it (numpy's vectorised
# np.log may differ from it in the last bit, which would spoil an exact analysis).
_libm_log = np.frompyfunc(math.log, 1, 1)


def laplace_output_from_uniform(
    uniform: Any, *, value: float, scale: float
) -> np.ndarray:
    """Return ``value + rng.laplace(0, scale)`` for the uniform draw(s) ``uniform``.

    Reproduces numpy's ``Generator.laplace`` bit for bit: ``0 + scale * log(U + U)``
    when ``U < 0.5``, ``0 - scale * log(2 - U - U)`` otherwise, then the sum
    with ``value`` rounded to a double.

    Parameters
    ----------
    uniform : array-like of float
        Uniform draws in (0, 1), as returned by ``rng.random``.
    value : float
        The exact query answer.
    scale : float
        Scale of the Laplace noise, in (0, inf).

    Returns
    -------
    numpy.ndarray of float
        The outputs of the naive mechanism.

    Raises
    ------
    TypeError, ValueError
        If ``uniform`` is outside (0, 1) or a parameter is outside its range.
    """
    u = as_float_array(uniform, name="uniform")
    if ((u <= 0.0) | (u >= 1.0)).any():
        raise ValueError("uniform must hold numbers in (0, 1); got a value outside.")
    value = check_real("value", value)
    scale = check_sensitivity(scale, name="scale")
    return _naive_output(u, value, scale)


def _naive_output(u: np.ndarray, value: float, scale: float) -> np.ndarray:
    """Unchecked core of :func:`laplace_output_from_uniform`."""
    upper = u >= 0.5
    argument = np.where(upper, 2.0 - u - u, u + u)
    magnitude = scale * _libm_log(argument).astype(np.float64)
    noise = np.where(upper, 0.0 - magnitude, 0.0 + magnitude)
    return value + noise


def is_attainable(outputs: Any, *, value: float, scale: float) -> np.ndarray:
    """Return, for each double in ``outputs``, whether the naive sampler can return it.

    The naive output is a non-decreasing function of the integer ``k`` behind the
    uniform draw ``U = k / 2**53``, so a binary search over ``k`` finds the
    smallest ``k`` whose output is at least the target; the target is attainable
    if and only if that output equals it. 53 vectorised steps decide every
    output exactly.

    Parameters
    ----------
    outputs : array-like of float
        Doubles to test.
    value : float
        The input (exact query answer) to test them against.
    scale : float
        Scale of the Laplace noise, in (0, inf).

    Returns
    -------
    numpy.ndarray of bool
        True where ``value + rng.laplace(0, scale)`` can equal the output.

    Raises
    ------
    TypeError, ValueError
        If ``outputs`` is not finite or a parameter is outside its range.
    """
    target = as_float_array(outputs, name="outputs")
    value = check_real("value", value)
    scale = check_sensitivity(scale, name="scale")
    flat = target.ravel()
    low = np.ones(flat.shape, dtype=np.int64)
    high = np.full(flat.shape, _K_MAX, dtype=np.int64)
    while (active := low < high).any():
        middle = low + (high - low) // 2
        reached = _naive_output(middle * _UNIT, value, scale) >= flat
        high = np.where(active & reached, middle, high)
        low = np.where(active & ~reached, middle + 1, low)
    found = _naive_output(low * _UNIT, value, scale) == flat
    return found.reshape(target.shape)


@dataclass(frozen=True)
class FloatingPointAttack:
    """How often the naive Laplace mechanism's output gives its input away.

    Attributes
    ----------
    value, neighbour : float
        The two neighbouring inputs (e.g. a count without and with one patient).
    epsilon : float
        The epsilon the mechanism claims.
    n_samples : int
        Outputs drawn from each input.
    revealing_fraction : float
        Share of outputs that the other input cannot produce: each reveals the
        input with certainty. Any epsilon-DP mechanism has 0 here.
    attack_accuracy : float
        Accuracy of an attacker who names the only possible input when there is
        one, and otherwise the input nearer the output (0.5 = guessing).
    dp_bound : float
        Highest accuracy any attacker can reach against a true epsilon-DP
        mechanism with a 50/50 prior, ``e^eps / (1 + e^eps)``.
    self_check : float
        Share of outputs found attainable from their own input; 1.0 confirms that
        the reproduction of numpy's arithmetic is exact on this machine.
    """

    value: float
    neighbour: float
    epsilon: float
    n_samples: int
    revealing_fraction: float
    attack_accuracy: float
    dp_bound: float
    self_check: float


def floating_point_attack(
    *,
    value: float,
    neighbour: float,
    epsilon: float,
    n_samples: int,
    rng: np.random.Generator,
) -> FloatingPointAttack:
    """Run Mironov's attack on :func:`~ehrpriv.dp.mechanisms.laplace_mechanism`.

    Draws ``n_samples`` outputs of the teaching Laplace mechanism from each of two
    neighbouring inputs, with sensitivity ``|neighbour - value|``, and decides
    exactly for each output whether the *other* input could have produced it.

    Parameters
    ----------
    value, neighbour : float
        Two different inputs, e.g. a count of 0 and 1.
    epsilon : float
        Privacy parameter of the mechanism, in (0, inf).
    n_samples : int
        Outputs drawn from each input, >= 1.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    FloatingPointAttack
        The share of revealing outputs, the attacker's accuracy and the DP bound.

    Raises
    ------
    TypeError, ValueError
        If a parameter is outside its range or the inputs are equal.
    """
    value = check_real("value", value)
    neighbour = check_real("neighbour", neighbour)
    if value == neighbour or not (math.isfinite(value) and math.isfinite(neighbour)):
        raise ValueError(
            f"neighbour must be finite and differ from value ({value:g}); "
            f"got {neighbour!r}."
        )
    epsilon = check_epsilon(epsilon)
    n_samples = check_int("n_samples", n_samples, low=1)
    rng = check_rng(rng)
    sensitivity = abs(neighbour - value)
    scale = sensitivity / epsilon
    own, other, correct = [], [], []
    for truth, alternative in ((value, neighbour), (neighbour, value)):
        outputs = laplace_mechanism(
            np.full(n_samples, truth),
            sensitivity=sensitivity,
            epsilon=epsilon,
            rng=rng,
        )
        from_own = is_attainable(outputs, value=truth, scale=scale)
        from_other = is_attainable(outputs, value=alternative, scale=scale)
        nearer = np.abs(outputs - truth) < np.abs(outputs - alternative)
        tie = np.abs(outputs - truth) == np.abs(outputs - alternative)
        score = np.where(from_other, nearer + 0.5 * tie, 1.0)
        own.append(from_own)
        other.append(from_other)
        correct.append(score)
    return FloatingPointAttack(
        value=value,
        neighbour=neighbour,
        epsilon=epsilon,
        n_samples=n_samples,
        revealing_fraction=float(1.0 - np.concatenate(other).mean()),
        attack_accuracy=float(np.concatenate(correct).mean()),
        dp_bound=float(1.0 / (1.0 + math.exp(-epsilon))),
        self_check=float(np.concatenate(own).mean()),
    )


def neighbouring_doubles(center: float, *, count: int) -> np.ndarray:
    """Return ``count`` consecutive doubles starting at ``center``, in increasing order.

    Parameters
    ----------
    center : float
        The first double (finite).
    count : int
        How many doubles, >= 1.

    Returns
    -------
    numpy.ndarray of float
        ``center`` and the next ``count - 1`` representable doubles above it.

    Raises
    ------
    TypeError, ValueError
        If ``center`` is not finite or ``count < 1``.
    """
    start = check_real("center", center)
    if not math.isfinite(start):
        raise ValueError(f"center must be finite; got {center!r}.")
    out = [start]
    for _ in range(check_int("count", count, low=1) - 1):
        out.append(math.nextafter(out[-1], math.inf))
    return np.array(out)


def attainability_table(
    outputs: Any, *, inputs: dict[str, float], scale: float
) -> pd.DataFrame:
    """Return, for each double in ``outputs``, which inputs can produce it.

    Parameters
    ----------
    outputs : array-like of float
        Doubles to test, e.g. from :func:`neighbouring_doubles`.
    inputs : dict of str to float
        Column label -> input value, e.g. ``{"from 45": 45, "from 46": 46}``.
    scale : float
        Scale of the Laplace noise, in (0, inf).

    Returns
    -------
    pandas.DataFrame
        Column ``output`` (the double written with all 17 significant digits)
        and one bool column per input.
    """
    values = as_float_array(outputs, name="outputs").ravel()
    table = pd.DataFrame({"output": [f"{x:.17g}" for x in values]})
    for label, value in inputs.items():
        table[label] = is_attainable(values, value=value, scale=scale)
    return table
