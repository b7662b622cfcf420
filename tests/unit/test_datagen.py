"""The generator: deterministic, self-consistent, and in sync with the committed seeds."""

from __future__ import annotations

import csv
import filecmp
import json
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loyalty_datagen import GeneratorConfig, generate
from loyalty_datagen.brazil import cpf_is_valid
from loyalty_datagen.extracts import ID_WRITERS, OltpIds
from loyalty_datagen.schema import DEFECT_KINDS, TABLES

SMALL = GeneratorConfig(seed=7, members=150, months=15, start=date(2024, 1, 1), defect_rate=0.02)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("small")
    manifest = generate(SMALL, out / "seeds", out / "meta")
    return out, manifest


def _rows(path: Path) -> list[dict]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_same_seed_gives_identical_bytes(small, tmp_path):
    out, _ = small
    generate(SMALL, tmp_path / "seeds", tmp_path / "meta")
    for sub in ("seeds", "meta"):
        cmp = filecmp.dircmp(out / sub, tmp_path / sub)
        assert not cmp.diff_files and not cmp.left_only and not cmp.right_only


def test_other_seed_gives_other_data(small, tmp_path):
    out, _ = small
    generate(GeneratorConfig(**{**SMALL.__dict__, "seed": 8}), tmp_path / "s", tmp_path / "m")
    assert (out / "seeds" / "raw_transactions.csv").read_bytes() != (
        tmp_path / "s" / "raw_transactions.csv"
    ).read_bytes()


def test_manifest_counts_match_files(small):
    out, manifest = small
    for name, table in TABLES.items():
        path = out / "seeds" / f"raw_{name}.csv"
        rows = _rows(path)
        report = manifest["tables"][name]
        assert len(rows) == report["rows"] > 0
        assert path.read_text().splitlines()[0] == ",".join(table.columns)
        clean = report["current"] + report["superseded"]
        assert clean + report["quarantined"] == report["rows"]
    assert json.loads((out / "meta" / "manifest.json").read_text()) == manifest


def test_every_defect_kind_is_injected(small):
    _, manifest = small
    assert set(manifest["defects_total"]) == set(DEFECT_KINDS)
    assert all(v > 0 for v in manifest["defects_total"].values())


def test_clean_member_rows_have_valid_cpfs(small):
    out, manifest = small
    members = _rows(out / "seeds" / "raw_members.csv")
    invalid = [r for r in members if not cpf_is_valid("".join(c for c in r["cpf"] if c.isdigit()))]
    assert len(invalid) == manifest["tables"]["members"]["defects"]["invalid_cpf"]


def test_points_follow_rate_and_multiplier(small):
    """Clean purchases earn floor(amount x rate x multiplier): what staging re-checks."""
    out, _ = small
    rate = {r["partner_id"]: r["points_per_brl"] for r in _rows(out / "seeds" / "raw_partners.csv")}
    store_partner = {
        r["store_id"]: r["partner_id"] for r in _rows(out / "seeds" / "raw_stores.csv")
    }
    mult = {
        r["campaign_id"]: r["points_multiplier"] for r in _rows(out / "seeds" / "raw_campaigns.csv")
    }
    checked = 0
    for r in _rows(out / "seeds" / "raw_transactions.csv")[:500]:
        try:
            cents = round(float(r["amount_brl"]) * 100)
        except (ValueError, OverflowError):  # non-numeric and overflowing amounts
            continue
        if r["store_id"] not in store_partner or cents < 0 or not r["points_earned"].isdigit():
            continue
        expected = (
            cents
            * round(float(rate[store_partner[r["store_id"]]]) * 100)
            * round(float(mult.get(r["campaign_id"], "1.00")) * 100)
            // 1_000_000
        )
        if int(r["points_earned"]) == expected:
            checked += 1
    assert checked > 400


def _timestamp(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        return None


def test_some_purchases_arrive_days_late(small):
    """A share of purchases reaches the OLTP days late: exported days after the purchase date,
    and always before its reversal, so each transaction's versions stay in order."""
    out, manifest = small
    rows = _rows(out / "seeds" / "raw_transactions.csv")
    late, written, reversed_at = 0, {}, {}
    for r in rows:
        bought, updated = _timestamp(r["purchased_at"]), _timestamp(r["updated_at"])
        exported = _timestamp(r["extracted_at"])
        if not (bought and updated and exported) or updated < bought:
            continue  # a defect broke its timestamps
        status = r["status"].strip().lower()
        # rows are in update order: a key's first approved row is the purchase as written, a
        # later one its clock correction
        if status == "approved" and r["transaction_id"] not in written:
            written[r["transaction_id"]] = updated
            if updated - bought >= timedelta(days=1):
                late += 1
                assert (exported.date() - bought.date()).days >= 2
        elif status == "reversed":
            reversed_at[r["transaction_id"]] = updated
    both = written.keys() & reversed_at.keys()
    assert both and all(reversed_at[t] > written[t] for t in both)
    purchases = manifest["tables"]["transactions"]["current"]
    assert 0.01 * purchases < manifest["late_arriving_purchases"] < 0.03 * purchases
    # defects (copies, broken timestamps or statuses) move the raw count by at most one each
    defects = sum(manifest["tables"]["transactions"]["defects"].values())
    assert abs(late - manifest["late_arriving_purchases"]) <= defects


def test_some_purchase_times_are_corrected_by_a_later_version(small):
    """A share of purchases is first stamped one to twenty hours early and corrected days later
    by a new version with the true time and nothing else changed, before any reversal."""
    out, manifest = small
    versions: dict[str, list[dict]] = {}
    for r in _rows(out / "seeds" / "raw_transactions.csv"):
        valid = r["transaction_id"].isdigit()  # null and malformed keys group unrelated rows
        if valid and _timestamp(r["updated_at"]) and _timestamp(r["purchased_at"]):
            versions.setdefault(r["transaction_id"], []).append(r)
    corrected = 0
    for rows in versions.values():
        approved = [r for r in rows if r["status"].strip().lower() == "approved"]
        moved = [r for r in approved[1:] if r["purchased_at"] != approved[0]["purchased_at"]]
        if not moved:
            continue
        first = approved[0]
        corrected += 1
        fix = moved[0]
        early = _timestamp(fix["purchased_at"]) - _timestamp(first["purchased_at"])
        assert timedelta(hours=1) <= early <= timedelta(hours=20)
        assert _timestamp(fix["updated_at"]) - _timestamp(first["updated_at"]) >= timedelta(days=1)
        same = ("member_id", "store_id", "amount_brl", "points_earned", "campaign_id")
        assert all(fix[c] == first[c] for c in same)
        reversals = [r for r in rows if r["status"].strip().lower() == "reversed"]
        assert all(r["updated_at"] > fix["updated_at"] for r in reversals)
        assert all(r["purchased_at"] == fix["purchased_at"] for r in reversals)
    # defects only add rows (copies under new or broken keys, exact duplicates): every
    # correction the generator counted is there
    assert corrected == manifest["clock_corrected_purchases"]
    assert corrected > 0.003 * manifest["tables"]["transactions"]["current"]


def test_churn_truth_is_a_probability_per_member_and_cutoff(small):
    out, manifest = small
    truth = _rows(out / "meta" / "churn_truth.csv")
    assert len(truth) == manifest["churn_truth"]["rows"]
    probs = [float(r["p_no_purchase_90d"]) for r in truth]
    assert all(0.0 <= p <= 1.0 for p in probs)
    # members already churned at a cutoff are certain to show the label
    assert all(float(r["p_no_purchase_90d"]) == 1.0 for r in truth if r["alive_at_cutoff"] == "0")
    assert len({(r["member_id"], r["cutoff_date"]) for r in truth}) == len(truth)


def test_truth_files_are_not_seeds(small):
    out, _ = small
    assert not list((out / "seeds").rglob("*truth*"))


def test_committed_seeds_match_the_generator(root, tmp_path):
    """Generator and seeds never drift apart: regenerate the defaults and compare bytes."""
    generate(GeneratorConfig(), tmp_path / "seeds", tmp_path / "meta")
    for produced in (tmp_path / "seeds").rglob("*"):
        if produced.is_file():
            committed = root / "seeds" / produced.relative_to(tmp_path / "seeds")
            assert committed.read_bytes() == produced.read_bytes(), f"{committed} drifted"
    for produced in (tmp_path / "meta").iterdir():
        committed = root / "data" / "datagen" / produced.name
        assert committed.read_bytes() == produced.read_bytes(), f"{committed} drifted"


def test_churn_truth_is_calibrated_against_the_realised_labels(root):
    """The ceiling is honest: the stored probabilities match what actually happened."""
    by_member: dict[str, list[str]] = {}
    for r in _rows(root / "seeds" / "raw_transactions.csv"):
        by_member.setdefault(r["member_id"], []).append(r["purchased_at"][:10])
    end = json.loads((root / "data" / "datagen" / "manifest.json").read_text())["config"]["end"]
    probs, labels = [], []
    for r in _rows(root / "data" / "datagen" / "churn_truth.csv"):
        cutoff = date.fromisoformat(r["cutoff_date"])
        window_end = (cutoff + timedelta(days=90)).isoformat()
        if window_end > end:
            continue  # label window not complete
        days = by_member.get(r["member_id"], [])
        labels.append(not any(r["cutoff_date"] <= d < window_end for d in days))
        probs.append(float(r["p_no_purchase_90d"]))
    p, y = np.array(probs), np.array(labels, dtype=float)
    assert len(p) > 10_000
    assert abs(p.mean() - y.mean()) < 0.01
    for lo in np.arange(0.0, 1.0, 0.1):
        in_bin = (p >= lo) & (p < lo + 0.1)
        if in_bin.sum() >= 200:
            assert abs(p[in_bin].mean() - y[in_bin].mean()) < 0.05, lo


def _lake_rows(lake: Path, table: str) -> str:
    return f"select * from read_parquet('{lake}/{table}/*/*.parquet', hive_partitioning = true)"


def test_a_lake_grown_by_appends_equals_one_written_at_once(tmp_path):
    import duckdb

    from loyalty_datagen import append_days
    from loyalty_datagen.lake import EXPORT_MARKER, PENDING_EXPORTS, exported_tables

    whole = generate(SMALL, None, tmp_path / "meta_whole", out_lake=tmp_path / "whole")
    last = SMALL.extract_at.date()
    lake, meta = tmp_path / "grown", tmp_path / "meta_grown"
    first = generate(SMALL, None, meta, out_lake=lake, lake_through=last - timedelta(days=5))
    assert first["lake"]["through"] == (last - timedelta(days=5)).isoformat()
    days = {p.name for p in (lake / "transactions").iterdir()}
    assert max(days) == f"extract_date={last - timedelta(days=5)}"
    # every table's every export day carries its marker, days without rows included
    expirations = {p.name for p in (lake / "point_expirations").iterdir()}
    assert expirations == days and not all(
        any(p.glob("*.parquet")) for p in (lake / "point_expirations").iterdir()
    )
    assert exported_tables(lake, list(TABLES), last - timedelta(days=5)) == list(TABLES)
    assert exported_tables(lake, list(TABLES), last - timedelta(days=4)) == []

    # the later exports wait beside the lake, outside the tables' folders dbt reads
    assert (lake / PENDING_EXPORTS / "transactions").is_dir()
    append_days(lake, meta, 3)
    shutil.rmtree(lake / PENDING_EXPORTS)  # without them, an append re-runs the simulation
    grown = append_days(lake, meta, 2)
    assert not (lake / PENDING_EXPORTS).exists()
    assert grown["lake"]["through"] == last.isoformat()
    assert grown["lake"]["tables"] == whole["lake"]["tables"]
    for table in TABLES:  # the appended days are marked like the rest
        marked = {p.parent.name for p in (lake / table).glob(f"*/{EXPORT_MARKER}")}
        assert marked == {
            p.parent.name for p in (tmp_path / "whole" / table).glob(f"*/{EXPORT_MARKER}")
        }
    assert json.loads((meta / "manifest.json").read_text())["lake"] == grown["lake"]
    con = duckdb.connect()
    for table in TABLES:
        mine, theirs = _lake_rows(lake, table), _lake_rows(tmp_path / "whole", table)
        for a, b in ((mine, theirs), (theirs, mine)):
            assert con.execute(f"select count(*) from ({a} except all {b})").fetchall() == [(0,)]
    # the appended days bring new CDC versions of records first exported earlier
    late = con.execute(
        f"select count(*) from ({_lake_rows(lake, 'transactions')}) "
        f"where extract_date > '{last - timedelta(days=5)}' "
        f"and purchased_at < '{last - timedelta(days=6)}'"
    ).fetchall()[0][0]
    assert late > 0

    with pytest.raises(ValueError, match="at most 0 more day"):
        append_days(lake, meta, 1)
    generate(SMALL, None, tmp_path / "no_lake")
    with pytest.raises(ValueError, match="describes no lake"):
        append_days(lake, tmp_path / "no_lake", 1)


def test_oltp_ids_are_unique_and_follow_write_time_across_chunks():
    rng = np.random.default_rng(0)
    seconds = {k: rng.integers(0, 90 * 86_400, 5_000) for k in range(3)}
    ids = {k: OltpIds(chunk=k, chunks=3).assign(s) for k, s in seconds.items()}
    every = np.concatenate(list(ids.values()))
    minutes = np.concatenate(list(seconds.values())) // 60
    assert np.unique(every).size == every.size
    assert (np.diff(minutes[np.argsort(every)]) >= 0).all()  # id order is write-minute order
    # new keys of defect copies (one writer per kind, distinct sources) collide with nothing
    copies = [OltpIds(0, 3).for_copy(int(i), w) for w in range(1, ID_WRITERS) for i in ids[0]]
    assert len(set(copies) | set(every.tolist())) == len(copies) + every.size
    with pytest.raises(ValueError, match="one minute"):
        OltpIds(0, 1).assign(np.zeros(20_001, dtype=np.int64))


@pytest.mark.parametrize(
    ("table", "key", "written"),
    [
        ("transactions", "transaction_id", "updated_at"),
        ("redemptions", "redemption_id", "redeemed_at"),
        ("redemption_items", "redemption_item_id", "updated_at"),
        ("point_expirations", "expiration_id", "updated_at"),
    ],
)
def test_record_ids_follow_the_time_the_oltp_wrote_them(small, table, key, written):
    """Ids of created records grow with time like a database sequence's (the warehouse's daily
    lookups of recent versions skip old row groups because of it)."""
    out, _ = small
    first = {}
    for r in _rows(out / "seeds" / f"raw_{table}.csv"):
        at = _timestamp(r[written])
        if r[key].isdigit() and at and r.get("status", "").strip().lower() != "reversed":
            first.setdefault(int(r[key]), at.replace(second=0))
    minutes = [first[k] for k in sorted(first)]
    assert len(minutes) > 10 and minutes == sorted(minutes)


def test_a_shift_changes_behaviour_from_its_month_and_is_recorded(tmp_path):
    """economic_shock: from its month, activity falls and the true churn probability rises;
    before it, the members and their purchases are the unshifted ones."""
    base = GeneratorConfig(seed=3, members=600, months=14, defect_rate=0.0)
    shocked = GeneratorConfig(
        seed=3, members=600, months=14, defect_rate=0.0, shift="economic_shock:2024-10"
    )
    runs = {}
    for name, cfg in (("base", base), ("shocked", shocked)):
        manifest = generate(cfg, tmp_path / name / "seeds", tmp_path / name / "meta")
        truth = pd.read_csv(tmp_path / name / "meta" / "churn_truth.csv")
        bought = pd.to_datetime(
            pd.read_csv(tmp_path / name / "seeds" / "raw_transactions.csv").purchased_at,
            errors="coerce",
        )
        runs[name] = (manifest, truth, bought)
    assert runs["shocked"][0]["config"]["shift"] == "economic_shock:2024-10"
    assert "shift" not in runs["base"][0]["config"]

    def mean_p(truth, before: bool):
        """Cutoffs whose 90-day window closes before the shift, or that start after it."""
        cutoff = pd.to_datetime(truth.cutoff_date)
        rows = (cutoff <= "2024-07-01") if before else (cutoff >= "2024-10-01")
        return truth[rows].p_no_purchase_90d

    base_truth, shocked_truth = runs["base"][1], runs["shocked"][1]
    assert np.allclose(mean_p(base_truth, True), mean_p(shocked_truth, True), atol=1e-12)
    assert mean_p(shocked_truth, False).mean() > mean_p(base_truth, False).mean() + 0.05
    before = [(b < "2024-10-01").sum() for b in (runs["base"][2], runs["shocked"][2])]
    after = [(b >= "2024-10-01").sum() for b in (runs["base"][2], runs["shocked"][2])]
    # raw rows also hold reversals, drawn after the simulation: equal to within them
    assert abs(before[0] - before[1]) < 0.01 * before[0] and after[1] < 0.85 * after[0]


@pytest.mark.parametrize("shift", ["economic_shock:2030-01", "gold_rush:2024-05", "economic_shock"])
def test_a_bad_shift_is_refused(shift):
    with pytest.raises(ValueError, match="shift"):
        GeneratorConfig(shift=shift)
