"""Clean CDC extract rows for members, transactions, redemptions and expirations.

Rows carry the cosmetic noise of a real OLTP export (mixed case, formatted or bare CPFs,
several phone formats, padded strings). Staging normalises that; it is not a defect.
Transactions, the big table, are built as Arrow columns; the others row by row per chunk.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa

from ml.datagen.accounts import Accounts
from ml.datagen.behaviour import Members
from ml.datagen.brazil import (
    CITIES,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    LAST_NAMES,
    cpf_digits,
    format_cpf,
    phone,
)
from ml.datagen.catalog import extract_of, ts
from ml.datagen.config import GeneratorConfig
from ml.datagen.purchases import DAY, NO_TIME, Purchases
from ml.datagen.schema import TABLES

# Chunk k's transactions, orders, order lines and expirations get ids from k * ID_SPAN + 1:
# unique across chunks without coordination, and 1, 2, 3... for a single-chunk run.
ID_SPAN = 100_000_000
# Share of purchases that reach the OLTP days late, and the most days late one can be (well
# inside the cutoffs an incremental run of the feature mart recomputes)
LATE_SHARE = 0.02
LATE_MAX_DAYS = 5
_CPF_PRIME = 999_999_937  # a prime below 10^9: id -> CPF base is a bijection, so CPFs are unique


def _ascii(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()


def _email(rng, first: str, last: str, k: int) -> str:
    local = f"{_ascii(first)}.{_ascii(last)}{k % 1000}"
    email = f"{local}@{EMAIL_DOMAINS[int(rng.integers(len(EMAIL_DOMAINS)))]}"
    return email.upper() if rng.random() < 0.05 else email


def _member_cpf(member_id: int, seed: int) -> str:
    """A valid, unique CPF per member: the base is a bijection of the id modulo a prime."""
    base = (member_id * 104_729 + seed * 7_919) % _CPF_PRIME + 1
    cpf = cpf_digits(base)
    while len(set(cpf)) == 1:  # 111.111.111-11 and the like fail validation by rule
        base = base % _CPF_PRIME + 1
        cpf = cpf_digits(base)
    return cpf


def _timestamps(cfg: GeneratorConfig, seconds: np.ndarray) -> pa.Array:
    """Seconds from the start of the period as 'YYYY-MM-DD HH:MM:SS' text, vectorised."""
    epoch = int((cfg.start_at - datetime(1970, 1, 1)).total_seconds())
    return pa.array(seconds + epoch, type=pa.timestamp("s")).cast(pa.string())


def _export_seconds(cfg: GeneratorConfig, written: np.ndarray) -> np.ndarray:
    """The daily export (02:00 next day) that carries a row written at `written`."""
    cap = int((cfg.extract_at - cfg.start_at).total_seconds())
    return np.minimum((written // DAY + 1) * DAY + 2 * 3600, cap)


def member_rows(
    cfg: GeneratorConfig, rng: np.random.Generator, m: Members, churn_day: np.ndarray, acc: Accounts
) -> list[dict]:
    rows = []
    t0 = cfg.start_at
    end = cfg.last_moment
    for i in range(len(m)):
        member_id = m.first_id + i
        first = FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]
        last = LAST_NAMES[int(rng.integers(len(LAST_NAMES)))]
        cpf = _member_cpf(member_id, cfg.seed)
        city = int(m.city[i])
        signup = t0 + timedelta(
            days=int(m.signup_day[i]), seconds=int(rng.integers(8 * 3600, 22 * 3600))
        )
        state = {
            "member_id": str(member_id),
            "cpf": format_cpf(cpf) if rng.random() < 0.7 else cpf,
            "full_name": f"{first} {last}"
            if rng.random() > 0.03
            else f"  {first.upper()} {last.upper()} ",
            "email": _email(rng, first, last, member_id),
            "phone": phone(rng, CITIES[city][3]),
            "birth_date": m.birth[i].strftime("%d/%m/%Y"),
            "city": CITIES[city][0],
            "state": CITIES[city][1] if rng.random() > 0.05 else CITIES[city][1].lower(),
            "signup_at": ts(signup),
            "tier": "basic",
            "status": "active",
        }
        changes: list[tuple[datetime, dict]] = [(signup, {})]
        changes += [
            (t0 + timedelta(seconds=at), {"tier": tier if rng.random() > 0.05 else tier.upper()})
            for at, tier in acc.tier_changes.get(i, [])
        ]
        span = max(1, int((end - signup).total_seconds()))
        if rng.random() < 0.05:  # moved house
            c = int(rng.integers(len(CITIES)))
            changes.append(
                (
                    signup + timedelta(seconds=int(rng.integers(span))),
                    {
                        "city": CITIES[c][0],
                        "state": CITIES[c][1],
                        "phone": phone(rng, CITIES[c][3]),
                    },
                )
            )
        if rng.random() < 0.04:  # new e-mail address
            changes.append(
                (
                    signup + timedelta(seconds=int(rng.integers(span))),
                    {"email": _email(rng, first, last, member_id + 7)},
                )
            )
        if churn_day[i] < cfg.days and rng.random() < 0.3:  # some churners close the account
            when = t0 + timedelta(days=int(churn_day[i]) + int(rng.integers(1, 25)), hours=14)
            if when < end:
                changes.append((when, {"status": "cancelled"}))
        elif rng.random() < 0.005:
            changes.append(
                (signup + timedelta(seconds=int(rng.integers(span))), {"status": "blocked"})
            )
        changes.sort(key=lambda c: c[0])
        last_at = None
        for when, update in changes:
            if last_at is not None and when <= last_at:
                when = last_at + timedelta(seconds=1)  # one version per second at most
            state = {**state, **update}
            rows.append({**state, "updated_at": ts(when), "extracted_at": extract_of(when, cfg)})
            last_at = when
    return rows


def _late_writes(
    cfg: GeneratorConfig, rng: np.random.Generator, p: Purchases, written: np.ndarray
) -> np.ndarray:
    """When each purchase reaches the OLTP. Most within two minutes; LATE_SHARE of them one to
    LATE_MAX_DAYS days late (offline terminals, partners' batch files), so their first export
    comes days after the purchase date and an incremental run meets a purchase for a day it
    has already loaded. A late purchase still arrives within the period and before its
    reversal, so every transaction's versions stay in order."""
    n = len(p)
    late = rng.random(n) < LATE_SHARE
    arrives = written + rng.integers(1, LATE_MAX_DAYS + 1, n) * DAY + rng.integers(0, DAY, n)
    late &= (arrives < cfg.last_second) & ((p.reversed_at == NO_TIME) | (p.reversed_at > arrives))
    return np.where(late, arrives, written)


def transaction_table(
    cfg: GeneratorConfig, rng: np.random.Generator, p: Purchases, m: Members, first_id: int
) -> tuple[pa.Table, int]:
    """Each purchase as written (approved), plus a later version for each reversal; and how
    many purchases arrived late (see _late_writes)."""
    n = len(p)
    on_time = p.at + rng.integers(1, 120, n)
    status = np.where(rng.random(n) > 0.02, "approved", "APPROVED")
    written = _late_writes(cfg, rng, p, on_time)
    amount = np.char.add(
        np.char.add((p.amount_c // 100).astype(str), "."),
        np.char.zfill((p.amount_c % 100).astype(str), 2),
    )
    text = lambda values: pa.array(values, type=pa.string())  # noqa: E731
    base = {
        "transaction_id": text((first_id + np.arange(n)).astype(str)),
        "member_id": text((m.first_id + p.member).astype(str)),
        "store_id": text(p.store_id.astype(str)),
        "campaign_id": text(np.where(p.campaign_id > 0, p.campaign_id.astype(str), "")),
        "purchased_at": _timestamps(cfg, p.at),
        "amount_brl": text(amount),
        "points_earned": text(p.points.astype(str)),
    }
    approved = pa.table(
        {
            **base,
            "status": text(status),
            "updated_at": _timestamps(cfg, written),
            "extracted_at": _timestamps(cfg, _export_seconds(cfg, written)),
        }
    )
    rev = p.reversed_at != NO_TIME
    mask = pa.array(rev)
    reversals = pa.table(
        {
            **{name: column.filter(mask) for name, column in base.items()},
            "status": text(np.full(int(rev.sum()), "reversed")),
            "updated_at": _timestamps(cfg, p.reversed_at[rev]),
            "extracted_at": _timestamps(cfg, _export_seconds(cfg, p.reversed_at[rev])),
        }
    )
    table = pa.concat_tables([approved, reversals]).select(list(TABLES["transactions"].columns))
    return table, int((written != on_time).sum())


def redemption_rows(
    cfg: GeneratorConfig, rng, acc: Accounts, m: Members, first_id: int
) -> tuple[list[dict], list[dict]]:
    """Ids follow order time, as an OLTP sequence would."""
    t0 = cfg.start_at
    order = sorted(acc.redemptions, key=lambda r: (r[2], r[1]))
    new_id = {r[0]: first_id + k for k, r in enumerate(order)}
    heads = []
    for old_id, i, at, channel in order:
        when = t0 + timedelta(seconds=at)
        written = when + timedelta(seconds=int(rng.integers(1, 60)))
        heads.append(
            {
                "redemption_id": str(new_id[old_id]),
                "member_id": str(m.first_id + i),
                "redeemed_at": ts(when),
                "channel": channel,
                "updated_at": ts(written),
                "extracted_at": extract_of(written, cfg),
            }
        )
    when_of = {r[0]: t0 + timedelta(seconds=r[2]) for r in acc.redemptions}
    items = sorted(acc.items, key=lambda it: (new_id[it[0]], it[1]))
    lines = []
    for k, (old_id, product_id, qty, cost) in enumerate(items):
        written = when_of[old_id] + timedelta(seconds=60 + k % 60)
        lines.append(
            {
                "redemption_item_id": str(first_id + k),
                "redemption_id": str(new_id[old_id]),
                "product_id": str(product_id),
                "quantity": str(qty),
                "points_spent": str(cost),
                "updated_at": ts(written),
                "extracted_at": extract_of(written, cfg),
            }
        )
    return heads, lines


def expiration_rows(cfg: GeneratorConfig, acc: Accounts, m: Members, first_id: int) -> list[dict]:
    rows = []
    for k, (i, at, pts) in enumerate(sorted(acc.expirations, key=lambda e: (e[1], e[0]))):
        when = cfg.start_at + timedelta(seconds=at)
        written = when + timedelta(minutes=30)
        rows.append(
            {
                "expiration_id": str(first_id + k),
                "member_id": str(m.first_id + i),
                "expired_at": ts(when),
                "points_expired": str(pts),
                "updated_at": ts(written),
                "extracted_at": extract_of(written, cfg),
            }
        )
    return rows
