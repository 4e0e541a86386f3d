"""The built-in question bank: one module per lesson, imported when needed.

A lesson's author adds ``lessonNN_topic.py`` to this package, declaring its
questions with :func:`ehrpriv.grading.question`; nothing else needs editing. The
modules of lesson ``NN`` are imported the first time one of its questions is
looked up (:func:`load_lesson`), so checking a lesson 00 answer never imports the
heavier libraries of later lessons, and each grading worker stays quick to start.
The test-only lesson 99 (:mod:`ehrpriv.grading.questions.demo99`) is not named
``lesson99_*``: tests and ``ehrpriv grade --questions`` load it explicitly.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

_LESSON_MODULE = re.compile(r"^lesson(\d{2})_\w+$")
_LOADED: set[str] = set()


def lesson_modules(lesson: str | None = None) -> list[str]:
    """Return the names of the lesson modules in this package (of ``lesson``)."""
    names = []
    for info in pkgutil.iter_modules(__path__):
        match = _LESSON_MODULE.match(info.name)
        if match and lesson in (None, match.group(1)):
            names.append(f"{__name__}.{info.name}")
    return sorted(names)


def load_lesson(lesson: str | None = None) -> None:
    """Import the question modules of ``lesson`` (all lessons when None)."""
    key = lesson or "*"
    if key in _LOADED:
        return
    for name in lesson_modules(lesson):
        importlib.import_module(name)
    _LOADED.add(key)
