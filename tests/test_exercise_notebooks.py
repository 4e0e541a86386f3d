"""The real exercise and solution notebooks, graded end to end by the grader."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ehrpriv.grading import NOT_ATTEMPTED, PASSED
from ehrpriv.grading.grader import grade

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*_solutions.ipynb"))


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name[:2])
def test_grader_gives_full_marks_to_the_solution_and_none_to_the_exercise(
    solution: Path, tmp_path: Path
) -> None:
    """Graded on fresh secret seeds, the solution passes every question and the
    untouched exercise notebook is "not attempted" everywhere, without errors."""
    exercise = ROOT / "exercises" / solution.name.replace("_solutions", "_exercises")
    for who, source in (("solution", solution), ("exercise", exercise)):
        (tmp_path / who).mkdir()
        shutil.copy(source, tmp_path / who / source.name)

    report = grade([tmp_path / "solution", tmp_path / "exercise"], jobs=2)

    by_student = {s.student: s for s in report.submissions}
    assert set(by_student) == {"solution", "exercise"}
    solved = by_student["solution"]
    assert solved.questions, "the lesson registers questions"
    assert all(q.status == PASSED for q in solved.questions), [
        (q.question, q.message) for q in solved.questions
    ]
    untouched = by_student["exercise"]
    assert all(q.status == NOT_ATTEMPTED for q in untouched.questions)
    assert sum(q.points for q in untouched.questions) == 0
