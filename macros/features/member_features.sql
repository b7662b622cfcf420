{#- The trailing-window features of ml_member_features, declared once, a line each (their docs:
    a column each in models/ml/_ml__models.yml). Both ways the model computes a cutoff's
    features, the window pass over history and a month start's one aggregate, are generated
    from this list (feature_over_rows, feature_over_months): adding a feature is a line here
    and its docs entry there.

    measure: a member_monthly column, or an expression over one member_monthly row;
    months: the window's length, in months before the cutoff;
    agg: sum (default; 0 when the window is empty) or last (the value in the month before the
    cutoff; months 1); skip: months left out right before the cutoff (default 0);
    type: the column's type, bigint (default), money or string.

    `inputs` are declared the same way but are not columns: features derived in SQL read them.
    tests/unit/test_feature_declarations.py reads the YAML from `---` to `...`. -#}
{% macro member_features() %}
    {%- set declared = fromyaml('''
---
features:
  purchases_lifetime:     {measure: purchases_to_date, agg: last, months: 1}
  purchases_last_month:   {measure: purchases, months: 1}
  purchases_3m:           {measure: purchases, months: 3}
  purchases_prev_3m:      {measure: purchases, months: 3, skip: 3}
  purchases_6m:           {measure: purchases, months: 6}
  purchases_12m:          {measure: purchases, months: 12}
  active_months_6m:       {measure: "case when purchases > 0 then 1 else 0 end", months: 6}
  amount_3m:              {measure: amount_brl, months: 3, type: money}
  amount_12m:             {measure: amount_brl, months: 12, type: money}
  points_earned_3m:       {measure: points_earned, months: 3}
  points_earned_12m:      {measure: points_earned, months: 12}
  points_redeemed_12m:    {measure: points_redeemed, months: 12}
  points_expired_12m:     {measure: points_expired, months: 12}
  points_reversed_12m:    {measure: points_reversed, months: 12}
  points_balance:         {measure: balance_at_month_end, agg: last, months: 1}
  partners_last_month:    {measure: distinct_partners, months: 1}
  tier:                   {measure: tier_at_month_end, agg: last, months: 1, type: string}
  status:                 {measure: status_at_month_end, agg: last, months: 1, type: string}
inputs:
  member_sk:              {measure: member_sk, agg: last, months: 1}
  last_purchase_at:       {measure: last_purchase_to_date_at, agg: last, months: 1}
  last_redemption_at:     {measure: last_redemption_to_date_at, agg: last, months: 1}
  campaign_purchases_12m: {measure: campaign_purchases, months: 12}
...
''') %}
    {%- set types = {'bigint': 'bigint', 'money': loyalty.type_decimal(14, 2), 'string': dbt.type_string()} %}
    {%- set features = [] %}
    {%- for group in ['inputs', 'features'] %}
        {%- for name, declaration in declared[group].items() %}
            {%- set feature = {'name': name, 'agg': 'sum', 'skip': 0, 'type': 'bigint'} %}
            {%- do feature.update(declaration) %}
            {%- do feature.update({'data_type': types.get(feature.type) if group == 'features' else none}) %}
            {%- do features.append(loyalty.checked_feature(feature)) %}
        {%- endfor %}
    {%- endfor %}
    {{ return(features) }}
{% endmacro %}

{#- One declaration, or a compile error naming the feature. -#}
{% macro checked_feature(feature) %}
    {%- set problem = none %}
    {%- if feature.agg not in ['sum', 'last'] %}
        {%- set problem = "agg must be sum or last" %}
    {%- elif not feature.measure or feature.months is not number or feature.months < 1 %}
        {%- set problem = "needs a measure and months >= 1" %}
    {%- elif feature.skip is not number or feature.skip < 0 %}
        {%- set problem = "skip must be a number >= 0" %}
    {%- elif feature.agg == 'last' and (feature.months != 1 or feature.skip != 0) %}
        {%- set problem = "agg last reads one month: months 1, no skip" %}
    {%- elif feature.data_type is none and feature.type not in ['bigint', 'money', 'string'] %}
        {%- set problem = "type must be bigint, money or string" %}
    {%- endif %}
    {%- if problem %}
        {{ exceptions.raise_compiler_error("feature " ~ feature.name ~ ": " ~ problem) }}
    {%- endif %}
    {{ return(feature) }}
{% endmacro %}

{#- The window pass: `rows` holds one row per member and month, dense (member_monthly), the
    row of month m carrying cutoff m + 1; a window of n months ending `skip` rows back. -#}
{% macro feature_over_rows(feature, order_by='member_id order by month_start') -%}
    {%- if feature.agg == 'last' -%}
        {{ feature.measure }}
    {%- elif feature.months == 1 and feature.skip == 0 -%}
        coalesce({{ feature.measure }}, 0)
    {%- else -%}
        {%- set window_end = 'current row' if feature.skip == 0 else feature.skip ~ ' preceding' -%}
        coalesce(sum({{ feature.measure }}) over (partition by {{ order_by }} rows between {{ feature.months + feature.skip - 1 }} preceding and {{ window_end }}), 0)
    {%- endif %}
{%- endmacro %}

{#- A month start's aggregate: the member's months before the cutoff, each with `months_back`
    (1 = the month right before it), grouped by member. -#}
{% macro feature_over_months(feature) -%}
    {%- if feature.agg == 'last' -%}
        max(case when months_back = 1 then {{ feature.measure }} end)
    {%- else -%}
        coalesce(sum(case
            when months_back between {{ feature.skip + 1 }} and {{ feature.skip + feature.months }}
                then {{ feature.measure }}
        end), 0)
    {%- endif %}
{%- endmacro %}

{#- The declared features as select-list lines (for the model's select lists: one templated
    block, one line each): over the window pass, and cast to their types. -#}
{% macro features_over_rows(features) -%}
    {%- set lines = [] %}
    {%- for feature in features %}
        {%- do lines.append(loyalty.feature_over_rows(feature) ~ ' as ' ~ feature.name) %}
    {%- endfor %}
    {{- lines | join(',\n        ') }}
{%- endmacro %}

{% macro features_typed(features) -%}
    {%- set lines = [] %}
    {%- for feature in features if feature.data_type %}
        {%- do lines.append('cast(' ~ feature.name ~ ' as ' ~ feature.data_type ~ ') as ' ~ feature.name) %}
    {%- endfor %}
    {{- lines | join(',\n        ') }}
{%- endmacro %}
