"""Injects named defects into clean extracts and counts what it did.

Each defective row carries exactly one defect and is an extra row (a bad copy of a real one), so
the clean world the behaviour model simulated, and its churn truth, stay intact: staging must
quarantine the bad copies and keep the good rows. Orphan keys are the exception: those rows are
valid and must reach the facts, attached to the dimension's unknown member.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa

from loyalty_datagen.brazil import cpf_digits, format_cpf
from loyalty_datagen.catalog import PRODUCTS, extract_of, ts
from loyalty_datagen.config import GeneratorConfig
from loyalty_datagen.extracts import OltpIds
from loyalty_datagen.schema import TABLES

KINDS_BY_TABLE = {
    "members": [
        "duplicate_row",
        "null_key",
        "malformed_key",
        "invalid_cpf",
        "malformed_email",
        "unknown_status",
        "future_timestamp",
        "before_program_launch",
        "implausible_birth_date",
        "pii_in_free_text",
        "oversized_text",
    ],
    "transactions": [
        "duplicate_row",
        "null_key",
        "malformed_key",
        "negative_amount",
        "non_numeric_amount",
        "points_mismatch",
        "future_timestamp",
        "unparsable_timestamp",
        "unknown_status",
        "orphan_member",
        "orphan_store",
        "before_program_launch",
        "amount_above_ceiling",
        "numeric_overflow",
    ],
    "redemptions": ["duplicate_row", "null_key"],
    "redemption_items": ["duplicate_row", "malformed_key"],
    "point_expirations": ["duplicate_row"],
    "partners": ["duplicate_row"],
    "stores": ["duplicate_row", "pii_in_free_text"],
    "products": ["duplicate_row"],
    "campaigns": ["duplicate_row"],
}
BAD_EMAILS = ["{u}@@{d}", "{u}.{d}", "{u} @{d}", "@{d}", "{u}@{d}."]
BAD_TIMESTAMPS = ["31/12/2024 18h30", "2024-02-30 10:00:00", "ontem", "2024-13-01 09:00:00"]
# Contact data typed into free text: a member's own CPF, e-mail or phone as their city; a
# store manager's e-mail or mobile in the store's name.
STORE_CONTACTS = ["gerente.loja{n}@gmail.com", "(81) 9{n:04d}-4321"]
# Bigger than any real purchase (var max_purchase_amount_brl), and numbers that overflow
# decimal(12, 2).
HUGE_AMOUNTS = ["9999999999.99", "{n}75000.00"]
OVERFLOWING_AMOUNTS = ["1e308", "123456789012345.67"]
BAD_STATUS = {
    "members": ["suspenso", "inativo?", "ACTIVE_PENDING"],
    "transactions": ["pending_review", "aprovado", "chargeback"],
}


def _parse(s: str) -> datetime:
    return datetime.strptime(s, "%Y-%m-%d %H:%M:%S")


def merge_reports(a: dict, b: dict) -> dict:
    """Reports of two chunks add up: their keys never overlap."""
    out = {}
    for table in a.keys() | b.keys():
        x, y = a.get(table), b.get(table)
        if x is None or y is None:
            out[table] = x or y
            continue
        out[table] = {
            k: (
                dict(sorted((Counter(x[k]) + Counter(y[k])).items()))
                if isinstance(x[k], dict)
                else x[k] + y[k]
            )
            for k in x
        }
    return out


def inject(
    cfg: GeneratorConfig,
    rng: np.random.Generator,
    clean: dict[str, pa.Table],
    ids: OltpIds | None = None,
) -> tuple[dict[str, pa.Table], dict]:
    """Append bad copies to each table; return the tables sorted by updated_at and a report.

    A copy that needs a new key takes it from `ids` (a chunk's OLTP records: the source's
    minute, as its defect kind's writer) or, for the catalog, counts on from the largest key."""
    out: dict[str, pa.Table] = {}
    report: dict[str, dict] = {}
    end = cfg.last_moment
    for table, rows in clean.items():
        key = TABLES[table].key
        kinds = KINDS_BY_TABLE[table] if rows.num_rows else []
        per_kind = max(1, round(cfg.defect_rate * rows.num_rows / len(KINDS_BY_TABLE[table])))
        keys = rows.column(key).to_pylist()
        # the catalog's new keys count on from its largest (a chunk's come from `ids`)
        next_id = max((int(k) for k in keys), default=0) + 1 if ids is None else None
        latest = {k: i for i, k in enumerate(keys)}  # rows are in version order per key
        status = rows.column("status").to_pylist() if "status" in rows.column_names else None
        # A new record is copied from a first version: a copy of a later version (a reversal, a
        # clock correction) would be a record first exported long after its event, i.e.
        # late-arriving data.
        first_row = {}
        for i, k in enumerate(keys):
            first_row.setdefault(k, i)
        first_versions = np.array(
            [i for i, k in enumerate(keys) if first_row[k] == i and status[i].lower() != "reversed"]
            if status is not None
            else range(rows.num_rows),
            dtype=np.int64,
        )
        bad: list[tuple[str, dict]] = []
        counts: Counter = Counter()
        for writer, kind in enumerate(kinds, start=1):
            pool = np.arange(rows.num_rows) if kind == "duplicate_row" else first_versions
            # distinct sources, so two bad copies of one kind can never be equal to each other
            picks = pool[rng.choice(pool.size, size=min(per_kind, pool.size), replace=False)]
            if table == "members" and kind != "duplicate_row":
                picks = np.array([latest[keys[i]] for i in picks], dtype=np.int64)
            for n, row in enumerate(rows.take(picks).to_pylist()):
                if kind == "duplicate_row":
                    bad.append((kind, row))
                    counts[kind] += 1
                    continue
                if table == "members":
                    # A bad later version of a real member: quarantined, the good one stays current.
                    written = _parse(row["updated_at"])
                    when = min(written + timedelta(hours=int(rng.integers(1, 200))), end)
                    if when <= written:
                        continue
                    row["updated_at"], row["extracted_at"] = ts(when), extract_of(when, cfg)
                elif kind not in ("null_key", "malformed_key"):
                    if ids is None:
                        row[key], next_id = str(next_id), next_id + 1
                    else:
                        row[key] = str(ids.for_copy(int(row[key]), writer))
                _corrupt(cfg, rng, table, kind, row, n)
                bad.append((kind, row))
                counts[kind] += 1
        if table == "redemption_items":
            products = np.array(rows.column("product_id").to_pylist(), dtype=np.int64)
            counts["orphan_product"] = int((products > len(PRODUCTS)).sum())
        orphans = sum(1 for k, _ in bad if k.startswith("orphan_"))
        current = len(set(keys)) + orphans  # orphan copies carry new keys
        extra = pa.Table.from_pylist([r for _, r in bad], schema=rows.schema)
        out[table] = pa.concat_tables([rows, extra]).sort_by("updated_at")
        quarantined = {k: v for k, v in counts.items() if not k.startswith("orphan_")}
        report[table] = {
            "rows": out[table].num_rows,
            "current": current,
            "superseded": rows.num_rows + orphans - current,
            "quarantined": sum(quarantined.values()),
            "quarantined_by_reason": dict(sorted(quarantined.items())),
            "defects": dict(sorted(counts.items())),
        }
    return out, report


def _corrupt(cfg: GeneratorConfig, rng, table: str, kind: str, row: dict, n: int) -> None:
    key = TABLES[table].key
    if kind == "null_key":
        row[key] = ""
    elif kind == "malformed_key":
        row[key] = [f"{row[key]}x", f"ID-{row[key]}", "#N/A", "?"][n % 4]
    elif kind == "invalid_cpf":
        digits = "".join(c for c in row["cpf"] if c.isdigit())
        wrong = digits[:10] + str((int(digits[10]) + 1 + n % 8) % 10)
        assert wrong != cpf_digits(int(digits[:9]))
        row["cpf"] = format_cpf(wrong) if n % 2 else wrong
    elif kind == "malformed_email":
        user, domain = row["email"].lower().split("@")
        row["email"] = BAD_EMAILS[n % len(BAD_EMAILS)].format(u=user, d=domain)
    elif kind == "unknown_status":
        row["status"] = BAD_STATUS[table][n % len(BAD_STATUS[table])]
    elif kind == "negative_amount":
        row["amount_brl"] = f"-{row['amount_brl']}"
    elif kind == "non_numeric_amount":
        amount = row["amount_brl"]
        row["amount_brl"] = [f"R$ {amount.replace('.', ',')}", amount.replace("0", "O", 1) + "O"][
            n % 2
        ]
    elif kind == "points_mismatch":
        row["points_earned"] = str(int(row["points_earned"]) * 10 + 7)
    elif kind == "future_timestamp" and table == "members":
        extracted = _parse(row["extracted_at"])
        later = ts(extracted + timedelta(days=int(rng.integers(2, 400))))
        row["updated_at"] = ["9999-12-31 23:59:59", later][n % 2]
    elif kind == "future_timestamp":
        extracted = _parse(row["extracted_at"])
        row["purchased_at"] = ts(extracted + timedelta(days=int(rng.integers(2, 400))))
    elif kind == "before_program_launch":
        column = "signup_at" if table == "members" else "purchased_at"
        before = cfg.start_at - timedelta(days=int(rng.integers(1, 1500)), minutes=n)
        row[column] = ts(before)
    elif kind == "implausible_birth_date":
        signup_year = _parse(row["signup_at"]).year
        row["birth_date"] = ["31/12/9999", "01/01/1850", f"15/06/{signup_year + 1}"][n % 3]
    elif kind == "pii_in_free_text" and table == "members":
        row["city"] = [row["cpf"], row["email"], row["phone"]][n % 3]
    elif kind == "pii_in_free_text":
        contact = STORE_CONTACTS[n % 2].format(n=n)
        row["store_name"] = f"{row['store_name']} {contact}"
    elif kind == "oversized_text":
        row["city"] = (row["city"] + " ") * 200
    elif kind == "amount_above_ceiling":
        row["amount_brl"] = HUGE_AMOUNTS[n % 2].format(n=n % 10 + 1)
    elif kind == "numeric_overflow":
        row["amount_brl"] = OVERFLOWING_AMOUNTS[n % 2]
    elif kind == "unparsable_timestamp":
        row["purchased_at"] = BAD_TIMESTAMPS[n % len(BAD_TIMESTAMPS)]
    elif kind == "orphan_member":
        row["member_id"] = str(cfg.members + 100_000 + n)
    elif kind == "orphan_store":
        row["store_id"] = str(9_000 + n % 5)
        row["purchased_at"] = ts(
            _parse(row["purchased_at"]) + timedelta(minutes=int(rng.integers(1, 30)))
        )
    else:
        raise ValueError(f"unknown defect kind {kind!r}")
