"""The privacy scorecard: one table, grown lesson by lesson.

Introduced in lesson 02 (``notebooks/02_threat_models.ipynb``) with the unprotected
baseline's row; lessons 03-07 add rows for their defences and the capstone (lesson
08) puts them side by side. A row is one technique in one setting, measured on the
same task: its utility, its guarantee ((epsilon, delta) or a threat model in words),
the measured success of the matching attack, and its cost. Rows are computed by
package helpers in each lesson, never typed in by hand.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import pandas as pd

from ehrpriv._validation import check_real


@dataclass(frozen=True)
class ScorecardRow:
    """One technique in one setting, measured on one task.

    Attributes
    ----------
    lesson : str
        Two-digit lesson number that measured the row, e.g. ``"02"``.
    technique : str
        What was applied, e.g. ``"none (baseline)"``, ``"k-anonymity"``,
        ``"DP-SGD"``.
    setting : str
        Its parameters in words, e.g. ``"k = 5"`` or ``"noise multiplier 1.1"``.
    task : str
        What the utility is measured on, e.g. ``"in-hospital mortality"``.
    utility_metric : str
        ``"AUROC"`` for models, an error measure for query answers.
    utility : float
        Value of ``utility_metric``.
    utility_fraction : float, optional
        Utility as a fraction of the Bayes-optimal ceiling (models only).
    calibration_ece : float, optional
        Expected calibration error (models only).
    epsilon, delta : float, optional
        The differential-privacy guarantee, where there is one.
    threat_model : str
        The guarantee or assumption in words, e.g. ``"none"`` or
        ``"server honest-but-curious, 128-bit CKKS"``.
    attack : str
        The matching attack, e.g. ``"loss-threshold membership inference"``.
    attack_metric : str
        How its success is measured, e.g. ``"AUC"`` or ``"re-identified"``.
    attack_success : float, optional
        Value of ``attack_metric``.
    attack_tpr_at_1pct_fpr : float, optional
        For membership inference: true-positive rate at 1 % false-positive rate.
    time_ratio : float, optional
        Run time as a multiple of the unprotected run.
    peak_memory_mb : float, optional
        Peak memory of the protected run.
    bytes_exchanged : float, optional
        Communication, for distributed protocols.
    """

    lesson: str
    technique: str
    setting: str
    task: str
    utility_metric: str
    utility: float
    threat_model: str
    attack: str
    attack_metric: str
    attack_success: float | None = None
    attack_tpr_at_1pct_fpr: float | None = None
    utility_fraction: float | None = None
    calibration_ece: float | None = None
    epsilon: float | None = None
    delta: float | None = None
    time_ratio: float | None = None
    peak_memory_mb: float | None = None
    bytes_exchanged: float | None = None

    def __post_init__(self) -> None:
        """Check the numbers that have a valid range."""
        if not (len(self.lesson) == 2 and self.lesson.isdigit()):
            raise ValueError(
                f"lesson must be a two-digit lesson number such as '02'; "
                f"got {self.lesson!r}."
            )
        check_real("utility", self.utility)
        if self.epsilon is not None and not math.isinf(self.epsilon):
            check_real("epsilon", self.epsilon, low=0, low_inclusive=False)
        if self.delta is not None:
            check_real("delta", self.delta, low=0, high=1, high_inclusive=False)
        for name in ("attack_success", "attack_tpr_at_1pct_fpr", "utility_fraction"):
            value = getattr(self, name)
            if value is not None:
                check_real(name, value, low=0)
        for name in ("time_ratio", "peak_memory_mb", "bytes_exchanged"):
            value = getattr(self, name)
            if value is not None:
                check_real(name, value, low=0)


COLUMNS = tuple(field.name for field in fields(ScorecardRow))


class Scorecard:
    """An ordered collection of :class:`ScorecardRow`, shown as one table."""

    def __init__(self, rows: Iterable[ScorecardRow] = ()) -> None:
        self._rows: list[ScorecardRow] = []
        for row in rows:
            self.add(row)

    def add(self, row: ScorecardRow) -> Scorecard:
        """Append ``row`` and return the scorecard, so calls can be chained.

        Raises
        ------
        TypeError
            If ``row`` is not a :class:`ScorecardRow`.
        """
        if not isinstance(row, ScorecardRow):
            raise TypeError(f"row must be a ScorecardRow; got {type(row).__name__}.")
        self._rows.append(row)
        return self

    def extend(self, other: Scorecard | Iterable[ScorecardRow]) -> Scorecard:
        """Append every row of ``other``."""
        for row in other:
            self.add(row)
        return self

    def __iter__(self):
        """Iterate over the rows in order."""
        return iter(self._rows)

    def __len__(self) -> int:
        """Number of rows."""
        return len(self._rows)

    def to_frame(self, *, compact: bool = True) -> pd.DataFrame:
        """Return the rows as a DataFrame.

        Parameters
        ----------
        compact : bool, default True
            Drop the columns that are empty in every row.
        """
        frame = pd.DataFrame([asdict(row) for row in self._rows], columns=COLUMNS)
        if compact:
            frame = frame.dropna(axis="columns", how="all")
        return frame

    def _repr_html_(self) -> str:
        """Show the compact table in a notebook."""
        return self.to_frame().to_html(index=False, float_format=lambda x: f"{x:.3g}")

    def __repr__(self) -> str:
        """Show the compact table as text."""
        return self.to_frame().to_string(index=False)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the rows as JSON to ``path`` (parents created) and return it."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        rows = [asdict(row) for row in self._rows]
        target.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
        return target

    @classmethod
    def load(cls, *paths: str | os.PathLike[str]) -> Scorecard:
        """Read and concatenate scorecards written by :meth:`save`.

        Raises
        ------
        ValueError
            If a file does not hold a list of rows with the scorecard's fields.
        """
        card = cls()
        for path in paths:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            if not isinstance(data, list):
                raise ValueError(f"{path} must hold a JSON list of scorecard rows.")
            for index, item in enumerate(data):
                unknown = set(item) - set(COLUMNS)
                if unknown:
                    raise ValueError(
                        f"{path}, row {index}: unknown field(s) "
                        f"{', '.join(sorted(unknown))}; valid: {', '.join(COLUMNS)}."
                    )
                card.add(ScorecardRow(**item))
        return card
