"""Clean CDC extract rows for members, transactions, redemptions and expirations.

Rows carry the cosmetic noise of a real OLTP export (mixed case, formatted or bare CPFs,
several phone formats, padded strings). Staging normalises that; it is not a defect.
Transactions, the big table, are built as Arrow columns; the others row by row per chunk.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa

from loyalty_datagen.accounts import Accounts
from loyalty_datagen.behaviour import Members
from loyalty_datagen.brazil import (
    CITIES,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    LAST_NAMES,
    cpf_digits,
    format_cpf,
    phone,
)
from loyalty_datagen.catalog import extract_of, ts
from loyalty_datagen.config import GeneratorConfig
from loyalty_datagen.purchases import DAY, NO_TIME, Purchases
from loyalty_datagen.schema import TABLES

# Writers of an id minute: 0 is the simulated OLTP; a defect kind that copies a record under a
# new key writes as 1 + its index in the table's kinds (see OltpIds.for_copy).
ID_WRITERS = 16
# Rows one chunk's writer may write in one minute; at least a chunk's members, since every member
# can expire points at the same month start.
ID_ROWS_PER_MINUTE = 20_000


@dataclass(frozen=True)
class OltpIds:
    """Ids for the records the OLTP creates (transactions, orders, order lines, expirations).

    A database sequence hands out ids in the order rows are written, and the warehouse leans on
    that: the stored versions a day's rows update are days old, so with time-ordered keys they
    sit in a table's last row groups and DuckDB's zone maps skip the rest (correctness never
    depends on it). Chunks are simulated apart, so an id is the minute the row was written,
    then the writer, the chunk and the row's place among that chunk's rows of that minute:
    unique and time-ordered without coordination.
    """

    chunk: int
    chunks: int

    @property
    def _minute(self) -> int:
        return ID_WRITERS * self.chunks * ID_ROWS_PER_MINUTE

    def assign(self, written_seconds: np.ndarray) -> np.ndarray:
        """Ids for rows written at these seconds from the period start, in row order within a
        minute."""
        minute = np.asarray(written_seconds, dtype=np.int64) // 60
        order = np.argsort(minute, kind="stable")
        in_order = minute[order]
        place = np.empty_like(minute)
        place[order] = np.arange(minute.size) - np.searchsorted(in_order, in_order)
        if place.size and place.max() >= ID_ROWS_PER_MINUTE:
            raise ValueError(f"more than {ID_ROWS_PER_MINUTE:,} rows in one minute of a chunk")
        return minute * self._minute + self.chunk * ID_ROWS_PER_MINUTE + place

    def for_copy(self, source_id: int, writer: int) -> int:
        """The new key of a record copied from source_id by another writer (1..ID_WRITERS-1):
        the same minute, chunk and place, so copies of distinct sources never collide."""
        if not 0 < writer < ID_WRITERS:
            raise ValueError(f"writer {writer} outside 1..{ID_WRITERS - 1}")
        minute, rest = divmod(source_id, self._minute)
        return minute * self._minute + writer * self.chunks * ID_ROWS_PER_MINUTE + rest


# Share of purchases that reach the OLTP days late, and the most days late one can be (well
# inside the cutoffs an incremental run of the feature mart recomputes)
LATE_SHARE = 0.02
LATE_MAX_DAYS = 5
# Share of purchases first written with a clock that ran behind (a terminal's, a partner's batch
# stamp) and corrected by a later version, and the most hours behind one can be
CORRECTED_SHARE = 0.005
CORRECTED_MAX_HOURS = 20
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


def _clock_corrections(
    cfg: GeneratorConfig, rng: np.random.Generator, p: Purchases, m: Members, written: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """How many seconds behind each purchase's first version stamped it (0: on time), and when
    its correction (a new version with the true time) is written: one to ten days after the
    first, within the period, before any reversal, and never moving the purchase before the
    member's sign-up. A stamp can fall in the month before: an incremental run then has to take
    the purchase out of a month it already loaded (int_points_movements_superseded)."""
    n = len(p)
    behind = rng.integers(3600, CORRECTED_MAX_HOURS * 3600 + 1, n)
    fixed_at = written + rng.integers(1, 11, n) * DAY + rng.integers(0, DAY, n)
    corrected = (
        (rng.random(n) < CORRECTED_SHARE)
        & (fixed_at < cfg.last_second)
        & ((p.reversed_at == NO_TIME) | (p.reversed_at > fixed_at))
        & (p.at - behind >= (m.signup_day[p.member] + 1) * DAY)
    )
    return np.where(corrected, behind, 0), fixed_at


def transaction_table(
    cfg: GeneratorConfig, rng: np.random.Generator, p: Purchases, m: Members, ids: OltpIds
) -> tuple[pa.Table, int, int]:
    """Each purchase as written (approved), plus a later version for each clock correction and
    each reversal; and how many purchases arrived late (see _late_writes) and how many were
    corrected (see _clock_corrections)."""
    n = len(p)
    on_time = p.at + rng.integers(1, 120, n)
    status = np.where(rng.random(n) > 0.02, "approved", "APPROVED")
    written = _late_writes(cfg, rng, p, on_time)
    behind, fixed_at = _clock_corrections(cfg, rng, p, m, written)
    fixed = behind > 0
    amount = np.char.add(
        np.char.add((p.amount_c // 100).astype(str), "."),
        np.char.zfill((p.amount_c % 100).astype(str), 2),
    )
    text = lambda values: pa.array(values, type=pa.string())  # noqa: E731
    base = {
        "transaction_id": text(ids.assign(written).astype(str)),
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
            "purchased_at": _timestamps(cfg, p.at - behind),
            "status": text(status),
            "updated_at": _timestamps(cfg, written),
            "extracted_at": _timestamps(cfg, _export_seconds(cfg, written)),
        }
    )
    mask = pa.array(fixed)
    corrections = pa.table(
        {
            **{name: column.filter(mask) for name, column in base.items()},
            "status": text(np.full(int(fixed.sum()), "approved")),
            "updated_at": _timestamps(cfg, fixed_at[fixed]),
            "extracted_at": _timestamps(cfg, _export_seconds(cfg, fixed_at[fixed])),
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
    table = pa.concat_tables([approved, corrections, reversals])
    table = table.select(list(TABLES["transactions"].columns))
    return table, int((written != on_time).sum()), int(fixed.sum())


def redemption_rows(
    cfg: GeneratorConfig, rng, acc: Accounts, m: Members, ids: OltpIds
) -> tuple[list[dict], list[dict]]:
    """Orders take ids by order time and lines by the time they were written (OltpIds)."""
    t0 = cfg.start_at
    order = sorted(acc.redemptions, key=lambda r: (r[2], r[1]))
    head_ids = ids.assign(np.array([r[2] for r in order], dtype=np.int64))
    new_id = {r[0]: int(head_ids[k]) for k, r in enumerate(order)}
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
    at_of = {r[0]: r[2] for r in acc.redemptions}
    items = sorted(acc.items, key=lambda it: (new_id[it[0]], it[1]))
    written_at = np.array([at_of[it[0]] + 60 + k % 60 for k, it in enumerate(items)], np.int64)
    line_ids = ids.assign(written_at)
    lines = []
    for k, (old_id, product_id, qty, cost) in enumerate(items):
        written = t0 + timedelta(seconds=int(written_at[k]))
        lines.append(
            {
                "redemption_item_id": str(line_ids[k]),
                "redemption_id": str(new_id[old_id]),
                "product_id": str(product_id),
                "quantity": str(qty),
                "points_spent": str(cost),
                "updated_at": ts(written),
                "extracted_at": extract_of(written, cfg),
            }
        )
    return heads, lines


def expiration_rows(cfg: GeneratorConfig, acc: Accounts, m: Members, ids: OltpIds) -> list[dict]:
    rows = []
    expirations = sorted(acc.expirations, key=lambda e: (e[1], e[0]))
    written_at = np.array([at + 30 * 60 for _, at, _ in expirations], dtype=np.int64)
    expiration_ids = ids.assign(written_at)
    for k, (i, at, pts) in enumerate(expirations):
        when = cfg.start_at + timedelta(seconds=at)
        written = when + timedelta(minutes=30)
        rows.append(
            {
                "expiration_id": str(expiration_ids[k]),
                "member_id": str(m.first_id + i),
                "expired_at": ts(when),
                "points_expired": str(pts),
                "updated_at": ts(written),
                "extracted_at": extract_of(written, cfg),
            }
        )
    return rows
