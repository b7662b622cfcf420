"""Deterministic generator of the loyalty program's raw OLTP extracts.

Same config (seed included) -> byte-identical files. `generate` writes the raw CSVs as dbt seeds,
a manifest of what it wrote (rows, versions and defects per table) and, next to the manifest,
the true churn probabilities that evaluation uses as the ceiling.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ml.datagen.accounts import replay_accounts
from ml.datagen.behaviour import draw_members, simulate
from ml.datagen.brazil import national_holidays
from ml.datagen.catalog import build_catalog
from ml.datagen.config import GeneratorConfig
from ml.datagen.defects import inject
from ml.datagen.extracts import expiration_rows, member_rows, redemption_rows, transaction_rows
from ml.datagen.purchases import draw_purchases
from ml.datagen.schema import TABLES

__all__ = ["GeneratorConfig", "generate"]

GENERATOR_VERSION = "1"
HOLIDAY_SEED = "reference/ref_br_national_holidays.csv"


def _csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _seeds_yml() -> str:
    """Seed properties: every raw column loads as text (`string` is an alias in DuckDB)."""
    lines = [
        "# Written by `make seeds` (ml.datagen): do not edit by hand.",
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


def generate(
    cfg: GeneratorConfig,
    out_seeds: Path | None,
    out_meta: Path,
    step: Callable[[str], None] = lambda _: None,
    out_lake: Path | None = None,
) -> dict:
    """Simulate the program, write its extracts (CSV seeds and/or a Parquet lake) and return
    the manifest."""
    rng = np.random.default_rng(cfg.seed)
    step("catalog")
    cat = build_catalog(cfg, rng)
    step("members")
    members = draw_members(cfg, rng, len(cat.partner_segment))
    step("behaviour")
    sim = simulate(cfg, rng, members, cat.campaigns, len(cat.partner_segment))
    step("purchases")
    purchases = draw_purchases(cfg, rng, members, sim, cat)
    step("accounts")
    acc = replay_accounts(cfg, rng, members, sim.churn_day, purchases, cat)
    step("extracts")
    heads, items = redemption_rows(cfg, rng, acc)
    clean = {
        "members": member_rows(cfg, rng, members, sim.churn_day, acc),
        "partners": cat.partner_rows,
        "stores": cat.store_rows,
        "products": cat.product_rows,
        "campaigns": cat.campaign_rows,
        "transactions": transaction_rows(cfg, rng, purchases),
        "redemptions": heads,
        "redemption_items": items,
        "point_expirations": expiration_rows(cfg, acc),
    }
    step("defects")
    raw, report = inject(cfg, rng, clean)

    step("write")
    files: dict[Path, bytes] = {}
    if out_seeds is not None:
        for name, t in TABLES.items():
            cols = list(t.columns)
            files[out_seeds / f"raw_{name}.csv"] = _csv_bytes(
                cols, [[r[c] for c in cols] for r in raw[name]]
            )
        years = range(cfg.start.year - 1, cfg.end.year + 3)
        files[out_seeds / HOLIDAY_SEED] = _csv_bytes(
            ["holiday_date", "holiday_name"],
            [[d.isoformat(), n] for y in years for d, n in national_holidays(y)],
        )
        files[out_seeds / "_raw__seeds.yml"] = _seeds_yml().encode()
    files[out_meta / "churn_truth.csv"] = _csv_bytes(
        ["member_id", "cutoff_date", "alive_at_cutoff", "p_no_purchase_90d"],
        [[str(i), c, str(a), f"{p:.6f}"] for i, c, a, p in sim.truth],
    )

    defects_total: Counter = Counter()
    for r in report.values():
        defects_total.update(r["defects"])
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "config": cfg.to_dict(),
        "extract_at": cfg.extract_at.isoformat(sep=" "),
        "tables": report,
        "defects_total": dict(sorted(defects_total.items())),
        "expected_unknown": {
            "fct_transactions.member": report["transactions"]["defects"].get("orphan_member", 0),
            "fct_transactions.store": report["transactions"]["defects"].get("orphan_store", 0),
            "fct_redemption_items.product": report["redemption_items"]["defects"].get(
                "orphan_product", 0
            ),
        },
        "churn_truth": {
            "file": "churn_truth.csv",
            "rows": len(sim.truth),
            "cutoffs": len({c for _, c, _, _ in sim.truth}),
            "mean_p": round(float(np.mean([p for *_, p in sim.truth])), 6),
        },
        "files": {
            str(path.relative_to(out_meta if path.is_relative_to(out_meta) else out_seeds)): {
                "sha256": hashlib.sha256(data).hexdigest(),
                "bytes": len(data),
            }
            for path, data in sorted(files.items())
        },
    }
    if out_lake is not None:
        from ml.datagen.lake import write_lake

        manifest["lake"] = {"path": str(out_lake), "tables": write_lake(raw, out_lake)}
    files[out_meta / "manifest.json"] = (
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    ).encode()
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return manifest
