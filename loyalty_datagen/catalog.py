"""The coalition's slowly changing reference data: partners, stores, products, campaigns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import numpy as np

from loyalty_datagen.brazil import CITIES, cnpj
from loyalty_datagen.config import GeneratorConfig

# name, segment, points per BRL, median ticket (BRL), physical stores
PARTNERS = [
    ("Supermercados Bom Preço", "supermarket", "1.00", 110.0, 6),
    ("Mercado Família", "supermarket", "1.00", 85.0, 5),
    ("Atacadão Central", "supermarket", "0.50", 260.0, 3),
    ("Drogaria Saúde+", "pharmacy", "2.00", 60.0, 6),
    ("Farmácia do Bairro", "pharmacy", "1.50", 45.0, 4),
    ("Posto Rota Sul", "fuel", "1.00", 180.0, 4),
    ("Auto Posto Veloz", "fuel", "1.00", 150.0, 3),
    ("Loja Digital BR", "ecommerce", "2.00", 210.0, 0),
    ("MegaShop Online", "ecommerce", "1.50", 160.0, 0),
    ("Livraria Página", "ecommerce", "3.00", 75.0, 0),
    ("Cartão Coalizão Visa", "credit_card", "1.25", 240.0, 0),
]
SEGMENT_HOURS = {  # purchase hour distribution centre and spread
    "supermarket": (15, 4),
    "pharmacy": (14, 4),
    "fuel": (13, 5),
    "ecommerce": (20, 4),
    "credit_card": (15, 5),
}
PRODUCTS = [
    ("Vale-compras R$ 25", "vouchers", 2500),
    ("Vale-compras R$ 50", "vouchers", 5000),
    ("Vale-combustível R$ 40", "vouchers", 4200),
    ("Crédito celular R$ 20", "vouchers", 1800),
    ("Garrafa térmica", "home", 3200),
    ("Jogo de panelas", "home", 14500),
    ("Air fryer", "home", 29000),
    ("Cafeteira", "home", 12000),
    ("Liquidificador", "home", 9500),
    ("Fone Bluetooth", "electronics", 11000),
    ("Smartwatch", "electronics", 38000),
    ("Caixa de som portátil", "electronics", 16000),
    ("Tablet 10 pol.", "electronics", 95000),
    ("Ingresso de cinema", "experiences", 2200),
    ("Jantar para dois", "experiences", 21000),
    ("Passagem aérea nacional", "travel", 60000),
    ("Diária de hotel", "travel", 35000),
    ("Mochila", "fashion", 8000),
    ("Óculos de sol", "fashion", 13000),
    ("Doação Instituto Criança", "donation", 1000),
    ("Kit skincare", "beauty", 7500),
    ("Perfume importado", "beauty", 26000),
    ("Bicicleta", "sports", 70000),
    ("Tênis de corrida", "sports", 33000),
]
# Products removed from the catalog by a hard delete in the OLTP system: the CDC export has no
# row for them, so redemption lines that point at them are orphans (the unknown product).
PURGED_PRODUCTS = [
    ("Cupom parceiro extinto", "vouchers", 1500),
    ("Caneca edição 2023", "home", 2000),
]


def ts(d: datetime) -> str:
    return d.strftime("%Y-%m-%d %H:%M:%S")


def extract_of(updated: datetime, cfg: GeneratorConfig) -> str:
    """The daily CDC export that carried a row written at `updated`."""
    return ts(min(datetime.combine(updated.date() + timedelta(days=1), time(2, 0)), cfg.extract_at))


@dataclass
class Catalog:
    partner_rows: list[dict] = field(default_factory=list)
    store_rows: list[dict] = field(default_factory=list)
    product_rows: list[dict] = field(default_factory=list)
    campaign_rows: list[dict] = field(default_factory=list)
    # For the simulation
    partner_segment: list[str] = field(default_factory=list)
    partner_rate_c: list[int] = field(default_factory=list)  # points per BRL x100
    partner_ticket: list[float] = field(default_factory=list)
    partner_stores: list[list[tuple[int, str | None]]] = field(default_factory=list)
    # product_id -> list of (valid_from, price); purged products included
    product_prices: dict[int, list[tuple[datetime, int]]] = field(default_factory=dict)
    # (partner index, first day, last day inclusive, multiplier x100, campaign id)
    campaigns: list[tuple[int, date, date, int, int]] = field(default_factory=list)


def build_catalog(cfg: GeneratorConfig, rng: np.random.Generator) -> Catalog:
    cat = Catalog()
    launch = datetime.combine(cfg.start - timedelta(days=30), time(9, 0))
    store_id = 1
    city_w = np.array([c[2] for c in CITIES], dtype=float)
    for pid, (name, segment, rate, ticket, n_stores) in enumerate(PARTNERS, start=1):
        cat.partner_segment.append(segment)
        cat.partner_rate_c.append(round(float(rate) * 100))
        cat.partner_ticket.append(ticket)
        created = launch + timedelta(minutes=int(pid))
        row = {
            "partner_id": str(pid),
            "cnpj": cnpj(10_000_000_0001 + pid * 7919),
            "partner_name": name,
            "segment": segment,
            "points_per_brl": rate,
            "updated_at": ts(created),
            "extracted_at": extract_of(created, cfg),
        }
        cat.partner_rows.append(row)
        if pid % 4 == 0:  # a rebrand: a second CDC version of the partner
            when = datetime.combine(
                cfg.start + timedelta(days=int(rng.integers(cfg.days // 8, cfg.days * 7 // 8))),
                time(10, 30),
            )
            cat.partner_rows.append(
                {
                    **row,
                    "partner_name": f"{name} Express",
                    "updated_at": ts(when),
                    "extracted_at": extract_of(when, cfg),
                }
            )
        stores: list[tuple[int, str | None]] = []
        if n_stores == 0:
            opened = created
            cat.store_rows.append(
                {
                    "store_id": str(store_id),
                    "partner_id": str(pid),
                    "store_name": f"{name} (online)",
                    "channel": "online",
                    "city": "",
                    "state": "",
                    "opened_at": opened.date().isoformat(),
                    "updated_at": ts(opened),
                    "extracted_at": extract_of(opened, cfg),
                }
            )
            stores.append((store_id, None))
            store_id += 1
        else:
            cities = rng.choice(len(CITIES), size=n_stores, replace=False, p=city_w / city_w.sum())
            for k, ci in enumerate(sorted(cities)):
                city, uf = CITIES[ci][0], CITIES[ci][1]
                opened = created + timedelta(hours=int(k))
                cat.store_rows.append(
                    {
                        "store_id": str(store_id),
                        "partner_id": str(pid),
                        "store_name": f"{name} {city}",
                        "channel": "physical",
                        "city": city,
                        "state": uf,
                        "opened_at": opened.date().isoformat(),
                        "updated_at": ts(opened),
                        "extracted_at": extract_of(opened, cfg),
                    }
                )
                stores.append((store_id, city))
                store_id += 1
        cat.partner_stores.append(stores)

    for prod_id, (name, category, price) in enumerate(PRODUCTS + PURGED_PRODUCTS, start=1):
        created = launch + timedelta(minutes=prod_id)
        history = [(created, price)]
        if prod_id % 5 == 0:  # a price change mid-period: a new CDC version
            when = datetime.combine(
                cfg.start + timedelta(days=int(rng.integers(cfg.days // 8, cfg.days * 7 // 8))),
                time(8, 0),
            )
            history.append((when, int(round(price * 1.1, -2))))
        cat.product_prices[prod_id] = history
        if prod_id > len(PRODUCTS):
            continue  # purged: never exported
        for when, p in history:
            cat.product_rows.append(
                {
                    "product_id": str(prod_id),
                    "product_name": name,
                    "category": category,
                    "points_price": str(p),
                    "updated_at": ts(when),
                    "extracted_at": extract_of(when, cfg),
                }
            )

    campaign_id = 1
    for pidx in range(len(PARTNERS)):
        for _ in range(int(rng.integers(2, 5))):
            first = cfg.start + timedelta(days=int(rng.integers(0, max(1, cfg.days - 45))))
            length = int(rng.integers(10, 35))
            last = first + timedelta(days=length - 1)
            mult = int(rng.choice([150, 200, 300], p=[0.5, 0.35, 0.15]))
            created = datetime.combine(first - timedelta(days=7), time(11, 0))
            row = {
                "campaign_id": str(campaign_id),
                "partner_id": str(pidx + 1),
                "campaign_name": f"{PARTNERS[pidx][0]}: pontos x{mult / 100:g}",
                "starts_at": first.isoformat(),
                "ends_at": last.isoformat(),
                "points_multiplier": f"{mult / 100:.2f}",
                "updated_at": ts(created),
                "extracted_at": extract_of(created, cfg),
            }
            cat.campaign_rows.append(row)
            if rng.random() < 0.25:  # extended while running: a second version
                when = datetime.combine(first + timedelta(days=length // 2), time(16, 0))
                last = last + timedelta(days=7)
                cat.campaign_rows.append(
                    {
                        **row,
                        "ends_at": last.isoformat(),
                        "updated_at": ts(when),
                        "extracted_at": extract_of(when, cfg),
                    }
                )
            cat.campaigns.append((pidx, first, last, mult, campaign_id))
            campaign_id += 1
    return cat
