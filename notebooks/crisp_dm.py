# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # CRISP-DM no programa de fidelidade · CRISP-DM on the loyalty program
#
# The course's walk through CRISP-DM, on this project's own warehouse: the star schema and
# the feature mart that dbt builds, and the `ml` package that trains, evaluates and scores.
# It reads the warehouse `make run` builds (`LOYALTY_DUCKDB_PATH`, default
# `.warehouse/loyalty.duckdb`), the dbt manifest beside it and the MLflow registry the
# models were trained into; the last step writes scores, as `ml score` does.
#
# Open it with `make notebook` (runs it top to bottom into `target/notebooks/`), or in
# Jupyter with jupytext installed: this file is the notebook, kept as a script so a review
# reads code, not JSON (docs/ml.md, the notebook).

# %%
import time
import warnings
from dataclasses import replace

import duckdb
import numpy as np
import pandas as pd

from ml.config import Settings
from ml.evaluation import evaluate, regression_metrics
from ml.lifecycle import Context, load_test_period, test_period
from ml.scoring import score
from ml.specs import Candidate
from ml.training import frame_fingerprint, predict, select_and_fit

warnings.filterwarnings("ignore", message="IProgress not found")  # tqdm, imported by MLflow
settings = Settings()
ctx = Context.from_settings(settings)
pd.set_option("display.width", 120, "display.max_columns", 12)

# every model and seed by its dbt name, wherever the target put it (schema prefixes differ)
relations = {
    node["name"]: f"{node['schema']}.{node['alias']}"
    for node in ctx.manifest.data["nodes"].values()
    if node["resource_type"] in ("model", "seed")
}


def sql(query: str) -> pd.DataFrame:
    """A query on the warehouse; the file is opened read-only for it and closed again (the
    scoring step below writes to it)."""
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        return con.sql(query.format(**relations)).df()


# %% [markdown]
# ## 1. Entendimento do negócio · Business understanding
#
# Members earn points when they buy at partner stores and redeem them for catalog products.
# The retention team asks two questions every month, at each month's first day (the
# *cutoff*):
#
# - **Churn**: which active members will make no purchase in the next 90 days? A campaign
#   can reach a few hundred of them; it should reach the ones most likely to leave.
# - **Points in the next 90 days**: how many points will each member earn? Finance provisions
#   the liability of points not yet redeemed on it.
#
# Success is measured against what the team does today: call the members who have not bought
# for longest (churn), and expect the last three months to repeat (points).

# %% [markdown]
# ## 2. Entendimento dos dados · Data understanding
#
# Who the members are, from the member dimension (its current version of each member):

# %%
sql("""
    select
        tier,
        count(*) as members,
        count(*) filter (where region = 'Sudeste') as in_the_southeast,
        min(signup_at)::date as first_signup
    from {dim_member}
    where is_current and member_sk <> '-1'  -- not the unknown member's row
    group by tier
    order by members desc
""")

# %% [markdown]
# How they buy, month by month, from the member-month mart:

# %%
monthly = sql("""
    select
        month_start,
        count(*) filter (where purchases > 0) as active_members,
        sum(purchases) as purchases,
        round(sum(amount_brl)) as amount_brl
    from {member_monthly}
    group by month_start
    order by month_start
""")
monthly.tail(6)

# %% [markdown]
# ### OLTP ou OLAP · The same question on the raw extracts and on the star schema
#
# *Points earned per partner segment and month in 2025, approved purchases only.* On the raw
# extracts (what the OLTP systems export) a question must redo the work the warehouse does
# once: keep each row's latest change-data-capture version, join stores to partners, and
# guard every cast and spelling (the extracts hold text such as `2024-02-30 10:00:00`, which
# `try_cast` turns into null instead of stopping the query, and statuses spelt `approved`,
# `APPROVED` and `aprovado`). On the star schema it is a join of the fact to one dimension.

# %%
oltp = """
    with
    transactions as (
        select * from {raw_transactions}
        qualify row_number() over (
            partition by transaction_id order by updated_at desc, extracted_at desc) = 1
    ),
    stores as (
        select * from {raw_stores}
        qualify row_number() over (partition by store_id order by updated_at desc) = 1
    ),
    partners as (
        select * from {raw_partners}
        qualify row_number() over (partition by partner_id order by updated_at desc) = 1
    )
    select
        partners.segment,
        date_trunc('month', try_cast(transactions.purchased_at as timestamp)) as month,
        sum(try_cast(transactions.points_earned as bigint)) as points
    from transactions
    inner join stores on transactions.store_id = stores.store_id
    inner join partners on stores.partner_id = partners.partner_id
    where
        lower(trim(transactions.status)) = 'approved'  -- also spelt APPROVED
        and try_cast(transactions.purchased_at as timestamp) >= timestamp '2025-01-01'
        and try_cast(transactions.purchased_at as timestamp) < timestamp '2026-01-01'
    group by all
    order by all
"""
olap = """
    select
        partners.segment,
        date_trunc('month', transactions.purchase_date) as month,
        sum(transactions.points_earned) as points
    from {fct_transactions} as transactions
    inner join {dim_partner} as partners on transactions.partner_sk = partners.partner_sk
    where
        not transactions.is_reversed
        and transactions.purchase_date between date '2025-01-01' and date '2025-12-31'
    group by all
    order by all
"""


def best_of(query: str, repeat: int = 5) -> tuple[pd.DataFrame, float]:
    """The query's result and its fastest of `repeat` runs, in milliseconds (one connection,
    so the file's opening is not timed)."""
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        text = query.format(**relations)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            result = con.sql(text).df()
            times.append((time.perf_counter() - start) * 1000)
    return result, min(times)


raw_answer, raw_ms = best_of(oltp)
star_answer, star_ms = best_of(olap)
both = raw_answer.merge(
    star_answer, on=["segment", "month"], how="outer", suffixes=("_raw", "_star")
).fillna({"points_raw": 0, "points_star": 0})
print(
    f"raw extracts: {raw_ms:.1f} ms; star schema: {star_ms:.1f} ms "
    f"({raw_ms / star_ms:.1f}x), best of 5 each"
)
by_segment = both.groupby("segment")[["points_raw", "points_star"]].sum()
by_segment["difference"] = by_segment.points_raw - by_segment.points_star
by_segment

# %% [markdown]
# The two answers differ, and the star schema's is the one to trust: staging keeps out the
# rows that fail its checks, each with its reason in the quarantine model (points that do not
# match the partner's rate, a negative amount, an unknown status such as `aprovado`, ...),
# and a purchase at a store the extracts do not know stays in the fact, against the
# dimension's `unknown` partner, instead of vanishing in an inner join. The star schema
# answers faster and, above all, the same way for every analyst.

# %%
sql("""
    select source_table, dq_reason, count(*) as quarantined_rows
    from {stg_loyalty__quarantine}
    group by all
    order by quarantined_rows desc
""")

# %% [markdown]
# ## 3. Preparação dos dados · Data preparation
#
# The feature mart `ml_member_features` has one row per member and monthly cutoff. Every
# feature is computed from what was known before the cutoff (point-in-time correct); the
# labels from the 90 days after it, so the last three cutoffs have none yet. The churn model
# works on the members a campaign acts on (`is_eligible`: an active account with a purchase
# in the 90 days before the cutoff).

# %%
features = sql("""
    select
        cutoff_date,
        count(*) as members,
        count(points_next_90d) as labelled,
        round(avg(case when is_eligible then 1.0 else 0.0 end), 3) as eligible_share,
        round(avg(case when is_eligible then churned_next_90d::int end), 3) as churn_rate
    from {ml_member_features}
    group by cutoff_date
    order by cutoff_date
""")
features.tail(6)

# %% [markdown]
# ## 4. Modelagem · Modelling
#
# The model for points is declared in a spec (`ml/specs/points_next_90d.yml`): its source,
# features, candidates and split. The split is by time, never at random: the last four
# labelled cutoffs are the test period, the three before it a gap (a 90-day label spans
# three cutoffs, so they would leak the test period's outcomes into training), and
# everything earlier is training.

# %%
spec = ctx.spec("points_next_90d")
split, X_test, y_test = test_period(ctx, spec)
print(
    f"train: {len(split.train):,} rows, cutoffs {split.train_periods[0]:%Y-%m} to "
    f"{split.train_periods[-1]:%Y-%m}"
)
print(
    f"test: {len(split.test):,} rows, cutoffs {split.test_periods[0]:%Y-%m} to "
    f"{split.test_periods[-1]:%Y-%m}"
)

# %% [markdown]
# The Python API trains what the CLI trains. A smaller spec than the shipped one, one
# regularised linear model on a log-like scale, selected by time-ordered cross-validation
# inside the training period (the shipped spec adds gradient boosting):

# %%
ridge = Candidate(
    name="ridge",
    estimator="sklearn.linear_model.Ridge",
    numeric_transform="arcsinh",
    grid={"alpha": [1.0, 10.0, 100.0]},
)
with ctx.threads():
    selection = select_and_fit(replace(spec, candidates=[ridge]), split.train)
print(f"selected {selection.candidate} with {selection.best_params}")
selection.model

# %% [markdown]
# ## 5. Avaliação · Evaluation
#
# The mean squared error is the mean, over the test rows, of (actual - predicted)². With the
# registered champion's own predictions on five members of the test period:

# %%
champion = load_test_period(ctx, "points_next_90d")
with ctx.threads():
    predicted = predict(champion.model, champion.spec, champion.X)
errors = pd.DataFrame(
    {
        "member_id": champion.split.test["member_id"],
        "cutoff_date": champion.split.test["cutoff_date"].dt.date,
        "actual": champion.y,
        "predicted": predicted,
    }
)
errors["error"] = errors.actual - errors.predicted
errors["squared_error"] = errors.error**2
errors.head(5).round(1)

# %%
mse = float(np.mean((champion.y - predicted) ** 2))
recorded = champion.version.metadata["metrics"]["test"]["mse"]
if frame_fingerprint(champion.split.test, spec) == champion.version.metadata["test_data"]:
    # the same rows as at training: the number the registry holds for this version
    assert np.isclose(mse, recorded, rtol=1e-9), (mse, recorded)
baseline = champion.split.test[spec.baseline_feature].fillna(0).to_numpy(dtype=float)
baseline_mse = float(np.mean((champion.y - baseline) ** 2))
print(
    f"MSE {mse:,.0f} (points²) over {len(errors):,} test rows: a typical error of "
    f"{np.sqrt(mse):,.0f} points (the RMSE) where a member earns {champion.y.mean():,.0f} "
    "on average"
)
print(
    f"the last three months repeated: MSE {baseline_mse:,.0f}; the model's is "
    f"{1 - mse / baseline_mse:+.1%} better (what `ml train` and `ml models list` print)"
)

# %% [markdown]
# The notebook's ridge against the champion and the baselines, on the same test rows:

# %%
with ctx.threads():
    ours = evaluate(
        spec, selection.model, split.train, split.test, X_test, y_test, settings.project_dir
    )
pd.DataFrame(
    {
        "notebook ridge": ours["test"],
        f"champion ({champion.version.label})": regression_metrics(champion.y, predicted),
        **{f"baseline: {name}": m for name, m in ours["baselines"].items()},
    }
).T[["mse", "mae", "r2"]].round(2)

# %% [markdown]
# ## 6. Implantação · Deployment
#
# The champion scores every member at the cutoffs from its test period on: the scores go to
# the warehouse (`ml_scores.model_scores`), where dbt reads them as a source. The same as
# `ml score churn`; `dbt build -s source:ml_scores+` then refreshes the retention team's
# mart (`mart_member_churn_risk`).

# %%
with ctx.threads():
    written = score(ctx, "churn")
print(
    f"{written.rows:,} scores of churn v{written.version} for cutoffs "
    f"{written.cutoffs[0]} to {written.cutoffs[-1]} in {written.table}"
)
latest = sql(f"""
    select score
    from {written.table}
    where model_name = 'churn' and cutoff_date = date '{written.cutoffs[-1]}'
""")
latest["decile"] = pd.qcut(
    latest.score.rank(method="first", ascending=False), 10, labels=range(1, 11)
)
latest.groupby("decile", observed=True).score.agg(["count", "min", "max"]).round(3)
