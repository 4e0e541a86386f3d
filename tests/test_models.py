"""Tests for ehrpriv.models."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from ehrpriv import metrics, models


def logistic_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return features, labels and true risk from a known logistic model."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    risk = 1.0 / (1.0 + np.exp(-(X @ np.array([1.5, -1.0, 0.5, 0.0, 0.8]) - 1.0)))
    return X, rng.binomial(1, risk), risk


def xor_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return XOR-like data: the label depends on the sign of x0 * x1."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    return X, (X[:, 0] * X[:, 1] > 0).astype(int)


@pytest.fixture(scope="module")
def train_test() -> tuple[np.ndarray, ...]:
    """A logistic training set and an independent test set with its true risk."""
    X, y, _ = logistic_data(3_000, seed=0)
    X_test, y_test, risk_test = logistic_data(3_000, seed=1)
    return X, y, X_test, y_test, risk_test


def test_models_return_squeezed_logits():
    """Both networks return logits of shape (n,)."""
    x = torch.zeros(7, 4)
    for kind in ("logistic", "mlp"):
        model = models.make_model(kind, 4)
        assert model(x).shape == (7,)


def test_mlp_layers_follow_hidden_and_dropout():
    """The MLP stacks Linear/ReLU(/Dropout) blocks of the requested widths."""
    model = models.MLP(3, hidden=(8, 4), dropout=0.2)
    kinds = [type(layer) for layer in model.layers]
    assert kinds == [
        nn.Linear,
        nn.ReLU,
        nn.Dropout,
        nn.Linear,
        nn.ReLU,
        nn.Dropout,
        nn.Linear,
    ]
    assert [
        layer.out_features for layer in model.layers if isinstance(layer, nn.Linear)
    ] == [8, 4, 1]
    assert not any(isinstance(m, nn.Dropout) for m in models.MLP(3).modules())


def test_make_model_is_seeded_and_leaves_global_rng_alone():
    """The same seed gives identical weights without consuming the global RNG."""
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    a = models.make_model("mlp", 6, seed=3)
    b = models.make_model("mlp", 6, seed=3)
    c = models.make_model("mlp", 6, seed=4)
    assert torch.rand(1) == expected
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters(), strict=True):
        assert torch.equal(pa, pb)
        assert not torch.equal(pa, pc)


def test_make_model_validates_arguments():
    """Unknown kinds and bad sizes raise errors naming the parameter and value."""
    with pytest.raises(ValueError, match=r"kind must be one of 'logistic', 'mlp'"):
        models.make_model("cnn", 3)
    with pytest.raises(ValueError, match=r"n_features must be an integer >= 1; got 0"):
        models.make_model("logistic", 0)
    with pytest.raises(ValueError, match=r"hidden\[1\] must be an integer >= 1"):
        models.make_model("mlp", 3, hidden=(4, 0))
    with pytest.raises(TypeError, match=r"hidden must be a sequence"):
        models.make_model("mlp", 3, hidden=16)
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\); got 1"):
        models.make_model("mlp", 3, dropout=1.0)


def test_make_loader_batches_and_seeded_shuffle():
    """The loader yields float32 batches and a seed fixes the shuffling order."""
    X = np.arange(20, dtype=float).reshape(10, 2)
    y = np.array([0, 1] * 5)
    loader = models.make_loader(X, y, batch_size=4, seed=1)
    batches = list(loader)
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    assert batches[0][0].dtype == torch.float32
    assert batches[0][1].dtype == torch.float32
    first = torch.cat([b[0] for b in batches])
    again = torch.cat([b[0] for b in models.make_loader(X, y, batch_size=4, seed=1)])
    assert torch.equal(first, again)
    ordered = models.make_loader(X, y, batch_size=4, shuffle=False)
    assert torch.equal(next(iter(ordered))[0], torch.tensor(X[:4], dtype=torch.float32))


@pytest.mark.parametrize(
    ("X", "y", "error", "message"),
    [
        (np.zeros(5), [0, 1, 0, 1, 0], ValueError, r"X must be 2-D .*shape \(5,\)"),
        ([[0.0, np.inf]], [1], ValueError, r"X must be finite; got inf at row 0, col"),
        ([["a", "b"]], [1], TypeError, r"X must be a 2-D array of numbers"),
        (np.zeros((3, 2)), [0, 1], ValueError, r"one label per row of X \(3\); got 2"),
        (np.zeros((2, 2)), [0, 3], ValueError, r"y must hold binary labels 0 or 1"),
    ],
)
def test_bad_inputs_are_explained(X, y, error, message):
    """Malformed features or labels raise an error naming the problem."""
    with pytest.raises(error, match=message):
        models.make_loader(X, y)
    with pytest.raises(error, match=message):
        models.fit_sklearn_baseline(X, y)


def test_train_model_validates_options(train_test):
    """Bad training options raise errors naming the parameter."""
    X, y = train_test[:2]
    model = models.make_model("logistic", X.shape[1])
    with pytest.raises(ValueError, match=r"lr must be in \(0, inf\); got 0"):
        models.train_model(model, X, y, lr=0)
    with pytest.raises(ValueError, match=r"epochs must be an integer >= 1; got 0"):
        models.train_model(model, X, y, epochs=0)
    with pytest.raises(ValueError, match=r"X_val and y_val must be given together"):
        models.train_model(model, X, y, X_val=X)
    with pytest.raises(ValueError, match=r"X_val must have the same number of col"):
        models.train_model(model, X, y, X_val=X[:, :2], y_val=y)


def test_logistic_model_approaches_true_risk_auroc(train_test):
    """A trained logistic network nearly reaches the AUROC of the true risk."""
    X, y, X_test, y_test, risk_test = train_test
    model = models.make_model("logistic", X.shape[1])
    history = models.train_model(model, X, y, epochs=15, lr=0.05)
    assert history.train_loss[-1] < history.train_loss[0]
    achieved = metrics.auroc(y_test, models.predict_proba(model, X_test))
    ceiling = metrics.bayes_optimal_auroc(y_test, risk_test)
    assert achieved == pytest.approx(ceiling, abs=0.01)
    assert achieved <= ceiling + 0.002


def test_mlp_learns_xor_where_logistic_cannot():
    """The MLP separates XOR-like data while the logistic model stays near 0.5."""
    X, y = xor_data(2_000, seed=2)
    X_test, y_test = xor_data(1_000, seed=3)
    scores = {}
    for kind in ("logistic", "mlp"):
        model = models.make_model(kind, 2, hidden=(16, 16))
        models.train_model(model, X, y, epochs=30, batch_size=128, lr=0.02)
        scores[kind] = metrics.auroc(y_test, models.predict_proba(model, X_test))
    assert scores["mlp"] > 0.95
    assert scores["logistic"] < 0.6


def test_training_is_deterministic_with_dropout(train_test):
    """Two runs from the same seeds give identical predictions, even with dropout."""
    X, y, X_test = train_test[:3]
    predictions = []
    for _ in range(2):
        model = models.make_model("mlp", X.shape[1], hidden=(16,), dropout=0.3, seed=5)
        models.train_model(model, X[:1_000], y[:1_000], epochs=3, seed=9)
        predictions.append(models.predict_proba(model, X_test))
    np.testing.assert_array_equal(predictions[0], predictions[1])
    other = models.make_model("mlp", X.shape[1], hidden=(16,), dropout=0.3, seed=5)
    models.train_model(other, X[:1_000], y[:1_000], epochs=3, seed=10)
    assert not np.array_equal(predictions[0], models.predict_proba(other, X_test))


def test_train_model_records_validation_history(train_test):
    """Validation loss and AUROC are recorded once per epoch."""
    X, y, X_test, y_test = train_test[:4]
    model = models.make_model("logistic", X.shape[1])
    history = models.train_model(
        model, X, y, epochs=3, X_val=X_test, y_val=y_test, progress=False
    )
    assert len(history.train_loss) == len(history.val_loss) == 3
    assert len(history.val_auroc) == 3
    assert all(0.0 <= value <= 1.0 for value in history.val_auroc)
    assert history.val_loss[-1] < history.val_loss[0]
    assert history.val_auroc[-1] > history.val_auroc[0]
    assert models.TrainHistory().val_loss == []


def test_train_model_progress_bar(capsys):
    """progress=True shows a bar over epochs on stderr."""
    X, y, _ = logistic_data(200, seed=8)
    model = models.make_model("logistic", X.shape[1])
    models.train_model(model, X, y, epochs=2, progress=True)
    assert "training" in capsys.readouterr().err


def test_train_epoch_returns_mean_loss_of_a_fixed_model():
    """With a zero learning rate the epoch loss equals the BCE of the model."""
    X, y, _ = logistic_data(300, seed=4)
    model = models.make_model("logistic", X.shape[1])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    loader = models.make_loader(X, y, batch_size=64)
    loss = models.train_epoch(model, loader, optimizer)
    p = models.predict_proba(model, X)
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert loss == pytest.approx(expected, rel=1e-5)


def test_predict_proba_is_eval_mode_and_restores_training_mode():
    """Prediction ignores dropout, batches consistently, and restores train mode."""
    X = np.random.default_rng(6).normal(size=(50, 4))
    model = models.make_model("mlp", 4, dropout=0.5)
    assert model.training
    full = models.predict_proba(model, X)
    batched = models.predict_proba(model, X, batch_size=7)
    assert model.training
    np.testing.assert_allclose(full, batched, rtol=1e-6)
    assert full.shape == (50,) and full.dtype == np.float64
    assert ((full > 0) & (full < 1)).all()


@pytest.mark.parametrize("kind", ["logistic", "gradient_boosting"])
def test_sklearn_baselines_fit(kind, train_test):
    """Both scikit-learn baselines fit and discriminate on the logistic data."""
    X, y, X_test, y_test = train_test[:4]
    estimator = models.fit_sklearn_baseline(X[:1_000], y[:1_000], kind=kind)
    assert metrics.auroc(y_test, estimator.predict_proba(X_test)[:, 1]) > 0.8


def test_sklearn_baseline_validates_options(train_test):
    """Unknown kinds and non-positive C raise with the value received."""
    X, y = train_test[:2]
    with pytest.raises(ValueError, match=r"kind must be one of .*got 'svm'"):
        models.fit_sklearn_baseline(X, y, kind="svm")
    with pytest.raises(ValueError, match=r"C must be in \(0, inf\); got -1"):
        models.fit_sklearn_baseline(X, y, C=-1)


# Opacus warns about its own settings; both warnings are expected in this test.
@pytest.mark.filterwarnings("ignore:Secure RNG turned off:UserWarning")
@pytest.mark.filterwarnings("ignore:Full backward hook is firing:UserWarning")
def test_models_train_under_opacus(train_test):
    """Opacus accepts both models, and train_epoch runs the private loop."""
    opacus = pytest.importorskip("opacus")
    from opacus.validators import ModuleValidator

    X, y = train_test[:2]
    for kind in ("logistic", "mlp"):
        model = models.make_model(kind, X.shape[1], dropout=0.1)
        assert ModuleValidator.validate(model, strict=False) == []
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        engine = opacus.PrivacyEngine(secure_mode=False)
        private_model, private_optimizer, private_loader = engine.make_private(
            module=model,
            optimizer=optimizer,
            data_loader=models.make_loader(X[:512], y[:512], batch_size=64),
            noise_multiplier=1.0,
            max_grad_norm=1.0,
        )
        loss = models.train_epoch(private_model, private_loader, private_optimizer)
        assert np.isfinite(loss)
        assert engine.get_epsilon(delta=1e-5) > 0
        assert models.predict_proba(private_model, X[:10]).shape == (10,)
