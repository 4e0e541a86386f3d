"""Argument checks shared by every public helper.

Every message follows one template: the parameter, the valid range, the value
received, so that a learner can fix the call without reading the source.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from numbers import Integral, Real
from typing import Any

import pandas as pd


class MissingColumnError(KeyError):
    """A table lacks a column a helper needs; the message names it."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _describe(value: Any) -> str:
    """Return a short representation of ``value`` for an error message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_real(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Return ``value`` as a float after checking it lies in the given interval.

    Parameters
    ----------
    name : str
        Parameter name used in the error message.
    value : Any
        Value received from the caller.
    low, high : float or None
        Bounds of the valid interval; ``None`` means unbounded.
    low_inclusive, high_inclusive : bool
        Whether each bound belongs to the interval.

    Returns
    -------
    float
        The validated value.

    Raises
    ------
    TypeError
        If ``value`` is not a real number (booleans are refused).
    ValueError
        If ``value`` is NaN or outside the interval.
    """
    left = "(-inf" if low is None else ("[" if low_inclusive else "(") + f"{low:g}"
    right = "inf)" if high is None else f"{high:g}" + ("]" if high_inclusive else ")")
    interval = f"{left}, {right}"
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(
            f"{name} must be a real number in {interval}; got {_describe(value)}."
        )
    number = float(value)
    ok = not math.isnan(number)
    if ok and low is not None:
        ok = number >= low if low_inclusive else number > low
    if ok and high is not None:
        ok = number <= high if high_inclusive else number < high
    if not ok:
        raise ValueError(f"{name} must be in {interval}; got {_describe(value)}.")
    return number


def check_int(
    name: str, value: Any, *, low: int | None = None, high: int | None = None
) -> int:
    """Return ``value`` as an int after checking ``low <= value <= high``.

    Raises
    ------
    TypeError
        If ``value`` is not an integer (booleans are refused).
    ValueError
        If ``value`` is outside the bounds.
    """
    if low is not None and high is not None:
        rule = f"an integer in [{low}, {high}]"
    elif low is not None:
        rule = f"an integer >= {low}"
    elif high is not None:
        rule = f"an integer <= {high}"
    else:
        rule = "an integer"
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be {rule}; got {_describe(value)}.")
    number = int(value)
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValueError(f"{name} must be {rule}; got {_describe(value)}.")
    return number


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """Return ``value`` after checking it is one of ``choices``.

    Raises
    ------
    ValueError
        If ``value`` is not among ``choices``.
    """
    options = list(choices)
    if value not in options:
        listed = ", ".join(repr(option) for option in options)
        raise ValueError(f"{name} must be one of {listed}; got {_describe(value)}.")
    return value


def check_columns(
    frame: Any, columns: Iterable[str], *, name: str = "frame"
) -> pd.DataFrame:
    """Check that ``frame`` is a DataFrame holding every column in ``columns``.

    Raises
    ------
    TypeError
        If ``frame`` is not a pandas DataFrame.
    MissingColumnError
        If a column is missing; the message lists the missing and present columns.
        It subclasses KeyError.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            f"{name} must be a pandas DataFrame; got {type(frame).__name__}."
        )
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        present = ", ".join(map(str, frame.columns))
        raise MissingColumnError(
            f"{name} is missing column(s) {', '.join(missing)}; it has: {present}."
        )
    return frame


#: Above this epsilon a differential-privacy guarantee says little (lessons 03-04).
WEAK_EPSILON = 10.0


class WeakPrivacyWarning(UserWarning):
    """A privacy parameter is allowed but gives a guarantee too weak to rely on."""


def warn_if_weak(
    *,
    epsilon: float | None = None,
    delta: float | None = None,
    n_records: int | None = None,
    stacklevel: int = 3,
) -> None:
    """Warn when epsilon exceeds :data:`WEAK_EPSILON` or delta is not below 1/n.

    A delta of 1/n or more allows a mechanism that publishes one whole record
    outright, so delta must be well below one over the number of records.
    """
    if epsilon is not None and math.isfinite(epsilon) and epsilon > WEAK_EPSILON:
        warnings.warn(
            f"epsilon = {epsilon:g} is above {WEAK_EPSILON:g}: a guarantee this weak "
            "bounds almost nothing an attacker can learn; use epsilon <= 10, "
            "ideally near 1.",
            WeakPrivacyWarning,
            stacklevel=stacklevel,
        )
    if delta and n_records and delta >= 1 / n_records:
        warnings.warn(
            f"delta = {delta:g} is not below 1/n = {1 / n_records:.3g} for "
            f"{n_records} records: a mechanism that publishes a whole record would "
            "satisfy it; choose delta well below 1/n (lesson 04 uses < 1/(10 n)).",
            WeakPrivacyWarning,
            stacklevel=stacklevel,
        )
