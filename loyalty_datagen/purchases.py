"""Turns daily purchase counts into transaction columns: partner, store, time, amount, points.

Everything is a numpy column and times are integer seconds from the start of the period, so a
chunk of tens of thousands of members with millions of purchases stays fast and small.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loyalty_datagen.behaviour import Members, Simulation
from loyalty_datagen.brazil import CITIES
from loyalty_datagen.catalog import SEGMENT_HOURS, Catalog
from loyalty_datagen.config import GeneratorConfig

REVERSAL_RATE = 0.02
DAY = 86_400
NO_TIME = -1


@dataclass
class Purchases:
    """Every clean purchase of a chunk, ordered by time (then member)."""

    member: np.ndarray  # member index within the chunk
    at: np.ndarray  # seconds from cfg.start
    store_id: np.ndarray
    campaign_id: np.ndarray  # 0 when no campaign
    amount_c: np.ndarray  # cents
    points: np.ndarray
    reversed_at: np.ndarray  # seconds from cfg.start, NO_TIME when never reversed

    def __len__(self) -> int:
        return self.member.size


def _stores(rng, cat: Catalog, partner: np.ndarray, city_name: np.ndarray) -> np.ndarray:
    """A store of the chosen partner in the member's city when it has one, else any of its."""
    out = np.empty(partner.size, dtype=np.int64)
    for p, stores in enumerate(cat.partner_stores):
        ids = np.array([s for s, _ in stores])
        of_partner = partner == p
        for city in sorted({c for _, c in stores if c is not None}):
            local = np.array([s for s, c in stores if c == city])
            hit = of_partner & (city_name == city)
            out[hit] = local[rng.integers(0, local.size, hit.sum())]
            of_partner &= ~hit
        out[of_partner] = ids[rng.integers(0, ids.size, of_partner.sum())]
    return out


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
    city_names = np.array([c[0] for c in CITIES])
    store_id = _stores(rng, cat, partner, city_names[m.city[member]])

    centre = np.array([SEGMENT_HOURS[s][0] for s in cat.partner_segment])[partner]
    spread = np.array([SEGMENT_HOURS[s][1] for s in cat.partner_segment])[partner]
    hours = rng.normal(centre, spread)
    seconds = np.clip(hours * 3600, 6 * 3600, 23 * 3600 + 3599).astype(np.int64)
    at = day.astype(np.int64) * DAY + seconds

    ticket = np.array(cat.partner_ticket)[partner]
    december = sim.month_of_day[day] == 12
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

    reversed_at = np.full(n, NO_TIME, dtype=np.int64)
    flip = rng.random(n) < REVERSAL_RATE
    delay = rng.integers(1, 21, n) * DAY + rng.integers(3600, 36000, n)
    flip &= at + delay < cfg.last_second
    reversed_at[flip] = (at + delay)[flip]

    order = np.lexsort((member, at))
    return Purchases(
        member=member[order],
        at=at[order],
        store_id=store_id[order],
        campaign_id=campaign_id[order],
        amount_c=amount_c[order],
        points=points[order],
        reversed_at=reversed_at[order],
    )
