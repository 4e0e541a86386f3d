"""Tests for ehrpriv.anonymity: classes, k, l, generalisation and its search."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from ehrpriv import anonymity
from ehrpriv._validation import MissingColumnError

QI = ["ZIP", "GENDER"]


@pytest.fixture
def small() -> pd.DataFrame:
    """Six rows in classes of sizes 3, 2 and 1, with a diagnosis column."""
    return pd.DataFrame(
        {
            "ZIP": ["02118", "02118", "02118", "02446", "02446", "02720"],
            "GENDER": ["F", "F", "F", "M", "M", "F"],
            "diagnosis": ["flu", "flu", "hiv", "copd", "copd", "flu"],
        },
        index=[10, 11, 12, 13, 14, 15],
    )


@pytest.fixture
def people() -> pd.DataFrame:
    """Three hundred random people with birth date, ZIP, sex and a diagnosis."""
    rng = np.random.default_rng(7)
    n = 300
    birth = pd.Timestamp("1940-01-01") + pd.to_timedelta(
        rng.integers(0, 60 * 365, size=n), unit="D"
    )
    return pd.DataFrame(
        {
            "BIRTHDATE": birth,
            "ZIP": rng.choice(["02118", "02139", "02446", "01852", "02720"], size=n),
            "GENDER": rng.choice(["F", "M"], size=n),
            "diagnosis": rng.choice(["a", "b", "c"], size=n, p=[0.6, 0.3, 0.1]),
        }
    )


def test_known_k_l_and_uniqueness(small):
    """Class sizes 3, 2, 1 give k = 1, one unique row in six and l = 1."""
    assert anonymity.k_anonymity(small, QI) == 1
    assert anonymity.uniqueness(small, QI) == pytest.approx(1 / 6)
    assert anonymity.l_diversity(small, QI, "diagnosis") == 1
    rest = small.iloc[:5]
    assert anonymity.k_anonymity(rest, QI) == 2
    assert anonymity.uniqueness(rest, QI) == 0.0
    assert anonymity.l_diversity(rest.iloc[:3], QI, "diagnosis") == 2


def test_class_sizes_align_and_missing_values_form_a_class(small):
    """Sizes follow the frame's index; missing values are a value of their own."""
    sizes = anonymity.class_sizes(small, QI)
    assert list(sizes.index) == list(small.index)
    assert sizes.tolist() == [3, 3, 3, 2, 2, 1]
    holes = small.assign(ZIP=[None, None, "02118", "02446", "02446", None])
    assert anonymity.class_sizes(holes, QI).tolist() == [3, 3, 1, 2, 2, 3]


def test_equivalence_classes_smallest_first(small):
    """One row per class, sorted by size."""
    classes = anonymity.equivalence_classes(small, QI)
    assert classes["size"].tolist() == [1, 2, 3]
    assert classes.iloc[0][["ZIP", "GENDER"]].tolist() == ["02720", "F"]


def test_discernibility_and_average_class_size(small):
    """DM sums squared class sizes plus n per suppressed row; C_avg = n/classes/k."""
    assert anonymity.discernibility(small, QI) == 9 + 4 + 1
    assert anonymity.discernibility(small, QI, n_suppressed=2) == 14 + 2 * 8
    assert anonymity.average_class_size(small, QI, k=2) == pytest.approx(1.0)


def test_hierarchies_generalise_step_by_step():
    """Bands, dates, prefixes and suppression give the documented labels."""
    ages = pd.Series([3, 67, 88, 90, "90+", None])
    band = anonymity.DEFAULT_HIERARCHIES["age"]
    assert band.apply(ages, 1).tolist() == [
        "0-4", "65-69", "85-89", "90+", "90+", None,
    ]  # fmt: skip
    assert band.apply(ages, 3).tolist()[2:5] == ["80+", "80+", "80+"]
    assert band.apply(ages, band.height).tolist() == ["*"] * 6
    dates = pd.Series(pd.to_datetime(["1950-03-14"]))
    date = anonymity.date_hierarchy()
    labels = [date.apply(dates, level).iloc[0] for level in range(1, 6)]
    assert labels == ["1950-03", "1950", "1950-1954", "1950-1959", "*"]
    zips = pd.Series(["02118"])
    prefix = anonymity.prefix_hierarchy(5)
    assert [prefix.apply(zips, h).iloc[0] for h in range(6)] == [
        "02118", "0211*", "021**", "02***", "0****", "*",
    ]  # fmt: skip
    assert prefix.labels[2] == "3 digits"
    assert anonymity.suppression_hierarchy().apply(zips, 1).tolist() == ["*"]


def test_hierarchy_errors():
    """A level out of range and mismatched labels are refused."""
    with pytest.raises(
        ValueError, match=r"level must be an integer in \[0, 1\]; got 2"
    ):
        anonymity.suppression_hierarchy().apply(pd.Series(["F"]), 2)
    with pytest.raises(ValueError, match="labels must describe the 2 levels"):
        anonymity.Hierarchy("x", (lambda s: s,), ("only one",))
    with pytest.raises(ValueError, match=r"widths\[1\] must be an integer >= 1; got 0"):
        anonymity.band_hierarchy((5, 0))


def test_generalise_applies_levels_and_checks_them(small):
    """Columns move up their hierarchy; bad levels and columns are refused."""
    out = anonymity.generalise(small, {"ZIP": 2, "GENDER": 1})
    assert out["ZIP"].tolist()[0] == "021**"
    assert set(out["GENDER"]) == {"*"}
    assert small["GENDER"].tolist()[0] == "F"  # the input is untouched
    with pytest.raises(ValueError, match=r"levels\['ZIP'\] must be an integer in "):
        anonymity.generalise(small, {"ZIP": 7})
    with pytest.raises(
        ValueError, match="must give a Hierarchy for column 'diagnosis'"
    ):
        anonymity.generalise(small, {"diagnosis": 1})
    with pytest.raises(TypeError, match="levels must be a mapping"):
        anonymity.generalise(small, [("ZIP", 1)])


def test_make_k_anonymous_reaches_k_with_the_lowest_height(people):
    """The result is k-anonymous, within budget, and no lower node was feasible."""
    columns = ["BIRTHDATE", "ZIP", "GENDER"]
    result = anonymity.make_k_anonymous(people, columns, 5, max_suppression=0.05)
    assert anonymity.k_anonymity(result.frame, columns) >= 5
    assert result.n_suppressed <= 0.05 * len(people)
    assert len(result.frame) + result.n_suppressed == len(people)
    heights = [anonymity.DEFAULT_HIERARCHIES[c].height for c in columns]
    for node in itertools.product(*(range(h + 1) for h in heights)):
        if sum(node) < result.generalisation_height:
            coarse = anonymity.generalise(people, dict(zip(columns, node, strict=True)))
            small_rows = (anonymity.class_sizes(coarse, columns) < 5).sum()
            assert small_rows > 0.05 * len(people)
    loss = result.information_loss()
    assert loss["rows released"] == len(result.frame)
    assert 0.0 <= loss["precision"] <= 1.0
    assert result.level_labels["GENDER"] in ("exact", "suppressed")


def test_make_k_anonymous_with_l_diversity(people):
    """With a sensitive column, every released class holds l distinct values."""
    columns = ["BIRTHDATE", "ZIP", "GENDER"]
    result = anonymity.make_k_anonymous(
        people, columns, 4, sensitive="diagnosis", l=3, max_suppression=0.1
    )
    assert anonymity.l_diversity(result.frame, columns, "diagnosis") >= 3
    assert anonymity.k_anonymity(result.frame, columns) >= 4


def test_make_k_anonymous_is_deterministic(people):
    """The same input gives the same release."""
    columns = ["BIRTHDATE", "ZIP", "GENDER"]
    first = anonymity.make_k_anonymous(people, columns, 3)
    second = anonymity.make_k_anonymous(people, columns, 3)
    assert first.levels == second.levels
    pd.testing.assert_frame_equal(first.frame, second.frame)


def test_make_k_anonymous_errors(small):
    """Bad parameters name the parameter, the valid range and the value."""
    with pytest.raises(ValueError, match="k must be an integer >= 1; got 0"):
        anonymity.make_k_anonymous(small, QI, 0)
    with pytest.raises(ValueError, match="sensitive must name a column when l > 1"):
        anonymity.make_k_anonymous(small, QI, 2, l=2)
    with pytest.raises(
        ValueError, match=r"max_suppression must be in \[0, 1\]; got 1.5"
    ):
        anonymity.make_k_anonymous(small, QI, 2, max_suppression=1.5)
    with pytest.raises(ValueError, match="no generalisation makes frame 7-anonymous"):
        anonymity.make_k_anonymous(small, QI, 7, max_suppression=0.0)
    with pytest.raises(ValueError, match="sensitive must not be one of the quasi"):
        anonymity.make_k_anonymous(small, QI, 2, sensitive="ZIP", l=2)


def test_quasi_identifier_and_frame_errors(small):
    """A string, an empty list, a missing column or an empty frame is refused."""
    with pytest.raises(TypeError, match="quasi_identifiers must be a non-empty list"):
        anonymity.k_anonymity(small, "ZIP")
    with pytest.raises(ValueError, match="must name at least one column"):
        anonymity.uniqueness(small, [])
    with pytest.raises(MissingColumnError, match="frame is missing column.*AGE"):
        anonymity.k_anonymity(small, ["AGE"])
    with pytest.raises(ValueError, match="frame must hold at least one row; got 0"):
        anonymity.k_anonymity(small.iloc[:0], QI)
    with pytest.raises(ValueError, match="sensitive must not be one of"):
        anonymity.l_diversity(small, QI, "ZIP")
    with pytest.raises(TypeError, match="frame must be a pandas DataFrame"):
        anonymity.class_sizes({"ZIP": []}, QI)
