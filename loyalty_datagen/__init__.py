"""Deterministic generator of the loyalty program's raw OLTP extracts.

Same config (seed included) -> byte-identical files. `generate` writes the raw CSVs as dbt seeds
and/or a Parquet lake, a manifest of what it wrote (rows, versions and defects per table) and,
next to the manifest, the true churn probabilities that evaluation uses as the ceiling.

Members are simulated in chunks with their own random streams (`[seed, 1, chunk]`), so memory
stays bounded whatever the size and a chunk's data does not depend on how many others exist.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from loyalty_datagen.accounts import replay_accounts
from loyalty_datagen.behaviour import draw_members, simulate
from loyalty_datagen.brazil import national_holidays
from loyalty_datagen.catalog import build_catalog
from loyalty_datagen.config import GeneratorConfig
from loyalty_datagen.defects import inject, merge_reports
from loyalty_datagen.extracts import (
    OltpIds,
    expiration_rows,
    member_rows,
    redemption_rows,
    transaction_table,
)
from loyalty_datagen.lake import PENDING_EXPORTS, finalize_lake, stage_chunk
from loyalty_datagen.purchases import draw_purchases
from loyalty_datagen.schema import TABLES

__all__ = ["GeneratorConfig", "append_days", "generate"]

GENERATOR_VERSION = "6"
HOLIDAY_SEED = "reference/ref_br_national_holidays.csv"
CHUNK_MEMBERS = 10_000
MAX_SEED_MEMBERS = 50_000  # CSV seeds go through dbt's agate loader: larger runs use the lake
CATALOG_TABLES = ("partners", "stores", "products", "campaigns")


def _csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _seeds_yml() -> str:
    """Seed properties: every raw column loads as text (`string` is an alias in DuckDB)."""
    lines = [
        "# Written by `make seeds` (loyalty_datagen): do not edit by hand.",
        "version: 2",
        "",
        "seeds:",
    ]
    for t in TABLES.values():
        lines += [
            f"  - name: raw_{t.name}",
            f'    description: "Raw extract. {t.description}"',
            "    config:",
            "      column_types:",
        ]
        lines += [f"        {c}: string" for c in t.columns]
        lines += ["    columns:"]
        for c, desc in t.columns.items():
            lines += [f"      - name: {c}", f'        description: "{desc}"']
    lines += [
        "  - name: ref_br_national_holidays",
        '    description: "Brazilian national holidays (and the nationwide Carnival and Corpus'
        " Christi days off), from the generator's calendar.\"",
        "    config:",
        "      column_types:",
        "        holiday_date: date",
        "        holiday_name: string",
        "    columns:",
        "      - name: holiday_date",
        '        description: "Date of the holiday."',
        "      - name: holiday_name",
        '        description: "Official name in Portuguese."',
    ]
    return "\n".join(lines) + "\n"


def _table(name: str, rows: list[dict]) -> pa.Table:
    schema = pa.schema([(c, pa.string()) for c in TABLES[name].columns])
    return pa.Table.from_pylist(rows, schema=schema)


def _chunk_tables(
    cfg: GeneratorConfig, cat, ids: OltpIds, n: int, step
) -> tuple[dict, list, int, int]:
    """One chunk of members: simulate, replay accounts, build the clean extracts. Also returns
    the chunk's churn truth and how many of its purchases arrived late or were corrected."""
    k = ids.chunk
    rng = np.random.default_rng([cfg.seed, 1, k])
    members = draw_members(cfg, rng, len(cat.partner_segment), n, first_id=k * CHUNK_MEMBERS + 1)
    sim = simulate(cfg, rng, members, cat.campaigns, len(cat.partner_segment))
    purchases = draw_purchases(cfg, rng, members, sim, cat)
    step("accounts")
    acc = replay_accounts(cfg, rng, members, sim.churn_day, purchases, cat)
    step("extracts")
    heads, items = redemption_rows(cfg, rng, acc, members, ids)
    members_table = _table("members", member_rows(cfg, rng, members, sim.churn_day, acc))
    transactions, late, corrected = transaction_table(cfg, rng, purchases, members, ids)
    clean = {
        "members": members_table,
        "transactions": transactions,
        "redemptions": _table("redemptions", heads),
        "redemption_items": _table("redemption_items", items),
        "point_expirations": _table("point_expirations", expiration_rows(cfg, acc, members, ids)),
    }
    return clean, sim.truth, late, corrected


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def append_days(
    lake: Path, out_meta: Path, days: int, step: Callable[[str], None] = lambda _: None
) -> dict:
    """Add the next `days` extract days to a lake that holds the first part of its simulated
    period, and return the updated manifest.

    The generator simulates whole histories (a member's purchases, balance and versions depend
    on everything before), so the exports after the lake's last day were simulated with it and
    wait in `<lake>/_pending_exports/` (staged Parquet, outside the tables' folders dbt reads);
    an append writes the next days into the lake: each holds exactly what a lake written at once
    holds there (new purchases, new CDC versions of old records, reversals of earlier
    purchases). Without that folder the simulation the manifest recorded is re-run (it is
    deterministic), which costs a whole generation."""
    path = out_meta / "manifest.json"
    if not path.exists():
        raise ValueError(f"no manifest at {path}: generate the lake first (--out-lake)")
    manifest = json.loads(path.read_text())
    if "lake" not in manifest:
        raise ValueError(f"{path} describes no lake: generate one with --out-lake")
    cfg = GeneratorConfig.from_dict(manifest["config"])
    last = cfg.extract_at.date()
    after = date.fromisoformat(manifest["lake"].get("through", last.isoformat()))
    through = after + timedelta(days=days)
    if through > last:
        raise ValueError(
            f"the lake holds extracts through {after}, and its simulated period ends with the "
            f"export of {last}: at most {(last - after).days} more day(s); generate a longer "
            "period (--months) to append more"
        )
    later = sorted(
        day.name
        for day in lake.glob("*/extract_date=*")
        if day.name.removeprefix("extract_date=") > after.isoformat()
    )
    if later:
        raise ValueError(f"{lake} already holds extract days after {after} ({later[0]}, ...)")
    held = manifest["lake"]["tables"]
    if (lake / PENDING_EXPORTS).is_dir():
        step("write")
        added = finalize_lake(
            lake / PENDING_EXPORTS, lake, after=after, through=through, keep_source=through < last
        )
    else:
        resimulated = generate(cfg, None, out_meta, step, lake, through, lake_after=after)
        added = resimulated["lake"]["tables"]
    manifest["lake"] = {
        "path": str(lake),
        "through": through.isoformat(),
        "tables": {
            name: {
                key: held.get(name, {}).get(key, 0) + added[name][key]
                for key in ("rows", "partitions")
            }
            for name in added
        },
        "appended": {"after": after.isoformat(), "days": days},
    }
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


def generate(
    cfg: GeneratorConfig,
    out_seeds: Path | None,
    out_meta: Path,
    step: Callable[[str], None] = lambda _: None,
    out_lake: Path | None = None,
    lake_through: date | None = None,
    lake_after: date | None = None,
) -> dict:
    """Simulate the program, write its extracts (CSV seeds and/or a Parquet lake) and return
    the manifest.

    The lake can hold the first part of the simulated period: the extract days up to
    `lake_through`; with `lake_after` only the days after it are written, beside those already
    in the lake (append_days). The manifest's `tables` always describe the whole simulated
    period, its `lake` section what this call wrote."""
    if out_seeds is not None and cfg.members > MAX_SEED_MEMBERS:
        raise ValueError(
            f"{cfg.members:,} members is too many for CSV seeds (at most {MAX_SEED_MEMBERS:,}): "
            "write a lake with --out-lake and --no-seeds"
        )
    out_meta.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(cfg.seed)
    step("catalog")
    cat = build_catalog(cfg, rng)
    catalog = {
        "partners": _table("partners", cat.partner_rows),
        "stores": _table("stores", cat.store_rows),
        "products": _table("products", cat.product_rows),
        "campaigns": _table("campaigns", cat.campaign_rows),
    }
    tables, report = inject(cfg, rng, catalog)
    seeds: dict[str, list[pa.Table]] = {name: [tables[name]] for name in CATALOG_TABLES}

    staging = Path(tempfile.mkdtemp(prefix="lake-staging-")) if out_lake else None
    if staging:
        stage_chunk(tables, staging, 0)
    truth_path = out_meta / "churn_truth.csv"
    truth_rows = truth_sum = late_purchases = corrected_purchases = 0
    cutoffs: set[str] = set()
    n_chunks = -(-cfg.members // CHUNK_MEMBERS)
    with truth_path.open("w", newline="") as truth_file:
        writer = csv.writer(truth_file, lineterminator="\n")
        writer.writerow(["member_id", "cutoff_date", "alive_at_cutoff", "p_no_purchase_90d"])
        for k in range(n_chunks):
            step(f"members {k * CHUNK_MEMBERS:,}+ (chunk {k + 1}/{n_chunks})")
            n = min(CHUNK_MEMBERS, cfg.members - k * CHUNK_MEMBERS)
            ids = OltpIds(chunk=k, chunks=n_chunks)
            clean, truth, late, corrected = _chunk_tables(cfg, cat, ids, n, step)
            late_purchases += late
            corrected_purchases += corrected
            step("defects")
            chunk, chunk_report = inject(cfg, np.random.default_rng([cfg.seed, 2, k]), clean, ids)
            report = merge_reports(report, chunk_report)
            writer.writerows([i, c, a, f"{p:.6f}"] for i, c, a, p in truth)
            truth_rows += len(truth)
            truth_sum += sum(p for *_, p in truth)
            cutoffs.update(c for _, c, _, _ in truth)
            if staging:
                stage_chunk(chunk, staging, k + 1)
            if out_seeds is not None:
                for name, t in chunk.items():
                    seeds.setdefault(name, []).append(t)

    step("write")
    files: dict[Path, bytes] = {}
    if out_seeds is not None:
        for name, t in TABLES.items():
            cols = list(t.columns)
            rows = pa.concat_tables(seeds[name]).sort_by("updated_at").to_pylist()
            files[out_seeds / f"raw_{name}.csv"] = _csv_bytes(
                cols, [["" if r[c] is None else r[c] for c in cols] for r in rows]
            )
        years = range(cfg.start.year - 1, cfg.end.year + 3)
        files[out_seeds / HOLIDAY_SEED] = _csv_bytes(
            ["holiday_date", "holiday_name"],
            [[d.isoformat(), n] for y in years for d, n in national_holidays(y)],
        )
        files[out_seeds / "_raw__seeds.yml"] = _seeds_yml().encode()
    report = {name: report[name] for name in TABLES}  # the schema's table order
    defects_total: dict[str, int] = {}
    for r in report.values():
        for kind, count in r["defects"].items():
            defects_total[kind] = defects_total.get(kind, 0) + count
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "config": cfg.to_dict(),
        "extract_at": cfg.extract_at.isoformat(sep=" "),
        "tables": report,
        "defects_total": dict(sorted(defects_total.items())),
        # clean purchases written to the OLTP (updated_at) a day or more after they happened,
        # so first exported days after their purchase date (counted before defects, which can
        # break a row's timestamps): what an incremental run meets late
        "late_arriving_purchases": late_purchases,
        # purchases whose first version carried a time up to CORRECTED_MAX_HOURS early, fixed by
        # a later version (a movement an incremental run has to move: clean versions, before
        # defects)
        "clock_corrected_purchases": corrected_purchases,
        "expected_unknown": {
            "fct_transactions.member": report["transactions"]["defects"].get("orphan_member", 0),
            "fct_transactions.store": report["transactions"]["defects"].get("orphan_store", 0),
            "fct_redemption_items.product": report["redemption_items"]["defects"].get(
                "orphan_product", 0
            ),
        },
        "churn_truth": {
            "file": "churn_truth.csv",
            "rows": truth_rows,
            "cutoffs": len(cutoffs),
            "mean_p": round(truth_sum / max(truth_rows, 1), 6),
        },
        "files": {
            **{
                str(path.relative_to(out_seeds)): {
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "bytes": len(data),
                }
                for path, data in sorted(files.items())
            },
            "churn_truth.csv": {"sha256": _sha256(truth_path), "bytes": truth_path.stat().st_size},
        },
    }
    if staging:
        through = lake_through or cfg.extract_at.date()
        pending = through < cfg.extract_at.date()
        written = finalize_lake(
            staging, out_lake, after=lake_after, through=through, keep_source=pending
        )
        if pending:  # the later exports wait beside the lake for append_days
            shutil.rmtree(out_lake / PENDING_EXPORTS, ignore_errors=True)
            shutil.move(staging, out_lake / PENDING_EXPORTS)
        manifest["lake"] = {
            "path": str(out_lake),
            "through": through.isoformat(),
            "tables": written,
        }
    files[out_meta / "manifest.json"] = (
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    ).encode()
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return manifest
