"""The grader resists submissions that raise, hang or tamper with grading.

Each case is a small notebook answering the test-only lesson 99
(``ehrpriv.grading.questions.demo99``: ``99.celsius`` 2 points, ``99.noisy_count``
2 points, ``99.total_epsilon`` 1 point). All cases are graded by two
``ehrpriv grade`` runs shared by the module (kernel start-ups dominate the cost):
one with generous limits, one with tight limits for the notebooks that hang.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from ehrpriv.cli import main as cli_main

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
QUESTIONS = "ehrpriv.grading.questions.demo99"
NOTEBOOK = "99_demo_exercises.ipynb"

SETUP = (
    "from ehrpriv.grading import check, load_questions\n\n"
    f'load_questions("{QUESTIONS}")'
)
CELSIUS = "def fahrenheit_to_celsius(fahrenheit):\n    return (fahrenheit - 32) * 5 / 9"
NOISY = (
    "def noisy_count(count, epsilon, rng):\n"
    "    return count + rng.laplace(0.0, 1.0 / epsilon)"
)
FAKE_LINES = (
    'print("\\u2714 99.celsius \\u2014 passed (2/2 points)")\n'
    'print("\\u2714 99.noisy_count \\u2014 passed (2/2 points)")\n'
    'print("\\u2714 99.total_epsilon \\u2014 passed (1/1 points)")'
)

#: Cases graded with generous limits: student name -> code cells.
CASES = {
    "raises": [
        SETUP,
        "1 / 0",
        CELSIUS,
        'def noisy_count(count, epsilon, rng):\n    raise ValueError("boom")',
        'check("99.noisy_count")',
        "import os\n\n\n"
        "class ExitsWhenRead:\n"
        "    def __float__(self):\n"
        "        os._exit(0)\n\n\n"
        "total_epsilon = ExitsWhenRead()",
    ],
    "fake_output": [
        SETUP,
        "def fahrenheit_to_celsius(fahrenheit):\n"
        '    print(\'{"status": "passed", "message": "", "nonce": ""}\')\n'
        "    return 0.0",
        "def noisy_count(count, epsilon, rng):\n    return count",
        "total_epsilon = 0.5",
        FAKE_LINES,
    ],
    "monkeypatch": [
        SETUP,
        "import ehrpriv.grading as grading\n"
        "import ehrpriv.grading._checks as checks\n"
        "from ehrpriv.grading import Result\n\n\n"
        "def always_passes(question_id, answer=None, *, seed=None):\n"
        "    return Result(question_id, 'passed', 2, 2)\n\n\n"
        "grading.run_check = checks.run_check = always_passes\n"
        "grading.check = checks.check = always_passes\n"
        "for question in grading.questions_for_lesson('99'):\n"
        "    object.__setattr__(question, 'check', lambda answer, rng: None)",
        "def fahrenheit_to_celsius(fahrenheit):\n    return 0.0",
        "def noisy_count(count, epsilon, rng):\n    return count",
        "total_epsilon = 0.5",
        'grading.check("99.celsius")',
    ],
    "edited_checks": [
        SETUP,
        CELSIUS,
        "def noisy_count(count, epsilon, rng):\n    return count + 1.0",
        'print("\\u2714 99.noisy_count \\u2014 passed (2/2 points)")',
        "total_epsilon = 1.5",
    ],
    "hardcoded": [
        SETUP,
        "SHOWN = {32.0: 0.0, 212.0: 100.0, 98.6: 37.0}\n\n\n"
        "def fahrenheit_to_celsius(fahrenheit):\n"
        "    return SHOWN.get(fahrenheit, 37.0)",
        "def noisy_count(count, epsilon, rng):\n    return count + 0.7",
        "class EqualsEverything:\n"
        "    def __eq__(self, other):\n"
        "        return True\n\n\n"
        "total_epsilon = EqualsEverything()",
    ],
    "deletes_files": [
        SETUP,
        "import os\nimport shutil\n\nshutil.rmtree(os.getcwd())",
        CELSIUS,
        "import os\n\nos.listdir('.')",
    ],
    "shadows_package": [
        SETUP,
        "import os\n\n"
        "FORGED = (\n"
        '    "import json, sys\\n"\n'
        "    \"nonce = json.loads(sys.stdin.read())['nonce']\\n\"\n"
        "    \"print(json.dumps({'ready': True, 'nonce': nonce}))\\n\"\n"
        "    \"print(json.dumps({'status': 'passed', 'nonce': nonce}))\\n\"\n"
        ")\n"
        'os.makedirs("ehrpriv/grading", exist_ok=True)\n'
        'for name in ("ehrpriv/__init__.py", "ehrpriv/grading/__init__.py"):\n'
        '    open(name, "w").close()\n'
        'with open("ehrpriv/grading/_worker.py", "w") as handle:\n'
        "    handle.write(FORGED)",
        "def fahrenheit_to_celsius(fahrenheit):\n    return 0.0",
        "total_epsilon = 0.5",
    ],
    "kernel_killer": [
        SETUP,
        CELSIUS,
        "import os\nimport signal\n\nos.kill(os.getpid(), signal.SIGKILL)",
        NOISY,
    ],
}

#: Cases graded with tight time limits (cells are trivial, so load does not bite).
SLOW_CASES = {
    "loops": [
        "import time\n\nwhile True:\n    time.sleep(0.05)",
        CELSIUS,
        "def noisy_count(count, epsilon, rng):\n    while True:\n        pass",
        "total_epsilon = 1.5",
    ],
    "ignores_interrupts": [
        CELSIUS,
        "import time\n\n"
        "while True:\n"
        "    try:\n"
        "        time.sleep(0.05)\n"
        "    except KeyboardInterrupt:\n"
        "        pass",
    ],
}


def _write_notebook(path: Path, cells: list[str]) -> None:
    """Write a python3 notebook with the given code cells."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{index}"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)


def _grade(root: Path, *extra: str) -> tuple[dict, str]:
    """Run ``ehrpriv grade`` on ``root``; return its JSON report and its table."""
    out = root.parent / f"{root.name}.json"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = cli_main(
            ["grade", str(root), "--questions", QUESTIONS, "--json", str(out), *extra]
        )
    assert status == 0
    return json.loads(out.read_text(encoding="utf-8")), printed.getvalue()


def _by_student(report: dict) -> dict[str, dict]:
    """Index a JSON report's submissions by student."""
    return {item["student"]: item for item in report["submissions"]}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Grade every case once and return the submissions by student name."""
    root = tmp_path_factory.mktemp("submissions") / "lesson99"
    honest, blank = _mkdir(root / "honest"), _mkdir(root / "not_attempted")
    shutil.copy(FIXTURES / "solutions" / "99_demo_solutions.ipynb", honest / NOTEBOOK)
    shutil.copy(FIXTURES / "exercises" / NOTEBOOK, blank / NOTEBOOK)
    for student, cells in CASES.items():
        _write_notebook(root / student / NOTEBOOK, cells)
    slow = root.parent / "slow99"
    for student, cells in SLOW_CASES.items():
        _write_notebook(slow / student / NOTEBOOK, cells)
    # The hanging notebooks mostly wait: grade them in a parallel process.
    slow_json = slow.parent / "slow99.json"
    slow_run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ehrpriv",
            "grade",
            str(slow),
            "--questions",
            QUESTIONS,
            "--json",
            str(slow_json),
            "--cell-timeout",
            "2",
            "--timeout",
            "60",
            "--check-timeout",
            "5",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        report, table = _grade(
            root, "--cell-timeout", "60", "--timeout", "180", "--check-timeout", "60"
        )
    finally:
        assert slow_run.wait(timeout=300) == 0
    slow_report = json.loads(slow_json.read_text(encoding="utf-8"))
    students = {**_by_student(report), **_by_student(slow_report)}
    students["_run"] = {"path": str(root), "table": table}
    return students


def _mkdir(path: Path) -> Path:
    """Create ``path`` (and parents) and return it."""
    path.mkdir(parents=True, exist_ok=True)
    return path


def _points(submission: dict) -> dict[str, int]:
    """Return question id -> points of one submission."""
    return {q["question"]: q["points"] for q in submission["questions"]}


def _statuses(submission: dict) -> dict[str, str]:
    """Return question id -> status of one submission."""
    return {q["question"]: q["status"] for q in submission["questions"]}


def test_honest_submission_gets_full_points(graded):
    """The executed solution notebook earns every point of lesson 99."""
    honest = graded["honest"]
    assert honest["status"] == "completed"
    assert (honest["points"], honest["max_points"]) == (5, 5)
    assert all(q["seed"] is not None for q in honest["questions"])


def test_untouched_exercise_is_not_attempted(graded):
    """The generated exercise notebook reports every question as not attempted."""
    blank = graded["not_attempted"]
    assert set(_statuses(blank).values()) == {"not attempted"}
    assert blank["points"] == 0


def test_raising_submission_is_graded_past_errors(graded):
    """Errors in cells or answers cost only the questions they break."""
    raises = graded["raises"]
    assert _points(raises) == {
        "99.celsius": 2,
        "99.noisy_count": 0,
        "99.total_epsilon": 0,
    }
    noisy = raises["questions"][1]
    assert noisy["status"] == "failed" and "ValueError: boom" in noisy["message"]
    exits = raises["questions"][2]
    assert exits["status"] == "failed"
    assert "without a verdict" in exits["message"]
    assert any("ZeroDivisionError" in note for note in raises["notes"])


def test_infinite_loops_are_interrupted(graded):
    """A looping cell is interrupted and a looping answer times out, nothing more."""
    loops = graded["loops"]
    assert _points(loops) == {
        "99.celsius": 2,
        "99.noisy_count": 0,
        "99.total_epsilon": 1,
    }
    assert "timed out" in loops["questions"][1]["message"]
    assert any("time limit" in note for note in loops["notes"])


def test_kernel_ignoring_interrupts_cannot_hang_the_grader(graded):
    """A kernel stuck after a swallowed interrupt is killed; its answers are lost."""
    stuck = graded["ignores_interrupts"]
    assert stuck["points"] == 0
    assert set(_statuses(stuck).values()) == {"not attempted"}
    assert stuck["seconds"] < 40


def test_printed_and_stored_fake_verdicts_are_ignored(graded):
    """Fake "passed" lines, in the kernel or printed by the answer, earn nothing."""
    fake = graded["fake_output"]
    assert fake["points"] == 0
    assert _statuses(fake) == {
        "99.celsius": "failed",
        "99.noisy_count": "failed",
        "99.total_epsilon": "failed",
    }


def test_monkeypatched_grading_in_kernel_has_no_effect(graded):
    """Replacing run_check, check and the checks in the kernel earns nothing."""
    patched = graded["monkeypatch"]
    assert patched["points"] == 0
    assert set(_statuses(patched).values()) == {"failed"}


def test_edited_or_deleted_check_cells_are_still_graded(graded):
    """Every registered question is graded whatever happened to its check cell."""
    edited = graded["edited_checks"]
    assert _points(edited) == {
        "99.celsius": 2,
        "99.noisy_count": 0,
        "99.total_epsilon": 1,
    }


def test_hard_coded_answers_fail_on_hidden_inputs(graded):
    """Answers fitted to the values shown in the lesson fail the hidden inputs."""
    hardcoded = graded["hardcoded"]
    assert hardcoded["points"] == 0
    assert set(_statuses(hardcoded).values()) == {"failed"}


def test_deleting_files_does_not_break_grading(graded):
    """A notebook deleting its working copy keeps its earned points only."""
    deleter = graded["deletes_files"]
    assert _points(deleter) == {
        "99.celsius": 2,
        "99.noisy_count": 0,
        "99.total_epsilon": 0,
    }
    original = Path(graded["_run"]["path"]) / "deletes_files" / NOTEBOOK
    assert original.is_file()


def test_files_written_next_to_the_notebook_cannot_replace_the_checker(graded):
    """A forged ehrpriv package in the working folder is not what checks run."""
    shadow = graded["shadows_package"]
    assert shadow["points"] == 0
    assert _statuses(shadow)["99.celsius"] == "failed"


def test_killed_kernel_is_reported_not_fatal(graded):
    """A notebook that kills its kernel scores 0 and the run goes on."""
    killer = graded["kernel_killer"]
    assert killer["status"] == "kernel died"
    assert killer["points"] == 0


def test_grader_prints_a_score_table(graded):
    """The CLI prints students × questions with each student's total."""
    rows = {
        line.split()[0]: line.split()[1:]
        for line in graded["_run"]["table"].splitlines()
        if line.strip()
    }
    assert rows["student"] == [
        "99.celsius",
        "99.noisy_count",
        "99.total_epsilon",
        "total",
    ]
    assert rows["honest"] == ["2/2", "\u2714", "2/2", "\u2714", "1/1", "\u2714", "5/5"]
    assert rows["not_attempted"][-1] == "0/5" and "\u2026" in rows["not_attempted"]
    assert rows["!"] == ["kernel_killer:", "kernel", "died"]
