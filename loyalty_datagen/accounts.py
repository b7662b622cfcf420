"""Each member's points account, replayed in time order: redemptions, expirations, tier reviews.

Points are held in lots (one per purchase). A purchase that will be reversed is locked until
its reversal, so it can be neither spent nor expired: that is what keeps every balance in the
exported ledger at or above zero, as the program's OLTP system guarantees. Times are integer
seconds from the start of the period.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np

from loyalty_datagen.behaviour import Members
from loyalty_datagen.catalog import Catalog
from loyalty_datagen.config import GeneratorConfig
from loyalty_datagen.purchases import DAY, NO_TIME, Purchases

TIERS = [("basic", 0), ("silver", 2_000), ("gold", 8_000), ("platinum", 20_000)]
EXPIRY_MONTHS = 12
CHANNELS = (["app", "web", "call_center"], [0.6, 0.3, 0.1])
NEVER = 1 << 62


@dataclass
class Accounts:
    # (local id, member index, at, channel)
    redemptions: list[tuple[int, int, int, str]] = field(default_factory=list)
    # (local redemption id, product_id, quantity, points)
    items: list[tuple[int, int, int, int]] = field(default_factory=list)
    # (member index, expired_at, points)
    expirations: list[tuple[int, int, int]] = field(default_factory=list)
    # member index -> [(at, tier)]
    tier_changes: dict[int, list[tuple[int, str]]] = field(default_factory=dict)


def _tier(points_12m: int) -> str:
    return [name for name, floor in TIERS if max(points_12m, 0) >= floor][-1]


def _seconds(cfg: GeneratorConfig, when) -> int:
    return int((when - cfg.start_at).total_seconds())


def replay_accounts(
    cfg: GeneratorConfig,
    rng: np.random.Generator,
    m: Members,
    churn_day: np.ndarray,
    p: Purchases,
    cat: Catalog,
) -> Accounts:
    acc = Accounts()
    order = np.argsort(p.member, kind="stable")
    bounds = np.searchsorted(p.member[order], np.arange(len(m) + 1))
    month_starts = [(s - cfg.start).days * DAY for s in cfg.month_starts()]
    month_numbers = [s.month for s in cfg.month_starts()]
    purchase_month = np.searchsorted(np.array(month_starts), p.at, side="right") - 1
    products = sorted(cat.product_prices)
    prices = {
        pid: [(_seconds(cfg, start), price) for start, price in hist]
        for pid, hist in cat.product_prices.items()
    }
    product_weight = np.array([0.02 if pid > len(products) - 2 else 1.0 for pid in products])
    end = cfg.last_second

    for i in range(len(m)):
        churn_at = int(churn_day[i]) * DAY if churn_day[i] < cfg.days else NEVER
        signup = int(m.signup_day[i]) * DAY
        events: list[tuple] = []  # (at, order, seq, kind, payload)
        seq = 0
        for k, s in enumerate(month_starts):
            if s > signup:
                events.append((s, 0, seq, "month", k))
                seq += 1
        for idx in order[bounds[i] : bounds[i + 1]]:
            events.append((int(p.at[idx]), 1, seq, "earn", int(idx)))
            seq += 1
            if p.reversed_at[idx] != NO_TIME:
                events.append((int(p.reversed_at[idx]), 2, seq, "reverse", int(idx)))
                seq += 1
        heapq.heapify(events)

        lots: list[list] = []  # [month index, remaining, locked, purchase index]
        earned: list[tuple[int, int]] = []
        tier, pending = "basic", False
        while events:
            when, _, _, kind, payload = heapq.heappop(events)
            if kind == "earn":
                pts = int(p.points[payload])
                locked = bool(p.reversed_at[payload] != NO_TIME)
                lots.append([int(purchase_month[payload]), pts, locked, payload])
                earned.append((when, pts))
                if not pending and when < churn_at and rng.random() < m.redeem_prob[i]:
                    at = when + int(rng.integers(2 * 3600, 72 * 3600))
                    if at < min(churn_at, end):
                        heapq.heappush(events, (at, 3, seq, "redeem", None))
                        seq, pending = seq + 1, True
            elif kind == "reverse":
                lot = next(x for x in lots if x[3] == payload)
                lots.remove(lot)
                earned.append((when, -lot[1]))
            elif kind == "redeem":
                pending = False
                _redeem(acc, rng, i, when, lots, prices, products, product_weight)
            else:  # month start: expire old lots, review the tier each quarter
                k = payload
                expired = 0
                for lot in lots:
                    if not lot[2] and lot[0] <= k - EXPIRY_MONTHS - 1 and lot[1] > 0:
                        expired += lot[1]
                        lot[1] = 0
                if expired:
                    acc.expirations.append((i, when, expired))
                if month_numbers[k] in (1, 4, 7, 10):
                    year_ago = when - 365 * DAY
                    new = _tier(sum(pts for t, pts in earned if year_ago <= t < when))
                    if new != tier:
                        tier = new
                        at = when + 3 * 3600 + int(rng.integers(0, 3600))
                        acc.tier_changes.setdefault(i, []).append((at, tier))
    return acc


def _price_at(history: list[tuple[int, int]], when: int) -> int:
    return [p for start, p in history if start <= when][-1]


def _redeem(
    acc: Accounts,
    rng,
    i: int,
    when: int,
    lots: list,
    prices: dict,
    products: list[int],
    weight: np.ndarray,
) -> None:
    spendable = sum(x[1] for x in lots if not x[2])
    lines: list[tuple[int, int, int]] = []
    for _ in range(2):
        now = np.array([_price_at(prices[pid], when) for pid in products])
        ok = now <= spendable
        if not ok.any():
            break
        w = weight * ok * np.sqrt(now)  # members save up for bigger items
        k = int(rng.choice(len(products), p=w / w.sum()))
        qty = 2 if now[k] * 2 <= spendable and rng.random() < 0.15 else 1
        lines.append((products[k], qty, int(now[k]) * qty))
        spendable -= int(now[k]) * qty
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
