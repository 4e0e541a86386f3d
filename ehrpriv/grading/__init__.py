"""Graded exercises: declare questions, check answers, grade submissions.

Introduced in lesson 00 ("how grading works"); every exercise notebook uses it.

For learners
------------
Write the function or value a question asks for, then run its check cell::

    from ehrpriv.grading import check

    def fahrenheit_to_celsius(fahrenheit):
        return (fahrenheit - 32) * 5 / 9

    check("00.celsius")   # ✔ 00.celsius — passed (2/2 points)

A missing or unfinished answer reports ``not attempted``; a wrong one reports
``failed`` with a hint; neither stops the notebook. ``score_table("00")`` sums up
a lesson.

For question authors
--------------------
A question module, ``ehrpriv/grading/questions/lessonNN_topic.py`` (found and
imported when its lesson is first used), declares each question with
:func:`question` on a check function ``(answer, rng) -> None`` that draws
hidden inputs from ``rng`` and raises :class:`AnswerError` with a hint when a
property fails; the helpers in :mod:`ehrpriv.grading.assertions` compare with a
reference implementation and test distributions with a documented false-failure
rate (at most 1e-7 per call).
:func:`run_check` runs a check on any candidate answer (for mutation tests).

For instructors
---------------
``ehrpriv grade PATH...`` (:mod:`ehrpriv.grading.grader`) runs each submission in
a fresh kernel and grades every question of its lesson in a separate process on
fresh secret seeds. See docs/grading.md.

Threat model
------------
The grader never trusts what a notebook printed or stored, and never runs checks
in the student's kernel: it re-executes the notebook in a fresh kernel on a
temporary copy of its folder (per-cell and total time limits, errors allowed),
exports the declared answer names with cloudpickle, and runs each registered
question of the lesson in a fresh ``python -I`` subprocess with a timeout and a
seed drawn from :mod:`secrets` after the notebook finished. This resists, and the
tests show: answers that raise or kill the process, infinite loops (in cells and
in answers), fake "passed" lines (printed, stored, or printed by the answer while
it is checked), redefining or monkeypatching :mod:`ehrpriv.grading` in the
kernel, edited or deleted check cells, answers hard-coded to values shown in the
lesson, notebooks that delete their own files, and files written next to the
notebook to shadow ``ehrpriv`` in the checker.

It does not resist a determined student: the answer function runs the student's
code inside the check subprocess, where it can patch the checker, read the seed
or write a forged verdict; the hidden-input generators are open source; and the
kernel and workers run as the grader's user, with its files, network and
environment variables. For high-stakes grading run ``ehrpriv grade`` inside a
real sandbox (a container without network, read-only mounts, CPU, memory and
process limits) and without credentials in its environment.
"""

from __future__ import annotations

from ehrpriv.grading._checks import MISSING, check, run_check, score_table
from ehrpriv.grading._registry import (
    ANSWER_KINDS,
    AnswerError,
    Question,
    get_question,
    load_questions,
    notebook_seed,
    question,
    questions_for_lesson,
    registered_lessons,
)
from ehrpriv.grading._result import (
    FAILED,
    NOT_ATTEMPTED,
    PASSED,
    STATUSES,
    LessonScore,
    Result,
)
from ehrpriv.grading.assertions import (
    assert_close_in_distribution,
    assert_frequencies_close,
    assert_matches_reference,
    assert_mean_close,
    assert_value_close,
)

__all__ = [
    "ANSWER_KINDS",
    "FAILED",
    "MISSING",
    "NOT_ATTEMPTED",
    "PASSED",
    "STATUSES",
    "AnswerError",
    "LessonScore",
    "Question",
    "Result",
    "assert_close_in_distribution",
    "assert_frequencies_close",
    "assert_matches_reference",
    "assert_mean_close",
    "assert_value_close",
    "check",
    "get_question",
    "load_questions",
    "notebook_seed",
    "question",
    "questions_for_lesson",
    "registered_lessons",
    "run_check",
    "score_table",
]
