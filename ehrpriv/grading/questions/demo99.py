"""Test-only lesson 99: a small question set that exercises the grader.

Not imported by :mod:`ehrpriv.grading.questions`: load it explicitly with
``load_questions("ehrpriv.grading.questions.demo99")`` in a notebook, or
``ehrpriv grade --questions ehrpriv.grading.questions.demo99``. It covers the
three shapes of check: a deterministic function (``99.celsius``), a randomised
mechanism checked in distribution (``99.noisy_count``) and a value
(``99.total_epsilon``); tests/test_grader_tamper.py grades fixtures against it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ehrpriv.grading import (
    AnswerError,
    assert_close_in_distribution,
    assert_matches_reference,
    assert_value_close,
    question,
)
from ehrpriv.grading.questions.lesson00_demo import _celsius


@question(
    "99.celsius",
    points=2,
    answer="fahrenheit_to_celsius",
    title="Convert Fahrenheit to Celsius",
    hints=("Subtract 32 first, then multiply by 5/9.",),
)
def check_celsius(answer: Any, rng: np.random.Generator) -> None:
    """Hidden temperatures match the reference conversion."""
    hidden = rng.uniform(-60.0, 130.0, size=8).round(1)
    assert_matches_reference(answer, _celsius, [(t,) for t in hidden])


@question(
    "99.noisy_count",
    points=2,
    answer="noisy_count",
    title="Laplace mechanism for a count",
    hints=("Add Laplace noise with scale 1/epsilon, drawn from rng.",),
)
def check_noisy_count(answer: Any, rng: np.random.Generator) -> None:
    """Answers follow Laplace(count, 1/epsilon) on a hidden count and epsilon."""
    count = int(rng.integers(10, 1000))
    epsilon = float(rng.uniform(0.2, 0.6))
    samples = [float(answer(count, epsilon, rng)) for _ in range(2000)]
    if len(set(samples)) < 1000:
        raise AnswerError("the answers barely vary: is noise added on every call?")
    from scipy import stats  # imported here: only this check needs it

    reference = stats.laplace(loc=count, scale=1 / epsilon)
    assert_close_in_distribution(samples, reference, name="noisy counts")


@question(
    "99.total_epsilon",
    points=1,
    answer="total_epsilon",
    kind="value",
    title="Sequential composition",
    hints=("Under sequential composition the epsilons add up.",),
)
def check_total_epsilon(answer: Any, rng: np.random.Generator) -> None:
    """Three queries at epsilon = 0.5 each cost 1.5 in total."""
    assert_value_close(answer, 1.5, name="total_epsilon")
