"""Clean CDC extract rows for members, transactions, redemptions and expirations.

Rows carry the cosmetic noise of a real OLTP export (mixed case, formatted or bare CPFs,
several phone formats, padded strings). Staging normalises that; it is not a defect.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta

import numpy as np

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
from ml.datagen.purchases import Purchases


def _ascii(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()


def _email(rng, first: str, last: str, k: int) -> str:
    local = f"{_ascii(first)}.{_ascii(last)}{k % 1000}"
    email = f"{local}@{EMAIL_DOMAINS[int(rng.integers(len(EMAIL_DOMAINS)))]}"
    return email.upper() if rng.random() < 0.05 else email


def member_rows(
    cfg: GeneratorConfig, rng: np.random.Generator, m: Members, churn_day: np.ndarray, acc: Accounts
) -> list[dict]:
    rows = []
    t0 = datetime.combine(cfg.start, datetime.min.time())
    end = cfg.extract_at - timedelta(hours=3)
    cpf_bases = rng.choice(999_999_999, size=cfg.members, replace=False)
    for i in range(cfg.members):
        first = FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]
        last = LAST_NAMES[int(rng.integers(len(LAST_NAMES)))]
        cpf = cpf_digits(int(cpf_bases[i]) + 1)
        city = int(m.city[i])
        signup = t0 + timedelta(
            days=int(m.signup_day[i]), seconds=int(rng.integers(8 * 3600, 22 * 3600))
        )
        state = {
            "member_id": str(i + 1),
            "cpf": format_cpf(cpf) if rng.random() < 0.7 else cpf,
            "full_name": f"{first} {last}"
            if rng.random() > 0.03
            else f"  {first.upper()} {last.upper()} ",
            "email": _email(rng, first, last, i),
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
            (when, {"tier": tier if rng.random() > 0.05 else tier.upper()})
            for when, tier in acc.tier_changes.get(i, [])
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
                    {"email": _email(rng, first, last, i + 7)},
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


def transaction_rows(cfg: GeneratorConfig, rng: np.random.Generator, p: Purchases) -> list[dict]:
    rows = []
    for k in range(len(p.at)):
        written = p.at[k] + timedelta(seconds=int(rng.integers(1, 120)))
        row = {
            "transaction_id": str(k + 1),
            "member_id": str(int(p.member[k]) + 1),
            "store_id": str(int(p.store_id[k])),
            "campaign_id": str(int(p.campaign_id[k])) if p.campaign_id[k] else "",
            "purchased_at": ts(p.at[k]),
            "amount_brl": f"{p.amount_c[k] / 100:.2f}",
            "points_earned": str(int(p.points[k])),
            "status": "approved" if rng.random() > 0.02 else "APPROVED",
            "updated_at": ts(written),
            "extracted_at": extract_of(written, cfg),
        }
        rows.append(row)
        if p.reversed_at[k] is not None:
            when = p.reversed_at[k]
            rows.append(
                {
                    **row,
                    "status": "reversed",
                    "updated_at": ts(when),
                    "extracted_at": extract_of(when, cfg),
                }
            )
    return rows


def redemption_rows(cfg: GeneratorConfig, rng, acc: Accounts) -> tuple[list[dict], list[dict]]:
    """Ids follow order time, as an OLTP sequence would."""
    order = sorted(acc.redemptions, key=lambda r: (r[2], r[1]))
    new_id = {r[0]: k + 1 for k, r in enumerate(order)}
    heads = []
    for old_id, i, when, channel in order:
        written = when + timedelta(seconds=int(rng.integers(1, 60)))
        heads.append(
            {
                "redemption_id": str(new_id[old_id]),
                "member_id": str(i + 1),
                "redeemed_at": ts(when),
                "channel": channel,
                "updated_at": ts(written),
                "extracted_at": extract_of(written, cfg),
            }
        )
    when_of = {r[0]: r[2] for r in acc.redemptions}
    items = sorted(acc.items, key=lambda it: (new_id[it[0]], it[1]))
    lines = []
    for k, (old_id, product_id, qty, cost) in enumerate(items):
        written = when_of[old_id] + timedelta(seconds=60 + k % 60)
        lines.append(
            {
                "redemption_item_id": str(k + 1),
                "redemption_id": str(new_id[old_id]),
                "product_id": str(product_id),
                "quantity": str(qty),
                "points_spent": str(cost),
                "updated_at": ts(written),
                "extracted_at": extract_of(written, cfg),
            }
        )
    return heads, lines


def expiration_rows(cfg: GeneratorConfig, acc: Accounts) -> list[dict]:
    rows = []
    for k, (i, when, pts) in enumerate(sorted(acc.expirations, key=lambda e: (e[1], e[0]))):
        written = when + timedelta(minutes=30)
        rows.append(
            {
                "expiration_id": str(k + 1),
                "member_id": str(i + 1),
                "expired_at": ts(when),
                "points_expired": str(pts),
                "updated_at": ts(written),
                "extracted_at": extract_of(written, cfg),
            }
        )
    return rows
