"""The baseline a user would otherwise pick: the purchases' path of the warehouse (raw extracts
-> typed, validated, latest valid CDC version -> one row per member and month) written the way
the course notebooks do it, pandas `read_parquet` + `groupby`, all in memory.

Run as a child process by the scale benchmark (`python -m loyalty_bench.pandas_baseline LAKE
OUT.json`) so its wall time and peak RSS are its own; an address-space cap turns "does not fit"
into a clean MemoryError instead of the machine swapping. It writes its row counts so the
benchmark can check them against the warehouse: a baseline that computes something else proves
nothing.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

STATUSES = {"approved", "reversed"}
# staging's plausibility vars (dbt_project.yml): program_launch_date, max_purchase_amount_brl
LAUNCH = pd.Timestamp("2024-01-01")
MAX_PURCHASE_AMOUNT_BRL = 50_000


def _latest_valid(df: pd.DataFrame, key: str) -> pd.DataFrame:
    """Latest version per key by (updated_at, extracted_at), as the staging models keep."""
    df = df.sort_values([key, "updated_at", "extracted_at"])
    return df.drop_duplicates(subset=[key], keep="last")


def _text(s: pd.Series) -> pd.Series:
    return s.str.strip().replace("", None)


def _typed_reference(lake: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stores with their partner's rate, and campaigns with their multiplier."""
    frames = {}
    for table, key, number in [
        ("partners", "partner_id", "points_per_brl"),
        ("stores", "store_id", None),
        ("campaigns", "campaign_id", "points_multiplier"),
    ]:
        df = pd.read_parquet(lake / table)
        for column in {key, "partner_id"}:
            df[column] = pd.to_numeric(_text(df[column]), errors="coerce")
        if number:
            df[number] = pd.to_numeric(_text(df[number]), errors="coerce")
        for column in ("updated_at", "extracted_at"):
            df[column] = pd.to_datetime(_text(df[column]), errors="coerce")
        df = df.dropna(subset=[key, "updated_at", "extracted_at"])
        if number:
            df = df[df[number] > 0]
        frames[table] = _latest_valid(df, key)
    stores = frames["stores"][["store_id", "partner_id"]].merge(
        frames["partners"][["partner_id", "points_per_brl"]], on="partner_id", how="left"
    )
    return stores, frames["campaigns"][["campaign_id", "points_multiplier"]]


def member_monthly(lake: Path) -> tuple[pd.DataFrame, int]:
    raw = pd.read_parquet(lake / "transactions")
    raw = raw.drop(columns=["extract_date"], errors="ignore").drop_duplicates(ignore_index=True)
    df = pd.DataFrame(
        {
            "transaction_id": pd.to_numeric(_text(raw["transaction_id"]), errors="coerce"),
            "member_id": pd.to_numeric(_text(raw["member_id"]), errors="coerce"),
            "store_id": pd.to_numeric(_text(raw["store_id"]), errors="coerce"),
            "campaign_id": pd.to_numeric(_text(raw["campaign_id"]), errors="coerce"),
            "purchased_at": pd.to_datetime(_text(raw["purchased_at"]), errors="coerce"),
            "updated_at": pd.to_datetime(_text(raw["updated_at"]), errors="coerce"),
            "extracted_at": pd.to_datetime(_text(raw["extracted_at"]), errors="coerce"),
            "amount_brl": pd.to_numeric(_text(raw["amount_brl"]), errors="coerce"),
            "points_earned": pd.to_numeric(_text(raw["points_earned"]), errors="coerce"),
            "status": _text(raw["status"]).str.lower(),
        }
    )
    df["malformed"] = (
        (_text(raw["member_id"]).notna() & df["member_id"].isna())
        | (_text(raw["store_id"]).notna() & df["store_id"].isna())
        | (_text(raw["campaign_id"]).notna() & df["campaign_id"].isna())
    )
    stores, campaigns = _typed_reference(lake)
    df = df.merge(stores, on="store_id", how="left").merge(campaigns, on="campaign_id", how="left")
    expected = np.floor(df["amount_brl"] * df["points_per_brl"] * df["points_multiplier"].fillna(1))
    valid = (
        df["transaction_id"].notna()
        & ~df["malformed"]
        & df[["purchased_at", "updated_at", "extracted_at"]].notna().all(axis=1)
        & (df["purchased_at"] <= df["extracted_at"])
        & (df["updated_at"] <= df["extracted_at"])
        & (df["purchased_at"] >= LAUNCH)
        & (df["updated_at"] >= LAUNCH)
        & df["amount_brl"].notna()
        & (df["amount_brl"] <= MAX_PURCHASE_AMOUNT_BRL)
        & df["points_earned"].notna()
        & (df["amount_brl"] >= 0)
        & (df["points_earned"] >= 0)
        & df["status"].isin(STATUSES)
        & ~((df["points_earned"] - expected).abs() > 1)
    )
    current = _latest_valid(df[valid], "transaction_id")
    current = current.assign(
        month_start=current["purchased_at"].dt.to_period("M").dt.to_timestamp()
    )
    monthly = current.groupby(["member_id", "month_start"]).agg(
        purchases=("transaction_id", "count"),
        amount_brl=("amount_brl", "sum"),
        points_earned=("points_earned", "sum"),
        distinct_partners=("partner_id", "nunique"),
    )
    return monthly.reset_index(), len(current)


def main() -> None:
    lake, out = Path(sys.argv[1]), Path(sys.argv[2])
    if len(sys.argv) > 3:  # address-space cap in bytes
        cap = int(sys.argv[3])
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    start = time.perf_counter()
    try:
        monthly, transactions = member_monthly(lake)
    except MemoryError:
        out.write_text(json.dumps({"fits": False, "seconds": time.perf_counter() - start}))
        return
    out.write_text(
        json.dumps(
            {
                "fits": True,
                "seconds": time.perf_counter() - start,
                "transactions": transactions,
                "member_months_with_purchases": len(monthly),
                "purchases": int(monthly["purchases"].sum()),
            }
        )
    )


if __name__ == "__main__":
    main()
