-- Point-in-time guard: nothing a feature is built from may be at or after the cutoff.
-- Recency counts whole days, so the latest possible purchase (the day before) gives 1.
select *
from {{ ref('ml_member_features') }}
where
    recency_days < 1
    or days_since_last_redemption < 1
    or tenure_days < 0
    or purchases_3m > purchases_lifetime
    or (is_label_complete and churned_next_90d is null)
    or (not is_label_complete and churned_next_90d is not null)
