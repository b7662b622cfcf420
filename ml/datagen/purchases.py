"""Turns daily purchase counts into transaction rows: partner, store, time, amount, points."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from ml.datagen.behaviour import Members, Simulation
from ml.datagen.brazil import CITIES
from ml.datagen.catalog import SEGMENT_HOURS, Catalog
from ml.datagen.config import GeneratorConfig

REVERSAL_RATE = 0.02


@dataclass
class Purchases:
    """Columns of every clean purchase, ordered by time; transaction_id = index + 1."""

    member: np.ndarray  # member index
    at: list[datetime]
    store_id: np.ndarray
    campaign_id: np.ndarray  # 0 when no campaign
    amount_c: np.ndarray  # cents
    points: np.ndarray
    reversed_at: list[datetime | None]


def draw_purchases(
    cfg: GeneratorConfig, rng: np.random.Generator, m: Members, sim: Simulation, cat: Catalog
) -> Purchases:
    member, day = np.nonzero(sim.counts)
    reps = sim.counts[member, day]
    member, day = np.repeat(member, reps), np.repeat(day, reps)
    n = member.size

    # Partner: the member's preferences, doubled where a campaign runs that day.
    w = m.prefs[member] * (1 + sim.campaign_active[:, day].T)
    cum = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
    partner = np.minimum((cum < rng.random(n)[:, None]).sum(axis=1), len(cat.partner_segment) - 1)

    store_id = np.empty(n, dtype=np.int64)
    for i in range(n):
        stores = cat.partner_stores[partner[i]]
        home = CITIES[m.city[member[i]]][0]
        local = [s for s, city in stores if city == home]
        pool = local or [s for s, _ in stores]
        store_id[i] = pool[0] if len(pool) == 1 else pool[int(rng.integers(len(pool)))]

    centre = np.array([SEGMENT_HOURS[cat.partner_segment[p]][0] for p in partner])
    spread = np.array([SEGMENT_HOURS[cat.partner_segment[p]][1] for p in partner])
    seconds = np.clip(rng.normal(centre, spread) * 3600, 6 * 3600, 23 * 3600 + 3599).astype(int)
    at = [
        datetime.combine(cfg.start + timedelta(days=int(d)), datetime.min.time())
        + timedelta(seconds=int(s))
        for d, s in zip(day, seconds, strict=True)
    ]

    ticket = np.array(cat.partner_ticket)[partner]
    december = np.array([t.month == 12 for t in at])
    amount_c = np.maximum(
        100, np.round(np.exp(rng.normal(np.log(ticket), 0.6)) * (1 + 0.25 * december) * 100)
    ).astype(np.int64)

    campaign_id = np.zeros(n, dtype=np.int64)
    mult_c = np.full(n, 100, dtype=np.int64)
    for pidx, first, last, mult, cid in reversed(cat.campaigns):  # lowest id wins on overlap
        a, b = (first - cfg.start).days, (last - cfg.start).days
        hit = (partner == pidx) & (day >= a) & (day <= b)
        campaign_id[hit], mult_c[hit] = cid, mult
    rate_c = np.array(cat.partner_rate_c, dtype=np.int64)[partner]
    points = amount_c * rate_c * mult_c // 1_000_000

    reversed_at: list[datetime | None] = [None] * n
    for i in np.flatnonzero(rng.random(n) < REVERSAL_RATE):
        when = at[i] + timedelta(
            days=int(rng.integers(1, 21)), seconds=int(rng.integers(3600, 36000))
        )
        if when < cfg.extract_at - timedelta(hours=3):
            reversed_at[i] = when

    order = sorted(range(n), key=lambda i: (at[i], member[i]))
    return Purchases(
        member=member[order],
        at=[at[i] for i in order],
        store_id=store_id[order],
        campaign_id=campaign_id[order],
        amount_c=amount_c[order],
        points=points[order],
        reversed_at=[reversed_at[i] for i in order],
    )
