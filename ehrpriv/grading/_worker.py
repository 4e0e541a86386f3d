"""Check one exported answer in a fresh process: ``python -m ehrpriv.grading._worker``.

The grader starts this module once per question, in isolated mode and with a
timeout, and writes one JSON request to its stdin::

    {"question": "00.celsius", "answers_dir": "...", "seed": 123,
     "modules": ["ehrpriv.grading.questions.demo99"], "nonce": "..."}

``answers_dir`` holds ``<name>.pkl`` (cloudpickled answers exported from the
student's kernel) and ``export.json`` (name → ``"ok"``, ``"missing"`` or the export
error). The worker loads the answer, calls :func:`ehrpriv.grading.run_check` and
writes JSON lines carrying the nonce to the stdout it was started with: ``ready``
once the question is loaded (before any student code), then the verdict. Anything
the answer prints goes to stderr instead, so printed text cannot pose as a verdict.
The answer still runs in this process: see the threat model in
:mod:`ehrpriv.grading`.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import traceback
from pathlib import Path
from typing import Any

EXPORT_INDEX = "export.json"


def _load_answer(answers_dir: Path, name: str) -> tuple[Any, str]:
    """Return ``(answer, problem)``: the unpickled answer, or MISSING and why."""
    from ehrpriv.grading import MISSING

    try:
        index = json.loads((answers_dir / EXPORT_INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return MISSING, "the notebook's answers could not be exported"
    state = index.get(name, "missing") if isinstance(index, dict) else "missing"
    if state == "missing":
        return MISSING, ""
    if state != "ok":
        return MISSING, f"the grader could not export `{name}`: {state}"
    try:
        data = (answers_dir / f"{name}.pkl").read_bytes()
        return pickle.loads(data), ""
    except Exception as error:  # noqa: BLE001 - any unpickling error is reported
        return MISSING, (
            f"the grader could not load `{name}`: {type(error).__name__}: {error}"
        )


def _emit(fd: int, payload: dict[str, Any]) -> None:
    """Write ``payload`` as one JSON line to the grader's channel ``fd``."""
    os.write(fd, (json.dumps(payload, ensure_ascii=True) + "\n").encode("ascii"))


def _prepare(request: dict[str, Any]) -> Any:
    """Load the question modules and return the question to check."""
    from ehrpriv.grading import get_question, load_questions

    load_questions(*request.get("modules", ()))
    return get_question(request["question"])


def _verdict(request: dict[str, Any], question: Any) -> dict[str, Any]:
    """Load the answer, run the check and return the verdict as data."""
    from ehrpriv.grading import FAILED, run_check

    answer, problem = _load_answer(Path(request["answers_dir"]), question.answer)
    if problem:
        return {"status": FAILED, "message": problem}
    result = run_check(question.id, answer, seed=int(request["seed"]))
    return {"status": result.status, "message": result.message}


def main() -> None:
    """Read a request, report ready, check the answer, report the verdict, exit.

    The ``ready`` line is written before any of the student's code is loaded, so
    the grader can time the check itself separately from Python's start-up.
    """
    channel = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    nonce = ""
    try:
        request = json.loads(sys.stdin.read())
        nonce = str(request.get("nonce", ""))
        question = _prepare(request)
        _emit(channel, {"ready": True, "nonce": nonce})
        payload = _verdict(request, question)
    except BaseException as error:  # noqa: BLE001 - report, never hang or crash
        traceback.print_exc()
        payload = {"status": "error", "message": f"{type(error).__name__}: {error}"}
    payload["nonce"] = nonce
    _emit(channel, payload)
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
