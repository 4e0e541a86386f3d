"""Mutation tests: each registered question accepts its solution and rejects
plausible wrong answers, on several hidden seeds.

The solutions are taken from the solution notebooks themselves (the code between
``### BEGIN SOLUTION`` and ``### END SOLUTION``), so the single source is tested.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from ehrpriv import colab
from ehrpriv.grading import PASSED, get_question, questions_for_lesson, run_check

ROOT = Path(__file__).resolve().parents[1]
SEEDS = (11, 12345, 987654321)


def solution_namespace(lesson: str) -> dict[str, Any]:
    """Run a solution notebook's configuration and solution cells; return globals."""
    path = next((ROOT / "solutions").glob(f"{lesson}_*_solutions.ipynb"))
    notebook = nbformat.read(path, as_version=4)
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    namespace: dict[str, Any] = {"__name__": "solution"}
    for source in code:
        if source == colab.setup_cell_source() or "check(" in source:
            continue
        if "### BEGIN SOLUTION" in source or source is code[1]:
            exec(compile(source, str(path), "exec"), namespace)  # noqa: S102
    return namespace


def assert_passes(question_id: str, answer: Any) -> None:
    """The answer passes on every seed."""
    for seed in SEEDS:
        result = run_check(question_id, answer, seed=seed)
        assert result.status == PASSED, (seed, result.message)


def assert_fails(question_id: str, answer: Any) -> None:
    """The answer fails on at least one seed (in practice on all of them)."""
    statuses = [run_check(question_id, answer, seed=seed).status for seed in SEEDS]
    assert PASSED not in statuses, statuses


# --------------------------------------------------------------------------------
# lesson 00
# --------------------------------------------------------------------------------
def test_lesson_00_demo_questions() -> None:
    """00.celsius and 00.fever_threshold accept the right answers only."""
    assert_passes("00.celsius", lambda f: (f - 32) * 5 / 9)
    for wrong in (
        lambda f: f - 32 * 5 / 9,
        lambda f: (f - 32) * 9 / 5,
        lambda f: f * 5 / 9 - 32,
        lambda f: 0.0 if f == 32 else 100.0,
    ):
        assert_fails("00.celsius", wrong)
    assert_passes("00.fever_threshold", 38.0)
    for wrong in (100.4, 37.0, 38.5):
        assert_fails("00.fever_threshold", wrong)


# --------------------------------------------------------------------------------
# lesson 01
# --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lesson01() -> dict[str, Any]:
    """The solution functions of lesson 01."""
    return solution_namespace("01")


def test_lesson_01_has_at_least_four_questions() -> None:
    """Lesson 01 registers four or more graded questions."""
    assert len(questions_for_lesson("01")) >= 4


def test_lesson_01_solutions_pass(lesson01: dict[str, Any]) -> None:
    """Every lesson-01 solution passes its check on several hidden seeds."""
    for question in questions_for_lesson("01"):
        assert_passes(question.id, lesson01[question.answer])


def test_age_mutants_fail() -> None:
    """Ages from day counts, year differences or rounding are rejected."""

    def days_over_365(birth, admit):
        """Floor of days / 365.25."""
        days = (pd.DatetimeIndex(admit) - pd.DatetimeIndex(birth)).days
        return np.floor(days / 365.25)

    def year_difference(birth, admit):
        """Calendar year difference only."""
        return pd.DatetimeIndex(admit).year - pd.DatetimeIndex(birth).year

    def rounded(birth, admit):
        """Rounded rather than completed years."""
        days = (pd.DatetimeIndex(admit) - pd.DatetimeIndex(birth)).days
        return np.round(days / 365.2425)

    for wrong in (days_over_365, year_difference, rounded):
        assert_fails("01.age_at_admission", wrong)


def test_latest_lab_mutants_fail() -> None:
    """Leaking later values, excluding values at admission, or taking the first."""

    def latest_overall(observations, admissions):
        """Ignores the admission time: leaks values measured later."""
        last = observations.sort_values("DATE").groupby("PATIENT")["VALUE"].last()
        return admissions["PATIENT"].map(last).to_numpy()

    def strictly_before(observations, admissions):
        """Drops values measured on arrival."""
        out = []
        for patient, start in zip(
            admissions["PATIENT"], admissions["START"], strict=True
        ):
            mine = observations[
                (observations["PATIENT"] == patient) & (observations["DATE"] < start)
            ].sort_values("DATE")
            out.append(mine["VALUE"].iloc[-1] if len(mine) else np.nan)
        return np.array(out)

    def earliest(observations, admissions):
        """Takes the first value before admission instead of the latest."""
        out = []
        for patient, start in zip(
            admissions["PATIENT"], admissions["START"], strict=True
        ):
            mine = observations[
                (observations["PATIENT"] == patient) & (observations["DATE"] <= start)
            ].sort_values("DATE")
            out.append(mine["VALUE"].iloc[0] if len(mine) else np.nan)
        return np.array(out)

    for wrong in (latest_overall, strictly_before, earliest):
        assert_fails("01.latest_lab", wrong)


def test_split_mutants_fail() -> None:
    """Row-level splits, lost rows and unseeded shuffles are rejected."""

    def by_rows(frame, test_size, seed):
        """Splits admissions, so a patient can land on both sides."""
        test = frame.sample(frac=test_size, random_state=seed)
        return frame.drop(test.index), test

    def drops_rows(frame, test_size, seed):
        """Keeps one admission per patient only."""
        first = frame.drop_duplicates("patient_id")
        ids = first["patient_id"].sample(frac=test_size, random_state=seed)
        test = first[first["patient_id"].isin(ids)]
        return first.drop(test.index), test

    def unseeded(frame, test_size, seed):
        """Ignores the seed."""
        ids = frame["patient_id"].drop_duplicates().sample(frac=test_size)
        mask = frame["patient_id"].isin(ids)
        return frame[~mask], frame[mask]

    def fixed_half(frame, test_size, seed):
        """Ignores test_size."""
        ids = frame["patient_id"].drop_duplicates().sample(frac=0.5, random_state=seed)
        mask = frame["patient_id"].isin(ids)
        return frame[~mask], frame[mask]

    for wrong in (by_rows, drops_rows, unseeded, fixed_half):
        assert_fails("01.patient_split", wrong)


def test_subgroup_auroc_mutants_fail() -> None:
    """Overall AUROC everywhere, no size rule, or accuracy instead of AUROC."""

    def overall(y_true, y_score, groups, min_size):
        """The overall AUROC copied to every group."""
        value = roc_auc_score(y_true, y_score)
        return {str(g): value for g in np.unique(groups)}

    def no_min_size(y_true, y_score, groups, min_size):
        """Ignores min_size."""
        out = {}
        for g in np.unique(groups):
            m = groups == g
            both = 0 < y_true[m].sum() < m.sum()
            out[str(g)] = roc_auc_score(y_true[m], y_score[m]) if both else np.nan
        return out

    def accuracy(y_true, y_score, groups, min_size):
        """Accuracy at 0.5 rather than AUROC."""
        out = {}
        for g in np.unique(groups):
            m = groups == g
            ok = m.sum() >= min_size and 0 < y_true[m].sum() < m.sum()
            acc = np.mean((y_score[m] > 0.5) == y_true[m])
            out[str(g)] = acc if ok else np.nan
        return out

    for wrong in (overall, no_min_size, accuracy):
        assert_fails("01.subgroup_auroc", wrong)


def test_every_registered_question_has_mutation_tests() -> None:
    """Each question of the built-in bank is named in a mutation-test file."""
    from ehrpriv.grading import questions as bank

    source = "".join(
        path.read_text(encoding="utf-8")
        for path in Path(__file__).parent.glob("test_mutations*.py")
    )
    # the built-in lessons, from the bank's module names (lessonNN_topic.py); other
    # tests register throw-away questions of their own, which are not checked here
    lessons = sorted({name.rsplit(".", 1)[1][6:8] for name in bank.lesson_modules()})
    assert {"00", "01"} <= set(lessons)
    for lesson in lessons:
        for question in questions_for_lesson(lesson):
            assert get_question(question.id).points >= 1
            assert f'"{question.id}"' in source, question.id
