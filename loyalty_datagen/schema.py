"""The raw OLTP extract layout: one place that the generator, the seed config and the tests share.

Every raw column is text: the warehouse loads extracts exactly as the source system wrote them,
so a bad value can never break the load; typing and validation happen in staging.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RawTable:
    name: str
    key: str
    description: str
    columns: dict[str, str]


# Shared by every table: the CDC export columns.
_CDC = {
    "updated_at": "When this version of the record was written in the source system "
    "(ISO timestamp); the latest version of a key wins.",
    "extracted_at": "When the daily CDC export that carried this row ran (ISO timestamp).",
}

TABLES: dict[str, RawTable] = {
    t.name: t
    for t in [
        RawTable(
            "members",
            "member_id",
            "Program members, one row per CDC version (tier, city, status and contact changes).",
            {
                "member_id": "Member key in the OLTP system (integer as text).",
                "cpf": "Brazilian taxpayer id, clear text, formatted or digits only (PII).",
                "full_name": "Member name (PII).",
                "email": "Contact e-mail (PII).",
                "phone": "Contact phone, free-format (PII).",
                "birth_date": "Birth date in pt-BR format dd/mm/yyyy.",
                "city": "City of residence.",
                "state": "Brazilian state (UF) of residence, two letters.",
                "signup_at": "When the member enrolled (ISO timestamp).",
                "tier": "Program tier: basic, silver, gold or platinum.",
                "status": "Account status: active, cancelled or blocked.",
                **_CDC,
            },
        ),
        RawTable(
            "partners",
            "partner_id",
            "Coalition partners: the companies whose purchases earn points.",
            {
                "partner_id": "Partner key (integer as text).",
                "cnpj": "Company registration number (public, not PII).",
                "partner_name": "Trade name.",
                "segment": "supermarket, pharmacy, fuel, ecommerce or credit_card.",
                "points_per_brl": "Points earned per BRL spent before any campaign multiplier.",
                **_CDC,
            },
        ),
        RawTable(
            "stores",
            "store_id",
            "Points of sale of each partner; online partners have a single virtual store.",
            {
                "store_id": "Store key (integer as text).",
                "partner_id": "Partner that runs the store.",
                "store_name": "Store name.",
                "channel": "physical or online.",
                "city": "City (blank for online stores).",
                "state": "State/UF (blank for online stores).",
                "opened_at": "Opening date (ISO date).",
                **_CDC,
            },
        ),
        RawTable(
            "products",
            "product_id",
            "Redemption catalog: what members can buy with points.",
            {
                "product_id": "Product key (integer as text).",
                "product_name": "Catalog name.",
                "category": "Catalog category.",
                "points_price": "Price in points (changes create new CDC versions).",
                **_CDC,
            },
        ),
        RawTable(
            "campaigns",
            "campaign_id",
            "Accrual campaigns: a partner multiplies points during a period.",
            {
                "campaign_id": "Campaign key (integer as text).",
                "partner_id": "Partner running the campaign.",
                "campaign_name": "Marketing name.",
                "starts_at": "First day of the campaign (ISO date).",
                "ends_at": "Last day of the campaign, inclusive (ISO date; extensions "
                "create new versions).",
                "points_multiplier": "Multiplier applied to the partner's points per BRL.",
                **_CDC,
            },
        ),
        RawTable(
            "transactions",
            "transaction_id",
            "Purchases at partner stores; a reversal, or a correction of a purchase time stamped "
            "early, arrives later as a new version.",
            {
                "transaction_id": "Transaction key (integer as text).",
                "member_id": "Member who earned the points.",
                "store_id": "Store where the purchase happened.",
                "campaign_id": "Campaign that multiplied the points, blank if none.",
                "purchased_at": "Purchase time (ISO timestamp).",
                "amount_brl": "Purchase amount in BRL, dot decimal separator.",
                "points_earned": "Points credited: floor(amount x rate x multiplier).",
                "status": "approved or reversed.",
                **_CDC,
            },
        ),
        RawTable(
            "redemptions",
            "redemption_id",
            "Redemption orders: a member spends points on catalog products.",
            {
                "redemption_id": "Redemption key (integer as text).",
                "member_id": "Member who redeemed.",
                "redeemed_at": "Order time (ISO timestamp).",
                "channel": "app, web or call_center.",
                **_CDC,
            },
        ),
        RawTable(
            "redemption_items",
            "redemption_item_id",
            "Order lines of a redemption.",
            {
                "redemption_item_id": "Order line key (integer as text).",
                "redemption_id": "Redemption the line belongs to.",
                "product_id": "Product redeemed.",
                "quantity": "Units.",
                "points_spent": "Points debited for the line (quantity x price at order time).",
                **_CDC,
            },
        ),
        RawTable(
            "point_expirations",
            "expiration_id",
            "Points that expired unused, 12 months after the month they were earned.",
            {
                "expiration_id": "Expiration key (integer as text).",
                "member_id": "Member whose points expired.",
                "expired_at": "When the points expired (ISO timestamp).",
                "points_expired": "Points removed from the balance.",
                **_CDC,
            },
        ),
    ]
}

# Named defect kinds the generator injects, and the staging reason code each one gets.
# Orphan foreign keys are not quarantined: the fact keeps the row and points at the
# dimension's "unknown" member, so revenue and points are never lost.
DEFECT_KINDS: dict[str, str] = {
    "duplicate_row": "duplicate_row",
    "null_key": "null_key",
    "malformed_key": "malformed_key",
    "invalid_cpf": "invalid_cpf",
    "malformed_email": "malformed_email",
    "negative_amount": "negative_amount",
    "non_numeric_amount": "non_numeric_amount",
    "points_mismatch": "points_mismatch",
    "future_timestamp": "future_timestamp",
    "unparsable_timestamp": "unparsable_timestamp",
    "unknown_status": "unknown_status",
    "before_program_launch": "before_program_launch",
    "implausible_birth_date": "implausible_birth_date",
    "pii_in_free_text": "pii_in_free_text",
    "oversized_text": "oversized_text",
    "amount_above_ceiling": "amount_above_ceiling",
    "numeric_overflow": "numeric_overflow",
    "orphan_member": "(kept; fact points at the unknown member)",
    "orphan_store": "(kept; fact points at the unknown store)",
    "orphan_product": "(kept; fact points at the unknown product)",
}

QUARANTINE_REASONS = sorted(k for k, v in DEFECT_KINDS.items() if v == k)
