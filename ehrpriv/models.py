"""Mortality models in PyTorch, their training loop, and scikit-learn baselines.

Introduced in lesson 01 (notebooks/01_ehr_data.ipynb). Lesson 04 trains the same
models with DP-SGD: the models use only Linear, ReLU and Dropout layers, which
Opacus supports, and :func:`train_epoch` accepts an Opacus-wrapped model,
optimizer and data loader unchanged.

Both networks return logits of shape ``(n,)``; :func:`predict_proba` turns them
into probabilities.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from tqdm.auto import tqdm

from ehrpriv._validation import check_choice, check_int, check_real
from ehrpriv.metrics import _check_labels, auroc

logger = logging.getLogger(__name__)

__all__ = [
    "LogisticRegressionNet",
    "MLP",
    "TrainHistory",
    "make_model",
    "make_loader",
    "train_epoch",
    "train_model",
    "predict_proba",
    "fit_sklearn_baseline",
]


# ---------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------


def _check_features(X: Any, *, name: str = "X") -> np.ndarray:
    """Return ``X`` as a finite 2-D float64 array, or raise."""
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().numpy()
    try:
        array = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{name} must be a 2-D array of numbers (n_samples, n_features); got "
            f"{type(X).__name__} that cannot be converted to float ({error})."
        ) from error
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_features); got an array of shape "
            f"{array.shape}."
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(
            f"{name} must have at least one row and one column; got shape "
            f"{array.shape}."
        )
    finite = np.isfinite(array)
    if not finite.all():
        row, column = (int(i) for i in np.argwhere(~finite)[0])
        raise ValueError(
            f"{name} must be finite; got {array[row, column]:g} at row {row}, "
            f"column {column}. Impute or drop missing values first."
        )
    return array


def _check_xy(
    X: Any, y: Any, *, x_name: str = "X", y_name: str = "y"
) -> tuple[np.ndarray, np.ndarray]:
    """Check a feature matrix and its labels together."""
    features = _check_features(X, name=x_name)
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    labels = _check_labels(y, name=y_name)
    if labels.shape[0] != features.shape[0]:
        raise ValueError(
            f"{y_name} must have one label per row of {x_name} "
            f"({features.shape[0]}); got {labels.shape[0]}."
        )
    return features, labels


def _check_hidden(hidden: Any) -> tuple[int, ...]:
    """Return ``hidden`` as a tuple of positive layer widths, or raise."""
    if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Sequence):
        raise TypeError(
            f"hidden must be a sequence of layer widths such as (64, 32); got "
            f"{hidden!r}."
        )
    return tuple(
        check_int(f"hidden[{i}]", width, low=1) for i, width in enumerate(hidden)
    )


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------


class LogisticRegressionNet(nn.Module):
    """Logistic regression as a network: one linear layer producing logits.

    Parameters
    ----------
    n_features : int
        Number of input features.
    """

    def __init__(self, n_features: int) -> None:
        """Create the linear layer."""
        super().__init__()
        n_features = check_int("n_features", n_features, low=1)
        self.linear = nn.Linear(n_features, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return logits of shape ``(n,)``."""
        return self.linear(x).squeeze(-1)


class MLP(nn.Module):
    """Multilayer perceptron with ReLU activations, producing logits.

    Parameters
    ----------
    n_features : int
        Number of input features.
    hidden : sequence of int, default (64, 32)
        Width of each hidden layer; an empty sequence gives a linear model.
    dropout : float, default 0.0
        Dropout probability after each hidden layer, in [0, 1).
    """

    def __init__(
        self, n_features: int, *, hidden: Sequence[int] = (64, 32), dropout: float = 0.0
    ) -> None:
        """Create the layers."""
        super().__init__()
        n_features = check_int("n_features", n_features, low=1)
        widths = _check_hidden(hidden)
        dropout = check_real(
            "dropout", dropout, low=0.0, high=1.0, high_inclusive=False
        )
        layers: list[nn.Module] = []
        previous = n_features
        for width in widths:
            layers += [nn.Linear(previous, width), nn.ReLU()]
            if dropout > 0.0:
                layers.append(nn.Dropout(dropout))
            previous = width
        layers.append(nn.Linear(previous, 1))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return logits of shape ``(n,)``."""
        return self.layers(x).squeeze(-1)


def make_model(
    kind: str,
    n_features: int,
    *,
    hidden: Sequence[int] = (64, 32),
    dropout: float = 0.0,
    seed: int = 0,
) -> nn.Module:
    """Return a freshly initialised model; the same seed gives the same weights.

    The global torch random state is left untouched.

    Parameters
    ----------
    kind : {"logistic", "mlp"}
        :class:`LogisticRegressionNet` or :class:`MLP`.
    n_features : int
        Number of input features.
    hidden : sequence of int, default (64, 32)
        Hidden layer widths (MLP only).
    dropout : float, default 0.0
        Dropout probability (MLP only).
    seed : int, default 0
        Seed of the weight initialisation.

    Returns
    -------
    torch.nn.Module
        The model, in training mode, on the CPU.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``kind`` is unknown or a number is out of range.
    """
    check_choice("kind", kind, ("logistic", "mlp"))
    seed = check_int("seed", seed, low=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if kind == "logistic":
            return LogisticRegressionNet(n_features)
        return MLP(n_features, hidden=hidden, dropout=dropout)


def make_loader(
    X: Any, y: Any, *, batch_size: int = 256, shuffle: bool = True, seed: int = 0
) -> DataLoader:
    """Return a DataLoader over ``(X, y)`` as float32 tensors.

    Parameters
    ----------
    X : array-like of shape (n, n_features)
        Finite features.
    y : array-like of shape (n,)
        Binary labels, 0 or 1.
    batch_size : int, default 256
        Rows per batch.
    shuffle : bool, default True
        Reshuffle the rows every epoch, using a generator seeded with ``seed``.
    seed : int, default 0
        Seed of the shuffling.

    Returns
    -------
    torch.utils.data.DataLoader
        Yields ``(features, labels)`` batches; the last batch may be smaller.

    Raises
    ------
    TypeError
        If an input has the wrong type.
    ValueError
        If the inputs are invalid or ``batch_size < 1``.
    """
    features, labels = _check_xy(X, y)
    batch_size = check_int("batch_size", batch_size, low=1)
    seed = check_int("seed", seed, low=0)
    dataset = _BatchedTensorDataset(
        torch.as_tensor(features, dtype=torch.float32),
        torch.as_tensor(labels, dtype=torch.float32),
    )
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=bool(shuffle),
        generator=generator,
        collate_fn=_stacked,
    )


class _BatchedTensorDataset(TensorDataset):
    """A TensorDataset that fetches a whole batch with one indexing operation.

    The default loader fetches rows one by one and stacks them, which dominates the
    cost of training a small model. ``DataLoader`` calls ``__getitems__`` with the
    batch's indices when it exists; Opacus's Poisson-sampling loader does too.
    """

    def __getitems__(self, indices: list[int]) -> tuple[torch.Tensor, ...]:
        """Return the rows at ``indices`` of every tensor."""
        index = torch.as_tensor(indices, dtype=torch.long)
        return tuple(tensor[index] for tensor in self.tensors)


def _stacked(batch: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    """Collate function for :class:`_BatchedTensorDataset`: already stacked."""
    return batch


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


@dataclass
class TrainHistory:
    """Per-epoch losses (and validation AUROC) recorded by :func:`train_model`."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_auroc: list[float] = field(default_factory=list)


def train_epoch(
    model: nn.Module,
    loader: DataLoader,
    optimizer: torch.optim.Optimizer,
    *,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
) -> float:
    """Run one pass over ``loader`` and return the mean training loss.

    Works unchanged with an Opacus-wrapped model, optimizer and loader. Poisson
    sampling can yield empty batches: they still go through ``optimizer.step``
    (so the privacy accountant counts them) but do not enter the mean loss.

    Parameters
    ----------
    model : torch.nn.Module
        Returns logits of shape ``(n,)`` or ``(n, 1)``.
    loader : torch.utils.data.DataLoader
        Yields ``(features, labels)`` batches.
    optimizer : torch.optim.Optimizer
        Optimizer of the model's parameters.
    loss_fn : callable, optional
        ``loss_fn(logits, labels)`` with mean reduction; defaults to
        ``torch.nn.BCEWithLogitsLoss()``.

    Returns
    -------
    float
        Mean loss per row over the epoch (NaN if the loader yielded no rows).
    """
    loss_fn = nn.BCEWithLogitsLoss() if loss_fn is None else loss_fn
    model.train()
    total, rows = 0.0, 0
    for features, labels in loader:
        optimizer.zero_grad()
        logits = model(features).reshape(-1)
        loss = loss_fn(logits, labels.reshape(-1).to(logits.dtype))
        loss.backward()
        optimizer.step()
        count = int(labels.shape[0])
        if count:
            total += float(loss.detach()) * count
            rows += count
    return total / rows if rows else float("nan")


def _logits(model: nn.Module, features: np.ndarray, batch_size: int) -> np.ndarray:
    """Return the model's logits for ``features`` in eval mode, without gradients."""
    was_training = model.training
    model.eval()
    outputs = []
    try:
        with torch.no_grad():
            tensor = torch.as_tensor(features, dtype=torch.float32)
            for start in range(0, tensor.shape[0], batch_size):
                batch = model(tensor[start : start + batch_size]).reshape(-1)
                outputs.append(batch.double().numpy())
    finally:
        model.train(was_training)
    return np.concatenate(outputs)


def train_model(
    model: nn.Module,
    X: Any,
    y: Any,
    *,
    epochs: int = 20,
    batch_size: int = 256,
    lr: float = 1e-2,
    weight_decay: float = 0.0,
    seed: int = 0,
    progress: bool = False,
    X_val: Any = None,
    y_val: Any = None,
) -> TrainHistory:
    """Train ``model`` with Adam and binary cross-entropy; return its history.

    The run is deterministic for a given ``seed`` and initial model: shuffling
    and dropout draw from seeded generators, and the global torch random state
    is restored afterwards.

    Parameters
    ----------
    model : torch.nn.Module
        Model returning logits, for example from :func:`make_model`; trained in
        place.
    X : array-like of shape (n, n_features)
        Finite training features.
    y : array-like of shape (n,)
        Binary training labels.
    epochs : int, default 20
        Passes over the training data.
    batch_size : int, default 256
        Rows per batch.
    lr : float, default 1e-2
        Adam learning rate, > 0.
    weight_decay : float, default 0.0
        Adam L2 penalty, >= 0.
    seed : int, default 0
        Seed of the shuffling and dropout.
    progress : bool, default False
        Show a progress bar over epochs.
    X_val, y_val : array-like, optional
        Validation data; when given, the validation loss and AUROC (NaN if
        ``y_val`` has a single class) are recorded after each epoch.

    Returns
    -------
    TrainHistory
        ``train_loss`` per epoch, and ``val_loss`` and ``val_auroc`` (empty
        without validation data).

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If the data are invalid, a number is out of range, or only one of
        ``X_val`` and ``y_val`` is given.
    """
    features, labels = _check_xy(X, y)
    epochs = check_int("epochs", epochs, low=1)
    lr = check_real("lr", lr, low=0.0, low_inclusive=False)
    weight_decay = check_real("weight_decay", weight_decay, low=0.0)
    seed = check_int("seed", seed, low=0)
    if (X_val is None) != (y_val is None):
        raise ValueError(
            "X_val and y_val must be given together; got "
            f"X_val={'None' if X_val is None else 'an array'} and "
            f"y_val={'None' if y_val is None else 'an array'}."
        )
    validation = None
    if X_val is not None:
        validation = _check_xy(X_val, y_val, x_name="X_val", y_name="y_val")
        if validation[0].shape[1] != features.shape[1]:
            raise ValueError(
                f"X_val must have the same number of columns as X "
                f"({features.shape[1]}); got {validation[0].shape[1]}."
            )
    loader = make_loader(features, labels, batch_size=batch_size, seed=seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.BCEWithLogitsLoss()
    history = TrainHistory()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # dropout masks
        bar = tqdm(range(epochs), desc="training", unit="epoch", disable=not progress)
        for epoch in bar:
            loss = train_epoch(model, loader, optimizer, loss_fn=loss_fn)
            history.train_loss.append(loss)
            postfix = {"loss": f"{loss:.4f}"}
            if validation is not None:
                val_x, val_y = validation
                logits = _logits(model, val_x, 4096)
                val_loss = float(
                    loss_fn(torch.from_numpy(logits), torch.from_numpy(val_y).double())
                )
                history.val_loss.append(val_loss)
                both = 0 < val_y.sum() < val_y.shape[0]
                history.val_auroc.append(auroc(val_y, logits) if both else np.nan)
                postfix["val_auroc"] = f"{history.val_auroc[-1]:.3f}"
            bar.set_postfix(postfix)
            logger.debug("epoch %d: %s", epoch + 1, postfix)
    return history


def predict_proba(model: nn.Module, X: Any, *, batch_size: int = 4096) -> np.ndarray:
    """Return the model's predicted probabilities for the rows of ``X``.

    Runs in eval mode (no dropout) without gradients, then restores the
    model's previous mode.

    Parameters
    ----------
    model : torch.nn.Module
        Model returning logits.
    X : array-like of shape (n, n_features)
        Finite features.
    batch_size : int, default 4096
        Rows per forward pass.

    Returns
    -------
    numpy.ndarray of shape (n,)
        Probabilities in [0, 1], as float64.

    Raises
    ------
    TypeError
        If ``X`` is not numeric.
    ValueError
        If ``X`` is not a finite 2-D array or ``batch_size < 1``.
    """
    features = _check_features(X)
    batch_size = check_int("batch_size", batch_size, low=1)
    logits = _logits(model, features, batch_size)
    return 0.5 * (1.0 + np.tanh(0.5 * logits))  # sigmoid, stable for large |x|


def fit_sklearn_baseline(
    X: Any, y: Any, *, kind: str = "logistic", C: float = 1.0, seed: int = 0
) -> ClassifierMixin:
    """Return a fitted scikit-learn baseline for the same task.

    Parameters
    ----------
    X : array-like of shape (n, n_features)
        Finite features.
    y : array-like of shape (n,)
        Binary labels.
    kind : {"logistic", "gradient_boosting"}, default "logistic"
        ``LogisticRegression(max_iter=2000)`` or
        ``HistGradientBoostingClassifier``.
    C : float, default 1.0
        Inverse L2 regularisation strength, > 0 (logistic only).
    seed : int, default 0
        ``random_state`` of the estimator.

    Returns
    -------
    sklearn classifier
        The fitted estimator; use ``predict_proba(X)[:, 1]``.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If the data are invalid, ``kind`` is unknown or ``C <= 0``.
    """
    features, labels = _check_xy(X, y)
    check_choice("kind", kind, ("logistic", "gradient_boosting"))
    C = check_real("C", C, low=0.0, low_inclusive=False)
    seed = check_int("seed", seed, low=0)
    if kind == "logistic":
        estimator: ClassifierMixin = LogisticRegression(
            C=C, max_iter=2000, random_state=seed
        )
    else:
        estimator = HistGradientBoostingClassifier(random_state=seed)
    return estimator.fit(features, labels)
