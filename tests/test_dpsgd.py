"""Tests of ehrpriv.dpsgd: DP-SGD training, accounting, clipping by hand, audits."""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from opacus import GradSampleModule
from opacus.optimizers import DPOptimizer

from ehrpriv import attacks, dpsgd, models


def _data(n: int = 400, d: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A small, learnable binary task."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = (rng.random(n) < 1 / (1 + np.exp(-(X[:, 0] - 1.5)))).astype(int)
    return X, y


SETTINGS = dict(delta=1e-4, epochs=2, batch_size=100, max_grad_norm=1.0, lr=0.5)


def _train(seed: int | None = 0, **changes) -> dpsgd.PrivateTrainingResult:
    """Train a logistic model privately on the small task."""
    X, y = _data()
    settings = {"target_epsilon": 2.0, **SETTINGS, "seed": seed, **changes}
    return dpsgd.train_private(models.make_model("logistic", 5), X, y, **settings)


# --------------------------------------------------------------------------------
# argument checks
# --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"target_epsilon": 0}, ValueError, r"target_epsilon must be in \(0, inf\)"),
        ({"target_epsilon": -1.0}, ValueError, r"target_epsilon .* got -1\.0\."),
        ({"delta": 1}, ValueError, r"delta must be in \(0, 1\); got 1\."),
        ({"delta": 0.0}, ValueError, r"delta must be in \(0, 1\); got 0\.0\."),
        ({"max_grad_norm": -0.5}, ValueError, r"max_grad_norm must be in \(0, inf\)"),
        ({"epochs": 0}, ValueError, r"epochs must be an integer >= 1; got 0\."),
        ({"batch_size": 401}, ValueError, r"batch_size must be an integer in \[1, 400"),
        ({"lr": 0}, ValueError, r"lr must be in \(0, inf\); got 0\."),
        ({"accountant": "gdp"}, ValueError, r"accountant must be one of 'rdp', 'prv'"),
        ({"epochs": 1.5}, TypeError, r"epochs must be an integer >= 1; got 1\.5\."),
        ({"secure_mode": "yes"}, TypeError, r"secure_mode must be True or False"),
    ],
)
def test_train_private_rejects_bad_arguments(change, error, message) -> None:
    """Each bad argument is refused with its name, its range and the value."""
    with pytest.raises(error, match=message):
        _train(**change)


def test_accounting_rejects_bad_arguments() -> None:
    """Accounting helpers name the parameter, the range and the value received."""
    with pytest.raises(ValueError, match=r"sample_rate must be in \(0, 1\]; got 1\.5"):
        dpsgd.noise_multiplier_for(1.0, delta=1e-5, sample_rate=1.5, epochs=1)
    with pytest.raises(ValueError, match=r"sample_rate must be in \(0, 1\]; got 0\."):
        dpsgd.epsilon_for(1.0, delta=1e-5, sample_rate=0, steps=10)
    with pytest.raises(ValueError, match=r"exactly one of epochs and steps"):
        dpsgd.noise_multiplier_for(1.0, delta=1e-5, sample_rate=0.1)
    with pytest.raises(ValueError, match=r"steps must be an integer >= 1; got 0\."):
        dpsgd.epsilon_for(1.0, delta=1e-5, sample_rate=0.1, steps=0)
    with pytest.raises(ValueError, match=r"noise_multiplier must be in \[0, inf\)"):
        dpsgd.epsilon_for(-1.0, delta=1e-5, sample_rate=0.1, steps=1)
    with pytest.raises(ValueError, match=r"n_records must be an integer >= 1; got 0"):
        dpsgd.suggest_delta(0)
    with pytest.raises(ValueError, match=r"group_size must be an integer >= 1"):
        dpsgd.group_privacy(epsilon=1.0, delta=1e-5, group_size=0)


def test_secure_mode_is_handled_honestly() -> None:
    """Secure mode refuses a seed, and says what is missing without torchcsprng."""
    with pytest.raises(ValueError, match=r"seed must be None when secure_mode=True"):
        _train(secure_mode=True, seed=3)
    if not dpsgd.secure_rng_available():
        with pytest.raises(RuntimeError, match=r"needs the torchcsprng package"):
            _train(secure_mode=True, seed=None)


def test_production_without_secure_mode_warns() -> None:
    """A production run without secure mode emits an InsecureNoiseWarning."""
    with pytest.warns(dpsgd.InsecureNoiseWarning, match=r"seeded with 0"):
        _train(production=True, epochs=1)


# --------------------------------------------------------------------------------
# training
# --------------------------------------------------------------------------------
def test_training_is_deterministic_quiet_and_within_budget() -> None:
    """Same seed, same model; another seed differs; ε spent ≤ target; no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first, again, other = _train(seed=1), _train(seed=1), _train(seed=2)
    weights = [r.model.linear.weight.detach().numpy() for r in (first, again, other)]
    np.testing.assert_array_equal(weights[0], weights[1])
    assert not np.allclose(weights[0], weights[2])
    assert first.epsilon <= first.target_epsilon
    assert first.epsilon > first.target_epsilon - 0.05
    assert first.noise_multiplier > 0 and first.private
    assert first.steps == 2 * 4 and first.sample_rate == pytest.approx(0.25)
    assert first.guarantee == f"(ε = {first.epsilon:.2f}, δ = 1e-04)"
    assert not first.model.linear._forward_hooks  # Opacus's hooks are gone


def test_prv_accountant_spends_at_most_the_target() -> None:
    """With the PRV accountant too, the ε spent stays within the target."""
    run = _train(accountant="prv", epochs=1, target_epsilon=4.0)
    assert run.epsilon <= 4.0 and run.accountant == "prv"


def test_clip_only_run_and_nonprivate_reference() -> None:
    """ε = inf clips without noise; the non-private run has no clipping at all."""
    clip_only = _train(target_epsilon=math.inf)
    assert clip_only.noise_multiplier == 0 and clip_only.epsilon == math.inf
    assert clip_only.label == "ε = ∞ (clip only)" and not clip_only.private
    X, y = _data()
    plain = dpsgd.train_nonprivate(
        models.make_model("logistic", 5), X, y, epochs=2, batch_size=100, lr=0.5
    )
    assert plain.label == "non-private" and plain.max_grad_norm is None
    assert len(plain.train_loss) == 2 and plain.seconds_per_epoch > 0


# --------------------------------------------------------------------------------
# accounting
# --------------------------------------------------------------------------------
@pytest.mark.parametrize("epsilon", [0.5, 2.0, 8.0])
def test_noise_multiplier_and_epsilon_invert_each_other(epsilon: float) -> None:
    """σ for a target ε spends at most ε, within Opacus's tolerance of 0.01."""
    q, epochs = 0.05, 3
    sigma = dpsgd.noise_multiplier_for(
        epsilon, delta=1e-5, sample_rate=q, epochs=epochs
    )
    steps = dpsgd.steps_for(epochs, q)
    spent = dpsgd.epsilon_for(sigma, delta=1e-5, sample_rate=q, steps=steps)
    assert epsilon - 0.01 <= spent <= epsilon
    less = dpsgd.epsilon_for(0.95 * sigma, delta=1e-5, sample_rate=q, steps=steps)
    assert less > epsilon


def test_accounting_facts() -> None:
    """No noise spends ∞; PRV is tighter than RDP; δ and group privacy rules."""
    assert dpsgd.epsilon_for(0.0, delta=1e-5, sample_rate=0.1, steps=5) == math.inf
    rdp = dpsgd.epsilon_for(1.0, delta=1e-5, sample_rate=0.05, steps=100)
    prv = dpsgd.epsilon_for(
        1.0, delta=1e-5, sample_rate=0.05, steps=100, accountant="prv"
    )
    assert prv < rdp
    assert [dpsgd.suggest_delta(n) for n in (1, 9, 10, 11, 7_500, 10_000)] == [
        0.1, 0.01, 0.01, 0.001, 1e-5, 1e-5,
    ]  # fmt: skip
    assert dpsgd.group_privacy(epsilon=1.0, delta=1e-5, group_size=1) == (1.0, 1e-5)
    eps3, delta3 = dpsgd.group_privacy(epsilon=1.0, delta=1e-5, group_size=3)
    assert eps3 == 3.0 and delta3 == pytest.approx(3 * math.e**2 * 1e-5)


def test_one_admission_per_patient() -> None:
    """One row per patient, kept from the input in order, the same for a seed."""
    frame = pd.DataFrame({"patient_id": list("aabbbcd"), "x": range(7)})
    kept = dpsgd.one_admission_per_patient(frame, seed=4)
    assert sorted(kept["patient_id"]) == list("abcd")
    assert list(kept.index) == sorted(kept.index)
    assert kept.equals(dpsgd.one_admission_per_patient(frame, seed=4))
    draws = {tuple(dpsgd.one_admission_per_patient(frame, seed=s).index) for s in
             range(20)}  # fmt: skip
    assert len(draws) > 1


# --------------------------------------------------------------------------------
# DP-SGD by hand matches Opacus
# --------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:Full backward hook is firing:UserWarning")
def test_clipping_by_hand_matches_opacus() -> None:
    """Per-sample gradients, flat clipping and one DP step agree with Opacus."""
    X, y = _data(n=16, d=3, seed=5)
    X[0] *= 0.0  # an example with a small gradient (not clipped)
    model = models.make_model("mlp", 3, hidden=(4,), seed=1)
    by_hand = copy.deepcopy(model)
    wrapped = GradSampleModule(model)
    optimizer = DPOptimizer(
        torch.optim.SGD(wrapped.parameters(), lr=0.3),
        noise_multiplier=0.0,
        max_grad_norm=0.5,
        expected_batch_size=16,
    )
    logits = wrapped(torch.as_tensor(X))
    loss = torch.nn.BCEWithLogitsLoss()(logits, torch.as_tensor(y, dtype=torch.float32))
    loss.backward()
    mine = dpsgd.per_sample_gradients(by_hand, X, y)
    for param, grad in zip(wrapped.parameters(), mine, strict=True):
        torch.testing.assert_close(param.grad_sample, grad, rtol=1e-5, atol=1e-6)
    clipped, norms = dpsgd.clip_per_sample_gradients(mine, max_grad_norm=0.5)
    assert (norms > 0.5).any() and (norms < 0.5).any()
    after = torch.stack([c.reshape(16, -1).norm(dim=1) for c in clipped]).norm(dim=0)
    assert torch.all(after <= 0.5 + 1e-6)
    optimizer.step()
    dpsgd.dp_sgd_step_by_hand(
        by_hand, X, y, max_grad_norm=0.5, noise_multiplier=0.0, lr=0.3
    )
    for theirs, ours in zip(model.parameters(), by_hand.parameters(), strict=True):
        torch.testing.assert_close(theirs, ours, rtol=1e-5, atol=1e-6)


def test_clipping_keeps_zero_gradients_and_checks_input() -> None:
    """A zero gradient stays zero; bad input names the parameter."""
    grads = [torch.zeros(3, 2), torch.ones(3, 1) * torch.tensor([[0.0], [3.0], [0.1]])]
    clipped, norms = dpsgd.clip_per_sample_gradients(grads, max_grad_norm=1.0)
    assert torch.all(clipped[0] == 0) and clipped[1][0, 0] == 0
    assert clipped[1][1, 0] == pytest.approx(1.0, abs=1e-5)
    assert clipped[1][2, 0] == pytest.approx(0.1)
    with pytest.raises(ValueError, match=r"max_grad_norm must be in \(0, inf\)"):
        dpsgd.clip_per_sample_gradients(grads, max_grad_norm=0)
    with pytest.raises(ValueError, match=r"same first dimension"):
        dpsgd.clip_per_sample_gradients(
            [torch.ones(3, 2), torch.ones(2)], max_grad_norm=1
        )


def test_noise_by_hand_has_the_right_scale() -> None:
    """With σ > 0 the step's noise has standard deviation σ C / batch size."""
    X, y = _data(n=10, d=3)
    model = models.make_model("logistic", 3)
    generator = torch.Generator().manual_seed(0)
    draws = []
    for _ in range(200):
        clean = copy.deepcopy(model)
        noisy = dpsgd.dp_sgd_step_by_hand(
            clean, X, y, max_grad_norm=1.0, noise_multiplier=2.0, lr=1.0,
            generator=generator,
        )  # fmt: skip
        draws.append(noisy[0].flatten())
    spread = torch.stack(draws).std(dim=0)
    assert torch.allclose(spread, torch.full_like(spread, 0.2), rtol=0.2)


# --------------------------------------------------------------------------------
# bounds and tables
# --------------------------------------------------------------------------------
def test_membership_bounds() -> None:
    """The DP bound lies above chance, tightens with ε, and is trivial at ∞."""
    fpr = np.array([0.0, 0.001, 0.01, 0.5, 1.0])
    bound = dpsgd.mia_tpr_bound(fpr, epsilon=1.0, delta=1e-5)
    assert np.all(bound >= fpr - 1e-12) and np.all(np.diff(bound) >= 0)
    assert bound[2] == pytest.approx(math.e * 0.01 + 1e-5)
    assert np.all(dpsgd.mia_tpr_bound(fpr, epsilon=math.inf, delta=0.0) == 1)
    assert dpsgd.mia_auc_bound(epsilon=1e-3, delta=0.0) == pytest.approx(0.5, abs=1e-3)
    assert dpsgd.mia_auc_bound(epsilon=1.0, delta=1e-5) < dpsgd.mia_auc_bound(
        epsilon=2.0, delta=1e-5
    )
    with pytest.raises(ValueError, match=r"fpr must hold rates in \[0, 1\]"):
        dpsgd.mia_tpr_bound([1.5], epsilon=1.0, delta=0.0)


def test_tables_and_scorecard() -> None:
    """The utility, membership and scorecard tables have one row per run."""
    X, y = _data(n=600)
    X_train, y_train, X_test, y_test = X[:400], y[:400], X[400:], y[400:]
    runs = [_train(seed=0), _train(target_epsilon=math.inf)]
    plain = dpsgd.train_nonprivate(
        models.make_model("logistic", 5), X_train, y_train, epochs=2,
        batch_size=100, lr=0.5,
    )  # fmt: skip
    risk = 1 / (1 + np.exp(-(X_test[:, 0] - 1.5)))
    utility = dpsgd.privacy_utility_table(
        runs, X_test, y_test, nonprivate=plain, true_risk=risk
    )
    assert list(utility.index) == ["ε = 2", "ε = ∞ (clip only)"]
    assert (utility["fraction of ceiling"] > 0).all()
    member = np.r_[np.ones(400), np.zeros(200)]
    audit = dpsgd.membership_table([*runs, plain], X=X, y=y, is_member=member)
    assert audit.loc["ε = 2", "bound TPR@1%FPR"] < 0.1
    assert audit.loc["non-private", "bound AUC"] == 1.0
    card = dpsgd.scorecard_rows(
        runs, utility=utility, membership=audit, nonprivate=plain, attack="loss"
    )
    frame = card.to_frame()
    assert len(frame) == 2 and set(frame["lesson"]) == {"04"}
    assert frame.loc[0, "epsilon"] == runs[0].epsilon
    assert isinstance(attacks.TrainingRecipe(), attacks.TrainingRecipe)
