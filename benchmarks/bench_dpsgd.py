"""Time DP-SGD against non-private training, and its utility at ε = 1 (lesson 04).

Run from the repository root with the kit installed (see ``benchmarks/README.md``)::

    python benchmarks/bench_dpsgd.py
    python benchmarks/bench_dpsgd.py --models logistic --repeats 5

On the lesson-01 cohort (one admission per training patient, as in lesson 04) it
trains each model non-privately (:func:`ehrpriv.dpsgd.train_nonprivate`) and with
DP-SGD to ε = 1, δ = 1e-5 (:func:`ehrpriv.dpsgd.train_private`): same model, same
initial weights, same SGD, batch size, epochs and learning rate, interleaved in one
run. It prints the median time per epoch of the training loop of each, their ratio,
and the test AUROC of each with the private one as a fraction of the non-private
one, against the lesson's target of 97 %. It measures and prints; it never fails on
a result: a row under the target says ``BELOW TARGET`` and the exit status stays 0.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone

import torch

from ehrpriv import cohort, dpsgd, metrics, models, synthea

#: The lesson's settings (notebooks/04_dp_sgd.ipynb, configuration cell).
SEED = 2024
TEST_SIZE = 0.25
EPSILON = 1.0
DELTA = 1e-5
MAX_GRAD_NORM = 2.0
BATCH_SIZE = 2048
EPOCHS = 20
LEARNING_RATES = {"logistic": 2.0, "mlp": 1.0}
#: Utility target: AUROC at ε = 1 as a fraction of the non-private AUROC.
TARGET_FRACTION = 0.97


def _data() -> tuple:
    """Return the lesson's training and test matrices."""
    tables = synthea.read_synthea(synthea.default_data_dir())
    admissions = cohort.build_cohort(tables)
    train, test = cohort.split_by_patient(admissions, test_size=TEST_SIZE, seed=SEED)
    train_one = dpsgd.one_admission_per_patient(train, seed=SEED)
    pipeline = cohort.FeaturePipeline()
    X_train = pipeline.fit_transform(train_one)
    X_test = pipeline.transform(test)
    return (
        X_train,
        train_one["died_in_hospital"].to_numpy(),
        X_test,
        test["died_in_hospital"].to_numpy(),
    )


def _measure(kind: str, data: tuple, repeats: int) -> dict[str, float]:
    """Train ``kind`` both ways ``repeats`` times, interleaved; return the medians."""
    X_train, y_train, X_test, y_test = data
    common = dict(epochs=EPOCHS, batch_size=BATCH_SIZE, lr=LEARNING_RATES[kind])
    plain_times, private_times, setups = [], [], []
    for repeat in range(repeats):
        seed = SEED + repeat
        plain = dpsgd.train_nonprivate(
            models.make_model(kind, X_train.shape[1], seed=seed),
            X_train,
            y_train,
            seed=seed,
            **common,
        )
        private = dpsgd.train_private(
            models.make_model(kind, X_train.shape[1], seed=seed),
            X_train,
            y_train,
            target_epsilon=EPSILON,
            delta=DELTA,
            max_grad_norm=MAX_GRAD_NORM,
            seed=seed,
            **common,
        )
        plain_times.append(plain.seconds_per_epoch)
        private_times.append(private.seconds_per_epoch)
        setups.append(private.setup_seconds)
        if repeat == 0:  # utility of the first (seeded as in the lesson) pair
            plain_auroc = metrics.auroc(y_test, plain.predict_proba(X_test))
            private_auroc = metrics.auroc(y_test, private.predict_proba(X_test))
            spent = private.epsilon
    plain_epoch = statistics.median(plain_times)
    private_epoch = statistics.median(private_times)
    return {
        "plain_epoch": plain_epoch,
        "private_epoch": private_epoch,
        "ratio": private_epoch / plain_epoch,
        "setup": statistics.median(setups),
        "plain_auroc": plain_auroc,
        "private_auroc": private_auroc,
        "fraction": private_auroc / plain_auroc,
        "epsilon": spent,
    }


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, measure, and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models",
        nargs="+",
        choices=sorted(LEARNING_RATES),
        default=["logistic", "mlp"],
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs per model (3)")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (1: small models)"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print("## Machine\n")
    print(f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")
    print(f"- platform: {platform.platform()}, {os.cpu_count()} CPUs, load {load:.1f}")
    print(f"- Python {platform.python_version()}, torch {torch.__version__}, "
          f"{args.threads} torch thread(s)")  # fmt: skip
    started = time.perf_counter()
    data = _data()
    n_train = data[0].shape[0]
    print(f"- cohort: {n_train:,} training patients (one admission each), "
          f"{data[2].shape[0]:,} test admissions, loaded in "
          f"{time.perf_counter() - started:.1f} s\n")  # fmt: skip

    print(
        f"## DP-SGD vs non-private SGD (ε = {EPSILON:g}, δ = {DELTA:g}, "
        f"C = {MAX_GRAD_NORM:g}, batch {BATCH_SIZE}, {EPOCHS} epochs, "
        f"median of {args.repeats} runs)\n"
    )
    print(
        "| model | non-private s/epoch | DP-SGD s/epoch | time ratio | σ search (s) "
        "| ε spent | non-private AUROC | DP AUROC | fraction | ≥ 97 % |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for kind in args.models:
        row = _measure(kind, data, args.repeats)
        verdict = "ok" if row["fraction"] >= TARGET_FRACTION else "BELOW TARGET"
        print(
            f"| {kind} | {row['plain_epoch']:.4f} | {row['private_epoch']:.4f} "
            f"| {row['ratio']:.2f} | {row['setup']:.2f} | {row['epsilon']:.3f} "
            f"| {row['plain_auroc']:.3f} | {row['private_auroc']:.3f} "
            f"| {row['fraction']:.1%} | {verdict} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
