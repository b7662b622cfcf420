-- The generic tests in macros/tests/, run on literal fixtures: each must return no
-- rows on consistent data and the expected number of rows on broken data.
{%- set s = dbt.type_string() %}
{%- set raw_5 = "(select 1 as id union all select 2 union all select 3 union all select 4
    union all select 5)" %}
{%- set raw_6 = "(select 1 as id union all select 2 union all select 3 union all select 4
    union all select 5 union all select 6)" %}
{%- set stg = "(select 1 as id union all select 2)" %}
{%- set base -%}
(
    select 1 as id, cast(null as {{ s }}) as dq_reason, true as is_current_version
    union all select 2, cast(null as {{ s }}), true
    union all select 3, cast(null as {{ s }}), false
    union all select 4, cast(null as {{ s }}), false
    union all select 5, 'invalid_cpf', true
)
{%- endset %}
{%- set quarantine = "(select 'customers' as source_table union all select 'orders')" %}
{%- set transactions = "(select 100 as points_earned, false as is_reversed
    union all select 50, true)" %}
{%- set redemption_items = "(select 30 as points_spent)" %}
{%- set expirations = "(select 20 as points_expired)" %}
{%- set ledger_ok -%}
(
    select 'earn' as movement_type, 100 as points
    union all select 'earn', 50
    union all select 'reversal', -50
    union all select 'redeem', -30
    union all select 'expire', -20
)
{%- endset %}
{%- set ledger_bad -%}
(
    select 'earn' as movement_type, 150 as points
    union all select 'reversal', -50
    union all select 'redeem', -30
    union all select 'bonus', 5
)
{%- endset %}

with results as (
    select 'reconciles' as check_name, 0 as expected_rows, (select count(*) from (
        {{ test_reconciles_to_raw(stg, base, quarantine, 'customers', 'id', raw_relation=raw_5) }}
    ) as t) as actual_rows
    union all select 'does not reconcile', 1, (select count(*) from (
        {{ test_reconciles_to_raw(stg, base, quarantine, 'customers', raw_relation=raw_6) }}
    ) as t)
    union all select 'balance never negative', 0, (select count(*) from (
        {{ test_running_balance_never_negative(
            '(select 10 as running_balance union all select 0)') }}
    ) as t)
    union all select 'balance negative', 1, (select count(*) from (
        {{ test_running_balance_never_negative(
            '(select 10 as balance union all select -1)', 'balance') }}
    ) as t)
    union all select 'ledger matches', 0, (select count(*) from (
        {{ test_ledger_matches_facts(ledger_ok, transactions, redemption_items, expirations) }}
    ) as t)
    union all select 'ledger misses expire, has unknown type', 2, (select count(*) from (
        {{ test_ledger_matches_facts(ledger_bad, transactions, redemption_items, expirations) }}
    ) as t)
    union all select 'row count equals', 0, (select count(*) from (
        {{ test_row_count_equals(stg, 2) }}
    ) as t)
    union all select 'row count differs', 1, (select count(*) from (
        {{ test_row_count_equals(stg, 3) }}
    ) as t)
)

select *
from results
where actual_rows <> expected_rows
