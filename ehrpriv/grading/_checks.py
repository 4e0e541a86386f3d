"""Running a question's check against an answer, in a notebook or in the grader."""

from __future__ import annotations

import logging
import sys
from typing import Any

import numpy as np

from ehrpriv._validation import _describe, check_int
from ehrpriv.grading._registry import (
    AnswerError,
    Question,
    check_lesson,
    get_question,
    questions_for_lesson,
)
from ehrpriv.grading._result import (
    FAILED,
    NOT_ATTEMPTED,
    PASSED,
    LessonScore,
    Result,
    one_line,
)

logger = logging.getLogger(__name__)


class _Missing:
    """Sentinel type for an answer that was never defined."""

    def __repr__(self) -> str:
        """Return ``MISSING``."""
        return "MISSING"


#: Stands for "no answer given": the name is not defined in the notebook.
MISSING: Any = _Missing()


def _result(question: Question, status: str, message: str, seed: int) -> Result:
    """Build the result of ``question`` with points following ``status``."""
    return Result(
        question_id=question.id,
        status=status,
        points=question.points if status == PASSED else 0,
        max_points=question.points,
        message=one_line(message),
        seed=seed,
        hints=question.hints,
    )


def run_check(
    question_id: str, answer: Any = MISSING, *, seed: int | None = None
) -> Result:
    """Check ``answer`` against question ``question_id`` and return the verdict.

    This is the single place where a verdict is computed: :func:`check` calls it in
    a notebook, the grader's worker calls it in a fresh subprocess, and mutation
    tests call it directly. It never raises because of the answer.

    Parameters
    ----------
    question_id : str
        A registered question, e.g. ``"00.celsius"``.
    answer : Any
        The learner's function or value. :data:`MISSING`, ``None`` or ``...``
        (Ellipsis) count as not attempted, and so does an answer that raises
        ``NotImplementedError``.
    seed : int or None
        Seed of the generator the check draws hidden inputs from. ``None`` uses
        the question's fixed notebook seed (reproducible outputs); the grader
        passes a fresh secret seed.

    Returns
    -------
    Result
        ``passed`` with the question's points, or ``failed``/``not attempted``
        with 0 points and a message.

    Raises
    ------
    ValueError
        If ``question_id`` is not registered, or ``seed`` is negative.
    """
    question = get_question(question_id)
    if seed is None:
        seed = question.notebook_seed()
    seed = check_int("seed", seed, low=0)
    name = f"`{question.answer}`"
    if answer is MISSING:
        return _result(question, NOT_ATTEMPTED, f"{name} is not defined", seed)
    if answer is None or answer is Ellipsis:
        return _result(question, NOT_ATTEMPTED, f"{name} is {answer!r}", seed)
    if question.kind == "function" and not callable(answer):
        message = f"{name} should be a function; got {_describe(answer)}"
        return _result(question, FAILED, message, seed)
    rng = np.random.default_rng(seed)
    try:
        question.check(answer, rng)
    except NotImplementedError:
        return _result(question, NOT_ATTEMPTED, f"{name} is not implemented", seed)
    except (AnswerError, AssertionError) as error:
        hint = str(error) or (question.hints[0] if question.hints else "wrong answer")
        return _result(question, FAILED, hint, seed)
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001 - any learner error is a failure
        message = f"raised {type(error).__name__}: {error}".rstrip(": ")
        logger.debug("check %s: answer raised", question.id, exc_info=True)
        return _result(question, FAILED, message, seed)
    return _result(question, PASSED, "", seed)


def _main_namespace() -> dict[str, Any]:
    """Return the globals of ``__main__`` (the notebook's namespace in Jupyter)."""
    main = sys.modules.get("__main__")
    return vars(main) if main is not None else {}


def check(question_id: str, answer: Any = MISSING) -> Result:
    """Check your answer to one question and print one line with the verdict.

    Parameters
    ----------
    question_id : str
        The question, e.g. ``"00.celsius"``; the exercise notebook names it.
    answer : Any, optional
        Your answer. By default ``check`` looks up the name the question asks for
        (for ``"00.celsius"``, ``fahrenheit_to_celsius``) in the notebook.

    Returns
    -------
    Result
        The verdict, also printed as one line, for example
        ``✔ 00.celsius — passed (2/2 points)``. A missing or unfinished answer
        reports ``not attempted``; an answer that raises reports ``failed`` with
        the error. Neither stops the notebook.

    Raises
    ------
    ValueError
        If ``question_id`` is not a registered question.
    """
    question = get_question(question_id)
    if answer is MISSING:
        answer = _main_namespace().get(question.answer, MISSING)
    result = run_check(question.id, answer)
    result._show()
    return result


def score_table(lesson: str | int) -> LessonScore:
    """Check every question of ``lesson`` in this notebook and print a summary.

    Parameters
    ----------
    lesson : str or int
        The lesson number, e.g. ``"00"`` or ``0``.

    Returns
    -------
    LessonScore
        One result per registered question and the total, also printed.

    Raises
    ------
    ValueError
        If ``lesson`` is not a number in [0, 99].
    """
    lesson = check_lesson(lesson)
    namespace = _main_namespace()
    results = [
        run_check(q.id, namespace.get(q.answer, MISSING))
        for q in questions_for_lesson(lesson)
    ]
    score = LessonScore(lesson=lesson, results=results)
    score._show()
    return score
