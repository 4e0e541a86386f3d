"""Tests for ehrpriv.exercises: exercise notebooks generated from solutions."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from ehrpriv.cli import main as cli_main
from ehrpriv.exercises import (
    MarkerError,
    build_exercise,
    check_exercises,
    exercise_name,
    render,
)

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
REPO = Path(__file__).resolve().parents[1]


def _notebook(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return a python3 notebook holding ``cells`` with fixed ids."""
    notebook = nbformat.v4.new_notebook(cells=list(cells))
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"c{index}"
    return notebook


def _code(source: str, **metadata: object) -> nbformat.NotebookNode:
    """Return a code cell with an output and an execution count, as if run."""
    cell = nbformat.v4.new_code_cell(source, execution_count=3, metadata=metadata)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n")]
    return cell


def _solutions(tmp_path: Path) -> tuple[Path, Path]:
    """Copy the fixture solutions to ``tmp_path``; return (solutions, exercises)."""
    solutions = tmp_path / "solutions"
    shutil.copytree(FIXTURES / "solutions", solutions)
    return solutions, tmp_path / "exercises"


def test_fixture_exercises_match_their_solutions():
    """The committed fixture exercise notebook is exactly what the build writes."""
    assert check_exercises(FIXTURES / "solutions", FIXTURES / "exercises") == []


def test_repository_exercises_are_up_to_date():
    """The repository's exercises/ is what solutions/ generates, with no strays."""
    problems = check_exercises(REPO / "solutions", REPO / "exercises")
    assert problems == []
    if not list((REPO / "solutions").glob("*_solutions.ipynb")):
        assert not list((REPO / "exercises").glob("*.ipynb"))


def test_function_region_becomes_an_indented_prompt():
    """A region inside a def becomes the nbgrader prompt at the same indentation."""
    source = (
        "def area(radius):\n"
        '    """Return the area."""\n'
        "    ### BEGIN SOLUTION\n"
        "    return 3.14159 * radius**2\n"
        "    ### END SOLUTION\n"
        "\n"
        "\n"
        "AREA = 1"
    )
    cell = build_exercise(_notebook(_code(source))).cells[0]
    assert cell.source == (
        "def area(radius):\n"
        '    """Return the area."""\n'
        "    # YOUR CODE HERE\n"
        '    raise NotImplementedError("Complete area().")\n'
        "\n"
        "\n"
        "AREA = 1"
    )
    assert "raises-exception" not in cell.metadata.get("tags", [])


def test_top_level_region_raises_and_is_tagged():
    """A region at column 0 becomes a raising prompt in a raises-exception cell."""
    source = "### BEGIN SOLUTION\nepsilon, delta = 1.0, 1e-5\n### END SOLUTION"
    cell = build_exercise(_notebook(_code(source, tags=["keep"]))).cells[0]
    assert cell.source == (
        '# YOUR CODE HERE\nraise NotImplementedError("Define epsilon and delta.")'
    )
    assert cell.metadata["tags"] == ["keep", "raises-exception"]


def test_marker_description_is_the_prompt_message():
    """Text after the BEGIN marker becomes the NotImplementedError message."""
    source = (
        'def noise(rng):\n    ### BEGIN SOLUTION: draw "Laplace" noise\n'
        "    return rng.laplace()\n    ### END SOLUTION"
    )
    cell = build_exercise(_notebook(_code(source))).cells[0]
    assert '    raise NotImplementedError("draw \\"Laplace\\" noise")' in cell.source


def test_long_prompt_is_wrapped_under_88_characters():
    """A long description is split over lines that stay within 88 characters."""
    words = "explain " * 30
    source = f"### BEGIN SOLUTION: {words}\nx = 1\n### END SOLUTION"
    cell = build_exercise(_notebook(_code(source))).cells[0]
    assert all(len(line) <= 88 for line in cell.source.splitlines())
    assert cell.source.splitlines()[1] == "raise NotImplementedError("
    compiled = compile(cell.source, "cell", "exec")
    assert compiled is not None


def test_cell_calling_a_stubbed_function_is_tagged():
    """A cell that calls a function whose body became a prompt expects the error."""
    notebook = _notebook(
        _code("def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION"),
        _code("f(2)"),
        _code("print('unrelated')"),
    )
    cells = build_exercise(notebook).cells
    assert "raises-exception" not in cells[0].metadata.get("tags", [])
    assert cells[1].metadata["tags"] == ["raises-exception"]
    assert "tags" not in cells[2].metadata


def test_outputs_counts_and_timing_are_cleared():
    """Code cells lose outputs, execution counts and timing metadata."""
    cell = _code("x = 1", execution={"iopub.status.busy": "2024"}, scrolled=True)
    built = build_exercise(_notebook(cell)).cells[0]
    assert built.outputs == [] and built.execution_count is None
    assert built.metadata == {"scrolled": True}


def test_markdown_region_becomes_your_answer_here():
    """A solution region in a Markdown cell becomes nbgrader's text prompt."""
    cell = nbformat.v4.new_markdown_cell(
        "Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"
    )
    assert build_exercise(_notebook(cell)).cells[0].source == "Why?\n\nYOUR ANSWER HERE"


def test_solution_notebook_is_not_modified():
    """Building an exercise leaves the solution notebook object unchanged."""
    notebook = nbformat.read(FIXTURES / "solutions" / "99_demo_solutions.ipynb", 4)
    before = render(notebook)
    build_exercise(notebook)
    assert render(notebook) == before


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = 1\n### END SOLUTION", "cell 1, line 2: '### END SOLUTION' has no"),
        ("### BEGIN SOLUTION\nx = 1", "cell 1, line 1: '### BEGIN SOLUTION' is never"),
        (
            "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION",
            "cell 1, line 2: '### BEGIN SOLUTION' inside the region opened at line 1",
        ),
        ("#### BEGIN SOLUTION\nx\n### END SOLUTION", "cell 1, line 1: malformed"),
        ("### BEGIN SOLUTIONS\nx\n### END SOLUTION", "malformed solution marker"),
    ],
    ids=["end-only", "begin-only", "nested", "four-hashes", "typo"],
)
def test_unbalanced_markers_name_notebook_cell_and_line(source, message):
    """Bad markers raise MarkerError naming the notebook, cell index and line."""
    notebook = _notebook(nbformat.v4.new_markdown_cell("intro"), _code(source))
    with pytest.raises(MarkerError) as error:
        build_exercise(notebook, name="solutions/05_he_solutions.ipynb")
    assert str(error.value).startswith("solutions/05_he_solutions.ipynb: cell 1")
    assert message in str(error.value)


def test_render_matches_nbformat_write(tmp_path):
    """The build writes exactly the bytes nbformat.write writes."""
    exercise = build_exercise(FIXTURES / "solutions" / "99_demo_solutions.ipynb")
    nbformat.write(exercise, tmp_path / "reference.ipynb")
    assert render(exercise) == (tmp_path / "reference.ipynb").read_text("utf-8")
    again = build_exercise(FIXTURES / "solutions" / "99_demo_solutions.ipynb")
    assert render(again) == render(exercise)


def test_missing_cell_ids_become_deterministic():
    """Cells without ids get the same generated ids on every build."""
    notebook = _notebook(_code("x = 1"), _code("y = 2"))
    for cell in notebook.cells:
        del cell["id"]
    first = [cell.id for cell in build_exercise(notebook, name="a").cells]
    second = [cell.id for cell in build_exercise(notebook, name="a").cells]
    assert first == second and len(set(first)) == 2


def test_exercise_name_replaces_the_suffix():
    """NN_topic_solutions.ipynb maps to NN_topic_exercises.ipynb; others are refused."""
    assert exercise_name("03_dp_solutions.ipynb") == "03_dp_exercises.ipynb"
    with pytest.raises(ValueError, match="must end in '_solutions.ipynb'"):
        exercise_name("03_dp.ipynb")


def test_check_reports_missing_stale_and_extra(tmp_path):
    """check_exercises lists a missing, an out-of-date and an extra notebook."""
    solutions, exercises = _solutions(tmp_path)
    exercises.mkdir()
    assert check_exercises(solutions, exercises) == [
        f"{exercises / '99_demo_exercises.ipynb'}: missing; run `ehrpriv exercises "
        "build`"
    ]
    (exercises / "99_demo_exercises.ipynb").write_text("{}", encoding="utf-8")
    (exercises / "42_old_exercises.ipynb").write_text("{}", encoding="utf-8")
    problems = check_exercises(solutions, exercises)
    assert "differs from what its solution notebook generates" in problems[0]
    assert problems[1] == (
        f"{exercises / '42_old_exercises.ipynb'}: extra; no solution notebook "
        f"{solutions / '42_old_solutions.ipynb'} generates it"
    )


def test_check_reports_marker_errors_and_bad_names(tmp_path):
    """Marker errors and misnamed solution notebooks are listed as problems."""
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    nbformat.write(
        _notebook(_code("### END SOLUTION")), solutions / "01_x_solutions.ipynb"
    )
    nbformat.write(_notebook(_code("x = 1")), solutions / "draft.ipynb")
    problems = check_exercises(solutions, tmp_path / "exercises")
    assert "01_x_solutions.ipynb: cell 0, line 1" in problems[0]
    assert "must end in '_solutions.ipynb'" in problems[1]


def test_cli_build_then_check(tmp_path, capsys):
    """`build` writes the notebooks; `--check` then passes, and fails on drift."""
    solutions, exercises = _solutions(tmp_path)
    dirs = ["--solutions", str(solutions), "--exercises", str(exercises)]
    assert cli_main(["exercises", "build", "--check", *dirs]) == 1
    assert "missing" in capsys.readouterr().out
    assert cli_main(["exercises", "build", *dirs]) == 0
    assert "wrote" in capsys.readouterr().out
    target = exercises / "99_demo_exercises.ipynb"
    assert target.read_text("utf-8") == (
        FIXTURES / "exercises" / "99_demo_exercises.ipynb"
    ).read_text("utf-8")
    stamp = target.stat().st_mtime_ns
    assert cli_main(["exercises", "build", *dirs]) == 0
    assert target.stat().st_mtime_ns == stamp
    assert cli_main(["exercises", "build", "--check", *dirs]) == 0
    target.write_text(
        target.read_text("utf-8").replace("YOUR CODE", "MY CODE"), "utf-8"
    )
    assert cli_main(["exercises", "build", "--check", *dirs]) == 1
    assert "differs" in capsys.readouterr().out


def test_cli_build_without_solutions_is_a_usage_error(tmp_path, capsys):
    """Building from a folder that does not exist exits 2 naming the folder."""
    missing = tmp_path / "nowhere"
    status = cli_main(["exercises", "build", "--solutions", str(missing)])
    assert status == 2
    assert "solutions_dir must be an existing folder" in capsys.readouterr().err
