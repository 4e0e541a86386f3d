"""Tests for ehrpriv.grading: registering questions, checking answers, helpers."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

import ehrpriv.grading as grading
from ehrpriv.grading import (
    MISSING,
    AnswerError,
    assert_close_in_distribution,
    assert_frequencies_close,
    assert_matches_reference,
    assert_mean_close,
    assert_value_close,
    check,
    get_question,
    load_questions,
    notebook_seed,
    question,
    questions_for_lesson,
    run_check,
    score_table,
)
from ehrpriv.grading.grader import find_submissions

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
load_questions("ehrpriv.grading.questions.demo99")


def celsius(fahrenheit):
    """Convert Fahrenheit to Celsius correctly."""
    return (fahrenheit - 32) * 5 / 9


@pytest.fixture
def main_namespace(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """Replace ``__main__`` by an empty module, as a fresh notebook would be."""
    module = types.ModuleType("__main__")
    monkeypatch.setitem(sys.modules, "__main__", module)
    return module


# --- registering questions -------------------------------------------------------


def test_question_records_its_declaration():
    """A registered question keeps its lesson, points, answer name, kind and hints."""
    celsius_question = get_question("00.celsius")
    assert celsius_question.lesson == "00"
    assert (celsius_question.points, celsius_question.answer) == (
        2,
        "fahrenheit_to_celsius",
    )
    assert celsius_question.kind == "function" and celsius_question.hints
    assert [q.id for q in questions_for_lesson(99)] == [
        "99.celsius",
        "99.noisy_count",
        "99.total_epsilon",
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"question_id": "1.age"},
            "question_id must be a two-digit lesson, a dot and a lower-case name",
        ),
        ({"points": 0}, "points must be an integer >= 1; got 0."),
        ({"answer": "not valid"}, "answer must be a Python identifier"),
        ({"kind": "table"}, "kind must be one of 'function', 'value'; got 'table'."),
        ({"title": " "}, "title must be a non-empty string; got ' '."),
    ],
)
def test_question_rejects_bad_declarations(kwargs, message):
    """Malformed declarations raise an error naming the parameter and the value."""
    declaration = {
        "question_id": "98.thing",
        "points": 1,
        "answer": "thing",
        "title": "A thing",
    }
    declaration.update(kwargs)
    with pytest.raises(ValueError) as error:
        question(declaration.pop("question_id"), **declaration)
    assert message in str(error.value)


def test_question_refuses_a_second_check_for_one_id():
    """Registering another check under a taken id is an error naming both."""
    with pytest.raises(ValueError, match="'00.celsius' is already registered by"):
        question("00.celsius", points=1, answer="f", title="Clash")(
            lambda answer, rng: None
        )


def test_unknown_question_lists_the_lesson_questions():
    """Looking up an unknown id names the registered questions of its lesson."""
    with pytest.raises(ValueError) as error:
        run_check("99.nope", 1)
    assert "lesson 99 ('99.celsius', '99.noisy_count', '99.total_epsilon')" in str(
        error.value
    )
    assert "got '99.nope'" in str(error.value)


def test_load_questions_from_a_file(tmp_path):
    """A question module given as a .py path is imported once and registers."""
    source = tmp_path / "bank.py"
    source.write_text(
        "from ehrpriv.grading import question\n\n"
        "@question('97.double', points=1, answer='double', title='Double it')\n"
        "def check_double(answer, rng):\n"
        "    assert answer(2) == 4, 'double(2) should be 4'\n",
        encoding="utf-8",
    )
    load_questions(source)
    load_questions(str(source))
    assert run_check("97.double", lambda x: 2 * x).passed
    assert run_check("97.double", lambda x: x).message == "double(2) should be 4"
    with pytest.raises(FileNotFoundError, match="got 'missing.py', which does not"):
        load_questions("missing.py")


def test_lesson_numbers_are_validated():
    """A lesson outside [0, 99] is refused with the value received."""
    with pytest.raises(
        ValueError, match=r"lesson must be a lesson number in \[0, 99\]"
    ):
        questions_for_lesson("one")
    with pytest.raises(ValueError, match=r"got 100"):
        questions_for_lesson(100)


# --- running checks --------------------------------------------------------------


def test_correct_answer_passes_with_full_points():
    """The reference conversion passes 00.celsius and earns its 2 points."""
    result = run_check("00.celsius", celsius)
    assert (result.status, result.points, result.max_points) == ("passed", 2, 2)
    assert result.line() == "\u2714 00.celsius \u2014 passed (2/2 points)"


def test_wrong_answer_fails_with_a_hint():
    """A wrong formula fails with a hint in the one-line summary."""
    result = run_check("00.celsius", lambda f: (f - 32) * 9 / 5)
    assert (result.status, result.points) == ("failed", 0)
    assert result.line() == (
        "\u2718 00.celsius \u2014 failed: 212 \u00b0F should give 100 \u00b0C; "
        "got 324 (0/2 points)"
    )


@pytest.mark.parametrize(
    "answer", [MISSING, None, Ellipsis], ids=["missing", "none", "ellipsis"]
)
def test_missing_answers_are_not_attempted(answer):
    """A missing, None or Ellipsis answer is not attempted, with 0 points."""
    result = run_check("00.celsius", answer)
    assert (result.status, result.points) == ("not attempted", 0)
    assert result.line() == "\u2026 00.celsius \u2014 not attempted (0/2 points)"


def test_stub_raising_not_implemented_is_not_attempted():
    """The exercise stub (raise NotImplementedError) counts as not attempted."""

    def fahrenheit_to_celsius(fahrenheit):
        """Stub as generated in the exercise notebook."""
        raise NotImplementedError("Complete fahrenheit_to_celsius().")

    assert run_check("00.celsius", fahrenheit_to_celsius).status == "not attempted"


def test_raising_answer_fails_with_the_exception():
    """An answer raising another exception fails, naming the type and message."""
    result = run_check("00.celsius", lambda f: 1 // 0)
    assert result.status == "failed"
    assert (
        "raised ZeroDivisionError: integer division or modulo by zero" in result.line()
    )


def test_exiting_answer_fails_without_stopping_the_caller():
    """An answer calling sys.exit is a failure, not the end of the notebook."""
    result = run_check("00.celsius", lambda f: sys.exit(3))
    assert result.status == "failed" and "SystemExit: 3" in result.message


def test_value_given_for_a_function_question_fails():
    """A function question answered with a value fails, naming what was given."""
    result = run_check("00.celsius", 37.0)
    assert result.message == "`fahrenheit_to_celsius` should be a function; got 37.0"


def test_notebook_seed_is_deterministic_and_grading_seeds_change_inputs():
    """Without a seed the hidden inputs are fixed; other seeds draw other inputs."""
    wrong = lambda f: f - 32  # noqa: E731 - a one-line wrong answer
    assert (
        run_check("99.celsius", wrong).message == run_check("99.celsius", wrong).message
    )
    assert run_check("99.celsius", wrong).seed == notebook_seed("99.celsius")
    messages = {run_check("99.celsius", wrong, seed=s).message for s in range(5)}
    assert len(messages) > 1


def test_negative_seed_is_refused():
    """Seeds must be non-negative integers; the error names the value."""
    with pytest.raises(ValueError, match="seed must be an integer >= 0; got -1."):
        run_check("00.celsius", celsius, seed=-1)


@pytest.mark.parametrize(
    "wrong",
    [
        lambda f: (f - 32) * 9 / 5,
        lambda f: f * 5 / 9 - 32,
        lambda f: (f - 32) * 5 // 9,
        lambda f: round((f - 32) * 5 / 9),
        lambda f: 37.0,
        lambda f: {32.0: 0.0, 212.0: 100.0}.get(f, 37.0),
    ],
    ids=["inverse", "order", "floor", "rounded", "constant", "lookup"],
)
def test_lesson00_celsius_rejects_plausible_mistakes(wrong):
    """Plausible wrong conversions fail the lesson 00 demo question."""
    assert run_check("00.celsius", wrong, seed=12345).status == "failed"


def test_lesson00_fever_threshold_accepts_only_38():
    """The value question accepts 38 (as float or numpy scalar) and nothing else."""
    assert run_check("00.fever_threshold", 38.0).passed
    assert run_check("00.fever_threshold", np.float64(38.0)).passed
    for wrong in (100.4, "38", [38.0, 38.0]):
        assert run_check("00.fever_threshold", wrong).status == "failed"


def test_noisy_count_accepts_laplace_and_rejects_other_noise():
    """The distributional check passes Laplace noise and fails wrong scales."""

    def laplace(count, epsilon, rng):
        """Correct Laplace mechanism."""
        return count + rng.laplace(0.0, 1.0 / epsilon)

    def wrong_scale(count, epsilon, rng):
        """Scale epsilon instead of 1/epsilon."""
        return count + rng.laplace(0.0, epsilon)

    def no_noise(count, epsilon, rng):
        """Forgets the noise."""
        return count

    for seed in range(3):
        assert run_check("99.noisy_count", laplace, seed=seed).passed
        assert not run_check("99.noisy_count", wrong_scale, seed=seed).passed
    assert "barely vary" in run_check("99.noisy_count", no_noise).message


# --- check() and score_table() in a notebook -------------------------------------


def test_check_looks_up_the_answer_in_main(main_namespace, capsys):
    """check() finds the declared answer name in __main__ and prints one line."""
    main_namespace.fahrenheit_to_celsius = celsius
    result = check("00.celsius")
    assert capsys.readouterr().out == "\u2714 00.celsius \u2014 passed (2/2 points)\n"
    assert result.passed and result.points == 2


def test_check_reports_not_attempted_without_raising(main_namespace, capsys):
    """check() on an undefined answer prints "not attempted" and returns."""
    result = check("00.celsius")
    assert capsys.readouterr().out.startswith("\u2026 00.celsius \u2014 not attempted")
    assert result.status == "not attempted"


def test_check_accepts_an_explicit_answer(main_namespace, capsys):
    """An answer passed to check() is used instead of the declared name."""
    main_namespace.fever_threshold_c = 0.0
    assert check("00.fever_threshold", 38.0).passed
    assert "passed (1/1 points)" in capsys.readouterr().out


def test_score_table_sums_a_lesson(main_namespace, capsys):
    """score_table() checks every question of a lesson and prints the total."""
    main_namespace.fahrenheit_to_celsius = celsius
    score = score_table("00")
    assert (score.points, score.max_points) == (2, 3)
    assert capsys.readouterr().out.splitlines()[0] == "Lesson 00: 2/3 points"


def test_results_serialise_for_a_gradebook():
    """A result converts to JSON-ready data with status, points and seed."""
    data = run_check("00.celsius", celsius, seed=7).to_dict()
    assert data == {
        "question": "00.celsius",
        "status": "passed",
        "points": 2,
        "max_points": 2,
        "message": "",
        "seed": 7,
    }


def test_solution_notebook_outputs_are_reproduced_once_per_check():
    """Re-running the solution fixture reproduces its stored check lines, once each."""
    stored = nbformat.read(FIXTURES / "solutions" / "99_demo_solutions.ipynb", 4)
    fresh = nbformat.read(FIXTURES / "solutions" / "99_demo_solutions.ipynb", 4)
    NotebookClient(fresh, kernel_name="python3", timeout=120).execute()
    checks = 0
    for old, new in zip(stored.cells, fresh.cells, strict=True):
        if old.cell_type == "code" and old.source.startswith("check("):
            checks += 1
            assert [o.get("text") for o in new.outputs] == [
                o.get("text") for o in old.outputs
            ]
            assert len(new.outputs) == 1 and new.outputs[0].text.count("\n") == 1
    assert checks == 3


# --- assertion helpers -----------------------------------------------------------


def test_assert_value_close_refuses_objects_equal_to_everything():
    """A value claiming equality with everything is not accepted as a number."""

    class EqualsEverything:
        """Compares equal to anything."""

        def __eq__(self, other):
            """Return True."""
            return True

    with pytest.raises(AnswerError, match="expected a number or an array of numbers"):
        assert_value_close(EqualsEverything(), 1.5, name="total")
    with pytest.raises(AnswerError, match="text is not a number"):
        assert_value_close("1.5", 1.5)
    assert_value_close(1.5 + 1e-12, 1.5)


def test_assert_matches_reference_protects_inputs_and_names_them():
    """Inputs are copied for each call, and a mismatch names the input."""

    def mutating(values):
        """Sorts its argument in place, then sums it wrongly."""
        values.sort()
        return sum(values) + 1

    with pytest.raises(AnswerError, match=r"for input \(\[3, 1, 2\]\): expected 6"):
        assert_matches_reference(mutating, sum, [([3, 1, 2],)])

    def ordered(values):
        """Return the values sorted."""
        return sorted(values)

    assert_matches_reference(ordered, sorted, [([3, 1, 2],)])
    assert_matches_reference(ordered, ordered, [{"values": [2, 1]}])


def test_assert_matches_reference_compares_frames():
    """DataFrame results are compared with pandas' tolerant equality."""
    import pandas as pd

    frame = pd.DataFrame({"age": [30.0, 40.0]})
    assert_matches_reference(lambda f: f * 1.0, lambda f: f, [(frame,)])
    with pytest.raises(AnswerError, match="DataFrame"):
        assert_matches_reference(lambda f: f + 1, lambda f: f, [(frame,)])


def test_assert_mean_close_uses_the_documented_bound():
    """The z-bound is 5.33 standard errors; closer means pass, farther fail."""
    samples = np.full(10_000, 0.0)
    standard_error = 1.0 / np.sqrt(samples.size)
    assert_mean_close(samples + 5.3 * standard_error, 0.0, 1.0)
    with pytest.raises(AnswerError, match="average"):
        assert_mean_close(samples + 5.4 * standard_error, 0.0, 1.0)
    with pytest.raises(ValueError, match="len\\(samples\\) must be an integer >= 1000"):
        assert_mean_close(np.zeros(10), 0.0, 1.0)


def test_assert_close_in_distribution_accepts_cdf_frozen_or_samples():
    """A KS test against a CDF, a frozen scipy distribution or reference draws."""
    from scipy import stats

    rng = np.random.default_rng(1)
    draws = rng.laplace(size=3000)
    assert_close_in_distribution(draws, stats.laplace())
    assert_close_in_distribution(draws, stats.laplace().cdf)
    assert_close_in_distribution(draws, rng.laplace(size=3000))
    with pytest.raises(AnswerError, match="Kolmogorov"):
        assert_close_in_distribution(draws * 2, stats.laplace())


def test_assert_frequencies_close_tests_each_category():
    """Exact binomial tests accept right frequencies and reject wrong ones."""
    rng = np.random.default_rng(2)
    fair = rng.integers(0, 2, size=4000)
    assert_frequencies_close(fair, {0: 0.5, 1: 0.5})
    with pytest.raises(AnswerError, match="occurs 0.5"):
        assert_frequencies_close(fair, {0: 0.75, 1: 0.25})
    with pytest.raises(AnswerError, match="contain 2"):
        assert_frequencies_close([0, 1, 2] * 10, {0: 0.5, 1: 0.5})
    with pytest.raises(ValueError, match="probabilities must sum to 1; got a sum of"):
        assert_frequencies_close(fair, {0: 0.5, 1: 0.6})


def test_stochastic_helpers_default_to_alpha_1e7():
    """The documented per-call false-failure probability is 1e-7."""
    assert grading.assertions.ALPHA == 1e-7
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 0.01\]; got 0.5."):
        assert_mean_close(np.zeros(1000), 0.0, 1.0, alpha=0.5)


# --- naming students ---------------------------------------------------------------


def test_students_are_named_by_folder_or_file_stem(tmp_path):
    """Per-student folders name students; other notebooks use their stem."""
    for path in (
        tmp_path / "subs" / "alice" / "99_demo_exercises.ipynb",
        tmp_path / "subs" / "bob" / "work" / "99_demo_exercises.ipynb",
        tmp_path / "subs" / "carol.ipynb",
        tmp_path / "subs" / ".ipynb_checkpoints" / "x.ipynb",
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}", encoding="utf-8")
    found = find_submissions([tmp_path / "subs"], lesson="99")
    assert [(s.student, s.lesson) for s in found] == [
        ("carol", "99"),
        ("alice", "99"),
        ("bob", "99"),
    ]
    by_folder = find_submissions([tmp_path / "subs" / "alice"])
    assert [s.student for s in by_folder] == ["alice"]


def test_lesson_must_be_known_for_a_notebook(tmp_path):
    """A notebook without an NN_ prefix needs --lesson; the error says so."""
    notebook = tmp_path / "carol.ipynb"
    notebook.write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError, match="starting with 'NN_'"):
        find_submissions([notebook])
    with pytest.raises(FileNotFoundError, match="got 'nowhere', which does not exist"):
        find_submissions(["nowhere"])
