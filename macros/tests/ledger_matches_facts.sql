{#- The points ledger is derived from the fact tables; its totals per movement type
    must equal the facts' own totals (signed: earn +, reversal/redeem/expire -).
    Returns each mismatching movement type with the ledger and expected totals. -#}
{% test ledger_matches_facts(model, transactions, redemption_items, expirations) %}

with expected as (
    select 'earn' as movement_type, coalesce(sum(points_earned), 0) as expected_points
    from {{ transactions }}
    union all
    select 'reversal', -coalesce(sum(points_earned), 0)
    from {{ transactions }}
    where is_reversed
    union all
    select 'redeem', -coalesce(sum(points_spent), 0)
    from {{ redemption_items }}
    union all
    select 'expire', -coalesce(sum(points_expired), 0)
    from {{ expirations }}
),

ledger as (
    select movement_type, sum(points) as ledger_points
    from {{ model }}
    group by movement_type
)

select
    coalesce(expected.movement_type, ledger.movement_type) as movement_type,
    coalesce(ledger.ledger_points, 0) as ledger_points,
    coalesce(expected.expected_points, 0) as expected_points
from expected
full outer join ledger
    on expected.movement_type = ledger.movement_type
where coalesce(ledger.ledger_points, 0) <> coalesce(expected.expected_points, 0)
    or expected.movement_type is null

{% endtest %}
