"""The report's business tables (ml/business.py) on scores whose answer is known by hand."""

from __future__ import annotations

import numpy as np
import pytest

from ml import business


def _scores():
    """100 members; the 10 highest scores hold 6 churners, the other 90 hold 4."""
    score = np.linspace(1, 0, 100, endpoint=False)
    y = np.zeros(100, dtype=int)
    y[[0, 2, 4, 6, 8, 9]] = 1
    y[[30, 50, 70, 90]] = 1
    return y, score


def test_deciles_count_rate_lift_and_reach():
    y, score = _scores()
    deciles = business.by_decile(y, score)
    assert deciles.members.tolist() == [10] * 10
    assert deciles.positives.tolist() == [6, 0, 0, 1, 0, 1, 0, 1, 0, 1]
    top = deciles.iloc[0]
    assert (top.rate, top.lift, top.reached) == pytest.approx((0.6, 6.0, 0.6))
    assert deciles.reached.iloc[-1] == pytest.approx(1.0)
    assert business.top_decile_sentence(deciles) == (
        "Of the 10% highest-risk members (10), 60% churned: 6.0 times the average of 10.0%, "
        "and 60% of all who churned in the test period."
    )


def test_bands_follow_the_marts_thresholds():
    bands = business.risk_bands()
    assert list(bands) == ["high", "medium", "low"]  # highest first, as the mart's case
    y, score = _scores()
    table = business.by_band(y, score, bands)
    expected = {
        name: int(((score >= low) & (score < up)).sum())
        for (name, low), up in zip(bands.items(), [np.inf, *list(bands.values())[:-1]], strict=True)
    }
    assert table.members.to_dict() == expected and table.members.sum() == 100


def test_gains_run_from_nothing_to_everyone():
    y, score = _scores()
    contacted, reached = business.gains(y, score)
    assert (contacted[0], reached[0], contacted[-1], reached[-1]) == (0, 0, 1, 1)
    assert reached[10] == pytest.approx(0.6)  # the riskiest tenth reaches 6 of the 10


def test_regression_deciles_average_each_tenth():
    predicted = np.arange(20, dtype=float)
    table = business.regression_deciles(predicted * 2, predicted)
    assert table.rows.tolist() == [2] * 10
    assert table.predicted.iloc[0] == 0.5 and table.actual.iloc[-1] == 37.0
