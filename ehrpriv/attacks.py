"""Privacy attacks on a released extract and on a published model.

Introduced in lesson 02 (``notebooks/02_threat_models.ipynb``); lesson 04 reruns
the membership-inference attacks on the model trained with DP-SGD. Each attack
states its threat model, what the attacker knows and can do:

* :func:`linkage_attack` (Sweeney 2002): an outsider joins a released extract
  with a public table (the voter roll) on shared quasi-identifiers;
* :func:`homogeneity_attack` (Machanavajjhala et al. 2007): someone who knows a
  person is in a k-anonymous release, and their quasi-identifiers, reads their
  sensitive value off a class in which everyone shares it;
* :func:`loss_threshold_attack` (Yeom et al. 2018) and
  :func:`reference_model_attack` (offline LiRA, Carlini et al. 2022): a model
  user with query access decides whether a record was in the training set;
* :func:`attribute_inference` (after Fredrikson et al. 2014): a model user who
  knows a patient's record except one diagnosis, and the outcome, infers the
  diagnosis, compared with what the attacker would infer without the model.

The attacks are scored against ground truth that the attacker never reads: the
hidden :data:`ehrpriv.deid.TRUTH_COLUMN` for linkage, the true membership for
membership inference, the true diagnosis for attribute inference.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve
from torch import nn

from ehrpriv import models
from ehrpriv._validation import (
    check_choice,
    check_columns,
    check_int,
    check_real,
)
from ehrpriv.anonymity import _check_quasi, _class_index, _codes
from ehrpriv.cohort import FeaturePipeline
from ehrpriv.deid import TRUTH_COLUMN
from ehrpriv.metrics import _check_labels, _check_pair, _require_both_classes

logger = logging.getLogger(__name__)

__all__ = [
    "attach_ground_truth",
    "LinkageResult",
    "linkage_attack",
    "HomogeneityResult",
    "homogeneity_attack",
    "MembershipData",
    "membership_data",
    "per_example_loss",
    "loss_threshold_attack",
    "TrainingRecipe",
    "ReferenceModels",
    "train_reference_models",
    "reference_model_attack",
    "MIAMetrics",
    "mia_metrics",
    "model_query",
    "AttributeInferenceResult",
    "attribute_inference",
]

#: Probabilities are clipped to [_CLIP, 1 - _CLIP]: the models compute in float32,
#: whose resolution near 1 is about 1e-7, so closer to 0 or 1 is rounding noise.
_CLIP = 1e-7


# ---------------------------------------------------------------------------
# Linkage
# ---------------------------------------------------------------------------


def attach_ground_truth(
    public: pd.DataFrame,
    patients: pd.DataFrame,
    *,
    on: Sequence[str] = ("FIRST", "LAST", "BIRTHDATE", "GENDER"),
) -> pd.DataFrame:
    """Return a copy of a public table with the hidden ground-truth column added.

    The instructor's side of the experiment, not the attacker's: each public
    record that is a patient gets that patient's ``Id`` in
    :data:`ehrpriv.deid.TRUTH_COLUMN` (missing for everyone else), found by name,
    birth date and sex, which the generator copies unchanged onto the voter
    roll. A public record matching several patients is left unlabelled. Text
    birth dates are parsed, so ``BIRTHDATE`` compares with the patients table's.

    Parameters
    ----------
    public : DataFrame
        The public table, e.g. from :func:`ehrpriv.synthea.read_voter_roll`.
    patients : DataFrame
        The ``patients`` table.
    on : sequence of str, default ("FIRST", "LAST", "BIRTHDATE", "GENDER")
        Columns identifying a person in both tables.

    Returns
    -------
    DataFrame
        ``public`` with ``BIRTHDATE`` parsed and the truth column appended.

    Raises
    ------
    TypeError, MissingColumnError
        If an input is not a DataFrame or lacks a column of ``on``.
    """
    columns = list(on)
    check_columns(public, columns, name="public")
    check_columns(patients, ["Id", *columns], name="patients")
    out = public.copy()
    people = patients[["Id", *columns]].copy()
    for frame in (out, people):
        if "BIRTHDATE" in columns and not pd.api.types.is_datetime64_any_dtype(
            frame["BIRTHDATE"]
        ):
            frame["BIRTHDATE"] = pd.to_datetime(frame["BIRTHDATE"], format="ISO8601")
    people = people.drop_duplicates(columns, keep=False)
    keys = out[columns].reset_index()
    labelled = keys.merge(people, on=columns, how="left").set_index("index")
    out[TRUTH_COLUMN] = labelled["Id"].reindex(out.index)
    logger.info(
        "labelled %d public record(s) as patients", out[TRUTH_COLUMN].notna().sum()
    )
    return out


def _key_kind(values: pd.Series) -> str:
    """Return ``"date"``, ``"number"`` or ``"text"``: how a key column compares."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return "date"
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return "number"
    return "text"


@dataclass(frozen=True)
class LinkageResult:
    """What a linkage attack achieved.

    Attributes
    ----------
    matches : DataFrame
        One row per released record (same index): ``released_class`` (released
        records sharing its key), ``candidates`` (public records sharing it),
        ``one_to_one`` (both are 1: the attacker names a person), ``claimed``
        (the public record's truth id for one-to-one matches) and ``correct``.
    on : tuple of str
        The columns joined on.
    n_released : int
        Released records.
    n_one_to_one : int
        Records the attacker links to exactly one public person.
    n_correct : int
        One-to-one links that name the right person.
    expected_correct : float
        Records re-identified, in expectation, by an attacker who names one of
        the candidates at random for every record with at least one candidate.
    """

    matches: pd.DataFrame
    on: tuple[str, ...]
    n_released: int
    n_one_to_one: int
    n_correct: int
    expected_correct: float

    @property
    def reidentification_rate(self) -> float:
        """Share of released records correctly re-identified by one-to-one links."""
        return self.n_correct / self.n_released if self.n_released else 0.0

    @property
    def precision(self) -> float:
        """Share of one-to-one links that are correct (NaN if there are none)."""
        return self.n_correct / self.n_one_to_one if self.n_one_to_one else np.nan

    @property
    def uniqueness(self) -> float:
        """Share of released records alone in their class on the join columns."""
        if not self.n_released:
            return 0.0
        return float((self.matches["released_class"] == 1).mean())

    def summary(self) -> dict[str, float]:
        """Return the headline numbers as a dictionary."""
        n = max(self.n_released, 1)
        return {
            "released records": self.n_released,
            "unique in release": self.uniqueness,
            "one-to-one links": self.n_one_to_one,
            "re-identified": self.reidentification_rate,
            "precision of links": self.precision,
            "re-identified by guessing": self.expected_correct / n,
        }


def linkage_attack(
    released: pd.DataFrame,
    public: pd.DataFrame,
    *,
    on: Sequence[str],
    truth_column: str = TRUTH_COLUMN,
) -> LinkageResult:
    """Link released records to a public table on shared quasi-identifiers.

    Threat model: an outsider holds a public, identified table (the voter roll:
    names with ZIP, birth date and sex) and the released extract, and knows
    how the release was coarsened, so has brought the public table to the same
    coarseness (:func:`ehrpriv.deid.safe_harbor` with ``keep``, or
    :func:`ehrpriv.anonymity.generalise`). The attacker joins on ``on`` and
    names a person whenever the key is unique in both tables (a one-to-one
    link, as in Sweeney's re-identification of the Governor of Massachusetts).

    The join uses ``on`` only. ``truth_column``, present in both tables, is read
    afterwards to score each claimed link; it stands for what an investigator
    would check, and no real release would hold it.

    Parameters
    ----------
    released : DataFrame
        The released records, with ``on`` and ``truth_column``.
    public : DataFrame
        The attacker's public table, with ``on`` and ``truth_column`` (missing
        for people who are not patients; see :func:`attach_ground_truth`).
    on : sequence of str
        Quasi-identifiers shared by both tables, compared exactly (missing
        values compare equal to each other).
    truth_column : str, default TRUTH_COLUMN
        Hidden ground-truth id, used only to score.

    Returns
    -------
    LinkageResult
        Matches, counts and rates.

    Raises
    ------
    TypeError
        If an input is not a DataFrame, ``on`` is not a list of names, or a
        column of ``on`` holds dates in one table and text or numbers in the
        other.
    MissingColumnError
        If a column is missing.
    ValueError
        If ``on`` is empty or holds ``truth_column``.
    """
    columns = _check_quasi(released, on)
    check_columns(released, [truth_column], name="released")
    check_columns(public, [*columns, truth_column], name="public")
    if truth_column in columns:
        raise ValueError(
            f"on must not hold the hidden ground-truth column {truth_column!r}; "
            f"got {columns}."
        )
    for column in columns:
        left, right = _key_kind(released[column]), _key_kind(public[column])
        if left != right:
            raise TypeError(
                f"on column {column!r} must hold the same kind of value in both "
                f"tables; got {left} ({released[column].dtype}) in released and "
                f"{right} ({public[column].dtype}) in public. Coarsen the public "
                "table the same way as the release first."
            )
    keys_r = released[columns].reset_index(drop=True)
    keys_p = public[columns].reset_index(drop=True)
    both = pd.concat([keys_r, keys_p], ignore_index=True)
    key = _class_index(both, columns)
    key_r, key_p = key[: len(keys_r)], key[len(keys_r) :]
    size = int(key.max(initial=-1)) + 1
    count_r = np.bincount(key_r, minlength=size)
    count_p = np.bincount(key_p, minlength=size)
    candidates = count_p[key_r]
    one_to_one = (count_r[key_r] == 1) & (candidates == 1)

    truth_p = public[truth_column].to_numpy(dtype=object)
    truth_r = released[truth_column].to_numpy(dtype=object)
    first_public = np.full(size, -1, dtype=np.int64)
    first_public[key_p[::-1]] = np.arange(len(key_p))[::-1]
    claimed = np.full(len(key_r), None, dtype=object)
    linked = np.flatnonzero(one_to_one)
    claimed[linked] = truth_p[first_public[key_r[linked]]]
    correct = one_to_one & np.array(
        [
            c is not None and not pd.isna(c) and c == t
            for c, t in zip(claimed, truth_r, strict=True)
        ],
        dtype=bool,
    )

    # does the true person sit among the candidates? (for the guessing attacker)
    pairs = pd.DataFrame({"key": key_p, "truth": truth_p}).dropna()
    present = set(zip(pairs["key"], pairs["truth"], strict=True))
    among = np.array(
        [(k, t) in present for k, t in zip(key_r, truth_r, strict=True)], dtype=bool
    )
    expected = float(np.sum(among / np.maximum(candidates, 1)))

    matches = pd.DataFrame(
        {
            "released_class": count_r[key_r],
            "candidates": candidates,
            "one_to_one": one_to_one,
            "claimed": claimed,
            "correct": correct,
        },
        index=released.index,
    )
    result = LinkageResult(
        matches=matches,
        on=tuple(columns),
        n_released=len(released),
        n_one_to_one=int(one_to_one.sum()),
        n_correct=int(correct.sum()),
        expected_correct=expected,
    )
    logger.info(
        "linkage on %s: %d of %d re-identified",
        columns,
        result.n_correct,
        result.n_released,
    )
    return result


# ---------------------------------------------------------------------------
# Homogeneity
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HomogeneityResult:
    """What a homogeneity attack disclosed.

    Attributes
    ----------
    classes : DataFrame
        One row per equivalence class: the quasi-identifiers, ``size``,
        ``distinct`` sensitive values, the most common value ``top``, its
        ``top_share`` and whether it is ``disclosed``.
    inferred : Series
        Per released row, the value the attacker infers (missing when the class
        does not disclose it).
    sensitive : str
        The sensitive column.
    truth : Series
        Per released row, the true sensitive value.
    """

    classes: pd.DataFrame
    inferred: pd.Series
    sensitive: str
    truth: pd.Series

    @property
    def disclosure_rate(self) -> float:
        """Share of released rows whose sensitive value the attacker infers."""
        return float(self.inferred.notna().mean()) if len(self.inferred) else 0.0

    @property
    def accuracy(self) -> float:
        """Share of inferred values that are right (NaN if nothing was inferred)."""
        made = self.inferred.notna()
        if not made.any():
            return float("nan")
        return float((self.inferred[made] == self.truth[made]).mean())

    def by_value(self) -> pd.DataFrame:
        """Return, per sensitive value, how many of its rows were disclosed."""
        frame = pd.DataFrame(
            {"value": self.truth, "disclosed": self.inferred == self.truth}
        )
        table = frame.groupby("value", sort=True)["disclosed"].agg(["size", "sum"])
        table.columns = ["rows", "disclosed"]
        table["share disclosed"] = table["disclosed"] / table["rows"]
        return table


def homogeneity_attack(
    released: pd.DataFrame,
    quasi_identifiers: Sequence[str],
    sensitive: str,
    *,
    min_confidence: float = 1.0,
) -> HomogeneityResult:
    """Read sensitive values off equivalence classes that lack diversity.

    Threat model: the attacker knows that a person is in the release (say, a
    neighbour known to have been treated) and knows their quasi-identifiers,
    so knows their equivalence class. If every record of the class shares one
    sensitive value, k-anonymity hid which record is theirs but not the value.
    With ``min_confidence`` below 1 the attacker also infers the majority value
    of classes where it is at least that common.

    Parameters
    ----------
    released : DataFrame
        A released (for example k-anonymous) table.
    quasi_identifiers : list of str
        Columns the attacker knows.
    sensitive : str
        The column to infer.
    min_confidence : float, default 1.0
        Smallest share of the class holding the majority value for the
        attacker to infer it, in (0, 1].

    Returns
    -------
    HomogeneityResult
        The classes, the inferred value per row and the rates.

    Raises
    ------
    TypeError, MissingColumnError
        If an input has the wrong type or a column is missing.
    ValueError
        If ``quasi_identifiers`` is empty or holds ``sensitive``, or
        ``min_confidence`` is outside (0, 1].
    """
    columns = _check_quasi(released, quasi_identifiers)
    check_columns(released, [sensitive], name="released")
    if sensitive in columns:
        raise ValueError(
            f"sensitive must not be one of the quasi_identifiers; got {sensitive!r}."
        )
    min_confidence = check_real(
        "min_confidence", min_confidence, low=0, high=1, low_inclusive=False
    )
    values = released[sensitive]
    frame = released[columns].assign(_class=_class_index(released, columns))
    frame["_value"] = _codes(values)
    counts = frame.groupby(["_class", "_value"]).size().rename("n").reset_index()
    counts = counts.sort_values(
        ["_class", "n", "_value"], ascending=[True, False, True]
    )
    top = counts.drop_duplicates("_class").set_index("_class")
    size = counts.groupby("_class")["n"].sum()
    distinct = counts.groupby("_class").size()
    uniques = pd.factorize(values, use_na_sentinel=False)[1]
    classes = frame.drop_duplicates("_class").set_index("_class")[columns]
    classes["size"] = size
    classes["distinct"] = distinct
    classes["top"] = [uniques[code] for code in top.loc[classes.index, "_value"]]
    classes["top_share"] = top.loc[classes.index, "n"] / size
    classes["disclosed"] = classes["top_share"] >= min_confidence - 1e-12
    disclosed = classes["disclosed"].reindex(frame["_class"]).to_numpy()
    guess = classes["top"].reindex(frame["_class"]).to_numpy(dtype=object)
    inferred = pd.Series(
        np.where(disclosed, guess, None), index=released.index, dtype=object
    )
    classes = classes.sort_values("size", kind="stable").reset_index(drop=True)
    return HomogeneityResult(
        classes=classes, inferred=inferred, sensitive=sensitive, truth=values
    )


# ---------------------------------------------------------------------------
# Membership inference
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MembershipData:
    """The candidate records of a membership-inference experiment, and the truth.

    Attributes
    ----------
    X : numpy.ndarray of shape (n, n_features)
        Features of the candidates, members first.
    y : numpy.ndarray of shape (n,)
        Their labels.
    is_member : numpy.ndarray of shape (n,)
        1 for the target model's training records, 0 for the others; the
        attacker never sees it, it scores the attack.
    groups : numpy.ndarray of shape (n,)
        The patient of each row.
    """

    X: np.ndarray
    y: np.ndarray
    is_member: np.ndarray
    groups: np.ndarray

    @property
    def X_members(self) -> np.ndarray:
        """Features of the members (the target's training set)."""
        return self.X[self.is_member == 1]

    @property
    def y_members(self) -> np.ndarray:
        """Labels of the members."""
        return self.y[self.is_member == 1]


def membership_data(
    members: pd.DataFrame,
    non_members: pd.DataFrame,
    *,
    pipeline: FeaturePipeline,
    label: str = "died_in_hospital",
    patient_column: str = "patient_id",
) -> MembershipData:
    """Stack members and non-members into the candidates of an experiment.

    Parameters
    ----------
    members : DataFrame
        Cohort rows the target model is trained on.
    non_members : DataFrame
        Cohort rows it never sees, from other patients.
    pipeline : FeaturePipeline
        A fitted feature pipeline.
    label : str, default "died_in_hospital"
        The outcome column.
    patient_column : str, default "patient_id"
        The patient column.

    Returns
    -------
    MembershipData
        Features, labels, membership and patients, members first.

    Raises
    ------
    TypeError, MissingColumnError
        If an input has the wrong type or a column is missing.
    ValueError
        If a table is empty or a patient is on both sides.
    RuntimeError
        If ``pipeline`` is not fitted.
    """
    if not isinstance(pipeline, FeaturePipeline):
        raise TypeError(
            f"pipeline must be a FeaturePipeline; got {type(pipeline).__name__}."
        )
    for name, frame in (("members", members), ("non_members", non_members)):
        check_columns(frame, [label, patient_column], name=name)
        if len(frame) == 0:
            raise ValueError(f"{name} must hold at least one row; got 0.")
    shared = set(members[patient_column]) & set(non_members[patient_column])
    if shared:
        raise ValueError(
            f"members and non_members must not share patients; got {len(shared)} "
            f"patient(s) in both, for example {sorted(shared)[0]!r}."
        )
    both = pd.concat([members, non_members], ignore_index=True)
    return MembershipData(
        X=pipeline.transform(both),
        y=_check_labels(both[label].to_numpy(), name=f"column {label!r}"),
        is_member=np.r_[np.ones(len(members)), np.zeros(len(non_members))].astype(
            np.int64
        ),
        groups=both[patient_column].to_numpy(),
    )


def per_example_loss(probs: Any, labels: Any) -> np.ndarray:
    """Return the binary cross-entropy of each prediction.

    Parameters
    ----------
    probs : array-like of shape (n,)
        Predicted probabilities of the positive class, in [0, 1].
    labels : array-like of shape (n,)
        True labels, 0 or 1.

    Returns
    -------
    numpy.ndarray of shape (n,)
        ``-log p`` of the true label (probabilities clipped to [1e-7, 1 - 1e-7]).

    Raises
    ------
    TypeError, ValueError
        If the inputs are not matching 1-D arrays of labels and probabilities.
    """
    y, p = _check_pair(labels, probs, name="probs", probability=True)
    p = np.clip(p, _CLIP, 1.0 - _CLIP)
    return -(y * np.log(p) + (1 - y) * np.log1p(-p))


def loss_threshold_attack(probs: Any, labels: Any) -> np.ndarray:
    """Score membership by the model's loss on each record (Yeom et al. 2018).

    Threat model: the attacker holds candidate records with their labels and
    can query the model for probabilities. A model fits its training records
    better than others, so a low loss suggests membership. Yeom et al.
    threshold the loss at the model's average training loss; the scores here
    leave the threshold free, so :func:`mia_metrics` can sweep it.

    Parameters
    ----------
    probs : array-like of shape (n,)
        The model's probabilities for the candidates.
    labels : array-like of shape (n,)
        The candidates' true labels.

    Returns
    -------
    numpy.ndarray of shape (n,)
        Membership scores, ``-loss``: higher means "more likely a member".

    Raises
    ------
    TypeError, ValueError
        As :func:`per_example_loss`.
    """
    return -per_example_loss(probs, labels)


def _confidence(probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Return the logit of the probability given to the true label."""
    p = np.clip(np.where(labels == 1, probs, 1.0 - probs), _CLIP, 1.0 - _CLIP)
    return np.log(p) - np.log1p(-p)


@dataclass(frozen=True)
class TrainingRecipe:
    """How a torch model is trained; an attacker reruns it for reference models.

    The defaults are lesson 01's baseline (a logistic regression, 30 epochs of
    Adam at learning rate 0.02, batches of 512, weight decay 1e-4).

    Attributes
    ----------
    kind : {"logistic", "mlp"}
        Model of :func:`ehrpriv.models.make_model`.
    hidden : tuple of int
        Hidden widths (MLP only).
    dropout : float
        Dropout probability (MLP only).
    epochs, batch_size : int
        Training passes and rows per batch.
    lr, weight_decay : float
        Adam learning rate and L2 penalty.
    """

    kind: str = "logistic"
    hidden: tuple[int, ...] = (64, 32)
    dropout: float = 0.0
    epochs: int = 30
    lr: float = 0.02
    batch_size: int = 512
    weight_decay: float = 1e-4

    def __post_init__(self) -> None:
        """Check the settings."""
        check_choice("kind", self.kind, ("logistic", "mlp"))
        check_int("epochs", self.epochs, low=1)
        check_int("batch_size", self.batch_size, low=1)
        check_real("lr", self.lr, low=0, low_inclusive=False)
        check_real("weight_decay", self.weight_decay, low=0)
        check_real("dropout", self.dropout, low=0, high=1, high_inclusive=False)

    def fit(self, X: Any, y: Any, *, seed: int = 0) -> nn.Module:
        """Return a model trained on ``(X, y)`` with this recipe and ``seed``."""
        n_features = np.shape(X)[1]
        model = models.make_model(
            self.kind, n_features, hidden=self.hidden, dropout=self.dropout, seed=seed
        )
        models.train_model(
            model,
            X,
            y,
            epochs=self.epochs,
            lr=self.lr,
            batch_size=self.batch_size,
            weight_decay=self.weight_decay,
            seed=seed,
        )
        return model


@dataclass(frozen=True)
class ReferenceModels:
    """Predictions of the attacker's reference models on the candidates.

    Attributes
    ----------
    probs : numpy.ndarray of shape (n_models, n)
        Each reference model's probability for each candidate.
    is_in : numpy.ndarray of shape (n_models, n)
        Whether the candidate was in that model's training set.
    """

    probs: np.ndarray
    is_in: np.ndarray


def train_reference_models(
    X: Any,
    y: Any,
    *,
    recipe: TrainingRecipe,
    n_models: int = 8,
    groups: Any = None,
    seed: int = 0,
) -> ReferenceModels:
    """Train reference (shadow) models on random halves of the candidates.

    The attacker holds the candidate records (it must, to query the target on
    them) and knows the training recipe. Each candidate, or each patient when
    ``groups`` is given, goes into exactly half of the reference models
    (rounded down), so that every candidate has reference models that never saw
    it: the "OUT" models of :func:`reference_model_attack`.

    Parameters
    ----------
    X : array-like of shape (n, n_features)
        Features of the candidates.
    y : array-like of shape (n,)
        Their labels.
    recipe : TrainingRecipe
        How the target was trained.
    n_models : int, default 8
        Number of reference models, >= 2.
    groups : array-like of shape (n,), optional
        Patient of each row: a patient's admissions go in or out together.
    seed : int, default 0
        Seed of the assignment and of the models.

    Returns
    -------
    ReferenceModels
        Their predictions on all candidates and who was in each training set.

    Raises
    ------
    TypeError, ValueError
        If an input is invalid or ``n_models < 2``.
    """
    features, labels = models._check_xy(X, y)
    if not isinstance(recipe, TrainingRecipe):
        raise TypeError(
            f"recipe must be a TrainingRecipe; got {type(recipe).__name__}."
        )
    n_models = check_int("n_models", n_models, low=2)
    seed = check_int("seed", seed, low=0)
    n = labels.shape[0]
    owners = np.arange(n) if groups is None else _codes(pd.Series(np.asarray(groups)))
    if owners.shape[0] != n:
        raise ValueError(
            f"groups must have one entry per row of X ({n}); got {owners.shape[0]}."
        )
    rng = np.random.default_rng(seed)
    n_owners = int(owners.max()) + 1
    half = n_models // 2
    ranks = np.argsort(rng.random((n_owners, n_models)), axis=1)
    owner_in = ranks < half  # each owner is in exactly `half` models
    is_in = owner_in[owners].T
    probs = np.empty((n_models, n))
    for j in range(n_models):
        rows = is_in[j]
        model = recipe.fit(features[rows], labels[rows], seed=seed + 1 + j)
        probs[j] = models.predict_proba(model, features)
        logger.debug("reference model %d trained on %d rows", j, int(rows.sum()))
    return ReferenceModels(probs=probs, is_in=is_in)


def reference_model_attack(
    target_probs: Any,
    labels: Any,
    reference: ReferenceModels,
    *,
    fixed_variance: bool = True,
) -> np.ndarray:
    """Score membership against reference models (offline LiRA, Carlini et al.).

    Threat model: as :func:`loss_threshold_attack`, plus the attacker knows the
    training recipe and trains reference models on data it holds
    (:func:`train_reference_models`). Some records are hard to fit whether or
    not they are members; comparing the target's confidence on a record with
    the confidence of models that never saw it calibrates for that. The
    statistic is the logit of the probability given to the true label; its
    distribution under "not a member" is a Gaussian fitted to the OUT reference
    models, and the score is how far above it the target's value lies.

    Parameters
    ----------
    target_probs : array-like of shape (n,)
        The target model's probabilities for the candidates.
    labels : array-like of shape (n,)
        The candidates' true labels.
    reference : ReferenceModels
        Output of :func:`train_reference_models` on the same candidates.
    fixed_variance : bool, default True
        Use one variance pooled over all candidates, as Carlini et al. advise
        with few reference models; otherwise each candidate's own (which needs
        at least two OUT models per candidate).

    Returns
    -------
    numpy.ndarray of shape (n,)
        Membership scores (z-scores): higher means "more likely a member".

    Raises
    ------
    TypeError
        If ``reference`` is not a ReferenceModels.
    ValueError
        If shapes disagree, or a candidate has too few OUT models.
    """
    y, p = _check_pair(labels, target_probs, name="target_probs", probability=True)
    if not isinstance(reference, ReferenceModels):
        raise TypeError(
            f"reference must be a ReferenceModels; got {type(reference).__name__}."
        )
    ref, is_in = np.asarray(reference.probs, float), np.asarray(reference.is_in, bool)
    if ref.ndim != 2 or ref.shape[1] != y.shape[0] or is_in.shape != ref.shape:
        raise ValueError(
            f"reference must hold predictions of shape (n_models, {y.shape[0]}); "
            f"got probs {ref.shape} and is_in {is_in.shape}."
        )
    out = ~is_in
    n_out = out.sum(axis=0)
    need = 1 if fixed_variance else 2
    if n_out.min() < need:
        raise ValueError(
            f"every candidate needs at least {need} OUT reference model(s); got "
            f"{int(n_out.min())} for candidate {int(np.argmin(n_out))}."
        )
    confidence = np.where(out, _confidence(ref, y[None, :]), 0.0)
    mean = confidence.sum(axis=0) / n_out
    squares = np.where(out, (confidence - mean) ** 2, 0.0)
    if fixed_variance:
        dof = int(n_out.sum() - n_out.size)
        pooled = float(squares.sum() / dof) if dof > 0 else 0.0
        scale = np.full_like(mean, np.sqrt(pooled) if pooled > 0 else 1.0)
    else:
        scale = np.sqrt(squares.sum(axis=0) / (n_out - 1))
        scale = np.maximum(scale, 1e-3)
    return (_confidence(p, y) - mean) / scale


@dataclass(frozen=True)
class MIAMetrics:
    """How well membership scores separate members from non-members.

    Attributes
    ----------
    auc : float
        Area under the ROC curve (0.5 is chance).
    tpr_at_1pct_fpr, tpr_at_01pct_fpr : float
        Share of members found while wrongly flagging at most 1 % (0.1 %) of
        non-members: the measure Carlini et al. (2022) argue for, because an
        attack that confidently identifies a few people matters more than one
        slightly better than chance on everyone.
    advantage : float
        Largest TPR - FPR over thresholds (Yeom et al.'s membership advantage).
    fpr, tpr : numpy.ndarray
        The ROC curve.
    n_members, n_nonmembers : int
        Sizes of the two groups.
    """

    auc: float
    tpr_at_1pct_fpr: float
    tpr_at_01pct_fpr: float
    advantage: float
    fpr: np.ndarray
    tpr: np.ndarray
    n_members: int
    n_nonmembers: int

    def summary(self) -> dict[str, float]:
        """Return the headline numbers as a dictionary."""
        return {
            "AUC": self.auc,
            "TPR at 1% FPR": self.tpr_at_1pct_fpr,
            "TPR at 0.1% FPR": self.tpr_at_01pct_fpr,
            "advantage": self.advantage,
        }


def mia_metrics(scores: Any, is_member: Any) -> MIAMetrics:
    """Return AUC, TPR at 1 % and 0.1 % FPR, advantage and the ROC curve.

    The TPR at a given FPR is read off the ROC curve without interpolation: the
    best TPR among thresholds whose FPR does not exceed it. With fewer than
    1,000 non-members, "0.1 % FPR" allows no false positive at all, and the
    figure is noisy; report the group sizes with it.

    Parameters
    ----------
    scores : array-like of shape (n,)
        Membership scores, higher meaning "member".
    is_member : array-like of shape (n,)
        True membership, 0 or 1 (or booleans).

    Returns
    -------
    MIAMetrics
        The metrics and the curve.

    Raises
    ------
    TypeError, ValueError
        If the inputs are not matching 1-D arrays, or one group is empty.
    """
    member, score = _check_pair(is_member, scores, name="scores")
    _require_both_classes(member, what="mia_metrics")
    fpr, tpr, _ = roc_curve(member, score)

    def tpr_at(rate: float) -> float:
        """Best TPR with FPR at most ``rate``."""
        return float(tpr[fpr <= rate + 1e-12].max())

    return MIAMetrics(
        auc=float(roc_auc_score(member, score)),
        tpr_at_1pct_fpr=tpr_at(0.01),
        tpr_at_01pct_fpr=tpr_at(0.001),
        advantage=float(np.max(tpr - fpr)),
        fpr=fpr,
        tpr=tpr,
        n_members=int(member.sum()),
        n_nonmembers=int(member.shape[0] - member.sum()),
    )


# ---------------------------------------------------------------------------
# Attribute inference
# ---------------------------------------------------------------------------


def model_query(
    pipeline: FeaturePipeline, model: nn.Module
) -> Callable[[pd.DataFrame], np.ndarray]:
    """Return black-box access to a published model: records in, risks out.

    Parameters
    ----------
    pipeline : FeaturePipeline
        The fitted feature pipeline the model was trained with.
    model : torch.nn.Module
        The model.

    Returns
    -------
    callable
        ``query(records) -> probabilities`` for a DataFrame of cohort rows.

    Raises
    ------
    TypeError
        If ``pipeline`` is not a FeaturePipeline.
    """
    if not isinstance(pipeline, FeaturePipeline):
        raise TypeError(
            f"pipeline must be a FeaturePipeline; got {type(pipeline).__name__}."
        )

    def query(records: pd.DataFrame) -> np.ndarray:
        """Return the model's predicted probability for each record."""
        return models.predict_proba(model, pipeline.transform(records))

    return query


@dataclass(frozen=True)
class AttributeInferenceResult:
    """Scores of an attribute-inference attack and of its no-model baseline.

    Attributes
    ----------
    sensitive : str
        The inferred column.
    truth : numpy.ndarray
        The targets' true values (read only to score).
    scores : numpy.ndarray
        The attacker's probability that each target has the attribute, using
        the model.
    baseline_scores : numpy.ndarray
        The same probability from the known columns alone, without the model.
    """

    sensitive: str
    truth: np.ndarray
    scores: np.ndarray
    baseline_scores: np.ndarray

    @property
    def auc(self) -> float:
        """AUC of the attack that uses the model."""
        return float(roc_auc_score(self.truth, self.scores))

    @property
    def baseline_auc(self) -> float:
        """AUC of the baseline that does not use the model."""
        return float(roc_auc_score(self.truth, self.baseline_scores))

    def summary(self) -> dict[str, float]:
        """Return the headline numbers as a dictionary."""
        return {
            "targets": int(self.truth.shape[0]),
            "with the attribute": int(self.truth.sum()),
            "AUC without the model": self.baseline_auc,
            "AUC with the model": self.auc,
        }


def attribute_inference(
    query: Callable[[pd.DataFrame], np.ndarray],
    targets: pd.DataFrame,
    *,
    sensitive: str,
    outcome: str,
    auxiliary: pd.DataFrame,
    known: Sequence[str],
    seed: int = 0,
) -> AttributeInferenceResult:
    """Infer a binary sensitive attribute from a model's outputs.

    Threat model: a model user with black-box query access knows each target's
    record except the sensitive attribute (here, from the released extract and
    the admission), and the outcome (a death is public, say). The attacker also
    holds auxiliary records in which the attribute is known.

    * Baseline, without the model: a logistic regression fitted on the
      auxiliary records predicts the attribute from the ``known`` columns. This
      is what the attacker learns from the population, not from the model.
    * With the model (after Fredrikson et al. 2014): the attacker queries the
      model with the attribute set to 0 and to 1, reads how likely the known
      outcome is under each, and updates the baseline's probability by Bayes'
      rule. It does better than the baseline only when the model's output
      depends on the attribute in a way the population data does not reveal.

    Parameters
    ----------
    query : callable
        ``query(records) -> probabilities`` of the outcome (:func:`model_query`).
    targets : DataFrame
        Records under attack, with every column ``query`` needs, ``outcome``
        and ``sensitive`` (its true value is overwritten in every query and
        read only to score).
    sensitive : str
        Binary (0/1) column to infer.
    outcome : str
        Binary (0/1) outcome column the attacker knows.
    auxiliary : DataFrame
        The attacker's own records, with ``known`` and ``sensitive``.
    known : sequence of str
        Columns used by the baseline (numbers are scaled, text one-hot encoded).
    seed : int, default 0
        ``random_state`` of the baseline's logistic regression.

    Returns
    -------
    AttributeInferenceResult
        Scores with and without the model.

    Raises
    ------
    TypeError, MissingColumnError
        If an input has the wrong type or a column is missing.
    ValueError
        If ``sensitive`` or ``outcome`` is not binary, or ``sensitive`` has a
        single class in ``auxiliary`` or ``targets``.
    """
    if not callable(query):
        raise TypeError(f"query must be callable; got {type(query).__name__}.")
    columns = _check_quasi(auxiliary, known)
    check_columns(targets, [*columns, sensitive, outcome], name="targets")
    check_columns(auxiliary, [sensitive], name="auxiliary")
    if sensitive in columns:
        raise ValueError(f"known must not hold the sensitive column {sensitive!r}.")
    seed = check_int("seed", seed, low=0)
    truth = _check_labels(targets[sensitive].to_numpy(), name=f"targets[{sensitive!r}]")
    y = _check_labels(targets[outcome].to_numpy(), name=f"targets[{outcome!r}]")
    aux_s = _check_labels(
        auxiliary[sensitive].to_numpy(), name=f"auxiliary[{sensitive!r}]"
    )
    _require_both_classes(truth, what="attribute_inference (targets)")
    _require_both_classes(aux_s, what="attribute_inference (auxiliary)")

    numeric = [c for c in columns if pd.api.types.is_numeric_dtype(auxiliary[c])]
    categorical = [c for c in columns if c not in numeric]
    encoder = FeaturePipeline(numeric=numeric, categorical=categorical, binary=())
    baseline = LogisticRegression(max_iter=2000, random_state=seed)
    baseline.fit(encoder.fit_transform(auxiliary), aux_s)
    prior = baseline.predict_proba(encoder.transform(targets))[:, 1]

    likelihood = []
    for value in (0, 1):
        risk = np.asarray(query(targets.assign(**{sensitive: value})), dtype=float)
        risk = np.clip(risk, _CLIP, 1.0 - _CLIP)
        likelihood.append(np.where(y == 1, risk, 1.0 - risk))
    joint_1 = prior * likelihood[1]
    posterior = joint_1 / (joint_1 + (1.0 - prior) * likelihood[0])
    return AttributeInferenceResult(
        sensitive=sensitive, truth=truth, scores=posterior, baseline_scores=prior
    )
