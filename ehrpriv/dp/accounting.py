"""Privacy accounting: a budget that refuses queries, and zCDP for Gaussian queries.

Introduced in lesson 03 (``notebooks/03_differential_privacy.ipynb``).

- :class:`PrivacyBudget` adds up the (epsilon, delta) of every query by *basic
  sequential composition* (Dwork and Roth 2014, Theorem 3.16) and refuses, with
  :class:`BudgetExceededError`, a query that would take the total past the
  budget. It is both an odometer (what has been spent) and a filter (what may
  still be spent).
- :class:`ZCDPAccountant` accounts for Gaussian queries in zero-concentrated DP
  (Bun and Steinke 2016): each query costs ``rho = sensitivity^2 / (2 sigma^2)``,
  costs add up, and the total converts to (epsilon, delta) by
  :func:`zcdp_to_epsilon`, either with Bun and Steinke's simple bound or with the
  tighter conversion of Canonne, Kamath and Steinke (2020).
- :func:`gaussian_composition` compares the two for many Gaussian queries.

These are exact formulas, not sampling code; what they certify is only as good as
the mechanisms they are applied to (see :mod:`ehrpriv.dp.mechanisms`).
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from ehrpriv import _validation
from ehrpriv._validation import check_choice, check_int, check_real
from ehrpriv.dp._params import check_delta, check_epsilon, check_sensitivity
from ehrpriv.dp.mechanisms import gaussian_epsilon

logger = logging.getLogger(__name__)

__all__ = [
    "BudgetExceededError",
    "PrivacyBudget",
    "ZCDPAccountant",
    "gaussian_rho",
    "zcdp_to_epsilon",
    "gaussian_composition",
]

#: Slack allowed when comparing sums of floats with a budget, so that ten queries
#: of epsilon 0.1 fit a budget of 1 despite rounding (0.1 * 10 != 1.0 in doubles).
_TOLERANCE = 1e-12

ZCDP_CONVERSIONS = ("cks", "bun-steinke")

#: A budget above this epsilon is allowed but warned about (allowed because some
#: deployments use such values; warned because the guarantee is then weak).
WEAK_EPSILON = _validation.WEAK_EPSILON


class BudgetExceededError(RuntimeError):
    """A query would spend more privacy budget than remains; nothing was spent."""


@dataclass(frozen=True)
class _Charge:
    """One entry of a budget's ledger."""

    label: str
    epsilon: float
    delta: float


class PrivacyBudget:
    """A total (epsilon, delta) budget spent query by query; refuses overspending.

    Sequential composition: answering queries that are (eps_i, delta_i)-DP on the
    same patients is (sum eps_i, sum delta_i)-DP. Queries on *disjoint* groups of
    patients compose in parallel and cost the largest of their epsilons; a
    histogram over disjoint bins is therefore charged once (see
    :func:`ehrpriv.dp.mechanisms.dp_histogram`).

    Parameters
    ----------
    epsilon : float
        Total epsilon, in (0, inf).
    delta : float, default 0.0
        Total delta, in [0, 1).

    Warns
    -----
    UserWarning
        If ``epsilon`` exceeds 10, which bounds an attacker's accuracy only by
        ``1 / (1 + e^-10)``, about 0.99995.

    Examples
    --------
    >>> budget = PrivacyBudget(epsilon=1.0)
    >>> budget.spend(epsilon=0.4, label="HIV count")
    >>> round(budget.remaining_epsilon, 2)
    0.6
    """

    def __init__(self, *, epsilon: float, delta: float = 0.0) -> None:
        """Start an empty ledger with the given totals (checked)."""
        self.total_epsilon = check_epsilon(epsilon)
        self.total_delta = check_delta(delta)
        if self.total_epsilon > WEAK_EPSILON:
            warnings.warn(
                f"a total epsilon of {self.total_epsilon:g} (above {WEAK_EPSILON:g}) "
                "gives little protection: an attacker may tell two neighbouring "
                f"data sets apart with accuracy up to "
                f"{1 / (1 + math.exp(-self.total_epsilon)):.5f}.",
                stacklevel=2,
            )
        self._ledger: list[_Charge] = []

    @property
    def spent_epsilon(self) -> float:
        """Epsilon spent so far (the odometer)."""
        return math.fsum(charge.epsilon for charge in self._ledger)

    @property
    def spent_delta(self) -> float:
        """Delta spent so far."""
        return math.fsum(charge.delta for charge in self._ledger)

    @property
    def remaining_epsilon(self) -> float:
        """Epsilon that may still be spent."""
        return max(self.total_epsilon - self.spent_epsilon, 0.0)

    @property
    def remaining_delta(self) -> float:
        """Delta that may still be spent."""
        return max(self.total_delta - self.spent_delta, 0.0)

    def can_spend(self, *, epsilon: float, delta: float = 0.0) -> bool:
        """Return whether a query costing (epsilon, delta) fits in what remains."""
        epsilon = check_epsilon(epsilon)
        delta = check_delta(delta)
        fits_epsilon = self.spent_epsilon + epsilon <= self.total_epsilon + _TOLERANCE
        fits_delta = self.spent_delta + delta <= self.total_delta + _TOLERANCE
        return fits_epsilon and fits_delta

    def spend(
        self, *, epsilon: float, delta: float = 0.0, label: str = "query"
    ) -> None:
        """Record a query costing (epsilon, delta), or refuse it.

        Parameters
        ----------
        epsilon : float
            Epsilon of the query, in (0, inf).
        delta : float, default 0.0
            Delta of the query, in [0, 1).
        label : str, default "query"
            Name of the query in the ledger and in error messages.

        Raises
        ------
        TypeError, ValueError
            If ``epsilon`` or ``delta`` is outside its range.
        BudgetExceededError
            If the query does not fit; the message names what is spent, what the
            query requests and the total. Nothing is recorded.
        """
        epsilon = check_epsilon(epsilon)
        delta = check_delta(delta)
        if self.spent_epsilon + epsilon > self.total_epsilon + _TOLERANCE:
            raise BudgetExceededError(
                f"query {label!r} refused: it requests epsilon = {epsilon:g}, but "
                f"{self.spent_epsilon:g} of the total epsilon = "
                f"{self.total_epsilon:g} is already spent "
                f"({self.remaining_epsilon:g} remains)."
            )
        if self.spent_delta + delta > self.total_delta + _TOLERANCE:
            raise BudgetExceededError(
                f"query {label!r} refused: it requests delta = {delta:g}, but "
                f"{self.spent_delta:g} of the total delta = {self.total_delta:g} "
                f"is already spent ({self.remaining_delta:g} remains)."
            )
        self._ledger.append(_Charge(str(label), epsilon, delta))
        logger.info(
            "spent epsilon %g on %r; %g of %g spent",
            epsilon,
            label,
            self.spent_epsilon,
            self.total_epsilon,
        )

    @property
    def ledger(self) -> pd.DataFrame:
        """Return every query charged, with running totals, as a DataFrame."""
        frame = pd.DataFrame(
            {
                "query": [charge.label for charge in self._ledger],
                "epsilon": [charge.epsilon for charge in self._ledger],
                "delta": [charge.delta for charge in self._ledger],
            }
        )
        frame["spent_epsilon"] = frame["epsilon"].cumsum()
        frame["spent_delta"] = frame["delta"].cumsum()
        return frame

    def __repr__(self) -> str:
        """Show what is spent out of the total."""
        return (
            f"PrivacyBudget(spent epsilon {self.spent_epsilon:g} of "
            f"{self.total_epsilon:g}, delta {self.spent_delta:g} of "
            f"{self.total_delta:g}, {len(self._ledger)} queries)"
        )


# --------------------------------------------------------------------------------
# Zero-concentrated DP
# --------------------------------------------------------------------------------
def gaussian_rho(*, sensitivity: float, sigma: float) -> float:
    """Return the zCDP cost ``rho = sensitivity^2 / (2 sigma^2)`` of a Gaussian query.

    Parameters
    ----------
    sensitivity : float
        L2 sensitivity of the query, in (0, inf).
    sigma : float
        Standard deviation of the Gaussian noise, in (0, inf).

    Returns
    -------
    float
        rho such that the query is rho-zCDP (Bun and Steinke 2016, Prop. 1.6).

    Raises
    ------
    TypeError, ValueError
        If a parameter is outside its range.
    """
    sensitivity = check_sensitivity(sensitivity)
    sigma = check_sensitivity(sigma, name="sigma")
    return sensitivity**2 / (2.0 * sigma**2)


def _cks_epsilon(rho: float, delta: float) -> float:
    """Canonne-Kamath-Steinke conversion: the infimum over alpha > 1."""
    log_inv_delta = -math.log(delta)

    def bound(log_alpha_minus_one: float) -> float:
        """Epsilon at alpha = 1 + exp(log_alpha_minus_one)."""
        am1 = math.exp(log_alpha_minus_one)
        alpha = 1.0 + am1
        return (
            alpha * rho
            + log_alpha_minus_one
            - alpha * math.log(alpha) / am1
            + log_inv_delta / am1
        )

    grid = np.linspace(-15.0, 15.0, 121)
    values = [bound(x) for x in grid]
    best = int(np.argmin(values))
    low, high = grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)]
    result = optimize.minimize_scalar(
        bound, bounds=(low, high), method="bounded", options={"xatol": 1e-12}
    )
    return max(min(float(result.fun), values[best]), 0.0)


def zcdp_to_epsilon(rho: float, *, delta: float, method: str = "cks") -> float:
    """Return an epsilon such that a rho-zCDP mechanism is (epsilon, delta)-DP.

    Parameters
    ----------
    rho : float
        zCDP parameter, in [0, inf).
    delta : float
        Target delta, in (0, 1).
    method : {"cks", "bun-steinke"}, default "cks"
        ``"bun-steinke"``: ``rho + 2 sqrt(rho ln(1 / delta))`` (Bun and Steinke
        2016, Prop. 1.3). ``"cks"``: the tighter
        ``inf_{alpha > 1} alpha rho + ln(1 - 1/alpha)
        - (ln delta + ln alpha) / (alpha - 1)`` (Canonne, Kamath and Steinke 2020),
        which matches OpenDP's conversion (tested).

    Returns
    -------
    float
        The epsilon.

    Raises
    ------
    TypeError, ValueError
        If a parameter is outside its range.
    """
    rho = check_real("rho", rho, low=0)
    if math.isinf(rho):
        raise ValueError("rho must be in [0, inf); got inf.")
    delta = check_delta(delta, positive=True)
    check_choice("method", method, ZCDP_CONVERSIONS)
    if rho == 0.0:
        return 0.0
    if method == "bun-steinke":
        return rho + 2.0 * math.sqrt(rho * math.log(1.0 / delta))
    return _cks_epsilon(rho, delta)


class ZCDPAccountant:
    """Add up the zCDP cost of Gaussian queries and convert it to (epsilon, delta).

    zCDP composes by addition: k queries costing rho each cost ``k rho`` in total,
    and the conversion to (epsilon, delta) grows like ``sqrt(k)``, far slower than
    the ``k`` of basic composition.
    """

    def __init__(self) -> None:
        """Start with no queries recorded."""
        self._costs: list[tuple[str, float]] = []

    def add_gaussian(
        self, *, sensitivity: float, sigma: float, label: str = "query"
    ) -> float:
        """Record a Gaussian query and return its cost rho.

        Raises
        ------
        TypeError, ValueError
            If a parameter is outside its range.
        """
        rho = gaussian_rho(sensitivity=sensitivity, sigma=sigma)
        self._costs.append((str(label), rho))
        return rho

    @property
    def rho(self) -> float:
        """Total zCDP cost of the queries recorded."""
        return math.fsum(rho for _, rho in self._costs)

    def __len__(self) -> int:
        """Number of queries recorded."""
        return len(self._costs)

    def epsilon(self, *, delta: float, method: str = "cks") -> float:
        """Return the epsilon of the queries so far at ``delta`` (zcdp_to_epsilon)."""
        return zcdp_to_epsilon(self.rho, delta=delta, method=method)


def gaussian_composition(
    n_queries: Sequence[int] | np.ndarray,
    *,
    sigma: float,
    sensitivity: float = 1.0,
    delta: float,
) -> pd.DataFrame:
    """Return the total epsilon of k Gaussian queries under several accountants.

    Parameters
    ----------
    n_queries : sequence of int
        Numbers of queries k to evaluate, each >= 1.
    sigma : float
        Standard deviation of each query's noise, in (0, inf).
    sensitivity : float, default 1.0
        L2 sensitivity of each query, in (0, inf).
    delta : float
        Total delta, in (0, 1).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``queries``, with columns ``basic`` (each query exactly
        (eps_1, delta / k)-DP by :func:`~ehrpriv.dp.mechanisms.gaussian_epsilon`,
        then ``k eps_1``), ``zcdp (Bun-Steinke)``, ``zcdp (CKS)``, and
        ``exact`` (k Gaussian queries are one Gaussian query of L2 sensitivity
        ``sensitivity sqrt(k)``: the lowest epsilon any accountant can certify).

    Raises
    ------
    TypeError, ValueError
        If a parameter is outside its range.
    """
    sigma = check_sensitivity(sigma, name="sigma")
    sensitivity = check_sensitivity(sensitivity)
    delta = check_delta(delta, positive=True)
    counts = [check_int("n_queries", k, low=1) for k in np.atleast_1d(n_queries)]
    rows = []
    for k in counts:
        rho = k * gaussian_rho(sensitivity=sensitivity, sigma=sigma)
        each = gaussian_epsilon(sigma=sigma, sensitivity=sensitivity, delta=delta / k)
        rows.append(
            {
                "queries": k,
                "basic": k * each,
                "zcdp (Bun-Steinke)": zcdp_to_epsilon(
                    rho, delta=delta, method="bun-steinke"
                ),
                "zcdp (CKS)": zcdp_to_epsilon(rho, delta=delta, method="cks"),
                "exact": gaussian_epsilon(
                    sigma=sigma, sensitivity=sensitivity * math.sqrt(k), delta=delta
                ),
            }
        )
    return pd.DataFrame(rows).set_index("queries")
