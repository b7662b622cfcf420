"""Incremental facts: loading the daily exports one day at a time must give exactly the marts
a full refresh over the same days gives (same rows, same values), running balances included."""

from __future__ import annotations

import json

import duckdb
import pytest

from loyalty_bench.scale import differing_rows
from tests.integration.conftest import InProcessDbt, copy_warehouse

pytestmark = pytest.mark.integration

# Six daily exports across a month boundary: new month rows, quarterly tier reviews, point
# expirations on the 1st, reversals of purchases loaded days earlier, and purchases that
# reach the OLTP days late (some of June's in July's exports).
DAYS = ["2024-06-28", "2024-06-29", "2024-06-30", "2024-07-01", "2024-07-02", "2024-07-03"]
FACTS = ["fct_transactions", "fct_redemption_items", "fct_points_ledger", "member_monthly"]
# Staging is incremental too: its tables must come out the same, quarantine included.
COMPARED = (
    [("main_marts", t) for t in [*FACTS, "dim_member"]]
    + [
        ("main_ml", "ml_member_features"),
    ]
    + [
        ("main_staging", t)
        for t in ["base_loyalty__members", "base_loyalty__transactions", "stg_loyalty__quarantine"]
    ]
)
SELECT = ["-s", "+ml_member_features"]


@pytest.fixture(scope="module")
def dbt(session_dbt) -> InProcessDbt:
    """dbt in this process on the session's parse: each test here calls it on several copies
    of the warehouse, with other vars each time (a process per call parsed the project
    again)."""
    return session_dbt


def _through(day: str) -> list[str]:
    return ["--vars", json.dumps({"raw_extracted_through": f"{day} 02:00:00"})]


def _assert_same_tables(full, incremental, tables: list[tuple[str, str]], context="") -> None:
    """Same non-empty row counts and no row differing either way (except all)."""
    with duckdb.connect(str(full), read_only=True) as con:
        con.execute(f"attach '{incremental}' as inc (read_only)")
        for schema, table in tables:
            rows = con.execute(f"select count(*) from {schema}.{table}").fetchall()[0][0]
            incremental_rows = con.execute(f"select count(*) from inc.{schema}.{table}")
            assert rows == incremental_rows.fetchall()[0][0] > 0, (context, table)
            assert differing_rows(con, "inc", schema, table) == (0, 0), (context, table)


def _assert_equal_to_a_full_refresh(dbt, warehouse, incremental, day: str, tmp_path):
    full = copy_warehouse(warehouse.path, tmp_path / f"full-{day}")
    dbt.at(full, tmp_path / "t_full", ["run", "--full-refresh", *SELECT, *_through(day)])
    _assert_same_tables(full, incremental, COMPARED, day)
    return full


def test_day_by_day_increments_equal_a_full_refresh(dbt, warehouse, tmp_path):
    incremental = copy_warehouse(warehouse.path, tmp_path / "incremental")
    target = tmp_path / "t_incremental"
    dbt.at(incremental, target, ["run", "--full-refresh", *SELECT, *_through(DAYS[0])])
    features = target / "compiled" / "loyalty" / "models" / "ml" / "ml_member_features.sql"
    feature_runs = []
    for day in DAYS[1:]:
        dbt.at(incremental, target, ["run", *SELECT, *_through(day)])
        # the incremental branch ran, not a silent rebuild: the filter was compiled in and
        # the run deleted and inserted rows instead of replacing the table
        for fact in FACTS:
            ran = target / "run" / "loyalty" / "models" / "marts" / f"{fact}.sql"
            assert "__dbt_tmp" in ran.read_text() and "delete from" in ran.read_text(), fact
        ledger = target / "compiled" / "loyalty" / "models" / "marts" / "fct_points_ledger.sql"
        assert "tail_starts" in ledger.read_text()  # each touched member's tail, not its history
        base = target / "run" / "loyalty" / "models" / "staging" / "loyalty" / "base"
        assert "delete from" in (base / "base_loyalty__transactions.sql").read_text()
        compiled = features.read_text()
        feature_runs.append(
            ("relabel_keys" in compiled, "rebuilt_members" in compiled, "new_cutoff_" in compiled)
        )
        if day == DAYS[2]:
            # the export of June 30 closes the label window of the April cutoff (April 1 + 90
            # days): every member's April row gets its label in a relabelling run
            assert feature_runs[-1] == (True, True, False)
            with duckdb.connect(str(incremental), read_only=True) as con:
                cutoffs = con.execute(
                    "select max(cutoff_date), bool_and(is_label_complete) filter (where "
                    "cutoff_date = '2024-04-01') from main_ml.ml_member_features"
                ).fetchall()[0]
            assert (str(cutoffs[0]), cutoffs[1]) == ("2024-06-01", True)
            _assert_equal_to_a_full_refresh(dbt, warehouse, incremental, day, tmp_path)
    # mid-month runs relabel and rebuild only changed members; the month start (July 1) also
    # adds everyone's new cutoff in one aggregate
    mid_month, month_start = (True, True, False), (True, True, True)
    assert feature_runs == [mid_month] * 2 + [month_start] + [mid_month] * 2, feature_runs

    full = _assert_equal_to_a_full_refresh(dbt, warehouse, incremental, DAYS[-1], tmp_path)
    # a run that catches up over two month starts (June 1, July 1) rebuilds everyone's last
    # cutoffs instead, and gives the same tables
    caught_up = copy_warehouse(warehouse.path, tmp_path / "caught-up")
    caught_up_target = tmp_path / "t_caught_up"
    dbt.at(caught_up, caught_up_target, ["run", "--full-refresh", *SELECT, *_through("2024-05-20")])
    dbt.at(caught_up, caught_up_target, ["run", *SELECT, *_through(DAYS[-1])])
    compiled = (tmp_path / "t_caught_up" / features.relative_to(target)).read_text()
    assert "relabel_keys" not in compiled and "new_cutoff_" not in compiled
    _assert_same_tables(full, caught_up, COMPARED, "caught up")
    with duckdb.connect(str(incremental), read_only=True) as con:
        # new rows are staged in regular tables (macros/duckdb_temporary_relation.sql): none stays
        staged = "select count(*) from duckdb_tables() where table_name like '%__dbt_tmp%'"
        assert con.execute(staged).fetchall()[0][0] == 0
        # the days replayed brought purchases that reached the OLTP days late (the generator's
        # late arrivals), some of them for the month before the export's
        late = con.execute(
            "select count(*), count(*) filter (where month(purchased_at) != month(extracted_at "
            "- interval 1 day)) from main_staging.base_loyalty__transactions where status = "
            "'approved' and updated_at - purchased_at >= interval 1 day and extracted_at > ? "
            "and extracted_at <= ?",
            [f"{DAYS[0]} 02:00:00", f"{DAYS[-1]} 02:00:00"],
        ).fetchall()[0]
        assert late[0] >= late[1] > 0, late
        last_day = con.execute("select max(purchase_date) from main_marts.fct_transactions")
        assert str(last_day.fetchall()[0][0]) == DAYS[-2]  # exports carry the previous day
        # the month's own cutoff waits for its last day; July's came with the export of July 1
        last_cutoff = con.execute("select max(cutoff_date) from main_ml.ml_member_features")
        assert str(last_cutoff.fetchall()[0][0]) == "2024-07-01"


def test_ledger_follows_a_movement_to_another_member(dbt, warehouse, tmp_path):
    """A new version of a transaction that moves it to another member: the ledger's tail
    rebuild (replace_tail) must drop it from the old member, whose tail is then empty (it was
    the member's last movement, so only the tail marker says where to delete from), and add it
    to the new one with every later balance shifted, exactly as a full refresh would."""
    moved = copy_warehouse(warehouse.path, tmp_path / "moved")
    with duckdb.connect(str(moved)) as con:
        # the last movement of some member, an earn of a purchase never reversed
        old_member, transaction = con.execute(
            """
            select member_id, source_id
            from main_marts.fct_points_ledger
            where member_sk != '-1'
            qualify
                row_number() over (partition by member_id order by event_at desc, source_id) = 1
                and movement_type = 'earn'
                and count(*) over (partition by source_id) = 1
            order by member_id
            limit 1
            """
        ).fetchall()[0]
        new_member = con.execute(
            "select min(member_id) from main_marts.dim_member "
            f"where is_current and member_id not in (-1, {old_member})"
        ).fetchall()[0][0]
        # what a new CDC version loaded now would leave in staging: the new version current,
        # the old one kept beside it (where the ledger learns the movement's old member from)
        con.execute(
            f"""
            insert into main_staging.base_loyalty__transactions by name
            select * replace (
                {new_member} as member_id,
                updated_at + interval 1 day as updated_at,
                md5_number('moved') as row_fingerprint,
                now() as loaded_at
            )
            from main_staging.base_loyalty__transactions
            where transaction_id = {transaction} and is_current_version
            """
        )
        con.execute(
            "update main_staging.base_loyalty__transactions set is_current_version = false "
            f"where transaction_id = {transaction} and member_id = {old_member}"
        )
    full = copy_warehouse(moved, tmp_path / "full")
    dbt.at(moved, tmp_path / "t_moved", ["run", "-s", "fct_points_ledger"])
    dbt.at(full, tmp_path / "t_full", ["run", "--full-refresh", "-s", "fct_points_ledger"])
    ran = tmp_path / "t_moved" / "run" / "loyalty" / "models" / "marts" / "fct_points_ledger.sql"
    assert "dbt_tail_from" in ran.read_text()  # replace_tail ran, not a rebuild

    with duckdb.connect(str(moved), read_only=True) as con:
        owners = con.execute(
            "select member_id from main_marts.fct_points_ledger "
            f"where source_id = {transaction} and movement_type = 'earn'"
        ).fetchall()
    assert owners == [(new_member,)]
    _assert_same_tables(full, moved, [("main_marts", "fct_points_ledger")])


def test_a_late_purchase_relabels_a_closed_label_window(dbt, warehouse, tmp_path):
    """New data in the last cutoff's month changes no feature, only labels, and the feature
    mart relabels only stored rows whose label is complete: February's window (Feb 1 + 90
    days = May 2) is closed by the export of May 3, yet a purchase of May 1 that arrives then
    falls inside it. The incremental run must turn that member's February churn label from 1 to
    0 without rebuilding its features, exactly as a full refresh does."""
    late = copy_warehouse(warehouse.path, tmp_path / "late")
    dbt.at(late, tmp_path / "t0", ["run", "--full-refresh", *SELECT, *_through("2025-05-03")])
    with duckdb.connect(str(late)) as con:
        # a member who churned after February's cutoff (nothing in its 90 days) and bought
        # before it: copy their last purchase to May 1, as a purchase loaded now
        member = con.execute(
            """
            select member_id from main_ml.ml_member_features
            where cutoff_date = '2025-02-01' and churned_next_90d = 1 and recency_days < 60
            order by member_id limit 1
            """
        ).fetchall()[0][0]
        con.execute(
            f"""
            insert into main_staging.base_loyalty__transactions by name
            select * replace (
                (select max(transaction_id) + 1 from main_staging.base_loyalty__transactions)
                    as transaction_id,
                timestamp '2025-05-01 12:00:00' as purchased_at,
                timestamp '2025-05-03 01:00:00' as updated_at,
                timestamp '2025-05-03 02:00:00' as extracted_at,
                now() as loaded_at
            )
            from main_staging.base_loyalty__transactions
            where member_id = {member} and is_current_version and status = 'approved'
            order by purchased_at desc
            limit 1
            """
        )
    full = copy_warehouse(late, tmp_path / "full")
    downstream = ["-s", "stg_loyalty__transactions+", "--exclude", "mart_member_churn_risk"]
    dbt.at(late, tmp_path / "t_late", ["run", *downstream, *_through("2025-05-03")])
    dbt.at(
        full, tmp_path / "t_full", ["run", "--full-refresh", *downstream, *_through("2025-05-03")]
    )
    compiled = tmp_path / "t_late" / "compiled" / "loyalty" / "models" / "ml"
    assert "relabel_keys" in (compiled / "ml_member_features.sql").read_text()

    with duckdb.connect(str(late), read_only=True) as con:
        label = con.execute(
            "select churned_next_90d from main_ml.ml_member_features "
            f"where member_id = {member} and cutoff_date = '2025-02-01'"
        ).fetchall()
    assert label == [(0,)]
    _assert_same_tables(
        full, late, [("main_marts", "member_monthly"), ("main_ml", "ml_member_features")]
    )


def test_member_monthly_follows_a_purchase_out_of_its_old_member_and_month(
    dbt, warehouse, tmp_path
):
    """New CDC versions in the next export: one moves a purchase to another member, another
    moves a purchase of an earlier month to the export's day. The purchase must leave the month
    it was in (which only its earlier version in staging remembers: neither fact nor ledger
    holds the old position any more) as well as arrive in the new one. The incremental run of
    everything downstream must give exactly the tables a full refresh gives."""
    moved = copy_warehouse(warehouse.path, tmp_path / "moved")
    with duckdb.connect(str(moved)) as con:
        # an approved purchase (never reversed) of the period, with one raw version whose id is
        # written as the id: the copy below is then its next version
        pick = """
            select
                transactions.transaction_id,
                transactions.member_id,
                transactions.purchased_at,
                max(raw.extracted_at) as raw_extracted_at
            from main_staging.stg_loyalty__transactions as transactions
            inner join main_raw.raw_transactions as raw
                on raw.transaction_id = cast(transactions.transaction_id as varchar)
            where
                transactions.status = 'approved'
                and transactions.purchased_at >= ? and transactions.purchased_at < ?
                and transactions.member_id in (
                    select member_id from main_marts.dim_member where is_current
                )
            group by all
            having count(*) = 1
            order by transactions.transaction_id
            limit 1
        """
        # one from two years back, moved to another member: its features and labels are far
        # older than the cutoffs an ordinary day recomputes (features_recompute_months)
        to_member_id, old_member, purchased_at, to_member_export = con.execute(
            pick, ["2024-03-01", "2024-06-01"]
        ).fetchall()[0]
        # one of November, moved to January 1: it leaves November's month and its labels
        in_time_id, _, _, in_time_export = con.execute(
            pick, ["2025-11-01", "2025-12-01"]
        ).fetchall()[0]
        # a member enrolled before the purchase
        new_member = con.execute(
            "select min(member_id) from main_marts.dim_member where is_current and "
            "member_id not in (-1, ?) and signup_at < ?",
            [old_member, purchased_at],
        ).fetchall()[0][0]
        # the next export (January 2, 2026, the day after the seeds' last) carries both versions
        for transaction, export, changes in [
            (to_member_id, to_member_export, f"'{new_member}' as member_id"),
            (in_time_id, in_time_export, "'2026-01-01 11:00:00' as purchased_at"),
        ]:
            con.execute(
                f"""
                insert into main_raw.raw_transactions
                select * replace (
                    {changes},
                    '2026-01-01 23:00:00' as updated_at,
                    '2026-01-02 02:00:00' as extracted_at
                )
                from main_raw.raw_transactions
                where transaction_id = '{transaction}' and extracted_at = '{export}'
                """
            )
    full = copy_warehouse(moved, tmp_path / "full")
    downstream = ["-s", "base_loyalty__transactions+", "--exclude", "mart_member_churn_risk"]
    dbt.at(moved, tmp_path / "t_moved", ["run", *downstream])
    dbt.at(full, tmp_path / "t_full", ["run", "--full-refresh", *downstream])
    ran = tmp_path / "t_moved" / "run" / "loyalty" / "models" / "marts" / "member_monthly.sql"
    assert "dbt_tail_from" in ran.read_text()  # replace_tail ran, not a rebuild

    with duckdb.connect(str(moved), read_only=True) as con:
        now = {
            row[0]: row[1:]
            for row in con.execute(
                "select transaction_id, member_id, purchase_date from main_marts.fct_transactions "
                f"where transaction_id in ({to_member_id}, {in_time_id})"
            ).fetchall()
        }
    assert now[to_member_id][0] == new_member != old_member
    assert str(now[in_time_id][1]) == "2026-01-01"
    _assert_same_tables(
        full,
        moved,
        [
            ("main_marts", "fct_transactions"),
            ("main_marts", "fct_points_ledger"),
            ("main_marts", "member_monthly"),
            ("main_ml", "ml_member_features"),
        ],
    )
