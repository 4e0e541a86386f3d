"""Building blocks for checks: compare answers with references and distributions.

Each helper raises :class:`~ehrpriv.grading.AnswerError` with a hint the learner
can act on. The stochastic helpers are tuned so that a correct answer fails with
probability at most ``alpha = 1e-7`` per call (the course's documented
false-failure budget is 1e-6 per check, so a check may make up to ten such calls).
The derivation of each rate is in the helper's docstring and in docs/grading.md.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from ehrpriv._validation import _describe, check_int, check_real
from ehrpriv.grading._registry import AnswerError

#: Default per-call false-failure probability of the stochastic helpers.
ALPHA = 1e-7
#: Fewest samples :func:`assert_mean_close` accepts (see its docstring).
MIN_MEAN_SAMPLES = 1000


def _as_float_array(value: Any, *, what: str) -> np.ndarray:
    """Return ``value`` as a float array or raise AnswerError naming ``what``."""
    problem = ""
    if isinstance(value, (str, bytes)):
        problem = "text is not a number"
    else:
        try:
            array = np.asarray(value, dtype=float)
        except (TypeError, ValueError) as error:
            problem = str(error)
        else:
            if array.dtype == object:  # pragma: no cover - dtype=float forbids it
                problem = "not numeric"
    if problem:
        raise AnswerError(
            f"{what}: expected a number or an array of numbers; "
            f"got {_describe(value)} ({problem})"
        )
    return array


def _show(value: Any) -> str:
    """Return a short, readable description of a hidden input or a result."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        if value.size <= 6:
            return np.array2string(value, precision=4, separator=", ")
        return f"an array of shape {value.shape}"
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(value, pd.DataFrame):
        return f"a DataFrame with {len(value)} rows and columns {list(value.columns)}"
    if pd is not None and isinstance(value, pd.Series):
        return f"a Series of {len(value)} values"
    return _describe(value)


def _compare(got: Any, expected: Any, *, rtol: float, atol: float, where: str) -> None:
    """Raise AnswerError unless ``got`` matches ``expected`` within tolerance."""
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(expected, (pd.DataFrame, pd.Series)):
        if not isinstance(got, type(expected)):
            raise AnswerError(
                f"{where}: expected a {type(expected).__name__}; "
                f"got {type(got).__name__}"
            )
        try:
            if isinstance(expected, pd.DataFrame):
                pd.testing.assert_frame_equal(
                    got, expected, check_dtype=False, rtol=rtol, atol=atol
                )
            else:
                pd.testing.assert_series_equal(
                    got,
                    expected,
                    check_dtype=False,
                    check_names=False,
                    rtol=rtol,
                    atol=atol,
                )
        except AssertionError as error:
            raise AnswerError(f"{where}: {str(error).splitlines()[0]}") from None
        return
    if isinstance(expected, dict):
        if not isinstance(got, dict) or set(got) != set(expected):
            raise AnswerError(
                f"{where}: expected a dict with keys {sorted(map(str, expected))}; "
                f"got {_describe(got)}"
            )
        for key in expected:
            _compare(got[key], expected[key], rtol=rtol, atol=atol, where=where)
        return
    if isinstance(expected, str):
        if not isinstance(got, str) or got != expected:
            raise AnswerError(f"{where}: expected {expected!r}; got {_describe(got)}")
        return
    want = np.asarray(expected, dtype=float)
    have = _as_float_array(got, what=where)
    if have.shape != want.shape:
        raise AnswerError(
            f"{where}: expected shape {want.shape}; got shape {have.shape}"
        )
    if not np.allclose(have, want, rtol=rtol, atol=atol, equal_nan=True):
        if want.ndim == 0:
            detail = f"expected {float(want):.6g}; got {float(have):.6g}"
        else:
            bad = int(
                np.sum(~np.isclose(have, want, rtol=rtol, atol=atol, equal_nan=True))
            )
            detail = f"{bad} of {want.size} values differ from the expected ones"
        raise AnswerError(f"{where}: {detail}")


def assert_value_close(
    value: Any,
    expected: Any,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    name: str = "your answer",
) -> None:
    """Check that a value answer equals ``expected`` up to a tolerance.

    The answer is converted to plain floats (or compared as a DataFrame, Series,
    dict or string when ``expected`` is one) before comparing, so an object that
    claims to equal everything through ``__eq__`` does not pass.

    Parameters
    ----------
    value : Any
        The learner's value.
    expected : Any
        The correct value: a number, array, DataFrame, Series, dict or string.
    rtol, atol : float
        Relative and absolute tolerance, as in :func:`numpy.allclose`.
    name : str
        How to refer to the value in the hint.

    Raises
    ------
    AnswerError
        If the value differs from ``expected``.
    """
    rtol = check_real("rtol", rtol, low=0)
    atol = check_real("atol", atol, low=0)
    _compare(value, expected, rtol=rtol, atol=atol, where=name)


def assert_matches_reference(
    answer: Callable[..., Any],
    reference: Callable[..., Any],
    inputs: Iterable[Sequence[Any] | dict[str, Any]],
    *,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    describe: Callable[[Any], str] | None = None,
) -> None:
    """Check that ``answer`` returns what ``reference`` returns on hidden inputs.

    Each input is deep-copied before each call, so an answer that modifies its
    arguments cannot change what the reference sees.

    Parameters
    ----------
    answer : callable
        The learner's function.
    reference : callable
        The correct implementation, kept in the question module.
    inputs : iterable
        Argument tuples (``(x,)``) or keyword dicts, typically drawn from the
        check's ``rng``.
    rtol, atol : float
        Tolerances for numeric results, as in :func:`numpy.allclose`.
    describe : callable, optional
        Turns one input into the text used in the hint; by default a short repr.

    Raises
    ------
    AnswerError
        On the first input where the results differ; the hint names the input.
    """
    rtol = check_real("rtol", rtol, low=0)
    atol = check_real("atol", atol, low=0)
    describe = describe or _show
    for arguments in inputs:
        if isinstance(arguments, dict):
            args, kwargs = (), arguments
            shown = ", ".join(f"{k}={describe(v)}" for k, v in arguments.items())
        else:
            args, kwargs = tuple(arguments), {}
            shown = ", ".join(describe(v) for v in args)
        expected = reference(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        got = answer(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        _compare(got, expected, rtol=rtol, atol=atol, where=f"for input ({shown})")


def _check_alpha(alpha: float) -> float:
    """Validate a false-failure probability."""
    return check_real("alpha", alpha, low=0, high=0.01, low_inclusive=False)


def assert_mean_close(
    samples: Any,
    expected_mean: float,
    expected_std: float,
    *,
    alpha: float = ALPHA,
    name: str = "the samples",
) -> None:
    """Check that the mean of i.i.d. ``samples`` is consistent with ``expected_mean``.

    A two-sided z-test with known standard deviation: the answer fails when
    ``|mean - expected_mean| > z * expected_std / sqrt(n)`` with
    ``z = Φ⁻¹(1 - alpha/2)`` (5.33 for the default ``alpha = 1e-7``).

    False-failure rate: exactly ``alpha`` when the samples are Gaussian. For other
    distributions the bound relies on the central limit theorem; with at least
    :data:`MIN_MEAN_SAMPLES` (1000) samples and the skewness of the noise used in
    the course (Laplace, Gaussian, Bernoulli with p in [0.05, 0.95]) the Edgeworth
    correction at z = 5.33 is below a factor of 2, so the rate stays below
    2e-7, within the 1e-6 budget. Fewer samples are refused.

    Parameters
    ----------
    samples : array-like
        Independent draws from the learner's mechanism.
    expected_mean, expected_std : float
        Mean and standard deviation of one draw under a correct answer.
    alpha : float
        Two-sided false-failure probability, in (0, 0.01].
    name : str
        How to refer to the samples in the hint.

    Raises
    ------
    AnswerError
        If the samples are not numbers or their mean is too far off.
    ValueError
        If there are fewer than 1000 samples or ``expected_std`` is not positive.
    """
    alpha = _check_alpha(alpha)
    expected_mean = check_real("expected_mean", expected_mean)
    expected_std = check_real("expected_std", expected_std, low=0, low_inclusive=False)
    values = _as_float_array(samples, what=name).ravel()
    check_int("len(samples)", values.size, low=MIN_MEAN_SAMPLES)
    if not np.all(np.isfinite(values)):
        raise AnswerError(f"{name} contain NaN or infinite values")
    from scipy.stats import norm

    bound = float(norm.isf(alpha / 2)) * expected_std / math.sqrt(values.size)
    mean = float(values.mean())
    if abs(mean - expected_mean) > bound:
        raise AnswerError(
            f"{name} average {mean:.4g}, but a correct answer averages "
            f"{expected_mean:.4g} (\u00b1{bound:.2g} allowed)"
        )


def assert_close_in_distribution(
    samples: Any,
    reference: Any,
    *,
    alpha: float = ALPHA,
    name: str = "the samples",
) -> None:
    """Check with a Kolmogorov–Smirnov test that ``samples`` follow ``reference``.

    Parameters
    ----------
    samples : array-like
        Independent draws from the learner's mechanism.
    reference : callable, frozen scipy distribution, or array-like
        The correct distribution: a CDF, a frozen ``scipy.stats`` distribution
        (one-sample test), or draws from a correct implementation (two-sample
        test).
    alpha : float
        False-failure probability, in (0, 0.01].
    name : str
        How to refer to the samples in the hint.

    Raises
    ------
    AnswerError
        If the test rejects at level ``alpha``.

    Notes
    -----
    False-failure rate: the one-sample test uses the exact distribution of the KS
    statistic, so a correct answer fails with probability exactly ``alpha``
    (1e-7 by default) for a continuous ``reference`` and at most ``alpha`` for a
    discrete one (the test is conservative on ties). The two-sample test uses
    scipy's exact p-value for small samples and the asymptotic one otherwise,
    whose error at this level is far below the factor of 10 separating ``alpha``
    from the 1e-6 budget. Prefer a CDF when one is known: it is also more powerful.
    """
    from scipy import stats

    alpha = _check_alpha(alpha)
    values = _as_float_array(samples, what=name).ravel()
    check_int("len(samples)", values.size, low=20)
    if not np.all(np.isfinite(values)):
        raise AnswerError(f"{name} contain NaN or infinite values")
    if hasattr(reference, "cdf"):
        pvalue = stats.kstest(values, reference.cdf, method="exact").pvalue
    elif callable(reference):
        pvalue = stats.kstest(values, reference, method="exact").pvalue
    else:
        other = np.asarray(reference, dtype=float).ravel()
        check_int("len(reference)", other.size, low=20)
        pvalue = stats.ks_2samp(values, other).pvalue
    if pvalue < alpha:
        raise AnswerError(
            f"{name} do not follow the expected distribution "
            f"(Kolmogorov\u2013Smirnov p = {pvalue:.1e})"
        )


def assert_frequencies_close(
    samples: Any,
    probabilities: dict[Any, float],
    *,
    alpha: float = ALPHA,
    name: str = "the samples",
) -> None:
    """Check that categorical ``samples`` occur with the given ``probabilities``.

    Each category's count is tested against Binomial(n, p) with an exact
    two-sided binomial test at level ``alpha / k`` (Bonferroni over the ``k``
    categories); values outside the categories fail at once.

    False-failure rate: at most ``alpha`` (1e-7 by default) for any sample size,
    because each exact test rejects with probability at most ``alpha / k`` and the
    union bound adds them up. (Pearson's chi-square test is not used: at this
    level its asymptotic tail can be off by a factor of 10 for small expected
    counts.)

    Parameters
    ----------
    samples : array-like
        Independent draws from the learner's mechanism (e.g. randomized response).
    probabilities : dict
        Category → probability under a correct answer; must sum to 1.
    alpha : float
        False-failure probability, in (0, 0.01].
    name : str
        How to refer to the samples in the hint.

    Raises
    ------
    AnswerError
        If a category is unexpected or its frequency is too far off.
    ValueError
        If ``probabilities`` is empty or does not sum to 1.
    """
    from scipy.stats import binomtest

    alpha = _check_alpha(alpha)
    if not probabilities:
        raise ValueError("probabilities must map at least one category to p > 0.")
    total = math.fsum(probabilities.values())
    if not math.isclose(total, 1.0, abs_tol=1e-9):
        raise ValueError(f"probabilities must sum to 1; got a sum of {total!r}.")
    values = np.asarray(samples, dtype=object).ravel()
    count = check_int("len(samples)", values.size, low=1)
    observed: dict[Any, int] = {}
    for value in values.tolist():
        observed[value] = observed.get(value, 0) + 1
    unexpected = [value for value in observed if value not in probabilities]
    if unexpected:
        allowed = ", ".join(repr(c) for c in probabilities)
        raise AnswerError(
            f"{name} contain {unexpected[0]!r}; the only possible values are {allowed}"
        )
    level = alpha / len(probabilities)
    for category, p in probabilities.items():
        k = observed.get(category, 0)
        pvalue = binomtest(k, count, check_real("probability", p, low=0, high=1)).pvalue
        if pvalue < level:
            raise AnswerError(
                f"{name}: {category!r} occurs {k / count:.3f} of the time, "
                f"but a correct answer gives it probability {p:.3f}"
            )
