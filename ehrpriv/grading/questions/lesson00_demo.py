"""Lesson 00 ("how grading works"): two warm-up questions showing the pattern.

``00.celsius`` asks for a function and checks it on hidden temperatures;
``00.fever_threshold`` asks for a value. Question authors can copy this module.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ehrpriv.grading import (
    AnswerError,
    assert_matches_reference,
    assert_value_close,
    question,
)


def _celsius(fahrenheit: Any) -> Any:
    """Reference: convert degrees Fahrenheit to degrees Celsius."""
    return (fahrenheit - 32) * 5 / 9


@question(
    "00.celsius",
    points=2,
    answer="fahrenheit_to_celsius",
    title="Convert Fahrenheit to Celsius",
    hints=("Subtract 32 first, then multiply by 5/9.",),
)
def check_celsius(answer: Any, rng: np.random.Generator) -> None:
    """Water freezes and boils where it should; hidden temperatures match."""
    for fahrenheit, celsius in ((32.0, 0.0), (212.0, 100.0)):
        got = float(answer(fahrenheit))
        if not np.isclose(got, celsius, atol=1e-9):
            raise AnswerError(
                f"{fahrenheit:g} °F should give {celsius:g} °C; got {got:.6g}"
            )
    hidden = rng.uniform(-60.0, 130.0, size=8).round(1)
    assert_matches_reference(answer, _celsius, [(t,) for t in hidden])
    assert_matches_reference(answer, _celsius, [(hidden,)])


@question(
    "00.fever_threshold",
    points=1,
    answer="fever_threshold_c",
    kind="value",
    title="Fever threshold in Celsius",
    hints=("A fever starts at 100.4 °F; convert it with your function.",),
)
def check_fever_threshold(answer: Any, rng: np.random.Generator) -> None:
    """The fever threshold, 100.4 °F, is 38 °C."""
    assert_value_close(answer, 38.0, atol=1e-6, name="fever_threshold_c")
