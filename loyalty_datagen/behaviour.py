"""How members behave: purchase intensity, seasonality, campaign lift and churn.

The process is chosen so the true probability of the churn label is exact, not estimated:
purchases are Poisson per day with a known intensity, and churn is decided at each month start
with a hazard that depends on fixed traits, tenure and the previous month's purchase count.
Every path that ends in "no purchase in the next 90 days" has zero purchases in each month of
the window before it churns, so the hazards along it are known at the cutoff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from loyalty_datagen.brazil import CITIES, national_holidays
from loyalty_datagen.config import SHIFTS, GeneratorConfig

# Campaigns at a member's preferred partners pull purchases forward.
CAMPAIGN_LIFT = 0.6
MONTH_FACTOR = {
    1: 0.85,
    2: 0.85,
    3: 0.95,
    4: 0.95,
    5: 1.05,
    6: 1.0,
    7: 1.0,
    8: 0.95,
    9: 0.95,
    10: 1.0,
    11: 1.2,
    12: 1.45,
}
DOW_FACTOR = [0.9, 0.9, 0.95, 1.0, 1.15, 1.3, 0.8]  # Monday..Sunday
# Latent traits no extract shows: log purchases per 30 days ~ Normal(RATE_PRIOR), satisfaction ~
# Normal(0, 1), and their slopes on the churn hazard's logit (loyalty_bench.churn_ceiling
# integrates over them to find what a model of the observable data can reach).
RATE_PRIOR = (float(np.log(2.0)), 0.7)
RATE_SLOPE = -0.45
SATISFACTION_SLOPE = -0.6


def day_factors(cfg: GeneratorConfig, n_days: int) -> np.ndarray:
    """Seasonality per day: month, weekday, paydays (5th-6th and 20th) and holidays."""
    holidays = {
        d for y in range(cfg.start.year, cfg.start.year + 4) for d, _ in national_holidays(y)
    }
    out = np.empty(n_days)
    for k in range(n_days):
        d = cfg.start + timedelta(days=k)
        f = MONTH_FACTOR[d.month] * DOW_FACTOR[d.weekday()]
        if d.day in (5, 6, 20):
            f *= 1.3
        if d in holidays:
            f *= 0.6
        elif d + timedelta(days=1) in holidays:
            f *= 1.3
        out[k] = f
    return out


@dataclass
class Members:
    """Latent traits, one entry per member (index i is member_id - 1)."""

    signup_day: np.ndarray  # day offset from cfg.start
    city: np.ndarray  # index into CITIES
    birth: list[date]
    rate: np.ndarray  # base purchases per day
    base_logit: np.ndarray  # churn hazard's member-specific part
    redeem_prob: np.ndarray  # chance to order a redemption after an accrual
    prefs: np.ndarray  # (members, partners) preference weights, rows sum to 1
    first_id: int = 1  # member_id of index 0: chunks of members get consecutive ids
    # base_logit without the latent traits' terms (rate and satisfaction): what the data shows
    trait_logit: np.ndarray | None = None
    # a shift (GeneratorConfig.shift): from day offset shift_day on, the hazard's logit gains
    # shift_logit and the purchase rate is multiplied by shift_rate (1 and 0 without one)
    shift_day: int = 10**9
    shift_logit: np.ndarray | None = None
    shift_rate: np.ndarray | None = None

    def __len__(self) -> int:
        return self.rate.size


def draw_members(
    cfg: GeneratorConfig, rng: np.random.Generator, n_partners: int, n: int, first_id: int = 1
) -> Members:
    launch_wave = rng.random(n) < 0.45
    signup = np.where(
        launch_wave,
        rng.integers(0, 30, n),
        rng.integers(30, max(31, cfg.days - 45), n),
    )
    city_w = np.array([c[2] for c in CITIES], dtype=float)
    city = rng.choice(len(CITIES), size=n, p=city_w / city_w.sum())
    age_days = rng.integers(18 * 365, 75 * 365, n)
    birth = [cfg.start - timedelta(days=int(a)) for a in age_days]
    rate = np.exp(rng.normal(*RATE_PRIOR, n)) / 30.0
    # one draw for the whole program (not per chunk): a state's effect is the same for everyone
    uf_rng = np.random.default_rng([cfg.seed, 7])
    uf_offset = {
        uf: off
        for uf, off in zip(sorted({c[1] for c in CITIES}), uf_rng.normal(0, 0.3, 64), strict=False)
    }
    satisfaction = rng.normal(0, 1, n)
    young = age_days < 25 * 365
    state_offset = np.array([uf_offset[CITIES[c][1]] for c in city])
    base_logit = (
        -3.4
        + SATISFACTION_SLOPE * satisfaction
        + RATE_SLOPE * np.log(rate * 30)
        + 0.4 * young
        + state_offset
    )
    redeem_prob = rng.beta(1.5, 6.0, n)
    prefs = rng.dirichlet(np.full(n_partners, 0.35), size=n)
    members = Members(signup, city, birth, rate, base_logit, redeem_prob, prefs, first_id)
    members.trait_logit = -3.4 + 0.4 * young + state_offset  # base_logit's observable terms
    if cfg.shift is not None:
        # its own stream: the members without a shift are drawn exactly as before
        shift = SHIFTS[cfg.shift_kind]
        hit = np.random.default_rng([cfg.seed, 11, first_id]).random(n) < shift["share"]
        members.shift_day = (cfg.shift_start - cfg.start).days
        members.shift_logit = shift["hazard_logit"] * hit
        members.shift_rate = np.where(hit, shift["rate_factor"], 1.0)
    return members


def hazard(
    m: Members, month_idx: int, month_start_day: int, month_of_year: int, prev_count: np.ndarray
) -> np.ndarray:
    """Monthly churn probability decided at a month start."""
    tenure_days = month_start_day - m.signup_day
    z = (
        m.base_logit
        + 0.9 * (tenure_days < 90)
        + 1.1 * (prev_count == 0)
        - 0.35 * np.log1p(prev_count)
        + 0.25 * (month_of_year in (1, 2))
    )
    if m.shift_logit is not None and month_start_day >= m.shift_day:
        z = z + m.shift_logit
    return 1.0 / (1.0 + np.exp(-z))


def campaign_calendar(
    cfg: GeneratorConfig, campaigns: list[tuple[int, date, date, int, int]], n_partners: int
) -> np.ndarray:
    """(partners, days + 100) bool: the days each partner runs a campaign, and the 100 days past
    the end that the last cutoffs' truth needs."""
    horizon = cfg.days + 100
    active = np.zeros((n_partners, horizon), dtype=bool)
    for pidx, first, last, _mult, _cid in campaigns:
        a, b = (first - cfg.start).days, (last - cfg.start).days
        active[pidx, max(a, 0) : min(b + 1, horizon)] = True
    return active


def purchase_intensity(cfg: GeneratorConfig, m: Members, active: np.ndarray, rate) -> np.ndarray:
    """(members, days + 100) expected purchases per day at the given base rate (per member, or 1.0
    for the shape alone): seasonality, campaigns at the member's preferred partners, and a
    shift's rate factor once it has started."""
    exposure = m.prefs @ active.astype(float)  # share of a member's spend under a campaign
    intensity = rate * day_factors(cfg, active.shape[1])[None, :] * (1 + CAMPAIGN_LIFT * exposure)
    if m.shift_rate is not None:
        intensity[:, m.shift_day :] *= m.shift_rate[:, None]
    return intensity


@dataclass
class Simulation:
    counts: np.ndarray  # (members, days) purchases per day
    churn_day: np.ndarray  # day offset of the churn decision, or a large number
    campaign_active: np.ndarray  # (partners, days) bool
    month_of_day: np.ndarray  # calendar month (1-12) of each day offset
    truth: list[tuple[int, str, int, float]]  # member_id, cutoff, alive, p(no purchase 90d)


def simulate(
    cfg: GeneratorConfig,
    rng: np.random.Generator,
    m: Members,
    campaigns: list[tuple[int, date, date, int, int]],
    n_partners: int,
) -> Simulation:
    n, days = len(m), cfg.days
    active = campaign_calendar(cfg, campaigns, n_partners)
    intensity = purchase_intensity(cfg, m, active, m.rate[:, None])

    starts = cfg.month_starts()
    bounds = [(s - cfg.start).days for s in starts] + [days]
    counts = np.zeros((n, days), dtype=np.int32)
    alive = np.ones(n, dtype=bool)
    churn_day = np.full(n, 10**9)
    day_idx = np.arange(days)
    for k, s in enumerate(starts):
        t0, t1 = bounds[k], bounds[k + 1]
        decided = m.signup_day < t0
        prev = counts[:, bounds[k - 1] : t0].sum(axis=1) if k else np.zeros(n)
        h = hazard(m, k, t0, s.month, prev)
        churn = decided & alive & (rng.random(n) < h)
        churn_day[churn] = t0
        alive &= ~churn
        mask = alive[:, None] & (day_idx[None, t0:t1] > m.signup_day[:, None])
        counts[:, t0:t1] = rng.poisson(intensity[:, t0:t1]) * mask

    truth = _truth(cfg, m, counts, churn_day, intensity, bounds)
    month_of_day = np.array([(cfg.start + timedelta(days=k)).month for k in range(days)])
    return Simulation(counts, churn_day, active[:, :days], month_of_day, truth)


def extended_month_starts(cfg: GeneratorConfig) -> tuple[list[date], list[int]]:
    """Month starts of the period and 4 past it (windows that run over the end), as dates and
    as day offsets."""
    month_starts = [*cfg.month_starts()]
    d = month_starts[-1]
    for _ in range(4):
        d = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
        month_starts.append(d)
    return month_starts, [(s - cfg.start).days for s in month_starts]


def p_quiet_90d(m, k: int, month_starts: list[date], starts_days: list[int], prev, intensity):
    """P(no purchase in the 90 days from month start k) for members alive at it: churn at one of
    the window's month starts, or no purchase up to it, month by month. `m` needs base_logit,
    signup_day and the shift fields (a Members or a slice of one); prev is last month's count."""
    c = starts_days[k]
    n = len(prev)
    p_reach = np.ones(n)  # P(no churn and no purchase so far along the window)
    p_label = np.zeros(n)
    j = k
    while starts_days[j] < c + 90:
        seg_end = min(starts_days[j + 1], c + 90)
        h = hazard(m, j, starts_days[j], month_starts[j].month, prev if j == k else np.zeros(n))
        p_label += p_reach * h
        p_reach = p_reach * (1 - h) * np.exp(-intensity[:, starts_days[j] : seg_end].sum(axis=1))
        j += 1
    return p_label + p_reach


def _truth(cfg, m: Members, counts, churn_day, intensity, bounds) -> list:
    """P(no purchase in [cutoff, cutoff + 90 days)) given everything known at the cutoff."""
    out = []
    month_starts, starts_days = extended_month_starts(cfg)
    for k in range(1, len(bounds) - 1):
        c = starts_days[k]
        eligible = m.signup_day < c
        already = churn_day < c
        prev = counts[:, starts_days[k - 1] : c].sum(axis=1)
        p = np.where(already, 1.0, p_quiet_90d(m, k, month_starts, starts_days, prev, intensity))
        cutoff = month_starts[k].isoformat()
        for i in np.flatnonzero(eligible):
            out.append((m.first_id + int(i), cutoff, int(not already[i]), float(p[i])))
    return out
