"""What a check reports: one :class:`Result` per question, shown as one line."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

PASSED = "passed"
FAILED = "failed"
NOT_ATTEMPTED = "not attempted"
#: Every status a result can have.
STATUSES = (PASSED, FAILED, NOT_ATTEMPTED)

_SYMBOLS = {PASSED: "\u2714", FAILED: "\u2718", NOT_ATTEMPTED: "\u2026"}
_MAX_MESSAGE = 400


def one_line(text: Any, limit: int = _MAX_MESSAGE) -> str:
    """Return ``text`` as a single line of at most ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _current_cell() -> int | None:
    """Return IPython's execution count when running in IPython, else None."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return None if shell is None else shell.execution_count


class _ShownOnce:
    """Mixin: an object printed by ``check`` is not displayed again in that cell.

    ``check(...)`` prints its line and returns the object; when the call is the
    last expression of a cell, IPython would display the returned object a
    second time. ``_ipython_display_`` skips it in the cell that printed it, and
    shows it normally anywhere else.
    """

    _shown_in: int | None = None

    def _show(self) -> None:
        """Print the text form now and remember the cell that printed it."""
        print(self)
        self._shown_in = _current_cell()

    def _ipython_display_(self) -> None:
        """Display the text form unless this cell already printed it."""
        if self._shown_in is None or self._shown_in != _current_cell():
            print(self)


@dataclass(eq=False)
class Result(_ShownOnce):
    """The outcome of checking one answer.

    Attributes
    ----------
    question_id : str
        The question checked, e.g. ``"01.cohort_age"``.
    status : {"passed", "failed", "not attempted"}
        The verdict.
    points, max_points : int
        Points earned (``max_points`` when passed, else 0) and available.
    message : str
        The hint after a failure, or why the question counts as not attempted.
    seed : int or None
        The seed the hidden inputs were drawn from.
    hints : tuple of str
        The question's general hints.
    """

    question_id: str
    status: str
    points: int
    max_points: int
    message: str = ""
    seed: int | None = None
    hints: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        """Whether the answer passed."""
        return self.status == PASSED

    def line(self) -> str:
        """Return the one-line summary shown in the notebook."""
        symbol = _SYMBOLS.get(self.status, "?")
        verdict = self.status
        if self.status == FAILED and self.message:
            verdict = f"failed: {one_line(self.message)}"
        score = f"({self.points}/{self.max_points} points)"
        return f"{symbol} {self.question_id} \u2014 {verdict} {score}"

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data."""
        return {
            "question": self.question_id,
            "status": self.status,
            "points": self.points,
            "max_points": self.max_points,
            "message": self.message,
            "seed": self.seed,
        }

    def __str__(self) -> str:
        """Return :meth:`line`."""
        return self.line()

    def __repr__(self) -> str:
        """Return :meth:`line`, so lists of results read well too."""
        return self.line()


@dataclass(eq=False)
class LessonScore(_ShownOnce):
    """The results of every question of one lesson, with the total."""

    lesson: str
    results: list[Result]

    @property
    def points(self) -> int:
        """Points earned over the lesson."""
        return sum(result.points for result in self.results)

    @property
    def max_points(self) -> int:
        """Points available over the lesson."""
        return sum(result.max_points for result in self.results)

    def __str__(self) -> str:
        """Return the lesson's total followed by one line per question."""
        lines = [f"Lesson {self.lesson}: {self.points}/{self.max_points} points"]
        lines += ["  " + result.line() for result in self.results]
        if not self.results:
            lines.append("  (no graded questions are registered for this lesson)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        """Return the text table."""
        return str(self)
