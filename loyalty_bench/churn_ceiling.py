"""How much of the churn oracle's lead can a model of the observable data take at best?

The oracle's probabilities (the generator's truth) know three things no extract shows: each
member's satisfaction, their exact purchase rate, and whether they already churned at an
earlier month start (a churned member simply stops buying, so a quiet month is ambiguous). This
computes the Bayes-optimal prediction from the data alone: with the generator's own process and
parameters, it integrates those unknowns out given what a member's purchase history shows
(purchases per month since enrolment, survival to the cutoff), over a grid of satisfaction and
log-rate. No model trained on the same history can beat it on average; its AUC is the ceiling
for the "gap closed" that `ml train` reports.

Run after `make run` (reads the churn champion, its test period and the generator's manifest):
`.venv/bin/python -m loyalty_bench.churn_ceiling` (about 2 minutes). Results: docs/ml.md.
With `--as-feature` (after `dbt build` alone): the churn spec refitted with the ceiling as one
more feature, the most any engineered feature could add.
"""

from __future__ import annotations

import itertools
import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from loyalty_datagen import CHUNK_MEMBERS
from loyalty_datagen.behaviour import (
    RATE_PRIOR,
    RATE_SLOPE,
    SATISFACTION_SLOPE,
    Members,
    campaign_calendar,
    draw_members,
    extended_month_starts,
    hazard,
    p_quiet_90d,
    purchase_intensity,
    simulate,
)
from loyalty_datagen.catalog import build_catalog
from loyalty_datagen.config import GeneratorConfig

SATISFACTION_GRID = np.linspace(-3.5, 3.5, 15)
LOG_RATE_GRID = np.linspace(
    RATE_PRIOR[0] - 4 * RATE_PRIOR[1], RATE_PRIOR[0] + 4 * RATE_PRIOR[1], 29
)


@dataclass
class History:
    """One chunk of simulated members as the extracts show them, month by month."""

    members: Members
    counts: np.ndarray  # (members, months) purchases per calendar month
    exposure: np.ndarray  # (members, months) intensity per unit rate over enrolled days
    shape: np.ndarray  # (members, days + 100) intensity per unit rate
    truth: pd.DataFrame  # the oracle: member_id, cutoff, p


def simulate_history(cfg: GeneratorConfig) -> list[History]:
    """Replays the generator's streams (same seeds as `generate`), chunk by chunk."""
    cat = build_catalog(cfg, np.random.default_rng(cfg.seed))
    n_partners = len(cat.partner_segment)
    active = campaign_calendar(cfg, cat.campaigns, n_partners)
    bounds = [(s - cfg.start).days for s in cfg.month_starts()] + [cfg.days]
    out = []
    for k in range(-(-cfg.members // CHUNK_MEMBERS)):
        rng = np.random.default_rng([cfg.seed, 1, k])
        n = min(CHUNK_MEMBERS, cfg.members - k * CHUNK_MEMBERS)
        m = draw_members(cfg, rng, n_partners, n, first_id=k * CHUNK_MEMBERS + 1)
        sim = simulate(cfg, rng, m, cat.campaigns, n_partners)
        shape = purchase_intensity(cfg, m, active, 1.0)
        enrolled = np.arange(cfg.days)[None, :] > m.signup_day[:, None]
        months = list(itertools.pairwise(bounds))
        counts = np.stack([sim.counts[:, a:b].sum(1) for a, b in months], 1).astype(float)
        exposure = np.stack([(shape[:, a:b] * enrolled[:, a:b]).sum(1) for a, b in months], 1)
        truth = pd.DataFrame(sim.truth, columns=["member_id", "cutoff", "alive", "p"])
        out.append(History(m, counts, exposure, shape, truth))
    return out


def observable_probability(cfg: GeneratorConfig, h: History, k: int, idx: np.ndarray) -> np.ndarray:
    """P(no purchase in the 90 days from month start k | purchase history) for members idx."""
    month_starts, starts_days = extended_month_starts(cfg)
    m, n = h.members, len(idx)
    counts, exposure, shape = h.counts[idx], h.exposure[idx], h.shape[idx]
    last_bought = np.where(counts[:, :k] > 0, np.arange(k)[None, :], -1).max(axis=1)
    shift = None if m.shift_logit is None else m.shift_logit[idx]
    log_alive, log_churned, p_if_alive = [], [], []
    for s in SATISFACTION_GRID:
        for log_rate in LOG_RATE_GRID:
            rate = np.exp(log_rate) / 30.0
            base = m.trait_logit[idx] + SATISFACTION_SLOPE * s + RATE_SLOPE * log_rate
            one = SimpleNamespace(
                base_logit=base,
                signup_day=m.signup_day[idx],
                shift_logit=shift,
                shift_day=m.shift_day,
            )
            prior = -(s**2) / 2 - (log_rate - RATE_PRIOR[0]) ** 2 / (2 * RATE_PRIOR[1] ** 2)
            alive = np.full(n, prior)  # log P(history, still a member | s, rate)
            churned = np.full(n, -np.inf)  # log P(history, churned at a month start since)
            for j in range(k):
                enrolled = one.signup_day < starts_days[j]
                prev = counts[:, j - 1] if j else np.zeros(n)
                hz = hazard(one, j, starts_days[j], month_starts[j].month, prev)
                # a member who bought in month j or later was still a member at its start
                possible = enrolled & (j > last_bought)
                churned = np.where(possible, np.logaddexp(churned, alive + np.log(hz)), churned)
                lam = rate * exposure[:, j]
                poisson = counts[:, j] * np.log(np.maximum(lam, 1e-300)) - lam
                alive = alive + np.where(enrolled, np.log1p(-hz), 0.0) + poisson
            quiet = p_quiet_90d(one, k, month_starts, starts_days, counts[:, k - 1], rate * shape)
            log_alive.append(alive)
            log_churned.append(churned)
            p_if_alive.append(quiet)
    la, lc = np.array(log_alive), np.array(log_churned)
    top = np.maximum(la.max(axis=0), lc.max(axis=0))
    wa, wc = np.exp(la - top), np.exp(lc - top)
    return ((wa * np.array(p_if_alive)).sum(axis=0) + wc.sum(axis=0)) / (wa + wc).sum(axis=0)


def ceiling(cfg: GeneratorConfig, rows: pd.DataFrame, progress=print) -> pd.DataFrame:
    """rows: member_id, cutoff (ISO) -> the same rows with the oracle and observable p."""
    histories = simulate_history(cfg)
    kidx = {d.isoformat(): k for k, d in enumerate(cfg.month_starts())}
    out = []
    for cutoff, group in rows.groupby("cutoff"):
        progress(f"cutoff {cutoff}: {len(group):,} rows")
        for h in histories:
            first = h.members.first_id
            mine = group[(group.member_id >= first) & (group.member_id < first + len(h.members))]
            if mine.empty:
                continue
            p = observable_probability(cfg, h, kidx[cutoff], mine.member_id.to_numpy() - first)
            oracle = h.truth[h.truth.cutoff == cutoff].set_index("member_id").p
            out.append(mine.assign(p_observable=p, p_oracle=oracle.loc[mine.member_id].to_numpy()))
    return pd.concat(out)


def paired_interval(d: pd.DataFrame, a: str, b: str, reps: int = 500) -> list[float]:
    """95 % bootstrap interval of AUC(a) - AUC(b) over the rows: is the model's distance to the
    ceiling more than the test period's sampling noise?"""
    rng = np.random.default_rng(0)
    y, pa, pb = d.y.to_numpy(), d[a].to_numpy(), d[b].to_numpy()
    diffs = []
    for _ in range(reps):
        i = rng.integers(0, len(d), len(d))
        diffs.append(roc_auc_score(y[i], pa[i]) - roc_auc_score(y[i], pb[i]))
    return [float(q) for q in np.quantile(diffs, [0.025, 0.975])]


def _keys(frame: pd.DataFrame, time_column: str) -> pd.DataFrame:
    """The rows' (member_id, cutoff as ISO text): what `ceiling` looks the generator up by."""
    return pd.DataFrame(
        {
            "member_id": frame["member_id"].astype(int).to_numpy(),
            "cutoff": pd.to_datetime(frame[time_column]).dt.strftime("%Y-%m-%d").to_numpy(),
        }
    )


def _save(settings, name: str, result: dict) -> None:
    out = Path(settings.project_dir) / "bench_results" / f"{name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


def as_feature(settings, cfg: GeneratorConfig) -> dict:
    """Could any feature close the gap to issue 23's target? The churn spec selected and
    fitted again with the ceiling's own probability as one more feature, on every training
    row: no feature of the data can know more than that one."""
    from ml.lifecycle import Context, labelled_frame, resolve_and_check
    from ml.training import feature_frame, predict, select_and_fit, target_vector, temporal_split

    ctx = Context.from_settings(settings)
    spec = ctx.spec("churn")
    split = temporal_split(labelled_frame(ctx, spec, resolve_and_check(ctx, spec)), spec)

    # one simulation of the generator's history for the training and the test rows alike
    both = pd.concat([split.train, split.test], ignore_index=True)
    rows = _keys(both, spec.time_column)
    d = ceiling(cfg, rows, progress=lambda _: None).set_index(["member_id", "cutoff"])
    found = d.loc[pd.MultiIndex.from_frame(rows)]
    both = both.assign(p_ceiling=found.p_observable.to_numpy(), p_oracle=found.p_oracle.to_numpy())
    train = both.iloc[: len(split.train)]
    test = both.iloc[len(split.train) :].reset_index(drop=True)
    y = target_vector(test, spec)
    auc = {
        "rule": roc_auc_score(y, test[spec.baseline_feature]),
        "oracle": roc_auc_score(y, test.p_oracle),
        "ceiling": roc_auc_score(y, test.p_ceiling),
    }
    plus = replace(spec, numeric_features=[*spec.numeric_features, "p_ceiling"])
    for name, s in (("model", spec), ("model_with_ceiling_feature", plus)):
        selection = select_and_fit(s, train)
        auc[name] = roc_auc_score(y, predict(selection.model, s, feature_frame(test, s)))
    gap = auc["oracle"] - auc["rule"]
    return {
        "rows": len(test),
        "roc_auc": auc,
        "gap_closed": {k: (v - auc["rule"]) / gap for k, v in auc.items() if k != "rule"},
    }


def main() -> None:
    from ml.config import Settings
    from ml.lifecycle import Context, load_test_period
    from ml.training import predict

    settings = Settings()
    ctx = Context.from_settings(settings)
    oracle = settings.project_dir / ctx.spec("churn").oracle_file
    manifest = json.loads(oracle.with_name("manifest.json").read_text())
    cfg = GeneratorConfig.from_dict(manifest["config"])
    if "--as-feature" in sys.argv[1:]:  # after `dbt build`, about 45 s: two model selections
        _save(settings, "churn_ceiling_feature", as_feature(settings, cfg))
        return
    t = load_test_period(ctx, "churn")
    rows = _keys(t.split.test, t.spec.time_column).assign(
        y=t.y.astype(int),
        rule=t.split.test[t.spec.baseline_feature].to_numpy(),
        model=predict(t.model, t.spec, t.X),
    )
    d = ceiling(cfg, rows)
    auc = {c: roc_auc_score(d.y, d[c]) for c in ("rule", "model", "p_observable", "p_oracle")}
    gap = auc["p_oracle"] - auc["rule"]
    result = {
        "rows": len(d),
        "churners": int(d.y.sum()),
        "cutoffs": sorted(d.cutoff.unique()),
        "model_version": t.version.label,
        "roc_auc": auc,
        "gap_closed": {
            "model": (auc["model"] - auc["rule"]) / gap,
            "observable_ceiling": (auc["p_observable"] - auc["rule"]) / gap,
        },
        "ceiling_minus_model_95": paired_interval(d, "p_observable", "model"),
        "oracle_minus_ceiling_95": paired_interval(d, "p_oracle", "p_observable"),
    }
    _save(settings, "churn_ceiling", result)


if __name__ == "__main__":
    main()
