"""Generate exercise notebooks from solution notebooks (``ehrpriv exercises build``).

The solution notebook ``solutions/NN_topic_solutions.ipynb`` is the single source
of a lesson's exercises. Solution code sits between nbgrader's marker lines::

    def fahrenheit_to_celsius(fahrenheit):
        ### BEGIN SOLUTION
        return (fahrenheit - 32) * 5 / 9
        ### END SOLUTION

and the exercise notebook ``exercises/NN_topic_exercises.ipynb`` gets, at the
marker's indentation, nbgrader's prompt with a description::

    def fahrenheit_to_celsius(fahrenheit):
        # YOUR CODE HERE
        raise NotImplementedError("Complete fahrenheit_to_celsius().")

The description is the text after the marker (``### BEGIN SOLUTION: return the
temperature in Celsius``), or else derived from the code: ``Complete f().`` inside
a function, ``Define x.`` for names bound at the top of the cell. In Markdown
cells the region becomes ``YOUR ANSWER HERE``. Outputs, execution counts and
timing metadata are cleared, and a code cell whose prompt raises when the cell
runs (one not inside a ``def``) is tagged ``raises-exception`` so nbval expects
the error. The output is byte-for-byte what :func:`nbformat.write` writes, so
regenerating gives an empty git diff; ``--check`` (and :func:`check_exercises`)
reports exercise notebooks that drifted, are missing or have no solution.
"""

from __future__ import annotations

import argparse
import ast
import copy
import hashlib
import logging
import re
import sys
import textwrap
from pathlib import Path
from typing import Any

import nbformat

logger = logging.getLogger(__name__)

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
CODE_PROMPT = "# YOUR CODE HERE"
MARKDOWN_PROMPT = "YOUR ANSWER HERE"
RAISES_TAG = "raises-exception"
SOLUTION_SUFFIX = "_solutions"
EXERCISE_SUFFIX = "_exercises"

_LOOSE_MARKER = re.compile(r"^\s*#+\s*(BEGIN|END)\s*SOLUTION")
_DEF_LINE = re.compile(r"^\s*(?:async\s+)?def\s+([A-Za-z_]\w*)")
_MAGIC_LINE = re.compile(r"^(\s*)[%!]")
_TIMING_KEYS = ("execution", "ExecuteTime")
_LINE_LENGTH = 88


class MarkerError(ValueError):
    """Solution markers are unbalanced or malformed; names notebook, cell, line."""


def exercise_name(solution_name: str) -> str:
    """Return the exercise file name for a solution file name.

    Raises
    ------
    ValueError
        If the name does not end in ``_solutions.ipynb``.
    """
    stem = Path(solution_name).stem
    if Path(solution_name).suffix != ".ipynb" or not stem.endswith(SOLUTION_SUFFIX):
        raise ValueError(
            "solution notebook names must end in '_solutions.ipynb' (e.g. "
            f"'01_ehr_data_solutions.ipynb'); got {solution_name!r}."
        )
    return stem[: -len(SOLUTION_SUFFIX)] + EXERCISE_SUFFIX + ".ipynb"


def _marker(line: str, where: str) -> tuple[str, str] | None:
    """Classify ``line``: ``("begin", description)``, ``("end", "")`` or None."""
    if not _LOOSE_MARKER.match(line):
        return None
    text = line.strip()
    if text == END_SOLUTION:
        return "end", ""
    if text.startswith(BEGIN_SOLUTION):
        rest = text[len(BEGIN_SOLUTION) :]
        if not rest or rest[0] in ": \t":
            return "begin", rest.strip().lstrip(":").strip()
    raise MarkerError(
        f"{where}: malformed solution marker {text!r}; write exactly "
        f"{BEGIN_SOLUTION!r} (optionally followed by ': what to write') or "
        f"{END_SOLUTION!r} on a line of its own."
    )


def _python_source(source: str) -> str:
    """Return ``source`` with IPython magics and shell lines replaced by ``pass``."""
    if source.lstrip().startswith("%%"):
        return ""
    lines = []
    for line in source.split("\n"):
        match = _MAGIC_LINE.match(line)
        if match and not line.lstrip().startswith("#"):
            lines.append(match.group(1) + "pass")
        else:
            lines.append(line)
    return "\n".join(lines)


def _parse(source: str) -> ast.Module | None:
    """Parse cell code (magics neutralised), or return None if it is not Python."""
    try:
        return ast.parse(_python_source(source))
    except SyntaxError:
        return None


def _enclosing_function(tree: ast.Module | None, lineno: int) -> str | None:
    """Return the name of the innermost function whose body holds line ``lineno``."""
    best: tuple[int, str] | None = None
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            end = getattr(node, "end_lineno", None) or node.lineno
            if node.lineno < lineno <= end and (best is None or node.lineno > best[0]):
                best = (node.lineno, node.name)
    return best[1] if best else None


def _bound_names(region: list[str]) -> list[str]:
    """Return the names a solution region binds at its top level, in order."""
    try:
        tree = ast.parse(_python_source(textwrap.dedent("\n".join(region))))
    except SyntaxError:
        return []
    names: list[str] = []

    def add(target: ast.AST) -> None:
        """Collect plain names from an assignment target."""
        if isinstance(target, ast.Name) and target.id not in names:
            names.append(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                add(element)

    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                add(target)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            add(node.target)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name not in names:
                names.append(node.name)
    return names


def _describe_region(
    region: list[str], function: str | None, preceding: list[str], indent: str
) -> str:
    """Return the default description of what to write in a solution region."""
    if function is None and indent:
        for line in reversed(preceding):
            match = _DEF_LINE.match(line)
            if match and len(line) - len(line.lstrip()) < len(indent):
                function = match.group(1)
                break
    if function is not None:
        return f"Complete {function}()."
    names = _bound_names(region)
    if names:
        listed = ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]
        return f"Define {listed}."
    return "Write your code here."


def _stub(indent: str, description: str) -> list[str]:
    """Return the prompt lines replacing a code solution region."""
    text = description.replace("\\", "\\\\").replace('"', '\\"')
    single = f'{indent}raise NotImplementedError("{text}")'
    if len(single) <= _LINE_LENGTH:
        return [indent + CODE_PROMPT, single]
    width = _LINE_LENGTH - len(indent) - 6
    chunks = textwrap.wrap(text, width=width, drop_whitespace=False) or [""]
    lines = [indent + CODE_PROMPT, f"{indent}raise NotImplementedError("]
    lines += [f'{indent}    "{chunk}"' for chunk in chunks]
    lines.append(f"{indent})")
    return lines


def _replace_regions(
    source: str, *, markdown: bool, where: str
) -> tuple[str, list[int], bool]:
    """Replace solution regions in one cell's source.

    Returns the new source, the 1-based line numbers of the ``raise`` lines of
    the code prompts, and whether any region was found.
    """
    lines = source.split("\n")
    tree = None if markdown else _parse(source)
    out: list[str] = []
    raises: list[int] = []
    begin: tuple[int, str, str] | None = None
    region: list[str] = []
    found = False
    for lineno, line in enumerate(lines, start=1):
        kind = _marker(line, f"{where}, line {lineno}")
        if kind is None:
            if begin is None:
                out.append(line)
            else:
                region.append(line)
            continue
        if kind[0] == "begin":
            if begin is not None:
                raise MarkerError(
                    f"{where}, line {lineno}: {BEGIN_SOLUTION!r} inside the region "
                    f"opened at line {begin[0]}; close it with {END_SOLUTION!r} first."
                )
            indent = line[: len(line) - len(line.lstrip())]
            begin, region = (lineno, indent, kind[1]), []
            continue
        if begin is None:
            raise MarkerError(
                f"{where}, line {lineno}: {END_SOLUTION!r} has no matching "
                f"{BEGIN_SOLUTION!r} before it."
            )
        start, indent, description = begin
        found = True
        if markdown:
            out.append(indent + MARKDOWN_PROMPT)
        else:
            description = description or _describe_region(
                region, _enclosing_function(tree, start), out, indent
            )
            stub = _stub(indent, description)
            raises.append(len(out) + 2)
            out.extend(stub)
        begin = None
    if begin is not None:
        raise MarkerError(
            f"{where}, line {begin[0]}: {BEGIN_SOLUTION!r} is never closed by "
            f"{END_SOLUTION!r}."
        )
    return "\n".join(out), raises, found


def _function_spans(tree: ast.Module) -> list[tuple[int, int]]:
    """Return the (first, last) lines of every function or lambda in ``tree``."""
    return [
        (node.lineno, getattr(node, "end_lineno", None) or node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
    ]


def _raises_on_run(source: str, raise_lines: list[int], stubbed: set[str]) -> bool:
    """Whether running the exercise cell reaches a prompt's ``raise``.

    True when a prompt lies outside every function (it runs with the cell), or
    when the cell's top-level code calls a function whose body is a prompt
    (``stubbed``, collected from this and earlier cells, is updated).
    """
    tree = _parse(source)
    if tree is None:
        lines = source.split("\n")
        return any(not lines[n - 1][:1].isspace() for n in raise_lines)
    spans = _function_spans(tree)
    outside = any(not any(a < n <= b for a, b in spans) for n in raise_lines)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            end = getattr(node, "end_lineno", None) or node.lineno
            if any(node.lineno < n <= end for n in raise_lines):
                stubbed.add(node.name)
    calls = any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in stubbed
        and not any(a < node.lineno <= b for a, b in spans)
        for node in ast.walk(tree)
    )
    return outside or calls


def _cell_ids(nb: nbformat.NotebookNode, seed: str) -> None:
    """Give every cell a deterministic id when the format has ids (4.5+)."""
    if (nb.get("nbformat"), nb.get("nbformat_minor", 0)) < (4, 5):
        for cell in nb.cells:
            cell.pop("id", None)
        return
    seen: set[str] = set()
    for index, cell in enumerate(nb.cells):
        cell_id = cell.get("id")
        if not cell_id or cell_id in seen:
            digest = hashlib.sha256(f"{seed}:{index}".encode()).hexdigest()
            cell_id = digest[:8]
            while cell_id in seen:
                digest = hashlib.sha256(digest.encode()).hexdigest()
                cell_id = digest[:8]
            cell["id"] = cell_id
        seen.add(cell_id)


def build_exercise(
    solution_nb: nbformat.NotebookNode | str | Path, *, name: str | None = None
) -> nbformat.NotebookNode:
    """Return the exercise notebook generated from a solution notebook.

    Parameters
    ----------
    solution_nb : NotebookNode, str or Path
        The solution notebook, or the path of one.
    name : str, optional
        How to name the notebook in error messages (default: its path, or
        ``"notebook"``).

    Returns
    -------
    NotebookNode
        A new notebook; ``solution_nb`` is not modified.

    Raises
    ------
    MarkerError
        If solution markers are unbalanced, nested or malformed; the message
        names the notebook, the cell index (from 0) and the line (from 1).
    """
    if isinstance(solution_nb, (str, Path)):
        name = name or str(solution_nb)
        solution_nb = nbformat.read(solution_nb, as_version=4)
    name = name or "notebook"
    nb = copy.deepcopy(solution_nb)
    nb.metadata.pop("widgets", None)
    stubbed: set[str] = set()
    for index, cell in enumerate(nb.cells):
        where = f"{name}: cell {index}"
        for key in _TIMING_KEYS:
            cell.metadata.pop(key, None)
        if cell.cell_type not in ("code", "markdown"):
            continue
        markdown = cell.cell_type == "markdown"
        source, raise_lines, found = _replace_regions(
            cell.source, markdown=markdown, where=where
        )
        if markdown:
            cell.source = source
            continue
        cell.outputs = []
        cell.execution_count = None
        if found:
            cell.source = source
        if found or stubbed:
            tags = list(cell.metadata.get("tags", []))
            raises = _raises_on_run(cell.source, raise_lines, stubbed)
            if raises and RAISES_TAG not in tags:
                cell.metadata["tags"] = [*tags, RAISES_TAG]
    _cell_ids(nb, Path(name).name)
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    """Return the text :func:`nbformat.write` writes for ``nb``."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def _solution_notebooks(solutions_dir: Path) -> list[Path]:
    """Return the notebooks in ``solutions_dir``, sorted (none if it is absent)."""
    if not solutions_dir.is_dir():
        return []
    return sorted(p for p in solutions_dir.glob("*.ipynb") if p.is_file())


def _expected(solutions_dir: Path) -> tuple[dict[str, str], list[str]]:
    """Return exercise name → rendered text, and the problems met building them."""
    expected: dict[str, str] = {}
    problems: list[str] = []
    for path in _solution_notebooks(solutions_dir):
        try:
            target = exercise_name(path.name)
            expected[target] = render(build_exercise(path))
        except MarkerError as error:
            problems.append(str(error))
        except ValueError as error:
            problems.append(f"{path}: {error}")
        except Exception as error:  # noqa: BLE001 - unreadable notebook
            problems.append(f"{path}: not a readable notebook ({error})")
    return expected, problems


def _read_text(path: Path) -> str | None:
    """Return a file's text with newlines normalised, or None if unreadable."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def check_exercises(solutions_dir: str | Path, exercises_dir: str | Path) -> list[str]:
    """List how ``exercises_dir`` differs from what the build would write.

    Parameters
    ----------
    solutions_dir, exercises_dir : str or Path
        The two folders; a folder that does not exist counts as empty.

    Returns
    -------
    list of str
        One problem per line: a missing, out-of-date or extra exercise notebook,
        a badly named solution notebook, or a marker error. Empty when the
        exercise notebooks are exactly what ``ehrpriv exercises build`` writes.
    """
    solutions_dir, exercises_dir = Path(solutions_dir), Path(exercises_dir)
    expected, problems = _expected(solutions_dir)
    for target, text in expected.items():
        path = exercises_dir / target
        actual = _read_text(path) if path.is_file() else None
        if actual is None:
            problems.append(f"{path}: missing; run `ehrpriv exercises build`")
        elif actual != text:
            problems.append(
                f"{path}: differs from what its solution notebook generates; "
                "run `ehrpriv exercises build`"
            )
    if exercises_dir.is_dir():
        for path in sorted(exercises_dir.glob("*.ipynb")):
            if path.name not in expected:
                stem = path.stem.removesuffix(EXERCISE_SUFFIX)
                source = solutions_dir / f"{stem}{SOLUTION_SUFFIX}.ipynb"
                problems.append(
                    f"{path}: extra; no solution notebook {source} generates it"
                )
    return problems


def build_exercises(
    solutions_dir: str | Path, exercises_dir: str | Path
) -> tuple[list[Path], list[str]]:
    """Write every exercise notebook generated from ``solutions_dir``.

    Files whose content is already right are left untouched.

    Returns
    -------
    written : list of Path
        The exercise notebooks (re)written.
    extra : list of str
        Exercise notebooks without a solution notebook (not deleted).

    Raises
    ------
    FileNotFoundError
        If ``solutions_dir`` does not exist.
    MarkerError, ValueError
        If a solution notebook has bad markers or a bad name; nothing is written.
    """
    solutions_dir, exercises_dir = Path(solutions_dir), Path(exercises_dir)
    if not solutions_dir.is_dir():
        raise FileNotFoundError(
            f"solutions_dir must be an existing folder of *_solutions.ipynb "
            f"notebooks; got {str(solutions_dir)!r}."
        )
    outputs: dict[str, str] = {}
    for path in _solution_notebooks(solutions_dir):
        outputs[exercise_name(path.name)] = render(build_exercise(path))
    written = []
    exercises_dir.mkdir(parents=True, exist_ok=True)
    for target, text in outputs.items():
        path = exercises_dir / target
        if _read_text(path) != text:
            with open(path, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            written.append(path)
            logger.info("wrote %s", path)
    extra = [
        str(path)
        for path in sorted(exercises_dir.glob("*.ipynb"))
        if path.name not in outputs
    ]
    return written, extra


def _main(args: argparse.Namespace) -> int:
    """Run ``ehrpriv exercises build`` and return the exit status."""
    if args.check:
        problems = check_exercises(args.solutions, args.exercises)
        for problem in problems:
            print(problem)
        if problems:
            print(
                f"ehrpriv exercises build --check: {len(problems)} problem(s)",
                file=sys.stderr,
            )
            return 1
        count = len(_solution_notebooks(Path(args.solutions)))
        print(f"{count} exercise notebook(s) up to date")
        return 0
    written, extra = build_exercises(args.solutions, args.exercises)
    for path in written:
        print(f"wrote {path}")
    for path in extra:
        print(f"warning: {path} has no solution notebook; delete it", file=sys.stderr)
    count = len(_solution_notebooks(Path(args.solutions)))
    print(f"{count} exercise notebook(s) built, {len(written)} changed")
    return 0


def register_cli(subparsers: Any) -> None:
    """Add ``ehrpriv exercises build`` to the command line."""
    parser = subparsers.add_parser(
        "exercises",
        help="generate exercise notebooks from solution notebooks",
        description="Generate exercises/*_exercises.ipynb from solutions/.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    build = actions.add_parser(
        "build",
        help="write (or --check) the exercise notebooks",
        description=(
            "Replace each '### BEGIN SOLUTION' ... '### END SOLUTION' region of "
            "every solutions/NN_topic_solutions.ipynb by a prompt and write "
            "exercises/NN_topic_exercises.ipynb."
        ),
    )
    build.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 listing exercise notebooks that differ, are "
        "missing or have no solution",
    )
    build.add_argument(
        "--solutions",
        default="solutions",
        metavar="DIR",
        help="folder of solution notebooks (default: solutions)",
    )
    build.add_argument(
        "--exercises",
        default="exercises",
        metavar="DIR",
        help="folder of exercise notebooks (default: exercises)",
    )
    build.set_defaults(func=_main)
