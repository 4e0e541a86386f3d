"""Privacy parameters that are allowed but too weak to rely on are warned about."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from ehrpriv import dp
from ehrpriv._validation import WEAK_EPSILON, WeakPrivacyWarning, warn_if_weak


def test_large_epsilon_is_warned_about_with_its_value() -> None:
    """An epsilon above WEAK_EPSILON draws a warning naming it and the limit."""
    with pytest.warns(WeakPrivacyWarning, match=r"epsilon = 1000 is above 10"):
        warn_if_weak(epsilon=1000.0)


def test_delta_not_below_one_over_n_is_warned_about() -> None:
    """A delta of at least 1/n draws a warning naming delta, 1/n and n."""
    with pytest.warns(
        WeakPrivacyWarning, match=r"delta = 0.5 is not below 1/n = 0.025"
    ):
        warn_if_weak(delta=0.5, n_records=40)


def test_reasonable_parameters_are_silent() -> None:
    """epsilon = 1 and delta = 1e-5 for 10,000 records raise no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_weak(epsilon=1.0, delta=1e-5, n_records=10_000)
        warn_if_weak(epsilon=WEAK_EPSILON)


def test_mechanisms_warn_about_a_weak_epsilon() -> None:
    """The teaching mechanisms warn when asked for epsilon = 1000."""
    rng = np.random.default_rng(0)
    with pytest.warns(WeakPrivacyWarning, match="epsilon = 1000"):
        dp.laplace_mechanism(10.0, sensitivity=1.0, epsilon=1000.0, rng=rng)


def test_private_training_warns_about_a_large_delta() -> None:
    """DP-SGD on 40 records with delta = 0.5 is warned about before training."""
    from ehrpriv import dpsgd, models

    rng = np.random.default_rng(0)
    features = rng.normal(size=(40, 3)).astype(np.float32)
    labels = (rng.random(40) < 0.5).astype(np.float32)
    model = models.make_model("logistic", 3, seed=0)
    with pytest.warns(WeakPrivacyWarning, match=r"delta = 0.5 is not below 1/n"):
        dpsgd.train_private(
            model, features, labels, target_epsilon=1.0, delta=0.5, epochs=1,
            batch_size=8, max_grad_norm=1.0, lr=0.1, seed=0,
        )  # fmt: skip
