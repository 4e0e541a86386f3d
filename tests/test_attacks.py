"""Tests for ehrpriv.attacks and ehrpriv.attack_plots."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless backend; set before pyplot is imported

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from ehrpriv import attack_plots, attacks, models  # noqa: E402
from ehrpriv._validation import MissingColumnError  # noqa: E402
from ehrpriv.cohort import FeaturePipeline  # noqa: E402
from ehrpriv.deid import TRUTH_COLUMN  # noqa: E402

QI = ["ZIP", "GENDER"]


@pytest.fixture(autouse=True)
def close_figures():
    """Close every figure a test opened."""
    yield
    plt.close("all")


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Train the toy models on one thread: faster for tiny networks, and steadier."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def released() -> pd.DataFrame:
    """Four released records: two share a key, two are unique."""
    return pd.DataFrame(
        {
            TRUTH_COLUMN: ["p1", "p2", "p3", "p4"],
            "ZIP": ["021", "021", "024", "027"],
            "YEAR": [1950, 1950, 1960, 1970],
        }
    )


@pytest.fixture
def public() -> pd.DataFrame:
    """A public table: p1, p3, and a stranger who shares p4's key."""
    return pd.DataFrame(
        {
            "NAME": ["Ann", "Cy", "Stranger", "Other"],
            "ZIP": ["021", "024", "027", "010"],
            "YEAR": [1950, 1960, 1970, 1980],
            TRUTH_COLUMN: ["p1", "p3", None, None],
        }
    )


@pytest.fixture
def small() -> pd.DataFrame:
    """Six released rows in classes of sizes 3, 2 and 1."""
    return pd.DataFrame(
        {
            "ZIP": ["02118", "02118", "02118", "02446", "02446", "02720"],
            "GENDER": ["F", "F", "F", "M", "M", "F"],
            "diagnosis": ["flu", "flu", "hiv", "copd", "copd", "flu"],
        },
        index=[10, 11, 12, 13, 14, 15],
    )


@pytest.fixture(scope="module")
def memorised() -> dict[str, np.ndarray]:
    """A deliberately overfit MLP: it memorises random labels of 100 members."""
    rng = np.random.default_rng(3)
    n = 200
    X = rng.normal(size=(n, 8)).astype(np.float32)
    y = (rng.random(n) < 0.5).astype(np.int64)
    is_member = np.r_[np.ones(100), np.zeros(100)].astype(np.int64)
    recipe = attacks.TrainingRecipe(
        kind="mlp", hidden=(64, 64), epochs=150, lr=1e-2, batch_size=100,
        weight_decay=0.0,
    )  # fmt: skip
    model = recipe.fit(X[is_member == 1], y[is_member == 1], seed=0)
    probs = models.predict_proba(model, X)
    reference = attacks.train_reference_models(X, y, recipe=recipe, n_models=4, seed=0)
    return {
        "X": X,
        "y": y,
        "is_member": is_member,
        "probs": probs,
        "reference": reference,
    }


# ---------------------------------------------------------------------------
# Linkage
# ---------------------------------------------------------------------------


def test_linkage_counts_one_to_one_links_and_scores_them(released, public):
    """Only keys unique on both sides are links; the hidden id scores them."""
    result = attacks.linkage_attack(released, public, on=["ZIP", "YEAR"])
    assert result.matches["one_to_one"].tolist() == [False, False, True, True]
    assert result.matches["correct"].tolist() == [False, False, True, False]
    assert result.n_one_to_one == 2 and result.n_correct == 1
    assert result.reidentification_rate == 0.25
    assert result.precision == 0.5
    assert result.uniqueness == 0.5
    # a random pick among candidates finds p1 (1 candidate) and p3: 2 of 4
    assert result.summary()["re-identified by guessing"] == pytest.approx(0.5)


def test_linkage_never_matches_on_the_hidden_id(released, public):
    """Shuffling the public table's hidden ids changes scores, not the links."""
    shuffled = public.assign(**{TRUTH_COLUMN: ["p3", "p1", None, None]})
    result = attacks.linkage_attack(released, shuffled, on=["ZIP", "YEAR"])
    assert result.n_one_to_one == 2 and result.n_correct == 0


def test_linkage_errors(released, public):
    """Mismatched kinds, the hidden id as a key and missing columns are refused."""
    as_text = public.assign(YEAR=public["YEAR"].astype(str))
    with pytest.raises(TypeError, match="on column 'YEAR' must hold the same kind"):
        attacks.linkage_attack(released, as_text, on=["ZIP", "YEAR"])
    with pytest.raises(ValueError, match="on must not hold the hidden ground-truth"):
        attacks.linkage_attack(released, public, on=["ZIP", TRUTH_COLUMN])
    with pytest.raises(MissingColumnError, match="public is missing column.*_true_id"):
        attacks.linkage_attack(released, public.drop(columns=TRUTH_COLUMN), on=["ZIP"])
    with pytest.raises(TypeError, match="quasi_identifiers must be a non-empty list"):
        attacks.linkage_attack(released, public, on="ZIP")


def test_attach_ground_truth_labels_unambiguous_patients():
    """Public records get the patient id; ambiguous and unknown people do not."""
    patients = pd.DataFrame(
        {
            "Id": ["a", "b", "c"],
            "FIRST": ["Ann", "Bo", "Bo"],
            "LAST": ["Lee", "Ray", "Ray"],
            "BIRTHDATE": pd.to_datetime(["1950-01-01", "1960-02-02", "1960-02-02"]),
            "GENDER": ["F", "M", "M"],
        }
    )
    roll = pd.DataFrame(
        {
            "FIRST": ["Ann", "Bo", "Cy"],
            "LAST": ["Lee", "Ray", "Fox"],
            "BIRTHDATE": ["1950-01-01", "1960-02-02", "1970-03-03"],
            "GENDER": ["F", "M", "M"],
        }
    )
    out = attacks.attach_ground_truth(roll, patients)
    assert out[TRUTH_COLUMN].tolist()[0] == "a"
    assert out[TRUTH_COLUMN].isna().tolist() == [False, True, True]
    assert pd.api.types.is_datetime64_any_dtype(out["BIRTHDATE"])
    assert "BIRTHDATE" in roll and roll["BIRTHDATE"].dtype != out["BIRTHDATE"].dtype


# ---------------------------------------------------------------------------
# Homogeneity
# ---------------------------------------------------------------------------


def test_homogeneity_discloses_homogeneous_classes(small):
    """Classes in which everyone shares a value disclose it, and only those."""
    result = attacks.homogeneity_attack(small, QI, "diagnosis")
    assert result.inferred.tolist() == [None, None, None, "copd", "copd", "flu"]
    assert result.disclosure_rate == 0.5
    assert result.accuracy == 1.0
    table = result.by_value()
    assert table.loc["copd", "share disclosed"] == 1.0
    assert table.loc["hiv", "disclosed"] == 0
    assert result.classes["disclosed"].tolist() == [True, True, False]


def test_homogeneity_with_lower_confidence_infers_majorities(small):
    """At 60 % confidence the flu-majority class is disclosed too, once wrongly."""
    result = attacks.homogeneity_attack(small, QI, "diagnosis", min_confidence=0.6)
    assert result.disclosure_rate == 1.0
    assert result.accuracy == pytest.approx(5 / 6)


def test_homogeneity_errors(small):
    """Bad confidence or a sensitive quasi-identifier is refused."""
    with pytest.raises(ValueError, match=r"min_confidence must be in \(0, 1\]; got 0"):
        attacks.homogeneity_attack(small, QI, "diagnosis", min_confidence=0)
    with pytest.raises(ValueError, match="sensitive must not be one of"):
        attacks.homogeneity_attack(small, QI, "ZIP")
    with pytest.raises(MissingColumnError, match="released is missing column.*dx"):
        attacks.homogeneity_attack(small, QI, "dx")


# ---------------------------------------------------------------------------
# Membership inference
# ---------------------------------------------------------------------------


def test_per_example_loss_is_binary_cross_entropy():
    """The loss is -log of the probability given to the true label."""
    loss = attacks.per_example_loss([0.8, 0.8, 0.0], [1, 0, 0])
    assert loss == pytest.approx([-np.log(0.8), -np.log(0.2), 1e-7], abs=1e-6)
    with pytest.raises(ValueError, match="probs must hold probabilities in"):
        attacks.per_example_loss([1.5], [1])


def test_attacks_beat_chance_on_an_overfit_model(memorised):
    """Both attacks find the members of a model that memorised random labels."""
    loss = attacks.mia_metrics(
        attacks.loss_threshold_attack(memorised["probs"], memorised["y"]),
        memorised["is_member"],
    )
    lira = attacks.mia_metrics(
        attacks.reference_model_attack(
            memorised["probs"], memorised["y"], memorised["reference"]
        ),
        memorised["is_member"],
    )
    # half the non-members are confidently wrong (high loss), half right (low)
    assert loss.auc > 0.7
    assert lira.auc > 0.7
    assert lira.tpr_at_1pct_fpr >= 0.03 > loss.tpr_at_1pct_fpr


def test_attacks_are_near_chance_on_random_scores():
    """Scores unrelated to membership give AUC near 0.5 and TPR near FPR."""
    rng = np.random.default_rng(11)
    member = rng.random(20_000) < 0.5
    result = attacks.mia_metrics(rng.random(20_000), member)
    assert result.auc == pytest.approx(0.5, abs=0.02)
    assert result.tpr_at_1pct_fpr == pytest.approx(0.01, abs=0.006)
    assert result.advantage < 0.05
    assert result.n_members + result.n_nonmembers == 20_000


def test_mia_metrics_on_perfect_scores_and_errors():
    """Perfect scores give AUC 1; one group alone is refused."""
    result = attacks.mia_metrics([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])
    assert result.auc == 1.0 and result.tpr_at_01pct_fpr == 1.0
    assert set(result.summary()) == {
        "AUC", "TPR at 1% FPR", "TPR at 0.1% FPR", "advantage",
    }  # fmt: skip
    with pytest.raises(ValueError, match="mia_metrics needs both classes"):
        attacks.mia_metrics([0.1, 0.2], [1, 1])
    with pytest.raises(ValueError, match="scores must have the same length"):
        attacks.mia_metrics([0.1, 0.2, 0.3], [0, 1])


def test_reference_models_split_candidates_in_halves(memorised):
    """Each candidate is in exactly half the models; a patient moves as one."""
    reference = memorised["reference"]
    assert reference.probs.shape == (4, 200)
    assert (reference.is_in.sum(axis=0) == 2).all()
    groups = np.repeat(np.arange(10), 2)
    X = memorised["X"][:20]
    y = memorised["y"][:20]
    recipe = attacks.TrainingRecipe(epochs=2)
    grouped = attacks.train_reference_models(
        X, y, recipe=recipe, n_models=3, groups=groups, seed=1
    )
    assert (grouped.is_in[:, 0::2] == grouped.is_in[:, 1::2]).all()
    assert (grouped.is_in.sum(axis=0) == 1).all()
    again = attacks.train_reference_models(
        X, y, recipe=recipe, n_models=3, groups=groups, seed=1
    )
    np.testing.assert_array_equal(grouped.probs, again.probs)


def test_reference_attack_near_chance_for_an_unrelated_target(memorised):
    """Random target probabilities carry no membership signal."""
    rng = np.random.default_rng(5)
    scores = attacks.reference_model_attack(
        rng.random(200), memorised["y"], memorised["reference"]
    )
    assert attacks.mia_metrics(scores, memorised["is_member"]).auc == pytest.approx(
        0.5, abs=0.1
    )


def test_reference_and_recipe_errors(memorised):
    """Shapes, OUT counts, recipes and model counts are checked."""
    with pytest.raises(ValueError, match="reference must hold predictions of shape"):
        attacks.reference_model_attack(
            memorised["probs"][:10], memorised["y"][:10], memorised["reference"]
        )
    with pytest.raises(TypeError, match="reference must be a ReferenceModels"):
        attacks.reference_model_attack(memorised["probs"], memorised["y"], None)
    two = attacks.ReferenceModels(
        probs=memorised["reference"].probs[:2],
        is_in=np.vstack([np.ones(200, bool), np.zeros(200, bool)]),
    )
    with pytest.raises(ValueError, match="at least 2 OUT reference model"):
        attacks.reference_model_attack(
            memorised["probs"], memorised["y"], two, fixed_variance=False
        )
    with pytest.raises(ValueError, match="kind must be one of 'logistic', 'mlp'"):
        attacks.TrainingRecipe(kind="tree")
    with pytest.raises(ValueError, match="n_models must be an integer >= 2; got 1"):
        attacks.train_reference_models(
            memorised["X"], memorised["y"], recipe=attacks.TrainingRecipe(),
            n_models=1,
        )  # fmt: skip
    with pytest.raises(TypeError, match="recipe must be a TrainingRecipe"):
        attacks.train_reference_models(memorised["X"], memorised["y"], recipe=None)


def test_membership_data_stacks_members_first():
    """Members come first; a patient on both sides is refused."""
    members = pd.DataFrame({"x": [1.0, 2.0], "y": [0, 1], "patient_id": ["a", "b"]})
    others = pd.DataFrame({"x": [3.0], "y": [1], "patient_id": ["c"]})
    pipeline = FeaturePipeline(numeric=["x"], categorical=[], binary=[]).fit(members)
    data = attacks.membership_data(members, others, pipeline=pipeline, label="y")
    assert data.is_member.tolist() == [1, 1, 0]
    assert data.y_members.tolist() == [0, 1]
    assert data.groups.tolist() == ["a", "b", "c"]
    with pytest.raises(ValueError, match="must not share patients; got 1 patient"):
        attacks.membership_data(
            members, others.assign(patient_id="a"), pipeline=pipeline, label="y"
        )
    with pytest.raises(TypeError, match="pipeline must be a FeaturePipeline"):
        attacks.membership_data(members, others, pipeline=None, label="y")


# ---------------------------------------------------------------------------
# Attribute inference
# ---------------------------------------------------------------------------


def _population(rng: np.random.Generator, n: int, effect: float) -> pd.DataFrame:
    """People whose outcome depends on a hidden attribute ``s`` by ``effect``."""
    s = (rng.random(n) < 0.3).astype(np.int64)
    risk = 1 / (1 + np.exp(-(-1.0 + effect * s)))
    return pd.DataFrame(
        {
            "age": rng.integers(20, 90, size=n).astype(float),
            "sex": rng.choice(["F", "M"], size=n),
            "s": s,
            "y": (rng.random(n) < risk).astype(np.int64),
        }
    )


def _query_with_effect(records: pd.DataFrame) -> np.ndarray:
    """A model whose risk rises sharply with the attribute."""
    return 1 / (1 + np.exp(-(-1.0 + 3.0 * records["s"].to_numpy())))


def _query_without_effect(records: pd.DataFrame) -> np.ndarray:
    """A model that ignores the attribute."""
    return np.full(len(records), 0.3)


def test_attribute_inference_gains_only_when_the_model_uses_it():
    """The model helps when the outcome depends on the attribute, never otherwise."""
    rng = np.random.default_rng(2)
    aux, targets = _population(rng, 2_000, 3.0), _population(rng, 2_000, 3.0)
    options = dict(sensitive="s", outcome="y", auxiliary=aux, known=["age", "sex"])
    strong = attacks.attribute_inference(_query_with_effect, targets, **options)
    assert strong.baseline_auc == pytest.approx(0.5, abs=0.05)
    assert strong.auc > strong.baseline_auc + 0.2
    blind = attacks.attribute_inference(_query_without_effect, targets, **options)
    np.testing.assert_allclose(blind.scores, blind.baseline_scores)
    assert blind.summary()["targets"] == 2_000


def test_attribute_inference_errors():
    """Non-binary attributes and a sensitive known column are refused."""
    rng = np.random.default_rng(4)
    data = _population(rng, 200, 1.0)
    options = dict(outcome="y", auxiliary=data, known=["age", "sex"])
    with pytest.raises(ValueError, match="must hold binary labels 0 or 1; got"):
        attacks.attribute_inference(
            _query_with_effect, data.assign(s=2), sensitive="s", **options
        )
    with pytest.raises(ValueError, match="known must not hold the sensitive column"):
        attacks.attribute_inference(
            _query_with_effect, data, sensitive="s", outcome="y", auxiliary=data,
            known=["age", "s"],
        )  # fmt: skip
    with pytest.raises(TypeError, match="query must be callable"):
        attacks.attribute_inference(None, data, sensitive="s", **options)


# ---------------------------------------------------------------------------
# Plots
# ---------------------------------------------------------------------------


def test_attack_plots_draw_and_check_inputs(small, memorised):
    """Each figure returns its Axes; bad inputs get a clear TypeError."""
    table = pd.DataFrame(
        {"unique in release": [0.9, 0.1], "re-identified": [0.5, 0.0]},
        index=["raw", "safe"],
    )
    assert isinstance(attack_plots.plot_reidentification(table), Axes)
    result = attacks.homogeneity_attack(small, QI, "diagnosis")
    assert isinstance(attack_plots.plot_disclosure({"k": result}), Axes)
    metrics = attacks.mia_metrics(memorised["probs"], memorised["is_member"])
    assert isinstance(attack_plots.plot_mia_roc({"toy": metrics}), Axes)
    ax = attack_plots.plot_membership_scores(memorised["probs"], memorised["is_member"])
    assert len(ax.patches) > 0
    with pytest.raises(TypeError, match="results must be a non-empty mapping"):
        attack_plots.plot_mia_roc({})
    with pytest.raises(TypeError, match=r"results\['k'\] must be a Homogeneity"):
        attack_plots.plot_disclosure({"k": 1})
    with pytest.raises(MissingColumnError, match="table is missing column"):
        attack_plots.plot_reidentification(table.drop(columns="re-identified"))
