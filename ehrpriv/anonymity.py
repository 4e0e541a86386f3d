"""Equivalence classes, k-anonymity, l-diversity, and how to reach them.

Introduced in lesson 02 (``notebooks/02_threat_models.ipynb``). Rows that share
the same values of the quasi-identifiers form an *equivalence class*; a table is
*k-anonymous* when every class holds at least k rows (Sweeney 2002) and *distinct
l-diverse* when every class also holds at least l different values of the
sensitive attribute (Machanavajjhala et al. 2007).

:func:`make_k_anonymous` reaches k-anonymity (and, optionally, l-diversity) by
*full-domain generalisation* with *suppression*, in the spirit of Samarati
(2001): every quasi-identifier has a generalisation :class:`Hierarchy` (birth date
to month, year, 5- and 10-year bands; ZIP code to fewer digits; sex to ``*``),
one level is chosen per column for the whole table, and the rows of the classes
that remain too small are removed, up to a budget. The search visits every
combination of levels, lowest total height first, and keeps, among the feasible
combinations of the lowest height, the one with the smallest discernibility. The
lattice is small for three or four columns; it grows as the product of the
heights, so the search is a teaching tool, not a tool for wide tables.

k-anonymity protects only against linkage on the columns declared as
quasi-identifiers, and says nothing about what a class reveals about its
members' sensitive values (the homogeneity attack of :mod:`ehrpriv.attacks`).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ehrpriv._validation import check_columns, check_int, check_real

logger = logging.getLogger(__name__)

__all__ = [
    "Hierarchy",
    "band_hierarchy",
    "date_hierarchy",
    "prefix_hierarchy",
    "suppression_hierarchy",
    "DEFAULT_HIERARCHIES",
    "equivalence_classes",
    "class_sizes",
    "k_anonymity",
    "uniqueness",
    "l_diversity",
    "discernibility",
    "average_class_size",
    "generalise",
    "Anonymisation",
    "make_k_anonymous",
]

SUPPRESSED = "*"


# ---------------------------------------------------------------------------
# Generalisation hierarchies
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Hierarchy:
    """A generalisation hierarchy for one quasi-identifier.

    Level 0 is the value as released; each higher level is coarser; the top level
    replaces every value by ``"*"``.

    Attributes
    ----------
    name : str
        What the values are, e.g. ``"birth date"``.
    steps : tuple of callables
        ``steps[h - 1]`` maps the raw values (a Series) to level ``h``.
    labels : tuple of str
        A description of each level, from 0 to the top.
    """

    name: str
    steps: tuple[Callable[[pd.Series], pd.Series], ...]
    labels: tuple[str, ...]

    def __post_init__(self) -> None:
        """Check there is one label per level."""
        if len(self.labels) != len(self.steps) + 1:
            raise ValueError(
                f"labels must describe the {len(self.steps) + 1} levels 0 to "
                f"{len(self.steps)}; got {len(self.labels)} label(s)."
            )

    @property
    def height(self) -> int:
        """The top level (number of generalisation steps)."""
        return len(self.steps)

    def apply(self, values: pd.Series, level: int) -> pd.Series:
        """Return ``values`` generalised to ``level`` (0 returns them unchanged).

        Raises
        ------
        ValueError
            If ``level`` is outside [0, height].
        """
        level = check_int("level", level, low=0, high=self.height)
        if level == 0:
            return values
        out = self.steps[level - 1](values)
        return pd.Series(out, index=values.index, name=values.name, dtype=object)


def _numbers(values: pd.Series) -> pd.Series:
    """Read numbers, or the leading number of labels such as ``"90+"``."""
    numeric = pd.to_numeric(values, errors="coerce")
    text = values.astype(object).where(values.notna(), "").astype(str)
    leading = pd.to_numeric(text.str.extract(r"^(\d+)", expand=False), errors="coerce")
    return numeric.fillna(leading)


def band_hierarchy(
    widths: Sequence[int] = (5, 10, 20), *, top: int | None = None, name: str = "age"
) -> Hierarchy:
    """Return a hierarchy that groups numbers into bands of growing width.

    Parameters
    ----------
    widths : sequence of int, default (5, 10, 20)
        Band widths of levels 1, 2, ...; the level after the last is ``"*"``.
    top : int, optional
        Top-coding: a band that reaches ``top`` is labelled ``"lo+"`` (``"90+"``
        for ages, so that Safe Harbor's ``"90+"`` stays one value).
    name : str, default "age"
        What the numbers are.

    Returns
    -------
    Hierarchy
        Labels such as ``"65-69"``; missing values stay missing.

    Raises
    ------
    ValueError
        If a width is not a positive integer.
    """
    sizes = tuple(check_int(f"widths[{i}]", w, low=1) for i, w in enumerate(widths))

    def banded(width: int) -> Callable[[pd.Series], pd.Series]:
        """Return the step that labels each value with its band of ``width``."""

        def step(values: pd.Series) -> pd.Series:
            """Label each value with its band."""
            number = _numbers(values)
            low = (np.floor(number / width) * width).astype("Int64")
            high = low + width - 1
            label = low.astype(str) + "-" + high.astype(str)
            if top is not None:
                label = label.where(high < top, low.astype(str) + "+")
            return label.astype(object).where(number.notna(), None)

        return step

    steps = tuple(banded(w) for w in sizes) + (_suppress,)
    labels = ("exact", *(f"{w}-year band" for w in sizes), "suppressed")
    return Hierarchy(name, steps, labels)


def _suppress(values: pd.Series) -> pd.Series:
    """Replace every value by ``"*"``."""
    return pd.Series(SUPPRESSED, index=values.index, dtype=object)


def _as_dates(values: pd.Series) -> pd.Series:
    """Return ``values`` as datetimes (parsing ISO text)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    return pd.to_datetime(values, format="ISO8601", errors="coerce")


def date_hierarchy(*, name: str = "birth date") -> Hierarchy:
    """Return the hierarchy date, month, year, 5-year band, 10-year band, ``*``.

    Parameters
    ----------
    name : str, default "birth date"
        What the dates are.

    Returns
    -------
    Hierarchy
        Labels such as ``"1950-03"``, ``"1950"``, ``"1950-1954"``.
    """

    def month(values: pd.Series) -> pd.Series:
        """Year and month."""
        return _as_dates(values).dt.strftime("%Y-%m").astype(object)

    def year(values: pd.Series) -> pd.Series:
        """Year."""
        return _as_dates(values).dt.year.astype("Int64").astype(str).astype(object)

    def years(width: int) -> Callable[[pd.Series], pd.Series]:
        """Return the step that labels each date with its band of years."""

        def step(values: pd.Series) -> pd.Series:
            """Band of ``width`` years."""
            low = (_as_dates(values).dt.year // width * width).astype("Int64")
            return (low.astype(str) + "-" + (low + width - 1).astype(str)).astype(
                object
            )

        return step

    steps = (month, year, years(5), years(10), _suppress)
    labels = ("date", "month", "year", "5-year band", "10-year band", "suppressed")
    return Hierarchy(name, steps, labels)


def prefix_hierarchy(length: int, *, name: str = "ZIP code") -> Hierarchy:
    """Return a hierarchy that masks trailing characters: ``02118``, ``0211*``, ...

    Parameters
    ----------
    length : int
        Number of characters of the codes (5 for ZIP codes, 3 for ZIP3).
    name : str, default "ZIP code"
        What the codes are.

    Returns
    -------
    Hierarchy
        Of height ``length``: level h masks the last h characters, and the top
        level is ``"*"``.

    Raises
    ------
    ValueError
        If ``length`` is not a positive integer.
    """
    length = check_int("length", length, low=1)

    def masked(hidden: int) -> Callable[[pd.Series], pd.Series]:
        """Return the step that masks the last ``hidden`` characters."""

        def step(values: pd.Series) -> pd.Series:
            """Mask the last characters."""
            text = values.astype(object).where(values.notna(), "").astype(str)
            out = text.str[: length - hidden] + "*" * hidden
            return out.astype(object).where(values.notna(), None)

        return step

    steps = tuple(masked(h) for h in range(1, length)) + (_suppress,)
    labels = (
        f"{length} digits",
        *(
            f"{length - h} digit{'s' if length - h > 1 else ''}"
            for h in range(1, length)
        ),
        "suppressed",
    )
    return Hierarchy(name, steps, labels)


def suppression_hierarchy(*, name: str = "value") -> Hierarchy:
    """Return the two-level hierarchy: the value, or ``"*"``."""
    return Hierarchy(name, (_suppress,), ("exact", "suppressed"))


#: Hierarchies of the quasi-identifiers of the kit's tables, by column name.
DEFAULT_HIERARCHIES: dict[str, Hierarchy] = {
    "age": band_hierarchy((5, 10, 20), top=90, name="age"),
    "BIRTHDATE": date_hierarchy(name="birth date"),
    "BIRTH_YEAR": band_hierarchy((5, 10, 20), name="birth year"),
    "ZIP": prefix_hierarchy(5, name="ZIP code"),
    "ZIP3": prefix_hierarchy(3, name="three-digit ZIP"),
    "GENDER": suppression_hierarchy(name="sex"),
    "sex": suppression_hierarchy(name="sex"),
    "RACE": suppression_hierarchy(name="race"),
    "ETHNICITY": suppression_hierarchy(name="ethnicity"),
}


# ---------------------------------------------------------------------------
# Equivalence classes and their measures
# ---------------------------------------------------------------------------


def _check_quasi(frame: Any, quasi_identifiers: Any) -> list[str]:
    """Check ``quasi_identifiers`` names a non-empty list of columns of ``frame``."""
    if isinstance(quasi_identifiers, str) or not isinstance(
        quasi_identifiers, Sequence
    ):
        raise TypeError(
            "quasi_identifiers must be a non-empty list of column names such as "
            f"['ZIP', 'BIRTHDATE', 'GENDER']; got {quasi_identifiers!r}."
        )
    columns = list(quasi_identifiers)
    if not columns:
        raise ValueError(
            "quasi_identifiers must name at least one column; got an empty list."
        )
    check_columns(frame, columns, name="frame")
    return columns


def _require_rows(frame: pd.DataFrame) -> None:
    """Raise ValueError if ``frame`` has no rows."""
    if len(frame) == 0:
        raise ValueError("frame must hold at least one row; got 0.")


def _combine(codes: Sequence[np.ndarray], n: int) -> np.ndarray:
    """Return one class index per row from per-column integer codes."""
    key = np.zeros(n, dtype=np.int64)
    for code in codes:
        key = key * (int(code.max(initial=0)) + 1) + code
        key = np.unique(key, return_inverse=True)[1].astype(np.int64).ravel()
    return key


def _codes(values: pd.Series) -> np.ndarray:
    """Return integer codes of ``values``; missing values get a code of their own."""
    return pd.factorize(values, use_na_sentinel=False)[0].astype(np.int64)


def _class_index(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Return the equivalence class index of each row."""
    return _combine([_codes(frame[c]) for c in columns], len(frame))


def class_sizes(frame: pd.DataFrame, quasi_identifiers: Sequence[str]) -> pd.Series:
    """Return the size of each row's equivalence class, aligned with ``frame``.

    Parameters
    ----------
    frame : DataFrame
        The released table.
    quasi_identifiers : list of str
        Columns an attacker could know about a person. Missing values count as a
        value of their own.

    Returns
    -------
    Series of int
        Same index as ``frame``.

    Raises
    ------
    TypeError
        If ``frame`` is not a DataFrame or ``quasi_identifiers`` is not a list.
    MissingColumnError
        If a quasi-identifier is not a column of ``frame``.
    ValueError
        If ``quasi_identifiers`` is empty.
    """
    columns = _check_quasi(frame, quasi_identifiers)
    key = _class_index(frame, columns)
    sizes = np.bincount(key)[key] if len(frame) else np.zeros(0, dtype=np.int64)
    return pd.Series(sizes, index=frame.index, name="class_size")


def equivalence_classes(
    frame: pd.DataFrame, quasi_identifiers: Sequence[str]
) -> pd.DataFrame:
    """Return one row per equivalence class with its size, smallest first.

    Parameters
    ----------
    frame : DataFrame
        The released table.
    quasi_identifiers : list of str
        Columns defining the classes.

    Returns
    -------
    DataFrame
        The quasi-identifier values of each class and its ``size``.

    Raises
    ------
    TypeError, MissingColumnError, ValueError
        As :func:`class_sizes`.
    """
    columns = _check_quasi(frame, quasi_identifiers)
    table = frame.groupby(columns, dropna=False, sort=True).size()
    table = table.rename("size").reset_index()
    return table.sort_values("size", kind="stable").reset_index(drop=True)


def k_anonymity(frame: pd.DataFrame, quasi_identifiers: Sequence[str]) -> int:
    """Return k: the size of the smallest equivalence class of ``frame``.

    Parameters
    ----------
    frame : DataFrame
        The released table.
    quasi_identifiers : list of str
        Columns defining the classes.

    Returns
    -------
    int
        The largest k for which ``frame`` is k-anonymous.

    Raises
    ------
    TypeError, MissingColumnError
        As :func:`class_sizes`.
    ValueError
        If ``quasi_identifiers`` is empty or ``frame`` has no rows.
    """
    sizes = class_sizes(frame, quasi_identifiers)
    _require_rows(frame)
    return int(sizes.min())


def uniqueness(frame: pd.DataFrame, quasi_identifiers: Sequence[str]) -> float:
    """Return the share of rows that are alone in their equivalence class.

    Parameters
    ----------
    frame : DataFrame
        The released table.
    quasi_identifiers : list of str
        Columns defining the classes.

    Returns
    -------
    float
        In [0, 1]; Sweeney (2000) found 87 % of the US population unique on
        five-digit ZIP, birth date and sex.

    Raises
    ------
    TypeError, MissingColumnError
        As :func:`class_sizes`.
    ValueError
        If ``quasi_identifiers`` is empty or ``frame`` has no rows.
    """
    sizes = class_sizes(frame, quasi_identifiers)
    _require_rows(frame)
    return float((sizes == 1).mean())


def l_diversity(
    frame: pd.DataFrame, quasi_identifiers: Sequence[str], sensitive: str
) -> int:
    """Return l: the fewest distinct sensitive values found in any class.

    This is *distinct* l-diversity: a table is l-diverse when every equivalence
    class holds at least l different values of ``sensitive`` (a missing value
    counts as a value).

    Parameters
    ----------
    frame : DataFrame
        The released table.
    quasi_identifiers : list of str
        Columns defining the classes.
    sensitive : str
        The sensitive column (a diagnosis, an outcome).

    Returns
    -------
    int
        The largest l for which ``frame`` is distinct l-diverse.

    Raises
    ------
    TypeError, MissingColumnError
        As :func:`class_sizes`, or if ``sensitive`` is absent.
    ValueError
        If ``quasi_identifiers`` is empty, holds ``sensitive``, or ``frame``
        has no rows.
    """
    columns = _check_quasi(frame, quasi_identifiers)
    check_columns(frame, [sensitive], name="frame")
    if sensitive in columns:
        raise ValueError(
            f"sensitive must not be one of the quasi_identifiers; got {sensitive!r}."
        )
    _require_rows(frame)
    key = _class_index(frame, columns)
    return int(_distinct_per_class(key, _codes(frame[sensitive])).min())


def _distinct_per_class(key: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Return the number of distinct ``values`` in each class of ``key``."""
    pairs = np.unique(key * (int(values.max(initial=0)) + 1) + values)
    owners = pairs // (int(values.max(initial=0)) + 1)
    return np.bincount(owners, minlength=int(key.max(initial=-1)) + 1)


def discernibility(
    frame: pd.DataFrame,
    quasi_identifiers: Sequence[str],
    *,
    n_suppressed: int = 0,
    n_total: int | None = None,
) -> int:
    """Return the discernibility metric of a released table (Bayardo & Agrawal).

    Each released row costs the size of its class, so the metric is the sum of
    squared class sizes; each suppressed row costs the size of the whole input
    table. Lower is better: 1 per row for a table of unique rows.

    Parameters
    ----------
    frame : DataFrame
        The released (generalised) rows.
    quasi_identifiers : list of str
        Columns defining the classes.
    n_suppressed : int, default 0
        Rows removed by suppression.
    n_total : int, optional
        Rows before suppression; defaults to ``len(frame) + n_suppressed``.

    Returns
    -------
    int
        The metric.

    Raises
    ------
    TypeError, MissingColumnError, ValueError
        As :func:`class_sizes`, or if a count is negative.
    """
    sizes = class_sizes(frame, quasi_identifiers)
    n_suppressed = check_int("n_suppressed", n_suppressed, low=0)
    total = len(frame) + n_suppressed if n_total is None else n_total
    total = check_int("n_total", total, low=len(frame) + n_suppressed)
    return int(sizes.sum()) + n_suppressed * total


def average_class_size(
    frame: pd.DataFrame, quasi_identifiers: Sequence[str], *, k: int = 1
) -> float:
    """Return the normalised average class size, C_avg (LeFevre et al. 2006).

    ``(rows / classes) / k``: 1.0 is the best a k-anonymous table can do;
    larger values mean coarser classes than k requires.

    Parameters
    ----------
    frame : DataFrame
        The released table.
    quasi_identifiers : list of str
        Columns defining the classes.
    k : int, default 1
        The k the table was made anonymous for.

    Returns
    -------
    float
        The metric.

    Raises
    ------
    TypeError, MissingColumnError, ValueError
        As :func:`class_sizes`, or if ``k < 1`` or ``frame`` has no rows.
    """
    columns = _check_quasi(frame, quasi_identifiers)
    k = check_int("k", k, low=1)
    _require_rows(frame)
    n_classes = int(_class_index(frame, columns).max()) + 1
    return len(frame) / n_classes / k


# ---------------------------------------------------------------------------
# Generalisation and suppression
# ---------------------------------------------------------------------------


def _hierarchy_for(
    column: str, hierarchies: Mapping[str, Hierarchy] | None
) -> Hierarchy:
    """Return the hierarchy of ``column`` from ``hierarchies`` or the defaults."""
    table = {**DEFAULT_HIERARCHIES, **(hierarchies or {})}
    if column not in table:
        raise ValueError(
            f"hierarchies must give a Hierarchy for column {column!r}; defaults "
            f"exist for {', '.join(DEFAULT_HIERARCHIES)}."
        )
    hierarchy = table[column]
    if not isinstance(hierarchy, Hierarchy):
        raise TypeError(
            f"hierarchies[{column!r}] must be a Hierarchy; got "
            f"{type(hierarchy).__name__}."
        )
    return hierarchy


def generalise(
    frame: pd.DataFrame,
    levels: Mapping[str, int],
    *,
    hierarchies: Mapping[str, Hierarchy] | None = None,
) -> pd.DataFrame:
    """Return a copy of ``frame`` with each column of ``levels`` generalised.

    An attacker who knows the levels of a release (they can be read off its
    values) applies the same call to a public table before linking.

    Parameters
    ----------
    frame : DataFrame
        The table to generalise.
    levels : mapping of str to int
        Column to level, from 0 (unchanged) to its hierarchy's height.
    hierarchies : mapping of str to Hierarchy, optional
        Hierarchies for columns without a default, or to replace one of
        :data:`DEFAULT_HIERARCHIES`.

    Returns
    -------
    DataFrame
        The generalised copy; other columns are unchanged.

    Raises
    ------
    TypeError
        If ``frame`` is not a DataFrame or ``levels`` is not a mapping.
    MissingColumnError
        If a column of ``levels`` is absent.
    ValueError
        If a column has no hierarchy or a level is out of range.
    """
    if not isinstance(levels, Mapping):
        raise TypeError(
            f"levels must be a mapping of column to level such as {{'ZIP': 2}}; "
            f"got {type(levels).__name__}."
        )
    check_columns(frame, list(levels), name="frame")
    out = frame.copy()
    for column, level in levels.items():
        hierarchy = _hierarchy_for(column, hierarchies)
        level = check_int(f"levels[{column!r}]", level, low=0, high=hierarchy.height)
        out[column] = hierarchy.apply(frame[column], level)
    return out


@dataclass(frozen=True)
class Anonymisation:
    """The result of :func:`make_k_anonymous`: the release and what it cost.

    Attributes
    ----------
    frame : DataFrame
        The released rows, generalised; suppressed rows are absent, the others
        keep their index.
    quasi_identifiers : tuple of str
        The columns made k-anonymous.
    levels : dict of str to int
        The generalisation level chosen for each quasi-identifier.
    heights : dict of str to int
        The top level of each quasi-identifier's hierarchy.
    k, l : int
        The requested k and (distinct) l.
    n_input, n_suppressed : int
        Rows before, and rows removed by suppression.
    nodes_evaluated : int
        Combinations of levels the search visited.
    level_labels : dict of str to str
        The chosen level of each column in words, e.g. ``"year"``.
    """

    frame: pd.DataFrame
    quasi_identifiers: tuple[str, ...]
    levels: dict[str, int]
    heights: dict[str, int]
    k: int
    l: int  # noqa: E741 - the l of l-diversity
    n_input: int
    n_suppressed: int
    nodes_evaluated: int
    level_labels: dict[str, str] = field(default_factory=dict)

    @property
    def suppressed_share(self) -> float:
        """Share of the input rows removed by suppression."""
        return self.n_suppressed / self.n_input if self.n_input else 0.0

    @property
    def generalisation_height(self) -> int:
        """Sum of the chosen levels (the node's height in the lattice)."""
        return int(sum(self.levels.values()))

    @property
    def precision(self) -> float:
        """Sweeney's precision: 1 minus the mean of level / height over columns."""
        ratios = [self.levels[c] / self.heights[c] for c in self.quasi_identifiers]
        return 1.0 - float(np.mean(ratios))

    def information_loss(self) -> dict[str, float]:
        """Return the information-loss measures of the release.

        Keys: ``rows released``, ``rows suppressed``, ``share suppressed``,
        ``generalisation height``, ``precision``, ``equivalence classes``,
        ``average class size (C_avg)`` and ``discernibility``.
        """
        released = len(self.frame)
        columns = list(self.quasi_identifiers)
        classes = int(_class_index(self.frame, columns).max()) + 1 if released else 0
        return {
            "rows released": released,
            "rows suppressed": self.n_suppressed,
            "share suppressed": self.suppressed_share,
            "generalisation height": self.generalisation_height,
            "precision": self.precision,
            "equivalence classes": classes,
            "average class size (C_avg)": (
                released / classes / self.k if classes else float("nan")
            ),
            "discernibility": discernibility(
                self.frame, columns, n_suppressed=self.n_suppressed
            ),
        }


def make_k_anonymous(
    frame: pd.DataFrame,
    quasi_identifiers: Sequence[str],
    k: int,
    *,
    sensitive: str | None = None,
    l: int = 1,  # noqa: E741 - the l of l-diversity
    max_suppression: float = 0.05,
    hierarchies: Mapping[str, Hierarchy] | None = None,
) -> Anonymisation:
    """Make ``frame`` k-anonymous (and l-diverse) by generalisation and suppression.

    Full-domain generalisation: one level is chosen per quasi-identifier for the
    whole table. The search visits every combination of levels in order of total
    height (sum of levels). At each, the rows of classes smaller than ``k`` (or
    with fewer than ``l`` distinct sensitive values) would be suppressed; the
    combination is feasible when that is at most ``max_suppression`` of the rows.
    Among the feasible combinations of the lowest height, the one with the
    smallest discernibility (then the fewest suppressed rows) is returned.

    Parameters
    ----------
    frame : DataFrame
        The table to release.
    quasi_identifiers : list of str
        Columns to make k-anonymous; each needs a hierarchy.
    k : int
        Minimum class size, >= 1.
    sensitive : str, optional
        Sensitive column for l-diversity; required when ``l > 1``.
    l : int, default 1
        Minimum number of distinct sensitive values per class, >= 1.
    max_suppression : float, default 0.05
        Largest share of rows that may be suppressed, in [0, 1].
    hierarchies : mapping of str to Hierarchy, optional
        Hierarchies for columns without a default, or replacing one.

    Returns
    -------
    Anonymisation
        The release, the chosen levels and the information lost.

    Raises
    ------
    TypeError, MissingColumnError
        If an input has the wrong type or a column is absent.
    ValueError
        If a number is out of range, ``l > 1`` without ``sensitive``, a column
        has no hierarchy, or no combination of levels is feasible (for example
        ``k`` larger than the table).
    """
    columns = _check_quasi(frame, quasi_identifiers)
    _require_rows(frame)
    k = check_int("k", k, low=1)
    l = check_int("l", l, low=1)  # noqa: E741
    max_suppression = check_real("max_suppression", max_suppression, low=0, high=1)
    if l > 1 and sensitive is None:
        raise ValueError(f"sensitive must name a column when l > 1; got l={l}.")
    sensitive_codes = None
    if sensitive is not None:
        check_columns(frame, [sensitive], name="frame")
        if sensitive in columns:
            raise ValueError(
                "sensitive must not be one of the quasi_identifiers; got "
                f"{sensitive!r}."
            )
        sensitive_codes = _codes(frame[sensitive])
    chosen = {c: _hierarchy_for(c, hierarchies) for c in columns}
    # every column at every level, as integer codes, computed once
    coded = {
        c: [_codes(h.apply(frame[c], level)) for level in range(h.height + 1)]
        for c, h in chosen.items()
    }
    n = len(frame)
    allowed = int(np.floor(max_suppression * n + 1e-9))
    nodes = sorted(
        itertools.product(*(range(h.height + 1) for h in chosen.values())),
        key=lambda node: (sum(node), node),
    )
    best: tuple[int, int, tuple[int, ...]] | None = None
    best_drop: np.ndarray | None = None
    evaluated = 0
    for node in nodes:
        if best is not None and sum(node) > sum(best[2]):
            break
        evaluated += 1
        key = _combine([coded[c][h] for c, h in zip(columns, node, strict=True)], n)
        sizes = np.bincount(key)
        bad_class = sizes < k
        if l > 1 and sensitive_codes is not None:
            bad_class |= _distinct_per_class(key, sensitive_codes) < l
        drop = bad_class[key]
        n_drop = int(drop.sum())
        if n_drop > allowed:
            continue
        kept = sizes[~bad_class]
        score = (int(np.sum(kept.astype(np.int64) ** 2)) + n_drop * n, n_drop, node)
        if best is None or score < best:
            best, best_drop = score, drop
    if best is None or best_drop is None:
        raise ValueError(
            f"no generalisation makes frame {k}-anonymous"
            + (f" and {l}-diverse" if l > 1 else "")
            + f" with at most max_suppression={max_suppression:g} of its {n} rows "
            "suppressed; lower k or l, or allow more suppression."
        )
    levels = dict(zip(columns, best[2], strict=True))
    released = generalise(frame, levels, hierarchies=hierarchies)[~best_drop]
    logger.info(
        "k=%d, l=%d: levels %s, %d row(s) suppressed, %d node(s) evaluated",
        k,
        l,
        levels,
        best[1],
        evaluated,
    )
    return Anonymisation(
        frame=released,
        quasi_identifiers=tuple(columns),
        levels=levels,
        heights={c: h.height for c, h in chosen.items()},
        k=k,
        l=l,
        n_input=n,
        n_suppressed=best[1],
        nodes_evaluated=evaluated,
        level_labels={c: chosen[c].labels[levels[c]] for c in columns},
    )
