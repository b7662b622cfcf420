"""The warehouse holds exactly what the generator says it wrote: counts per table, per CDC state,
per quarantine reason, and the facts that must land on the unknown members."""

from __future__ import annotations

import pytest

from loyalty_datagen.schema import TABLES

pytestmark = pytest.mark.integration


def one(con, sql: str):
    return con.execute(sql).fetchall()[0][0]


@pytest.mark.parametrize("table", list(TABLES))
def test_raw_rows_reconcile_to_current_superseded_and_quarantined(con, manifest, table):
    expected = manifest["tables"][table]
    assert one(con, f"select count(*) from main_raw.raw_{table}") == expected["rows"]
    assert (
        one(con, f"select count(*) from main_staging.stg_loyalty__{table}") == expected["current"]
    )
    superseded = one(
        con,
        f"select count(*) from main_staging.base_loyalty__{table} "
        "where dq_reason is null and not is_current_version",
    )
    assert superseded == expected["superseded"]
    by_reason = dict(
        con.execute(
            "select dq_reason, count(*) from main_staging.stg_loyalty__quarantine "
            "where source_table = ? group by 1",
            [table],
        ).fetchall()
    )
    assert by_reason == expected["quarantined_by_reason"]


@pytest.mark.parametrize("table", list(TABLES))
def test_base_tables_keep_each_raw_key_as_it_arrived(con, table):
    """The raw key text rides through the version window only where it differs from the
    parsed key (macros/project/cdc.sql) and is rendered back after it: every raw row's trimmed
    key, padded, zero-led or malformed, must come out as it went in."""
    key = TABLES[table].key
    key_raw = key.removesuffix("_id") + "_key_raw"
    differing = one(
        con,
        f"""
        select count(*) from (
            (select nullif(trim({key}), '') as k from main_raw.raw_{table}
             except all
             select {key_raw} from main_staging.base_loyalty__{table})
            union all
            (select {key_raw} from main_staging.base_loyalty__{table}
             except all
             select nullif(trim({key}), '') from main_raw.raw_{table})
        )
        """,
    )
    assert differing == 0
    # the check has teeth: the seeds hold keys whose text is not their number's
    if table == "transactions":
        assert (
            one(
                con,
                f"select count(*) from main_staging.base_loyalty__{table} "
                f"where {key_raw} != coalesce(cast({key} as varchar), '')",
            )
            > 0
        )


def test_quarantine_holds_every_injected_defect(con, manifest):
    quarantinable = {
        k: v for k, v in manifest["defects_total"].items() if not k.startswith("orphan_")
    }
    got = dict(
        con.execute(
            "select dq_reason, count(*) from main_staging.stg_loyalty__quarantine group by 1"
        ).fetchall()
    )
    assert got == quarantinable


def test_orphan_keys_land_on_unknown_members(con, manifest):
    expected = manifest["expected_unknown"]
    assert (
        one(con, "select count(*) from main_marts.fct_transactions where member_sk = '-1'")
        == (expected["fct_transactions.member"])
    )
    assert (
        one(con, "select count(*) from main_marts.fct_transactions where store_sk = '-1'")
        == (expected["fct_transactions.store"])
    )
    assert (
        one(con, "select count(*) from main_marts.fct_redemption_items where product_sk = '-1'")
        == (expected["fct_redemption_items.product"])
    )


def test_facts_keep_every_current_row(con, manifest):
    t = manifest["tables"]
    assert (
        one(con, "select count(*) from main_marts.fct_transactions") == t["transactions"]["current"]
    )
    assert (
        one(con, "select count(*) from main_marts.fct_redemption_items")
        == (t["redemption_items"]["current"])
    )
    reversed_ = one(con, "select count(*) from main_marts.fct_transactions where is_reversed")
    ledger = one(con, "select count(*) from main_marts.fct_points_ledger")
    assert ledger == (
        t["transactions"]["current"]
        + reversed_
        + t["redemption_items"]["current"]
        + t["point_expirations"]["current"]
    )


def test_dim_member_has_one_row_per_valid_version_plus_unknown(con, manifest):
    m = manifest["tables"]["members"]
    assert (
        one(con, "select count(*) from main_marts.dim_member") == m["current"] + m["superseded"] + 1
    )
    assert (
        one(con, "select count(*) from main_marts.dim_member where is_current") == m["current"] + 1
    )


def test_every_member_has_monthly_rows_up_to_the_last_month(con, manifest):
    members = manifest["tables"]["members"]["current"]
    assert one(con, "select count(distinct member_id) from main_marts.member_monthly") == members
    last = one(con, "select max(month_start) from main_marts.member_monthly")
    assert last.isoformat()[:7] < manifest["config"]["end"][:7]
    per_member_last = one(
        con,
        "select count(*) from (select member_id, max(month_start) m "
        "from main_marts.member_monthly group by 1) where m <> "
        "(select max(month_start) from main_marts.member_monthly)",
    )
    assert per_member_last == 0
