"""Differential privacy for aggregate EHR queries.

Introduced in lesson 03 (``notebooks/03_differential_privacy.ipynb``). One module
per concern:

- :mod:`ehrpriv.dp.mechanisms`: randomized response, the Laplace and Gaussian
  mechanisms, sensitivity, and the count, mean and histogram queries
  (**teaching code**, numpy floating point, not for production);
- :mod:`ehrpriv.dp.accounting`: a privacy budget that refuses overspending, and
  zCDP accounting for many Gaussian queries;
- :mod:`ehrpriv.dp.pitfalls`: the floating-point attack on naive Laplace noise;
- :mod:`ehrpriv.dp.vetted`: thin wrappers around OpenDP (library code; OpenDP's
  ``contrib`` features, not yet through OpenDP's own vetting);
- :mod:`ehrpriv.dp.evaluation`: the differencing attack, release error and
  scorecard rows;
- :mod:`ehrpriv.dp.registry`: the lesson's patient registry;
- :mod:`ehrpriv.dp.plots`: the lesson's figures.

The most used names are re-exported here, so ``from ehrpriv import dp`` then
``dp.laplace_mechanism(...)`` works.
"""

from __future__ import annotations

from ehrpriv.dp.accounting import (
    BudgetExceededError,
    PrivacyBudget,
    ZCDPAccountant,
    gaussian_composition,
    gaussian_rho,
    zcdp_to_epsilon,
)
from ehrpriv.dp.evaluation import (
    clipping_tradeoff,
    differencing_attack_success,
    error_by_epsilon,
    max_attack_accuracy,
    measure_query,
    noise_scales,
    query_scorecard_row,
    randomized_response_survey,
    release_error,
)
from ehrpriv.dp.mechanisms import (
    RandomizedResponseEstimate,
    bounded_sum_sensitivity,
    clipped_mean_sensitivity,
    count_sensitivity,
    dp_count,
    dp_histogram,
    dp_mean,
    gaussian_delta,
    gaussian_epsilon,
    gaussian_mechanism,
    gaussian_sigma,
    histogram_counts,
    laplace_mechanism,
    randomized_response,
    randomized_response_estimate,
    truth_probability,
)
from ehrpriv.dp.pitfalls import (
    FloatingPointAttack,
    attainability_table,
    floating_point_attack,
    is_attainable,
    laplace_output_from_uniform,
    neighbouring_doubles,
)
from ehrpriv.dp.registry import build_registry

__all__ = [
    "BudgetExceededError",
    "FloatingPointAttack",
    "PrivacyBudget",
    "RandomizedResponseEstimate",
    "ZCDPAccountant",
    "attainability_table",
    "bounded_sum_sensitivity",
    "build_registry",
    "clipping_tradeoff",
    "clipped_mean_sensitivity",
    "count_sensitivity",
    "differencing_attack_success",
    "dp_count",
    "dp_histogram",
    "dp_mean",
    "error_by_epsilon",
    "floating_point_attack",
    "gaussian_composition",
    "gaussian_delta",
    "gaussian_epsilon",
    "gaussian_mechanism",
    "gaussian_rho",
    "gaussian_sigma",
    "histogram_counts",
    "is_attainable",
    "laplace_mechanism",
    "laplace_output_from_uniform",
    "max_attack_accuracy",
    "measure_query",
    "neighbouring_doubles",
    "noise_scales",
    "query_scorecard_row",
    "randomized_response",
    "randomized_response_estimate",
    "randomized_response_survey",
    "release_error",
    "truth_probability",
    "zcdp_to_epsilon",
]
