"""`ml monitor`: a version's drift and realised performance over time, read from the marts dbt
builds on what `ml score` wrote (mart_model_drift, mart_model_performance), as a table per
cutoff and two PNGs: PSI by feature and cutoff, and the realised metric beside the one
measured at training."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ml.lifecycle import Context
from ml.plots import save_figure
from ml.registry import ModelVersion

DRIFT_MART = "mart_model_drift"
PERFORMANCE_MART = "mart_model_performance"


@dataclass
class Monitoring:
    version: ModelVersion
    metric: str  # roc_auc or mse
    drift: pd.DataFrame  # cutoff_date, feature, psi, drift_status
    performance: pd.DataFrame  # cutoff_date, realised, training, metric_shortfall
    plots: list[Path]

    def by_cutoff(self) -> pd.DataFrame:
        """One row per scored cutoff: the realised metric (once labels are complete) and the
        most drifted feature."""
        drift = self.drift.sort_values("psi", ascending=False).groupby("cutoff_date")
        summary = pd.DataFrame(
            {
                "most_drifted": drift.feature.first(),
                "max_psi": drift.psi.first(),
                "warn": drift.drift_status.agg(lambda s: int((s == "warn").sum())),
                "alert": drift.drift_status.agg(lambda s: int((s == "alert").sum())),
            }
        )
        perf = self.performance.set_index("cutoff_date")[["realised", "training", "shortfall"]]
        return summary.join(perf, how="outer").sort_index()


def _read(ctx: Context, model: str, mv: ModelVersion, name: str, columns: list[str]):
    relation = ctx.manifest.resolve(name).relation
    quote = ctx.warehouse.quote
    where = f"{quote('model_name')} = '{model}' and {quote('model_version')} = '{mv.version}'"
    df = ctx.warehouse.read_frame(relation, columns, where=where)
    df["cutoff_date"] = pd.to_datetime(df["cutoff_date"]).dt.date
    return df


def monitor(ctx: Context, name: str, version: str | None = None) -> Monitoring:
    mv = ctx.registry.get_version(name, version)
    metric = "roc_auc" if mv.metadata["spec"]["task"] == "classification" else "mse"
    drift = _read(ctx, name, mv, DRIFT_MART, ["cutoff_date", "feature", "psi", "drift_status"])
    perf = _read(
        ctx,
        name,
        mv,
        PERFORMANCE_MART,
        ["cutoff_date", metric, f"training_{metric}", "metric_shortfall"],
    ).rename(
        columns={
            metric: "realised",
            f"training_{metric}": "training",
            "metric_shortfall": "shortfall",
        }
    )
    out = ctx.settings.reports_dir / name / mv.label / "monitor"
    out.mkdir(parents=True, exist_ok=True)
    plots = [
        p
        for p in (_psi_plot(out, name, mv, drift), _performance_plot(out, name, mv, metric, perf))
        if p
    ]
    return Monitoring(mv, metric, drift, perf, plots)


def _psi_plot(out: Path, name: str, mv: ModelVersion, drift: pd.DataFrame) -> Path | None:
    if drift.empty:
        return None
    grid = drift.pivot_table(index="feature", columns="cutoff_date", values="psi")
    grid = grid.loc[grid.max(axis=1).sort_values().index]
    fig, ax = plt.subplots(figsize=(1.2 + 0.9 * grid.shape[1], 1 + 0.28 * grid.shape[0]))
    image = ax.imshow(grid.to_numpy(), aspect="auto", cmap="Reds", vmin=0, vmax=0.5)
    ax.set_yticks(range(grid.shape[0]), grid.index, fontsize=8)
    ax.set_xticks(range(grid.shape[1]), [str(c) for c in grid.columns], rotation=45, ha="right")
    for (i, j), value in np.ndenumerate(grid.to_numpy()):
        if not np.isnan(value):
            color = "white" if value > 0.3 else "black"
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=6, color=color)
    fig.colorbar(image, ax=ax, label="PSI (0.1 warn, 0.25 alert)")
    ax.set_title(f"{name} {mv.label}: PSI against its test period, by scored cutoff")
    return save_figure(fig, out / "psi_by_feature.png")


def _performance_plot(out, name, mv, metric: str, perf: pd.DataFrame) -> Path | None:
    if perf.empty:
        return None
    perf = perf.sort_values("cutoff_date")
    fig, ax = plt.subplots(figsize=(6.5, 4))
    x = [str(c) for c in perf.cutoff_date]
    ax.plot(x, perf.realised, "o-", label=f"realised {metric}")
    ax.plot(x, perf.training, "k--", label=f"{metric} on the test period at training")
    ax.set(xlabel="cutoff", ylabel=metric, title=f"{name} {mv.label}: realised vs training")
    ax.tick_params(axis="x", rotation=45)
    ax.legend(loc="best")
    return save_figure(fig, out / "realised_vs_training.png")
