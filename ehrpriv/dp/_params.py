"""Checks of the privacy parameters shared by the :mod:`ehrpriv.dp` modules.

Introduced in lesson 03 (``notebooks/03_differential_privacy.ipynb``). Every
message names the parameter, the valid range and the value received, through
:func:`ehrpriv._validation.check_real`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ehrpriv._validation import _describe, check_real, warn_if_weak


def check_epsilon(value: Any, *, name: str = "epsilon") -> float:
    """Return ``value`` as a float after checking ``0 < epsilon < inf``."""
    epsilon = check_real(name, value, low=0, low_inclusive=False)
    if np.isinf(epsilon):
        raise ValueError(f"{name} must be in (0, inf); got {_describe(value)}.")
    warn_if_weak(epsilon=epsilon, stacklevel=4)
    return epsilon


def check_delta(value: Any, *, name: str = "delta", positive: bool = False) -> float:
    """Return ``value`` as a float after checking ``0 <= delta < 1``.

    With ``positive=True`` the range is ``0 < delta < 1``, as the Gaussian
    mechanism requires.
    """
    return check_real(
        name, value, low=0, high=1, low_inclusive=not positive, high_inclusive=False
    )


def check_sensitivity(value: Any, *, name: str = "sensitivity") -> float:
    """Return ``value`` as a float after checking ``0 < sensitivity < inf``."""
    sensitivity = check_real(name, value, low=0, low_inclusive=False)
    if np.isinf(sensitivity):
        raise ValueError(f"{name} must be in (0, inf); got {_describe(value)}.")
    return sensitivity


def check_rng(value: Any, *, name: str = "rng") -> np.random.Generator:
    """Return ``value`` after checking it is a :class:`numpy.random.Generator`."""
    if not isinstance(value, np.random.Generator):
        raise TypeError(
            f"{name} must be a numpy.random.Generator, e.g. "
            f"np.random.default_rng(SEED); got {type(value).__name__}."
        )
    return value


def check_bounds(lower: Any, upper: Any) -> tuple[float, float]:
    """Return finite clipping bounds after checking ``lower < upper``."""
    low = check_real("lower", lower)
    high = check_real("upper", upper)
    for name, number, raw in (("lower", low, lower), ("upper", high, upper)):
        if np.isinf(number):
            raise ValueError(
                f"{name} must be a finite number in (-inf, inf); got {_describe(raw)}."
            )
    if not low < high:
        raise ValueError(
            f"upper must be greater than lower ({low:g}); got {_describe(upper)}."
        )
    return low, high


def as_float_array(value: Any, *, name: str) -> np.ndarray:
    """Return ``value`` as a float array, refusing NaN and infinity."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{name} must be a real number or an array of real numbers; got "
            f"{type(value).__name__} ({error})."
        ) from error
    finite = np.isfinite(array)
    if not finite.all():
        bad = float(array[~finite].ravel()[0])
        raise ValueError(f"{name} must hold finite numbers; got {bad!r}.")
    return array


def as_flags(value: Any, *, name: str) -> np.ndarray:
    """Return ``value`` as a 1-D bool array, accepting booleans or 0/1 numbers."""
    array = np.asarray(value)
    if array.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D (one entry per patient); got shape {array.shape}."
        )
    if array.dtype == bool:
        return array
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must hold booleans or 0/1 numbers; got dtype {array.dtype}."
        )
    valid = (array == 0) | (array == 1)
    if not valid.all():
        index = int(np.flatnonzero(~valid)[0])
        raise ValueError(
            f"{name} must hold booleans or 0/1 numbers; got {array[index].item()!r} "
            f"at index {index}."
        )
    return array.astype(bool)
