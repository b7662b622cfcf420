"""The test period as a business reader asks about it: if we contact the riskiest tenth, how
many of the churners do we reach, and how much better than contacting at random? Counts per
risk decile and per the churn mart's named bands, the cumulative gains behind the chart, and
the sentences under each plot of the report.

The named bands are the churn mart's (`mart_member_churn_risk.churn_risk_band`), read from
the same dbt var (`churn_risk_bands` in dbt_project.yml), so the report's "high" is the
mart's "high".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ml.config import PROJECT_ROOT


def risk_bands(project_dir: Path = PROJECT_ROOT) -> dict[str, float]:
    """{band: lowest score in it}, highest band first, from dbt_project.yml."""
    config = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    bands = config["vars"]["churn_risk_bands"]
    return dict(sorted(bands.items(), key=lambda item: -item[1]))


def by_decile(y: np.ndarray, score: np.ndarray) -> pd.DataFrame:
    """Members in ten equal groups by score, riskiest first: how many, how many churned, the
    rate, its lift over the average, and the share of all churners reached down to it."""
    table = (
        pd.DataFrame({"decile": _deciles(-score), "y": y, "score": score})
        .groupby("decile")
        .agg(members=("y", "size"), positives=("y", "sum"), mean_score=("score", "mean"))
    )
    return _rates(table, y)


def _deciles(values: np.ndarray) -> np.ndarray:
    """1..10 by rank of `values`, lowest first, ten groups as equal as the rows allow (ties
    keep their row order, so every group has its share)."""
    decile = np.empty(len(values), dtype=int)
    decile[np.argsort(values, kind="stable")] = np.arange(len(values)) * 10 // len(values) + 1
    return decile


def by_band(y: np.ndarray, score: np.ndarray, bands: dict[str, float]) -> pd.DataFrame:
    """The same counts per named band (high, medium, low), highest first."""
    names = list(bands)
    band = np.full(len(score), names[-1], dtype=object)
    for name in reversed(names):
        band[score >= bands[name]] = name
    table = (
        pd.DataFrame({"band": pd.Categorical(band, categories=names), "y": y, "score": score})
        .groupby("band", observed=False)
        .agg(members=("y", "size"), positives=("y", "sum"), mean_score=("score", "mean"))
    )
    return _rates(table, y)


def _rates(table: pd.DataFrame, y: np.ndarray) -> pd.DataFrame:
    average = float(np.mean(y))
    table["rate"] = table.positives / table.members.where(table.members > 0)
    table["lift"] = table.rate / average
    table["reached"] = table.positives.cumsum() / max(int(np.sum(y)), 1)
    return table


def gains(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Share of members contacted (riskiest first) against the share of churners reached."""
    order = np.argsort(-score, kind="stable")
    reached = np.concatenate([[0.0], np.cumsum(y[order]) / max(np.sum(y), 1)])
    return np.linspace(0, 1, len(y) + 1), reached


def top_decile_sentence(deciles: pd.DataFrame, what: str = "churned") -> str:
    top = deciles.iloc[0]
    average = deciles.positives.sum() / deciles.members.sum()
    return (
        f"Of the 10% highest-risk members ({int(top.members):,}), {top.rate:.0%} {what}: "
        f"{top.lift:.1f} times the average of {average:.1%}, and {top.reached:.0%} of all who "
        f"{what} in the test period."
    )


def regression_deciles(y: np.ndarray, predicted: np.ndarray) -> pd.DataFrame:
    """Mean predicted and mean actual in ten groups by prediction, lowest first."""
    frame = pd.DataFrame({"decile": _deciles(predicted), "predicted": predicted, "actual": y})
    return frame.groupby("decile").agg(
        rows=("actual", "size"), predicted=("predicted", "mean"), actual=("actual", "mean")
    )
