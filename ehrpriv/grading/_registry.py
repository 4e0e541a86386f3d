"""The question registry: what a graded question is and how it is declared.

A lesson's question module declares each question with :func:`question`; the
registry maps question ids (``"NN.name"``) to :class:`Question` records. The
built-in lesson modules in :mod:`ehrpriv.grading.questions` are imported the first
time one of their lesson's questions is looked up; other modules (an instructor's
private bank, the test-only lesson 99) are loaded with :func:`load_questions`.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import keyword
import logging
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ehrpriv._validation import _describe, check_choice, check_int

logger = logging.getLogger(__name__)

#: A check takes the learner's answer and a seeded generator for hidden inputs,
#: returns nothing when every property holds and raises :class:`AnswerError`.
CheckFunction = Callable[[Any, np.random.Generator], None]

#: The two kinds of answer a question can ask for.
ANSWER_KINDS = ("function", "value")

_ID_PATTERN = re.compile(r"^(\d{2})\.[a-z][a-z0-9_]*$")
_LESSON_PATTERN = re.compile(r"^\d{2}$")

_REGISTRY: dict[str, Question] = {}


class AnswerError(Exception):
    """The learner's answer breaks a property; the message is the hint shown."""

    def __init__(self, hint: str = "") -> None:
        """Store ``hint``, the text shown after ``failed:`` in the result line."""
        super().__init__(hint)
        self.hint = hint


@dataclass(frozen=True)
class Question:
    """One graded question: how it is answered, checked and scored."""

    id: str
    lesson: str
    title: str
    points: int
    answer: str
    kind: str
    check: CheckFunction
    hints: tuple[str, ...]
    origin: str

    def notebook_seed(self) -> int:
        """Return the fixed seed used for this question's checks in a notebook."""
        return notebook_seed(self.id)


def notebook_seed(question_id: str) -> int:
    """Return the deterministic seed derived from ``question_id``.

    Checks run inside a notebook draw their hidden inputs from this seed, so that
    stored outputs are reproducible; the grader draws fresh secret seeds instead.
    """
    digest = hashlib.sha256(f"ehrpriv.grading:{question_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def check_question_id(question_id: Any) -> str:
    """Return ``question_id`` after checking it has the form ``NN.name``.

    Raises
    ------
    TypeError
        If ``question_id`` is not a string.
    ValueError
        If it does not look like ``"01.cohort_age"``.
    """
    if not isinstance(question_id, str):
        raise TypeError(
            "question_id must be a string such as '01.cohort_age'; "
            f"got {_describe(question_id)}."
        )
    if not _ID_PATTERN.match(question_id):
        raise ValueError(
            "question_id must be a two-digit lesson, a dot and a lower-case name "
            f"(letters, digits, _), such as '01.cohort_age'; got {question_id!r}."
        )
    return question_id


def check_lesson(lesson: Any) -> str:
    """Return ``lesson`` as a two-digit string (``1``, ``"1"`` and ``"01"`` work).

    Raises
    ------
    ValueError
        If ``lesson`` is not a lesson number in [0, 99].
    """
    text = str(lesson).strip() if isinstance(lesson, (str, int)) else None
    if isinstance(lesson, bool) or text is None or not text.isdigit():
        raise ValueError(
            f"lesson must be a lesson number in [0, 99] such as '01'; "
            f"got {_describe(lesson)}."
        )
    number = check_int("lesson", int(text), low=0, high=99)
    return f"{number:02d}"


def question(
    question_id: str,
    *,
    points: int,
    answer: str,
    title: str,
    kind: str = "function",
    hints: Sequence[str] = (),
) -> Callable[[CheckFunction], CheckFunction]:
    """Register the decorated function as the check of one graded question.

    Parameters
    ----------
    question_id : str
        ``"NN.name"``: the two-digit lesson, a dot and a short lower-case name.
    points : int
        Points awarded when every property holds (all or nothing), at least 1.
    answer : str
        The name the learner binds the answer to in the notebook, for example
        ``"age_at_admission"``; :func:`ehrpriv.grading.check` looks it up.
    title : str
        A short human title shown in score tables.
    kind : {"function", "value"}
        Whether the answer is a callable (checked on hidden inputs) or a value.
    hints : sequence of str
        General hints; the first is shown when a check fails without a message.

    Returns
    -------
    callable
        A decorator returning the check function unchanged.

    Raises
    ------
    ValueError
        If an argument is malformed or the id is already taken by another check.
    """
    check_question_id(question_id)
    points = check_int("points", points, low=1)
    if (
        not isinstance(answer, str)
        or not answer.isidentifier()
        or keyword.iskeyword(answer)
    ):
        raise ValueError(
            f"answer must be a Python identifier such as 'age_at_admission'; "
            f"got {_describe(answer)}."
        )
    kind = check_choice("kind", kind, ANSWER_KINDS)
    if not isinstance(title, str) or not title.strip():
        raise ValueError(f"title must be a non-empty string; got {_describe(title)}.")
    if isinstance(hints, str) or not all(isinstance(hint, str) for hint in hints):
        raise TypeError(f"hints must be a sequence of strings; got {_describe(hints)}.")

    def register(check: CheckFunction) -> CheckFunction:
        """Add ``check`` to the registry under ``question_id``."""
        if not callable(check):
            raise TypeError(
                f"@question({question_id!r}) must decorate a function; "
                f"got {_describe(check)}."
            )
        origin = f"{check.__module__}.{check.__qualname__}"
        previous = _REGISTRY.get(question_id)
        if previous is not None and previous.origin != origin:
            raise ValueError(
                f"question_id {question_id!r} is already registered by "
                f"{previous.origin}; got a second check {origin}."
            )
        _REGISTRY[question_id] = Question(
            id=question_id,
            lesson=question_id[:2],
            title=title.strip(),
            points=points,
            answer=answer,
            kind=kind,
            check=check,
            hints=tuple(hints),
            origin=origin,
        )
        logger.debug("registered question %s from %s", question_id, origin)
        return check

    return register


def _load_builtin_questions(lesson: str | None = None) -> None:
    """Import the built-in question modules of ``lesson`` (all when None)."""
    importlib.import_module("ehrpriv.grading.questions").load_lesson(lesson)


def load_questions(*sources: str | Path) -> None:
    """Import question modules given by module name or by ``.py`` file path.

    The built-in lessons load by themselves when needed; use this for extra
    question banks, such as the test-only ``ehrpriv.grading.questions.demo99``.
    Loading the same source twice is harmless.

    Parameters
    ----------
    *sources : str or Path
        Dotted module names (``"mycourse.questions"``) or paths to ``.py`` files.

    Raises
    ------
    FileNotFoundError
        If a path ending in ``.py`` does not exist.
    ModuleNotFoundError
        If a module name cannot be imported.
    """
    for source in sources:
        text = str(source)
        if text.endswith(".py") or Path(text).is_file():
            path = Path(text).resolve()
            if not path.is_file():
                raise FileNotFoundError(
                    f"question module must be an existing .py file or a module "
                    f"name; got {text!r}, which does not exist."
                )
            tag = hashlib.sha256(str(path).encode()).hexdigest()[:10]
            name = f"_ehrpriv_questions_{path.stem}_{tag}"
            if name not in sys.modules:
                spec = importlib.util.spec_from_file_location(name, path)
                assert spec is not None and spec.loader is not None
                module = importlib.util.module_from_spec(spec)
                sys.modules[name] = module
                try:
                    spec.loader.exec_module(module)
                except BaseException:
                    del sys.modules[name]
                    raise
        else:
            importlib.import_module(text)


def get_question(question_id: str) -> Question:
    """Return the registered question ``question_id``.

    Raises
    ------
    ValueError
        If no question has that id; the message lists the lesson's questions.
    """
    check_question_id(question_id)
    _load_builtin_questions(question_id[:2])
    try:
        return _REGISTRY[question_id]
    except KeyError:
        lesson = question_id[:2]
        _load_builtin_questions()
        known = [q for q in sorted(_REGISTRY) if q.startswith(lesson + ".")]
        scope = f"lesson {lesson}" if known else "any lesson"
        known = known or sorted(_REGISTRY)
        listed = ", ".join(repr(q) for q in known) or "none"
        raise ValueError(
            f"question_id must be a registered question of {scope} ({listed}); "
            f"got {question_id!r}."
        ) from None


def questions_for_lesson(lesson: str | int) -> list[Question]:
    """Return the registered questions of ``lesson``, sorted by id."""
    lesson = check_lesson(lesson)
    _load_builtin_questions(lesson)
    return [_REGISTRY[q] for q in sorted(_REGISTRY) if q.startswith(lesson + ".")]


def registered_lessons() -> list[str]:
    """Return the lessons that have at least one registered question."""
    _load_builtin_questions()
    return sorted({q.lesson for q in _REGISTRY.values()})
