"""Each member's points account, replayed in time order: redemptions, expirations, tier reviews.

Points are held in lots (one per purchase). A purchase that will be reversed is locked until
its reversal, so it can be neither spent nor expired: that is what keeps every balance in the
exported ledger at or above zero, as the program's OLTP system guarantees.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from ml.datagen.behaviour import Members
from ml.datagen.catalog import Catalog
from ml.datagen.config import GeneratorConfig
from ml.datagen.purchases import Purchases

TIERS = [("basic", 0), ("silver", 2_000), ("gold", 8_000), ("platinum", 20_000)]
EXPIRY_MONTHS = 12
CHANNELS = (["app", "web", "call_center"], [0.6, 0.3, 0.1])


@dataclass
class Accounts:
    redemptions: list[tuple[int, int, datetime, str]] = field(default_factory=list)
    # redemption_id, product_id, quantity, points
    items: list[tuple[int, int, int, int]] = field(default_factory=list)
    # member index, expired_at, points
    expirations: list[tuple[int, datetime, int]] = field(default_factory=list)
    # member index -> [(when, tier)]
    tier_changes: dict[int, list[tuple[datetime, str]]] = field(default_factory=dict)


def _tier(points_12m: int) -> str:
    return [name for name, floor in TIERS if max(points_12m, 0) >= floor][-1]


def _price_at(history: list[tuple[datetime, int]], when: datetime) -> int:
    return [p for start, p in history if start <= when][-1]


def replay_accounts(
    cfg: GeneratorConfig,
    rng: np.random.Generator,
    m: Members,
    churn_day: np.ndarray,
    p: Purchases,
    cat: Catalog,
) -> Accounts:
    acc = Accounts()
    by_member: dict[int, list[int]] = {}
    for idx, i in enumerate(p.member):
        by_member.setdefault(int(i), []).append(idx)
    month_starts = [datetime.combine(s, datetime.min.time()) for s in cfg.month_starts()]
    month_of = {(s.year, s.month): k for k, s in enumerate(month_starts)}
    products = sorted(cat.product_prices)
    product_weight = np.array([0.02 if pid > len(products) - 2 else 1.0 for pid in products])
    end = cfg.extract_at - timedelta(hours=3)

    for i in range(cfg.members):
        churn_at = (
            datetime.combine(cfg.start, datetime.min.time()) + timedelta(days=int(churn_day[i]))
            if churn_day[i] < cfg.days
            else datetime.max
        )
        signup = datetime.combine(cfg.start, datetime.min.time()) + timedelta(
            days=int(m.signup_day[i])
        )
        events: list[tuple] = []  # (when, order, seq, kind, payload)
        seq = 0
        for k, s in enumerate(month_starts):
            if s > signup:
                events.append((s, 0, seq, "month", k))
                seq += 1
        for idx in by_member.get(i, []):
            events.append((p.at[idx], 1, seq, "earn", idx))
            seq += 1
            if p.reversed_at[idx] is not None:
                events.append((p.reversed_at[idx], 2, seq, "reverse", idx))
                seq += 1
        heapq.heapify(events)

        lots: list[list] = []  # [month index, remaining, locked, purchase index]
        earned: list[tuple[datetime, int]] = []
        tier, pending = "basic", False
        while events:
            when, _, _, kind, payload = heapq.heappop(events)
            if kind == "earn":
                pts = int(p.points[payload])
                lots.append(
                    [
                        month_of[(when.year, when.month)],
                        pts,
                        p.reversed_at[payload] is not None,
                        payload,
                    ]
                )
                earned.append((when, pts))
                if not pending and when < churn_at and rng.random() < m.redeem_prob[i]:
                    at = when + timedelta(seconds=int(rng.integers(2 * 3600, 72 * 3600)))
                    if at < min(churn_at, end):
                        heapq.heappush(events, (at, 3, seq, "redeem", None))
                        seq, pending = seq + 1, True
            elif kind == "reverse":
                lot = next(x for x in lots if x[3] == payload)
                lots.remove(lot)
                earned.append((when, -lot[1]))
            elif kind == "redeem":
                pending = False
                _redeem(acc, rng, i, when, lots, cat, products, product_weight)
            else:  # month start: expire old lots, review the tier each quarter
                k = payload
                expired = 0
                for lot in lots:
                    if not lot[2] and lot[0] <= k - EXPIRY_MONTHS - 1 and lot[1] > 0:
                        expired += lot[1]
                        lot[1] = 0
                if expired:
                    acc.expirations.append((i, when, expired))
                if when.month in (1, 4, 7, 10):
                    year_ago = when - timedelta(days=365)
                    new = _tier(sum(pts for t, pts in earned if year_ago <= t < when))
                    if new != tier:
                        tier = new
                        acc.tier_changes.setdefault(i, []).append(
                            (when + timedelta(hours=3, seconds=int(rng.integers(0, 3600))), tier)
                        )
    return acc


def _redeem(
    acc: Accounts,
    rng,
    i: int,
    when: datetime,
    lots: list,
    cat: Catalog,
    products: list[int],
    weight: np.ndarray,
) -> None:
    spendable = sum(x[1] for x in lots if not x[2])
    lines: list[tuple[int, int, int]] = []
    for _ in range(2):
        prices = np.array([_price_at(cat.product_prices[pid], when) for pid in products])
        ok = prices <= spendable
        if not ok.any():
            break
        w = weight * ok * np.sqrt(prices)  # members save up for bigger items
        k = int(rng.choice(len(products), p=w / w.sum()))
        qty = 2 if prices[k] * 2 <= spendable and rng.random() < 0.15 else 1
        lines.append((products[k], qty, int(prices[k]) * qty))
        spendable -= int(prices[k]) * qty
        if rng.random() > 0.2:
            break
    if not lines:
        return
    redemption_id = len(acc.redemptions) + 1
    channel = str(rng.choice(CHANNELS[0], p=CHANNELS[1]))
    acc.redemptions.append((redemption_id, i, when, channel))
    for product_id, qty, cost in lines:
        acc.items.append((redemption_id, product_id, qty, cost))
        for lot in lots:  # spend the oldest unlocked points first
            if cost == 0:
                break
            if lot[2] or lot[1] == 0:
                continue
            used = min(cost, lot[1])
            lot[1] -= used
            cost -= used
