"""PSI and its bins: a population against itself is 0, a moved one is what the formula says,
and counting a cutoff over many batches equals counting it at once."""

import numpy as np
import pandas as pd
import pytest

from ml.drift import OTHER, SCORE, DriftCounter, psi, reference
from ml.specs import Candidate, ModelSpec, Split


@pytest.fixture
def spec() -> ModelSpec:
    return ModelSpec(
        name="m",
        task="classification",
        source="x",
        id_columns=["id"],
        time_column="cutoff_date",
        target="y",
        numeric_features=["amount", "month"],
        categorical_features=["tier"],
        candidates=[Candidate("c", "sklearn.linear_model.LogisticRegression")],
        selection_metric="roc_auc",
        split=Split(test_periods=1),
        drift_exempt=["month"],
    )


def _frame(rng, n, shift=0.0):
    return pd.DataFrame(
        {
            "amount": np.where(rng.random(n) < 0.1, np.nan, rng.normal(100 + shift, 20, n)),
            "month": rng.integers(1, 13, n).astype(float),
            "tier": rng.choice(["basic", "gold", "platinum"], n, p=[0.7, 0.2, 0.1]),
        }
    )


def test_the_formula_on_two_bins():
    # (0.7 - 0.5) ln(0.7 / 0.5) + (0.3 - 0.5) ln(0.3 / 0.5)
    expected = 0.2 * np.log(1.4) - 0.2 * np.log(0.6)
    assert psi([0.5, 0.5], np.array([70, 30])) == pytest.approx(expected)
    assert psi([0.5, 0.5], np.array([50, 50])) == 0.0
    assert np.isfinite(psi([1.0, 0.0], np.array([0, 10])))  # an empty bin is rare, not infinite


def test_reference_bins_every_watched_feature_and_the_score(spec):
    rng = np.random.default_rng(0)
    X = _frame(rng, 5000)
    ref = reference(spec, X, rng.random(5000))
    assert set(ref["features"]) == {"amount", "tier", SCORE}  # month is exempt
    amount = ref["features"]["amount"]
    assert len(amount["edges"]) == 9 and len(amount["shares"]) == 11  # 10 bins and missing
    assert amount["shares"][-1] == pytest.approx(0.1, abs=0.02)
    assert ref["features"]["tier"]["categories"][-1] == OTHER
    assert sum(ref["features"]["tier"]["shares"]) == pytest.approx(1.0)


def test_batches_add_up_and_a_shift_is_seen(spec):
    rng = np.random.default_rng(1)
    ref = reference(spec, _frame(rng, 20_000), rng.random(20_000))
    same, moved = _frame(rng, 4000), _frame(rng, 4000, shift=15)
    cutoffs = pd.Series(pd.to_datetime(["2025-01-01"] * 4000 + ["2025-02-01"] * 4000))
    both = pd.concat([same, moved], ignore_index=True)
    scores = rng.random(8000)

    at_once, in_batches = DriftCounter(ref), DriftCounter(ref)
    at_once.add(cutoffs, both, scores)
    for start in range(0, 8000, 1500):
        part = slice(start, start + 1500)
        in_batches.add(cutoffs[part], both.iloc[part], scores[part])
    assert at_once.results() == in_batches.results()

    result = {(r["cutoff_date"].isoformat(), r["feature"]): r for r in at_once.results()}
    assert result[("2025-01-01", "amount")]["psi"] < 0.02
    assert result[("2025-02-01", "amount")]["psi"] > 0.25
    assert result[("2025-02-01", "tier")]["psi"] < 0.02
    assert result[("2025-02-01", "amount")]["rows_compared"] == 4000
