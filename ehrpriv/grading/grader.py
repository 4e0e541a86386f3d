"""``ehrpriv grade``: run submitted notebooks and grade them without trusting them.

For each submission the grader

1. copies the notebook's folder to a temporary directory (other notebooks left
   out) and executes the notebook there in a fresh ``python3`` kernel, with a
   per-cell and a total time limit, continuing past errors;
2. runs one extra cell in that kernel which cloudpickles the answer names the
   lesson's questions declare (those that exist) into a fresh directory;
3. grades every registered question of the lesson, whether or not its check cell
   survived, each in a fresh ``python -I`` subprocess
   (:mod:`ehrpriv.grading._worker`) with a timeout and a seed drawn from
   :mod:`secrets`, reading back one JSON verdict.

Nothing the notebook printed or stored is read. The student's kernel only ever
produces the answer objects; verdicts are computed elsewhere. What this does and
does not protect against is set out in :mod:`ehrpriv.grading` and docs/grading.md.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as _dt
import importlib.util
import json
import logging
import math
import os
import queue
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from ehrpriv import __version__
from ehrpriv._validation import check_int, check_real
from ehrpriv.grading._registry import (
    Question,
    check_lesson,
    load_questions,
    questions_for_lesson,
    registered_lessons,
)
from ehrpriv.grading._result import FAILED, NOT_ATTEMPTED, PASSED, STATUSES, one_line
from ehrpriv.grading._worker import EXPORT_INDEX

logger = logging.getLogger(__name__)
_kernel_log = logger.getChild("kernel")
_kernel_log.addHandler(logging.NullHandler())
_kernel_log.propagate = False

_LESSON_PREFIX = re.compile(r"^(\d{2})_")
_SKIPPED_DIRS = {".ipynb_checkpoints", ".git", "__pycache__"}
_MAX_OUTPUTS_PER_CELL = 100
_MAX_NOTES = 20
_WORKER_START_TIMEOUT = 120.0
_SYMBOLS = {PASSED: "\u2714", FAILED: "\u2718", NOT_ATTEMPTED: "\u2026"}

#: Submission statuses: how far the notebook got, independent of its score.
COMPLETED = "completed"
TIMED_OUT = "timed out"
KERNEL_DIED = "kernel died"
UNREADABLE = "unreadable"
GRADER_ERROR = "grader error"


@dataclass(frozen=True)
class Submission:
    """One notebook to grade, whose it is and which lesson it answers."""

    student: str
    notebook: Path
    lesson: str


@dataclass
class QuestionGrade:
    """The grade of one question in one submission."""

    question: str
    title: str
    status: str
    points: int
    max_points: int
    message: str
    seed: int | None
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """Return the grade as JSON-ready data."""
        return {
            "question": self.question,
            "title": self.title,
            "status": self.status,
            "points": self.points,
            "max_points": self.max_points,
            "message": self.message,
            "seed": self.seed,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class SubmissionReport:
    """Everything the grader found about one submission."""

    student: str
    notebook: str
    lesson: str
    status: str
    questions: list[QuestionGrade]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def points(self) -> int:
        """Points earned."""
        return sum(grade.points for grade in self.questions)

    @property
    def max_points(self) -> int:
        """Points available."""
        return sum(grade.max_points for grade in self.questions)

    def grade(self, question_id: str) -> QuestionGrade:
        """Return the grade of ``question_id``."""
        for grade in self.questions:
            if grade.question == question_id:
                return grade
        raise KeyError(question_id)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return {
            "student": self.student,
            "notebook": self.notebook,
            "lesson": self.lesson,
            "status": self.status,
            "points": self.points,
            "max_points": self.max_points,
            "seconds": round(self.seconds, 3),
            "notes": list(self.notes),
            "questions": [grade.to_dict() for grade in self.questions],
        }


@dataclass
class GradeReport:
    """The grades of every submission of one ``grade`` run."""

    submissions: list[SubmissionReport]
    settings: dict[str, Any]

    def student(self, name: str) -> SubmissionReport:
        """Return the (first) submission of student ``name``."""
        for report in self.submissions:
            if report.student == name:
                return report
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data for a gradebook."""
        return {
            "ehrpriv_version": __version__,
            "graded_at": _dt.datetime.now(_dt.timezone.utc).isoformat(
                timespec="seconds"
            ),
            "settings": dict(self.settings),
            "submissions": [report.to_dict() for report in self.submissions],
        }

    def format_table(self, *, verbose: bool = False) -> str:
        """Return one score table per lesson: students × questions, and totals."""
        blocks = []
        for lesson in sorted({report.lesson for report in self.submissions}):
            reports = [r for r in self.submissions if r.lesson == lesson]
            ids = [grade.question for grade in reports[0].questions]
            maxima = [grade.max_points for grade in reports[0].questions]
            header = ["student", *ids, "total"]
            rows = []
            for report in reports:
                cells = [
                    f"{grade.points}/{grade.max_points} {_SYMBOLS[grade.status]}"
                    for grade in report.questions
                ]
                total = f"{report.points}/{report.max_points}"
                rows.append([report.student, *cells, total])
            widths = [
                max(len(row[i]) for row in [header, *rows]) for i in range(len(header))
            ]
            lines = [
                f"Lesson {lesson}: {len(ids)} questions, {sum(maxima)} points, "
                f"{len(reports)} submission{'s' if len(reports) != 1 else ''}"
            ]
            for row in [header, *rows]:
                lines.append(
                    "  ".join(
                        c.ljust(w) for c, w in zip(row, widths, strict=True)
                    ).rstrip()
                )
            lines.append(
                f"{_SYMBOLS[PASSED]} passed  {_SYMBOLS[FAILED]} failed  "
                f"{_SYMBOLS[NOT_ATTEMPTED]} not attempted"
            )
            for report in reports:
                if report.status != COMPLETED:
                    lines.append(f"! {report.student}: {report.status}")
                if verbose:
                    lines += [f"  {report.student}: {note}" for note in report.notes]
                    lines += [
                        f"  {report.student} {g.question}: {g.status}: {g.message}"
                        for g in report.questions
                        if g.status != PASSED and g.message
                    ]
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks) if blocks else "No submissions."


def _lesson_of(notebook: Path) -> str | None:
    """Return the ``NN`` prefix of a notebook's file name, if it has one."""
    match = _LESSON_PREFIX.match(notebook.name)
    return match.group(1) if match else None


def _student_of(notebook: Path) -> str:
    """Name a notebook's student: its stem, or its folder if it kept the course name.

    A file still called ``..._exercises.ipynb`` (or ``..._solutions.ipynb``) is
    every student's copy of the same notebook, so the folder holding it names the
    student instead.
    """
    if notebook.stem.endswith(("_exercises", "_solutions")):
        return notebook.resolve().parent.name
    return notebook.stem


def _visible(path: Path, root: Path) -> bool:
    """Whether ``path`` below ``root`` avoids hidden and checkpoint folders."""
    parts = path.relative_to(root).parts[:-1]
    return not any(p.startswith(".") or p in _SKIPPED_DIRS for p in parts)


def find_submissions(
    paths: Sequence[str | Path], *, lesson: str | int | None = None
) -> list[Submission]:
    """Resolve PATH arguments into submissions, naming each student.

    Parameters
    ----------
    paths : sequence of str or Path
        Notebooks or folders. In a folder, each subfolder is one student named
        by the subfolder, whose notebooks (at any depth) are that student's
        submissions; each notebook directly inside the folder, and each notebook
        given directly, is one student named by its file stem, except that a
        notebook still carrying the course's name (``NN_topic_exercises.ipynb``
        or ``..._solutions.ipynb``) is named after the folder holding it. So
        ``grade subs/`` and ``grade subs/*/`` both name students by folder.
    lesson : str or int, optional
        Grade every notebook as this lesson. By default the lesson is the ``NN_``
        prefix of the notebook's file name; notebooks found in folders without a
        prefix (or, with ``lesson``, with another lesson's prefix) are skipped
        with a warning.

    Returns
    -------
    list of Submission
        In the order given, folders sorted by name. If a student has two
        notebooks of the same lesson, both are kept, labelled ``student/stem``.

    Raises
    ------
    FileNotFoundError
        If a path does not exist.
    ValueError
        If a file is not a notebook, a notebook given directly has no lesson, or
        nothing is left to grade.
    """
    wanted = None if lesson is None else check_lesson(lesson)
    found: list[tuple[str, Path, bool]] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise FileNotFoundError(
                f"PATH must be a notebook or a folder of notebooks; got {str(raw)!r}, "
                "which does not exist."
            )
        if path.is_file():
            if path.suffix != ".ipynb":
                raise ValueError(
                    f"PATH must be a .ipynb notebook or a folder; got {str(raw)!r}."
                )
            found.append((_student_of(path), path, True))
            continue
        for notebook in sorted(path.glob("*.ipynb")):
            if notebook.is_file():
                found.append((_student_of(notebook), notebook, False))
        for folder in sorted(p for p in path.iterdir() if p.is_dir()):
            if folder.name.startswith(".") or folder.name in _SKIPPED_DIRS:
                continue
            for notebook in sorted(folder.rglob("*.ipynb")):
                if notebook.is_file() and _visible(notebook, folder):
                    found.append((folder.name, notebook, False))
    submissions = []
    for student, notebook, explicit in found:
        prefix = _lesson_of(notebook)
        if wanted is not None and (explicit or prefix in (None, wanted)):
            submissions.append(Submission(student, notebook, wanted))
        elif wanted is None and prefix is not None:
            submissions.append(Submission(student, notebook, prefix))
        elif explicit:
            raise ValueError(
                f"the lesson of {str(notebook)!r} must be given by a file name "
                "starting with 'NN_' (e.g. 01_ehr_data_exercises.ipynb) or by "
                "--lesson NN; it has neither."
            )
        else:
            reason = (
                "its name does not start with a lesson number NN_ (see --lesson)"
                if wanted is None
                else f"it is a lesson {prefix} notebook, not {wanted}"
            )
            logger.warning("skipping %s: %s", notebook, reason)
    if not submissions:
        shown = ", ".join(str(p) for p in paths)
        raise ValueError(
            f"PATH must contain at least one notebook to grade; found none in {shown}."
        )
    counts: dict[tuple[str, str], int] = {}
    for item in submissions:
        key = (item.student, item.lesson)
        counts[key] = counts.get(key, 0) + 1
    return [
        Submission(f"{s.student}/{s.notebook.stem}", s.notebook, s.lesson)
        if counts[(s.student, s.lesson)] > 1
        else s
        for s in submissions
    ]


def _copy_folder(notebook: Path, destination: Path) -> Path:
    """Copy the notebook's folder, minus other notebooks; return the copy's path."""
    source = notebook.parent

    def ignore(folder: str, names: list[str]) -> set[str]:
        """Leave out other notebooks, checkpoints and other students' folders."""
        skipped = set()
        for name in names:
            path = Path(folder, name)
            if name in _SKIPPED_DIRS or name.startswith("."):
                skipped.add(name)
            elif name.endswith(".ipynb") and path != notebook:
                skipped.add(name)
            elif path.is_dir() and not path.is_symlink() and any(path.rglob("*.ipynb")):
                skipped.add(name)
        return skipped

    shutil.copytree(source, destination, symlinks=True, ignore=ignore)
    return destination / notebook.name


def _export_source(names: list[str], directory: Path, tag: str) -> str:
    """Return the cell that cloudpickles the answer ``names`` into ``directory``."""
    function = f"_ehrpriv_export_{tag}"
    return f"""\
def {function}(names, directory):
    import json
    import os

    import cloudpickle

    namespace = globals()
    index = {{}}
    for name in names:
        if name not in namespace:
            index[name] = "missing"
            continue
        try:
            data = cloudpickle.dumps(namespace[name])
        except BaseException as error:
            index[name] = type(error).__name__ + ": " + str(error)[:300]
            continue
        with open(os.path.join(directory, name + ".pkl"), "wb") as handle:
            handle.write(data)
        index[name] = "ok"
    with open(os.path.join(directory, {EXPORT_INDEX!r}), "w") as handle:
        json.dump(index, handle)


{function}({names!r}, {str(directory)!r})
del {function}
"""


def _make_client(nb: nbformat.NotebookNode, kernel_name: str) -> Any:
    """Return an nbclient NotebookClient that caps outputs and never raises."""
    from nbclient import NotebookClient

    class _Client(NotebookClient):
        """NotebookClient keeping at most a few outputs per cell."""

        def output(self, outs, msg, display_id, cell_index):  # type: ignore[override]
            """Drop outputs past the cap, so a printing loop cannot exhaust memory."""
            if len(outs) >= _MAX_OUTPUTS_PER_CELL:
                return None
            return super().output(outs, msg, display_id, cell_index)

    return _Client(
        nb,
        kernel_name=kernel_name,
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={
            "ename": "CellTimeoutError",
            "evalue": "ehrpriv grade: the cell exceeded its time limit",
            "traceback": [],
        },
        record_timing=False,
        shutdown_kernel="immediate",
        startup_timeout=120,
        iopub_timeout=1,
        log=_kernel_log,
    )


def _run_notebook(
    notebook: Path,
    workdir: Path,
    names: list[str],
    *,
    kernel_name: str,
    timeout: float,
    cell_timeout: float,
    notes: list[str],
) -> tuple[str, Path | None]:
    """Execute ``notebook`` in ``workdir`` and export ``names``.

    Returns the submission status and the folder holding the exported answers,
    created only after the notebook ran (None if nothing was exported).
    """
    from nbclient.exceptions import DeadKernelError

    try:
        nb = nbformat.read(notebook, as_version=4)
    except Exception as error:  # noqa: BLE001 - any unreadable file
        notes.append(f"could not read the notebook: {one_line(error, 200)}")
        return UNREADABLE, None
    client = _make_client(nb, kernel_name)
    timed_out: list[int] = []
    errors: list[str] = []

    def on_cell_executed(cell: Any, cell_index: int, execute_reply: Any) -> None:
        """Record cells that timed out or raised."""
        content = (execute_reply or {}).get("content", {})
        if content.get("status") != "error":
            return
        if content.get("ename") == "CellTimeoutError":
            timed_out.append(cell_index)
        else:
            errors.append(f"cell {cell_index}: {content.get('ename')}")

    client.on_cell_executed = on_cell_executed
    env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1")
    status = COMPLETED
    try:
        context = client.setup_kernel(
            cwd=str(workdir),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        context.__enter__()
    except Exception as error:  # noqa: BLE001 - the kernel did not start
        notes.append(f"the kernel did not start: {one_line(error, 200)}")
        return GRADER_ERROR, None
    try:
        deadline = time.monotonic() + timeout
        for index, cell in enumerate(nb.cells):
            if cell.get("cell_type") != "code":
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                notes.append(
                    f"total time limit of {timeout:g} s reached before cell {index}; "
                    "later cells were not run"
                )
                status = TIMED_OUT
                break
            client.timeout = max(1, math.ceil(min(cell_timeout, remaining)))
            try:
                client.execute_cell(cell, index)
            except DeadKernelError:
                notes.append(f"the kernel died while running cell {index}")
                return KERNEL_DIED, None
            except Exception as error:  # noqa: BLE001 - keep grading
                notes.append(f"cell {index} could not be run: {one_line(error, 200)}")
        for index in timed_out:
            notes.append(f"cell {index} exceeded its time limit and was interrupted")
        if errors:
            shown = "; ".join(errors[:5]) + ("; ..." if len(errors) > 5 else "")
            notes.append(f"{len(errors)} cell(s) raised: {shown}")
        if timed_out and status == COMPLETED and time.monotonic() >= deadline:
            status = TIMED_OUT
        answers_dir = Path(tempfile.mkdtemp(prefix="ehrpriv-answers-"))
        export = nbformat.v4.new_code_cell(
            _export_source(names, answers_dir, secrets.token_hex(4))
        )
        nb.cells.append(export)
        client.timeout = max(5, math.ceil(cell_timeout))
        try:
            client.execute_cell(export, len(nb.cells) - 1, store_history=False)
        except DeadKernelError:
            notes.append("the kernel died while the answers were exported")
            return KERNEL_DIED, answers_dir
        except Exception as error:  # noqa: BLE001 - reported below
            notes.append(f"exporting the answers failed: {one_line(error, 200)}")
        if not (answers_dir / EXPORT_INDEX).is_file():
            notes.append(
                "the answers could not be exported (the kernel was busy or the "
                "export cell failed)"
            )
        return status, answers_dir
    finally:
        try:
            context.__exit__(None, None, None)
        except Exception:  # noqa: BLE001 - the kernel is gone either way
            logger.debug("kernel cleanup failed", exc_info=True)


def _worker_command() -> list[str]:
    """Return the command that starts a check worker in isolated mode.

    ``-I`` keeps the submission's folder (the worker's working directory) and
    PYTHON* variables off ``sys.path``; the grader's own ``sys.path`` (minus the
    current directory) is handed over so the worker imports the same ``ehrpriv``.
    """
    cwd = os.getcwd()
    paths = [p for p in sys.path if p and os.path.abspath(p) != cwd]
    bootstrap = (
        f"import sys, runpy; sys.path[:] = {paths!r}; "
        "runpy.run_module('ehrpriv.grading._worker', run_name='__main__', "
        "alter_sys=True)"
    )
    return [sys.executable, "-I", "-c", bootstrap]


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill ``process`` and anything it started in its session."""
    try:
        if os.name == "posix":
            os.killpg(process.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            process.kill()
    except (ProcessLookupError, PermissionError, OSError):
        pass


def _read_tail(path: Path, limit: int = 4096) -> str:
    """Return up to the last ``limit`` bytes of ``path`` as text ('' if unreadable)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - limit))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _channel_reader(stream: Any, lines: queue.Queue[str | None]) -> None:
    """Forward the worker's channel line by line (at most 64 KiB), then None."""
    budget = 65536
    try:
        for raw in iter(stream.readline, b""):
            budget -= len(raw)
            if budget < 0:
                break
            lines.put(raw.decode("utf-8", "replace"))
    except (OSError, ValueError):
        pass
    finally:
        lines.put(None)


_CLOSED = "closed"
_EXPIRED = "expired"


def _next_message(
    lines: queue.Queue[str | None], nonce: str, deadline: float
) -> dict[str, Any] | str:
    """Return the next JSON message carrying ``nonce`` before ``deadline``.

    Returns :data:`_CLOSED` when the channel closes first, :data:`_EXPIRED` when
    the deadline passes first.
    """
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return _EXPIRED
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            return _EXPIRED
        if line is None:
            return _CLOSED
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict) and message.get("nonce") == nonce:
            return message


def _run_worker(
    question: Question,
    *,
    answers_dir: Path,
    cwd: Path,
    seed: int,
    modules: list[str],
    check_timeout: float,
    command: list[str],
) -> tuple[str, str]:
    """Run one check in a fresh subprocess; return ``(status, message)``.

    The worker reports ``ready`` once Python and the question are loaded, before
    any student code; ``check_timeout`` counts from then, so a slow start on a
    busy machine does not count against the student.
    """
    nonce = secrets.token_hex(16)
    request = json.dumps(
        {
            "question": question.id,
            "answers_dir": str(answers_dir),
            "seed": seed,
            "modules": modules,
            "nonce": nonce,
        }
    )
    err_path = answers_dir / f"worker-{question.id.replace('.', '_')}-{nonce[:8]}.err"
    lines: queue.Queue[str | None] = queue.Queue()
    with open(err_path, "wb") as err:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            cwd=cwd,
            start_new_session=os.name == "posix",
        )
    reader = threading.Thread(
        target=_channel_reader, args=(process.stdout, lines), daemon=True
    )
    reader.start()
    try:
        assert process.stdin is not None
        try:
            process.stdin.write(request.encode())
            process.stdin.close()
        except OSError:
            pass
        start_deadline = time.monotonic() + max(_WORKER_START_TIMEOUT, check_timeout)
        message = _next_message(lines, nonce, start_deadline)
        if isinstance(message, dict) and message.get("ready"):
            message = _next_message(lines, nonce, time.monotonic() + check_timeout)
            if message == _EXPIRED:
                return FAILED, (
                    f"the check timed out after {check_timeout:g} s "
                    "(does the answer loop forever or run very slowly?)"
                )
        elif message == _EXPIRED:
            return FAILED, "grading error: the check process did not start in time"
    finally:
        _kill_group(process)
        process.wait()
        reader.join(timeout=5)
        if process.stdout is not None:
            process.stdout.close()
    if isinstance(message, dict) and "status" in message:
        status, text = message.get("status"), one_line(message.get("message", ""))
        if status in STATUSES:
            return status, text
        return FAILED, f"grading error: {text}"
    tail = one_line(_read_tail(err_path)[-300:], 300)
    return FAILED, (
        f"the check process ended without a verdict (exit code {process.returncode})"
        + (f": {tail}" if tail else "")
    )


def grade_submission(
    submission: Submission,
    *,
    timeout: float = 600.0,
    cell_timeout: float = 120.0,
    check_timeout: float = 60.0,
    question_modules: Sequence[str] = (),
    jobs: int = 1,
    kernel_name: str = "python3",
    slots: threading.Semaphore | None = None,
) -> SubmissionReport:
    """Run one submission and grade every registered question of its lesson.

    See :func:`grade` for the parameters; ``question_modules`` must already be
    loaded in this process. ``slots`` bounds the check subprocesses running at
    once across submissions graded in parallel.
    """
    started = time.monotonic()
    questions = questions_for_lesson(submission.lesson)
    names = sorted({q.answer for q in questions})
    notes: list[str] = []
    scratch = Path(tempfile.mkdtemp(prefix="ehrpriv-grade-"))
    answers_dir: Path | None = None
    try:
        workdir = scratch / "work"
        try:
            copied = _copy_folder(submission.notebook, workdir)
        except OSError as error:
            notes.append(f"copied the notebook alone: {one_line(error, 200)}")
            workdir.mkdir(parents=True, exist_ok=True)
            copied = Path(shutil.copy2(submission.notebook, workdir))
        status, answers_dir = _run_notebook(
            copied,
            workdir,
            names,
            kernel_name=kernel_name,
            timeout=timeout,
            cell_timeout=cell_timeout,
            notes=notes,
        )
        grades = _grade_questions(
            questions,
            answers_dir=answers_dir,
            reason=notes[-1] if notes else "",
            cwd=workdir,
            modules=list(question_modules),
            check_timeout=check_timeout,
            jobs=jobs,
            slots=slots or threading.Semaphore(jobs),
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if answers_dir is not None:
            shutil.rmtree(answers_dir, ignore_errors=True)
    return SubmissionReport(
        student=submission.student,
        notebook=str(submission.notebook),
        lesson=submission.lesson,
        status=status,
        questions=grades,
        notes=notes[:_MAX_NOTES],
        seconds=time.monotonic() - started,
    )


def _grade_questions(
    questions: list[Question],
    *,
    answers_dir: Path | None,
    reason: str,
    cwd: Path,
    modules: list[str],
    check_timeout: float,
    jobs: int,
    slots: threading.Semaphore,
) -> list[QuestionGrade]:
    """Grade each question in its own worker (or mark all not attempted)."""
    if answers_dir is None or not (answers_dir / EXPORT_INDEX).is_file():
        return [
            QuestionGrade(
                q.id,
                q.title,
                NOT_ATTEMPTED,
                0,
                q.points,
                f"no answers: {reason}",
                None,
                0.0,
            )
            for q in questions
        ]
    command = _worker_command()

    def run(question: Question) -> QuestionGrade:
        """Grade ``question`` on a fresh secret seed."""
        seed = secrets.randbits(63)
        with slots:
            begin = time.monotonic()
            status, message = _run_worker(
                question,
                answers_dir=answers_dir,
                cwd=cwd if cwd.is_dir() else answers_dir,
                seed=seed,
                modules=modules,
                check_timeout=check_timeout,
                command=command,
            )
        points = question.points if status == PASSED else 0
        return QuestionGrade(
            question.id,
            question.title,
            status,
            points,
            question.points,
            message,
            seed,
            time.monotonic() - begin,
        )

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(run, questions))


def grade(
    paths: Sequence[str | Path],
    *,
    lesson: str | int | None = None,
    timeout: float = 600.0,
    cell_timeout: float = 120.0,
    check_timeout: float = 60.0,
    questions: Sequence[str | Path] = (),
    jobs: int | None = None,
    kernel_name: str = "python3",
    progress: Callable[[str], None] | None = None,
) -> GradeReport:
    """Grade every submission found in ``paths``.

    Parameters
    ----------
    paths : sequence of str or Path
        Notebooks or folders; see :func:`find_submissions` for student names.
    lesson : str or int, optional
        Lesson of every submission; by default each notebook's ``NN_`` prefix.
    timeout : float
        Total seconds for one notebook's cells (the kernel start is not counted).
    cell_timeout : float
        Seconds for one cell before it is interrupted; later cells still run.
    check_timeout : float
        Seconds for one question's check subprocess.
    questions : sequence of str or Path
        Extra question modules (names or ``.py`` paths) besides the built-in ones.
    jobs : int, optional
        Submissions graded at once, and check subprocesses run at once; by
        default the CPU count, at most 4. Time limits are wall-clock, so on a
        busy machine use fewer jobs or longer limits.
    kernel_name : str
        Jupyter kernel to run notebooks in; it must use this Python.
    progress : callable, optional
        Called with one line of text after each submission.

    Returns
    -------
    GradeReport
        Per-student, per-question points, statuses, messages and seeds.

    Raises
    ------
    ValueError
        If a setting is out of range, a lesson has no registered questions, or
        no notebook is found.
    FileNotFoundError
        If a path does not exist.
    ModuleNotFoundError
        If cloudpickle, the kernel or a question module is missing.
    """
    timeout = check_real("timeout", timeout, low=0, low_inclusive=False)
    cell_timeout = check_real("cell_timeout", cell_timeout, low=0, low_inclusive=False)
    check_timeout = check_real(
        "check_timeout", check_timeout, low=0, low_inclusive=False
    )
    jobs = (
        min(4, os.cpu_count() or 1) if jobs is None else check_int("jobs", jobs, low=1)
    )
    if importlib.util.find_spec("cloudpickle") is None:
        raise ModuleNotFoundError(
            "ehrpriv grade needs cloudpickle to export answers: pip install cloudpickle"
        )
    _check_kernel(kernel_name)
    modules = [
        str(Path(q).resolve()) if str(q).endswith(".py") else str(q) for q in questions
    ]
    load_questions(*modules)
    submissions = find_submissions(paths, lesson=lesson)
    for item in submissions:
        if not questions_for_lesson(item.lesson):
            known = ", ".join(registered_lessons()) or "none"
            raise ValueError(
                f"lesson must have registered questions (lessons with questions: "
                f"{known}); got lesson {item.lesson!r} for {str(item.notebook)!r}."
            )
    settings = {
        "timeout": timeout,
        "cell_timeout": cell_timeout,
        "check_timeout": check_timeout,
        "kernel_name": kernel_name,
        "question_modules": modules,
        "jobs": jobs,
    }
    slots = threading.Semaphore(jobs)
    done = 0
    lock = threading.Lock()

    def run(item: Submission) -> SubmissionReport:
        """Grade one submission and report progress."""
        nonlocal done
        report = grade_submission(
            item,
            timeout=timeout,
            cell_timeout=cell_timeout,
            check_timeout=check_timeout,
            question_modules=modules,
            jobs=jobs,
            kernel_name=kernel_name,
            slots=slots,
        )
        with lock:
            done += 1
            if progress is not None:
                progress(
                    f"[{done}/{len(submissions)}] {report.student} "
                    f"({item.notebook.name}): {report.points}/{report.max_points} "
                    f"points, {report.status}, {report.seconds:.1f} s"
                )
        return report

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        reports = list(pool.map(run, submissions))
    return GradeReport(submissions=reports, settings=settings)


def _check_kernel(kernel_name: str) -> None:
    """Raise if the kernelspec ``kernel_name`` is not installed."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        raise ModuleNotFoundError(
            f"kernel_name must be an installed Jupyter kernel; got {kernel_name!r}. "
            f"Install it with: {sys.executable} -m ipykernel install --sys-prefix"
        ) from None


def _positive(text: str) -> float:
    """Parse a positive number of seconds for argparse."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not seconds > 0:
        raise argparse.ArgumentTypeError(
            f"must be a positive number of seconds; got {text!r}"
        )
    return seconds


def register_cli(subparsers: Any) -> None:
    """Add ``ehrpriv grade`` to the command line."""
    parser = subparsers.add_parser(
        "grade",
        help="grade submitted exercise notebooks",
        description=(
            "Run each submitted notebook in a fresh kernel and grade every question "
            "of its lesson in a separate process on hidden inputs. Each subfolder "
            "of a PATH folder is one student, named by the subfolder; any other "
            "notebook is one student, named by its file stem, or by its folder if "
            "it is still called NN_topic_exercises.ipynb."
        ),
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="notebook, folder of notebooks or of student folders",
    )
    parser.add_argument(
        "--json",
        metavar="OUT",
        dest="json_out",
        help="also write the grades, statuses, messages and seeds as JSON",
    )
    parser.add_argument(
        "--timeout",
        type=_positive,
        default=600.0,
        metavar="S",
        help="total seconds for one notebook's cells (default 600)",
    )
    parser.add_argument(
        "--cell-timeout",
        type=_positive,
        default=120.0,
        metavar="S",
        help="seconds for one cell before it is interrupted (default 120)",
    )
    parser.add_argument(
        "--check-timeout",
        type=_positive,
        default=60.0,
        metavar="S",
        help="seconds for one question's check (default 60)",
    )
    parser.add_argument(
        "--lesson",
        metavar="NN",
        help="grade as lesson NN (default: the notebook name's NN_ prefix)",
    )
    parser.add_argument(
        "--questions",
        action="append",
        default=[],
        metavar="MODULE",
        help="extra question module, by name or .py path (repeatable)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="submissions (and checks) graded at once (default: CPUs, at most 4)",
    )
    parser.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="list notes and failure messages under the table",
    )
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    """Run ``ehrpriv grade`` and return the exit status."""
    try:
        report = grade(
            args.paths,
            lesson=args.lesson,
            timeout=args.timeout,
            cell_timeout=args.cell_timeout,
            check_timeout=args.check_timeout,
            questions=args.questions,
            jobs=args.jobs,
            progress=lambda line: print(line, file=sys.stderr, flush=True),
        )
    except ModuleNotFoundError as error:
        print(f"ehrpriv grade: error: {error}", file=sys.stderr)
        return 2
    print(report.format_table(verbose=args.verbose))
    if args.json_out:
        out = Path(args.json_out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(
            json.dumps(report.to_dict(), indent=1, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
    broken = [r.student for r in report.submissions if r.status == GRADER_ERROR]
    if broken:
        print(
            f"ehrpriv grade: could not grade {', '.join(broken)} (kernel did not "
            "start); re-run them",
            file=sys.stderr,
        )
        return 1
    return 0
